#!/usr/bin/env python3
"""Runs one libFuzzer target of the launcher for a bounded time.

usage: run_fuzz.py --fuzzer EXE --kind profile|index|archive --seconds N
                   --source-root DIR --work DIR

Seeds the corpus (the repository's profiles and index, the good and bad
profile examples, and archives made here: tar in every compression, a .deb,
hostile entries), runs the fuzzer with -max_total_time, and prints how many
inputs it executed. A crash fails the test and leaves the input under
WORK/crashes. Corpus and crashes persist in WORK between runs.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

from testlib import tar_bytes

PROFILE_DICT = ['"schema"', '"id"', '"name"', '"match"', '"exe"', '"sha256"', '"thunks"',
                '"sdl2"', '"gl"', '"vulkan"', '"env"', '"qemu"', '"cpu"', '"stack_size"',
                '"strace"', '"one_insn_per_tb"', '"log"', '"args"', '"sysroot"', '"status"',
                '"tested_on"', '"date"', '"host_arch"', '"lorelei_version"', '"result"',
                '"notes"', '"$comment"', '"playable"', '"runs"', '"broken"', '"SDL_"',
                '"MESA_"', '"LD_PRELOAD"', '"QEMU_"', '"vblank_mode"', '"Haswell-v2"',
                '"\\\\u0000"', '"\\\\ud800"', '"profiles"', '"path"', '"size"', '".json"',
                '"transport"', '"inline"', '"syscall"']


def ar_bytes(members):
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        out += header + data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


def archive_seeds():
    rootfs = [("./usr/", "dir", None), ("./usr/lib/", "dir", None),
              ("./usr/lib/libc.so.6", "file", b"\x7fELF pretend"),
              ("./lib64", "symlink", "/usr/lib"), ("./usr/lib/libc.so", "symlink", "libc.so.6"),
              ("./usr/lib/copy", "hardlink", "./usr/lib/libc.so.6")]
    hostile = [("../escape", "file", b"x"), ("/abs", "file", b"x"), ("l", "symlink", "../.."),
               ("l/x", "file", b"x"), ("h", "hardlink", "/etc/passwd")]
    seeds = {}
    for mode, ext in [("w", "tar"), ("w:gz", "tgz"), ("w:xz", "txz"), ("w:bz2", "tbz")]:
        seeds["rootfs." + ext] = tar_bytes(rootfs, mode)
        seeds["hostile." + ext] = tar_bytes(hostile, mode)
    data = tar_bytes(rootfs, "w:gz")
    control = tar_bytes([("./control", "file", b"Package: x\n")], "w:gz")
    seeds["pkg.deb"] = ar_bytes([("debian-binary", b"2.0\n"), ("control.tar.gz", control),
                                 ("data.tar.gz", data)])
    seeds["nodata.deb"] = ar_bytes([("debian-binary", b"2.0\n"), ("control.tar.gz", control)])
    return seeds


def seed(kind, corpus, root):
    os.makedirs(corpus, exist_ok=True)
    files = {}
    if kind == "profile":
        for p in glob.glob(os.path.join(root, "profiles", "*.json")) + \
                glob.glob(os.path.join(root, "tests", "launcher", "examples", "*", "*.json")):
            if not p.endswith(("index.json", "schema.json")):
                with open(p, "rb") as f:
                    files["seed-" + os.path.basename(os.path.dirname(p)) + "-" +
                          os.path.basename(p)] = f.read()
    elif kind == "index":
        with open(os.path.join(root, "profiles", "index.json"), "rb") as f:
            files["seed-index.json"] = f.read()
        files["seed-empty.json"] = b'{"schema": 1, "profiles": []}'
        files["seed-traversal.json"] = (b'{"schema": 1, "profiles": [{"id": "a", "path": '
                                        b'"../a.json", "sha256": "' + b"0" * 64 + b'", "size": 1}]}')
    else:
        files = {"seed-" + k: v for k, v in archive_seeds().items()}
    for name, data in files.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)
    return len(files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fuzzer", required=True)
    ap.add_argument("--kind", required=True, choices=["profile", "index", "archive"])
    ap.add_argument("--seconds", type=int, default=25)
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--work", required=True)
    o = ap.parse_args()
    corpus = os.path.join(o.work, "corpus-" + o.kind)
    crashes = os.path.join(o.work, "crashes-" + o.kind) + "/"
    os.makedirs(crashes, exist_ok=True)
    n = seed(o.kind, corpus, o.source_root)
    args = [o.fuzzer, corpus, f"-max_total_time={o.seconds}", "-print_final_stats=1",
            f"-artifact_prefix={crashes}", "-timeout=20", "-rss_limit_mb=2048",
            "-max_len=" + ("65600" if o.kind != "archive" else "262144")]
    if o.kind != "archive":
        dict_path = os.path.join(o.work, "profile.dict")
        with open(dict_path, "w") as f:
            f.write("\n".join(PROFILE_DICT) + "\n")
        args.append("-dict=" + dict_path)
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
    before = set(os.listdir(crashes))
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    found = sorted(set(os.listdir(crashes)) - before)
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
    cov = re.findall(r"cov: (\d+)", p.stderr)
    print(f"fuzz-{o.kind}: {o.seconds} s, {execs.group(1) if execs else '?'} inputs executed, "
          f"{n} seeds, coverage {cov[-1] if cov else '?'} edges")
    if p.returncode != 0:
        sys.stdout.write(p.stderr[-6000:])
        if found:
            print(f"FAILED: fuzz-{o.kind} found a problem; the input: {crashes}{found[0]}")
        else:
            print(f"FAILED: fuzz-{o.kind} could not run (exit status {p.returncode})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
