#!/usr/bin/env python3
"""scripts/gen-compatibility.py: the table of docs/compatibility.md from a
profile repository (status, forwarded libraries, best frame-rate ratio,
hosts, newest test), --check failing on a stale file, and hostile profile
text kept out of the Markdown. (The committed file's freshness is the test
launcher-compatibility-up-to-date.)"""
import hashlib
import json
import os
import subprocess
import sys

from testlib import check, check_in, check_not_in, run_main


def script(s):
    return os.path.join(s.opts.source_root, "scripts", "gen-compatibility.py")


def repository(s, docs):
    folder = s.path("repo")
    os.makedirs(folder, exist_ok=True)
    for doc in docs:
        with open(os.path.join(folder, doc["id"] + ".json"), "w") as f:
            json.dump(doc, f)
    s.ok("profile", "index", folder)  # also validates every profile
    return folder


def gen(s, folder, *extra):
    out = s.path("compatibility.md")
    return subprocess.run([sys.executable, script(s), "--profiles", folder, "--output", out,
                           *extra], capture_output=True, text=True), out


def record(**kw):
    return {"date": "2026-12-01", "host_arch": "aarch64", "lorelei_version": "0.1.0",
            "result": "playable", **kw}


def table(s):
    folder = repository(s, [
        {"schema": 1, "id": "tux", "name": "Super Tux", "status": "playable",
         "thunks": {"vulkan": False},
         "tested_on": [record(fps=30, native_fps=60),
                       record(date="2026-12-03", host_arch="riscv64", fps=45, native_fps=50,
                              gpu_renderer="Mali-G610"),
                       record(host_arch="x86_64", fps=500)]},  # no native_fps: no ratio
        {"schema": 1, "id": "alpha", "name": "alpha demo", "thunks": {"sdl2": False, "gl": False,
                                                                       "vulkan": False}},
        {"schema": 1, "id": "pipes", "name": "A | B *bold* <b>x</b>", "status": "broken",
         "tested_on": [record(result="broken", notes="| not a cell")]},
    ])
    p, out = gen(s, folder)
    check(p.returncode == 0, p.stderr)
    with open(out) as f:
        text = f.read()
    rows = [l for l in text.splitlines() if l.startswith("| ") and "`" in l]
    check(len(rows) == 3, rows)
    # Sorted by name, case-insensitively; every row has six cells.
    check(["`pipes`" in rows[0], "`alpha`" in rows[1], "`tux`" in rows[2]] == [True] * 3, rows)
    for r in rows:
        check(r.replace("\\|", "").count("|") == 7, f"not six cells: {r}")
    check_in("| Super Tux (`tux`) | playable | SDL2, OpenGL, OpenAL, zlib, libvorbisfile | "
             "0.90× (riscv64, Mali-G610) | aarch64, riscv64, x86\\_64 | 2026-12-03 (3 records) |",
             text)
    check_in("| alpha demo (`alpha`) | untested | OpenAL, zlib, libvorbisfile | — | — | never |",
             text)
    check_in("A \\| B \\*bold\\* \\<b\\>x\\</b\\> (`pipes`) | broken | SDL2, OpenGL, Vulkan, "
             "OpenAL, zlib, libvorbisfile | — | aarch64 | 2026-12-01 (1 record) |", text)
    check_in("3 profiles: 1 broken, 1 playable, 1 untested.", text)
    check_not_in("not a cell", text)  # notes are not in the table


def check_mode(s):
    folder = repository(s, [{"schema": 1, "id": "one", "name": "One", "status": "runs"}])
    p, out = gen(s, folder, "--check")
    check(p.returncode == 1, p.stdout)
    check_in("is stale", p.stderr)
    check_in("fix: run `python3 scripts/gen-compatibility.py`", p.stderr)
    p, out = gen(s, folder)
    check(p.returncode == 0, p.stderr)
    p, _ = gen(s, folder, "--check")
    check(p.returncode == 0 and "is up to date" in p.stdout, p.stderr)
    # A new record makes the committed file stale.
    repository(s, [{"schema": 1, "id": "one", "name": "One", "status": "runs",
                    "tested_on": [record(fps=10, native_fps=20)]}])
    p, _ = gen(s, folder, "--check")
    check(p.returncode == 1 and "is stale" in p.stderr, p.stderr)


def tampered_profile(s):
    """A profile that is not the file the index lists is refused."""
    folder = repository(s, [{"schema": 1, "id": "one", "name": "One"}])
    with open(os.path.join(folder, "one.json"), "a") as f:
        f.write(" ")
    p, out = gen(s, folder)
    check(p.returncode == 1, p.stdout)
    check_in("one.json is not the file", p.stderr)
    check(not os.path.exists(out), "wrote a table anyway")
    with open(os.path.join(folder, "index.json")) as f:
        index = json.load(f)
    index["profiles"][0]["path"] = "../../etc/passwd"
    with open(os.path.join(folder, "index.json"), "w") as f:
        json.dump(index, f)
    p, _ = gen(s, folder)
    check(p.returncode == 1 and "does not name a profile file" in p.stderr, p.stderr)


def every_thunk(s):
    """Forwards names every library a profile can forward (the thunks of
    profiles/schema.json, which the C validator's lo_thunk_names match), not
    only SDL2, OpenGL and Vulkan: a profile forwarding only OpenAL is not "none"."""
    with open(os.path.join(s.opts.source_root, "profiles", "schema.json")) as f:
        names = [k for k in json.load(f)["properties"]["thunks"]["properties"] if k != "$comment"]
    check({"sdl2", "gl", "vulkan", "openal", "zlib", "vorbisfile"} <= set(names), names)
    off = {k: False for k in names}
    folder = repository(s, [
        {"schema": 1, "id": "al", "name": "AL only", "thunks": {**off, "openal": True}},
        {"schema": 1, "id": "ogg", "name": "Ogg only", "thunks": {**off, "vorbisfile": True}},
        {"schema": 1, "id": "nothing", "name": "Nothing", "thunks": off},
        {"schema": 1, "id": "default", "name": "Default"},
    ])
    p, out = gen(s, folder)
    check(p.returncode == 0, p.stderr)
    with open(out) as f:
        text = f.read()
    check_in("| AL only (`al`) | untested | OpenAL | — | — | never |", text)
    check_in("| Ogg only (`ogg`) | untested | libvorbisfile | — | — | never |", text)
    check_in("| Nothing (`nothing`) | untested | none (all emulated) | — | — | never |", text)
    check_in("| Default (`default`) | untested | SDL2, OpenGL, Vulkan, OpenAL, zlib, libvorbisfile "
             "| — | — | never |", text)
    # The committed table says the same of the repository's openal-info,
    # whose profile turns SDL2, OpenGL and Vulkan off and forwards OpenAL.
    with open(os.path.join(s.opts.source_root, "docs", "compatibility.md")) as f:
        committed = f.read()
    row = next((l for l in committed.splitlines() if "(`openal-info`)" in l), None)
    check(row is not None, "no openal-info row in docs/compatibility.md")
    forwards = row.split(" | ")[2].split(", ")
    check("OpenAL" in forwards and not {"SDL2", "OpenGL", "Vulkan"} & set(forwards),
          f"openal-info forwards OpenAL and not SDL2, OpenGL or Vulkan: {row}")


CASES = {f.__name__: f for f in [table, check_mode, tampered_profile, every_thunk]}

if __name__ == "__main__":
    run_main(CASES, ["source-root"])
