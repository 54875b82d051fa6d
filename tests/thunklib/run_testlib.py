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
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, add_common_args, from_args, run  # noqa: E402

c = Checks()


def native(a, *args, timeout=120, prog=None, **popen):
    env = dict(os.environ, LD_LIBRARY_PATH=a.native_dir)
    env.pop("LD_PRELOAD", None)
    return run([prog or a.prog, *args], env=env, timeout=timeout, **popen)


def lorelei_cmd(a, *args, prog=None, **kw):
    kw.setdefault("libs", ["testlib"])
    kw.setdefault("guest_lib_dirs", [a.stub_dir])
    kw.setdefault("host_lib_dirs", [a.host_lib_dir or a.native_dir])
    return from_args(a).command([prog or a.prog, *args], **kw)


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
    c.check("ops_result=41 ops_notes=1 only_twice=11 none=-1" in n.stdout,
            "natively: a struct of callbacks passed by value calls its members")


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
    c.check("callback #1 returned while callback #2, 1 level deeper, has not" in l.stderr,
            "naming which callback was abandoned, and how deep")


def case_spawn_fail(a):
    """The guest cannot start the service threads for a host thread's
    callbacks (service_spy.so refuses the first two): those callbacks are
    skipped with one message, the host thread tries again on its next
    callback, and nothing touches a freed channel (the san suite runs this
    under ASan)."""
    n = native(a, "spawn-fail")
    l = under_lorelei(a, "spawn-fail", qemu_args=spy(a, fail=2), timeout=60)
    c.check(n.returncode == 0 and "spawn_fail_sum=100 ran=5" in n.stdout,
            "natively all five callbacks run")
    c.check(l.returncode == 0, f"under Lorelei the game exits 0 (status {l.returncode})")
    c.check("spawn_fail_sum=90 ran=3" in l.stdout,
            "the two callbacks without a service thread are skipped, the host thread's later "
            "callbacks run (a new service thread)")
    c.check("thread_after=12" in l.stdout, "a new host thread's callback runs afterwards")
    said = l.stderr.count("could not start a thread to run a host thread's callbacks")
    c.check(said == 1, f"the failure is reported once ({said} times)")
    c.check("AddressSanitizer" not in l.stderr, "no use of freed memory")


def spy(a, fail=0):
    return ["-E", f"LD_PRELOAD={os.path.abspath(a.service_spy)}",
            "-E", f"LORELEI_TEST_FAIL_SERVICE_THREADS={fail}"]


HOST_THREADS = 3000


def case_host_threads(a):
    """3000 host threads in turn, each calling back once: each needs a
    channel and a service thread. Channel ids are reused, so no number of
    them is too many; the table never holds more than are alive at once."""
    n = native(a, "host-threads", str(HOST_THREADS), timeout=300)
    start = time.monotonic()
    l = under_lorelei(a, "host-threads", str(HOST_THREADS), timeout=600,
                      plugin_args=["verbose=on"])
    took = time.monotonic() - start
    want = f"host_threads={HOST_THREADS} correct={HOST_THREADS} ran={HOST_THREADS}"
    c.check(n.returncode == 0 and want in n.stdout, "natively every callback runs")
    c.check(l.returncode == 0, f"under Lorelei the game exits 0 (status {l.returncode})")
    c.check(want in l.stdout, f"under Lorelei all {HOST_THREADS} callbacks ran, with the right "
                              f"results ({took:.1f} s)")
    asked = re.findall(r"channel (\d+) \(generation (\d+)\): asking", l.stderr)
    slots = {int(s) for s, _ in asked}
    c.check(len(asked) == HOST_THREADS, f"one service thread per host thread ({len(asked)})")
    c.check(0 < len(slots) <= 64, f"channel slots are reused ({len(slots)} slots for "
                                  f"{len(asked)} channels)")


def case_stale_channel(a):
    """An id a service thread kept after it exited does not reach the
    channel that reuses its slot (ids carry a generation)."""
    l = under_lorelei(a, "stale-channel", qemu_args=spy(a), timeout=60)
    c.check(l.returncode == 0, f"exit 0 (status {l.returncode})")
    c.check("old_ids=3 slot_reused=1" in l.stdout,
            "a live channel reuses the slot of an exited service thread (the check is meaningful)")
    c.check("stale_id_reached_a_channel=0" in l.stdout,
            "WAIT_CALLBACK with the old id is refused (ENOENT)")
    c.check("still_ticking=1" in l.stdout, "the live channel's callbacks keep running")


