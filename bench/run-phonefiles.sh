#!/bin/sh
# Benchmark: regenerate every signed phone file for N ephones
# (SEP<MAC>.cnf.xml.sgn for each, and the CTL published as CTLFile.tlv
# plus CTLSEP/ITLSEP<MAC>.tlv for each), beside the RSA-2048 sign rate
# measured in the same run (the limit: one signature per signed file).
# Loopback only; the daemon is killed by PID at the end.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
N=${N:-10000}
BENCH=pf
. "$ROOT/bench/lib.sh"
bench_work
tmp=$WORK
hp=$(bench_free_port 20000 20000)
tp=$(bench_free_port 40000 10000)
{
	echo "hostname BENCH"
	echo "ip http server"
	echo "ip http port $hp"
	echo "ip http source-address 127.0.0.1"
	echo "tftp-server source-address 127.0.0.1 port $tp"
	echo "crypto pki trustpoint ca"
	echo " revocation-check none"
	echo "crypto pki server ca"
	echo " grant auto"
	echo " no shutdown"
	for t in cme sast1 sast2; do
		echo "crypto pki trustpoint $t"
		echo " enrollment url http://127.0.0.1:$hp"
		echo " revocation-check none"
		echo " subject-name CN=$t,O=Bench"
	done
	echo "ctl-client"
	echo " sast1 trustpoint sast1"
	echo " sast2 trustpoint sast2"
	echo " server cme 127.0.0.1 trustpoint cme"
	echo "telephony-service"
	echo " ip source-address 127.0.0.1 port 2000"
	echo " cnf-file perphone"
	echo " device-security-mode encrypted"
	i=1
	while [ "$i" -le "$N" ]; do
		printf 'ephone %d\n mac-address 0000.%04X.%04X\n' "$i" \
		    $((i / 65536)) $((i % 65536))
		i=$((i + 1))
	done
} >"$tmp/startup.cfg"
"$build/opencmed" -f "$tmp/startup.cfg" -d "$tmp/state" 2>"$tmp/log" &
pid=$!
bench_track "$pid"
i=0
while [ ! -S "$tmp/state/opencme.sock" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
cli() { "$build/opencme" -d "$tmp/state" "$@"; }
for t in cme sast1 sast2; do
	printf 'yes\nyes\n' | cli -c 'configure terminal' \
	    -c "crypto pki authenticate $t" -c "crypto pki enroll $t" \
	    -c end >/dev/null
done
sign=$(bench_sign_rate)
t0=$(date +%s.%N)
cli -c 'configure terminal' -c 'telephony-service' \
    -c 'tftp-server-credentials trustpoint cme' -c end >/dev/null
t1=$(date +%s.%N)
cli -c 'configure terminal' -c 'ctl-client' -c 'regenerate' -c end >/dev/null
t2=$(date +%s.%N)
files=$(cli -c 'show tftp-server' | awk '/published/ {print $NF; exit}')
python3 - "$N" "$sign" "$t0" "$t1" "$t2" <<'PY'
import sys
n, sign, t0, t1, t2 = int(sys.argv[1]), float(sys.argv[2]), *map(float, sys.argv[3:])
cnf = t1 - t0
ctl = t2 - t1
limit = n / sign
print(f"ephones: {n}")
print(f"anchor: openssl rsa2048 sign/s (one core, same run): {sign:.0f}")
print(f"limit: {n} signatures = {limit:.2f} s")
print(f"cnf.xml + .sgn for every phone: {cnf:.2f} s "
      f"({cnf / limit:.2f} x the signing limit; goal <= 1.5)")
print(f"CTL + ITL, published under {2 * n + 2} names: {ctl:.2f} s")
PY
