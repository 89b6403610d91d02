#!/bin/sh
# Fail when a C file is not clang-format clean (.clang-format at the top).
set -u
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find src tools tests bench -name '*.[ch]')
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files 2>/tmp/opencme-format.$$; then
	head -40 /tmp/opencme-format.$$
	rm -f /tmp/opencme-format.$$
	echo "format: run 'make format'"
	exit 1
fi
rm -f /tmp/opencme-format.$$
echo "format: clean"
