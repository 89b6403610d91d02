#!/bin/sh
# SRTP relay benchmark: relayed packets per second per core over loopback
# UDP (172-byte G.711 20 ms packets, unprotect + protect, recvmmsg and
# sendmmsg batches of 32) for AES_CM_128_HMAC_SHA1_32 and _80, beside raw
# libsrtp2 protect+unprotect of the same packets in the same run: the
# anchor is stock Debian libsrtp2 (its NSS primitives, as issue 7 defines
# "raw libsrtp2"), shown beside the same libsrtp2 with our OpenSSL
# primitives (which the relay uses, src/media/srtp_ossl.c); prints the
# medians, the relay's ratio to each (goal >= 0.80 of the anchor) and
# concurrent G.711 calls per core (1 call = 100 relayed packets/s).
#
#   bench/run-relay.sh [BUILD]        (BUILD defaults to build)
#
# Environment: RUNS (rounds, default 3, 1..10), SECONDS_EACH (seconds per
# measurement, default 3, 1..20).  The program pins the relay to CPU 0 and
# its load thread to CPU 1 when there are two CPUs; everything stays on
# 127.0.0.1 and ends with the program (no server left behind).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
RUNS=${RUNS:-3}
SECONDS_EACH=${SECONDS_EACH:-3}

if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 10 ]; then
	echo "run-relay: RUNS must be 1..10" >&2
	exit 1
fi
if [ "$SECONDS_EACH" -lt 1 ] || [ "$SECONDS_EACH" -gt 20 ]; then
	echo "run-relay: SECONDS_EACH must be 1..20" >&2
	exit 1
fi

BENCH=relay
. "$ROOT/bench/lib.sh"
bench_work

PROG=$BUILD/bench/relay_load
# always: make rebuilds it when a source changed, and does nothing if not
make -s -C "$ROOT" BUILD="$BUILD" "$PROG" >/dev/null 2>&1 ||
	{ echo "run-relay: cannot build $PROG" >&2; exit 1; }

field() { # line key
	echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

for suite in 32 80; do
	: > "$WORK/anchor"
	: > "$WORK/anchor_ossl"
	: > "$WORK/relay"
	: > "$WORK/iface"
	r=1
	while [ $r -le "$RUNS" ]; do
		port=$(bench_free_port 42000 16000)
		line=$("$PROG" $suite "$SECONDS_EACH" "$port" 2>"$WORK/err") ||
			{ cat "$WORK/err" >&2; echo "run-relay: round failed" >&2; exit 1; }
		a=$(field "$line" anchor_pps)
		o=$(field "$line" anchor_ossl_pps)
		b=$(field "$line" core_pps)
		f=$(field "$line" iface_pps)
		echo "  round $r, _$suite: raw libsrtp2 $a pkt/s (NSS)," \
			"$o (OpenSSL primitives), our interface $f pkt/s," \
			"relay $b pkt/s (busy $(field "$line" relay_busy)," \
			"gso $(field "$line" gso))"
		echo "$a" >> "$WORK/anchor"
		echo "$o" >> "$WORK/anchor_ossl"
		echo "$b" >> "$WORK/relay"
		echo "$f" >> "$WORK/iface"
		r=$((r + 1))
	done
	ma=$(bench_median %.0f < "$WORK/anchor")
	mo=$(bench_median %.0f < "$WORK/anchor_ossl")
	mr=$(bench_median %.0f < "$WORK/relay")
	mf=$(bench_median %.0f < "$WORK/iface")
	echo "relay AES_CM_128_HMAC_SHA1_$suite, median of $RUNS:" \
		"relayed $mr pkt/s/core ($(awk -v r="$mr" \
		'BEGIN { printf "%.0f", r / 100 }') concurrent G.711 calls/core)," \
		"raw libsrtp2 protect+unprotect $ma pkt/s with NSS" \
		"($(awk -v a="$ma" 'BEGIN { printf "%.0f", a / 100 }') calls)" \
		"and $mo pkt/s with OpenSSL primitives, our interface" \
		"$mf pkt/s; ratio $(awk -v r="$mr" -v a="$ma" \
		'BEGIN { printf "%.2f", r / a }') to NSS libsrtp2 (goal" \
		">= 0.80; anchor ~2,200 calls/core crypto, ~2,000 with I/O)," \
		"$(awk -v r="$mr" -v a="$mo" 'BEGIN { printf "%.2f", r / a }')" \
		"to OpenSSL libsrtp2 crypto alone"
done
