#!/usr/bin/env python3
"""Patch 0009 of packaging/qemu/patches: on an x86_64 host with AVX2, TCG
cleans the upper halves of the ymm registers (VZEROUPPER) before every
helper call and TB jump that follows a 256-bit operation, and nowhere
else; the guest's vector and float results stay right.

usage: run_ymm_upper_test.py --qemu Q --guest G [--objdump OBJDUMP]

The translated code is read from QEMU's `-d out_asm` log (hex bytes, as
this QEMU is built without a disassembler) and disassembled with objdump.
Before the patch, every call after a 256-bit operation ran with dirty upper
halves: the first check below fails.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks  # noqa: E402


def elf_machine(path):
    """The ELF e_machine of a program: 62 for x86_64 (the lane's QEMU is aarch64's)."""
    with open(path, "rb") as f:
        head = f.read(20)
    return int.from_bytes(head[18:20], "little") if head[:4] == b"\x7fELF" else None


def host_has_avx2():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return "avx2" in line.split()
    return False


def translated_blocks(log_text):
    """The code bytes of each translated block (OUT:), prologue left out."""
    blocks, current = [], None
    for line in log_text.splitlines():
        if line.startswith("OUT:"):
            current = bytearray()
            blocks.append(current)
        elif line.startswith("PROLOGUE:"):
            current = None
        elif current is not None and line.startswith("OBJD-H: "):
            current += bytes.fromhex(line[len("OBJD-H: "):].strip())
    return blocks


def instructions(objdump, code, folder):
    """Mnemonic and operands of each instruction of one block."""
    path = os.path.join(folder, "block.bin")
    with open(path, "wb") as f:
        f.write(code)
    out = subprocess.run([objdump, "-D", "-b", "binary", "-m", "i386:x86-64", path],
                         capture_output=True, text=True, check=True).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r"\s*[0-9a-f]+:\s+(?:[0-9a-f]{2} )+\s*(.*)$", line)
        if m and m.group(1):
            insns.append(m.group(1).strip())
    return insns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--objdump", default="objdump")
    a = ap.parse_args()
    x86_64_qemu = elf_machine(a.qemu) == 62
    if not x86_64_qemu or not host_has_avx2():
        print("SKIP: patch 0009 concerns QEMU on x86_64 hosts with AVX2 (TCG emits 256-bit "
              "host operations only there); " +
              ("this QEMU is built for another host" if not x86_64_qemu
               else "this CPU has no AVX2"))
        sys.exit(77)

    c = Checks()
    with tempfile.TemporaryDirectory() as folder:
        log = os.path.join(folder, "out_asm.log")
        cmd = [a.qemu, "-cpu", "max", "-d", "out_asm", "-D", log, a.guest]
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        sys.stderr.write(p.stderr[-2000:])
        c.check(p.returncode == 0, "the guest's 256-bit and float results match its "
                f"lane-by-lane arithmetic (exit status {p.returncode})")
        with open(log) as f:
            blocks = translated_blocks(f.read())

        with_ymm = clean_calls = dirty_calls = stray = 0
        for code in blocks:
            insns = instructions(a.objdump, code, folder)
            uses_ymm = any("%ymm" in i for i in insns)
            with_ymm += uses_ymm
            dirty = False
            for i in insns:
                if "%ymm" in i:
                    dirty = True
                elif i.startswith("vzeroupper"):
                    stray += not uses_ymm
                    dirty = False
                elif i.startswith("call"):
                    if dirty:
                        dirty_calls += 1
                    elif uses_ymm:
                        clean_calls += 1

    print(f"{len(blocks)} blocks translated, {with_ymm} with 256-bit operations; "
          f"calls after them: {clean_calls} clean, {dirty_calls} with dirty upper halves")
    c.check(with_ymm > 0 and clean_calls + dirty_calls > 0,
            "the guest's 256-bit operations and the calls after them were translated")
    c.check(dirty_calls == 0, "no helper call runs with dirty ymm upper halves "
            f"({dirty_calls} did)")
    c.check(stray == 0, "blocks without 256-bit operations get no VZEROUPPER "
            f"({stray} did)")
    c.finish()


if __name__ == "__main__":
    main()
