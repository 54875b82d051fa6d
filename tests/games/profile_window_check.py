#!/usr/bin/env python3
"""The profile of the measured seconds (profile_window.between): made-up
reports of the profiling plugin, as it rewrites them while a game runs. A
library loaded inside the window, a function first called in it, a report
not written yet and two reads of the same report are the cases.

usage: profile_window_check.py
"""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import profile_window  # noqa: E402
from lorelei import Checks  # noqa: E402


def report(wall, emulated, files, functions, guest_functions=None):
    return {"complete": False, "wall_s": wall, "threads_alive_s": wall, "emulated_s": emulated,
            "instructions": sum(files.values()), "maps_reads": 1,
            "files": [{"file": f, "instructions": n, "share": 0} for f, n in files.items()],
            "guest_functions": [{"file": f, "function": fn, "instructions": n, "share": 0}
                                for (f, fn), n in (guest_functions or {}).items()],
            "syscalls": [],
            "functions": [{"lib": lib, "function": fn, "calls": c, "seconds": s, "running_share": 0.5}
                          for (lib, fn), (c, s) in functions.items()]}


def main():
    c = Checks()
    # Loading: libpng decodes the textures; then play, where the game's
    # own code runs and a reload brings HarfBuzz in.
    before = report(10.0, 6.0, {"libpng16.so": 900, "game": 100},
                    {("gl", "glTexImage2D"): (40, 0.5), ("sdl2", "SDL_GL_SwapWindow"): (10, 0.2)},
                    {("/lib/libpng16.so", "png_read_filter_row_paeth"): 800,
                     ("/g/game", "update"): 60})
    after = report(20.0, 8.0, {"libpng16.so": 900, "game": 400, "libharfbuzz.so": 100},
                   {("gl", "glTexImage2D"): (40, 0.5), ("sdl2", "SDL_GL_SwapWindow"): (310, 4.2),
                    ("gl", "glDrawArrays"): (900, 3.0)},
                   {("/lib/libpng16.so", "png_read_filter_row_paeth"): 800,
                    ("/g/game", "update"): 260, ("/lib/libharfbuzz.so", "hb_shape"): 80,
                    ("/lib/libsfml-graphics.so", "_ZN2sf9Transform7combineERKS0_"): 10})
    w = profile_window.between(before, after)
    c.check(w is not None, "two reports give a window")
    c.check(abs(w["wall_s"] - 10.0) < 1e-9 and abs(w["emulated_s"] - 2.0) < 1e-9 and
            w["instructions"] == 400, f"the window's totals are after minus before: {w}")
    files = {f["file"]: f for f in w["files"]}
    c.check("libpng16.so" not in files,
            f"a library busy only while loading is not in play's figures: {sorted(files)}")
    c.check(files.get("game", {}).get("share") == 0.75 and
            abs(files["game"]["seconds"] - 1.5) < 1e-9,
            f"the game's share is of the window's instructions (300 of 400): {files.get('game')}")
    c.check(files.get("libharfbuzz.so", {}).get("instructions") == 100,
            f"a library first seen in the window counts whole: {files.get('libharfbuzz.so')}")
    c.check([f["file"] for f in w["files"]] == ["game", "libharfbuzz.so"],
            f"files by instructions, most first: {[f['file'] for f in w['files']]}")
    fns = [(f["function"], f["calls"], round(f["seconds"], 6)) for f in w["functions"]]
    c.check(fns == [("SDL_GL_SwapWindow", 300, 4.0), ("glDrawArrays", 900, 3.0)],
            f"functions called in the window, by seconds; glTexImage2D (loading) left out: {fns}")
    gfs = [(f["function"], f["instructions"], f["share"]) for f in w["guest_functions"]]
    c.check(gfs == [("update", 200, 0.5), ("hb_shape", 80, 0.2),
                    ("_ZN2sf9Transform7combineERKS0_", 10, 0.025)],
            f"guest functions run in the window, by instructions, with their share of the "
            f"window's; libpng's row filter (loading) left out: {gfs}")
    lines = profile_window.summary({**w, "frames": 200})
    c.check(any("game: update" in line for line in lines),
            f"the summary names the guest function by its file's name: {lines}")
    c.check(any(line.endswith("libsfml-graphics.so: sf::Transform::combine") for line in lines),
            f"a C++ name reads as in the source (c++filt), without its parameters: {lines}")
    c.check("10.0-20.0 s" in lines[0] and "10.0 ms a frame" in lines[0],
            f"the summary names the window and the emulated time a frame: {lines[0]}")
    old = dict(before)
    del old["guest_functions"]  # a report of a plugin that did not name functions yet
    c.check(profile_window.between(old, after)["guest_functions"][0]["instructions"] == 800,
            "a report without guest functions counts every function of the other whole")
    c.check(profile_window.between(before, before) is None,
            "the same report read twice (no rewrite in between) gives no window")
    c.check(profile_window.between(None, after) is None,
            "no report yet when the measurement began (the first comes after 2 s): no window")
    c.check("no figures" in profile_window.summary(None)[0],
            "without a window the summary says there are no figures")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "game-profile.json")
        c.check(profile_window.read_report(path) is None, "a report not written yet reads as None")
        with open(path, "w") as f:
            json.dump(after, f)
        c.check(profile_window.read_report(path) == after, "a written report reads back")
        c.check(profile_window.read_report(None) is None, "no profile asked for: None")
    c.finish()


if __name__ == "__main__":
    main()
