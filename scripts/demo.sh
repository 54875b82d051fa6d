#!/bin/bash
# The main job: install what is missing, build everything, then run a real
# SDL2 + OpenGL program (SDL's testgl2, a spinning cube) natively and with
# `qemu-lorelei run`, and print the frames per second of both side by side.
#
# With no $DISPLAY, both runs happen on a private Xvfb and a screenshot of
# each is saved (the paths are printed). DEMO_SECONDS sets how long each run
# draws (default 8).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/install-deps.sh
scripts/build.sh build

game=/usr/libexec/installed-tests/SDL2/testgl2
seconds=${DEMO_SECONDS:-8}
out=$top/build/demo
mkdir -p "$out"
xvfb_pid=""
cleanup() { [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT

if [ -z "${DISPLAY:-}" ]; then
    for n in $(seq 90 140); do
        [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
        Xvfb ":$n" -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
        xvfb_pid=$!
        export DISPLAY=":$n"
        for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
        break
    done
    echo "demo: no display: drawing on a private Xvfb ($DISPLAY); screenshots go to $out/"
fi
export SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}

# Runs "$@" for $seconds, screenshots it on Xvfb, ends it with SIGTERM (SDL
# turns it into SDL_QUIT and testgl2 prints its frames per second).
run_for() {
    local name=$1
    shift
    "$@" >"$out/$name.log" 2>&1 &
    local pid=$!
    sleep "$seconds"
    if [ -n "$xvfb_pid" ]; then
        xwd -root -silent | convert xwd:- "$out/$name.png" && echo "demo: screenshot $out/$name.png" >&2
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || true
    grep -o '[0-9.]* frames per second' "$out/$name.log" | tail -n1 | cut -d' ' -f1
}

echo "demo: $game natively for ${seconds}s"
native=$(run_for native "$game")
echo "demo: $game with qemu-lorelei run for ${seconds}s"
lorelei=$(run_for lorelei build/launcher/qemu-lorelei run "$game")
grep '^qemu-lorelei' "$out/lorelei.log" | head -n 3 || true

printf '\n%-28s %12s\n' "testgl2 (SDL2 + OpenGL)" "frames/s"
printf '%-28s %12s\n' "native" "${native:-none}" "qemu-lorelei run" "${lorelei:-none}"
if [ -z "$native" ] || [ -z "$lorelei" ]; then
    echo "demo: error: a run printed no frame rate; see $out/native.log and $out/lorelei.log" >&2
    exit 1
fi
awk -v n="$native" -v l="$lorelei" 'BEGIN { printf "%-28s %11.2fx\n", "lorelei / native", l / n }'
