#!/usr/bin/env python3
"""The documentation keeps up with the code: the manual page lists every
exit status of errors.h, every LORELEI_* variable the launcher reads, every
command; docs/launcher.md and the manual name every QEMU_* variable that is
stripped; docs/profiles.md states the environment allow-list as the code has
it. A change to one without the other fails here."""
import glob
import os
import re
import subprocess

from testlib import check, check_in, run_main


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


def stripped_variables(s):
    root = s.opts.source_root
    code = read(root, "launcher", "qemu-cmdline.c")
    listed = re.findall(r'"(QEMU_\w+)"', code.split("lo_stripped_qemu_vars[] = {")[1].split("};")[0])
    check(len(listed) == 9, listed)
    man = man_text(root)
    guide = read(root, "docs", "launcher.md")
    for v in listed:
        check_in(v, man, "the manual")
        check_in("`" + v + "`", guide, "docs/launcher.md")


def allow_list(s):
    root = s.opts.source_root
    rules = read(root, "launcher", "profile-rules.h")
    doc = read(root, "docs", "profiles.md")
    env_key = re.search(r'#define LO_PAT_ENV_KEY\s+"([^"]+)"', rules).group(1)
    check_in("`" + env_key.replace("\\\\", "\\") + "`", doc, "docs/profiles.md")
    denied = re.findall(r'"([A-Z_]+)"', rules.split("#define LO_ENV_KEY_DENIED_LIST")[1].split("\n\n")[0])
    for d in denied:
        check_in("`" + d + "`", doc, "docs/profiles.md")
    for family in re.search(r'#define LO_ENV_FAMILIES\s+"([^"]+)"', rules).group(1).split(", "):
        check_in(family.rstrip("*"), doc, "docs/profiles.md")
    for model in ["Haswell", "EPYC-Genoa", "Opteron_G", "YongFeng", "ClearwaterForest"]:
        check_in(model, rules, "LO_PAT_CPU")
        check_in(model, doc, "docs/profiles.md")


CASES = {"manual-page": manual_page, "stripped-variables": stripped_variables,
         "allow-list": allow_list}

if __name__ == "__main__":
    run_main(CASES, ["source-root"])
