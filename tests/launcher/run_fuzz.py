#!/usr/bin/env python3
"""Runs one libFuzzer target of the launcher for a bounded time.

usage: run_fuzz.py --fuzzer EXE
                   --kind profile|index|archive|deb822|match-index|elf|elf-symbols|library
                   --seconds N --source-root DIR --work DIR

Seeds the corpus (the repository's profiles and index, the good and bad
profile examples, archives made here: tar in every compression, a .deb,
hostile entries; deb822 files: Packages, Release, dpkg status, apt
sources, a .deb's control; for the ELF reader and the profile plugin's
ELF symbol reader small x86_64 programs and libraries of this machine),
runs the fuzzer with -max_total_time, and prints how many inputs it
executed. A crash fails the test and leaves the input under
WORK/crashes. Corpus and crashes persist in WORK between runs.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import struct
import subprocess
import sys

from testlib import tar_bytes

PROFILE_DICT = ['"schema"', '"id"', '"name"', '"match"', '"exe"', '"sha256"', '"thunks"',
                '"sdl2"', '"gl"', '"vulkan"', '"env"', '"qemu"', '"cpu"', '"stack_size"',
                '"strace"', '"one_insn_per_tb"', '"log"', '"args"', '"sysroot"', '"status"',
                '"tested_on"', '"date"', '"host_arch"', '"lorelei_version"', '"result"',
                '"gpu_renderer"', '"gpu_driver"', '"qemu_version"', '"plugin_abi"', '"fps"',
                '"native_fps"',
                '"notes"', '"$comment"', '"playable"', '"runs"', '"broken"', '"SDL_"',
                '"MESA_"', '"SDL_VIDEODRIVER"', '"x11"', '"mesa_glthread"', '"GALLIUM_TRACE"',
                '"LD_PRELOAD"', '"QEMU_"', '"vblank_mode"', '"Haswell-v2"',
                '"\\\\u0000"', '"\\\\ud800"', '"profiles"', '"path"', '"size"', '".json"',
                '"games"', '"workdir"', '"profile"', '"added"',
                '"transport"', '"inline"', '"syscall"']


# Small dynamically linked x86_64 files (first 64 KiB: headers, dynamic
# section and string table sit near the start). Any that exist serve.
ELF_SEEDS = ["/usr/bin/true", "/usr/bin/env", "/lib/x86_64-linux-gnu/libdl.so.2",
             "/lib/x86_64-linux-gnu/libz.so.1", "/lib64/ld-linux-x86-64.so.2"]


def elf_with_symbols():
    """A small x86_64 ELF file with what the profile plugin's symbol reader
    looks for, which the stripped seeds above lack: a PT_LOAD, a PT_NOTE
    with a build ID, and a .symtab of functions (global, weak, local, an
    IFUNC, an object and an undefined one) with its string table."""
    names = b"\0main\0helper\0weak_one\0resolver\0data\0undef\0"
    at = {n: names.index(n.encode() + b"\0") for n in
          ("main", "helper", "weak_one", "resolver", "data", "undef")}
    syms = struct.pack("<IBBHQQ", 0, 0, 0, 0, 0, 0)  # the null symbol
    for name, info, shndx, value, size in [("main", 0x12, 1, 0x401000, 0x40),
                                           ("helper", 0x02, 1, 0x401040, 0x20),
                                           ("weak_one", 0x22, 1, 0x401060, 0x10),
                                           ("resolver", 0x1a, 1, 0x401070, 0x10),
                                           ("data", 0x11, 1, 0x402000, 8),
                                           ("undef", 0x12, 0, 0, 0)]:
        syms += struct.pack("<IBBHQQ", at[name], info, 0, shndx, value, size)
    note = struct.pack("<III", 4, 8, 3) + b"GNU\0" + bytes(range(8))
    shstr = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    body = bytearray(0x1000)  # headers, then the sections' contents
    note_at = len(body)
    body += note
    syms_at = len(body)
    body += syms
    names_at = len(body)
    body += names
    shstr_at = len(body)
    body += shstr
    while len(body) % 8:
        body += b"\0"
    sh_at = len(body)
    sh = bytes(64)
    for name, kind, offset, size, link, entsize in [
            (b".text", 1, 0, 0x1000, 0, 0), (b".symtab", 2, syms_at, len(syms), 3, 24),
            (b".strtab", 3, names_at, len(names), 0, 0),
            (b".shstrtab", 3, shstr_at, len(shstr), 0, 0)]:
        sh += struct.pack("<IIQQQQIIQQ", shstr.index(name + b"\0"), kind, 0, 0x401000 * (kind == 1),
                          offset, size, link, 0, 8, entsize)
    body += sh
    eh = (b"\x7fELF\x02\x01\x01" + bytes(9) +
          struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0x401000, 64, sh_at, 0, 64, 56, 2, 64, 5, 4))
    phdrs = (struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, len(body), len(body), 0x1000) +
             struct.pack("<IIQQQQQQ", 4, 4, note_at, 0, 0, len(note), len(note), 4))
    body[0:len(eh) + len(phdrs)] = eh + phdrs
    return bytes(body)


def ar_bytes(members):
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        out += header + data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


DEB822_DICT = ['"Package: "', '"Version: "', '"Architecture: amd64"', '"Architecture: all"',
               '"Depends: "', '"Pre-Depends: "', '"Provides: "', '"Multi-Arch: foreign"',
               '"Multi-Arch: same"', '"Essential: yes"', '"Filename: pool/"', '"Size: "',
               '"SHA256:"', '" | "', '" (>= "', '" (<< "', '" (= "', '")"', '":any"', '", "',
               '"\\x0a "', '"\\x0a\\x0a"', '"\\x0a ."', '"~"', '"+"', '"1:"', '"-1"',
               '"Suite: "', '"Codename: bookworm"', '"Valid-Until: "', '" UTC"', '"# "',
               '"[amd64]"', '"<!nocheck>"', '"libc6"', '"zlib1g"', '"a0"', '".deb"']

SHA = "0123456789abcdef" * 4


def deb822_seeds():
    packages = (
        "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nMulti-Arch: same\n"
        "Depends: libgcc-s1\nFilename: pool/main/g/glibc/libc6_2.36-9_amd64.deb\nSize: 2759320\n"
        f"SHA256: {SHA}\nDescription: GNU C Library\n shared libraries\n .\n more\n\n"
        "Package: libgcc-s1\nVersion: 12.2.0-14\nArchitecture: amd64\n"
        "Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)\nFilename: pool/l.deb\nSize: 1\n"
        f"SHA256: {SHA}\n\n"
        "Package: a0\nVersion: 1:1.0~rc1-1\nArchitecture: all\nPre-Depends: debconf | "
        "debconf-2.0\nDepends: python3:any, zlib1g (>> 1) [amd64] <!nocheck>\n"
        f"Provides: virt (= 2)\nFilename: pool/a.deb\nSize: 5\nSHA256: {SHA}\n\n"
        "Package: zlib1g\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nProvides: libz1\n"
        f"Essential: yes\nFilename: pool/z.deb\nSize: 9\nSHA256: {SHA}\n")
    release = ("Origin: Debian\nSuite: oldstable\nCodename: bookworm\n"
               "Date: Sat, 11 Jul 2026 10:16:37 UTC\nValid-Until: Sun, 01 Jan 2023 00:00:00 UTC\n"
               "Acquire-By-Hash: yes\nArchitectures: all amd64\nComponents: main\nSHA256:\n"
               f" {SHA} 8790396 main/binary-amd64/Packages.xz\n {SHA} 12 main/binary-amd64/Packages\n")
    status = ("Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
              "Multi-Arch: same\nVersion: 2.36-9\nDepends: libgcc-s1\n\n"
              "Package: dpkg\nStatus: install ok installed\nEssential: yes\nArchitecture: arm64\n"
              "Multi-Arch: foreign\nVersion: 1.21.22\n")
    sources = ("# main archive\nTypes: deb\nURIs: http://deb.example/debian\n"
               "Suites: bookworm bookworm-updates\nComponents: main\n"
               "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n")
    control = "Package: libx1\nArchitecture: arm64\nVersion: 1.0-1\nDepends: libc6\r\n"
    return {"packages": packages, "release": release, "status": status, "sources": sources,
            "control": control}


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
    control = tar_bytes([("./control", "file", b"Package: x\nArchitecture: amd64\n")], "w:gz")
    seeds["pkg.deb"] = ar_bytes([("debian-binary", b"2.0\n"), ("control.tar.gz", control),
                                 ("data.tar.gz", data)])
    seeds["nodata.deb"] = ar_bytes([("debian-binary", b"2.0\n"), ("control.tar.gz", control)])
    return seeds


def match_index_seeds(root):
    """Match indexes as sync writes them (launcher/match-index.h): one of
    the repository's profiles, and small ones with every kind of record."""
    def key(kind, value=""):
        return hashlib.sha256(kind.encode() + b"\0" + value.encode()).hexdigest()

    def index(records):
        lines = sorted(f"{k} {kind} {pid:<64}\n" for k, kind, pid in records)
        return ("qemu-lorelei match index 1\n" + "".join(lines)).encode()

    records = []
    for p in glob.glob(os.path.join(root, "profiles", "*.json")):
        if p.endswith(("index.json", "schema.json")):
            continue
        with open(p) as f:
            doc = json.load(f)
        match = doc.get("match", {})
        for name in match.get("exe", []):
            records.append((key("exe", name), "S" if match.get("sha256") else "-", doc["id"]))
        for sha in match.get("sha256", []):
            records.append((key("sha256", sha), "s", doc["id"]))
    return {"seed-repository.idx": index(records),
            "seed-game.idx": index([(key("exe", "game"), "-", "a"), (key("exe", "game"), "S", "b"),
                                    (key("sha256-only"), "S", "c")]),
            "seed-empty.idx": index([])}


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
    elif kind == "deb822":
        files = {"seed-" + k: v.encode() for k, v in deb822_seeds().items()}
    elif kind == "match-index":
        files = match_index_seeds(root)
    elif kind == "library":
        files["seed-library.json"] = (
            b'{"schema": 1, "games": {"foo": {"name": "Foo & Bar", "path": "/home/me/Games/foo '
            b'bar/foo.x86_64", "workdir": "/home/me/Games", "args": ["--windowed", "a b"], '
            b'"profile": "foo", "added": "2026-12-04T10:00:00Z"}, "x": {"name": "X\\\\%", '
            b'"path": "/x", "workdir": "/"}}}')
        files["seed-empty.json"] = b'{"schema": 1, "games": {}}'
    elif kind in ("elf", "elf-symbols"):
        for p in ELF_SEEDS:
            if os.path.exists(p):
                with open(p, "rb") as f:
                    files["seed-" + os.path.basename(p)] = f.read(65536)
        files["seed-script"] = b"#!/bin/sh\n"
        if kind == "elf-symbols":
            files["seed-with-symbols"] = elf_with_symbols()
    else:
        files = {"seed-" + k: v for k, v in archive_seeds().items()}
    for name, data in files.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)
    return len(files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fuzzer", required=True)
    ap.add_argument("--kind", required=True,
                    choices=["profile", "index", "archive", "deb822", "match-index", "elf",
                             "elf-symbols", "library"])
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
    if o.kind in ("profile", "index", "deb822", "library"):
        dict_path = os.path.join(o.work, ("profile" if o.kind == "library" else o.kind) + ".dict")
        with open(dict_path, "w") as f:
            f.write("\n".join(DEB822_DICT if o.kind == "deb822" else PROFILE_DICT) + "\n")
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
