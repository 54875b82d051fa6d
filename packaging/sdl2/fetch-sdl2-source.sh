#!/bin/bash
# Fetch and unpack Debian's SDL2 source (the libsdl2 source package of the
# same version as the installed libsdl2-dev, the library the stub forwards
# to), for the parts of SDL that the guest stub compiles from SDL's own code.
#
#   packaging/sdl2/fetch-sdl2-source.sh          print the source directory
#   packaging/sdl2/fetch-sdl2-source.sh --help
#
# The unpacked source (Debian's patches applied) is cached in
#   ${LORELEI_CACHE_DIR:-~/.cache/qemu-lorelei}/sdl2-src/<version>/
# A warm cache prints the path at once, without the network or root. A cold
# one adds a deb-src entry for the suite the machine's apt sources use (the
# mirror URI is taken from them, as build-qemu.sh does) and runs
# `apt-get source`.
#
# Environment:
#   LORELEI_CACHE_DIR      cache root (default: ${XDG_CACHE_HOME:-~/.cache}/qemu-lorelei)
#   LORELEI_SDL2_VERSION   Debian source version (default: the installed libsdl2-dev's)
set -euo pipefail

readonly SOURCE_PACKAGE="libsdl2"
readonly BINARY_PACKAGE="libsdl2-dev"
readonly SOURCES_FILE=/etc/apt/sources.list.d/qemu-lorelei-sdl2-src.sources

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${LORELEI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-lorelei}

log() { printf 'fetch-sdl2-source: %s\n' "$*" >&2; }
# die WHAT WHY FIX: every failure says what happened, why, and what to do.
die() {
    printf 'fetch-sdl2-source: error: %s\n  why: %s\n  fix: %s\n' "$1" "$2" "$3" >&2
    exit 1
}

case ${1:-} in
    "") ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'" "fetch-sdl2-source.sh takes no arguments but --help" \
           "run 'packaging/sdl2/fetch-sdl2-source.sh --help'" ;;
esac

# The host's own (a machine may also have other architectures' copies).
version=${LORELEI_SDL2_VERSION:-$(dpkg-query -W -f='${source:Version}' \
    "$BINARY_PACKAGE:$(dpkg --print-architecture)" 2>/dev/null || true)}
[ -n "$version" ] || die "$BINARY_PACKAGE is not installed" \
    "the SDL2 source must be the version of the host's SDL2, which $BINARY_PACKAGE provides" \
    "run scripts/install-deps.sh (or apt-get install $BINARY_PACKAGE)"
# Versions reach paths and apt's command line: Debian's syntax only.
[[ $version =~ ^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$ ]] || die "'$version' is not a Debian version" \
    "LORELEI_SDL2_VERSION (or dpkg) gave something else" "unset LORELEI_SDL2_VERSION"

dir="$cache_root/sdl2-src/${version#*:}"
finish() { echo "$dir/src"; exit 0; }
# Warm: checked before any lock, apt or network.
[ -f "$dir/complete" ] && finish

mkdir -p "$cache_root/sdl2-src"
exec 9>"$cache_root/sdl2-src/.lock"
log "waiting for the lock ($cache_root/sdl2-src/.lock)"
flock 9
[ -f "$dir/complete" ] && finish

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        die "cannot run '$*'" "it needs root and sudo is not available without a password" \
            "run this script as root once, or run: sudo $*"
    fi
}

# The first suite of the machine's own Debian archive entry (deb822 *.sources
# or one-line *.list), the security archive skipped: the release whose
# libsdl2-dev is installed.
debian_suite() {
    local f suite
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        suite=$(awk 'BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; suite = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/) types = $i
                    else if ($i ~ /^Suites:/) { split($i, w, /[ \t]+/); suite = w[2] }
                }
                if (types ~ /[ \t]deb([ \t]|$)/ && suite != "" && suite !~ /-security/) { print suite; exit }
            }' "$f")
        [ -n "$suite" ] && { echo "$suite"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        suite=$(awk '$1 == "deb" && $0 !~ /security/ {
                   for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $(i + 1); exit } }' "$f")
        [ -n "$suite" ] && { echo "$suite"; return; }
    done
}

ensure_deb_src() {
    local uri suite
    uri=$("$here/../qemu/build-qemu.sh" --debian-uri) || exit 1
    suite=$(debian_suite)
    [ -n "$suite" ] || die "no Debian suite found in the apt sources" \
        "the suite is taken from the machine's Debian 'deb' entry in /etc/apt/sources.list{,.d/*}" \
        "add a Debian 'deb' source for your release, then run this script again"
    [[ $suite =~ ^[a-z0-9-]+$ ]] || die "the apt suite '$suite' is not a plain name" \
        "it is read from /etc/apt/sources.list{,.d/*}" "fix the apt sources"
    if [ -f "$SOURCES_FILE" ] && grep -qx "URIs: $uri" "$SOURCES_FILE" &&
        grep -qx "Suites: $suite" "$SOURCES_FILE"; then
        return 1
    fi
    log "adding deb-src $suite from $uri ($SOURCES_FILE)"
    as_root tee "$SOURCES_FILE" >/dev/null <<EOT
# Added by qemu-lorelei's packaging/sdl2/fetch-sdl2-source.sh: the source of
# this release's SDL2, parts of which the guest stub compiles.
Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
    return 0
}

# (Read whole: grep -q would close the pipe early, and pipefail see apt-cache die.)
listed() { grep -qx "Version: $version" <<<"$(apt-cache showsrc "$SOURCE_PACKAGE" 2>/dev/null)"; }

command -v dpkg-source >/dev/null || die "dpkg-source is missing" \
    "it unpacks Debian source packages and applies their patches" \
    "run scripts/install-deps.sh (or apt-get install dpkg-dev)"
if ensure_deb_src || ! listed; then
    log "apt-get update"
    as_root apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 || die "apt-get update failed" \
        "the Debian mirror could not be reached or a source is broken (see above)" \
        "check the network and /etc/apt/sources.list.d, then run this script again"
fi
listed || die "the mirror has no $SOURCE_PACKAGE source $version" \
    "apt-cache showsrc $SOURCE_PACKAGE lists only: $(apt-cache showsrc "$SOURCE_PACKAGE" 2>/dev/null |
        awk '/^Version:/ { printf "%s ", $2 }')" \
    "install the $BINARY_PACKAGE of a version the mirror serves, or set LORELEI_SDL2_VERSION"

work=$(mktemp -d "$cache_root/sdl2-src/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "fetching $SOURCE_PACKAGE $version (apt-get source)"
(cd "$work" && apt-get source --download-only -qq "$SOURCE_PACKAGE=$version" >&2) || die \
    "apt-get source $SOURCE_PACKAGE=$version failed" "the mirror did not serve the source package (see above)" \
    "check the network, then run this script again"
(cd "$work" && dpkg-source -x --no-check ./*.dsc src >&2) || die "dpkg-source -x failed" \
    "the source package could not be unpacked or Debian's patches did not apply" "see the messages above"
[ -f "$work/src/src/SDL.c" ] || die "the unpacked $SOURCE_PACKAGE has no src/SDL.c" \
    "the source package's layout is not SDL2's" "report it; set LORELEI_SDL2_VERSION to another version"

# Install atomically: a half-unpacked tree must never look complete.
rm -rf "$dir"
mkdir -p "$dir"
mv "$work/src" "$dir/src"
echo "$version" >"$dir/complete"
log "unpacked in $dir/src"
finish
