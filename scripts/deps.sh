#!/bin/sh
# Install the Debian 12 packages OpenCME needs, only when some are missing.
#   scripts/deps.sh run    build and run (make demo)
#   scripts/deps.sh test   also the test tools (make test)
set -eu
mode=${1:-run}
pkgs="gcc make pkg-config libssl-dev openssl libevent-dev libsqlite3-dev
libxml2-dev libsrtp2-dev libedit-dev tftp-hpa"
if [ "$mode" = test ]; then
	pkgs="$pkgs libcmocka-dev python3 python3-pytest python3-cryptography
clang libclang-rt-14-dev clang-format tftp-hpa curl libxml2-utils tmux
scep"
fi
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
