#!/usr/bin/env python3
"""bench/ymm: scalar float arithmetic right after a 256-bit vector operation
against right after a 128-bit one, natively, under `qemu-lorelei run` and
under plain qemu-x86_64, side by side in one run (bench/sidebyside.py says
how).

Why: on an x86_64 host with AVX2, QEMU turns the guest's 256-bit operations
(glibc's AVX2 memcpy, strlen, strcmp: the guest picks them because the CPU
model offers AVX2) into 256-bit host instructions. Until the upper halves
of the ymm registers are cleaned (VZEROUPPER), every legacy-SSE instruction
the host runs is slowed, and softfloat, which runs each guest float
operation, is legacy SSE. QEMU cleaned them only on its way back to the
main loop; patch 0009 does so before every helper call and TB jump that
follows 256-bit code. With it, both workloads run at the same rate (the
last line's ratio near 1.00); without it, after-ymm ran about 0.83 times
as fast as after-xmm. Only x86_64 hosts are concerned.

usage: run.py --launcher QEMU_LORELEI --qemu Q --prog YMM_BENCH [--out DIR] [--rounds R]
Writes DIR/ymm.json and prints a table.
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
               "plain_qemu": ([a.qemu, a.prog], env, 0)}
    workloads = {w: (2000, 2000, "thousand iterations (one vector add, 50 multiply-adds)",
                     lambda n, w=w: [w, str(n)])
                 for w in ("after-ymm", "after-xmm")}
    res = measure("ymm", configs, workloads, a.rounds, a.out)
    rates = {w: r["rates_per_round"] for w, r in res["workloads"].items()}
    for config in ("native", "lorelei", "plain_qemu"):
        ratio = statistics.median(y / x for y, x in zip(rates["after-ymm"][config],
                                                        rates["after-xmm"][config]))
        print(f"{config}: float code after a 256-bit operation / after a 128-bit one: "
              f"{ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
