#!/bin/sh
# TFTP benchmark: 4 KB fetches per second (512-byte blocks, octet, a new
# socket per fetch) with 1 and 50 concurrent clients, opencmed beside
# tftpd-hpa's in.tftpd serving the same file in the same run, rounds
# interleaved; prints the median of each and the ratio (goal >= 10x).
#
#   bench/run-tftp.sh [BUILD]        (BUILD defaults to build)
#
# Environment: RUNS (rounds, default 3, 1..10), SECONDS_EACH (seconds per
# measurement, default 3, 1..20).  Everything on 127.0.0.1; servers are
# pinned to CPU 0 and the client to CPU 1 when there are two CPUs, and
# killed by PID on exit.  The load generator rotates its source address
# through 127.1.0.0/16 (-r): each fetch looks like another phone, as in a
# boot storm, so opencmed's per-address rate limit does not apply.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-3}
CC=${CC:-cc}
INTFTPD=${INTFTPD:-/usr/sbin/in.tftpd}

[ -x "$BUILD/opencmed" ] || { echo "run-tftp: no $BUILD/opencmed" >&2; exit 1; }
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 10 ]; then
	echo "run-tftp: RUNS must be 1..10" >&2
	exit 1
fi
if [ "$SECONDS_EACH" -lt 1 ] || [ "$SECONDS_EACH" -gt 20 ]; then
	echo "run-tftp: SECONDS_EACH must be 1..20" >&2
	exit 1
fi
if [ ! -x "$INTFTPD" ]; then
	echo "run-tftp: $INTFTPD missing (apt-get install tftpd-hpa, then" \
		"stop and disable its service)" >&2
	exit 1
fi

BENCH=tftp
. "$ROOT/bench/lib.sh"
bench_work

$CC -std=c11 -D_GNU_SOURCE -O2 -o "$WORK/tftp_load" "$ROOT/bench/tftp_load.c"

mkdir -p "$WORK/state/flash" "$WORK/root"
head -c 4096 /dev/urandom > "$WORK/state/flash/file4k.bin"
cp "$WORK/state/flash/file4k.bin" "$WORK/root/file4k.bin"
chmod 755 "$WORK" "$WORK/root"
chmod 644 "$WORK/root/file4k.bin"

PORT_CME=$(bench_free_port 40000 10000)
PORT_HPA=$(bench_free_port 50000 10000)
cat > "$WORK/startup.cfg" <<CFG
hostname Bench
tftp-server source-address 127.0.0.1 port $PORT_CME
tftp-server flash:file4k.bin
CFG
$PIN_SRV "$BUILD/opencmed" -f "$WORK/startup.cfg" -d "$WORK/state" \
	> "$WORK/opencmed.log" 2>&1 &
PID_CME=$!
bench_track "$PID_CME"
# in.tftpd as a foreground listener (-L), never the system service.
$PIN_SRV "$INTFTPD" -L -a "127.0.0.1:$PORT_HPA" -s "$WORK/root" \
	> "$WORK/in.tftpd.log" 2>&1 &
PID_HPA=$!
bench_track "$PID_HPA"
i=0
while [ ! -S "$WORK/state/opencme.sock" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$WORK/state/opencme.sock" ] || { cat "$WORK/opencmed.log"; exit 1; }
sleep 0.2
kill -0 "$PID_HPA" || { cat "$WORK/in.tftpd.log"; exit 1; }

measure() { # port conc -> fetches/s
	out=$($PIN_CLI "$WORK/tftp_load" -r 127.0.0.1 "$1" file4k.bin "$2" \
		"$SECONDS_EACH") || { echo "run-tftp: load failed: $out" >&2; echo 0; return; }
	echo "$out" | awk '{print $1}'
}

for conc in 1 50; do
	cme=""
	hpa=""
	r=1
	while [ $r -le "$RUNS" ]; do
		a=$(measure "$PORT_HPA" $conc)
		b=$(measure "$PORT_CME" $conc)
		echo "  round $r, $conc client(s): in.tftpd $a/s, opencmed $b/s"
		hpa="$hpa $a"
		cme="$cme $b"
		r=$((r + 1))
	done
	m_cme=$(echo "$cme" | tr ' ' '\n' | grep -v '^$' | bench_median)
	m_hpa=$(echo "$hpa" | tr ' ' '\n' | grep -v '^$' | bench_median)
	ratio=$(awk -v a="$m_cme" -v b="$m_hpa" \
		'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
	echo "tftp 4 KB fetches/s, $conc client(s), median of $RUNS:" \
		"opencmed $m_cme, in.tftpd $m_hpa, ratio ${ratio}x (goal >= 10x;" \
		"anchor in.tftpd ~175-180/s)"
done
"$BUILD/opencme" -d "$WORK/state" -c "show tftp-server" || true
