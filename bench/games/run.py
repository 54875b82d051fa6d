#!/usr/bin/env python3
"""bench/games: the real games of tests/games/games.py natively, under
qemu-lorelei and under plain qemu-x86_64, in one run with the modes
alternating round by round (each round starts with a different mode, so a
machine that gets busier or quieter mid-run touches every mode alike). Frame
rates are counted the same way in every mode (X DAMAGE screen updates, see
tests/games/gamerun.py), over the same seconds of play after the same warm-up.
A round whose closing screenshot is not of play (a title or intro screen:
fewer colours than tests/games/games.py's scene_colours) is left out of the
medians, and named with its screenshot kept.

  --profile-libs   also runs each game once under `qemu-lorelei run
                   --profile-libs` and keeps its report (DIR/GAME-profile.json):
                   the figures of docs/games.md. It also prints, and keeps in
                   games.json, the profile of the measured seconds alone
                   (the difference of two of the plugin's reports): the whole
                   run's has loading in it

  --gpu-free       runs every game with Mesa's no-op driver (GALLIUM_NOOP=1,
                   as bench-gl-gpu-free): the drawing is discarded, so a frame
                   costs only the game, the API and the driver's CPU work -
                   the stand-in for a fast GPU, where forwarding costs show
                   instead of llvmpipe's drawing. Frames are then counted by
                   Mesa's HUD (the screen never changes)

  --modes lorelei,lorelei-no-zlib+vorbisfile
                   a mode named lorelei-no-LIB[+LIB...] runs `qemu-lorelei
                   run --no-thunk LIB ...`: those libraries emulated, to
                   measure what forwarding them is worth (frame rate, and
                   the seconds until the game first drew: its loading)

  --other-qemu Q --modes lorelei,lorelei-other-qemu
                   the second runs qemu-lorelei with the QEMU Q (LORELEI_QEMU):
                   what a change to QEMU (its patch series) is worth

  --modes lorelei,lorelei-keep-rep-strings
                   the second runs `qemu-lorelei run --keep-rep-strings`:
                   the CPU model's fast-REP-string features left on, so
                   glibc's memcpy and memset use REP MOVSB/STOSB, which
                   QEMU runs an element at a time

  --modes lorelei,lorelei-keep-sse42-strings
                   the second runs `qemu-lorelei run --keep-sse42-strings`:
                   the game's glibc picks its SSE4.2 strcspn, strspn and
                   strpbrk, whose PCMPISTRI QEMU runs byte by byte

usage: run.py --launcher L --qemu Q [--games a,b] [--modes native,lorelei,qemu]
              [--rounds N] [--plain-slow N] [--out DIR] [--profile-libs] [--gpu-free]
              [--other-qemu Q]
Writes DIR/games.json and prints each game's frame rates and ratios with the
targets (lorelei >= 0.8x native where rendering dominates; lorelei >= 10x
plain qemu).
"""
import argparse
import json
import os
import shutil
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "games"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
import gamerun  # noqa: E402
import profile_window  # noqa: E402
from games import GAMES, MODES, game, unknown_games_problem  # noqa: E402
from xvfb import Xvfb  # noqa: E402

TARGET_NATIVE, TARGET_PLAIN = 0.8, 10.0


def short_of_play(g, r, gpu_free):
    """Whether round r drew but its screenshot lacks play's colours, so
    that it must be judged against the native rounds (the no-op driver's
    screen is blank: never)."""
    return r["first_frames_s"] is not None and not gpu_free and not gamerun.in_play(g, r)


def judge(rounds):
    """Splits rounds [(round, game, g, mode, result)] into those counted and
    those left out ({game: {mode: [round, ...]}}). A round that measured a
    title or intro screen instead of play would compare unlike frames. A
    round short of play's colours (short_of_play, its screenshot kept as
    r["kept_screenshot"]) still shows play when it is close to a native
    round that had them (plain QEMU's SuperTux, still fading into its
    level): its kept screenshot is then removed."""
    native_play = {}
    for _, name, g, mode, r in rounds:
        if mode == "native" and r["first_frames_s"] is not None and gamerun.in_play(g, r):
            native_play.setdefault(name, []).append(r["thumb"])
    counted, left_out = [], {}
    for rnd, name, g, mode, r in rounds:
        if "kept_screenshot" in r:
            if not any(gamerun.like_native(r, t) for t in native_play.get(name, [])):
                left_out.setdefault(name, {}).setdefault(mode, []).append(rnd)
                continue
            os.unlink(r["kept_screenshot"])
        counted.append((rnd, name, g, mode, r))
    return counted, left_out


