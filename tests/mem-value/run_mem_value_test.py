#!/usr/bin/env python3
"""Patch 0008 of packaging/qemu/patches: a plugin's translation callback no
longer makes QEMU store every accessed value for memory callbacks that do
not exist, and the callbacks that do exist still see the values.

usage: run_mem_value_test.py CASE --qemu Q --guest G --plugin P
CASE:
  store-values  memory callbacks on stores: each sees the value stored
  load-values   memory callbacks on loads: each sees the value loaded
  no-extra-ops  a plugin with a translation callback and no memory callback
                adds no TCG op to the guest's code (QEMU's -d op_opt dump,
                compared with a run without the plugin): before the patch,
                one more store per guest load and store
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

COUNT = 1000  # mem_value_guest.c's

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(a, *qemu_args):
    cmd = [a.qemu, *qemu_args, a.guest]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    sys.stderr.write(p.stderr[-2000:])
    check(p.returncode == 0, f"the guest read back what it stored (exit status {p.returncode})")
    return p.stderr


def values_seen(a, watch):
    err = run(a, "-plugin", f"{a.plugin},watch={watch}")
    m = re.search(r"^mem-value: (\d+) in order, (\d+) wrong$", err, re.M)
    check(m is not None, "the plugin reported")
    if m:
        check(int(m.group(1)) == COUNT and int(m.group(2)) == 0,
              f"{'stores' if watch == 'w' else 'loads'}: {m.group(1)} of {COUNT} values seen "
              f"in order, {m.group(2)} wrong")


def ops(a, folder, name, *plugin):
    """The guest's TCG ops after optimization, counted by opcode."""
    log = os.path.join(folder, name + ".log")
    run(a, "-d", "op_opt", "-D", log, *plugin)
    with open(log) as f:
        text = f.read()
    count = collections.Counter()
    for line in text.splitlines():
        # " st_i64 tmp2,env,$0x..." ; op lines are indented, headers are not
        m = re.match(r"^ +([a-z][a-z0-9_]*) ", line)
        if m and m.group(1) != "insn_start":
            count[m.group(1)] += 1
    check(sum(count.values()) > 50, f"{name}: the dump has the guest's ops ({sum(count.values())})")
    return count


def no_extra_ops(a):
    with tempfile.TemporaryDirectory() as d:
        plain = ops(a, d, "without-plugin")
        with_cb = ops(a, d, "with-translation-callback", "-plugin", f"{a.plugin},watch=none")
    diff = {k: with_cb[k] - plain[k] for k in set(plain) | set(with_cb) if with_cb[k] != plain[k]}
    check(not diff, "the translation callback adds no op to the guest's code"
          + (f" (ops added or missing, by kind: {diff})" if diff else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["store-values", "load-values", "no-extra-ops"])
    for opt in ("--qemu", "--guest", "--plugin"):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    if a.case == "store-values":
        values_seen(a, "w")
    elif a.case == "load-values":
        values_seen(a, "r")
    else:
        no_extra_ops(a)
    print(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
