#!/usr/bin/env python3
"""The two frame counters of tests/games and bench/games, on glxgears
(mesa-utils): X DAMAGE counts the frames a game draws; with Mesa's no-op
driver (bench/games --gpu-free) the screen never changes, so DAMAGE counts
nothing and Mesa's HUD (GALLIUM_HUD_DUMP_DIR) must count instead - natively
and under `qemu-lorelei run`, where the host's Mesa reads the game's
environment through QEMU's.

usage: frame_counters.py --launcher L
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import gamerun  # noqa: E402
from lorelei import TIME_SCALE, Checks  # noqa: E402
from xvfb import Xvfb  # noqa: E402

c = Checks()
SECONDS = 4 * TIME_SCALE


def count(x, cmd, hud_dir=None):
    """Frames both counters saw in glxgears' seconds 1..SECONDS-1 (DAMAGE,
    HUD or None), and its output."""
    env = x.env()
    for k in list(env):
        if k.startswith(("LD_", "GALLIUM_")):
            del env[k]
    env["LIBGL_ALWAYS_SOFTWARE"] = "1"
    damage = gamerun.FrameCounter(x.display)
    damage.start()
    hud = None
    if hud_dir:
        env.update(gamerun.HudFrameCounter.env(hud_dir))
        hud = gamerun.HudFrameCounter(hud_dir)
        hud.start()
    t = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    time.sleep(SECONDS)
    p.terminate()
    out = p.communicate(timeout=30)[0]
    time.sleep(0.3)  # the HUD counter's last read
    damage.stop()
    if hud:
        hud.stop()
    window = (t + 1, t + SECONDS - 1)
    return damage.frames_between(*window), hud.frames_between(*window) if hud else None, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True)
    a = ap.parse_args()
    with Xvfb() as x, tempfile.TemporaryDirectory() as d:
        drawn, _, out = count(x, ["glxgears"])
        print(f"glxgears on llvmpipe: DAMAGE counted {drawn} frames")
        c.check(drawn > 10, f"DAMAGE counts the frames glxgears draws ({drawn}) {out[-300:]}")

        for name, cmd in (("natively", ["glxgears"]),
                          ("under qemu-lorelei", [a.launcher, "run", "/usr/bin/glxgears"])):
            hud_dir = os.path.join(d, name.replace(" ", "-"))
            os.makedirs(hud_dir)
            drawn, counted, out = count(x, cmd, hud_dir)
            print(f"glxgears {name}, GALLIUM_NOOP=1: DAMAGE {drawn} frames, HUD {counted}")
            c.check(drawn <= 2, f"{name}, GALLIUM_NOOP=1: the screen does not change, "
                    f"DAMAGE counts no frames ({drawn})")
            c.check(counted > 10, f"{name}, GALLIUM_NOOP=1: Mesa's HUD counts the frames "
                    f"({counted}) {out[-300:]}")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
