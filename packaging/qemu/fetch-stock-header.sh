#!/bin/bash
# Find a stock QEMU >= 11.1 plugin header, so the plugin can be compiled
# against upstream's API as well as against our patched 10.0.
#
#   packaging/qemu/fetch-stock-header.sh
# Prints the directory holding qemu-plugin.h on stdout (exit 0), or the
# reason it is unavailable on stderr (exit 3). Uses the deb-src entries
# build-qemu.sh adds (run that first); caches under the same cache root.
set -uo pipefail
cache_root=${LORELEI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-lorelei}
readonly MIN_VERSION="1:11.1"

"$(dirname "${BASH_SOURCE[0]}")/build-qemu.sh" --apt-sources || exit 3

versions=$(apt-cache showsrc qemu 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -u)
best=""
for v in $versions; do
    if dpkg --compare-versions "$v" ge "$MIN_VERSION"; then
        if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    fi
done
if [ -z "$best" ]; then
    echo "no QEMU >= 11.1 source package is listed by apt (apt-cache showsrc qemu)" >&2
    exit 3
fi
dir="$cache_root/qemu/stock-header-${best#*:}"
if [ -f "$dir/qemu-plugin.h" ]; then echo "$dir"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get source --download-only -qq "qemu=$best" >"$work/log" 2>&1); then
    echo "apt lists QEMU $best, but the mirror did not serve its source ($(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$work/log" || echo 'download failed'))" >&2
    exit 3
fi
tarball=$(ls "$work"/qemu_*.orig.tar.* 2>/dev/null | head -n1)
member=$(tar -tf "$tarball" | grep -m1 -E '/include/(plugins|qemu)/qemu-plugin\.h$')
if [ -z "$member" ]; then
    echo "QEMU $best's source has no qemu-plugin.h" >&2
    exit 3
fi
mkdir -p "$dir.tmp" && tar -xf "$tarball" -C "$work" "$member" && cp "$work/$member" "$dir.tmp/qemu-plugin.h" &&
    rm -rf "$dir" && mv "$dir.tmp" "$dir" && echo "$dir"
