#!/usr/bin/env python3
"""Runs filter_guest under the patched qemu-x86_64 with the filter test plugins
and checks what the guest printed and what the plugins counted.

usage: run_filter_test.py CASE --qemu Q --guest G --plugin-a A.so --plugin-b B.so
CASE: single | two-plugins | two-plugins-reversed | threads | no-plugin
"""
import argparse
import os
import subprocess
import sys
import tempfile

NR_WRITE, NR_ANSWERED, NR_DECLINED_FIRST, NR_ECHO = 1, 0x5000, 0x5001, 0x5003
ENOSYS = -38

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def plugin_arg(path, log, name, *args):
    return ["-plugin", ",".join([path, f"name={name}", f"log={log}", *args])]


def run(qemu, guest, plugins, guest_args):
    cmd = [qemu, *plugins, guest, *guest_args]
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    check(p.returncode == 0, f"guest exit status 0 (got {p.returncode})")
    values = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            values[parts[0]] = parts[1]
    return p.stdout, values


def read_log(path):
    """{(label, nr): {field: int}} plus {label: userdata}"""
    counters, userdata = {}, {}
    if not os.path.exists(path):
        return counters, userdata
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[1].startswith("userdata="):
                userdata[parts[0]] = parts[1].split("=")[1]
                continue
            label, nr, *fields = parts
            counters[(label, int(nr))] = {k: int(v) for k, v in (x.split("=") for x in fields)}
    return counters, userdata


def check_common(log, labels):
    counters, userdata = read_log(log)
    for label in labels:
        check(userdata.get(label) == "ok", f"plugin {label}: userdata arrived unchanged")
    for (label, nr), c in counters.items():
        check(c["entry_first"] == c["asked"],
              f"plugin {label} nr {nr:#x}: syscall entry callback ran before every filter call")
    return counters


def case_single(a, log):
    # register_twice: a decoy filter answering 666 is registered first and
    # must have been replaced by the real one.
    out, v = run(a.qemu, a.guest, plugin_arg(a.plugin_a, log, "A", "register_twice=on",
                                             "hide_marked_writes=on",
                                             f"answer={NR_ANSWERED}:77",
                                             f"answer={NR_DECLINED_FIRST}:11"), ["basic"])
    check("LORELEI-FILTERED" not in out, "filtered write did not happen (text absent from stdout)")
    check(v.get("marked_write") == "4242", "filtered write returned the plugin's value 4242")
    check("visible line" in out and v.get("plain_write") == "13", "unfiltered write ran normally")
    check(v.get("getpid_matches") == "1", "unfiltered getpid ran normally")
    check(v.get("answered") == "77", "custom syscall answered by the filter")
    check("666" not in v.values(), "a second registration replaced the plugin's first filter")
    check(v.get("unhandled") == str(ENOSYS), "unfiltered unknown syscall still fails with ENOSYS")
    c = check_common(log, ["A"])
    w = c.get(("A", NR_WRITE), {})
    check(w.get("answered") == 1 and w.get("asked", 0) >= 3,
          "write filter asked for every write, answered only the marked one")
    n = c.get(("A", NR_ANSWERED), {})
    check(n.get("ret_seen") == 1 and n.get("last_ret") == 77,
          "syscall_ret callback saw the filtered value 77")


def case_two(a, log, reversed_order):
    first, last = (a.plugin_b, a.plugin_a) if reversed_order else (a.plugin_a, a.plugin_b)
    lf, ll = ("B", "A") if reversed_order else ("A", "B")
    plugins = (plugin_arg(first, log, lf, f"answer={NR_ANSWERED}:1",
                          f"answer={NR_DECLINED_FIRST}:11") +
               plugin_arg(last, log, ll, f"answer={NR_ANSWERED}:2",
                          f"decline={NR_DECLINED_FIRST}"))
    out, v = run(a.qemu, a.guest, plugins, ["basic"])
    check(v.get("answered") == "2", f"last-loaded plugin {ll} is asked first and wins")
    c = check_common(log, ["A", "B"])
    check(c.get((lf, NR_ANSWERED), {}).get("asked") == 0,
          f"first-loaded plugin {lf} was not asked once {ll} answered")
    for label in (lf, ll):
        r = c.get((label, NR_ANSWERED), {})
        check(r.get("ret_seen") == 1 and r.get("last_ret") == 2,
              f"plugin {label}'s syscall_ret callback saw the winning value 2")
    check(v.get("declined_first") == "11", f"after {ll} declined, {lf} answered")
    d = c.get((ll, NR_DECLINED_FIRST), {})
    check(d.get("asked") == 1 and d.get("answered") == 0, f"{ll} was asked and declined")


def case_threads(a, log):
    nthreads, iters = 12, 20000
    out, v = run(a.qemu, a.guest, plugin_arg(a.plugin_a, log, "A", f"echo={NR_ECHO}"),
                 ["threads", str(nthreads), str(iters)])
    want = f"threads {nthreads} calls {nthreads * iters} mismatches 0"
    check(want in out, f"{nthreads} threads got correct per-thread results ({want})")
    c = check_common(log, ["A"])
    check(c.get(("A", NR_ECHO), {}).get("answered") == nthreads * iters,
          "the filter answered every echo syscall")


def case_no_plugin(a, log):
    out, v = run(a.qemu, a.guest, [], ["basic"])
    check("LORELEI-FILTERED" in out, "without a filter the marked write happens")
    check(v.get("answered") == str(ENOSYS), "without a filter the custom syscall is ENOSYS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    for opt in ("--qemu", "--guest", "--plugin-a", "--plugin-b"):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "plugins.log")
        {"single": lambda: case_single(a, log),
         "two-plugins": lambda: case_two(a, log, False),
         "two-plugins-reversed": lambda: case_two(a, log, True),
         "threads": lambda: case_threads(a, log),
         "no-plugin": lambda: case_no_plugin(a, log)}[a.case]()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
