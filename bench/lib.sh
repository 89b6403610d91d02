# Helpers shared by bench/run-*.sh, sourced (POSIX sh, set -eu).  Set
# BENCH (the script's short name, for messages and the work directory)
# before sourcing.
#
#   bench_work               WORK = a fresh temporary directory; on exit
#                            every tracked process is stopped and WORK
#                            removed
#   bench_track PID          stop PID on exit (TERM, up to 5 s, then KILL)
#   PIN_SRV, PIN_CLI         "taskset -c 0" / "taskset -c 1" when there
#                            are two CPUs (server and anchor on CPU 0,
#                            load on CPU 1), else empty
#   bench_free_port LOW SPAN a port in LOW..LOW+SPAN-1 nothing listens on
#                            (TCP or UDP)
#   bench_median [FMT]       the median of the numbers on stdin, one per
#                            line; an even count averages the middle two
#                            printed with FMT (default %.1f)
#   bench_sign_rate          `openssl speed rsa2048` sign/s on PIN_SRV's
#                            CPU for SPEED_SECONDS (default 3)

BENCH_PIDS=

bench_stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bench_track() { BENCH_PIDS="$BENCH_PIDS $1"; }

bench_cleanup() {
	for _p in $BENCH_PIDS; do
		bench_stop_pid "$_p"
	done
	if [ -n "${WORK:-}" ]; then
		rm -rf "$WORK"
	fi
}

bench_work() {
	WORK=$(mktemp -d "/tmp/opencme-bench-$BENCH.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

PIN_SRV=
PIN_CLI=
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	PIN_SRV="taskset -c 0"
	PIN_CLI="taskset -c 1"
fi

bench_free_port() {
	_t=0
	while [ $_t -lt 50 ]; do
		_t=$((_t + 1))
		_n=$(date +%N | sed 's/^0*//;s/^$/0/')
		_p=$(($1 + ($$ * 7 + _t * 7919 + _n) % $2))
		if ! (ss -Htaun 2>/dev/null | awk '{ print $5 }' |
			grep -q ":$_p\$"); then
			echo "$_p"
			return 0
		fi
	done
	echo "$BENCH: no free port in $1..$(($1 + $2 - 1))" >&2
	return 1
}

bench_median() {
	sort -g | awk -v fmt="${1:-%.1f}" '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2];
		else printf fmt "\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_sign_rate() {
	# shellcheck disable=SC2086
	_s=$($PIN_SRV openssl speed -seconds "${SPEED_SECONDS:-3}" rsa2048 \
		2>/dev/null | awk '$1 == "rsa" && $2 == "2048" { print $6 }')
	case $_s in
	'' | *[!0-9.]*)
		echo "$BENCH: cannot parse openssl speed output" >&2
		return 1
		;;
	esac
	echo "$_s"
}
