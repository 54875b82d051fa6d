#!/usr/bin/env python3
"""Runs a unit test program with $DISPLAY set to a private Xvfb.

usage: run_with_xvfb.py PROGRAM [ARGS...]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from xvfb import Xvfb  # noqa: E402


def main():
    with Xvfb() as x:
        return subprocess.run(sys.argv[1:], env=x.env(), timeout=300).returncode


if __name__ == "__main__":
    sys.exit(main())
