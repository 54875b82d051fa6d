#!/bin/bash
# Install the Debian packages listed in scripts/deps.txt (or the list given,
# e.g. scripts/deps-arm64.txt) that are missing. Names with an architecture
# (libc6:arm64) make dpkg accept that architecture first.
# Idempotent: when everything is installed it only checks, in about a second.
# Needs root (or password-less sudo) only when something must be installed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=${1:-$here/deps.txt}

mapfile -t wanted < <(sed 's/#.*//' "$list" | tr -s ' \t' '\n' | sed '/^$/d')
missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else
    echo "install-deps: error: missing packages: ${missing[*]}" >&2
    echo "  why: installing them needs root, and sudo is not available without a password" >&2
    echo "  fix: run as root: apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get that waits for another apt or dpkg to finish instead of failing.
apt_get() { "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 "$@"; }
# Foreign architectures the list names (multiarch): dpkg must know them, and
# apt only has their package lists after an update.
need_update=0
for arch in $(printf '%s\n' "${missing[@]}" | sed -n 's/.*:\([a-z0-9]*\)$/\1/p' | sort -u); do
    if [ "$arch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        echo "install-deps: adding the $arch architecture to dpkg (multiarch)" >&2
        "${sudo[@]}" dpkg --add-architecture "$arch"
        need_update=1
    fi
done
[ "$need_update" = 0 ] || apt_get update -qq >&2
# Only refresh the package lists when apt cannot find a package.
if ! apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    apt_get update -qq >&2
    apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
        echo "install-deps: error: apt-get could not install: ${missing[*]}" >&2
        echo "  fix: check the apt sources and network, then run scripts/install-deps.sh again" >&2
        exit 1
    }
fi
