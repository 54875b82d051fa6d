#!/usr/bin/env python3
"""sysroot create|import|remove when things go wrong around them: a full
disk, a second qemu-lorelei (in this or another PID namespace), a mount
inside a sysroot, Ctrl-C in the middle of a long copy or removal, and the
messages of common mistakes. Each case is a finding of issue 16."""
import json
import os
import resource
import signal
import subprocess
import sys
import time

from testlib import Failure, Skip, check, check_in, check_not_in, run_main, tar_bytes
from sysroot_test import leftovers, make_tree, sysroots


def archive(s, name, entries):
    path = s.path(name)
    with open(path, "wb") as f:
        f.write(tar_bytes(entries, "w:gz"))
    return path


def good_archive(s, name="good.tar.gz", lib="libgood.so"):
    return archive(s, name, [("usr/lib/x86_64-linux-gnu/libc.so.6", "file", b"libc\n"),
                             (f"usr/lib/{lib}", "file", b"good\n")])


def dead_pid():
    """A process id no process has: above the kernel's pid_max."""
    with open("/proc/sys/kernel/pid_max") as f:
        return int(f.read()) + 1


def popen(s, *args, **kw):
    return subprocess.Popen([s.cli, *args], env=s.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def file_size_limit(limit):
    """For preexec_fn: writes past limit bytes fail with EFBIG (SIGXFSZ
    ignored, as a shell's `ulimit -f` with `trap '' XFSZ` does)."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def write_errors_fail(s):
    """A write that fails (here: beyond the file size limit) must fail the
    create or import and leave nothing; it used to be taken for success,
    leaving a library of zeros."""
    blob = os.urandom(3 << 20)
    big = archive(s, "big.tar.gz", [("usr/lib/x86_64-linux-gnu/libc.so.6", "file", b"libc\n"),
                                    ("usr/lib/libbig.so", "file", blob)])
    tree = make_tree(s, "tree")
    with open(os.path.join(tree, "usr", "lib", "libbig.so"), "wb") as f:
        f.write(blob)
    s.ok("sysroot", "create", "base", "--from-archive", good_archive(s))
    before = sorted(os.walk(os.path.join(sysroots(s), "base")))
    for args in (["create", "lim", "--from-archive", big], ["create", "lim", "--from-dir", tree],
                 ["import", "base", big]):
        p = subprocess.run([s.cli, "sysroot", *args], env=s.env, capture_output=True, text=True,
                           timeout=120, preexec_fn=file_size_limit(1 << 20))
        what = " ".join(args[:2])
        check(p.returncode == 1, f"{what}: exit status {p.returncode}:\n{p.stdout}\n{p.stderr}")
        check_in("error: ", p.stderr)
        check_in("libbig.so", p.stderr)
        check_in("File too large", p.stderr)
        check(not os.path.exists(os.path.join(sysroots(s), "lim")), f"{what}: a sysroot appeared")
        check(leftovers(s) == [], f"{what}: left {leftovers(s)}")
    check_in("left as it was", p.stderr)
    check(sorted(os.walk(os.path.join(sysroots(s), "base"))) == before, "import changed it")


def disk_full(s):
    """The same on a really full file system: a 2 MiB tmpfs as the data folder."""
    if os.geteuid() != 0:
        raise Skip("mounting a small tmpfs needs root (write_errors_fail covers the "
                   "unprivileged way)")
    small = s.path("small")
    os.makedirs(small)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "lorelei-test", small],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    try:
        big = archive(s, "big.tar.gz", [("usr/lib/libbig.so", "file", os.urandom(4 << 20))])
        p = s.run("sysroot", "create", "full", "--from-archive", big,
                  env={"XDG_DATA_HOME": small})
        check(p.returncode == 1, f"exit status {p.returncode}:\n{p.stdout}\n{p.stderr}")
        check_in("No space left on device", p.stderr)
        check_in("is full", p.stderr)
        check_in("fix: free space", p.stderr)
        check_in("the partial sysroot was removed", p.stderr)
        d = os.path.join(small, "qemu-lorelei", "sysroots")
        check(os.listdir(d) == [], f"left on the full disk: {os.listdir(d)}")
    finally:
        unmount_under(s.root)


def hold_lock(path):
    """A process that holds an flock on path until killed, as a qemu-lorelei
    in another PID namespace would (its PID means nothing here)."""
    code = ("import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE, text=True)
    check(proc.stdout.readline().strip() == "locked", "the lock holder did not start")
    return proc


def cleaner_respects_locks(s):
    d = sysroots(s)
    os.makedirs(d)
    busy = os.path.join(d, f".other.tmp-{dead_pid()}-AbCdEf")
    os.makedirs(os.path.join(busy, "usr"))
    with open(os.path.join(busy, "usr", "half"), "w") as f:
        f.write("an import in progress\n")
    holder = hold_lock(busy)
    try:
        s.ok("sysroot", "create", "one", "--from-dir", make_tree(s, "t1"))
        check(os.path.exists(os.path.join(busy, "usr", "half")),
              "a running import (locked, PID from another namespace) was deleted")
    finally:
        holder.kill()
        holder.wait()
    # Nobody holds it any more: it is a leftover, and the next run removes it.
    s.ok("sysroot", "create", "two", "--from-dir", make_tree(s, "t2"))
    check(not os.path.exists(busy), "a stale temporary folder was kept")


def concurrent_imports(s):
    """The second import into a sysroot waits for the first, then adds its
    files to the first one's result; it used to copy the sysroot as it was
    before the first finished, and swap in a copy without the first's files."""
    hand_made_sysroot(s, "shared", 50_000)
    first = popen(s, "sysroot", "import", "shared", good_archive(s, "one.tar.gz", "libone.so"))
    wait_for(lambda: any(".tmp-" in n for n in leftovers(s)), "the first import to start", first)
    second = popen(s, "sysroot", "import", "shared", good_archive(s, "two.tar.gz", "libtwo.so"))
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    check(first.returncode == 0, f"first import: {first.returncode}: {err1}")
    check(second.returncode == 0, f"second import: {second.returncode}: {err2}")
    root = os.path.join(sysroots(s), "shared")
    check(os.path.exists(os.path.join(root, "usr/lib/libone.so")), "the first import was lost")
    check(os.path.exists(os.path.join(root, "usr/lib/libtwo.so")), "the second import was lost")
    check_in("waiting for", err2, "the second import's stderr")
    check([n for n in leftovers(s) if ".tmp-" in n] == [], f"left behind: {leftovers(s)}")


def unmount_under(root):
    """Unmounts whatever a failed case left mounted under root (deepest first)."""
    with open("/proc/self/mountinfo") as f:
        points = [l.split(" ")[4] for l in f]
    for p in sorted((p for p in points if p.startswith(root + "/")), reverse=True):
        subprocess.run(["umount", p], check=False)


def mounted_inside(s, kind):
    """Creates sysroot 'm', mounts something inside it (a bind mount of a
    folder on the same file system, or a tmpfs) and returns (mount point,
    precious file): removing the sysroot must not delete through it."""
    s.ok("sysroot", "create", "m", "--from-archive", good_archive(s))
    point = os.path.join(sysroots(s), "m", "usr", "share", "game")
    os.makedirs(point)
    if kind == "bind":
        source = s.path("precious")
        os.makedirs(source, exist_ok=True)
        cmd = ["mount", "--bind", source, point]
    else:
        source = point
        cmd = ["mount", "-t", "tmpfs", "lorelei-test", point]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"cannot mount here: {p.stderr.strip()}")
    precious = os.path.join(point, "save.dat")
    with open(precious, "w") as f:
        f.write("a year of play\n")
    return point, precious


