#!/bin/bash
# Run every qemu-lorelei test. Installs what is missing, builds what is stale,
# runs the suites in each build tree, and ends with the line "N passed, N failed".
#
#   tests/run.sh                  everything
#   tests/run.sh SUITE...         only these meson suites (e.g. filter-api;
#                                 aarch64, aarch64-4k or aarch64-16k: the
#                                 aarch64 lane, docs/aarch64.md)
#   tests/run.sh games            every real game (installs scripts/deps-games.txt)
# Exit status: 0 when nothing failed.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

extra_failed=()
scripts/install-deps.sh || extra_failed+=("scripts/install-deps.sh")

# The x86_64 trees' suites and the aarch64 lane's (build-aarch64) apart.
suites=()
lane_suites=()
for s in "$@"; do
    case $s in
        aarch64*) lane_suites+=(--suite "$s") ;;
        *) suites+=(--suite "$s") ;;
    esac
done
only_lane=0
[ $# -gt 0 ] && [ ${#suites[@]} -eq 0 ] && only_lane=1
[ $# -gt 0 ] || lane_suites=(--suite aarch64)
# The real games' data is large: installed only when their suite is asked
# for by name (the default run plays the two small games of deps.txt and
# says why it skips the others).
if [[ " $* " == *" games "* ]]; then
    scripts/install-deps.sh scripts/deps-games.txt ||
        extra_failed+=("scripts/install-deps.sh scripts/deps-games.txt")
    export LORELEI_ALL_GAMES=1
fi

wants_suite() {
    [ "$only_lane" = 0 ] && { [ ${#suites[@]} -eq 0 ] || [[ " ${suites[*]} " == *" $1 "* ]]; }
}
runtime_job=""

logs=()
x86_trees=(build build-san build-clang)
[ "$only_lane" = 0 ] || x86_trees=()
for tree in "${x86_trees[@]}"; do
    if ! scripts/build.sh "$tree"; then
        extra_failed+=("$tree compiles")
        continue
    fi
    # The Flatpak test's runtime (cold: minutes of downloads and unpacking,
    # little CPU) is built in the background while the other trees compile and
    # their tests run; the test waits on the script's lock and finds it cached.
    # Started after build/ so that QEMU's build has set up apt first.
    # Warm, the script returns at once.
    if [ "$tree" = build ] && [ "$(id -u)" = 0 ] && wants_suite flatpak; then
        echo "run.sh: the Flatpak test runtime is made in the background (log: build/flatpak-runtime.log)" >&2
        packaging/flatpak/build-test-runtime.sh >build/flatpak-runtime.log 2>&1 &
        runtime_job=$!
    fi
    # build-clang proves the code is warning-free under a second compiler and
    # runs the fuzz targets (suite fuzz, bounded time each); running the other
    # suites a third time would add minutes and no coverage.
    tree_suites=("${suites[@]}")
    if [ "$tree" = build-clang ]; then
        wants_suite fuzz || continue
        tree_suites=(--suite fuzz)
    fi
    rm -f "$tree/meson-logs/testlog.json"
    # ASan builds: only the suites that exercise host-side C code.
    [ "$tree" = build-san ] && [ ${#suites[@]} -eq 0 ] && tree_suites=(--suite san)
    meson test -C "$tree" --print-errorlogs --num-processes 2 "${tree_suites[@]}"
    status=$?
    if [ -f "$tree/meson-logs/testlog.json" ]; then
        logs+=("$tree/meson-logs/testlog.json")
    elif [ $status -ne 0 ]; then
        extra_failed+=("meson test in $tree (exit $status, no test log)")
    fi
done

# The aarch64 lane: the host side built for aarch64 and its tests run under
# qemu-aarch64 (docs/aarch64.md). Its packages, the binfmt_misc entry, its
# sysroot and the build are part of the run: any of them failing is a
# failure, never a skip.
if [ ${#lane_suites[@]} -gt 0 ]; then
    lane_ok=1
    scripts/install-deps.sh scripts/deps-arm64.txt || { extra_failed+=("scripts/install-deps.sh scripts/deps-arm64.txt"); lane_ok=0; }
    if [ "$lane_ok" = 1 ] && ! scripts/binfmt-aarch64.sh; then
        extra_failed+=("scripts/binfmt-aarch64.sh (this machine cannot execute aarch64 programs)")
        lane_ok=0
    fi
    # Its x86_64 sysroot, made from Debian's archive by build/'s launcher
    # (cached; scripts/build.sh build-aarch64 configures the tree with it).
    if [ "$lane_ok" = 1 ] && ! scripts/lane-sysroot.sh >/dev/null; then
        extra_failed+=("scripts/lane-sysroot.sh (the lane's x86_64 sysroot from Debian's archive could not be made; its message says why)")
        lane_ok=0
    fi
    if [ "$lane_ok" = 1 ] && ! scripts/build.sh build-aarch64; then
        extra_failed+=("build-aarch64 compiles")
        lane_ok=0
    fi
    if [ "$lane_ok" = 1 ]; then
        rm -f build-aarch64/meson-logs/testlog.json
        meson test -C build-aarch64 --print-errorlogs --num-processes 2 "${lane_suites[@]}"
        status=$?
        if [ -f build-aarch64/meson-logs/testlog.json ]; then
            logs+=(build-aarch64/meson-logs/testlog.json)
        else
            extra_failed+=("meson test in build-aarch64 (exit $status, no test log)")
        fi
    fi
fi

# A runtime build nobody waited for (the flatpak test did not run) finishes
# for the next run's cache rather than being killed half-way.
[ -z "$runtime_job" ] || wait "$runtime_job" || true

args=()
for f in "${extra_failed[@]}"; do args+=(--extra-failed "$f"); done
echo
exec /usr/bin/python3 tests/summarize.py "${args[@]}" "${logs[@]}"
