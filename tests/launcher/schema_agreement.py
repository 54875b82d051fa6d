#!/usr/bin/env python3
"""profiles/schema.json and the C validator must agree: both are run over
the same good and bad examples (tests/launcher/examples, a few generated
here, and the repository's real profiles); every good one must pass both,
every bad one must fail both. The patterns in the schema must also be the
very text of launcher/profile-rules.h's."""
import json
import os
import re
import shutil
import subprocess
import tempfile

import schema_check
from testlib import Failure, c_env_rules, check, run_main

HERE = os.path.dirname(os.path.abspath(__file__))


def named_by_id(path, tmp, n):
    """A copy of an example named <id>.json (run and validate require that
    name; the schema cannot say it), so the verdict is about the contents."""
    try:
        with open(path, "rb") as f:
            pid = json.loads(f.read().decode("utf-8"))["id"]
        check(isinstance(pid, str) and re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", pid), pid)
    except Exception:
        return path
    folder = os.path.join(tmp, str(n))
    os.makedirs(folder)
    copy = os.path.join(folder, pid + ".json")
    shutil.copyfile(path, copy)
    return copy


def c_verdicts(opts, files, tmp):
    copies = [named_by_id(f, tmp, n) for n, f in enumerate(files)]
    p = subprocess.run([opts.cli, "profile", "validate", "--json", *copies], capture_output=True,
                       text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    results = json.loads(p.stdout)
    check(len(results) == len(files), "one result per file")
    by_copy = {r["file"]: r["problems"] for r in results}
    return {f: by_copy[c] for f, c in zip(files, copies)}


def generated(tmp):
    """Bad examples that are awkward to keep as files."""
    out = []
    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        out.append(path)
    big = {"schema": 1, "id": "x", "notes": "a" * 8000, "args": ["b" * 4000] * 16}
    write("too-big.json", json.dumps(big).encode())
    write("invalid-utf8.json", b'{"schema": 1, "id": "x", "name": "\xff\xfe"}')
    write("latin1.json", '{"schema": 1, "id": "x", "name": "caf\xe9"}'.encode("latin-1"))
    write("nul-byte.json", b'{"schema": 1, "id": "x", "name": "a\x00b"}')
    write("deep.json", b'{"schema": 1, "id": "x", "args": ' + b"[" * 200 + b"]" * 200 + b"}")
    write("bom.json", b'\xef\xbb\xbf{"schema": 1, "id": "x"}')
    return out


def agreement(s):
    opts = s.opts
    validator = schema_check.load_validator(opts.schema)
    good_dir = os.path.join(HERE, "examples", "good")
    bad_dir = os.path.join(HERE, "examples", "bad")
    good = [os.path.join(good_dir, f) for f in sorted(os.listdir(good_dir))]
    real = [os.path.join(opts.profiles, f) for f in sorted(os.listdir(opts.profiles))
            if f.endswith(".json") and f not in ("index.json", "schema.json")]
    bad = [os.path.join(bad_dir, f) for f in sorted(os.listdir(bad_dir))]
    with tempfile.TemporaryDirectory() as tmp:
        bad += generated(tmp)
        c = c_verdicts(opts, good + real + bad, tmp)
        disagreements = []
        for path in good + real + bad:
            py = schema_check.problems(validator, path)
            want_valid = path not in bad
            name = os.path.relpath(path, HERE)
            if bool(py) == want_valid:
                disagreements.append(f"{name}: schema says {'invalid: ' + str(py) if py else 'valid'}")
            if bool(c[path]) == want_valid:
                disagreements.append(f"{name}: C says {'invalid: ' + str(c[path]) if c[path] else 'valid'}")
        if disagreements:
            raise Failure("\n".join(disagreements))
    print(f"{len(good) + len(real)} good and {len(bad)} bad examples: schema and C agree")


def same_patterns(s):
    """Every pattern of profile-rules.h appears verbatim in schema.json."""
    with open(s.opts.rules) as f:
        header = f.read()
    with open(s.opts.schema) as f:
        schema_text = json.dumps(json.load(f))
    names = re.findall(r"#define (LO_PAT_\w+)", header)
    check(len(names) >= 9, f"found only {names}")
    lines = header.split("\n")
    for name in names:
        i = next(i for i, l in enumerate(lines) if re.match(rf"#define {name}\b", l))
        text = lines[i]
        while text.rstrip().endswith("\\"):
            i += 1
            text = text.rstrip()[:-1] + lines[i]
        c_pattern = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', text)).replace("\\\\", "\\")
        check(json.dumps(c_pattern) in schema_text, f"{name} {c_pattern!r} is not in schema.json")
    # The environment allow-list: the same names with the same value patterns.
    with open(os.path.join(os.path.dirname(s.opts.rules), "profile-rules.c")) as f:
        rules = {r["name"]: r["pattern"] for r in c_env_rules(f.read())}
    check(len(rules) >= 20, f"found only {sorted(rules)} in profile-rules.c")
    with open(s.opts.schema) as f:
        env = json.load(f)["properties"]["env"]
    check(env.get("additionalProperties") is False, "schema.json's env admits unlisted names")
    schema_rules = {k: v.get("pattern") for k, v in env["properties"].items()}
    check(schema_rules == rules, "schema.json's env.properties differ from lo_env_rules:\n"
          f"only in C: {sorted(set(rules.items()) - set(schema_rules.items()))}\n"
          f"only in the schema: {sorted(set(schema_rules.items()) - set(rules.items()))}")

def c_thunk_names(rules_h):
    """lo_thunk_names of launcher/profile-rules.c, in order."""
    with open(os.path.join(os.path.dirname(rules_h), "profile-rules.c")) as f:
        body = f.read().split("lo_thunk_names[LO_N_THUNKS + 1] = {")[1].split("};")[0]
    return re.findall(r'"([^"]*)"', body)


def same_thunks(s):
    """schema.json's thunks are lo_thunk_names, in the same order, each with
    the title docs/compatibility.md shows (scripts/gen-compatibility.py reads
    them from the schema); its transport takes the same names."""
    names = c_thunk_names(s.opts.rules)
    check(len(names) >= 6 and "vorbisfile" in names, f"found only {names} in profile-rules.c")
    with open(s.opts.schema) as f:
        thunks = json.load(f)["properties"]["thunks"]
    check(thunks.get("additionalProperties") is False, "schema.json's thunks admits other names")
    props = {k: v for k, v in thunks["properties"].items() if k != "$comment"}
    check(list(props) == names, f"schema.json's thunks {list(props)} are not lo_thunk_names {names}")
    for k, v in props.items():
        check(isinstance(v.get("title"), str) and v["title"], f"thunks.{k} has no title")
    with open(s.opts.schema) as f:
        transport = json.load(f)["properties"]["transport"]
    check(transport.get("additionalProperties") is False,
          "schema.json's transport admits other names")
    keys = [k for k in transport["properties"] if k != "$comment"]
    check(keys == names, f"schema.json's transport {keys} is not lo_thunk_names {names}")
    for k in keys:
        check(transport["properties"][k] == {"$ref": "#/$defs/transport"},
              f"transport.{k} is not #/$defs/transport")


CASES = {"agreement": agreement, "same-patterns": same_patterns, "same-thunks": same_thunks}

if __name__ == "__main__":
    run_main(CASES, ["schema", "rules"])
