#!/bin/bash
# Run every qemu-lorelei test. Installs what is missing, builds what is stale,
# runs the suites in each build tree, and ends with the line "N passed, N failed".
#
#   tests/run.sh                  everything
#   tests/run.sh SUITE...         only these meson suites (e.g. filter-api)
# Exit status: 0 when nothing failed.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

extra_failed=()
scripts/install-deps.sh || extra_failed+=("scripts/install-deps.sh")

suites=()
for s in "$@"; do suites+=(--suite "$s"); done

logs=()
for tree in build build-san build-clang; do
    if ! scripts/build.sh "$tree"; then
        extra_failed+=("$tree compiles")
        continue
    fi
    # build-clang proves the code is warning-free under a second compiler and
    # runs the fuzz targets (suite fuzz, bounded time each); running the other
    # suites a third time would add minutes and no coverage.
    tree_suites=("${suites[@]}")
    if [ "$tree" = build-clang ]; then
        [ ${#suites[@]} -eq 0 ] || [[ " $* " == *" fuzz "* ]] || continue
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

args=()
for f in "${extra_failed[@]}"; do args+=(--extra-failed "$f"); done
echo
exec /usr/bin/python3 tests/summarize.py "${args[@]}" "${logs[@]}"
