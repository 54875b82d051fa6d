#!/usr/bin/env python3
"""One real Debian game (games.py), natively, under `qemu-lorelei run` (the
launcher of the build tree with its plugin, shim and stubs) and under plain
qemu-x86_64 (the patched QEMU, no plugin, the guest's own libraries
emulated), each on a private Xvfb with llvmpipe. In every mode the game must
start and draw (screen updates counted through X DAMAGE), show a picture
that is not blank and, for qemu-lorelei and plain QEMU, close to the native
one, play its sound into a file (SDL's disk driver or openal-soft's wave
writer), and end cleanly when asked (SIGTERM) or by itself (a benchmark).
The frame rate of each mode is printed and written with --json.

A game whose packages are missing is skipped with the reason: the default
run installs only scripts/deps.txt; `tests/run.sh games` installs
scripts/deps-games.txt and runs them all.

usage: run_game.py --game ID --launcher L --qemu Q [--modes native,lorelei,qemu]
                   [--out DIR] [--json FILE] [--plain-slow N]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import gamerun  # noqa: E402
import profile_window  # noqa: E402
from games import GAMES, MIN_COLOURS, MODES, game, unknown_games_problem  # noqa: E402
from lorelei import Checks  # noqa: E402
from xvfb import Xvfb  # noqa: E402

CRASH_SIGNS = ("LLVM ERROR", "qemu-lorelei: error", "Segmentation fault", "Aborted",
               "qemu: uncaught target signal", "double free", "AL lib: (EE)")


def check_run(c, g, r, native):
    m = r["mode"]
    c.check(r["first_frames_s"] is not None,
            f"{m}: the game drew (screen updates after {r['first_frames_s']} s; log {r['log']})")
    if g["playing"]:
        c.check(r["playing_s"] is not None,
                f"{m}: the game got into play (it printed '{g['playing']}'"
                + (f" after {r['playing_s']:.0f} s)" if r["playing_s"] else ": not in time)"))
    c.check(r["running_at_shot"] or g["stop"] == "self",
            f"{m}: still running when the screenshot was taken (status {r['status']})")
    spread = statistics.pstdev(r["thumb"]) if r["thumb"] else 0
    if native is None or m == "native":
        c.check(gamerun.in_play(g, r) and spread > 2,
                f"{m}: the screenshot is not blank and shows play ({r['colours']} colours, at "
                f"least {g['scene_colours']}; spread {spread:.1f}; {r['screenshot']})")
    else:
        # Play is shown by being the native picture, which showed it.
        c.check(r["colours"] >= MIN_COLOURS and spread > 2,
                f"{m}: the screenshot is not blank ({r['colours']} colours, at least "
                f"{MIN_COLOURS}; spread {spread:.1f}; {r['screenshot']})")
        d = gamerun.native_difference(r, native["thumb"])
        shot = gamerun.difference(r["thumb"], native["thumb"])
        r["difference"] = d
        c.check(d <= gamerun.MAX_DIFFERENCE, f"{m}: the screenshot is close to the native one "
                f"(difference {d:.3f} at the native one's brightness, {shot:.3f} as shot; at "
                f"most {gamerun.MAX_DIFFERENCE}; {r['screenshot']})")
    if g["audio"]:
        c.check(r["audio_bytes"] > 4096, f"{m}: sound was played through the {g['audio']} "
                f"file driver ({r['audio_bytes']} bytes)")
    for sign in CRASH_SIGNS:
        c.check(sign not in r["output"], f"{m}: no '{sign}' in the output")
    c.check(r["status"] in g["ok_status"] and not r["ended"].startswith("killed"),
            f"{m}: ended cleanly ({r['ended']}, exit status {r['status']})")
    print(f"  {m}: {r['fps']:.2f} frames/s counted over {r['measured_s']:.1f} s "
          f"({r['frames']} frames), {r['wall_s']:.0f} s in all", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true", help="print the game ids (default run first)")
    ap.add_argument("--game")
    ap.add_argument("--launcher")
    ap.add_argument("--qemu")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--out", help="keep screenshots and logs here (default: a temporary folder)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--plain-slow", type=float,
                    help="plain QEMU's waits are this many times the native ones (default: "
                         "the game's plain_slow in games.py, 4 for most)")
    a = ap.parse_args()
    if a.list:
        print("\n".join(sorted(GAMES)))
        return 0
    for needed in ("game", "launcher", "qemu"):
        if not getattr(a, needed):
            ap.error(f"--{needed} is needed (--list prints the games)")
    problem = unknown_games_problem([a.game])
    if problem:
        ap.error(problem)
    parts = gamerun.Parts(os.path.abspath(a.launcher), os.path.abspath(a.qemu))
    for mode in a.modes.split(","):
        problem = gamerun.mode_problem(mode, parts)
        if problem:
            ap.error(problem)
    g = game(a.game)
    # The default run plays the same games on every machine, whatever games
    # earlier work left installed: the large ones only when asked for.
    if not g["default"] and os.environ.get("LORELEI_ALL_GAMES") != "1":
        print(f"SKIP: {a.game}: not in the default run (its data is large and it plays for "
              "minutes); `tests/run.sh games` plays it (or set LORELEI_ALL_GAMES=1)")
        return 77
    missing = gamerun.missing_packages(g["packages"])
    if missing:
        where = "scripts/deps.txt" if g["default"] else "scripts/deps-games.txt"
        print(f"SKIP: {a.game}: package(s) {' '.join(missing)} not installed; they are in {where}"
              f" ({'the default run installs it' if g['default'] else 'only `tests/run.sh games` installs it: its data is large'})")
        return 77
    c = Checks()
    out = a.out or tempfile.mkdtemp(prefix=f"lorelei-game-{a.game}-")
    os.makedirs(out, exist_ok=True)
    results = {}
    native = None
    for mode in a.modes.split(","):
        with Xvfb(autorepeat=False) as x:
            # Under qemu-lorelei with --profile-libs: the test shows where
            # the game's emulated time went (a few per cent slower for the
            # inline counting; bench/games measures ratios without it).
            report = os.path.join(out, f"{a.game}-profile.json") if mode == "lorelei" else None
            r = gamerun.play(parts, x, g, mode, out, slow=gamerun.mode_slow(g, mode, a.plain_slow),
                             profile_out=report)
            if report:
                c.check(os.path.exists(report), f"{mode}: --profile-libs wrote {report}")
                for line in profile_window.summary(r["profile_in_play"]):
                    print(line)
        results[mode] = r
        if mode == "native":
            native = r
        check_run(c, g, r, native)
        if c.failures:
            print(r["output"][-3000:])
    ratios = {}
    if native and native["fps"] > 0:
        for mode in results:
            ratios[mode] = results[mode]["fps"] / native["fps"]
    print(f"{a.game}: fps " + ", ".join(f"{m} {r['fps']:.2f}" for m, r in results.items()) +
          "; ratio to native " + ", ".join(f"{m} {v:.2f}" for m, v in ratios.items()))
    if a.json:
        keep = ("fps", "frames", "measured_s", "first_frames_s", "wall_s", "status", "ended",
                "audio_bytes", "colours", "difference", "screenshot")
        with open(a.json, "w") as f:
            json.dump({"game": a.game, "ratios": ratios,
                       "modes": {m: {k: r.get(k) for k in keep} for m, r in results.items()}},
                      f, indent=1)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
