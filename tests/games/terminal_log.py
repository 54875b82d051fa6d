#!/usr/bin/env python3
"""The games harness's terminal log (gamerun.start, gamerun.GameLog):
a game that prints its "now playing" line and goes on running must have
that line in its log file while it runs. Written to a plain file, stdio
holds it in a block buffer until exit (SuperTuxKart's line came only after
the race, so the harness waited in vain); through the pseudo-terminal it
arrives when printed - natively and under `qemu-lorelei run`, where the guest's stdio
asks QEMU whether its output is a terminal.

usage: terminal_log.py --launcher L
"""
import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import gamerun  # noqa: E402
from lorelei import TIME_SCALE, Checks  # noqa: E402

LINE = "now playing"
# Prints the line with print() (buffered by Python's stdio like C's), then
# keeps running, as a game does after loading.
GAME = [sys.executable, "-c", f"import time; print({LINE!r}); time.sleep({30 * TIME_SCALE})"]
# Python's own switch for unbuffered output would hide the difference.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
c = Checks()


def seen_while_running(cmd, log, terminal, wait=20):
    """Seconds until LINE was in the log while cmd still ran (looked for
    wait seconds), or None."""
    t = time.monotonic()
    p, game_log = gamerun.start(cmd, log, terminal, env=ENV)
    seen = None
    try:
        while p.poll() is None and time.monotonic() < t + wait * TIME_SCALE:
            with open(log, errors="replace") as f:
                if LINE in f.read():
                    seen = time.monotonic() - t
                    break
            time.sleep(0.1)
    finally:
        p.kill()
        p.wait()
        game_log.stop()
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "game.log")
        # Without the terminal: the reason it exists (if Python ever wrote
        # this line at once to a file, this test would no longer show it).
        s = seen_while_running(GAME, log, terminal=False, wait=3)
        c.check(s is None, "to a plain file the line stays in the game's buffer while it runs"
                f" ({'seen after %.1f s' % s if s is not None else 'not seen'})")
        s = seen_while_running(GAME, log, terminal=True)
        c.check(s is not None, "natively, through the terminal, the line is in the log while "
                f"the game runs ({'after %.1f s' % s if s is not None else 'not seen'})")
        s = seen_while_running([a.launcher, "run", *GAME], log, terminal=True)
        with open(log, errors="replace") as f:
            out = f.read()
        c.check(s is not None, "under qemu-lorelei run, through the terminal, the line is in "
                f"the log while the game runs ({'after %.1f s' % s if s is not None else 'not seen'}"
                f"; output: {out[-500:]!r})")
        c.check("\r\n" not in out, "the log has the bytes as written (no carriage returns added)")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
