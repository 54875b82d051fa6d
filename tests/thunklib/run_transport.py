#!/usr/bin/env python3
"""The inline transport's end-to-end tests (docs/abi.md, "Inline calls"):
transport_prog and testlib_prog under qemu-x86_64 + the plugin.

usage: run_transport.py CASE --qemu Q --plugin P --preload S --prog PROG
                        --testlib-prog PROG --native-dir D --host-lib-dir D
                        --stub-dir D [--asan-runtime R]

--native-dir holds the x86_64 liblorelei-testlib.so.1 the native runs use,
--host-lib-dir the host's build of it that the plugin loads (the same
directory on an x86_64 host; apart in the aarch64 lane).
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, add_common_args, end_process, from_args, run  # noqa: E402

c = Checks()
MAGIC = "Unknown syscall 19538"  # how -strace prints LORELEI_SYSCALL_NR
# A blocking call served inline hangs the game for good; 20 s is when the
# waiting call gives up by itself, so anything past HANG_S is the hang.
HANG_S = 12


def command(a, prog, *args, plugin_args=(), qemu_args=()):
    return from_args(a).command([prog, *args], libs=["testlib"], guest_lib_dirs=[a.stub_dir],
                                host_lib_dirs=[a.host_lib_dir], plugin_args=plugin_args,
                                qemu_args=qemu_args)


def under_lorelei(a, *args, prog=None, timeout=120, host_check=True, **kw):
    """host_check: in the aarch64 lane, check that the aarch64 plugin ran
    and loaded the aarch64 host library (nothing on an x86_64 host)."""
    cmd, env = command(a, prog or a.prog, *args, **kw)
    p = run(cmd, env=env, timeout=timeout)
    if host_check:
        from_args(a).check_host(c, p.stderr, " ".join(args))
    return p


def magic_syscalls(a, *args, **kw):
    """Runs under -strace; returns (process, number of magic syscalls)."""
    cmd, env = command(a, a.prog, *args, qemu_args=["-strace"], **kw)
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace", timeout=300)
    n = p.stderr.count(MAGIC)
    from_args(a).check_host(c, p.stderr, " ".join(args))
    print(f"--- exit status {p.returncode}, {n} magic syscalls, stdout: {p.stdout.strip()}")
    return p, n


def case_count(a):
    n = 2000
    p, inline = magic_syscalls(a, "count", str(n))
    c.check(p.returncode == 0 and p.stdout.strip() == f"sum={n * (n + 1) // 2}",
            "the inline run computes the native result")
    c.check(inline < 100, f"{2 * n} trivial calls took the inline path ({inline} magic syscalls "
                          "in all, for start-up and the callback manager)")
    p, syscall = magic_syscalls(a, "count", str(n), plugin_args=["transport=syscall"])
    c.check(p.returncode == 0 and syscall >= 2 * n,
            f"transport=syscall: every call is a magic syscall ({syscall})")
    p, per_lib = magic_syscalls(a, "count", str(n), plugin_args=["transport.testlib=syscall"])
    c.check(p.returncode == 0 and per_lib >= 2 * n,
            f"transport.testlib=syscall: the library's calls are magic syscalls ({per_lib})")
    p, mixed = magic_syscalls(a, "count", str(n),
                              plugin_args=["transport=syscall", "transport.testlib=inline"])
    c.check(p.returncode == 0 and mixed < 100,
            f"transport.testlib=inline overrides transport=syscall ({mixed})")


def case_compare(a):
    """Every shape of call gives the native result through either transport."""
    env = dict(os.environ, LD_LIBRARY_PATH=a.native_dir)
    env.pop("LD_PRELOAD", None)
    n = run([a.testlib_prog, "all"], env=env)
    for args in ([], ["transport=syscall"]):
        l = under_lorelei(a, "all", prog=a.testlib_prog, plugin_args=args)
        what = " ".join(args) or "the default (inline)"
        c.check(l.returncode == 0 and l.stdout == n.stdout and len(n.stdout.splitlines()) > 30,
                f"{what}: the output equals the native run's (errno, strings handed to "
                "syscalls, structs, floats, callbacks)")


def case_options(a):
    for arg, says in (("transport=fast", "transport=fast: expected inline or syscall"),
                      ("transport.nosuchlib=syscall", "unknown thunk library 'nosuchlib'"),
                      ("transport.testlib=maybe", "expected inline or syscall")):
        l = under_lorelei(a, "count", "1", prog=a.prog, plugin_args=[arg], host_check=False)
        c.check(l.returncode != 0 and says in l.stderr, f"{arg} is refused: '{says}'")


def hang_case(a, mode, done_line, qemu_args=()):
    shipped = time.monotonic()
    l = under_lorelei(a, mode, qemu_args=qemu_args, timeout=120)
    took = time.monotonic() - shipped
    c.check(l.returncode == 0 and "done" in l.stdout and "flag=1" in l.stdout,
            f"shipped classification: {mode} completes ({took:.1f} s, the blocking call took "
            "the syscall path)")
    cmd, env = command(a, a.prog, mode, plugin_args=["test_inline_blocking=on"],
                       qemu_args=qemu_args)
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=HANG_S)
        hung = False
    except subprocess.TimeoutExpired:
        hung = True
    out, err, _ = end_process(p, sig=signal.SIGKILL if hung else None, timeout=30)
    print("--- stdout\n" + out + "--- stderr\n" + err[-2000:])
    c.check(hung and done_line not in out,
            f"the same call forced inline (test_inline_blocking=on) hangs the game: no "
            f"'{done_line}' within {HANG_S} s")


def case_blocking_fork(a):
    hang_case(a, "blocking-fork", "forked")


def case_blocking_tbflush(a):
    # A 1 MiB translation cache fills up within the flood.
    hang_case(a, "blocking-tbflush", "flooded", qemu_args=["-tb-size", "1"])


def case_signal(a):
    for args in ([], ["transport=syscall"]):
        l = under_lorelei(a, "signal", plugin_args=args)
        what = " ".join(args) or "inline"
        c.check(l.returncode == 0 and "handled=1 right_after_call=1 call_ran_whole=1" in l.stdout,
                f"{what}: a signal arriving during a 400 ms host call on a guest thread runs its "
                "handler right after the call returns")


def case_deep_stack(a):
    l = under_lorelei(a, "deep-stack", "4", timeout=300)
    c.check(l.returncode == 0 and "deep_stack_threads=4 same_results=1" in l.stdout,
            "4 guest threads run host code 1.5 MiB deep inline")


def case_planted(a):
    l = under_lorelei(a, "planted")
    got = dict(line.split(": ", 1) for line in l.stdout.splitlines() if ": " in line)
    c.check(l.returncode == 0 and "still_works=3" in l.stdout, "QEMU survives hand-made markers")
    want = {
        "valid": "status=0 result=42",
        "wild_index": "status=-2",
        "wild_library": "status=-2",
        "negative_id": "status=-2",
        "wrong_frame_size": "status=-22",
        "stores_swapped": "left_for_call",
        "correct_request": "status=0",
        "marker_only_wild_rdx": "nothing_happened",
        "wild_frame": "guest_signal=11",
        "read_only_frame": "guest_signal=11",
        "frame_end_unmapped": "guest_signal=11",
    }
    for k, v in want.items():
        c.check(got.get(k) == v, f"{k}: {v} (got {got.get(k)})")
    # Switched off, the plugin leaves even a correct request to the syscall.
    l = under_lorelei(a, "planted", plugin_args=["transport=syscall"])
    c.check("correct_request: left_for_call" in l.stdout,
            "transport=syscall: a correct hand-made request is left for CALL (status untouched)")


def case_host_fork(a):
    l = under_lorelei(a, "host-fork")
    c.check(l.returncode == 0 and "first=-11 second=7" in l.stdout,
            "a host function that forks while served inline is refused once (EAGAIN), then "
            "forks on the syscall path")
    c.check("tl_fork_and_wait forked a process while running inline" in l.stderr and
            "Mark it blocking" in l.stderr, "and the plugin names it and says what to do")
    l = under_lorelei(a, "host-fork", plugin_args=["transport=syscall"])
    c.check(l.returncode == 0 and "first=7 second=7" in l.stdout,
            "transport=syscall: it forks both times")


CASES = {"count": case_count, "host-fork": case_host_fork, "compare": case_compare, "options": case_options,
         "blocking-fork": case_blocking_fork, "blocking-tbflush": case_blocking_tbflush,
         "signal": case_signal, "deep-stack": case_deep_stack, "planted": case_planted}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    add_common_args(ap)
    for opt in ("--prog", "--testlib-prog", "--native-dir", "--host-lib-dir", "--stub-dir"):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    CASES[a.case](a)
    c.finish()


if __name__ == "__main__":
    main()
