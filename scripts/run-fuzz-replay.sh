#!/bin/sh
# Replay each fuzz target's seed corpus (tests/fuzz/corpus/<target>/).
set -u
build=$1
passed=0
failed=0
for bin in "$build"/tests/replay_fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^replay_//')
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ]; then
		echo "fuzz-replay: $name has no seed corpus ($corpus)"
		failed=$((failed + 1))
		continue
	fi
	if "$bin" "$corpus" >/dev/null; then
		passed=$((passed + 1))
	else
		echo "fuzz-replay: FAILED: $name"
		failed=$((failed + 1))
	fi
done
echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
