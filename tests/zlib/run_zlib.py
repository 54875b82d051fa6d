#!/usr/bin/env python3
"""zlib under qemu-lorelei, judged by programs run natively and under Lorelei
side by side: zlib's own example.c and minigzip.c (Debian ships them with
zlib1g-dev) and zlib_test.c (custom allocators, gzip headers, inflateBack's
callbacks, checksums, errors).

usage: run_zlib.py CASE --qemu Q --plugin P --preload S --stub-dir D
                   --host-lib L [--prog PROG] [--launcher L] [--asan-runtime R]
"""
import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (Checks, check_exports, compare_with_native,  # noqa: E402
                     exported_symbols, from_args, run, stub_test_main)

c = Checks()


def base_env():
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH"):
        env.pop(k, None)
    return env


def lorelei(a, argv):
    """argv under QEMU + plugin; verbose so the run proves the stub was used."""
    return from_args(a).command(argv, libs=("zlib",), guest_lib_dirs=[a.stub_dir],
                                plugin_args=["verbose=on"])


def went_through_plugin(stderr):
    return "zlib: loaded libz.so.1" in stderr


def case_coverage(a):
    host = exported_symbols(a.host_lib)
    stub = exported_symbols(os.path.join(a.stub_dir, "libz.so.1"))
    print(f"host exports {len(host)}, stub exports {len(stub)}")
    c.check(len(host) > 80 and "inflate" in host and "ZLIB_1.2.9" in host,
            "the host's libz exports its API and its version nodes (sanity)")
    # The names carry their versions (inflateGetHeader@@ZLIB_1.2.2): equal
    # sets mean every symbol has the host's version too.
    check_exports(c, "libz.so.1", stub, host)


def compare(a, argv, what, cwd):
    return compare_with_native(c, from_args(a), argv, what, "zlib", "libz.so.1", a.stub_dir,
                               cwd=cwd)


def case_example(a):
    with tempfile.TemporaryDirectory() as d:
        n, _ = compare(a, [a.prog], "zlib's example", d)
    for line in ("uncompress(): hello, hello!", "gzread(): hello, hello!", "gzgets() after gzseek:",
                 "inflate(): hello, hello!", "large_inflate(): OK", "after inflateSync(): hello,",
                 "inflate with dictionary: hello, hello!"):
        c.check(line in n.stdout, f"natively: {line}")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def case_minigzip(a):
    """gzip and gunzip a 3 MiB file natively and under Lorelei: the same
    compressed bytes (minigzip writes no time stamp) and the original back."""
    with tempfile.TemporaryDirectory() as d:
        data = b"".join(b"%d lorelei minigzip line %d\n" % (i * 7919 % 1013, i)
                        for i in range(100000))
        for mode in ("native", "lorelei"):
            os.makedirs(os.path.join(d, mode))
            with open(os.path.join(d, mode, "data"), "wb") as f:
                f.write(data)
        packed = {}
        for mode in ("native", "lorelei"):
            wd = os.path.join(d, mode)
            argv = [a.prog, "-9", "data"]
            cmd, env = (argv, base_env()) if mode == "native" else lorelei(a, argv)
            r = run(cmd, env=env, timeout=600, cwd=wd)
            c.check(r.returncode == 0 and os.path.exists(os.path.join(wd, "data.gz")),
                    f"{mode}: minigzip -9 wrote data.gz (status {r.returncode}) {r.stderr[-500:]}")
            if mode == "lorelei":
                c.check(went_through_plugin(r.stderr), "minigzip: the stub forwarded to the host")
                from_args(a).check_host(c, r.stderr, "minigzip")
            packed[mode] = digest(os.path.join(wd, "data.gz"))
            argv = [a.prog, "-d", "data.gz"]
            cmd, env = (argv, base_env()) if mode == "native" else lorelei(a, argv)
            r = run(cmd, env=env, timeout=600, cwd=wd)
            with open(os.path.join(wd, "data"), "rb") as f:
                back = f.read()
            c.check(r.returncode == 0 and back == data,
                    f"{mode}: minigzip -d gave the original {len(data)} bytes back")
        c.check(packed["native"] == packed["lorelei"],
                f"the compressed files are identical ({packed['native'][:16]}…)")


