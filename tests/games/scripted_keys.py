#!/usr/bin/env python3
"""The games harness's scripted key presses (gamerun.press) reach a window
as a key held down for KEY_HOLD_S, not as a press and a release in the same
instant. A game that looks once per frame for a key that went down since the
last frame (SuperTux's level intro) misses an instant press whenever both
events arrive within one frame: natively 3 of 4 SuperTux runs stayed on the
intro so, and the games benchmark measured that black screen.

xev, a plain X client, shows the events the X server delivers, with their
server time stamps (milliseconds).

usage: scripted_keys.py
"""
import os
import re
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

EVENT = re.compile(r"^(KeyPress|KeyRelease) event.*?time (\d+),.*?\(keysym 0x[0-9a-f]+, (\w+)\)",
                   re.S | re.M)


def key_events(text):
    """[(KeyPress|KeyRelease, server time in ms, keysym name), ...] in xev's output."""
    return [(kind, int(t), name) for kind, t, name in EVENT.findall(text)]


def main():
    c = Checks()
    with Xvfb() as x, tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "xev.log")
        with open(log, "w") as out:
            # Under the pointer that press() puts at 200,200: without a
            # window manager, the keyboard goes to the window under it.
            xev = subprocess.Popen(["xev", "-geometry", "400x400+0+0", "-event", "keyboard"],
                                   env=x.env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            time.sleep(2 * TIME_SCALE)  # until its window is mapped
            c.check(xev.poll() is None, f"xev runs on the test's X server (status {xev.poll()})")
            gamerun.press(x, "Return")
            time.sleep(1 * TIME_SCALE)
        finally:
            xev.terminate()
            xev.wait()
        with open(log, errors="replace") as f:
            text = f.read()
    events = [e for e in key_events(text) if e[2] == "Return"]
    kinds = [e[0] for e in events]
    c.check(kinds == ["KeyPress", "KeyRelease"],
            f"the window got one press and one release of Return ({kinds}; xev: {text[-400:]!r})")
    if kinds == ["KeyPress", "KeyRelease"]:
        held_ms = events[1][1] - events[0][1]
        want = int(gamerun.KEY_HOLD_S * 1000 * 0.9)
        c.check(held_ms >= want, f"Return was held {held_ms} ms (at least {want}: several of a "
                "game's frames, so a game that looks once a frame sees it go down)")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
