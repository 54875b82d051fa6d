#!/usr/bin/env python3
"""bench/strings: glibc's memcpy, memset, strcspn and strspn natively, under
`qemu-lorelei run` and under plain qemu-x86_64, side by side in one run
(bench/sidebyside.py says how). QEMU's TCG runs REP MOVSB and REP STOSB one
element per iteration; glibc uses them above a few KiB when CPUID says they
are fast (ERMS, FSRM), as QEMU's default model "max" does. qemu-lorelei
hides those features (run --keep-rep-strings keeps them), so glibc takes its
vector loops. "plain" here is qemu-x86_64 with its default model: what the guest
got before. Workloads of strings_bench.c, each SIZE bytes per call:
  copy-256, fill-256   below glibc's REP thresholds: the same code either way
  copy-4k, copy-64k, copy-1m, fill-4k, fill-64k, fill-1m
  span-8, span-24, span-200   strcspn and strspn on words of that many
                       characters. qemu-lorelei gives the game
                       GLIBC_TUNABLES=glibc.cpu.hwcaps=-SSE4_2, so glibc takes
                       its SSE2 versions; plain QEMU gets the SSE4.2 ones,
                       whose PCMPISTRI QEMU runs byte by byte

usage: run.py --launcher QEMU_LORELEI --qemu Q --prog STRINGS_BENCH [--out DIR] [--rounds R]
Writes DIR/strings.json and prints a table.
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
from sidebyside import arguments, clean_env, measure  # noqa: E402

SIZES = {"256": 256, "4k": 4096, "64k": 65536, "1m": 1 << 20}


def main():
    a = arguments(("--launcher", "--qemu", "--prog"), rounds=3)
    env = clean_env()
    configs = {"native": ([a.prog], env, 0),
               "lorelei": ([a.launcher, "run", a.prog], env, 0),
               "plain_qemu": ([a.qemu, a.prog], env, 1)}
    workloads = {}
    for what, (fast, slow) in (("copy", (8192, 1024)), ("fill", (16384, 1024))):
        for name, size in SIZES.items():
            workloads[f"{what}-{name}"] = (
                fast, slow, "MiB " + ("copied" if what == "copy" else "cleared"),
                lambda n, what=what, size=size: [what, str(size), str(n)])
    for length, (fast, slow) in (("8", (4000, 500)), ("24", (2000, 250)), ("200", (500, 60))):
        workloads[f"span-{length}"] = (
            fast, slow, "thousand strcspn + strspn pairs",
            lambda n, length=length: ["span", length, str(n)])
    measure("strings", configs, workloads, a.rounds, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
