#!/usr/bin/env python3
"""thunkgen writes the ABI's numbers (syscall number, CALL operation,
function id layout, callback slots, the inline transport's marker) into generated code, and must take them
from the C headers that define them, never from copies of its own. Runs the
generator on the test library against copies of the headers with other
values and checks that the output follows them, that generated code
compiled against the real headers fails, and that a header lacking a
number stops the generator with a message. Nothing in the tree changes.

usage: test_abi_constants.py SOURCE_ROOT CC
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks  # noqa: E402

c = Checks()


def edit(path, old, new):
    with open(path) as f:
        text = f.read()
    assert old in text, f"{path} has no '{old}'"
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def generate(root, out, *extra):
    cmd = [sys.executable, os.path.join(root, "thunkgen", "thunkgen.py"), "lib",
           "--overrides", os.path.join(root, "tests", "thunklib", "testlib.toml"),
           "-I", os.path.join(root, "tests", "thunklib"),
           "--guest-out", os.path.join(out, "guest.c"), "--guest-asm-out",
           os.path.join(out, "guest.S"), "--host-out", os.path.join(out, "host.c"),
           "--summary-out", os.path.join(out, "summary.json"), *extra]
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True)


def read(path):
    with open(path) as f:
        return f.read()


def compiles(cc, source, includes):
    p = subprocess.run([cc, "-fsyntax-only", "-std=gnu11", "-D_GNU_SOURCE", source,
                        *[f"-I{d}" for d in includes]], capture_output=True, text=True)
    return p.returncode == 0, p.stderr


def main():
    root, cc = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        # Copies of the headers with other numbers.
        inc, plug = os.path.join(tmp, "include"), os.path.join(tmp, "plugin")
        shutil.copytree(os.path.join(root, "include"), inc)
        os.makedirs(plug)
        shutil.copy(os.path.join(root, "plugin", "lorelei-host.h"), plug)
        abi, host = os.path.join(inc, "lorelei", "abi.h"), os.path.join(plug, "lorelei-host.h")
        edit(abi, "#define LORELEI_SYSCALL_NR 0x4c52", "#define LORELEI_SYSCALL_NR 0x4c53")
        edit(abi, "LORELEI_OP_CALL = 3,", "LORELEI_OP_CALL = 9,")
        edit(abi, "#define LORELEI_FN_INDEX_BITS     20", "#define LORELEI_FN_INDEX_BITS     21")
        edit(host, "#define LORELEI_CALLBACK_SLOTS 64", "#define LORELEI_CALLBACK_SLOTS 16")
        edit(abi, "#define LORELEI_INLINE_MARKER_BYTES 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x52, 0x4c",
             "#define LORELEI_INLINE_MARKER_BYTES 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x53, 0x4c")

        real, other = os.path.join(tmp, "real"), os.path.join(tmp, "other")
        os.makedirs(real)
        os.makedirs(other)
        r = generate(root, real)
        c.check(r.returncode == 0, f"the generator runs on the real headers {r.stderr}")
        o = generate(root, other, "--abi-header", abi, "--host-header", host)
        c.check(o.returncode == 0, f"the generator runs on the changed copies {o.stderr}")
        if r.returncode or o.returncode:
            c.finish()

        asm_real, asm = read(os.path.join(real, "guest.S")), read(os.path.join(other, "guest.S"))
        c.check("movl\t$0x4c52, %eax" in asm_real and "movl\t$3, %edi" in asm_real,
                "real headers: the assembly stubs issue syscall 0x4c52, operation 3")
        c.check("movl\t$0x4c53, %eax" in asm and "0x4c52" not in asm,
                "changed abi.h: the assembly stubs issue syscall 0x4c53")
        c.check("movl\t$9, %edi" in asm and "movl\t$3, %edi" not in asm,
                "changed abi.h: ... with operation 9")
        ids = [int(x, 16) for x in re.findall(r"movl\t\$(0x[0-9a-f]+), %esi", asm)]
        c.check(ids and all(i >> 21 == 1 for i in ids),
                f"changed abi.h: function ids are lib << 21 | index ({len(set(ids))} stubs)")
        marker_real = ".byte\t0x66,0x0f,0x1f,0x84,0x00,0x52,0x4c,0x00,0x00"
        marker_other = ".byte\t0x66,0x0f,0x1f,0x84,0x00,0x53,0x4c,0x00,0x00"
        c.check(marker_real in asm_real, "real headers: the inline stubs end with abi.h's marker")
        c.check(marker_other in asm and marker_real not in asm,
                "changed abi.h: the inline stubs end with the changed marker")
        host_real, host_other = read(os.path.join(real, "host.c")), read(os.path.join(other, "host.c"))
        c.check("guest_fns_0[64]" in host_real, "real headers: 64 callback slots per signature")
        c.check("guest_fns_0[16]" in host_other and "trampolines_0[16]" in host_other and
                "[64]" not in host_other, "changed lorelei-host.h: 16 callback slots")

        guest_inc = [os.path.join(root, "tests", "thunklib"), os.path.join(root, "thunklibs", "runtime")]
        host_inc = [os.path.join(root, "tests", "thunklib")]
        ok, _ = compiles(cc, os.path.join(other, "guest.c"), guest_inc + [inc])
        c.check(ok, "the guest half made from the copies compiles against the copies")
        ok, err = compiles(cc, os.path.join(other, "guest.c"),
                           guest_inc + [os.path.join(root, "include")])
        c.check(not ok and "regenerate" in err,
                "against the real abi.h it does not compile (static assert)")
        ok, _ = compiles(cc, os.path.join(other, "host.c"), host_inc + [plug, inc])
        c.check(ok, "the host half made from the copies compiles against the copies")
        ok, err = compiles(cc, os.path.join(other, "host.c"),
                           host_inc + [os.path.join(root, "plugin"), os.path.join(root, "include")])
        c.check(not ok and "regenerate" in err,
                "against the real lorelei-host.h it does not compile (static assert)")

        edit(abi, "#define LORELEI_INLINE_MARKER_BYTES 0x66,", "#define LORELEI_INLINE_MARKER_BYTES 66,")
        bad = generate(root, other, "--abi-header", abi, "--host-header", host)
        c.check(bad.returncode == 1 and "LORELEI_INLINE_MARKER_BYTES" in bad.stderr,
                f"a marker not written as hexadecimal bytes stops the generator "
                f"({bad.stderr.strip()})")
        edit(abi, "#define LORELEI_INLINE_MARKER_BYTES 66,", "#define LORELEI_INLINE_MARKER_BYTES 0x66,")
        edit(abi, "LORELEI_OP_CALL = 9,", "LORELEI_OP_CALLED = 9,")
        bad = generate(root, other, "--abi-header", abi, "--host-header", host)
        c.check(bad.returncode == 1 and "LORELEI_OP_CALL" in bad.stderr and abi in bad.stderr,
                f"a header without LORELEI_OP_CALL stops the generator, naming both "
                f"({bad.stderr.strip()})")
    c.finish()


if __name__ == "__main__":
    main()
