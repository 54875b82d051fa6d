#!/usr/bin/env python3
"""Merge the objects compiled from SDL's own source into one relocatable
object for the guest stub, exporting only what runs in the guest.

usage: merge_sdl_objects.py --cc CC --objcopy OBJCOPY --nm NM --overrides sdl2.toml
                            [--redirect OBJ:SYMBOL=REPLACEMENT]... -o OUT OBJ...

1. --redirect renames what one object calls (e.g. SDL_rwops.o's fread) to a
   stub function that does the same in a way that works under Lorelei. The
   object must call it: a redirect that finds nothing is an error, so a newer
   SDL that stops calling it cannot silently lose the fix.
2. The objects are linked into one (ld -r): SDL's internal calls between
   them (SDL_SYS_CreateThread...) are resolved there.
3. Every global symbol but the functions sdl2.toml runs in the guest
   (`guest = true`, or `guest_wrapper = true` when SDL's code is the guest
   side) becomes local: SDL's internals never leak, and the SDL functions the
   stub forwards to the host (SDL_GetCPUCount, SDL_GetPrefPath...) keep their
   generated stubs; SDL's own code calls its local copy.
What is still undefined (SDL_SetError, SDL_GetHint, libc) is resolved when the
stub is linked: SDL's code calls the stub's exports, i.e. the host's SDL.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import tomllib


def fail(what, why, fix):
    sys.exit(f"merge_sdl_objects: error: {what}\n  why: {why}\n  fix: {fix}")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} failed", p.stderr.strip()[-2000:], "see the message above")
    return p.stdout


def symbols(nm, path, *flags):
    """Names nm lists with flags (e.g. -u: undefined, --defined-only -g)."""
    return {line.split()[-1] for line in run([nm, *flags, path]).splitlines() if line.strip()}


def guest_side(overrides):
    with open(overrides, "rb") as f:
        functions = tomllib.load(f).get("functions", {})
    return {name for name, t in functions.items() if t.get("guest") or t.get("guest_wrapper")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--objcopy", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--overrides", required=True)
    ap.add_argument("--redirect", action="append", default=[])
    ap.add_argument("-o", dest="out", required=True)
    ap.add_argument("objects", nargs="+")
    a = ap.parse_args()

    redirects = {}
    for r in a.redirect:
        obj, _, rename = r.partition(":")
        old, _, new = rename.partition("=")
        if not (obj and old and new):
            fail(f"bad --redirect '{r}'", "the form is OBJ:SYMBOL=REPLACEMENT",
                 "fix thunklibs/sdl2/meson.build")
        redirects.setdefault(obj, []).append((old, new))
    by_name = {os.path.basename(o): o for o in a.objects}
    for obj in redirects:
        if obj not in by_name:
            fail(f"--redirect names {obj}, which is not among the objects",
                 "a typo or a removed file", "fix the redirect in thunklibs/sdl2/meson.build")

    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for o in a.objects:
            name = os.path.basename(o)
            if name not in redirects:
                inputs.append(o)
                continue
            calls = symbols(a.nm, o, "-u")
            for old, _ in redirects[name]:
                if old not in calls:
                    fail(f"{name} does not call {old}", "this SDL source no longer uses what the "
                         "stub redirects (the redirect would do nothing)",
                         "check the SDL source and adapt the redirect in thunklibs/sdl2/meson.build")
            renamed = os.path.join(tmp, name)
            run([a.objcopy] + [f"--redefine-sym={old}={new}" for old, new in redirects[name]] +
                [o, renamed])
            inputs.append(renamed)

        merged = os.path.join(tmp, "merged.o")
        run([a.cc, "-r", "-nostdlib", "-o", merged] + inputs)
        defined = symbols(a.nm, merged, "--defined-only", "-g")
        keep = defined & guest_side(a.overrides)
        keep_file = os.path.join(tmp, "keep.txt")
        with open(keep_file, "w") as f:
            f.write("".join(f"{s}\n" for s in sorted(keep)))
        run([a.objcopy, f"--keep-global-symbols={keep_file}", merged, a.out + ".tmp"])

    left = symbols(a.nm, a.out + ".tmp", "--defined-only", "-g")
    if left != keep:
        fail("objcopy left other global symbols", f"{sorted(left ^ keep)[:10]}",
             "check the binutils version (objcopy --keep-global-symbols)")
    os.replace(a.out + ".tmp", a.out)
    localized = sorted(s for s in defined - keep if s.startswith("SDL_"))
    print(f"merge_sdl_objects: {len(keep)} SDL functions from SDL's source run in the guest; "
          f"kept local: {' '.join(localized)}")


if __name__ == "__main__":
    main()
