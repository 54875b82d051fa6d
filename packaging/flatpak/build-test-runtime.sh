#!/bin/bash
# Build (or reuse) the Debian-based Flatpak runtime the CI test builds
# qemu-lorelei against, offline: io.github.qemu_lorelei.Test.Platform and
# .Sdk, exported into a local OSTree repository. They stand in for
# org.freedesktop.Platform/Sdk, which cannot be downloaded here; the test
# manifest differs from the distributable one only in these ids
# (tests/flatpak/check_manifests.py holds it to that).
#
#   packaging/flatpak/build-test-runtime.sh          build or reuse; print the runtime folder
#   packaging/flatpak/build-test-runtime.sh --key    print the cache key only
#   packaging/flatpak/build-test-runtime.sh --help
#
# The folder holds:
#   repo/          OSTree repo with runtime/<Platform>/<arch>/<branch> and the Sdk
#   sysroot-debs/  x86_64 .debs (libc6, libgcc-s1) for a guest sysroot made inside the sandbox
#   BUILD-INFO     what was built, when and how long it took
# Platform: the dpkg -x closure of the libraries qemu-lorelei and its doctor
# load (glib, SDL2, cJSON, libarchive, libcurl, X11, GL/EGL/Vulkan with Mesa's
# software drivers). Sdk: debootstrap (minbase) with the build dependencies,
# plus meson >= 1.5 from bookworm-backports (QEMU 10.0 needs it).
# Nothing comes from Flathub: only Debian's archive is reachable. Cold: a few
# minutes, mostly downloads; warm: instant. Needs root (debootstrap) only when
# it builds.
#
# Environment:
#   LORELEI_CACHE_DIR   cache root (default: ${XDG_CACHE_HOME:-~/.cache}/qemu-lorelei)
set -euo pipefail

readonly PLATFORM_ID=io.github.qemu_lorelei.Test.Platform
readonly SDK_ID=io.github.qemu_lorelei.Test.Sdk
readonly BRANCH=bookworm
readonly SUITE=bookworm
readonly MESON_SUITE=bookworm-backports
# What the app loads at run time (doctor probes SDL2, GL through EGL, Vulkan, OpenAL, zlib,
# libvorbisfile and X11), and a shell with coreutils, as org.freedesktop.Platform has (flatpak run --command=sh).
readonly PLATFORM_PKGS=(libc6 libc-bin libglib2.0-0 libsdl2-2.0-0 libcjson1 libarchive13 libcurl4
    libx11-6 libxcb1 libgl1 libegl1 libvulkan1 libgl1-mesa-dri libglx-mesa0 libegl-mesa0
    mesa-vulkan-drivers libopenal1 zlib1g libvorbisfile3 bash coreutils)
# Pulled in by the closure but of no use without an init system or dpkg.
readonly PLATFORM_SKIP='libelogind0|sysvinit-utils|lsb-base'
# Build dependencies: QEMU's (packaging/qemu/build-qemu.sh BUILD_DEPS) and the
# project's (scripts/deps.txt's "host libraries" section, which
# tests/flatpak/check_manifests.py holds this list to), plus appstream-compose for flatpak-builder
# (appstream-util) and the SVG loader it reads the icon with (librsvg2-common).
readonly SDK_PKGS=(gcc libc6-dev make patch xz-utils pkg-config ninja-build flex bison python3
    python3-venv python3-clang-14 binutils file libglib2.0-dev libsdl2-dev libcjson-dev libarchive-dev
    libcurl4-openssl-dev libx11-dev libxcb1-dev libxrandr-dev libgl-dev libegl-dev libgles-dev
    libvulkan-dev khronos-api libopenal-dev zlib1g-dev libvorbis-dev appstream-util
    librsvg2-common ca-certificates)
# The guest sysroot test's packages (x86_64 .debs; see tests/flatpak).
readonly SYSROOT_PKGS=(libc6 libgcc-s1)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cache_root=${LORELEI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-lorelei}
arch=$(flatpak --default-arch 2>/dev/null || uname -m)

log() { printf 'build-test-runtime: %s\n' "$*" >&2; }
die() {
    printf 'build-test-runtime: error: %s\n  why: %s\n  fix: %s\n' "$1" "$2" "$3" >&2
    exit 1
}
t() { # t WHAT CMD...: run CMD, log how long it took
    local what=$1 s=$SECONDS
    shift
    "$@"
    log "$what: $((SECONDS - s)) s"
}

# The runtime's identity: this script's code (package lists and steps, not its
# comments) and the arch.
key() {
    { grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}"; echo "$arch"; } | sha256sum | cut -c1-16
}

case ${1:-} in
    --key) echo "$arch-$(key)"; exit 0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) die "unknown argument '$1'" "build-test-runtime.sh takes only --key or --help" \
           "run packaging/flatpak/build-test-runtime.sh --help" ;;
esac

