#!/bin/sh
# Dependencies point one way (doc/design.md): lib and fmt include nothing
# of ours but lib; cli only lib; media only lib; no service includes
# another service.
set -u
bad=0
check() { # dir allowed-prefixes...
	dir=$1
	shift
	for f in $(find "$dir" -name '*.[ch]' 2>/dev/null); do
		grep -h '^#include "' "$f" | sed 's/#include "\(.*\)"/\1/' |
		while read -r inc; do
			ok=0
			for a in "$@"; do
				case "$inc" in "$a"/*) ok=1 ;; esac
			done
			# The PKI service's public verbs (keys stay there).
			case "$inc" in svc/pki/pki_svc.h) ok=1 ;; esac
			[ "$ok" -eq 1 ] || echo "layering: $f includes $inc"
		done
	done
}
out=$( {
	check src/lib lib
	check src/fmt lib fmt
	check src/cli lib cli
	check src/call lib call
	# The media layer (SRTP sessions, the relay): lib and libraries only.
	check src/media lib media
	check src/config lib fmt cli config pki
	for s in src/svc/*/; do
		[ -d "$s" ] || continue
		name=$(basename "$s")
		check "$s" lib fmt cli config pki store call media daemon "svc/$name"
	done
} )
if [ -n "$out" ]; then
	echo "$out"
	bad=1
fi
[ "$bad" -eq 0 ] && echo "layering: clean"
exit "$bad"