def print_round(rnd, name, mode, r):
    """One round's line; sets r["per_frame"]: the CPU milliseconds per frame
    counted, or None (nothing counted, or the game had ended before the
    counting did)."""
    ok = r["first_frames_s"] is not None
    r["per_frame"] = (1000 * r["cpu_s"] / r["frames"]
                      if ok and r["frames"] and r["cpu_s"] is not None else None)
    print(f"round {rnd} {name:16} {mode:8} {r['fps']:7.2f} fps"
          + (f", drew after {r['first_frames_s']:.1f} s" if ok else "  (drew nothing in time)")
          + (f", {r['per_frame']:.2f} CPU ms/frame" if r["per_frame"] is not None else "")
          + ("  (not play's colours: judged at the end)" if "kept_screenshot" in r else ""),
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--games", default=",".join(sorted(GAMES)))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--plain-slow", type=float,
                    help="plain QEMU's waits are this many times the native ones (default: "
                         "the game's plain_slow in games.py, 4 for most)")
    ap.add_argument("--out", default="bench-games-out")
    ap.add_argument("--profile-libs", action="store_true")
    ap.add_argument("--gpu-free", action="store_true")
    ap.add_argument("--other-qemu", help="the QEMU of mode lorelei-other-qemu")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    parts = gamerun.Parts(os.path.abspath(a.launcher), os.path.abspath(a.qemu),
                          os.path.abspath(a.other_qemu) if a.other_qemu else None)
    modes = a.modes.split(",")
    for mode in modes:
        problem = gamerun.mode_problem(mode, parts)
        if problem:
            ap.error(problem)
    problem = unknown_games_problem(a.games.split(","))
    if problem:
        ap.error(problem)
    fps = {}
    cpu_ms = {}  # CPU milliseconds per frame counted, per mode
    starts = {}  # seconds from start to the first screen update, per mode
    notes = {}
    profiles = {}
    rounds = []  # (round, game, mode, result): counted once all have run
    for rnd in range(a.rounds):
        order = modes[rnd % len(modes):] + modes[:rnd % len(modes)]
        for name in a.games.split(","):
            g = game(name)
            missing = gamerun.missing_packages(g["packages"])
            if missing:
                notes[name] = (f"not run: package(s) {' '.join(missing)} not installed "
                               "(scripts/deps-games.txt)")
                continue
            for mode in order:
                with Xvfb(autorepeat=False) as x:
                    r = gamerun.play(parts, x, g, mode, a.out,
                                     slow=gamerun.mode_slow(g, mode, a.plain_slow),
                                     gpu_free=a.gpu_free)
                if short_of_play(g, r, a.gpu_free):
                    # Kept: the next round writes over the screenshot.
                    r["kept_screenshot"] = os.path.join(
                        a.out, f"{name}-{mode}-round{rnd + 1}-not-in-play.png")
                    shutil.copyfile(r["screenshot"], r["kept_screenshot"])
                rounds.append((rnd + 1, name, g, mode, r))
                print_round(rnd + 1, name, mode, r)
    counted, not_in_play = judge(rounds)
    for rnd, name, g, mode, r in rounds:
        if rnd in not_in_play.get(name, {}).get(mode, []):
            print(f"round {rnd} {name:16} {mode:8} not counted: its screenshot "
                  f"({r['colours']} colours, play has at least {g['scene_colours']}, and "
                  f"not like a native round's) is not of play: {r['kept_screenshot']}",
                  flush=True)
    for rnd, name, g, mode, r in counted:
        ok = r["first_frames_s"] is not None
        fps.setdefault(name, {}).setdefault(mode, []).append(r["fps"] if ok else 0.0)
        if ok:
            starts.setdefault(name, {}).setdefault(mode, []).append(r["first_frames_s"])
        if r["per_frame"] is not None:
            cpu_ms.setdefault(name, {}).setdefault(mode, []).append(r["per_frame"])
    if a.profile_libs:
        for name in a.games.split(","):
            g = game(name)
            if gamerun.missing_packages(g["packages"]):
                continue
            report = os.path.abspath(os.path.join(a.out, f"{name}-profile.json"))
            with Xvfb(autorepeat=False) as x:
                r = gamerun.play(parts, x, g, "lorelei", a.out, profile_out=report,
                                 gpu_free=a.gpu_free)
            if os.path.exists(report):
                with open(report) as f:
                    profiles[name] = json.load(f)
                # The whole run's report has loading in it; the measured
                # seconds alone are what a frame costs.
                profiles[name]["in_play"] = r["profile_in_play"]
                print(f"profile of {name}: {report}", flush=True)
                for line in profile_window.summary(r["profile_in_play"]):
                    print(line, flush=True)
    summary = {}
    if a.gpu_free:
        print("\nGALLIUM_NOOP=1: drawing discarded, frames counted by Mesa's HUD")
    print(f"\n{'game':16} " + " ".join(f"{m:>9}" for m in modes) +
          "  lorelei/native  lorelei/qemu")
    for name, per_mode in fps.items():
        med = {m: statistics.median(v) for m, v in per_mode.items()}
        row = {"fps": med, "rounds": per_mode,
               "first_frames_s": {m: statistics.median(v)
                                  for m, v in starts.get(name, {}).items()}}
        line = f"{name:16} " + " ".join(f"{med.get(m, 0):9.2f}" for m in modes)
        if med.get("native") and "lorelei" in med:
            row["lorelei_vs_native"] = med["lorelei"] / med["native"]
            line += f"  {row['lorelei_vs_native']:13.2f}x"
            line += " (target >= 0.8)" if row["lorelei_vs_native"] < TARGET_NATIVE else ""
        if "lorelei" in med and "qemu" in med:
            row["lorelei_vs_qemu"] = med["lorelei"] / med["qemu"] if med["qemu"] else None
            line += (f"  {row['lorelei_vs_qemu']:11.1f}x" if row["lorelei_vs_qemu"]
                     else "  plain qemu drew nothing")
        # A variant of qemu-lorelei (lorelei-no-zlib: a library left
        # emulated; lorelei-keep-rep-strings, lorelei-keep-sse42-strings):
        # what the difference is worth, in frame rate and in time to the
        # first picture (loading).
        for m in med:
            if (m != "lorelei" and gamerun.lorelei_options(m) is not None and med[m]
                    and "lorelei" in med):
                row[f"lorelei_vs_{m}"] = med["lorelei"] / med[m]
                line += f"  lorelei/{m} {row[f'lorelei_vs_{m}']:.2f}x"
        line += "  drew after " + ", ".join(f"{m} {v:.1f} s"
                                            for m, v in row["first_frames_s"].items())
        if name in cpu_ms:
            row["cpu_ms_per_frame"] = {m: statistics.median(v) for m, v in cpu_ms[name].items()}
        summary[name] = row
        print(line)
    # A game at its frame cap (or paced by its own clock) draws as many
    # frames in every mode: what each frame costs in CPU time tells the modes
    # apart (the game's process: under qemu-lorelei QEMU, with the game and
    # the host libraries).
    print(f"\n{'CPU ms/frame':16} " + " ".join(f"{m:>9}" for m in modes) + "  lorelei/native")
    for name, row in summary.items():
        per = row.get("cpu_ms_per_frame", {})
        if not per:
            continue
        line = f"{name:16} " + " ".join(f"{per.get(m, 0):9.2f}" for m in modes)
        if per.get("native") and per.get("lorelei"):
            row["cpu_lorelei_vs_native"] = per["lorelei"] / per["native"]
            line += f"  {row['cpu_lorelei_vs_native']:13.2f}x"
        print(line)
    for name, why in notes.items():
        print(f"{name:16} {why}")
    for name, per_mode in not_in_play.items():
        print(f"{name:16} rounds left out (a title or intro screen, not play): " +
              ", ".join(f"{m} {rounds}" for m, rounds in per_mode.items()))
    with open(os.path.join(a.out, "games.json"), "w") as f:
        json.dump({"gpu_free": a.gpu_free, "games": summary, "not_run": notes,
                   "not_in_play": not_in_play, "profiles": profiles,
                   "targets": {"lorelei_vs_native": TARGET_NATIVE,
                               "lorelei_vs_qemu": TARGET_PLAIN}}, f, indent=1)
    print(f"\nwritten: {os.path.join(a.out, 'games.json')}")


if __name__ == "__main__":
    main()
