#!/bin/sh
# CAPF benchmark: LSC installs per second with 2048-bit phone keys that the
# emulator generated ahead of time (opencme-phone --key-pool), beside
# `openssl speed rsa2048` sign/s measured on the server's CPU in the same
# run; goal >= 50% of it.
#
#   bench/run-capf.sh [BUILD]        (BUILD defaults to build)
#
# Environment: RUNS (rounds, default 3; each round = openssl speed, then a
# fresh set of N phones), N (phones per round, default 200, 10..1000),
# BATCH (phones per opencme-phone process, default 50, 1..64),
# SPEED_SECONDS (3).
#
# What the server does per install (the phone's key is ready, so the
# phone side is one RSA-2048 sign-free exchange):
#   * TFTP: CTLSEP<MAC>.tlv and SEP<MAC>.cnf.xml.sgn (signed in advance
#     by ctl-client regenerate / the cnf builder: no signature here);
#   * TLS handshake on the CAPF listener (TLS 1.3, X25519 + one RSA-2048
#     sign for CertificateVerify with the capf key; CertificateRequest,
#     the phone sends no certificate in null-string mode);
#   * AUTH_REQUEST/RESPONSE, KEY_GENERATE_REQUEST/RESPONSE (parse the
#     phone's SPKI), LSC issued by the local CA (one RSA-2048 sign with
#     the CA key, serial and database record), STORE_CERTIFICATE,
#     END_SESSION;
#   * bookkeeping: SQLite capf_device row, the ephone's cert-oper cleared
#     (which may rebuild that phone's signed cnf.xml: a third sign).
# So the protocol floor is 2 RSA private operations per install (about
# sign/s / 2 installs per CPU-second), 3 when the cnf file is re-signed.
#
# Starts opencmed in a temporary directory on 127.0.0.1 (free ports), pins
# it and openssl speed to CPU 0 and the phones to CPU 1 (taskset, two
# CPUs), and kills it by PID on exit.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RUNS=${RUNS:-3}
N=${N:-200}
BATCH=${BATCH:-50}
SPEED_SECONDS=${SPEED_SECONDS:-3}

for b in opencmed opencme opencme-phone; do
	[ -x "$BUILD/$b" ] || { echo "run-capf: no $BUILD/$b" >&2; exit 1; }
done
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 9 ]; then
	echo "run-capf: RUNS must be 1..9" >&2
	exit 1
fi
if [ "$N" -lt 10 ] || [ "$N" -gt 1000 ]; then
	echo "run-capf: N must be 10..1000" >&2
	exit 1
fi
if [ "$BATCH" -lt 1 ] || [ "$BATCH" -gt 64 ]; then
	echo "run-capf: BATCH must be 1..64" >&2
	exit 1
fi

BENCH=capf
. "$ROOT/bench/lib.sh"
bench_work

HTTP=$(bench_free_port 20000 20000)
TFTP=$(bench_free_port 40000 10000)
CAPF=$(bench_free_port 4000 5000)

# ---- the phone key pool: N RSA-2048 keys, before any timing ----
mkdir "$WORK/pool" "$WORK/keys"
echo "run-capf: generating $N RSA-2048 phone keys (not timed)" >&2
seq 1 "$N" | xargs -P "$(nproc)" -I{} openssl genpkey -algorithm RSA \
	-pkeyopt rsa_keygen_bits:2048 -out "$WORK/keys/{}.key" 2>/dev/null
# Round r uses MACs 0011.22r0.0001..; each phone links to key i.
mac_of() { printf '0011%02X%06X' "$((0x20 + $1))" "$2"; }

# ---- configuration: CA, trustpoints, CTL, RUNS * N ephones ----
{
	cat <<CFG
hostname CME-Bench
ctl-client
 server capf 127.0.0.1 trustpoint capf
 server cme 127.0.0.1 trustpoint cme
 server tftp 127.0.0.1 trustpoint cme
 sast1 trustpoint sast1
 sast2 trustpoint sast2
capf-server
 port $CAPF
 auth-mode null-string
 cert-enroll-trustpoint benchca password 0 secret1
 trustpoint-label capf
 source-addr 127.0.0.1
 phone-key-size 2048
crypto pki server benchca
 grant auto
 lifetime certificate 365
 no shutdown
crypto pki trustpoint benchca
 revocation-check none
CFG
	for tp in cme sast1 sast2 capf; do
		printf 'crypto pki trustpoint %s\n' "$tp"
		printf ' enrollment url http://127.0.0.1:%s\n' "$HTTP"
		printf ' revocation-check none\n rsakeypair %s 2048\n' "$tp"
	done
	cat <<CFG
ip http server
ip http port $HTTP
ip http source-address 127.0.0.1
tftp-server source-address 127.0.0.1 port $TFTP
telephony-service
 secure-signaling trustpoint cme
 tftp-server-credentials trustpoint cme
 device-security-mode encrypted
 cnf-file perphone
 ip source-address 127.0.0.1 port 2000
 max-ephones 10000
CFG
	r=0
	e=0
	while [ $r -lt "$RUNS" ]; do
		r=$((r + 1))
		i=0
		while [ $i -lt "$N" ]; do
			i=$((i + 1))
			e=$((e + 1))
			m=$(mac_of "$r" "$i")
			ln -s "../keys/$i.key" "$WORK/pool/$m.key"
			printf 'ephone %d\n mac-address %s.%s.%s\n' "$e" \
				"$(echo "$m" | cut -c1-4)" \
				"$(echo "$m" | cut -c5-8)" "$(echo "$m" | cut -c9-12)"
			printf ' type 7970\n device-security-mode encrypted\n'
			printf ' cert-oper upgrade auth-mode null-string\n'
		done
	done
} >"$WORK/c.cfg"

