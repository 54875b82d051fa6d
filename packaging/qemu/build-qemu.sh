#!/bin/bash
# Build qemu-x86_64 with qemu-lorelei's syscall-filter patch series and install it
# into a cache prefix keyed by QEMU version + hash of the patch series.
#
#   packaging/qemu/build-qemu.sh            build (or reuse) and print the qemu-x86_64 path
#   packaging/qemu/build-qemu.sh --prefix   print the install prefix instead
#   packaging/qemu/build-qemu.sh --host aarch64 [--prefix]
#                                           the same qemu-x86_64 built to run on an
#                                           aarch64 host (cross-compiled here with
#                                           gcc-aarch64-linux-gnu and arm64 glib)
#   packaging/qemu/build-qemu.sh --apt-sources  only add the apt sources it needs
#   packaging/qemu/build-qemu.sh --debian-uri   print the Debian archive URI apt uses
#   packaging/qemu/build-qemu.sh --help
#
# The cache key is the version + patch series + configure flags; a build for
# another host than this machine adds the host's name (…-aarch64), so the
# native key stays what it was.
# Idempotent: a warm cache prints only the path (logs go to stderr) and takes
# well under a second. The source is Debian trixie's QEMU 10.0.x, fetched with
# `apt-get source` from the same Debian mirror the machine's apt sources use.
#
# Environment:
#   LORELEI_CACHE_DIR      cache root (default: ${XDG_CACHE_HOME:-~/.cache}/qemu-lorelei)
#   LORELEI_QEMU_VERSION   Debian source version to build (default: the pin below)
#   LORELEI_KEEP_QEMU_BUILD=1  keep the build tree (for working on the patches)
set -euo pipefail

readonly PINNED_VERSION="1:10.0.13+ds-0+deb13u1"
readonly SOURCE_SUITE="trixie"
readonly MESON_SUITE="bookworm-backports"
readonly MIN_MESON="1.5"
readonly CONFIGURE_FLAGS=(--target-list=x86_64-linux-user --enable-plugins --disable-system
    --disable-tools --disable-docs --disable-install-blobs --disable-werror
    --disable-download --python=/usr/bin/python3)
readonly BUILD_DEPS=(dpkg-dev ninja-build python3-venv libglib2.0-dev flex bison
    pkg-config gcc make xz-utils patch)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
patch_dir="$here/patches"
cache_root=${LORELEI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-lorelei}
want_version=${LORELEI_QEMU_VERSION:-$PINNED_VERSION}
print_prefix=0
sources_only=0
print_uri=0
build_arch=$(uname -m)
host_arch=$build_arch

log() { printf 'build-qemu: %s\n' "$*" >&2; }
# die WHAT WHY FIX: every failure says what happened, why, and what to do.
die() {
    printf 'build-qemu: error: %s\n  why: %s\n  fix: %s\n' "$1" "$2" "$3" >&2
    exit 1
}
usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
        --host)
            [ $# -gt 0 ] || die "--host needs an architecture" "the host is the machine QEMU will run on" \
                "give one: --host aarch64 (or x86_64, this machine's)"
            host_arch=$1
            shift
            ;;
        --host=*) host_arch=${arg#--host=} ;;
        --prefix) print_prefix=1 ;;
        --apt-sources) sources_only=1 ;;
        --debian-uri) print_uri=1; sources_only=1 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument '$arg'" "build-qemu.sh takes only --host ARCH, --prefix, --apt-sources, --debian-uri or --help" \
               "run 'packaging/qemu/build-qemu.sh --help'" ;;
    esac
done

# Cross-compiling for another host: its GNU triplet, Debian architecture and
# the extra configure flags (part of the cache key, like all flags).
cross_flags=()
cross_deps=()
if [ "$host_arch" != "$build_arch" ]; then
    case $host_arch in
        aarch64) cross_triplet=aarch64-linux-gnu; cross_dpkg_arch=arm64 ;;
        *) die "cannot build QEMU for a $host_arch host on this $build_arch machine" \
               "build-qemu.sh knows how to cross-compile only for aarch64" \
               "build on a $host_arch machine itself (without --host), or use --host aarch64" ;;
    esac
    cross_flags=(--cross-prefix=$cross_triplet-)
    cross_deps=(gcc-$cross_triplet "libglib2.0-dev:$cross_dpkg_arch")
