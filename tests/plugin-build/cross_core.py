#!/usr/bin/env python3
"""The plugin core (plugin/*.c and the coroutine switch) compiled for another
host architecture with -Werror, by gcc and clang: a build check for hosts CI
does not have (riscv64: Debian 12 has no riscv64 release to run it on).

  cross_core.py --arch riscv64 --source-root DIR --qemu-include DIR --work DIR
                -- GLIB_CFLAGS...

Debian 12 has no riscv64 glib headers, so the x86_64 ones are used with
-idirafter. They are the same for any LP64 little-endian Linux except
glibconfig.h's sizes and byte order, which a first compile checks against
the target (a mismatch fails here instead of passing unnoticed)."""
import argparse
import glob
import os
import shutil
import subprocess
import sys

PACKAGES = {"riscv64": "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross",
            "aarch64": "gcc-aarch64-linux-gnu libc6-dev-arm64-cross"}
FILE_NAMES = {"riscv64": "UCB RISC-V", "aarch64": "ARM aarch64"}
GLIBCONFIG_CHECK = """
#include <glib.h>
_Static_assert(GLIB_SIZEOF_VOID_P == sizeof(void *), "glibconfig.h: pointer size differs");
_Static_assert(GLIB_SIZEOF_LONG == sizeof(long), "glibconfig.h: long size differs");
_Static_assert(GLIB_SIZEOF_SIZE_T == sizeof(size_t), "glibconfig.h: size_t size differs");
_Static_assert(sizeof(gint64) == 8 && _Alignof(gint64) == _Alignof(long long),
               "glibconfig.h: gint64 differs");
_Static_assert(G_BYTE_ORDER == G_LITTLE_ENDIAN && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "glibconfig.h: byte order differs");
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=sorted(PACKAGES))
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--qemu-include", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("glib_cflags", nargs="*")
    o = ap.parse_args()
    gcc = shutil.which(f"{o.arch}-linux-gnu-gcc")
    clang = shutil.which("clang-14")
    if gcc is None or clang is None:
        print(f"FAIL: {o.arch}-linux-gnu-gcc or clang-14 is not installed.\n"
              f"  fix: scripts/install-deps.sh (installs {PACKAGES[o.arch]} clang-14 from "
              f"scripts/deps.txt)")
        return 1
    os.makedirs(o.work, exist_ok=True)
    # The x86_64 glib headers, searched after the target's own system headers.
    glib = []
    for f in o.glib_cflags:
        glib += ["-idirafter", f[2:]] if f.startswith("-I") else [f]
    plugin = os.path.join(o.source_root, "plugin")
    flags = ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-fPIC",
             "-fvisibility=hidden", "-I" + plugin, "-I" + os.path.join(o.source_root, "include"),
             "-I" + o.qemu_include] + glib
    check_src = os.path.join(o.work, "glibconfig_check.c")
    with open(check_src, "w") as f:
        f.write(GLIBCONFIG_CHECK)
    sources = [check_src] + sorted(glob.glob(os.path.join(plugin, "*.c"))) + \
        [os.path.join(plugin, f"coro_switch_{o.arch}.S")]
    objs, failed = [], 0
    for name, cc in (("gcc", [gcc]), ("clang", [clang, f"--target={o.arch}-linux-gnu"])):
        for src in sources:
            obj = os.path.join(o.work, f"{name}-{os.path.basename(src)}.o")
            p = subprocess.run(cc + flags + ["-c", "-o", obj, src], capture_output=True, text=True)
            rel = os.path.relpath(src, o.source_root)
            if p.returncode != 0:
                print(f"FAIL: {name} for {o.arch}: {rel}\n{p.stderr}")
                failed += 1
            else:
                print(f"ok: {name} for {o.arch}: {rel}")
                objs.append(obj)
    wrong = []
    if objs:
        out = subprocess.run(["file"] + objs, capture_output=True, text=True).stdout
        wrong = [ln for ln in out.splitlines() if FILE_NAMES[o.arch] not in ln]
        for ln in wrong:
            print(f"FAIL: not a {o.arch} object: {ln}")
    failed += len(wrong)
    print(f"{len(objs) - len(wrong)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
