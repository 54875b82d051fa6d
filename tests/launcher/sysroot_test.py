#!/usr/bin/env python3
"""sysroot create|import|list|remove from the command line: real formats
(tar.gz/.xz/.zst made by tar, .debs made by dpkg-deb, a folder), hostile
archives made with Python's tarfile, and interruptions: a sysroot appears
whole or not at all."""
import io
import os
import re
import signal
import subprocess
import tarfile
import threading
import time

from testlib import check, check_in, run_main, tar_bytes


def sysroots(s):
    return os.path.join(s.data, "sysroots")


def leftovers(s):
    d = sysroots(s)
    return sorted(n for n in os.listdir(d) if n.startswith(".")) if os.path.isdir(d) else []


def make_tree(s, name):
    root = s.path(name)
    os.makedirs(os.path.join(root, "usr", "lib", "x86_64-linux-gnu"))
    os.makedirs(os.path.join(root, "lib64"))
    with open(os.path.join(root, "usr", "lib", "x86_64-linux-gnu", "libc.so.6"), "w") as f:
        f.write("pretend libc\n")
    os.symlink("/usr/lib/x86_64-linux-gnu/libc.so.6", os.path.join(root, "lib64", "ld.so"))
    os.symlink("usr/lib", os.path.join(root, "lib"))
    return root


def tar_of(s, tree, name, flag):
    out = s.path(name)
    subprocess.run(["tar", "-C", tree, flag, "-cf", out, "."], check=True)
    return out


def create_and_list(s):
    tree = make_tree(s, "tree")
    for name, flag in [("gz", "-z"), ("xz", "-J"), ("zst", "--zstd")]:
        archive = tar_of(s, tree, f"rootfs.tar.{name}", flag)
        p = s.ok("sysroot", "create", "r-" + name, "--from-archive", archive)
        check_in(f"created sysroot 'r-{name}'", p.stdout)
        root = os.path.join(sysroots(s), "r-" + name)
        with open(os.path.join(root, "lib64", "ld.so")) as f:
            check(f.read() == "pretend libc\n", "the absolute link does not resolve inside")
        check(os.readlink(os.path.join(root, "lib64", "ld.so")) ==
              "../usr/lib/x86_64-linux-gnu/libc.so.6", "absolute link not made relative")
    s.ok("sysroot", "create", "from-dir", "--from-dir", tree)
    # A pipe works too (it cannot be opened twice or seeked).
    with open(s.path("rootfs.tar.xz"), "rb") as stdin:
        p = subprocess.run([s.cli, "sysroot", "create", "piped", "--from-archive", "/dev/stdin"],
                           stdin=stdin, env=s.env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, p.stderr)
    with open(os.path.join(sysroots(s), "piped", "usr/lib/x86_64-linux-gnu/libc.so.6")) as f:
        check(f.read() == "pretend libc\n", "piped archive")
    s.ok("sysroot", "remove", "piped")
    listing = s.json("sysroot", "list", "--json")
    names = [e["name"] for e in listing]
    check(names == ["from-dir", "r-gz", "r-xz", "r-zst"], names)
    entry = listing[1]
    check(entry["size"] == len("pretend libc\n"), entry)
    check(entry["origin"] == "archive " + s.path("rootfs.tar.gz"), entry)
    check(entry["created"][:2] == "20", entry)
    check(listing[0]["origin"] == "dir " + tree, listing[0])
    p = s.ok("sysroot", "list")
    check_in("NAME", p.stdout)
    line = next(l for l in p.stdout.splitlines() if l.startswith("r-xz "))
    check_in(" 13 bytes ", line)
    check_in(" archive " + s.path("rootfs.tar.xz"), line)
    s.ok("sysroot", "remove", "r-gz")
    check(not os.path.exists(os.path.join(sysroots(s), "r-gz")), "not removed")
    check(leftovers(s) == [], leftovers(s))
    p = s.ok("sysroot", "list", env={"XDG_DATA_HOME": s.path("empty")})
    check_in("no sysroots in", p.stdout)
    check_in("qemu-lorelei sysroot create NAME --from-debian ", p.stdout)


