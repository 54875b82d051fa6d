#!/bin/bash
# The aarch64 lane's x86_64 sysroot (docs/aarch64.md, "The sysroot"): made
# from Debian's archive by the x86_64 tree's launcher, as a user of an
# aarch64 host makes theirs:
#
#   qemu-lorelei sysroot create lane-SUITE --from-debian SUITE --package P...
#
# SUITE is the release this machine's apt sources point at (the x86_64
# programs the lane runs come from it, so their libc needs match); the
# launcher takes the mirror from the same sources. The sysroot is kept
# outside the repository, under
#   ~/.cache/qemu-lorelei/lane-sysroot/KEY/qemu-lorelei/sysroots/lane-SUITE
# (that KEY folder is the launcher's XDG_DATA_HOME while it creates it), KEY
# being a hash of its inputs: the suite, the packages and the launcher's
# source. Warm, nothing is downloaded or written; the .debs themselves are
# cached by the launcher (~/.cache/qemu-lorelei/debs).
#
#   scripts/lane-sysroot.sh      prints the sysroot's path on stdout
#
# Exit status non-zero, saying why, when it cannot be made: the lane never
# falls back to this machine's own root.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

log() { echo "lane-sysroot.sh: $*" >&2; }
die() {
    echo "lane-sysroot.sh: error: $1" >&2
    echo "  why: $2" >&2
    echo "  fix: $3" >&2
    exit 1
}

# What the lane's x86_64 guest programs need beyond the launcher's default
# set (lo_game_packages), from their DT_NEEDED entries; libSDL2, libGL*,
# libEGL and libvulkan are the project's stubs and never come from here.
#   libwayland-client0  vulkaninfo (vulkan-tools)
#   libxcb1             vulkaninfo, vkcube (also pulled in by libx11-6)
#   libc-bin            the C.UTF-8 locale (/usr/lib/locale/C.utf8), which
#                       a program calling setlocale(LC_ALL, "") maps with
#                       LANG=C.UTF-8; the launcher leaves this Essential
#                       package out, and without it those files came from
#                       this machine (the leak check found them)
packages=(libwayland-client0 libxcb1 libc-bin)

# The first suite of the first plain "deb" source that is not the security
# archive or a -updates/-backports pocket (deb822 .sources, then one-line .list).
apt_suite() {
    local f suite
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        suite=$(awk 'BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; suites = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/) types = $i
                    else if ($i ~ /^Suites:/) suites = $i
                }
                if (types !~ /[ \t]deb([ \t]|$)/) next
                n = split(suites, w, /[ \t]+/)
                for (j = 2; j <= n; j++) if (w[j] !~ /-/) { print w[j]; exit }
            }' "$f")
        [ -n "$suite" ] && { echo "$suite"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        suite=$(awk '$1 == "deb" {
                   for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) !~ /-/) { print $(i + 1); exit } } }' "$f")
        [ -n "$suite" ] && { echo "$suite"; return; }
    done
}

suite=$(apt_suite)
[ -n "$suite" ] || die "no Debian suite found in this machine's apt sources" \
    "the lane's sysroot is made from the release the apt sources point at, and /etc/apt/sources.list{,.d/*} name none" \
    "add a Debian 'deb' source for your release (e.g. bookworm), then run this again"
[[ $suite =~ ^[a-z][a-z0-9.+-]*$ ]] || die "the apt sources name the suite '$suite'" \
    "that is not a Debian suite name" "fix the Suites: line of the first 'deb' source"

# The x86_64 tree's launcher makes it (tests/run.sh builds build/ first;
# alone, the launcher is built here).
launcher=$top/build/launcher/qemu-lorelei
if [ -f build/build.ninja ]; then
    ninja -C build launcher/qemu-lorelei >&2 ||
        die "the x86_64 launcher does not build" "ninja -C build launcher/qemu-lorelei failed (above)" \
            "fix the build error, then run this again"
else
    log "build/ (the x86_64 tree, whose launcher makes the sysroot) is not configured: building it"
    scripts/build.sh build ||
        die "the x86_64 tree does not build" "scripts/build.sh build failed (above)" \
            "fix the build error, then run this again"
fi

key=$( { printf '%s\n' "$suite" "${packages[@]}"; cat launcher/*.c launcher/*.h; } |
    sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/qemu-lorelei/lane-sysroot
data=$cache/$key
name=lane-$suite
sysroot=$data/qemu-lorelei/sysroots/$name
mkdir -p "$data"
# Two lanes at once (other worktrees) make it once; the second waits.
exec 9>"$data/lock"
flock 9

if [ -d "$sysroot" ]; then
    log "$name: cached ($sysroot)"
else
    log "$name: creating from Debian $suite (packages beyond the default set: ${packages[*]})"
    start=$(date +%s)
    pkg_args=()
    for p in "${packages[@]}"; do pkg_args+=(--package "$p"); done
    # The launcher writes into a temporary folder and renames it at the
    # end: an interrupted or failed run leaves no half sysroot.
    run_launcher() { XDG_DATA_HOME=$data "$launcher" "$@"; }
    run_launcher sysroot create "$name" --from-debian "$suite" "${pkg_args[@]}" >&2 ||
        die "the lane's sysroot could not be made from Debian's archive" \
            "qemu-lorelei sysroot create $name --from-debian $suite failed (its message is above)" \
            "fix what it names (the mirror in the apt sources, the network, debian-archive-keyring), then run this again"
    log "$name: created in $(($(date +%s) - start)) s"
fi
touch "$data/last-used"

# Sysroots of earlier inputs (another launcher, other packages) unused for
# two weeks go: each is ~40 MiB, and a new launcher source makes a new one.
find "$cache" -mindepth 2 -maxdepth 2 -name last-used -mtime +14 -printf '%h\n' |
    while read -r old; do
        [ "$old" = "$data" ] || { log "removing the unused $old"; rm -rf "$old"; }
    done

echo "$sysroot"