def remove_refuses_mounts(s):
    if os.geteuid() != 0:
        raise Skip("mount --bind needs root; the check reads /proc/self/mountinfo, which a "
                   "user cannot add to without it")
    for kind in ("bind", "tmpfs"):
        point, precious = mounted_inside(s, kind)
        try:
            s.error(1, ["sysroot 'm'", point, "mounted", "fix: ", "umount " + point],
                    "sysroot", "remove", "m")
            check(os.path.exists(precious), f"{kind}: removed a file through the mount")
            check([e["name"] for e in s.json("sysroot", "list", "--json")] == ["m"],
                  f"{kind}: the sysroot vanished from the list though it was kept")
            check([n for n in leftovers(s) if ".tmp-" in n] == [], f"{kind}: {leftovers(s)}")
            # import would swap the mount away and then delete through it
            s.error(1, [point, "umount"], "sysroot", "import", "m",
                    good_archive(s, "extra.tar.gz", "libextra.so"))
            check(os.path.exists(precious), f"{kind}: import deleted through the mount")
        finally:
            unmount_under(s.root)
        s.ok("sysroot", "remove", "m")
        check(not os.path.exists(os.path.join(sysroots(s), "m")), "not removed after umount")


def hand_made_sysroot(s, name, files):
    """A sysroot of many small files, made directly (a folder put there by
    hand is a sysroot too): fast to make, slow to copy and to delete."""
    root = os.path.join(sysroots(s), name)
    os.makedirs(os.path.join(root, "usr/lib/x86_64-linux-gnu"))
    with open(os.path.join(root, "usr/lib/x86_64-linux-gnu/libc.so.6"), "w") as f:
        f.write("libc\n")
    per_dir = 1000
    for d in range(files // per_dir):
        sub = os.path.join(root, "usr/share/many", f"{d:04d}")
        os.makedirs(sub)
        for i in range(per_dir):
            os.close(os.open(os.path.join(sub, f"{i:04d}"), os.O_CREAT | os.O_WRONLY, 0o644))
    return root


def count_files(root):
    return sum(len(f) for _, _, f in os.walk(root))


def wait_for(cond, what, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not cond():
        check(time.monotonic() < deadline, f"timed out waiting for {what}")
        if proc.poll() is not None:
            raise Failure(f"ended before {what}: {proc.communicate()}")
        time.sleep(0.005)


def interrupted_large_import(s):
    root = hand_made_sysroot(s, "big", 200_000)
    files = count_files(root)
    extra = good_archive(s, "extra.tar.gz", "libextra.so")
    proc = popen(s, "sysroot", "import", "big", extra)
    tmp = []

    def copying():
        tmp[:] = [os.path.join(sysroots(s), n) for n in leftovers(s) if ".tmp-" in n]
        return tmp and os.path.exists(os.path.join(tmp[0], "usr/share/many/0001"))

    wait_for(copying, "the copy to start", proc)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    took = time.monotonic() - start
    print(f"Ctrl-C during the copy of {files} files: stopped after {took:.2f} s")
    check(proc.returncode == 130, f"exit status {proc.returncode}: {err}")
    check_in("interrupted", err)
    check_in("sysroot 'big' was left as it was", err)
    check_not_in("partial sysroot was removed", err)
    check(took < 2.0, f"Ctrl-C took {took:.1f} s to act")
    check(count_files(root) == files, "the sysroot changed")
    check(not os.path.exists(os.path.join(root, "usr/lib/libextra.so")), "half imported")
    check([n for n in leftovers(s) if ".tmp-" in n] == [], f"left behind: {leftovers(s)}")


def interrupted_remove(s):
    hand_made_sysroot(s, "big", 100_000)
    proc = popen(s, "sysroot", "remove", "big")
    wait_for(lambda: not os.path.exists(os.path.join(sysroots(s), "big")),
             "the sysroot to be moved out of sight", proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    check(proc.returncode == 0, f"exit status {proc.returncode}: {out}\n{err}")
    check_in("removed sysroot 'big'", out)
    check_in("finishing", err)
    check([n for n in leftovers(s) if ".tmp-" in n] == [],
          f"a hidden temporary folder was left: {leftovers(s)}")


def leftovers_reported(s):
    """A folder a killed command left (nobody holds its lock) is shown by
    list and doctor with its size and what to do, and removed by the next
    sysroot command."""
    s.ok("sysroot", "create", "kept", "--from-archive", good_archive(s))
    left = os.path.join(sysroots(s), f".gone.tmp-{dead_pid()}-AbCdEf")
    os.makedirs(os.path.join(left, "usr"))
    with open(os.path.join(left, "usr", "blob"), "wb") as f:
        f.write(b"\0" * (3 << 20))
    for args in (["sysroot", "list"], ["sysroot", "list", "--json"]):
        p = s.ok(*args)
        check_in(left, p.stderr)
        check_in("3.0 MiB", p.stderr)
        check_in("fix: ", p.stderr)
        check_in("interrupted", p.stderr)
    check([e["name"] for e in json.loads(p.stdout)] == ["kept"], p.stdout)
    p = s.run("doctor", "--json")
    rows = {r["check"]: r for r in json.loads(p.stdout)["checks"]}
    row = rows.get("sysroot leftovers")
    check(row is not None, f"doctor does not report it: {sorted(rows)}")
    check(row["status"] == "warn" and left in row["detail"] and "3.0 MiB" in row["detail"], row)
    check(row["fix"] and "rm -rf" in row["fix"], row)
    s.ok("sysroot", "remove", "kept")
    check(not os.path.exists(left), "the next sysroot command did not remove it")
    p = s.ok("sysroot", "list")
    check_not_in(".tmp-", p.stderr)


def import_keeps_created(s):
    s.ok("sysroot", "create", "dated", "--from-archive", good_archive(s))
    before = s.json("sysroot", "list", "--json")[0]
    check(before.get("updated") is None, before)
    time.sleep(1.1)
    s.ok("sysroot", "import", "dated", good_archive(s, "extra.tar.gz", "libextra.so"))
    after = s.json("sysroot", "list", "--json")[0]
    check(after["created"] == before["created"],
          f"import rewrote the creation date: {before['created']} -> {after['created']}")
    check(isinstance(after.get("updated"), str) and after["updated"] > after["created"], after)
    with open(os.path.join(sysroots(s), "dated", ".qemu-lorelei-sysroot.json")) as f:
        meta = json.load(f)
    check(meta["created"] == before["created"] and meta["updated"] == after["updated"], meta)


def import_mistakes(s):
    s.ok("sysroot", "create", "game", "--from-archive", good_archive(s))
    folder = make_tree(s, "libs")
    deb_like = good_archive(s, "extra.tar.gz", "libextra.so")
    # A folder where an archive goes.
    p = s.error(2, [folder + " is a folder", "tar archives or .deb packages", "fix: ",
                    "--from-dir"], "sysroot", "import", "game", folder)
    check_not_in("no such file", p.stderr)
    # The archive first, the sysroot second.
    p = s.error(2, ["comes first", "qemu-lorelei sysroot import game " + deb_like],
                "sysroot", "import", deb_like, "game")
    check_not_in("create it", p.stderr)
    # Only a folder.
    p = s.error(2, [folder + " is a folder, not a sysroot name",
                    "qemu-lorelei sysroot import NAME FILE"], "sysroot", "import", folder)
    check_not_in("no such file", p.stderr)
    # A file that is not there is still said to be missing.
    s.error(4, [s.path("nope.deb") + ": no such file"], "sysroot", "import", "game",
            s.path("nope.deb"))


def remove_missing(s):
    for name in ("alpha", "beta"):
        s.ok("sysroot", "create", name, "--from-archive", good_archive(s))
    p = s.error(4, ["sysroot 'nosuch' does not exist", "alpha, beta"],
                "sysroot", "remove", "nosuch")
    check_not_in("create", p.stderr)
    p = s.error(4, ["did you mean 'alpha'?"], "sysroot", "remove", "alpah")
    check_not_in("create", p.stderr)
    p = s.error(4, ["there are no sysroots"], "sysroot", "remove", "x",
                env={"XDG_DATA_HOME": s.path("empty")})
    check_not_in("create", p.stderr)


CASES = {f.__name__: f for f in [write_errors_fail, disk_full, cleaner_respects_locks,
                                 concurrent_imports, remove_refuses_mounts,
                                 interrupted_large_import, interrupted_remove, leftovers_reported,
                                 import_keeps_created, import_mistakes, remove_missing]}

if __name__ == "__main__":
    run_main(CASES)