def case_program(a):
    with tempfile.TemporaryDirectory() as d:
        n, _ = compare(a, [a.prog], "zlib_test", d)
    for line in ("same=1", "allocs_balanced=1", "name=level1.map comment=made by zlib_test",
                 "in_calls=26 out_calls=8 same=1", "gzopen_missing=NULL errno=ENOENT",
                 "line=printf 42 3.50"):
        c.check(line in n.stdout, f"natively: {line}")


def case_profile(a):
    """liblorelei-profile.so names the forwarded functions: zlib_test's
    zlib calls come out under their own names, and together they account
    for the zlib line's time."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "profile.json")
        cmd, env = from_args(a).command(
            [a.prog], libs=("zlib",), guest_lib_dirs=[a.stub_dir],
            qemu_args=["-plugin", f"{a.profile_plugin},out={out}"])
        r = run(cmd, env=env, timeout=600, cwd=d)
        c.check(r.returncode == 0, f"zlib_test ran under both plugins (status {r.returncode})")
        c.check("forwarded functions by time" in r.stderr and "zlib: " in r.stderr,
                "the table at exit lists forwarded functions by name")
        with open(out) as f:
            report = json.load(f)
    stub = exported_symbols(os.path.join(a.stub_dir, "libz.so.1"))
    fns = [e for e in report["functions"] if e["lib"] == "zlib"]
    names = {e["function"] for e in fns}
    print("zlib functions:", ", ".join(f"{e['function']} {e['calls']}" for e in fns[:12]))
    c.check({"inflate", "deflate", "crc32", "adler32"} <= names,
            f"inflate, deflate, crc32 and adler32 are among them ({len(names)} functions)")
    c.check(names <= {n.split("@")[0] for n in stub},
            "every name is one the stub exports (the index maps to the right name)")
    line = next(e for e in report["syscalls"] if e["what"] == "forwarded calls: zlib")
    fn_seconds, fn_calls = sum(e["seconds"] for e in fns), sum(e["calls"] for e in fns)
    c.check(0 < fn_calls <= line["calls"],
            f"{fn_calls} calls by function, {line['calls']} on the library's line "
            "(which also counts returns from callbacks)")
    c.check(abs(fn_seconds - line["seconds"]) <= 0.01 * line["seconds"] + 0.001,
            f"the functions' time adds up to the library's ({fn_seconds:.4f} s, "
            f"{line['seconds']:.4f} s)")


def case_launcher(a):
    """The product path: `qemu-lorelei run` forwards zlib by default, and
    --no-thunk zlib runs the guest's own library."""
    env = base_env()
    dry = run([a.launcher, "run", "--dry-run", a.prog], env=env)
    c.check(dry.returncode == 0 and "lib=zlib" in dry.stdout and "/zlib" in dry.stdout,
            "--dry-run prints a QEMU command with lib=zlib and the zlib stub folder")
    off = run([a.launcher, "run", "--dry-run", "--no-thunk", "zlib", a.prog], env=env)
    c.check(off.returncode == 0 and "lib=zlib" not in off.stdout, "--no-thunk zlib leaves it out")
    with tempfile.TemporaryDirectory() as d:
        r = run([a.launcher, "run", a.prog], env=env, timeout=300, cwd=d)
        n = run([a.prog], env=env, cwd=d)
    c.check(r.returncode == 0 and r.stdout == n.stdout,
            "qemu-lorelei run zlib_test prints what it prints natively")


def main():
    stub_test_main(c, {"coverage": case_coverage, "example": case_example, "minigzip": case_minigzip,
                    "program": case_program, "profile": case_profile,
                    "launcher": case_launcher})


if __name__ == "__main__":
    main()