fi

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

# The patches for this host, in order: patches/series, then
# patches/series.<host> when the host needs more (series.aarch64: what only a
# host whose pages can be larger than the guest's runs; series.x86_64: TCG's
# x86 back end, whose 256-bit registers only an x86_64 host has).
patch_list() {
    cat "$patch_dir/series"
    if [ -f "$patch_dir/series.$host_arch" ]; then cat "$patch_dir/series.$host_arch"; fi
}

# The patch series' identity: the patches themselves, their order and how we
# configure. Any change to these gives a new cache key.
series_hash() {
    {
        # (Written as it was before per-host series existed, so a host
        # without one keeps its key.)
        cat "$patch_dir/series"
        if [ -f "$patch_dir/series.$host_arch" ]; then cat "$patch_dir/series.$host_arch"; fi
        while read -r p; do cat "$patch_dir/$p"; done < <(patch_list)
        printf '%s\n' "${CONFIGURE_FLAGS[@]}"
        # Only a cross build adds flags: the native key is unchanged by them.
        [ ${#cross_flags[@]} -eq 0 ] || printf '%s\n' "${cross_flags[@]}"
    } | sha256sum | cut -c1-16
}

# Cache key uses the Debian version without the epoch (':' is awkward in paths).
key_for() {
    printf '%s-%s' "${1#*:}" "$(series_hash)"
    [ "$host_arch" = "$build_arch" ] || printf -- '-%s' "$host_arch"
}

finish() {
    local prefix=$1
    if [ "$print_prefix" = 1 ]; then echo "$prefix"; else echo "$prefix/bin/qemu-x86_64"; fi
    exit 0
}

# Defined further down; --apt-sources skips straight to them.
if [ "$sources_only" = 0 ]; then
# Fast path: the pinned (or requested) version is already built. Checked before
# touching apt so a warm run needs neither the network nor root.
warm_prefix="$cache_root/qemu/$(key_for "$want_version")"
if [ -x "$warm_prefix/bin/qemu-x86_64" ] && [ -f "$warm_prefix/include/qemu-plugin.h" ]; then
    finish "$warm_prefix"
fi
# A fallback build of another 10.0.x (see resolve_version) leaves a marker.
if [ -f "$cache_root/qemu/fallback-$(series_hash)" ]; then
    fb=$(cat "$cache_root/qemu/fallback-$(series_hash)")
    [ -x "$fb/bin/qemu-x86_64" ] && finish "$fb"
fi

mkdir -p "$cache_root/qemu"
exec 9>"$cache_root/qemu/.lock"
log "waiting for the build lock ($cache_root/qemu/.lock)"
flock 9
# Another run may have finished the build while we waited.
[ -x "$warm_prefix/bin/qemu-x86_64" ] && finish "$warm_prefix"
fi

# ---- apt sources --------------------------------------------------------------
# The Debian archive URI this machine already uses, taken from its apt sources
# (deb822 *.sources or one-line *.list); the security archive is skipped.
debian_uri() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Paragraph mode: one stanza per record; take the first plain "deb"
        # stanza that is not the security archive.
        uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; uri = ""; suites = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/) types = $i
                    else if ($i ~ /^URIs:/) { split($i, w, /[ \t]+/); uri = w[2] }
                    else if ($i ~ /^Suites:/) suites = $i
                }
                if (types ~ /[ \t]deb([ \t]|$)/ && uri != "" && suites !~ /-security/) { print uri; exit }
            }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk '$1 == "deb" && $0 !~ /security/ {
                   for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
        [ -n "$uri" ] && { echo "$uri"; return; }
    done
}

