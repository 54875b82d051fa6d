#!/usr/bin/env python3
"""The repository stands alone: no file points a reader at documents outside
it (design notes or recipes kept beside the checkout while the project was
written). What a reader needs is in docs/.

usage: check_standalone.py SOURCE_ROOT
"""
import os
import re
import subprocess
import sys

OUTSIDE = re.compile(r"\.\./shared\b|\bDESIGN\.md\b|\bSTYLE\.md\b")


def main():
    root = sys.argv[1]
    me = os.path.relpath(os.path.abspath(__file__), root)
    files = subprocess.run(["git", "-C", root, "ls-files"], check=True, capture_output=True,
                           text=True).stdout.split()
    hits = []
    for f in files:
        if f == me:
            continue
        try:
            with open(os.path.join(root, f), errors="strict") as fh:
                for n, line in enumerate(fh, 1):
                    if OUTSIDE.search(line):
                        hits.append(f"{f}:{n}: {line.strip()}")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
    for h in hits:
        print("FAIL: points outside the repository: " + h)
    print(f"{len(files)} files read, {len(hits)} reference(s) to documents outside the repository")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
