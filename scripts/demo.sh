#!/bin/bash
# The main job: install what is missing, build everything, and run a guest
# program under the patched qemu-x86_64 with a syscall-filter plugin loaded.
# (Later this starts a real SDL2+GL program with `qemu-lorelei run`.)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/install-deps.sh
scripts/build.sh build
qemu=$(packaging/qemu/build-qemu.sh)
echo "== running tests/filter-api/filter_guest under $qemu with a filter plugin"
"$qemu" -plugin build/tests/filter-api/libfilter-test-a.so,name=demo,hide_marked_writes=on,answer=20480:77 \
    build/tests/filter-api/filter_guest basic
