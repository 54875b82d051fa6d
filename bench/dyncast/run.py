#!/usr/bin/env python3
"""bench/dyncast: dynamic_cast natively, under `qemu-lorelei run` (which
preloads its dynamic_cast cache into the game), under `qemu-lorelei run
--keep-dynamic-cast` (libstdc++ answers every cast, walking the class
hierarchy emulated) and under plain qemu-x86_64, side by side in one run
(bench/sidebyside.py says how). Workloads of dyncast_bench.cpp:
  single     casts over classes with one base each
  multiple   casts over classes with several bases (as SuperTux's game
             objects have): longer walks in libstdc++, the same cost cached

usage: run.py --launcher QEMU_LORELEI --qemu Q --prog DYNCAST_BENCH [--out DIR] [--rounds R]
Writes DIR/dyncast.json and prints a table, then the cache's own ratio.
"""
import os
import statistics
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
from sidebyside import arguments, clean_env, measure  # noqa: E402


def main():
    a = arguments(("--launcher", "--qemu", "--prog"), rounds=3)
    env = clean_env()
    configs = {"native": ([a.prog], env, 0),
               "lorelei": ([a.launcher, "run", a.prog], env, 0),
               "lorelei_keep_dynamic_cast": ([a.launcher, "run", "--keep-dynamic-cast", a.prog],
                                             env, 1),
               "plain_qemu": ([a.qemu, a.prog], env, 1)}
    workloads = {kind: (6000, 600, "thousand casts", lambda n, kind=kind: [kind, str(n)])
                 for kind in ("single", "multiple")}
    res = measure("dyncast", configs, workloads, a.rounds, a.out)
    print("\nthe cache alone (qemu-lorelei against qemu-lorelei --keep-dynamic-cast, "
          "median of the per-round ratios):")
    for w, r in res["workloads"].items():
        rates = r["rates_per_round"]
        ratio = statistics.median(
            on / off for on, off in zip(rates["lorelei"], rates["lorelei_keep_dynamic_cast"]))
        print(f"  {w:10}{ratio:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
