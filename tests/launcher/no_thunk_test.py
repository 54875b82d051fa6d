#!/usr/bin/env python3
"""qemu-lorelei run --no-thunk with real programs under a private Xvfb: every
way to let the guest's own library run emulated (sdl2, gl, vulkan, all
three) must work with the CPU model the launcher picks. With GL or Vulkan
emulated the guest's Mesa compiles shaders with LLVM for the CPU QEMU
pretends to be, and QEMU's "max" model reads to LLVM as a 32-bit Athlon:
"LLVM ERROR: 64-bit code requested...", exit status 134.

Runs the launcher of the build tree, which finds the real plugin, preload
shim and stub libraries next to itself; only in the plain tree (the real
plugin cannot be preloaded into QEMU from a sanitized build)."""
import os
import re
import signal
import subprocess
import sys
import threading
import time

from testlib import check, check_not_in, run_main

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from xvfb import Xvfb  # noqa: E402

SDL_TESTS = "/usr/libexec/installed-tests/SDL2"


def launch(s, x, argv, cwd=None):
    """Starts `qemu-lorelei run ARGV` on the Xvfb; returns the process and
    a list its output lines are collected into as they come."""
    env = x.env(s.env)
    env["XDG_RUNTIME_DIR"] = s.path("runtime")
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    env["SDL_AUDIODRIVER"] = "dummy"
    cmd = [s.cli, "run", "--verbose", *argv]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, cwd=cwd or s.root, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace")
    lines = []
    p.reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    p.reader.start()
    return p, lines


def wait_for(p, lines, pattern, seconds):
    """Waits until a line matches pattern (True) or p ends or time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(re.search(pattern, l) for l in list(lines)):
            return True
        if p.poll() is not None:
            time.sleep(0.2)
            return any(re.search(pattern, l) for l in list(lines))
        time.sleep(0.2)
    return False


def finish(p, lines, sig, timeout=30):
    """Ends p with sig (None: waits for it to end by itself), killing it
    after timeout seconds; returns everything it printed."""
    if sig is not None:
        p.send_signal(sig)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        lines.append(f"(killed: still running {timeout} s after being asked to stop)\n")
    p.reader.join(timeout=10)
    text = "".join(lines)
    print(text[-4000:])
    print(f"--- exit status {p.returncode}", flush=True)
    check_not_in("LLVM ERROR", text)
    return text


def drew_frames(text):
    """Whether testgl2's parting line reports frames (slow emulated: < 1 fps
    is still drawing)."""
    fps = re.findall(r"([0-9.]+) frames per second", text)
    return fps and float(fps[-1]) > 0


def sdl2(s):
    """SDL2 emulated, OpenGL forwarded: testgl2 draws and quits on SIGTERM."""
    with Xvfb() as x:
        p, lines = launch(s, x, ["--no-thunk", "sdl2", os.path.join(SDL_TESTS, "testgl2")],
                          cwd=SDL_TESTS)
        time.sleep(10)
        colours = x.screenshot(s.path("sdl2.png"))
        text = finish(p, lines, signal.SIGTERM)
    check(p.returncode == 0, f"exit status {p.returncode}")
    check("-plugin" in text and "lib=gl" in text and "lib=sdl2" not in text, "thunks as asked")
    check(drew_frames(text), "testgl2 drew no frame")
    check(colours > 2, f"the window is blank ({colours} colours)")


def gl(s):
    """OpenGL emulated (the guest's Mesa, llvmpipe): glxgears draws frames."""
    with Xvfb() as x:
        p, lines = launch(s, x, ["--no-thunk", "gl", "/usr/bin/glxgears"])
        drew = wait_for(p, lines, r"[0-9]+ frames in [0-9.]+ seconds", 120)
        colours = x.screenshot(s.path("gl.png"))
        text = finish(p, lines, signal.SIGTERM)
    check("-cpu Haswell-noTSX,-erms," in text, "the CPU model for emulated drivers")
    check(drew, f"glxgears drew nothing (exit status {p.returncode})")
    check(p.returncode == -15, f"glxgears ended by itself (exit status {p.returncode})")
    check(colours > 2, f"the window is blank ({colours} colours)")


def vulkan(s):
    """Vulkan emulated (the guest's lavapipe): vkcube draws 30 frames, exits 0."""
    with Xvfb() as x:
        p, lines = launch(s, x, ["--no-thunk", "vulkan", "/usr/bin/vkcube", "--c", "30"])
        text = finish(p, lines, None, timeout=240)
    check("-cpu Haswell-noTSX,-erms," in text, "the CPU model for emulated drivers")
    check(p.returncode == 0, f"vkcube failed (exit status {p.returncode})")
    check("llvmpipe" in text, "vkcube did not use the guest's lavapipe")


def all_three(s):
    """Nothing forwarded: SDL2 and Mesa both emulated, testgl2 still draws."""
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    with Xvfb() as x:
        p, lines = launch(s, x, [*off, os.path.join(SDL_TESTS, "testgl2")], cwd=SDL_TESTS)
        time.sleep(25)
        colours = x.screenshot(s.path("all.png"))
        text = finish(p, lines, signal.SIGTERM)
    check("plain qemu-user" in text and "-cpu Haswell-noTSX,-erms," in text, "plain QEMU, right CPU")
    check(p.returncode == 0, f"exit status {p.returncode}")
    check(drew_frames(text), "testgl2 drew no frame")
    check(colours > 2, f"the window is blank ({colours} colours)")


CASES = {"sdl2": sdl2, "gl": gl, "vulkan": vulkan, "all": all_three}

if __name__ == "__main__":
    run_main(CASES)
