#!/usr/bin/env python3
"""bench/openal: what a game's OpenAL audio costs natively, under qemu-lorelei
(the game emulated, OpenAL forwarded to the host's OpenAL Soft) and under
plain qemu-x86_64 (the guest's own OpenAL Soft, its mixer emulated too), side
by side in one run.

Two workloads of al_bench.c, each timed inside the program (no start-up):
  calls  a game's per-frame source updates, 5 OpenAL calls per source, 32
         sources: the transport's cost per call dominates
  mix    32 looping sources mixed to 44.1 kHz stereo through the loopback
         device: OpenAL's mixer, which runs emulated without the thunk
Rounds interleave the three configurations, so load from other processes on
this shared machine hits them alike; each rate is the median of the rounds
and each ratio the median of the per-round ratios. Plain QEMU gets smaller
sizes (rates are per unit of work, so sizes do not enter the ratios).

usage: run.py --qemu Q --plugin P --preload S --stub-dir D --prog AL_BENCH
              [--out DIR] [--rounds R]
Writes DIR/openal.json and prints a table.
"""
import argparse
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "lib"))
from lorelei import Lorelei  # noqa: E402
from sidebyside import clean_env, measure  # noqa: E402

# (units for native and Lorelei, units for plain QEMU, what a unit is)
WORKLOADS = {"calls": (20000, 2000, "rounds of 32 sources x 5 calls"),
             "mix": (60, 4, "seconds of 32-source stereo audio")}


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--qemu", "--plugin", "--preload", "--stub-dir", "--prog"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    env = clean_env("ALSOFT_CONF")
    lcmd, lenv = Lorelei(a.qemu, a.plugin, a.preload).command(
        [a.prog], libs=["openal"], guest_lib_dirs=[a.stub_dir])
    configs = {"native": ([a.prog], env, 0), "lorelei": (lcmd, lenv, 0),
               "plain_qemu": ([a.qemu, a.prog], env, 1)}
    measure("openal", configs,
            {w: (fast, slow, unit, lambda n, w=w: [w, str(n)])
             for w, (fast, slow, unit) in WORKLOADS.items()}, a.rounds, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
