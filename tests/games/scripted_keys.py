#!/usr/bin/env python3
"""The games harness's scripted key presses (gamerun.press) reach a window
as a key held down for KEY_HOLD_S, not as a press and a release in the same
instant. A game that looks once per frame for a key that went down since the
last frame (SuperTux's level intro) misses an instant press whenever both
events arrive within one frame: natively 3 of 4 SuperTux runs stayed on the
intro so, and the games benchmark measured that black screen. The games'
X server has autorepeat off, so that a key held longer than the repeat delay
(plain QEMU's stretched waits) is still one press.

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


def press_seen_by_xev(autorepeat, slow):
    """Presses Return once through gamerun.press(slow) on a new X server
    and returns the Return events xev saw, and xev's output."""
    with Xvfb(autorepeat=autorepeat) as x, tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "xev.log")
        with open(log, "w") as out:
            # Under the pointer that press() puts at 200,200: without a
            # window manager, the keyboard goes to the window under it.
            xev = subprocess.Popen(["xev", "-geometry", "400x400+0+0", "-event", "keyboard"],
                                   env=x.env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            time.sleep(2 * TIME_SCALE)  # until its window is mapped
            running = xev.poll() is None
            gamerun.press(x, "Return", slow)
            time.sleep(1 * TIME_SCALE)
        finally:
            xev.terminate()
            xev.wait()
        with open(log, errors="replace") as f:
            text = f.read()
    if not running:
        return None, text
    return [e for e in key_events(text) if e[2] == "Return"], text


def main():
    c = Checks()
    # As the games run (bench/games, tests/games): autorepeat off. At
    # slow 5 (plain QEMU's stretch is 4) the key is held 1.5 s, past the X
    # server's repeat delay (660 ms).
    for slow in (1, 5):
        events, text = press_seen_by_xev(autorepeat=False, slow=slow)
        if not c.check(events is not None, "xev ran on the test's X server"
                       + ("" if events is not None else f" (its output: {text[-300:]!r})")):
            continue
        kinds = [e[0] for e in events]
        c.check(kinds == ["KeyPress", "KeyRelease"],
                f"held for slow {slow}: the window got one press and one release of Return "
                f"({kinds}; xev: {text[-400:]!r})")
        if kinds == ["KeyPress", "KeyRelease"]:
            held_ms = events[1][1] - events[0][1]
            want = int(gamerun.KEY_HOLD_S * slow * 1000 * 0.9)
            c.check(held_ms >= want, f"Return was held {held_ms} ms (at least {want}: several "
                    "of a game's frames, so a game that looks once a frame sees it go down)")
    # A slow game gets three of its frames (plain QEMU: seconds each).
    for slow, frame_s, want in ((1, 0.0, 0.3), (1, 1 / 60, 0.3), (4, 0.0, 1.2), (4, 3.3, 9.9),
                                (4, 60.0, gamerun.KEY_HOLD_MAX_S)):
        held = gamerun.key_hold_s(slow, frame_s)
        c.check(abs(held - want) < 1e-9, f"slow {slow}, frames of {frame_s:.3f} s: held "
                f"{held:.2f} s (want {want:.2f})")
    # Why the games' server has autorepeat off: with it on, the same long
    # hold presses the key again and again.
    events, text = press_seen_by_xev(autorepeat=True, slow=5)
    presses = [e for e in events or [] if e[0] == "KeyPress"]
    c.check(len(presses) > 1, f"with the X server's autorepeat on, a 1.5 s hold repeats the "
            f"press ({len(presses)} presses): what Xvfb(autorepeat=False) turns off")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
