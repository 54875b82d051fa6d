#!/usr/bin/env python3
"""Every guest library the plugin serves must be linked -z nodelete
(thunklibs/meson.build says why): dlclose of a stub must never unload it or
the guest runtime. Reads each library's dynamic section (readelf -d).

usage: check_nodelete.py LIB.so...
"""
import subprocess
import sys


def main():
    bad = []
    for lib in sys.argv[1:]:
        out = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True,
                             check=True).stdout
        flags = [line for line in out.splitlines() if "(FLAGS_1)" in line]
        ok = any("NODELETE" in line.split() for line in flags)
        print(("ok   " if ok else "FAIL ") + f"{lib}: {flags[0].split(None, 2)[2] if flags else 'no FLAGS_1'}")
        if not ok:
            bad.append(lib)
    if bad:
        print(f"{len(bad)} librar{'y is' if len(bad) == 1 else 'ies are'} not linked -z nodelete; "
              "link them with guest_lib_link_flags (thunklibs/meson.build)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
