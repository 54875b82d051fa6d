#!/usr/bin/env python3
"""Builds and runs the coroutine unit test (coro_test.c) for another
architecture: a static binary from the Debian cross compiler, run under
Debian's qemu-user-static; or, with --asan, only compiles plugin/coro.c with
-fsanitize=address for that architecture (gcc and clang) and checks that the
ASan fiber annotations are in the object.

  run_cross.py --arch aarch64|riscv64|x86_64 --source-root DIR --work DIR [--asan]

A missing cross compiler or emulator is a failure that names the package:
scripts/install-deps.sh installs them (scripts/deps.txt)."""
import argparse
import os
import shutil
import subprocess
import sys

PACKAGES = {  # Debian packages: compiler + static libc, and the emulator
    "aarch64": ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
    "riscv64": ["gcc-riscv64-linux-gnu", "libc6-dev-riscv64-cross"],
    "x86_64": ["gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross"],
}
CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-O2", "-g", "-Wall", "-Wextra", "-Werror"]


def need(tool, packages):
    path = shutil.which(tool)
    if path is None:
        print(f"FAIL: {tool} is not installed, so the coroutine switch cannot be tested for this "
              f"architecture.\n  fix: scripts/install-deps.sh (installs {', '.join(packages)} "
              f"from scripts/deps.txt)")
        sys.exit(1)
    return path


def run(cmd):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=sorted(PACKAGES))
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--asan", action="store_true")
    o = ap.parse_args()
    plugin = os.path.join(o.source_root, "plugin")
    here = os.path.join(o.source_root, "tests", "coro")
    os.makedirs(o.work, exist_ok=True)
    cc = need(f"{o.arch}-linux-gnu-gcc", PACKAGES[o.arch])

    if o.asan:
        clang = need("clang-14", ["clang-14"])
        for name, compiler in (("gcc", [cc]), ("clang", [clang, f"--target={o.arch}-linux-gnu"])):
            obj = os.path.join(o.work, f"coro-asan-{name}.o")
            p = run(compiler + CFLAGS + ["-fsanitize=address", "-c", "-o", obj,
                                         os.path.join(plugin, "coro.c")])
            if p.returncode != 0:
                print(f"FAIL: plugin/coro.c does not compile with {name} -fsanitize=address "
                      f"for {o.arch}")
                return 1
            syms = run(["nm", obj]).stdout
            for sym in ("__sanitizer_start_switch_fiber", "__sanitizer_finish_switch_fiber"):
                if sym not in syms:
                    print(f"FAIL: the {o.arch} ASan build ({name}) of coro.c does not call {sym}: "
                          f"the fiber annotations were compiled out")
                    return 1
        print(f"ok: coro.c's ASan fiber annotations compile for {o.arch} with gcc and clang")
        print("1 passed, 0 failed")
        return 0

    emulator = need(f"qemu-{o.arch}-static", ["qemu-user-static"])
    exe = os.path.join(o.work, f"coro-test-{o.arch}")
    p = run([cc] + CFLAGS + ["-static", "-I" + plugin, "-o", exe,
                             os.path.join(here, "coro_test.c"), os.path.join(plugin, "coro.c"),
                             os.path.join(plugin, f"coro_switch_{o.arch}.S"),
                             os.path.join(here, f"regs_{o.arch}.S"), "-lm"])
    if p.returncode != 0:
        print(f"FAIL: the coroutine test does not build for {o.arch}")
        return 1
    p = run([emulator, exe])
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