# taskset execs the daemon: $! is the opencmed PID.
$PIN_SRV "$BUILD/opencmed" -f "$WORK/c.cfg" -d "$WORK/state" \
	>"$WORK/log" 2>&1 &
PID=$!
bench_track "$PID"
w=0
while [ ! -S "$WORK/state/opencme.sock" ] && [ $w -lt 300 ]; do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
	w=$((w + 1))
done
if [ ! -S "$WORK/state/opencme.sock" ]; then
	echo "run-capf: opencmed did not start" >&2
	tail -20 "$WORK/log" >&2
	exit 1
fi
cli() { timeout 120 "$BUILD/opencme" -d "$WORK/state" "$@"; }
for tp in cme sast1 sast2 capf; do
	if ! printf 'yes\nyes\n' | cli -c 'configure terminal' \
		-c "crypto pki authenticate $tp" -c "crypto pki enroll $tp" \
		-c end | grep -q 'Certificate received'; then
		echo "run-capf: enrollment of $tp failed" >&2
		tail -20 "$WORK/log" >&2
		exit 1
	fi
done
cli -c 'configure terminal' -c 'ctl-client' -c 'regenerate' -c end >/dev/null
w=0
until cli -c 'show capf-server certificate' | grep -q 'listening on'; do
	w=$((w + 1))
	if [ $w -gt 100 ]; then
		echo "run-capf: CAPF listener not up" >&2
		exit 1
	fi
	sleep 0.1
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)

: >"$WORK/rounds"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	SIGN=$(bench_sign_rate)
	rm -rf "$WORK/phones"
	c0=$(cpu_ticks)
	t0=$(date +%s.%N)
	i=1
	b=0
	while [ $i -le "$N" ]; do
		n=$((N - i + 1))
		[ $n -gt "$BATCH" ] && n=$BATCH
		m=$(mac_of "$r" "$i")
		# Each phone its own source address, as on a real network
		# (the TFTP server limits new transfers per address).
		src=127.$((r + 1)).$((i / 256)).$((i % 256))
		# shellcheck disable=SC2086
		timeout 300 $PIN_CLI "$BUILD/opencme-phone" \
			--tftp "127.0.0.1:$TFTP" --mac "$m" --count "$n" \
			--state "$WORK/phones" --capf-only --key-pool "$WORK/pool" --source-ip "$src" \
			--report json >"$WORK/out.$b" 2>>"$WORK/phone.log" || true
		i=$((i + n))
		b=$((b + 1))
	done
	t1=$(date +%s.%N)
	c1=$(cpu_ticks)
	# A successful install leaves SEP<MAC>/lsc.pem (checked against the
	# generated key by the phone before it answers STORE with reason 1).
	OK=$(find "$WORK/phones" -name lsc.pem 2>/dev/null | wc -l)
	rm -f "$WORK"/out.*
	if [ "$OK" -eq 0 ]; then
		tail -20 "$WORK/phone.log" >&2
		echo "run-capf: no LSC installed" >&2
		exit 1
	fi
	echo "$SIGN $t0 $t1 $c0 $c1 $OK" | awk -v hz="$HZ" -v n="$N" -v r="$r" '{
		wall = $3 - $2; cpu = ($5 - $4) / hz
		ips = $6 / wall; cpi = cpu / $6
		printf "round %d: openssl rsa2048 sign/s %.0f, LSCs %d/%d in %.2f s = %.1f installs/s, " \
			"server CPU %.2f ms/install (%.1f installs per CPU-s), ratio %.3f\n",
			r, $1, $6, n, wall, ips, 1000 * cpi, 1 / cpi, ips / $1
		print $1, ips, 1000 * cpi, 1 / cpi, ips / $1, $6 > "/dev/stderr"
	}' 2>>"$WORK/rounds"
done

col() { awk -v c="$1" '{ print $c }' "$WORK/rounds" | bench_median %.3f; }
SIGN=$(col 1)
IPS=$(col 2)
CPI=$(col 3)
IPC=$(col 4)
RATIO=$(col 5)
echo
echo "CAPF LSC installs, RSA-2048 phone keys from a key pool, loopback," \
	"N=$N per round in batches of $BATCH, $RUNS round(s), medians" \
	"${PIN_SRV:+(server CPU 0, phones CPU 1)}"
awk -v s="$SIGN" -v i="$IPS" -v c="$CPI" -v p="$IPC" -v q="$RATIO" 'BEGIN {
	printf "  %-46s %10.0f\n", "anchor: openssl speed rsa2048 sign/s (CPU 0)", s
	printf "  %-46s %10.1f\n", "LSC installs/s (wall)", i
	printf "  %-46s %10.2f\n", "server CPU ms per install", c
	printf "  %-46s %10.1f\n", "installs per server-CPU-second", p
	printf "  %-46s %9.1f%%  (goal >= 50%%)\n", "installs/s / sign/s", 100 * q
	# The server alone: what one of its CPUs completes, beside what the
	# same CPU signs.  Each install costs it 3 RSA-2048 private
	# operations (TLS CertificateVerify, the LSC, the re-signed
	# cnf.xml), so 33% is the ceiling of this ratio.
	printf "  %-46s %9.1f%%  (ceiling 33%%: 3 signs/install)\n", \
		"installs per server-CPU-s / sign/s", 100 * p / s
}'