out="$cache_root/flatpak/runtime-$arch-$(key)"
if [ -f "$out/BUILD-INFO" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache_root/flatpak"
exec 9>"$cache_root/flatpak/.runtime.lock"
log "waiting for the runtime lock"
flock 9
if [ -f "$out/BUILD-INFO" ]; then echo "$out"; exit 0; fi

[ "$(id -u)" = 0 ] || die "building the test runtime needs root" \
    "debootstrap creates device nodes and chowns files" \
    "run it once as root (later runs reuse $out)"
for tool in debootstrap flatpak apt-get dpkg; do
    command -v "$tool" >/dev/null || die "$tool is missing" "the runtime is built with it" \
        "run scripts/install-deps.sh"
done

# bookworm-backports (for meson) comes with build-qemu.sh's apt sources.
"$top/packaging/qemu/build-qemu.sh" --apt-sources
mirror=$("$top/packaging/qemu/build-qemu.sh" --debian-uri)

# Folders of runs that were killed (their PID is gone) are removed.
for stale in "$cache_root"/flatpak/runtime-*.tmp.*; do
    [ -d "$stale" ] && ! kill -0 "${stale##*.}" 2>/dev/null && rm -rf --one-file-system "$stale"
done
start=$SECONDS
work="$out.tmp.$$"
rm -rf --one-file-system "$work"
mkdir -p "$work"
trap 'cd /; rm -rf --one-file-system "$work"' EXIT
cd "$work"

# apt-get download, refreshing the package lists once if apt does not know a package.
download() {
    if ! apt-get download -qq "$@" >/dev/null 2>download.log; then
        log "apt-get download failed; refreshing the package lists once"
        apt-get update -qq >&2 || true
        apt-get download -qq "$@" >/dev/null 2>download.log || {
            cat download.log >&2
            die "apt-get download $* failed" "the Debian mirror ($mirror) did not serve them" \
                "check the network and the apt sources, then run this again"
        }
    fi
}

# ---- Platform ------------------------------------------------------------------
# Only this architecture's packages: with a foreign architecture configured
# (dpkg --add-architecture arm64), apt-cache also lists its variants
# (libc6:arm64), whose files do not belong in the runtime, and whose .debs the
# guest sysroot test would then get (and `sysroot create` refuses).
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "${PLATFORM_PKGS[@]}" | grep -v '^[ <]' | grep -v ':' | sort -u |
    grep -vxE "$PLATFORM_SKIP" >platform-pkgs.txt
mkdir -p debs x platform/usr platform/files
(cd debs && t "download $(wc -l <../platform-pkgs.txt) Platform packages" download $(cat ../platform-pkgs.txt))
for d in debs/*.deb; do dpkg -x "$d" x; done
# Merged /usr, as flatpak runtimes are.
for d in bin sbin lib lib64; do
    if [ -d "x/$d" ] && [ ! -L "x/$d" ]; then mkdir -p "x/usr/$d"; cp -a "x/$d/." "x/usr/$d/"; fi
done
cp -a x/usr/. platform/usr/
cp -a x/etc platform/usr/etc
rm -rf platform/usr/share/{doc,man,lintian,info,locale}
ln -sf ../sbin/ldconfig platform/usr/bin/ldconfig
# https for `profile sync`: Debian's CA bundle (update-ca-certificates' output,
# made by hand since no maintainer script runs).
(cd debs && download ca-certificates)
dpkg -x debs/ca-certificates_*.deb ca
mkdir -p platform/usr/etc/ssl/certs
cat ca/usr/share/ca-certificates/mozilla/*.crt >platform/usr/etc/ssl/certs/ca-certificates.crt
mkdir -p sysroot-debs
for p in "${SYSROOT_PKGS[@]}"; do cp debs/"${p}"_*.deb sysroot-debs/; done
rm -rf x ca debs

# ---- Sdk -----------------------------------------------------------------------
include=$(IFS=,; echo "${SDK_PKGS[*]}")
s=$SECONDS
debootstrap --variant=minbase --merged-usr --include="$include" "$SUITE" sdkroot "$mirror" \
    >debootstrap.log 2>&1 || {
    tail -n 30 debootstrap.log >&2
    die "debootstrap of the Sdk failed" "see its log above" "check the mirror ($mirror) and run again"
}
log "debootstrap the Sdk: $((SECONDS - s)) s"
mkdir -p meson-deb && (cd meson-deb && download "meson/$MESON_SUITE")
dpkg -x meson-deb/meson_*.deb sdkroot
mkdir -p sdk/files
cp -a sdkroot/usr sdk/
cp -a sdkroot/etc sdk/usr/etc
rm -rf sdk/usr/share/{doc,man,info,locale}
ln -sf ../sbin/ldconfig sdk/usr/bin/ldconfig
rm -rf sdkroot meson-deb
chmod -R a+rX platform sdk

# ---- export --------------------------------------------------------------------
for part in platform sdk; do
    id=$PLATFORM_ID
    [ "$part" = sdk ] && id=$SDK_ID
    printf '[Runtime]\nname=%s\nruntime=%s/%s/%s\nsdk=%s/%s/%s\n' "$id" \
        "$PLATFORM_ID" "$arch" "$BRANCH" "$SDK_ID" "$arch" "$BRANCH" >"$part/metadata"
    t "export $id" flatpak build-export --arch="$arch" --runtime --no-update-summary repo "$part" "$BRANCH" >/dev/null
    rm -rf "$part"
done
flatpak build-update-repo repo >/dev/null
cat >BUILD-INFO <<EOF
platform=$PLATFORM_ID/$arch/$BRANCH
sdk=$SDK_ID/$arch/$BRANCH
debian_suite=$SUITE
mirror=$mirror
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$((SECONDS - start))
EOF
cd /
trap - EXIT
rm -rf "$out"
mv "$work" "$out"
log "built $out in $((SECONDS - start)) s"
echo "$out"
