#!/usr/bin/env python3
"""liblorelei-profile.so on a guest program of known proportions
(profile_prog.c): the library that runs four times the program's loop gets
about four times its share of instructions, both are named by path, and the
forwarded calls are counted under their library, with the share of their
time their thread was running: calls that keep the CPU busy run most of
their time, calls that wait hardly any.

usage: run_profile.py --qemu Q --plugin P --preload S --profile-plugin PP
                      --prog PROG --stub-dir D [--asan-runtime R]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, add_common_args, end_process, from_args, run  # noqa: E402

ROUNDS, CALLS, TESTLIB_ID = 2_000_000, 5000, 1
# Tiny functions the program writes into one anonymous mapping (a JIT).
JIT_FUNCTIONS = 3000
# Forwarded calls that spin 2 ms (in the main run), and calls that wait 2 ms
# (in a run of their own): more than the plugin's CPU_ALWAYS_SAMPLED (64),
# so that random samples are taken too.
TIMED = 150


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap)
    ap.add_argument("--profile-plugin", required=True)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--stub-dir", required=True)
    a = ap.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "profile.json")
        cmd, env = profiled_prog(a, [ROUNDS, CALLS, JIT_FUNCTIONS, TIMED, 0], out)
        p = run(cmd, env=env, timeout=240)
        c.check(p.returncode == 0, "the program ran under both plugins")
        c.check("qemu-lorelei profile:" in p.stderr, "the report was printed at exit")
        if not c.check(os.path.exists(out), f"the JSON report was written ({out})"):
            c.finish()
        with open(out) as f:
            report = json.load(f)
    share = {os.path.basename(e["file"]): e["share"] for e in report["files"]}
    lib, prog = share.get("libprofile-spin.so", 0), share.get("profile_prog", 0)
    print(f"shares: library {lib:.3f}, program {prog:.3f}")
    c.check(lib > 0.3, f"the library's loop is the largest part ({lib:.1%} of instructions)")
    c.check(prog > 0.05, f"the program's own loop is counted under its file ({prog:.1%})")
    c.check(3.0 < lib / max(prog, 1e-9) < 5.0,
            f"four times the rounds give about four times the instructions ({lib / max(prog, 1e-9):.2f}x)")
    calls = {e["lib_id"]: e["calls"] for e in report["syscalls"]}
    c.check(calls.get(TESTLIB_ID, 0) >= CALLS,
            f"the {CALLS} forwarded calls are counted under library id {TESTLIB_ID} "
            f"({calls.get(TESTLIB_ID, 0)})")
    c.check(report["emulated_s"] > 0 and report["instructions"] > 5 * ROUNDS,
            f"emulated time {report['emulated_s']:.3f} s, {report['instructions']} instructions")
    c.check(report.get("complete") is True, "the report at exit says it is complete")
    # Each JIT function is a block in no file: the plugin must learn the
    # mapping once, not re-read /proc/self/maps for every block (Minetest's
    # LuaJIT stalled for minutes that way).
    c.check(report.get("maps_reads", JIT_FUNCTIONS) < 100,
            f"{JIT_FUNCTIONS} JIT-written blocks did not each re-read the mappings "
            f"({report.get('maps_reads')} reads)")
    anon = share.get("(code in no file: JIT, vDSO)", 0)
    c.check(anon > 0, f"the JIT's code is counted as code in no file ({anon:.2%})")
    share = library_line(report).get("running_share")
    c.check(share is not None and share >= 0.7,
            f"calls that keep the CPU busy (and {CALLS} short ones) ran most of their time "
            f"(running share {share}, at least 0.7)")
    c.check("(running " in p.stderr, "the table at exit shows the running shares")
    waiting_calls(a, c)
    killed_by_a_signal(a, c)
    c.finish()


def profiled_prog(a, args, out):
    """The command and environment that run profile_prog with args under
    the testlib plugin and the profiling plugin (report in out)."""
    return from_args(a).command(
        [a.prog, *map(str, args)], libs=["testlib"],
        guest_lib_dirs=[a.stub_dir, os.path.dirname(os.path.abspath(a.prog))],
        qemu_args=["-plugin", f"{os.path.abspath(a.profile_plugin)},out={out}"])


def library_line(report):
    return next((e for e in report["syscalls"] if e["lib_id"] == TESTLIB_ID), {})


def waiting_calls(a, c):
    """Calls that wait (for a flag nobody sets): their thread hardly runs."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "waiting.json")
        cmd, env = profiled_prog(a, [0, 0, 0, 0, TIMED], out)
        p = run(cmd, env=env, timeout=120)
        c.check(p.returncode == 0, f"the waiting calls ran (status {p.returncode})"
                + (f"; {p.stderr[:300]}" if p.returncode else ""))
        if not c.check(os.path.exists(out), f"their report was written ({out})"):
            return
        with open(out) as f:
            line = library_line(json.load(f))
    share = line.get("running_share")
    c.check(line.get("calls", 0) >= TIMED and share is not None and share <= 0.3,
            f"{TIMED} calls that wait 2 ms each hardly ran ({line.get('calls')} calls, "
            f"{line.get('seconds')} s, running share {share}, at most 0.3)")


def killed_by_a_signal(a, c):
    """A guest that dies of a signal never reaches QEMU's exit callbacks: the
    report written while it ran (every 2 s) must be there, marked incomplete,
    naming the program that ran (`yes`, which makes a system call per line)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "killed.json")
        cmd, env = from_args(a).command(
            ["/usr/bin/yes"], plugin=False, preload=False,
            qemu_args=["-plugin", f"{os.path.abspath(a.profile_plugin)},out={out}"])
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(6)
        _, err, _ = end_process(p, signal.SIGTERM)
        c.check(p.returncode == -signal.SIGTERM, f"yes died of SIGTERM (status {p.returncode})")
        if not c.check(os.path.exists(out), f"a guest killed by a signal left its report ({out})"):
            print(err[-2000:])
            return
        with open(out) as f:
            report = json.load(f)
    files = {os.path.basename(e["file"]): e["share"] for e in report["files"]}
    c.check(report.get("complete") is False, "that report says it is incomplete")
    c.check(files.get("yes", 0) > 0.1 and report["instructions"] > 0,
            f"it counts the program's own instructions ({files})")


if __name__ == "__main__":
    main()