def make_deb(s, name, files):
    pkg = s.path("pkg-" + name)
    os.makedirs(os.path.join(pkg, "DEBIAN"))
    with open(os.path.join(pkg, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {name}\nVersion: 1.0\nArchitecture: amd64\n"
                "Maintainer: test <t@example.org>\nDescription: test\n")
    for rel, text in files.items():
        p = os.path.join(pkg, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    out = s.path("debs", f"{name}_1.0_amd64.deb")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", pkg, out], check=True,
                   capture_output=True)
    return out


def debs_and_import(s):
    make_deb(s, "liba", {"usr/lib/x86_64-linux-gnu/liba.so.1": "a\n"})
    make_deb(s, "libb", {"usr/lib/x86_64-linux-gnu/libb.so.1": "b\n", "usr/share/doc/b": "doc\n"})
    s.ok("sysroot", "create", "debs", "--from-debs", s.path("debs"))
    root = os.path.join(sysroots(s), "debs")
    for lib, text in [("liba.so.1", "a\n"), ("libb.so.1", "b\n")]:
        with open(os.path.join(root, "usr/lib/x86_64-linux-gnu", lib)) as f:
            check(f.read() == text, lib)
    check(not os.path.exists(os.path.join(root, "control")), "control.tar extracted")
    extra = make_deb(s, "libc-extra", {"usr/lib/x86_64-linux-gnu/libc.so.1": "c\n",
                                       "usr/lib/x86_64-linux-gnu/liba.so.1": "a2\n"})
    inode_before = os.stat(os.path.join(root, "usr/lib/x86_64-linux-gnu/libb.so.1")).st_ino
    p = s.ok("sysroot", "import", "debs", extra)
    check_in("imported 1 file(s) into sysroot 'debs'", p.stdout)
    with open(os.path.join(root, "usr/lib/x86_64-linux-gnu/libc.so.1")) as f:
        check(f.read() == "c\n", "import lost a file")
    with open(os.path.join(root, "usr/lib/x86_64-linux-gnu/liba.so.1")) as f:
        check(f.read() == "a2\n", "import did not replace a file")
    with open(os.path.join(root, "usr/lib/x86_64-linux-gnu/libb.so.1")) as f:
        check(f.read() == "b\n", "import lost an old file")
    # Old files are shared with the previous copy (hard links), not copied.
    check(os.stat(os.path.join(root, "usr/lib/x86_64-linux-gnu/libb.so.1")).st_ino == inode_before,
          "unchanged files were copied")
    info = s.json("sysroot", "list", "--json")[0]
    check(info["origin"] == "debs " + s.path("debs") + "; + " + extra, info)
    check(leftovers(s) == [], leftovers(s))


def hostile_archives(s):
    outside = s.path("outside")
    os.makedirs(outside)
    escape = f"/tmp/lorelei-escape-{os.getpid()}"
    cases = [
        ("traversal", [("ok", "file", b"x"), ("../../outside/pwned", "file", b"x")],
         "refused entry '../../outside/pwned': a '..' component"),
        ("absolute", [(escape + "/pwned", "file", b"x")], "an absolute path"),
        ("symlink-escape", [("esc", "symlink", "../../outside"), ("esc/pwned", "file", b"x")],
         "refused entry 'esc': a symbolic link pointing outside the sysroot"),
        ("write-through-link", [("esc", "symlink", "/"), ("esc/etc/pwned", "file", b"x")],
         "refused entry 'esc/etc/pwned': a path through a symbolic link"),
        ("hardlink-escape", [("hl", "hardlink", "/etc/passwd")], "an absolute path"),
    ]
    for name, entries, needle in cases:
        archive = s.path(name + ".tar.gz")
        with open(archive, "wb") as f:
            f.write(tar_bytes(entries, "w:gz"))
        s.error(3, [archive + ": ", needle, "nothing was imported"],
                "sysroot", "create", name, "--from-archive", archive)
        check(not os.path.exists(os.path.join(sysroots(s), name)), f"{name}: half sysroot")
        check(leftovers(s) == [], f"{name}: left {leftovers(s)}")
        check(os.listdir(outside) == [], f"{name}: wrote outside")
        check(not os.path.exists(escape), f"{name}: wrote {escape}")
    # A failed import leaves the sysroot as it was.
    good = s.path("good.tar.gz")
    with open(good, "wb") as f:
        f.write(tar_bytes([("usr/lib/libgood.so", "file", b"good")], "w:gz"))
    s.ok("sysroot", "create", "target", "--from-archive", good)
    before = sorted(os.walk(os.path.join(sysroots(s), "target")))
    s.error(3, ["a '..' component"], "sysroot", "import", "target", s.path("traversal.tar.gz"))
    check(sorted(os.walk(os.path.join(sysroots(s), "target"))) == before, "import changed it")
    check(leftovers(s) == [], leftovers(s))
    big_tree = make_tree(s, "t2")
    with open(os.path.join(big_tree, "big"), "wb") as f:
        f.write(b"\0" * 4096)
    s.error(3, ["expands to more than 1.0 KiB, the limit", "--max-size"],
            "sysroot", "create", "big", "--max-size", "1K", "--from-archive",
            tar_of(s, big_tree, "t2.tar", "-a"))
    check(leftovers(s) == [], leftovers(s))
    s.ok("sysroot", "create", "big", "--max-size", "1M", "--from-archive", s.path("t2.tar"))


def slow_tar(path, stop):
    """Feeds an endless tar through a FIFO, a little at a time."""
    try:
        feed(path, stop)
    except OSError:
        pass  # the reader went away: that is the point


def feed(path, stop):
    with open(path, "wb") as fifo:
        i = 0
        with tarfile.open(fileobj=fifo, mode="w|") as t:
            while not stop.is_set():
                data = b"x" * 65536
                info = tarfile.TarInfo(f"usr/share/slow/{i:06d}")
                info.size = len(data)
                try:
                    t.addfile(info, io.BytesIO(data))
                except BrokenPipeError:
                    return
                i += 1
                time.sleep(0.01)


def interrupted_import(s):
    for sig, status in [(signal.SIGINT, 130), (signal.SIGTERM, 130)]:
        fifo = s.path(f"slow-{sig}.tar")
        os.mkfifo(fifo)
        stop = threading.Event()
        feeder = threading.Thread(target=slow_tar, args=(fifo, stop), daemon=True)
        feeder.start()
        proc = subprocess.Popen([s.cli, "sysroot", "create", "slow", "--from-archive", fifo],
                                env=s.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        deadline = time.monotonic() + 30
        while not any(os.scandir(os.path.join(sysroots(s), l)) for l in leftovers(s)):
            check(time.monotonic() < deadline, "the import never started writing")
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            # LORELEI_DEBUG_HANG=1: show where a hung import is stuck.
            if os.environ.get("LORELEI_DEBUG_HANG"):
                subprocess.run(["gdb", "-batch", "-p", str(proc.pid), "-ex", "thread apply all bt"])
            raise
        stop.set()
        check(proc.returncode == status, f"exit status {proc.returncode}: {err}")
        check_in("error: interrupted: nothing was imported", err)
        check_in("the partial sysroot was removed", err)
        check(not os.path.exists(os.path.join(sysroots(s), "slow")), "a half sysroot appeared")
        check(leftovers(s) == [], f"left behind: {leftovers(s)}")
    # SIGKILL cannot be caught: the temporary folder stays, unused, and the
    # next create or import removes it.
    fifo = s.path("slow-kill.tar")
    os.mkfifo(fifo)
    stop = threading.Event()
    threading.Thread(target=slow_tar, args=(fifo, stop), daemon=True).start()
    proc = subprocess.Popen([s.cli, "sysroot", "create", "slow", "--from-archive", fifo], env=s.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not leftovers(s):
        check(time.monotonic() < deadline, "the import never started")
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    stop.set()
    check(len(leftovers(s)) == 1, leftovers(s))
    check([e["name"] for e in s.json("sysroot", "list", "--json")] == [], "listed a leftover")
    s.ok("sysroot", "create", "next", "--from-dir", make_tree(s, "t"))
    check(leftovers(s) == [], f"stale folder not cleaned: {leftovers(s)}")


def progress_only_on_a_terminal(s):
    tree = make_tree(s, "tree")
    with open(os.path.join(tree, "blob"), "wb") as f:
        f.write(os.urandom(4 << 20))
    archive = tar_of(s, tree, "rootfs.tar.gz", "-z")
    p = s.ok("sysroot", "create", "quiet", "--from-archive", archive)
    check("importing" not in p.stderr and "\r" not in p.stderr, f"progress off a terminal: {p.stderr!r}")
    # script(1) gives the command a terminal.
    cmd = " ".join([s.cli, "sysroot", "create", "shown", "--from-archive", archive])
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=s.env, capture_output=True,
                       text=True, timeout=60)
    check(p.returncode == 0, p.stdout)
    # (text mode turns the bar's carriage returns into newlines)
    check_in("\x1b[Kimporting [", p.stdout, "terminal output")
    check(re.search(r"\] +\d+% ", p.stdout), f"no percentage: {p.stdout!r}")
    check_in("created sysroot 'shown'", p.stdout)


def from_host(s):
    if os.uname().machine != "x86_64":
        s.error(8, ["--from-host needs an x86_64 host"], "sysroot", "create", "h", "--from-host")
        return
    s.ok("sysroot", "create", "h", "--from-host")
    root = os.path.join(sysroots(s), "h")
    check(os.readlink(os.path.join(root, "lib", "x86_64-linux-gnu")) == "/lib/x86_64-linux-gnu",
          "host link")
    info = s.json("sysroot", "list", "--json")[0]
    check(info["origin"].startswith("host (links to /lib64"), info)


def import_into_merged_usr(s):
    """A Debian rootfs has a merged /usr (lib -> usr/lib); packages list
    their files under /lib all the same. Importing one must write through
    the merge instead of refusing the path as one through a link."""
    root = s.path("merged")
    os.makedirs(os.path.join(root, "usr", "lib", "x86_64-linux-gnu"))
    os.makedirs(os.path.join(root, "usr", "bin"))
    os.symlink("usr/lib", os.path.join(root, "lib"))
    os.symlink("usr/bin", os.path.join(root, "bin"))
    with open(os.path.join(root, "usr/lib/x86_64-linux-gnu/libc.so.6"), "w") as f:
        f.write("libc\n")
    s.ok("sysroot", "create", "rootfs", "--from-archive", tar_of(s, root, "merged.tar.gz", "-z"))
    deb = make_deb(s, "libfoo1", {"lib/x86_64-linux-gnu/libfoo.so.1": "foo\n"})
    s.ok("sysroot", "import", "rootfs", deb)
    target = os.path.join(sysroots(s), "rootfs")
    # (the package's "./lib/" folder entry used to replace the link with an
    # empty folder: the sysroot's libc vanished from /lib)
    check(os.path.islink(os.path.join(target, "lib")) and
          os.readlink(os.path.join(target, "lib")) == "usr/lib",
          "the import replaced the lib -> usr/lib link with a folder")
    with open(os.path.join(target, "lib/x86_64-linux-gnu/libc.so.6")) as f:
        check(f.read() == "libc\n", "the sysroot's own libc")
    with open(os.path.join(target, "usr/lib/x86_64-linux-gnu/libfoo.so.1")) as f:
        check(f.read() == "foo\n", "the imported library")
    # --from-debs makes the same layout from scratch.
    s.ok("sysroot", "create", "fromdebs", "--from-debs", os.path.dirname(deb))
    made = os.path.join(sysroots(s), "fromdebs")
    check(os.readlink(os.path.join(made, "lib")) == "usr/lib", "--from-debs is not merged")
    with open(os.path.join(made, "lib/x86_64-linux-gnu/libfoo.so.1")) as f:
        check(f.read() == "foo\n", "--from-debs content")
    with open(os.path.join(made, "etc/ld.so.cache"), "rb") as f:
        check(f.read() == b"", "--from-debs: the guest would read the host's loader cache")


CASES = {f.__name__: f for f in [create_and_list, debs_and_import, hostile_archives,
                                 interrupted_import, progress_only_on_a_terminal, from_host,
                                 import_into_merged_usr]}

if __name__ == "__main__":
    run_main(CASES)
