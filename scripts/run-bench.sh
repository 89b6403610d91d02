#!/bin/sh
# Run every benchmark: bench/run-*.sh BUILD, one after the other (they pin
# to CPUs and must not overlap).  Each builds its own client against
# BUILD/libopencme.a and prints its figure beside the anchor measured in
# the same run (engineering.md 2.8).  Exit status: 1 if any failed.
#
#   scripts/run-bench.sh [BUILD]     (BUILD defaults to build)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

if [ ! -f "$BUILD/libopencme.a" ] || [ ! -x "$BUILD/opencmed" ]; then
	echo "run-bench: $BUILD has no libopencme.a/opencmed (run make)" >&2
	exit 1
fi

fail=0
count=0
for b in "$ROOT"/bench/run-*.sh; do
	[ -f "$b" ] || continue
	count=$((count + 1))
	echo "== $(basename "$b")"
	if ! sh "$b" "$BUILD"; then
		echo "run-bench: $(basename "$b") FAILED" >&2
		fail=1
	fi
	echo
done
if [ $count -eq 0 ]; then
	echo "run-bench: no bench/run-*.sh" >&2
	exit 1
fi
exit $fail
