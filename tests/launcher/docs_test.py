#!/usr/bin/env python3
"""The documentation keeps up with the code: the manual page lists every
exit status of errors.h, every LORELEI_* variable the launcher reads, every
command; docs/launcher.md and the manual name every QEMU_* variable that
passes (every other is stripped); docs/profiles.md states the environment allow-list as the code has
it. A change to one without the other fails here."""
import glob
import json
import os
import re
import subprocess

from testlib import c_env_rules, check, check_in, run_main


def read(*parts):
    with open(os.path.join(*parts)) as f:
        return f.read()


def man_text(root):
    """The manual page as man renders it (escapes resolved)."""
    p = subprocess.run(["man", "-l", "-P", "cat", os.path.join(root, "docs", "qemu-lorelei.1")],
                       capture_output=True, text=True, env={**os.environ, "MANWIDTH": "200",
                                                            "LC_ALL": "C.UTF-8"})
    check(p.returncode == 0, p.stderr)
    return re.sub(r".\x08", "", p.stdout)


def manual_page(s):
    root = s.opts.source_root
    man = man_text(root)
    codes = re.findall(r"LO_EXIT_\w+ = (\d+)", read(root, "launcher", "errors.h"))
    check(len(codes) >= 10, codes)
    status = man.split("EXIT STATUS")[1].split("FILES")[0]
    for c in codes:
        check(re.search(rf"^\s+{c}\s", status, re.M), f"exit status {c} is not in the manual")
    sources = "".join(read(p) for p in glob.glob(os.path.join(root, "launcher", "*.[ch]")))
    variables = set(re.findall(r'"(LORELEI_[A-Z_]+)"', sources))
    check({"LORELEI_QEMU", "LORELEI_PLUGIN", "LORELEI_SYNC_URL"} <= variables, variables)
    for v in sorted(variables):
        check_in(v, man.split("ENVIRONMENT")[1], "the manual's ENVIRONMENT")
    helptext = s.ok("--help").stdout
    commands = re.findall(r"^  ((?:profile |sysroot |binfmt )?[a-z]+) ", helptext, re.M)
    check(len(commands) >= 12, commands)
    for c in commands:
        check_in(c, man, "the manual")


def every_option(s):
    """Every long option of every command's --help is in the manual."""
    man = man_text(s.opts.source_root)
    commands = re.findall(r"^  ((?:profile |sysroot )?[a-z]+) ", s.ok("--help").stdout, re.M)
    checked = 0
    for c in commands:
        helptext = s.ok(*c.split(), "--help").stdout
        for option in sorted(set(re.findall(r"^ +(?:-\w, )?(--[a-z][a-z-]*)", helptext, re.M))):
            if option != "--help":
                check_in(option, man, f"the manual (`{c} {option}`)")
                checked += 1
    check(checked > 30, f"only {checked} options found")


def stripped_variables(s):
    root = s.opts.source_root
    code = read(root, "launcher", "qemu-cmdline.c")
    passed = re.findall(r'"(QEMU_\w+)"', code.split("lo_passed_qemu_vars[] = {")[1].split("};")[0])
    check(len(passed) == 4, passed)
    man = man_text(root)
    guide = read(root, "docs", "launcher.md")
    for v in passed + ["QEMU_GDB", "QEMU_CPU", "QEMU_SET_ENV"]:
        check_in(v, man, "the manual")
        check_in("`" + v + "`", guide, "docs/launcher.md")
    check_in("every other QEMU_", " ".join(man.split()), "the manual")
    check_in("every other `QEMU_*`", guide, "docs/launcher.md")


def allow_list(s):
    root = s.opts.source_root
    rules = read(root, "launcher", "profile-rules.h")
    doc = read(root, "docs", "profiles.md")
    with open(os.path.join(root, "launcher", "profile-rules.c")) as f:
        env_rules = c_env_rules(f.read())
    check(len(env_rules) >= 20, env_rules)
    table = doc.split("## The environment allow-list")[1].split("\n## ")[0]
    for r in env_rules:
        row = next((l for l in table.splitlines() if l.startswith(f"| `{r['name']}` |")), None)
        check(row is not None, f"docs/profiles.md's allow-list has no row for {r['name']}")
        check_in(r["values"], row, f"the row of {r['name']}")
    for model in ["Haswell", "EPYC-Genoa", "Opteron_G", "YongFeng", "ClearwaterForest"]:
        check_in(model, rules, "LO_PAT_CPU")
        check_in(model, doc, "docs/profiles.md")


def builtin_profiles(s):
    """docs/profiles.md describes the repository's profiles as they are:
    one row per profile with its status, forwarded libraries and whether
    it has tested_on records."""
    root = s.opts.source_root
    guide = read(root, "docs", "profiles.md")
    section = guide.split("## The repository's profiles")[1].split("\n## ")[0]
    profiles = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(root, "profiles", "*.json")))
                if os.path.basename(p) not in ("index.json", "schema.json")]
    check(len(profiles) >= 10, len(profiles))
    for doc in profiles:
        row = next((l for l in section.splitlines() if l.startswith(f"| `{doc['id']}` |")), None)
        check(row is not None, f"no row for {doc['id']} in the repository's profiles")
        cells = [c.strip() for c in row.strip("|").split("|")]
        thunks = ", ".join(k for k, v in doc.get("thunks", {}).items() if v) or "none"
        check(cells[1] == f"`{doc.get('status', '-')}`", f"{doc['id']}: status {cells[1]}")
        check(cells[2] == thunks, f"{doc['id']}: forwards {cells[2]}, the profile says {thunks}")
        check(cells[3] == str(len(doc.get("tested_on", []))), f"{doc['id']}: tested_on {cells[3]}")


CASES = {"manual-page": manual_page, "every-option": every_option,
         "stripped-variables": stripped_variables, "allow-list": allow_list,
         "builtin-profiles": builtin_profiles}

if __name__ == "__main__":
    run_main(CASES, ["source-root"])