readonly lorelei_sources=/etc/apt/sources.list.d/qemu-lorelei-build.sources
ensure_apt_sources() {
    local uri
    if [ -f "$lorelei_sources" ] && grep -q "^Suites: $SOURCE_SUITE $SOURCE_SUITE-backports\$" "$lorelei_sources"; then
        return 1
    fi
    uri=$(debian_uri)
    [ -n "$uri" ] || die "no Debian archive found in the apt sources" \
        "build-qemu.sh derives the mirror URI from /etc/apt/sources.list{,.d/*} and found none" \
        "add a Debian 'deb' source for your release, then run this script again"
    log "adding deb-src $SOURCE_SUITE and deb $MESON_SUITE from $uri"
    as_root tee "$lorelei_sources" >/dev/null <<EOF
# Added by qemu-lorelei's packaging/qemu/build-qemu.sh: QEMU 10.0 source from
# Debian $SOURCE_SUITE (and a newer QEMU's plugin header from its backports,
# see fetch-stock-header.sh), and meson >= $MIN_MESON from $MESON_SUITE.
Types: deb-src
URIs: $uri
Suites: $SOURCE_SUITE $SOURCE_SUITE-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: $MESON_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    return 0
}

apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return
    log "apt-get update"
    as_root apt-get update -qq >&2 || die "apt-get update failed" \
        "the Debian mirror could not be reached or a source is broken (see above)" \
        "check the network and /etc/apt/sources.list.d, then run this script again"
    apt_updated=1
}

version_ge() { dpkg --compare-versions "$1" ge "$2"; }

