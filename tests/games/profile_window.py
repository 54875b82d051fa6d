"""The --profile-libs figures of the seconds a game was measured, not of its
whole run.

The profiling plugin rewrites its JSON report every 2 s while the game runs
("complete": false; the exit report says true). A whole-run report mixes
loading with play: SuperTux's libpng share is all loading, and a level
reload (a death) inside a short window once read as text shaping every
frame. The difference of the report read when the measurement starts and
the one read when it ends is what the game did in between: the plugin's
counters only grow, so every figure is after minus before.
"""
import json
import shutil
import subprocess


def read_report(path):
    """The report as the plugin last wrote it, or None: not written yet (the
    first comes 2 s after the game starts) or not there at all. The plugin
    writes FILE.tmp and renames it, so a report is never read half-written."""
    if not path:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _grown(before_rows, after_rows, key, fields):
    """after minus before, row by row (a row first seen after: all of it)."""
    old = {key(r): r for r in before_rows}
    rows = []
    for r in after_rows:
        o = old.get(key(r), {})
        d = {f: r[f] - o.get(f, 0) for f in fields}
        if any(d.values()):
            rows.append((r, d))
    return rows


def between(before, after):
    """What the game did from report `before` to report `after`; None when
    either is missing or they are the same snapshot. Files are split by
    instructions as in the plugin's own report; functions are sorted by
    seconds. Running shares are left out: the plugin reports them for the
    whole run only."""
    if not before or not after or after["wall_s"] <= before["wall_s"]:
        return None
    instructions = after["instructions"] - before["instructions"]
    emulated = after["emulated_s"] - before["emulated_s"]
    files = []
    for r, d in _grown(before["files"], after["files"], lambda r: r["file"], ["instructions"]):
        share = d["instructions"] / instructions if instructions else 0.0
        files.append({"file": r["file"], "instructions": d["instructions"], "share": share,
                      "seconds": share * emulated})
    files.sort(key=lambda f: -f["instructions"])
    # Guest functions: the plugin lists the top ones by instructions, so one
    # near the end of the list may be missing from `before` while it had
    # counts; it then counts whole, which can only overstate the smallest rows.
    guest_functions = []
    for r, d in _grown(before.get("guest_functions", []), after.get("guest_functions", []),
                       lambda r: (r["file"], r["function"]), ["instructions"]):
        share = d["instructions"] / instructions if instructions else 0.0
        guest_functions.append({"file": r["file"], "function": r["function"],
                                "instructions": d["instructions"], "share": share,
                                "seconds": share * emulated})
    guest_functions.sort(key=lambda f: -f["instructions"])
    functions = [{"lib": r["lib"], "function": r["function"], "calls": d["calls"],
                  "seconds": d["seconds"]}
                 for r, d in _grown(before["functions"], after["functions"],
                                    lambda r: (r["lib"], r["function"]), ["calls", "seconds"])]
    functions.sort(key=lambda f: -f["seconds"])
    return {"from_s": before["wall_s"], "to_s": after["wall_s"],
            "wall_s": after["wall_s"] - before["wall_s"], "emulated_s": emulated,
            "instructions": instructions, "files": files, "guest_functions": guest_functions,
            "functions": functions}


def demangled(names):
    """C++ symbol names as a person reads them, without parameter lists
    (binutils' c++filt -p: "sf::Transform::combine"); names it does not
    know, and all of them without c++filt, stay as they are."""
    tool = shutil.which("c++filt")
    if not names or tool is None:
        return list(names)
    p = subprocess.run([tool, "-p"], input="\n".join(names) + "\n", capture_output=True,
                       text=True, timeout=30)
    out = p.stdout.splitlines()
    return out if p.returncode == 0 and len(out) == len(names) else list(names)


def summary(window, top=5):
    """A few lines for a person: the window, where its emulated time went,
    and the forwarded functions that took longest. The harness adds the
    frames drawn in the window ("frames"), when it counted them."""
    if not window:
        return ["in play: no figures (the game ended before the measured seconds "
                "had two reports of the profiling plugin)"]
    frames = window.get("frames")
    per_frame = f", {window['emulated_s'] / frames * 1000:.1f} ms a frame" if frames else ""
    lines = [f"in play, {window['from_s']:.1f}-{window['to_s']:.1f} s of the run: emulated code "
             f"{window['emulated_s']:.2f} s of {window['wall_s']:.2f} s"
             f"{f' ({frames} frames{per_frame})' if frames else ''}"]
    for f in window["files"][:top]:
        lines.append(f"  {f['share'] * 100:5.1f}%  {f['seconds']:7.3f} s  {f['file']}")
    guest = window.get("guest_functions", [])[:top]
    for f, name in zip(guest, demangled([f["function"] for f in guest])):
        lines.append(f"  {f['share'] * 100:5.1f}%  {f['seconds']:7.3f} s  "
                     f"{f['file'].rsplit('/', 1)[-1]}: {name}")
    for f in window["functions"][:top]:
        lines.append(f"  {f['calls']:9} calls {f['seconds']:7.3f} s  {f['lib']}: {f['function']}")
    return lines