def case_reload(a):
    """dlopen the library, call back (same thread, host thread), dlclose, five
    times. With a stub built without -z nodelete, each dlopen maps it again,
    elsewhere: the plugin must call the invokers of the copy now loaded."""
    native_lib = os.path.join(a.native_dir, "liblorelei-testlib.so.1")
    n = native(a, "reload", native_lib, "5", prog=a.dlopen_prog)
    l = under_lorelei(a, "reload", os.path.abspath(a.deletable_stub), "5", prog=a.dlopen_prog)
    c.check(n.returncode == 0 and "cycles=5 of 5" in n.stdout, "natively every cycle's callbacks run")
    c.check(l.returncode == 0 and "cycles=5 of 5" in l.stdout,
            f"under Lorelei too, exit 0 (status {l.returncode})")
    reserved = re.search(r"info reserved=(\d+)", l.stdout)
    c.check(reserved is not None and int(reserved.group(1)) > 0,
            "the stub was unloaded and loaded elsewhere (the check is meaningful)")


def case_fork_while_loading(a):
    """fork() while another thread is inside the plugin's LIB_OPEN, holding
    its library lock (the host library takes 2 s to load: TL_SLOW_LOAD_MS):
    the child must not inherit that lock held by a thread it does not have."""
    stub = os.path.join(os.path.abspath(a.stub_dir), "liblorelei-testlib.so.1")
    cmd, env = lorelei_cmd(a, "fork-while-loading", stub, prog=a.dlopen_prog)
    env["TL_SLOW_LOAD_MS"] = "2000"
    l = run(cmd, env=env, timeout=60)
    c.check(l.returncode == 0, f"exit 0 (status {l.returncode})")
    c.check("child_hung=1" not in l.stdout, "the child did not hang on the plugin's library lock")
    c.check(f"child_lib_open={-71}" in l.stdout,
            "the child's LIB_OPEN was answered (EPROTO: the description hash is wrong on purpose)")
    c.check("loaded=1" in l.stdout, "the parent's load completed")


def case_host_lib_forks(a):
    """The host library forks while the plugin loads it (its constructor runs
    under the plugin's library lock): the fork handlers that hold that lock
    across a fork must not wait for the forking thread itself."""
    cmd, env = lorelei_cmd(a, "host-threads", "3")
    env["TL_FORK_WHILE_LOADING"] = "1"
    try:
        l = run(cmd, env=env, timeout=30)
    except subprocess.TimeoutExpired:
        c.check(False, "the game started within 30 s (it hung in the fork)")
        return
    c.check(l.returncode == 0 and "host_threads=3 correct=3" in l.stdout,
            f"the game runs (status {l.returncode})")


def case_fork_in_calls(a):
    """fork() while 64 threads are inside host calls with callback objects
    (shadowed on the host): the child has none of those calls, so it must
    not keep their shadows (they would fill the table, and the child's own
    call's callbacks would get a host copy instead of their object)."""
    n = native(a, "fork-in-calls", timeout=120)
    l = under_lorelei(a, "fork-in-calls", timeout=120)
    want = ["threads_in_calls=64", "child_stream=18", "child_status=0"]
    c.check(n.returncode == 0 and all(w in n.stdout for w in want), "natively as expected")
    c.check(l.returncode == 0, f"under Lorelei exit 0 (status {l.returncode})")
    for w in want:
        c.check(w in l.stdout, f"under Lorelei: {w}")


