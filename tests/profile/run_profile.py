#!/usr/bin/env python3
"""liblorelei-profile.so on a guest program of known proportions
(profile_prog.c): the library that runs four times the program's loop gets
about four times its share of instructions, both are named by path, and the
forwarded calls are counted under their library, with the share of their
time their thread was running: calls that keep the CPU busy run most of
their time, calls that wait hardly any.

Guest functions are named from the files' symbols: the library's loop
and the program's own come out under their names in the same proportion,
and a program stripped of its symbols gets its function's name back from a
debug file found by its build ID (as Debian's -dbg packages install them).

usage: run_profile.py --qemu Q --plugin P --preload S --profile-plugin PP
                      --prog PROG --stub-dir D --objcopy OBJCOPY [--asan-runtime R]
"""
import argparse
import json
import os
import shutil
import signal
import struct
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
    ap.add_argument("--objcopy", required=True, help="the guest's objcopy (to strip the program)")
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
    functions = {(os.path.basename(e["file"]), e["function"]): e["share"]
                 for e in report.get("guest_functions", [])}
    in_lib = functions.get(("libprofile-spin.so", "spin_in_library"), 0)
    in_prog = functions.get(("profile_prog", "spin_in_program"), 0)
    print(f"functions: spin_in_library {in_lib:.3f}, spin_in_program {in_prog:.3f}")
    c.check(abs(in_lib - lib) < 0.02 and abs(in_prog - prog) < 0.05,
            "the two loops are named, each with (nearly) all of its file's instructions "
            f"(spin_in_library {in_lib:.1%} of {lib:.1%}, spin_in_program {in_prog:.1%} of "
            f"{prog:.1%})")
    c.check("profile_prog: spin_in_program" in p.stderr and "spin_in_library" in p.stderr,
            "the table at exit names them")
    waiting_calls(a, c)
    named_by_debug_symbols(a, c)
    killed_by_a_signal(a, c)
    c.finish()


def profiled_prog(a, args, out, prog=None, plugin_args=""):
    """The command and environment that run profile_prog (or its copy prog)
    with args under the testlib plugin and the profiling plugin (report in
    out, more of the plugin's arguments in plugin_args)."""
    prog = prog or a.prog
    return from_args(a).command(
        [prog, *map(str, args)], libs=["testlib"],
        guest_lib_dirs=[a.stub_dir, os.path.dirname(os.path.abspath(prog))],
        qemu_args=["-plugin", f"{os.path.abspath(a.profile_plugin)},out={out}{plugin_args}"])


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


def named_by_debug_symbols(a, c):
    """The program stripped of its .symtab: spin_in_program has no name of
    its own, unless the debug file kept by `objcopy --only-keep-debug` is
    where debug_dir=DIR looks for it (DIR/.build-id/NN/REST.debug)."""
    with tempfile.TemporaryDirectory() as d:
        prog = os.path.join(d, "profile_prog")
        shutil.copy(a.prog, prog)
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(a.prog)), "libprofile-spin.so"), d)
        build_id = build_id_of(prog)
        if not c.check(build_id is not None and len(build_id) > 2,
                       f"the program has a build ID ({build_id})"):
            return
        debug = os.path.join(d, "debug", ".build-id", build_id[:2], build_id[2:] + ".debug")
        os.makedirs(os.path.dirname(debug))
        subprocess.run([a.objcopy, "--only-keep-debug", prog, debug], check=True)
        subprocess.run([a.objcopy, "--strip-all", prog], check=True)
        named = {}
        for label, debug_dir in (("without", ""), ("with", os.path.join(d, "debug"))):
            out = os.path.join(d, label + ".json")
            cmd, env = profiled_prog(a, [ROUNDS // 4, 0, 0, 0, 0], out, prog=prog,
                                     plugin_args=f",debug_dir={debug_dir}")
            p = run(cmd, env=env, timeout=120)
            c.check(p.returncode == 0 and os.path.exists(out),
                    f"the stripped program ran, {label} its debug file (status {p.returncode})")
            if not os.path.exists(out):
                return
            with open(out) as f:
                named[label] = {(os.path.basename(e["file"]), e["function"]): e["share"]
                                for e in json.load(f).get("guest_functions", [])}
    key = ("profile_prog", "spin_in_program")
    c.check(key not in named["without"],
            f"stripped, spin_in_program has no name ({named['without'].get(key)})")
    c.check(named["with"].get(key, 0) > 0.05,
            f"with its debug file it is named again ({named['with'].get(key, 0):.1%})")


def build_id_of(path):
    """The GNU build ID of an ELF file, in hex (read here, not by the module
    under test): the note in a PT_NOTE segment."""
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        at, end = p_offset, p_offset + p_filesz
        while p_type == 4 and at + 12 <= end:
            namesz, descsz, n_type = struct.unpack_from("<III", data, at)
            name_at = at + 12
            desc_at = name_at + (namesz + 3) // 4 * 4
            if n_type == 3 and data[name_at:name_at + namesz] == b"GNU\0":
                return data[desc_at:desc_at + descsz].hex()
            at = desc_at + (descsz + 3) // 4 * 4
    return None


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
