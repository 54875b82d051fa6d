#!/usr/bin/env python3
"""Print the SDL version of an SDL source tree (include/SDL_version.h), for
meson to compare with the host's SDL2.

usage: sdl_source_version.py SDL_SOURCE_DIR
"""
import os
import re
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    header = os.path.join(sys.argv[1], "include", "SDL_version.h")
    try:
        text = open(header).read()
    except OSError as e:
        sys.exit(f"{header} cannot be read ({e.strerror}): sdl2_source_dir is not an SDL2 source "
                 "tree. Run packaging/sdl2/fetch-sdl2-source.sh and pass its output as "
                 "-Dsdl2_source_dir=...")
    parts = [re.search(rf"^#define SDL_{k}\s+(\d+)", text, re.M)
             for k in ("MAJOR_VERSION", "MINOR_VERSION", "PATCHLEVEL")]
    if not all(parts):
        sys.exit(f"{header} does not define SDL_MAJOR_VERSION, SDL_MINOR_VERSION and "
                 "SDL_PATCHLEVEL: not an SDL2 source tree")
    print(".".join(p.group(1) for p in parts))


if __name__ == "__main__":
    main()
