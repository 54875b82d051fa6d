#!/usr/bin/env python3
"""The aarch64 lane's emulator is in place: binfmt_misc hands aarch64
programs to Debian's qemu-aarch64-static (registered by
scripts/binfmt-aarch64.sh; tests/run.sh runs it as root), so the aarch64
qemu-x86_64 this tree built runs when executed, as on an aarch64 host, and
QEMU_PAGESIZE gives it 16 KiB pages.

usage: check_emulator.py QEMU_X86_64
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, elf_machine  # noqa: E402

ENTRY = "/proc/sys/fs/binfmt_misc/qemu-aarch64"
c = Checks()
qemu = sys.argv[1]
c.check(elf_machine(qemu) == "aarch64", f"{qemu} is an aarch64 program ({elf_machine(qemu)})")
try:
    entry = open(ENTRY).read()
except OSError as e:
    entry = ""
    print(f"{ENTRY}: {e.strerror}\n  why: binfmt_misc has no aarch64 entry, so this machine "
          "cannot execute aarch64 programs\n  fix: run scripts/binfmt-aarch64.sh as root "
          "(tests/run.sh does), then run the lane again")
c.check(entry.startswith("enabled"), "binfmt_misc's qemu-aarch64 entry is enabled")
interp = next((l.split(None, 1)[1] for l in entry.splitlines() if l.startswith("interpreter ")), "")
c.check(os.path.realpath(interp) == "/usr/bin/qemu-aarch64-static",
        f"it runs Debian's qemu-aarch64-static ({interp}), whose QEMU_PAGESIZE the 16 KiB "
        "runs need")
for pages in ("4096", "16384"):
    env = dict(os.environ, QEMU_PAGESIZE=pages)
    p = subprocess.run([qemu, "--version"], env=env, capture_output=True, text=True, timeout=120)
    print(p.stdout + p.stderr)
    c.check(p.returncode == 0 and "qemu-x86_64 version" in p.stdout,
            f"executing the aarch64 qemu-x86_64 with {pages}-byte pages works")
c.finish()