def case_lib_open_first(a):
    """LIB_OPEN before the handshake: refused without touching guest memory
    (before HELLO nothing says guest pointers are host pointers); after it,
    answered; a request the plugin cannot read gets EFAULT, not a crash. The
    same with guest_base != 0, where the handshake itself is refused."""
    l = under_lorelei(a, "lib-open-first", prog=a.dlopen_prog)
    got = dict(line.split("=", 1) for line in l.stdout.splitlines() if "=" in line)
    c.check(l.returncode == 0, f"exit 0 (status {l.returncode})")
    c.check(got.get("before_hello") == "-71", f"LIB_OPEN before HELLO: EPROTO ({got.get('before_hello')})")
    c.check("before the handshake (HELLO) succeeded" in l.stderr, "with a message saying why")
    c.check(got.get("hello") == "0" and got.get("after_hello") == "0",
            f"after HELLO it is answered ({got.get('hello')}, {got.get('after_hello')})")
    c.check(got.get("unreadable") == "-14", f"an unreadable request: EFAULT ({got.get('unreadable')})")
    # The handshake is refused: no host library is loaded (host_libs=0).
    b = under_lorelei(a, "lib-open-first", prog=a.dlopen_prog, qemu_args=["-B", "0x300000000000"],
                      host_libs=0)
    got = dict(line.split("=", 1) for line in b.stdout.splitlines() if "=" in line)
    c.check(b.returncode == 0, f"guest_base != 0: QEMU survives (status {b.returncode})")
    c.check(got.get("before_hello") == "-71" and got.get("hello") == "-14" and
            got.get("after_hello") == "-71",
            f"guest_base != 0: LIB_OPEN refused before and after the refused HELLO ({got})")


def case_exit_in_callback(a):
    """A guest thread that ends (pthread_exit) inside a callback: on its own
    thread the host call it interrupted is abandoned, with a message; on a
    service thread the host thread it served stops waiting. The game goes
    on, as natively."""
    n = native(a, "exit-in-callback")
    l = under_lorelei(a, "exit-in-callback", timeout=60)
    c.check(n.returncode == 0, f"native exit 0 ({n.returncode})")
    c.check(l.returncode == 0, f"under Lorelei exit 0 (status {l.returncode})")
    c.check(n.stdout != "" and n.stdout == l.stdout, "the same output as natively")
    c.check("ended inside a callback" in l.stderr,
            "the abandoned host call is reported")


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
    c.check(l.returncode != 0 and "guest_base != 0" in l.stderr,
            "guest_base != 0 is refused at the handshake")
    c.check("QEMU was told where to put the guest (-B or -R" in l.stderr and
            "'qemu-lorelei run' never sets them" in l.stderr,
            "the plugin names -B as the cause and says to drop it")
    c.check("the plugin's message above says why" in l.stderr and
            "beyond a host address space smaller than x86_64's" in l.stderr,
            "the guest runtime's message points at the plugin's and at doctor")
    # The same through the environment; a "-B" among the game's own
    # arguments is the game's, not QEMU's.
    cmd, env = lorelei_cmd(a, "all", "-B")
    env["QEMU_GUEST_BASE"] = "0x300000000000"
    l = run(cmd, env=env, timeout=120)
    c.check(l.returncode != 0 and "QEMU was told where to put the guest" in l.stderr,
            "QEMU_GUEST_BASE is named as the cause too")
    cmd, env = lorelei_cmd(a, "all", "-B")
    l = run(cmd, env=env, timeout=120)
    c.check("guest_base != 0" not in l.stderr, "the game's own '-B' argument moves nothing")


CASES = {
    "compare": case_compare, "threads": case_threads, "badcalls": case_badcalls,
    "signal-wait": case_signal_wait, "sigint": lambda a: case_block(a, signal.SIGINT),
    "sigterm": lambda a: case_block(a, signal.SIGTERM), "busy-signals": case_busy_signals,
    "exit-while-waiting": case_exit_while_waiting, "fork": case_fork, "unwind": case_unwind,
    "spawn-fail": case_spawn_fail, "host-threads": case_host_threads,
    "stale-channel": case_stale_channel, "reload": case_reload,
    "fork-while-loading": case_fork_while_loading, "fork-in-calls": case_fork_in_calls,
    "lib-open-first": case_lib_open_first, "host-lib-forks": case_host_lib_forks, "exit-in-callback": case_exit_in_callback,
    "no-plugin": case_no_plugin, "not-enabled": case_not_enabled, "guest-base": case_guest_base,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    add_common_args(ap)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--native-dir", required=True)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--service-spy", required=True)
    ap.add_argument("--dlopen-prog", required=True)
    ap.add_argument("--deletable-stub", required=True)
    ap.add_argument("--host-lib-dir", default="")
    a = ap.parse_args()
    CASES[a.case](a)
    c.finish()


if __name__ == "__main__":
    main()
