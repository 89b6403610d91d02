#!/bin/sh
# SCEP issuance benchmark: certificates issued per second for RSA-2048 CSRs
# over SCEP on loopback, beside `openssl speed rsa2048` sign/s measured in
# the same run (engineering.md 2.8).
#
#   bench/run-scep.sh [BUILD]        (BUILD defaults to build)
#
# Environment: RUNS (rounds, default 1; each round = openssl speed, then
# the SCEP run, interleaved), N (CSRs per round, default 200, >= 100),
# CONC (connections, default 4), SPEED_SECONDS (default 3).
#
# Builds bench/scep_issue against BUILD/libopencme.a into a temporary
# directory, starts opencmed there with a fresh state directory on
# 127.0.0.1 and a free port, pins it to CPU 0 and the client to CPU 1
# (taskset, when there are two CPUs), and kills it by PID on exit.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RUNS=${RUNS:-1}
N=${N:-200}
CONC=${CONC:-4}
SPEED_SECONDS=${SPEED_SECONDS:-3}
CC=${CC:-cc}

[ -x "$BUILD/opencmed" ] || { echo "run-scep: no $BUILD/opencmed" >&2; exit 1; }
[ -f "$BUILD/libopencme.a" ] || { echo "run-scep: no $BUILD/libopencme.a" >&2; exit 1; }
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 20 ]; then
	echo "run-scep: RUNS must be 1..20" >&2
	exit 1
fi
if [ "$N" -lt 100 ] || [ "$N" -gt 5000 ]; then
	echo "run-scep: N must be 100..5000" >&2
	exit 1
fi

BENCH=scep
. "$ROOT/bench/lib.sh"
bench_work
# The client pins itself to CPU 1 after key generation.
[ -z "$PIN_CLI" ] || PIN_CLI="--cpu 1"

# ---- build the client ----
PKGS="libssl libcrypto libevent libevent_openssl sqlite3 libxml-2.0 libsrtp2"
# shellcheck disable=SC2046,SC2086
$CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wcast-qual \
	-Wpointer-arith -Wno-format-nonliteral -O2 -g -I"$ROOT/src" \
	$(pkg-config --cflags $PKGS) -o "$WORK/scep_issue" \
	"$ROOT/bench/scep_issue.c" "$BUILD/libopencme.a" \
	$(pkg-config --libs $PKGS) -lpthread

# ---- start the daemon on a free loopback port (bounded) ----
port_busy() {
	# bash-less probe: curl gets a connection (any answer) => busy
	curl -s -o /dev/null -m 1 "http://127.0.0.1:$1/" 2>/dev/null
	[ $? -ne 7 ]
}
cacert_ok() {
	curl -sf -o /dev/null -m 2 \
		"http://127.0.0.1:$1/cgi-bin/pkiclient.exe?operation=GetCACert"
}

PORT=
tries=0
while [ $tries -lt 10 ]; do
	tries=$((tries + 1))
	p=$(bench_free_port 20000 40000)
	if port_busy "$p"; then
		continue
	fi
	rm -rf "$WORK/state"
	cat >"$WORK/c.cfg" <<EOF
hostname CME1
ip http server
ip http port $p
ip http source-address 127.0.0.1
crypto pki trustpoint myca
 revocation-check none
crypto pki server myca
 grant auto
 no shutdown
EOF
	# taskset execs the daemon: $! is the opencmed PID.
	$PIN_SRV "$BUILD/opencmed" -f "$WORK/c.cfg" -d "$WORK/state" \
		>"$WORK/log" 2>&1 &
	PID=$!
	bench_track "$PID"
	w=0
	while [ $w -lt 150 ] && kill -0 "$PID" 2>/dev/null; do
		if cacert_ok "$p"; then
			PORT=$p
			break
		fi
		sleep 0.1
		w=$((w + 1))
	done
	[ -n "$PORT" ] && break
	bench_stop_pid "$PID"
	PID=
done
if [ -z "$PORT" ]; then
	echo "run-scep: opencmed did not serve GetCACert" >&2
	tail -20 "$WORK/log" >&2 2>/dev/null || true
	exit 1
fi

# ---- rounds: anchor, then SCEP ----
: >"$WORK/rounds"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	SIGN=$(bench_sign_rate)
	# shellcheck disable=SC2086
	if ! timeout 300 "$WORK/scep_issue" --port "$PORT" $PIN_CLI \
		--pid "$PID" -n "$N" -c "$CONC" >"$WORK/out" 2>"$WORK/err"; then
		cat "$WORK/out" "$WORK/err" >&2
		tail -20 "$WORK/log" >&2
		echo "run-scep: FAIL" >&2
		exit 1
	fi
	get() { sed -n "s/^.*$1=\([0-9.]*\).*$/\1/p" "$WORK/out" | head -1; }
	WALL=$(get certs_per_s)
	CPU=$(get certs_per_server_cpu_s)
	UTIL=$(get server_util)
	OPS=$(get rsa_priv_ops_per_cert)
	echo "$SIGN $WALL $CPU $UTIL $OPS" >>"$WORK/rounds"
	awk -v r="$r" -v s="$SIGN" -v w="$WALL" -v c="$CPU" -v u="$UTIL" \
		-v o="$OPS" 'BEGIN { printf "round %d: openssl sign/s %.0f, " \
		"SCEP certs/s (wall) %.1f, certs per server-CPU-s %.1f, " \
		"server CPU util %.2f, ratio %.3f (limit 1/%d)\n",
		r, s, w, c, u, c / s, o }'
done

SIGN=$(awk '{ print $1 }' "$WORK/rounds" | bench_median)
WALL=$(awk '{ print $2 }' "$WORK/rounds" | bench_median)
CPU=$(awk '{ print $3 }' "$WORK/rounds" | bench_median)
UTIL=$(awk '{ print $4 }' "$WORK/rounds" | bench_median)
OPS=$(awk 'NR == 1 { print $5 }' "$WORK/rounds")
echo
echo "SCEP issuance, RSA-2048 CSRs, loopback, N=$N, $CONC connections," \
	"$RUNS round(s), medians${PIN_SRV:+ (server CPU 0, client CPU 1)}"
awk -v s="$SIGN" -v w="$WALL" -v c="$CPU" -v u="$UTIL" -v o="$OPS" 'BEGIN {
	printf "  %-44s %10.0f\n", "anchor: openssl speed rsa2048 sign/s (1 core)", s
	printf "  %-44s %10.1f\n", "SCEP certs/s (wall)", w
	printf "  %-44s %10.2f\n", "server CPU utilisation", u
	printf "  %-44s %10.1f\n", "SCEP certs per server-CPU-second", c
	printf "  %-44s %10.3f\n", "ratio certs per CPU-s / sign/s", c / s
	printf "  %-44s %10.1f\n", "protocol limit: sign/s / " o " RSA priv ops", s / o
	printf "  %-44s %9.0f%%\n", "server at % of protocol limit", 100 * c * o / s
}'
