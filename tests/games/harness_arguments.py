#!/usr/bin/env python3
"""The games harness refuses a mode or game it does not know before any game
starts, with a message that names the right ones: tests/games/run_game.py
(whose --modes once took any name, and ran plain QEMU under a typo of
"native") and bench/games/run.py (which met an unknown game only when its
turn came, minutes into a run, as a traceback).

usage: harness_arguments.py --launcher L --qemu Q
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import gamerun  # noqa: E402
from lorelei import TIME_SCALE, Checks  # noqa: E402

RUN_GAME = os.path.join(HERE, "run_game.py")
BENCH = os.path.join(HERE, "..", "..", "bench", "games", "run.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--qemu", required=True)
    a = ap.parse_args()
    c = Checks()
    parts = ["--launcher", a.launcher, "--qemu", a.qemu]
    cases = [
        ([RUN_GAME, "--game", "blobby", *parts, "--modes", "native,nativ"], "unknown mode 'nativ'"),
        ([RUN_GAME, "--game", "blobby", *parts, "--modes", "lorelei-no-"], "names no library"),
        ([RUN_GAME, "--game", "blobby", *parts, "--modes", "lorelei-other-qemu"],
         "--other-qemu PATH"),
        ([RUN_GAME, "--game", "blobb", *parts], "unknown game 'blobb'"),
        ([RUN_GAME, *parts], "--game is needed"),
        ([BENCH, *parts, "--games", "blobb,pingu"], "unknown games 'blobb', 'pingu'"),
        ([BENCH, *parts, "--games", "blobby,blobb"], "unknown game 'blobb'"),
        ([BENCH, *parts, "--modes", "native,lorelei-other-qemu"], "--other-qemu PATH"),
        ([BENCH, *parts, "--modes", "native,qemu-lorelei"], "unknown mode 'qemu-lorelei'"),
    ]
    for cmd, says in cases:
        shown = " ".join(os.path.basename(cmd[0]) if i == 0 else x for i, x in enumerate(cmd))
        # Its own session: a harness that starts playing instead leaves
        # an X server and a game behind, killed with it here.
        p = subprocess.Popen([sys.executable, *cmd], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             cwd=tempfile.gettempdir())
        try:
            _, stderr = p.communicate(timeout=30 * TIME_SCALE)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            c.check(False, f"{shown}: refused at once (it was still running after 30 s: "
                    "it had started playing)")
            continue
        c.check(p.returncode == 2 and says in stderr,
                f"{shown}: refused with status 2 and {says!r} (status {p.returncode}, "
                f"stderr {stderr[-300:]!r})")
    # Every mode the docs name is accepted.
    known = gamerun.Parts(a.launcher, a.qemu, other_qemu=a.qemu)
    for mode in ("native", "lorelei", "qemu", "lorelei-keep-rep-strings",
                 "lorelei-keep-sse42-strings", "lorelei-other-qemu",
                 "lorelei-no-zlib", "lorelei-no-zlib+vorbisfile"):
        problem = gamerun.mode_problem(mode, known)
        c.check(problem is None, f"mode {mode} is accepted ({problem})")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
