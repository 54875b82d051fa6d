#!/bin/bash
# Build qemu-lorelei: the patched QEMU (cached), then the project in up to three
# meson build trees:
#   build/        gcc, warnings as errors: what the demo and most tests use
#   build-san/    gcc with ASan+UBSan: host-side tests under the sanitizers
#   build-clang/  clang, warnings as errors: a second compiler's warnings
# and, asked for by name, one for another host:
#   build-aarch64/  the host side (patched QEMU, plugin, preload shim,
#                 launcher, host halves) cross-compiled for aarch64 against
#                 Debian's arm64 packages (scripts/deps-arm64.txt), with the
#                 x86_64 guest side; tested under emulation (docs/aarch64.md)
#
#   scripts/build.sh                 the first three
#   scripts/build.sh build           just build/
# Each tree is configured once and rebuilt incrementally afterwards.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

qemu_prefix=$(packaging/qemu/build-qemu.sh --prefix)
# SDL's own source, for the guest-side parts of the SDL2 stub (cached).
sdl2_source=$(packaging/sdl2/fetch-sdl2-source.sh)
# The plugin is also compiled against a stock QEMU >= 11.1 header when Debian
# serves one; the reason it is not is kept for the test that reports it.
stock_header=$(packaging/qemu/fetch-stock-header.sh 2>"$top/.stock-header-reason") || stock_header=""
trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=(build build-san build-clang)

for tree in "${trees[@]}"; do
    prefix=$qemu_prefix
    case $tree in
        build) cc=gcc; extra=() ;;
        build-san) cc=gcc; extra=(-Db_sanitize=address,undefined -Db_lundef=false) ;;
        build-clang) cc=clang-14; extra=() ;;
        build-aarch64)
            cc=aarch64-linux-gnu-gcc
            extra=(--cross-file "$top/packaging/cross/aarch64-linux-gnu.ini")
            if ! command -v "$cc" >/dev/null || ! command -v qemu-aarch64-static >/dev/null ||
                [ ! -f /usr/lib/aarch64-linux-gnu/pkgconfig/sdl2.pc ]; then
                echo "build.sh: error: build-aarch64 needs the aarch64 cross compiler, qemu-user-static and Debian's arm64 packages" >&2
                echo "  why: $cc, qemu-aarch64-static or /usr/lib/aarch64-linux-gnu/pkgconfig/sdl2.pc is missing" >&2
                echo "  fix: scripts/install-deps.sh scripts/deps-arm64.txt (as root; it adds the arm64 architecture)" >&2
                exit 1
            fi
            prefix=$(packaging/qemu/build-qemu.sh --host aarch64 --prefix)
            ;;
        *) echo "build.sh: error: unknown tree '$tree' (build, build-san, build-clang, build-aarch64)" >&2; exit 1 ;;
    esac
    if [ ! -f "$tree/build.ninja" ]; then
        echo "build.sh: configuring $tree/ ($cc)" >&2
        # In a cross build the cross file names the host's compiler and CC
        # would be the build machine's: left to meson.
        cc_env=(CC="$cc")
        [ "$tree" != build-aarch64 ] || cc_env=()
        env "${cc_env[@]}" meson setup "$tree" --werror -Dqemu_prefix="$prefix" -Dsdl2_source_dir="$sdl2_source" \
            -Dstock_plugin_header_dir="$stock_header" "${extra[@]}" >&2
    else
        meson configure "$tree" -Dqemu_prefix="$prefix" -Dsdl2_source_dir="$sdl2_source" \
            -Dstock_plugin_header_dir="$stock_header" >/dev/null
    fi
    cp "$top/.stock-header-reason" "$tree/stock-header-reason.txt"
    echo "build.sh: building $tree/" >&2
    ninja -C "$tree" >&2
done
