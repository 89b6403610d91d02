#!/bin/sh
# Build every libFuzzer target into build-fuzz/ (clang, ASan+UBSan).
# Run one: build-fuzz/fuzz_config -max_total_time=60 tests/fuzz/corpus/fuzz_config
set -eu
out=build-fuzz
mkdir -p "$out"
flags="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc $(pkg-config --cflags libxml-2.0)"
libs="$(pkg-config --libs libssl libcrypto libevent libevent_openssl sqlite3 libxml-2.0 libsrtp2)"
srcs=$(ls src/lib/*.c src/fmt/*.c src/cli/*.c src/config/*.c src/pki/*.c \
	src/store/*.c src/call/*.c src/media/*.c src/svc/*/*.c src/daemon/*.c 2>/dev/null |
	grep -v '^src/daemon/main.c$' || true)
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	# shellcheck disable=SC2086
	clang $flags -o "$out/$name" "$t" $srcs $libs
	echo "built $out/$name"
done
