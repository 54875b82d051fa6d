#!/usr/bin/env python3
"""The core's end-to-end tests: testlib_prog natively against the real
liblorelei-testlib, and under qemu-x86_64 + the plugin against its stub.

usage: run_testlib.py CASE --qemu Q --plugin P --preload S --prog PROG
                      --native-dir D --stub-dir D [--host-lib-dir D] [--asan-runtime R]
                      [--host-arch A [--page-size N]] [--sysroot DIR]

--native-dir holds the x86_64 liblorelei-testlib.so.1 the native runs use,
--host-lib-dir (default: the same) the host's one the plugin loads.
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, add_common_args, from_args, run  # noqa: E402

c = Checks()


def native(a, *args, timeout=120, **popen):
    env = dict(os.environ, LD_LIBRARY_PATH=a.native_dir)
    env.pop("LD_PRELOAD", None)
    return run([a.prog, *args], env=env, timeout=timeout, **popen)


def lorelei_cmd(a, *args, **kw):
    kw.setdefault("libs", ["testlib"])
    kw.setdefault("guest_lib_dirs", [a.stub_dir])
    kw.setdefault("host_lib_dirs", [a.host_lib_dir or a.native_dir])
    return from_args(a).command([a.prog, *args], **kw)


def under_lorelei(a, *args, timeout=120, preexec_fn=None, host_libs=1, **kw):
    """host_libs: how many host libraries the run must load (check_host);
    None for a run without the plugin."""
    cmd, env = lorelei_cmd(a, *args, **kw)
    p = run(cmd, env=env, timeout=timeout, preexec_fn=preexec_fn)
    if host_libs is not None:
        from_args(a).check_host(c, p.stderr, f"{a.case} {' '.join(args)}", libs=host_libs)
    return p


def case_compare(a):
    n = native(a, "all")
    l = under_lorelei(a, "all")
    c.check(n.returncode == 0 and l.returncode == 0, "both runs exit 0")
    c.check("running natively" in n.stderr, "the native run ran natively")
    c.check("running under qemu-lorelei" in l.stderr, "the Lorelei run went through the plugin")
    nl, ll = n.stdout.splitlines(), l.stdout.splitlines()
    c.check(len(nl) >= 30, f"the program printed its results ({len(nl)} lines)")
    for i, (x, y) in enumerate(zip(nl, ll)):
        c.check(x == y, f"line {i + 1}: {x}" + ("" if x == y else f"  !=  {y}"))
    c.check(len(nl) == len(ll), f"same number of lines ({len(nl)} vs {len(ll)})")
    c.check("callbacks_in_wrong_context=0" in l.stdout, "every callback ran as emulated guest code")


def case_threads(a):
    n = native(a, "threads", "8", "20000")
    l = under_lorelei(a, "threads", "8", "20000", timeout=300)
    c.check(n.returncode == 0 and l.returncode == 0, "both runs exit 0")
    c.check(n.stdout.strip() != "" and n.stdout == l.stdout,
            "8 guest threads calling at once get the native results")
    c.check("wrong_context=0" in l.stdout, "their callbacks ran as guest code")


def case_badcalls(a):
    l = under_lorelei(a, "badcalls")
    want = {"bad_index": "-2", "bad_lib": "-2", "huge_id": "-2", "bad_op": "-22",
            "stray_callback_return": "-71", "bad_channel": "-2", "still_works": "3"}
    got = dict(line.split("=", 1) for line in l.stdout.splitlines() if "=" in line)
    c.check(l.returncode == 0, "malformed requests do not crash QEMU")
    for k, v in want.items():
        c.check(got.get(k) == v, f"{k} answered {v} (got {got.get(k)})")


def case_signal_wait(a):
    l = under_lorelei(a, "signal-wait", timeout=60)
    c.check(l.returncode == 0, "exit 0")
    c.check("handler_ran=1 on_manager=1" in l.stdout,
            "a guest signal handler ran on the service thread waiting in the filter")
    c.check("thread_after=12" in l.stdout, "the manager still served callbacks afterwards")


def case_block(a, sig):
    cmd, env = lorelei_cmd(a, "block")
    print("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    c.check(line.strip() == "blocking", "the guest reached its blocking host call")
    time.sleep(0.5)
    p.send_signal(sig)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        c.check(False, f"{signal.Signals(sig).name} ended the game within 10 s (it hung)")
        return
    err = p.stderr.read()
    print(err)
    from_args(a).check_host(c, err, f"{signal.Signals(sig).name} run")
    c.check(p.returncode == -sig,
            f"{signal.Signals(sig).name} ended the game blocked in a host call "
            f"(killed by the signal; status {p.returncode})")


def block_usr1():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})


def case_busy_signals(a):
    n = native(a, "busy-signals", timeout=120, preexec_fn=block_usr1)
    l = under_lorelei(a, "busy-signals", timeout=120, preexec_fn=block_usr1)
    c.check(n.returncode == 0 and "busy_signals=100" in n.stdout, "native run handles all 100")
    c.check(l.returncode == 0, f"QEMU survived 100 signals with host-library threads running "
                               f"(status {l.returncode})")
    c.check("busy_signals=100" in l.stdout, "the guest handled all 100 signals")


def case_exit_while_waiting(a):
    start = time.monotonic()
    l = under_lorelei(a, "exit-while-waiting", timeout=30)
    took = time.monotonic() - start
    c.check(l.returncode == 0 and "exiting" in l.stdout,
            f"exit() while a host thread waits for a callback ends cleanly (status {l.returncode})")
    c.check(took < 15, f"and promptly ({took:.1f} s)")


def case_fork(a):
    n = native(a, "fork")
    l = under_lorelei(a, "fork")
    c.check(l.returncode == 0, "exit 0")
    c.check(sorted(n.stdout.splitlines()) == sorted(l.stdout.splitlines()),
            "host-thread callbacks work in a forked child as natively")


def case_unwind(a):
    l = under_lorelei(a, "unwind")
    c.check(l.returncode == 127, f"longjmp out of a nested callback stops the game (status {l.returncode})")
    c.check("left a callback without returning" in l.stderr,
            "with a message saying the guest left a callback without returning")


def case_no_plugin(a):
    n = run([a.prog, "all"], env=dict(os.environ, LD_LIBRARY_PATH=a.stub_dir))
    c.check(n.returncode == 127, "the stub run natively exits 127")
    c.check("not running under qemu-lorelei's QEMU plugin" in n.stderr and "qemu-lorelei run" in n.stderr,
            "and says to start the game with qemu-lorelei run")
    cmd, env = lorelei_cmd(a, "all", plugin=False)
    q = run(cmd, env=env)
    c.check(q.returncode == 127 and "not running under qemu-lorelei's QEMU plugin" in q.stderr,
            "plain qemu-x86_64 without the plugin: the same message")


def case_not_enabled(a):
    l = under_lorelei(a, "all", libs=[], host_libs=0)
    c.check(l.returncode == 127, "a stub whose library is not enabled stops the game")
    c.check("without lib=testlib" in l.stderr, "naming the missing plugin argument lib=testlib")
    bad = under_lorelei(a, "all", libs=["nosuchlib"], host_libs=None)
    c.check(bad.returncode != 0 and "unknown thunk library 'nosuchlib'" in bad.stderr,
            "an unknown lib= is refused by the plugin with the list of known ones")
    h = under_lorelei(a, "all", host_lib_dirs=["/nonexistent"], host_libs=0)
    c.check(h.returncode == 127 and "cannot load the host library liblorelei-testlib.so.1" in h.stderr,
            "a missing host library is named, with what to do")


def case_guest_base(a):
    l = under_lorelei(a, "all", qemu_args=["-B", "0x300000000000"], host_libs=0)
    c.check(l.returncode != 0 and "guest_base" in l.stderr,
            "guest_base != 0 is refused at the handshake with the fix")


CASES = {
    "compare": case_compare, "threads": case_threads, "badcalls": case_badcalls,
    "signal-wait": case_signal_wait, "sigint": lambda a: case_block(a, signal.SIGINT),
    "sigterm": lambda a: case_block(a, signal.SIGTERM), "busy-signals": case_busy_signals,
    "exit-while-waiting": case_exit_while_waiting, "fork": case_fork, "unwind": case_unwind,
    "no-plugin": case_no_plugin, "not-enabled": case_not_enabled, "guest-base": case_guest_base,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    add_common_args(ap)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--native-dir", required=True)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--host-lib-dir", default="")
    a = ap.parse_args()
    CASES[a.case](a)
    c.finish()


if __name__ == "__main__":
    main()
