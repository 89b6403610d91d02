#!/bin/sh
# Secure SCCP benchmark (issue 6):
#  (a) registrations per second over TLS 1.2, mutual, RSA-2048, for a
#      burst of N phones (default 1,000), beside `openssl s_server` /
#      `openssl s_time -new` mutual-TLS handshakes per server-CPU-second
#      measured in the same run with the same key sizes; goal >= 80%;
#  (b) HOLD phones (default 10,000) registered at once and kept alive on
#      one daemon, with the daemon's resident memory per phone (goal <=
#      64 KiB).
#
#   bench/run-sccp.sh [BUILD]      (BUILD defaults to build)
#
# Environment: N (100..20000, 1000), HOLD (0 = skip (b), 10000), HOLD_S
# (seconds (b) stays up, 20), INFLIGHT (handshakes in flight, 64),
# SPEED_SECONDS (s_time seconds, 5), RUNS (rounds of (a), 3).
#
# The phones are bench/sccp_load (one libevent loop, one TLS connection
# per phone; its certificates CN=SEP<MAC> are issued by a test MIC root
# that the daemon imports, as the chapter's "Manually Import the MIC Root
# Certificate").  The server runs on CPU 0, the phones on CPU 1; each
# phone connects from its own loopback address.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
N=${N:-1000}
HOLD=${HOLD:-10000}
HOLD_S=${HOLD_S:-20}
INFLIGHT=${INFLIGHT:-64}
SPEED_SECONDS=${SPEED_SECONDS:-5}
RUNS=${RUNS:-3}

for b in opencmed opencme libopencme.a; do
	[ -e "$BUILD/$b" ] || { echo "run-sccp: no $BUILD/$b" >&2; exit 1; }
done
if [ "$N" -lt 100 ] || [ "$N" -gt 20000 ] || [ "$HOLD" -gt 20000 ]; then
	echo "run-sccp: N is 100..20000, HOLD 0..20000" >&2
	exit 1
fi
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 9 ]; then
	echo "run-sccp: RUNS must be 1..9" >&2
	exit 1
fi

BENCH=sccp
. "$ROOT/bench/lib.sh"
bench_work

# 10,000 phones are 10,000 sockets on each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

PKGS="openssl libevent libevent_openssl"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" \
	$(pkg-config --cflags $PKGS) -o "$WORK/sccp_load" \
	"$ROOT/bench/sccp_load.c" "$BUILD/libopencme.a" \
	$(pkg-config --libs $PKGS)

HTTP=$(bench_free_port 20000 20000)
TCP=$(bench_free_port 3000 1000)
TLS=$(bench_free_port 5000 1000)
ANCHOR=$(bench_free_port 6000 1000)

# ---- keys and certificates (not timed) ----
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Bench MIC Root" \
	-keyout mic.key -out mic.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out phone.key 2>/dev/null
# For the anchor: a server certificate and one phone certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=anchor" \
	-keyout srv.key -out srv.pem 2>/dev/null
openssl req -new -key phone.key -subj "/CN=SEP001100000001" 2>/dev/null |
	openssl x509 -req -CA mic.pem -CAkey mic.key -CAcreateserial \
		-days 2 -out phone.pem 2>/dev/null
cd - >/dev/null

TOTAL=$((N * RUNS))
[ "$HOLD" -gt "$TOTAL" ] && TOTAL=$HOLD
mac_of() { printf '0011%08X' "$1"; }
dotted() { echo "$1" | sed 's/^\(....\)\(....\)\(....\)$/\1.\2.\3/'; }
{
	cat <<CFG
hostname CME-Bench
crypto pki server benchca
 grant auto
 no shutdown
crypto pki trustpoint benchca
 revocation-check none
crypto pki trustpoint cme
 enrollment url http://127.0.0.1:$HTTP
 revocation-check none
 rsakeypair cme 2048
crypto pki trustpoint mic
 enrollment terminal
 revocation-check none
ip http server
ip http port $HTTP
ip http source-address 127.0.0.1
telephony-service
 ip source-address 127.0.0.1 port $TCP
 secure-signaling trustpoint cme
 secure-signaling port $TLS
 device-security-mode encrypted
 keepalive 60
 max-ephones $TOTAL
 max-dn $TOTAL
 no auto-reg-ephone
CFG
	i=1
	while [ $i -le "$TOTAL" ]; do
		printf 'ephone %d\n mac-address %s\n' "$i" \
			"$(dotted "$(mac_of "$i")")"
		i=$((i + 1))
	done
} >"$WORK/c.cfg"

$PIN_SRV "$BUILD/opencmed" -f "$WORK/c.cfg" -d "$WORK/state" \
	>"$WORK/log" 2>&1 &
PID=$!
bench_track "$PID"
w=0
while [ ! -S "$WORK/state/opencme.sock" ] && [ $w -lt 600 ]; do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
	w=$((w + 1))
done
if [ ! -S "$WORK/state/opencme.sock" ]; then
	echo "run-sccp: opencmed did not start" >&2
	tail -20 "$WORK/log" >&2
	exit 1
fi
cli() { timeout 120 "$BUILD/opencme" -d "$WORK/state" "$@"; }
if ! printf 'yes\nyes\n' | cli -c 'configure terminal' \
	-c 'crypto pki authenticate cme' -c 'crypto pki enroll cme' -c end |
	grep -q 'Certificate received'; then
	echo "run-sccp: enrollment of cme failed" >&2
	tail -20 "$WORK/log" >&2
	exit 1
