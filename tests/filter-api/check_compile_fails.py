#!/usr/bin/env python3
"""Compiles a plugin source that must be rejected and checks that it is, for
the expected reason.

usage: check_compile_fails.py SOURCE PATTERN -- COMPILER [ARGS...]
Succeeds when the compiler exits non-zero and its diagnostics contain PATTERN.
"""
import subprocess
import sys

src, pattern = sys.argv[1], sys.argv[2]
assert sys.argv[3] == "--"
cmd = sys.argv[4:] + ["-Werror", "-fsyntax-only", src]
print("$ " + " ".join(cmd))
p = subprocess.run(cmd, capture_output=True, text=True)
print(p.stderr)
if p.returncode == 0:
    print(f"FAIL: {src} compiled, but its filter callback has the wrong signature")
    sys.exit(1)
if pattern not in p.stderr:
    print(f"FAIL: the compiler rejected {src}, but not with '{pattern}' (another error?)")
    sys.exit(1)
print(f"ok: rejected with '{pattern}'")
