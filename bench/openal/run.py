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
import json
import os
import re
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "lib"))
from lorelei import Lorelei  # noqa: E402

# (units for native and Lorelei, units for plain QEMU, what a unit is)
WORKLOADS = {"calls": (20000, 2000, "rounds of 32 sources x 5 calls"),
             "mix": (60, 4, "seconds of 32-source stereo audio")}


def timed(cmd, env, workload, units):
    p = subprocess.run(cmd + [workload, str(units)], env=env, capture_output=True, text=True,
                       timeout=900)
    m = re.search(r"seconds=([0-9.]+) error=0x0", p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"bench-openal: {' '.join(cmd)} {workload} {units} failed ({p.returncode}):\n"
                 f"{p.stdout}{p.stderr[-3000:]}")
    return units / float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--qemu", "--plugin", "--preload", "--stub-dir", "--prog"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH", "ALSOFT_CONF"):
        env.pop(k, None)
    lcmd, lenv = Lorelei(a.qemu, a.plugin, a.preload).command(
        [a.prog], libs=["openal"], guest_lib_dirs=[a.stub_dir])
    configs = {"native": ([a.prog], env, 0), "lorelei": (lcmd, lenv, 0),
               "plain_qemu": ([a.qemu, a.prog], env, 1)}
    res = {"benchmark": "openal", "rounds": a.rounds, "workloads": {}}
    for workload, sizes in WORKLOADS.items():
        rates = {name: [] for name in configs}
        for r in range(a.rounds):
            for name, (cmd, cenv, which) in configs.items():
                rates[name].append(timed(cmd, cenv, workload, sizes[which]))
            print(f"  {workload} round {r + 1}: " + ", ".join(
                f"{n} {rates[n][-1]:.1f}/s" for n in configs), flush=True)
        per_round = {k: [lo / other for lo, other in zip(rates["lorelei"], rates[k])]
                     for k in ("native", "plain_qemu")}
        res["workloads"][workload] = {
            "unit": sizes[2], "units": {"native": sizes[0], "lorelei": sizes[0],
                                        "plain_qemu": sizes[1]},
            "rate_per_s": {n: statistics.median(v) for n, v in rates.items()},
            "rates_per_round": rates,
            "lorelei_over_native": statistics.median(per_round["native"]),
            "lorelei_over_plain_qemu": statistics.median(per_round["plain_qemu"]),
            "plain_qemu_over_native": statistics.median(
                [p / n for p, n in zip(rates["plain_qemu"], rates["native"])])}
    with open(os.path.join(a.out, "openal.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(f"\n{'workload':10}{'native/s':>12}{'lorelei/s':>12}{'plain/s':>12}"
          f"{'lo/native':>11}{'lo/plain':>10}{'plain/native':>14}")
    for w, r in res["workloads"].items():
        rate = r["rate_per_s"]
        print(f"{w:10}{rate['native']:12.1f}{rate['lorelei']:12.1f}{rate['plain_qemu']:12.1f}"
              f"{r['lorelei_over_native']:11.2f}{r['lorelei_over_plain_qemu']:10.1f}"
              f"{r['plain_qemu_over_native']:14.3f}")
    print("units: " + "; ".join(f"{w}: {r['unit']}" for w, r in res["workloads"].items()))
    print(f"wrote {os.path.join(a.out, 'openal.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