fi
{
	printf 'configure terminal\ncrypto pki authenticate mic\n'
	cat "$WORK/mic.pem"
	printf 'quit\nyes\nend\n'
} | cli | grep -q 'successfully imported' || {
	echo "run-sccp: the MIC root import failed" >&2
	exit 1
}
w=0
until cli -c 'show sccp connections' | grep -q "TLS.*listening on.*$TLS"; do
	w=$((w + 1))
	if [ $w -gt 100 ]; then
		echo "run-sccp: the SCCP TLS listener is not up" >&2
		cli -c 'show sccp connections' >&2
		exit 1
	fi
	sleep 0.1
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

# ---- (a) registration bursts beside the s_server/s_time anchor ----
anchor() {
	$PIN_SRV openssl s_server -quiet -accept "$ANCHOR" -naccept 1000000 \
		-cert "$WORK/srv.pem" -key "$WORK/srv.key" \
		-Verify 1 -CAfile "$WORK/mic.pem" -tls1_2 \
		>/dev/null 2>&1 &
	apid=$!
	sleep 0.5
	a0=$(cpu_ticks "$apid")
	out=$($PIN_CLI openssl s_time -connect "127.0.0.1:$ANCHOR" -new \
		-tls1_2 -cert "$WORK/phone.pem" -key "$WORK/phone.key" \
		-time "$SPEED_SECONDS" 2>/dev/null | grep 'connections in' |
		head -1)
	a1=$(cpu_ticks "$apid")
	kill "$apid" 2>/dev/null || true
	wait "$apid" 2>/dev/null || true
	# "N connections in T real seconds, ..." / server CPU seconds
	echo "$out" | awk -v c="$((a1 - a0))" -v hz="$HZ" \
		'{ if (c > 0) printf "%.1f\n", $1 / (c / hz); else print 0 }'
}

: >"$WORK/rounds"
r=0
first=1
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	ANC=$(anchor)
	c0=$(cpu_ticks "$PID")
	out=$($PIN_CLI "$WORK/sccp_load" --port "$TLS" \
		--mic-cert "$WORK/mic.pem" --mic-key "$WORK/mic.key" \
		--key "$WORK/phone.key" --mac "$(mac_of "$first")" \
		--count "$N" --inflight "$INFLIGHT" \
		--source-net "127.$((10 + r))" 2>>"$WORK/load.log") || true
	c1=$(cpu_ticks "$PID")
	echo "$out" >>"$WORK/load.log"
	first=$((first + N))
	echo "$out" | awk -v anc="$ANC" -v c="$((c1 - c0))" -v hz="$HZ" \
		-v n="$N" -v r="$r" '/^registered/ {
		split($2, a, "/"); ok = a[1]; t = $4; rate = ok / t
		cpu = c / hz; per = cpu > 0 ? ok / cpu : 0
		printf "round %d: s_time %.0f handshakes per server-CPU-s; " \
			"%d/%d registered in %.2f s = %.0f/s, %.0f per server-CPU-s, ratio %.2f\n",
			r, anc, ok, n, t, rate, per, (anc > 0 ? per / anc : 0)
		print anc, rate, per, (anc > 0 ? per / anc : 0), ok > "/dev/stderr"
	}' 2>>"$WORK/rounds"
	sleep 1 # the daemon drops the burst's connections
done

col() { awk -v c="$1" '{ print $c }' "$WORK/rounds" | bench_median %.3f; }
echo
echo "Secure SCCP registration (TLS 1.2, mutual, RSA-2048), burst of $N" \
	"phones, $RUNS round(s), medians ${PIN_SRV:+(server CPU 0, phones CPU 1)}"
awk -v a="$(col 1)" -v w="$(col 2)" -v p="$(col 3)" -v q="$(col 4)" 'BEGIN {
	printf "  %-52s %10.0f\n", "anchor: s_server/s_time handshakes per server-CPU-s", a
	printf "  %-52s %10.0f\n", "registrations/s (wall)", w
	printf "  %-52s %10.0f\n", "registrations per server-CPU-second", p
	printf "  %-52s %9.0f%%  (goal >= 80%%)\n", "ratio to the anchor", 100 * q
}'

# ---- (b) many phones held ----
if [ "$HOLD" -gt 0 ]; then
	# A fresh daemon state is not needed: the bursts above are gone.
	sleep 2
	rss0=$(rss_kib "$PID")
	fifo="$WORK/hold.out"
	$PIN_CLI "$WORK/sccp_load" --port "$TLS" \
		--mic-cert "$WORK/mic.pem" --mic-key "$WORK/mic.key" \
		--key "$WORK/phone.key" --mac "$(mac_of 1)" --count "$HOLD" \
		--inflight "$INFLIGHT" --hold "$HOLD_S" --keepalive 5 \
		--source-net 127.30 >"$fifo" 2>>"$WORK/load.log" &
	lpid=$!
	bench_track "$lpid"
	w=0
	until grep -q '^holding' "$fifo" 2>/dev/null; do
		kill -0 "$lpid" 2>/dev/null || break
		w=$((w + 1))
		[ $w -gt 3000 ] && break
		sleep 0.1
	done
	sleep "$((HOLD_S / 2))"
	rss1=$(rss_kib "$PID")
	regd=$(cli -c 'show sccp connections' | grep -c 'SEP' || true)
	wait "$lpid" 2>/dev/null || true
	cat "$fifo" >>"$WORK/load.log"
	echo
	echo "Held phones: $HOLD requested"
	grep -E '^(registered|held)' "$fifo" | sed 's/^/  /'
	echo "  daemon's SCCP connections listed while holding: $regd"
	awk -v a="$rss0" -v b="$rss1" -v n="$HOLD" 'BEGIN {
		printf "  daemon RSS %.1f MiB idle, %.1f MiB holding: %.1f KiB per phone (goal <= 64)\n",
			a / 1024, b / 1024, (b - a) / n
	}'
fi
