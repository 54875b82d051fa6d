#!/usr/bin/env python3
"""Fails when a hand-written C file differs from what clang-format makes of it
(the root's .clang-format). Generated code is not in the source tree, so it is
not checked.

usage: check_format.py SOURCE_ROOT CLANG_FORMAT
"""
import os
import subprocess
import sys


def c_files(root):
    """The tracked C files, or every C file outside build trees without git."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "*.c", "*.h"], check=True,
                             capture_output=True, text=True).stdout
        return [os.path.join(root, f) for f in out.split()]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, subdirs, files in os.walk(root):
            subdirs[:] = [s for s in subdirs if not s.startswith(("build", "."))]
            found += [os.path.join(d, f) for f in files if f.endswith((".c", ".h"))]
        return found


def main():
    root, clang_format = sys.argv[1], sys.argv[2]
    files = c_files(root)
    if not files:
        print(f"not ok no C files found under {root}")
        return 1
    p = subprocess.run([clang_format, "--dry-run", "--Werror", *files], cwd=root,
                       capture_output=True, text=True)
    bad = sorted({line.split(":", 1)[0] for line in p.stderr.splitlines() if ": error:" in line})
    if p.returncode != 0:
        print(p.stderr[-4000:])
        print(f"not ok {len(bad)} of {len(files)} C files are not clang-formatted: "
              f"{', '.join(os.path.relpath(b, root) for b in bad)}")
        print(f"fix: {clang_format} -i <those files> (the style is the root's .clang-format)")
        return 1
    print(f"ok   all {len(files)} C files are clang-formatted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
