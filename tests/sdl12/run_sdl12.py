#!/usr/bin/env python3
"""SDL 1.2 through sdl12-compat over the forwarded SDL2, judged by
sdl12_test.c run natively (sdl12-compat over the host's SDL2) and under
qemu-lorelei (the same sdl12-compat in the guest, over the SDL2 stub).

usage: run_sdl12.py CASE --qemu Q --plugin P --preload S --stub-dir D
                    --host-lib L --prog PROG [--launcher L]
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, compare_with_native, from_args, run, stub_test_main  # noqa: E402

# The folder Debian's libsdl1.2-compat puts its libSDL-1.2 in (the
# launcher's LO_SDL12_COMPAT_DIR), a guest path under Lorelei.
COMPAT_DIR = "/usr/lib/x86_64-linux-gnu/sdl12-compat"

c = Checks()


def sdl_env(d):
    """No display and no sound card: SDL's dummy video and disk audio."""
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(k, None)
    env.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="disk",
               SDL_DISKAUDIOFILE=os.path.join(d, "audio.raw"))
    return env


EXPECTED = ("linked SDL 1.2 (1.2: yes)", "screen 320x240 bpp=32", "bmp 320x240 read back equal=1",
            "user event code=42", "audio callback ran=1 timer ran=1", "failures=0")


def case_program(a):
    """sdl12-compat in the guest over the SDL2 stub prints what it prints
    over the host's SDL2: pixels the program wrote and SDL blitted, BMP
    files, events, and the timer and audio callbacks SDL2's threads call."""
    with tempfile.TemporaryDirectory() as d:
        env = sdl_env(d)
        n, r = compare_with_native(c, from_args(a), [a.prog, os.path.join(d, "t.bmp")],
                                   "sdl12_test", "sdl2", "libSDL2-2.0.so.0", a.stub_dir,
                                   env=env, cwd=d, lib_dirs=[COMPAT_DIR])
    for line in EXPECTED:
        c.check(line in n.stdout, f"natively: {line}")
    # The stub's own exports call each other inside the stub: sdl12-compat
    # exports SDL_InitSubSystem too, and the stub's SDL_Init once called
    # that one, which called the stub's SDL_Init... until the stack ran out.
    c.check(r.returncode == 0 and "failures=0" in r.stdout,
            f"under Lorelei the program ran to its end (status {r.returncode}) {r.stderr[-400:]}")


def case_launcher(a):
    """The product path: `qemu-lorelei run` puts sdl12-compat after the stub
    folders by default; --no-sdl12-compat and --no-thunk sdl2 leave it out
    (and the classic SDL 1.2 then runs emulated, still to its end)."""
    with tempfile.TemporaryDirectory() as d:
        env = sdl_env(d)
        dry = run([a.launcher, "run", "--dry-run", "--verbose", a.prog], env=env)
        c.check(dry.returncode == 0 and f":{COMPAT_DIR}" in dry.stdout,
                f"--dry-run puts {COMPAT_DIR} in the guest's LD_LIBRARY_PATH")
        c.check("SDL 1.2: sdl12-compat over the forwarded SDL2" in dry.stderr,
                "--verbose says SDL 1.2 goes through sdl12-compat")
        for off in (["--no-sdl12-compat"], ["--no-thunk", "sdl2"]):
            r = run([a.launcher, "run", "--dry-run", "--verbose"] + off + [a.prog], env=env)
            c.check(r.returncode == 0 and COMPAT_DIR not in r.stdout and
                    "SDL 1.2: the classic libSDL-1.2, emulated" in r.stderr,
                    f"{' '.join(off)}: the classic SDL 1.2, and --verbose says so")
        bmp = os.path.join(d, "t.bmp")
        native_env = dict(env, LD_LIBRARY_PATH=COMPAT_DIR)
        n = run([a.prog, bmp], env=native_env, cwd=d)
        r = run([a.launcher, "run", a.prog, bmp], env=env, timeout=300, cwd=d)
        c.check(n.returncode == 0 and r.returncode == 0 and r.stdout == n.stdout,
                f"qemu-lorelei run sdl12_test prints what it prints natively (status "
                f"{r.returncode}) {r.stderr[-400:]}")
        classic = run([a.launcher, "run", "--no-sdl12-compat", a.prog, bmp], env=env,
                      timeout=600, cwd=d)
        c.check(classic.returncode == 0 and "failures=0" in classic.stdout,
                f"--no-sdl12-compat: the classic SDL 1.2, emulated, runs the program to its end "
                f"(status {classic.returncode})")


def main():
    stub_test_main(c, {"program": case_program, "launcher": case_launcher})


if __name__ == "__main__":
    main()
