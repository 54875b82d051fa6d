#!/usr/bin/env python3
"""bench/percall: per-call cost of the Lorelei transport, measured side by
side in one run, and the ratios the core issue targets.

usage: run.py --qemu Q --plugin P --preload S --floor-plugin F --prog PERCALL
              --native-dir D --stub-dir D [--out DIR] [--iterations N] [--rounds R]
Writes DIR/percall.json and prints a table (ns per call, median of R rounds).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
from lorelei import Lorelei  # noqa: E402


def measure(cmd, env, what, n, rounds):
    p = subprocess.run(cmd + [what, str(n), str(rounds)], env=env, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        sys.exit(f"percall: {' '.join(cmd)} {what} failed ({p.returncode}):\n{p.stderr}")
    name, median, best, worst = p.stdout.split()
    return {"median_ns": float(median), "min_ns": float(best), "max_ns": float(worst)}


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--qemu", "--plugin", "--preload", "--floor-plugin", "--inline-plugin", "--prog",
                "--native-dir", "--stub-dir"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--iterations", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=9)
    a = ap.parse_args()
    n, r = a.iterations, a.rounds

    native_env = dict(os.environ, LD_LIBRARY_PATH=a.native_dir)
    lorelei = Lorelei(a.qemu, a.plugin, a.preload)
    lcmd, lenv = lorelei.command([a.prog], libs=["testlib"], guest_lib_dirs=[a.stub_dir],
                                 host_lib_dirs=[a.native_dir])
    fcmd = [a.qemu, "-plugin", a.floor_plugin, a.prog]
    plain_env = dict(os.environ, LD_LIBRARY_PATH=a.native_dir)
    pcmd = [a.qemu, "-E", f"LD_LIBRARY_PATH={a.native_dir}", a.prog]

    res = {
        "native": {w: measure([a.prog], native_env, w, n, r) for w in ("add", "nop", "callback")},
        "lorelei": {w: measure(lcmd, lenv, w, n, r) for w in ("add", "nop", "callback", "getpid")},
        "floor_plugin": {"floor": measure(fcmd, plain_env, "floor", n, r)},
        # Not the product: an instruction callback answering a marker without
        # leaving the CPU loop, to size a cheaper transport for leaf calls.
        "inline_experiment": {"inline": measure([a.qemu, "-plugin", a.inline_plugin, a.prog],
                                                plain_env, "inline", n, r)},
        "plain_qemu": {"getpid": measure(pcmd, plain_env, "getpid", n, r)},
    }
    hn = max(n // 10, 1000)
    res["native"]["hostcb"] = measure([a.prog], native_env, "hostcb", hn, r)
    res["lorelei"]["hostcb"] = measure(lcmd, lenv, "hostcb", hn, r)

    m = lambda where, what: res[where][what]["median_ns"]  # noqa: E731
    floor, trivial = m("floor_plugin", "floor"), m("lorelei", "add")
    ratios = {
        "trivial_call_over_floor": trivial / floor,
        "trivial_call_over_emulated_getpid": trivial / m("plain_qemu", "getpid"),
        # host -> guest -> host: what a call with one callback costs beyond a
        # trivial call (tl_apply() - tl_add())
        "callback_roundtrip_over_trivial_call": (m("lorelei", "callback") - trivial) / trivial,
        "call_with_callback_over_trivial_call": m("lorelei", "callback") / trivial,
        "trivial_call_over_native": trivial / m("native", "add"),
        "inline_experiment_over_floor": m("inline_experiment", "inline") / floor,
    }
    targets = {
        "trivial_call_over_floor": ("<=", 1.2),
        "callback_roundtrip_over_trivial_call": ("<=", 2.0),
    }
    res["ratios"] = ratios
    res["host_thread_callback_ns"] = m("lorelei", "hostcb")
    res["config"] = {"iterations": n, "rounds": r}

    print(f"{'what':44} {'native':>9} {'lorelei':>9} {'floor':>9} {'plainQEMU':>9}   (ns/call, median)")
    rows = [("trivial thunked call tl_add()", m("native", "add"), trivial, None, None),
            ("trivial call, no arguments tl_nop()", m("native", "nop"), m("lorelei", "nop"), None, None),
            ("bare filter answering at once (the floor)", None, None, floor, None),
            ("experiment: marker insn + insn callback", None, None, m("inline_experiment", "inline"), None),
            ("emulated getpid syscall", None, m("lorelei", "getpid"), None, m("plain_qemu", "getpid")),
            ("call + same-thread callback tl_apply()", m("native", "callback"), m("lorelei", "callback"), None, None),
            ("host-thread callback round trip", m("native", "hostcb"), m("lorelei", "hostcb"), None, None)]
    fmt = lambda v: f"{v:9.1f}" if v is not None else f"{'-':>9}"  # noqa: E731
    for name, *vals in rows:
        print(f"{name:44} " + " ".join(fmt(v) for v in vals))
    print()
    for k, v in ratios.items():
        t = targets.get(k)
        verdict = ""
        if t:
            ok = v <= t[1] if t[0] == "<=" else v >= t[1]
            verdict = f"  target {t[0]} {t[1]}: {'met' if ok else 'MISSED'}"
        print(f"{k:40} {v:6.2f}{verdict}")
    hc = res["host_thread_callback_ns"]
    print(f"{'host_thread_callback_ns':40} {hc:6.0f}  target <= 2000: {'met' if hc <= 2000 else 'MISSED'}")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "percall.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
