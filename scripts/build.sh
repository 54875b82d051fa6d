#!/bin/bash
# Build qemu-lorelei: the patched QEMU (cached), then the project in up to three
# meson build trees:
#   build/        gcc, warnings as errors: what the demo and most tests use
#   build-san/    gcc with ASan+UBSan: host-side tests under the sanitizers
#   build-clang/  clang, warnings as errors: a second compiler's warnings
#
#   scripts/build.sh                 all three
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
    case $tree in
        build) cc=gcc; extra=() ;;
        build-san) cc=gcc; extra=(-Db_sanitize=address,undefined -Db_lundef=false) ;;
        build-clang) cc=clang-14; extra=() ;;
        *) echo "build.sh: error: unknown tree '$tree' (build, build-san, build-clang)" >&2; exit 1 ;;
    esac
    if [ ! -f "$tree/build.ninja" ]; then
        echo "build.sh: configuring $tree/ ($cc)" >&2
        CC=$cc meson setup "$tree" --werror -Dqemu_prefix="$qemu_prefix" -Dsdl2_source_dir="$sdl2_source" \
            -Dstock_plugin_header_dir="$stock_header" "${extra[@]}" >&2
    else
        meson configure "$tree" -Dqemu_prefix="$qemu_prefix" -Dsdl2_source_dir="$sdl2_source" \
            -Dstock_plugin_header_dir="$stock_header" >/dev/null
    fi
    cp "$top/.stock-header-reason" "$tree/stock-header-reason.txt"
    echo "build.sh: building $tree/" >&2
    ninja -C "$tree" >&2
done
