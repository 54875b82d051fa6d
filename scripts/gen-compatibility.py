#!/usr/bin/env python3
"""Writes docs/compatibility.md, the table of games qemu-lorelei's profiles
know, from a profile repository (profiles/ here): its index.json and the
profiles it lists. One row per profile: the game's name and id, its status,
the libraries it forwards to the host, the best frame-rate ratio a tested_on
record shows (fps / native_fps), the host architectures it was tested on and
the newest test.

    scripts/gen-compatibility.py                      # writes docs/compatibility.md
    scripts/gen-compatibility.py --check              # fails when it is stale (a test)
    scripts/gen-compatibility.py --profiles DIR --output FILE

Profiles come from a repository people submit to: each file must be the one
the index lists (name, size, sha256), and every value that reaches the
Markdown is made one line of plain text (no control characters, '|' and
Markdown's special characters escaped), so a profile cannot break the table.
"""
import argparse
import hashlib
import json
import math
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(TOP, "profiles", "schema.json")
MAX_INDEX_BYTES = 1024 * 1024
MAX_PROFILE_BYTES = 64 * 1024


class Problem(Exception):
    pass


def cell(value, limit=80):
    """One table cell of plain text."""
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", str(value)).strip()
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return re.sub(r"([\\|`*_\[\]<>#])", r"\\\1", text) or "—"


def read_limited(path, limit):
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Problem(f"{path} is larger than {limit} bytes")
    return data


def load_profiles(folder):
    index_path = os.path.join(folder, "index.json")
    try:
        index = json.loads(read_limited(index_path, MAX_INDEX_BYTES))
        entries = index["profiles"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise Problem(f"cannot read {index_path}: {e}")
    profiles = []
    for e in entries:
        path = e.get("path") if isinstance(e, dict) else None
        if not isinstance(path, str) or not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}\.json", path):
            raise Problem(f"{index_path}: entry {e!r} does not name a profile file")
        data = read_limited(os.path.join(folder, path), MAX_PROFILE_BYTES)
        if hashlib.sha256(data).hexdigest() != e.get("sha256") or len(data) != e.get("size"):
            raise Problem(f"{path} is not the file {index_path} lists (size or sha256 differ): "
                          "regenerate the index with `qemu-lorelei profile index`")
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("id") != e.get("id"):
            raise Problem(f"{path}: its id is not {e.get('id')!r}")
        profiles.append(doc)
    return profiles


def thunk_names(schema_path=SCHEMA):
    """[(key, title)] of every library a profile can forward, in the
    launcher's order: the properties of schema.json's "thunks" (which
    schema_agreement.py holds to lo_thunk_names), so a new thunk needs no
    change here."""
    try:
        with open(schema_path, encoding="utf-8") as f:
            props = json.load(f)["properties"]["thunks"]["properties"]
        names = [(k, v.get("title", k)) for k, v in props.items() if k != "$comment"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise Problem(f"cannot read the thunk names from {schema_path}: {e}")
    if not names:
        raise Problem(f"{schema_path} names no thunks")
    return names


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def row(doc, thunk_list):
    thunks = doc.get("thunks") if isinstance(doc.get("thunks"), dict) else {}
    forwards = [cell(name, 40) for key, name in thunk_list if thunks.get(key, True) is not False]
    records = [r for r in doc.get("tested_on", []) if isinstance(r, dict)]
    best = None
    for r in records:
        if number(r.get("fps")) and number(r.get("native_fps")):
            ratio = r["fps"] / r["native_fps"]
            if best is None or ratio > best[0]:
                best = (ratio, r)
    if best is not None:
        ratio, r = best
        where = ", ".join(cell(r[k], 40) for k in ("host_arch", "gpu_renderer") if k in r)
        ratio_text = f"{ratio:.2f}× ({where})"
    else:
        ratio_text = "—"
    archs = sorted({r["host_arch"] for r in records if isinstance(r.get("host_arch"), str)})
    dates = sorted(r["date"] for r in records if isinstance(r.get("date"), str))
    return [
        f"{cell(doc.get('name') or doc['id'])} (`{re.sub(r'[^a-z0-9._-]', '', str(doc['id']))}`)",
        cell(doc.get("status") or "untested"),
        ", ".join(forwards) or "none (all emulated)",
        ratio_text,
        ", ".join(cell(a, 16) for a in archs) or "—",
        f"{cell(dates[-1], 10)} ({len(records)} record{'' if len(records) == 1 else 's'})"
        if dates else "never",
    ]


def generate(folder):
    thunk_list = thunk_names()
    profiles = sorted(load_profiles(folder), key=lambda d: (str(d.get("name") or d["id"]).lower(),
                                                            d["id"]))
    counts = {}
    for d in profiles:
        counts[d.get("status") or "untested"] = counts.get(d.get("status") or "untested", 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    lines = [
        "<!-- Generated by scripts/gen-compatibility.py from profiles/index.json and the",
        "     profiles it lists: do not edit. Regenerate with",
        "     `python3 scripts/gen-compatibility.py`; a test fails when this file is stale. -->",
        "# Compatibility",
        "",
        "The games and programs qemu-lorelei has a built-in profile for, as the",
        "profiles say. **Status** is the profile's verdict (`playable`: works to",
        "the end; `runs`: starts, with problems; `broken`). **Forwards** are the",
        "libraries whose calls go to the host's native library instead of running",
        "emulated. **Best frame-rate ratio** is the highest frame rate under",
        "qemu-lorelei divided by the same scene's native x86_64 frame rate among",
        "the profile's `tested_on` records that have both (with the host",
        "architecture and GPU of that record). Records come from",
        "`qemu-lorelei profile report` ([profiles.md](profiles.md#tested-on-records)),",
        "including the community's; [launcher.md](launcher.md) says how to sync them.",
        "",
        f"{len(profiles)} profiles: {summary or 'none'}.",
        "",
        "| Game | Status | Forwards | Best frame-rate ratio | Hosts tested | Last tested |",
        "|---|---|---|---|---|---|",
    ]
    for d in profiles:
        lines.append("| " + " | ".join(row(d, thunk_list)) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", default=os.path.join(TOP, "profiles"),
                    help="the profile repository (default: profiles/)")
    ap.add_argument("--output", default=os.path.join(TOP, "docs", "compatibility.md"),
                    help="the file to write (default: docs/compatibility.md)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing: fail when OUTPUT is not what would be written")
    opts = ap.parse_args()
    try:
        text = generate(opts.profiles)
    except (Problem, OSError, ValueError) as e:
        print(f"gen-compatibility: error: {e}", file=sys.stderr)
        return 1
    if opts.check:
        try:
            with open(opts.output, encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            current = None
            why = str(e)
        if current != text:
            print(f"gen-compatibility: error: {opts.output} is stale: it is not the table "
                  f"{opts.profiles} gives now" + (f" ({why})" if current is None else ""),
                  file=sys.stderr)
            print("  fix: run `python3 scripts/gen-compatibility.py` and commit the result",
                  file=sys.stderr)
            return 1
        print(f"{opts.output} is up to date")
        return 0
    with open(opts.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