ensure_build_deps() {
    local missing=() p
    if [ ${#cross_deps[@]} -gt 0 ] && [ "$cross_dpkg_arch" != "$(dpkg --print-architecture)" ] &&
        ! dpkg --print-foreign-architectures | grep -qx "$cross_dpkg_arch"; then
        log "adding the $cross_dpkg_arch architecture to dpkg (for libglib2.0-dev:$cross_dpkg_arch)"
        as_root dpkg --add-architecture "$cross_dpkg_arch"
        apt_updated=0
        apt_update
    fi
    for p in "${BUILD_DEPS[@]}" "${cross_deps[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    local meson_ok=0
    if command -v meson >/dev/null && version_ge "$(meson --version)" "$MIN_MESON"; then meson_ok=1; fi
    if [ ${#missing[@]} -eq 0 ] && [ "$meson_ok" = 1 ]; then return; fi
    apt_update
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing build dependencies: ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >&2 || die "installing ${missing[*]} failed" "apt-get reported an error (see above)" \
            "install them by hand with apt-get and run this script again"
    fi
    if [ "$meson_ok" = 0 ]; then
        log "installing meson >= $MIN_MESON from $MESON_SUITE"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t "$MESON_SUITE" meson >&2 ||
            die "installing meson from $MESON_SUITE failed" "QEMU 10.0 needs meson >= $MIN_MESON; Debian 12 ships 1.0" \
                "enable $MESON_SUITE in apt and run: apt-get install -t $MESON_SUITE meson"
        version_ge "$(meson --version)" "$MIN_MESON" || die "meson $(meson --version) is too old" \
            "QEMU 10.0 needs meson >= $MIN_MESON" "install meson from $MESON_SUITE"
    fi
}

# The pinned version, or (if the mirror no longer has it) the newest 10.0.x
# trixie offers. Prints the version to build.
resolve_version() {
    local avail
    avail=$(apt-cache showsrc qemu 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -u)
    if grep -qxF "$want_version" <<<"$avail"; then echo "$want_version"; return; fi
    local best
    best=$(grep -E '^1:10\.0\.' <<<"$avail" | sort -V | tail -n1 || true)
    [ -n "$best" ] || die "QEMU source $want_version is not available, nor any 10.0.x" \
        "apt-cache showsrc qemu lists only: $(tr '\n' ' ' <<<"$avail")" \
        "check that deb-src $SOURCE_SUITE is enabled ($lorelei_sources) and run apt-get update"
    log "warning: pinned $want_version is gone from the mirror; building $best instead"
    echo "$best"
}

if [ "$print_uri" = 1 ]; then
    uri=$(debian_uri)
    [ -n "$uri" ] || die "no Debian archive found in the apt sources" \
        "build-qemu.sh derives the mirror URI from /etc/apt/sources.list{,.d/*} and found none" \
        "add a Debian 'deb' source for your release"
    echo "$uri"
    exit 0
fi
if ensure_apt_sources; then apt_update; fi
[ "$sources_only" = 1 ] && exit 0
ensure_build_deps
if ! apt-cache showsrc qemu 2>/dev/null | grep -q '^Version: 1:10\.0\.'; then apt_update; fi
version=$(resolve_version)
prefix="$cache_root/qemu/$(key_for "$version")"
[ -x "$prefix/bin/qemu-x86_64" ] && finish "$prefix"

# ---- fetch, patch, build --------------------------------------------------------
work=$(mktemp -d "$cache_root/qemu/build.XXXXXX")
cleanup() { [ "${LORELEI_KEEP_QEMU_BUILD:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
start=$(date +%s)

log "fetching QEMU source $version (apt-get source)"
(cd "$work" && apt-get source --download-only -qq "qemu=$version" >&2 2>&1) || die \
    "apt-get source qemu=$version failed" "the mirror did not serve the source package (see above)" \
    "check the network; set LORELEI_QEMU_VERSION to a version 'apt-cache showsrc qemu' lists"
log "unpacking and applying Debian's patches (dpkg-source -x)"
(cd "$work" && dpkg-source -x --no-check ./*.dsc src >&2) || die "dpkg-source -x failed" \
    "the source package could not be unpacked or Debian's patches did not apply" "see the messages above"

log "applying qemu-lorelei's patch series"
while read -r p; do
    [ -n "$p" ] || continue
    if ! patch -d "$work/src" -p1 --forward --batch --quiet <"$patch_dir/$p" >&2; then
        die "patch $p does not apply to QEMU $version" \
            "the source differs from the one the series was written against" \
            "rebase packaging/qemu/patches onto $version (or pin LORELEI_QEMU_VERSION=$PINNED_VERSION)"
    fi
done < <(patch_list)

log "configuring (${CONFIGURE_FLAGS[*]} ${cross_flags[*]})"
mkdir -p "$work/build"
# A cross build finds the host's glib through the triplet's pkg-config
# (Debian's pkgconf reads /usr/lib/<triplet>/pkgconfig for it).
(cd "$work/build" && ../src/configure --prefix="$prefix" "${CONFIGURE_FLAGS[@]}" \
    ${cross_flags[@]+"${cross_flags[@]}"} >"$work/configure.log" 2>&1) || {
    tail -n 30 "$work/configure.log" >&2
    die "configuring QEMU failed" "see the end of configure's log above" \
        "install what it names (apt-get install ...) and run this script again"
}
log "building qemu-x86_64 for $host_arch (a cold build takes a few minutes)"
(cd "$work/build" && ninja -j"$(nproc)" qemu-x86_64 >"$work/build.log" 2>&1) || {
    tail -n 40 "$work/build.log" >&2
    die "building qemu-x86_64 failed" "see the compiler output above" "fix the patch series and run again"
}

# Install atomically: a half-written prefix must never look like a cache hit.
staging="$prefix.tmp.$$"
rm -rf "$staging"
mkdir -p "$staging/bin" "$staging/include"
install -m 0755 "$work/build/qemu-x86_64" "$staging/bin/qemu-x86_64"
install -m 0644 "$work/src/include/qemu/qemu-plugin.h" "$staging/include/qemu-plugin.h"
cat >"$staging/BUILD-INFO" <<EOF
qemu_version=$version
patch_series_hash=$(series_hash)
configure_flags=${CONFIGURE_FLAGS[*]} ${cross_flags[*]}
host_arch=$host_arch
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$(($(date +%s) - start))
EOF
rm -rf "$prefix"
mv "$staging" "$prefix"
if [ "$version" != "$want_version" ]; then echo "$prefix" >"$cache_root/qemu/fallback-$(series_hash)"; fi
log "installed $prefix in $(($(date +%s) - start)) s"
finish "$prefix"
