#!/bin/bash
# All benchmarks, one after the other: per-call transport costs, OpenGL
# (glmark2, testgl2), Vulkan (vkcube), OpenAL (al_bench), zlib and Vorbis
# (codec_bench), memcpy and memset (strings_bench), dynamic_cast (dyncast_bench), float code after 256-bit operations (ymm_bench) and the real games
# (bench/games: their packages from scripts/deps-games.txt, installed here).
# Each compares native, qemu-lorelei and plain qemu-x86_64 in one run and
# writes bench/out/<name>.json (+ .png).
# Takes about 20 minutes; run it on an otherwise idle machine.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/install-deps.sh
scripts/install-deps.sh scripts/deps-games.txt
scripts/build.sh build
for bench in bench-percall bench-gl bench-gl-gpu-free bench-vulkan bench-openal bench-codecs bench-strings bench-dyncast bench-ymm bench-games bench-games-gpu-free bench-launcher; do
    echo "=== $bench" >&2
    ninja -C build "$bench"
done
