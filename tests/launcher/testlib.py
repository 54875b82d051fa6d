"""Shared helpers for the launcher's command-line tests.

Each test script is a set of named cases; meson registers one test per case
(script --list), and runs `script --case NAME --build DIR ...`. A case gets
a Sandbox: a HOME of its own (XDG folders inside it), so nothing touches the
user's real profiles or sysroots. A case fails by raising (check() or an
exception) and is skipped by raising Skip(reason): the reason is printed as
the last line and the exit status is 77.
"""
import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import elf_machine  # noqa: E402


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def check_in(needle, haystack, what="output"):
    if needle not in haystack:
        raise Failure(f"{what} lacks {needle!r}:\n{haystack}")


def check_not_in(needle, haystack, what="output"):
    if needle in haystack:
        raise Failure(f"{what} should not contain {needle!r}:\n{haystack}")


class Sandbox:
    """A private HOME with XDG folders, and a way to run the CLI in it."""

    def __init__(self, opts):
        self.opts = opts
        self.root = tempfile.mkdtemp(prefix="lorelei-cli-")
        self.cli = opts.cli
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LORELEI_", "QEMU_", "XDG_"))}
        env.update(HOME=self.root, XDG_DATA_HOME=self.path("data"),
                   XDG_CONFIG_HOME=self.path("config"), LC_ALL="C.UTF-8")
        env.pop("LD_PRELOAD", None)
        # meson points LD_LIBRARY_PATH at build folders holding the test stub
        # libraries; the launcher's host probes must see the real ones.
        env.pop("LD_LIBRARY_PATH", None)
        # The built-in layer is the repository's profiles unless a case says otherwise.
        env["LORELEI_PROFILES_DIR"] = opts.profiles
        self.env = env

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    @property
    def data(self):
        return self.path("data", "qemu-lorelei")

    @property
    def user_profiles(self):
        return self.path("config", "qemu-lorelei", "profiles")

    def write(self, rel, text, mode=None):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w" if isinstance(text, str) else "wb") as f:
            f.write(text)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def run(self, *args, env=None, timeout=120, cwd=None, cli=None, input=None):
        e = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        stdin = {"input": input} if input is not None else {}
        return subprocess.run([cli or self.cli, *args], env=e, capture_output=True, text=True,
                              timeout=timeout, cwd=cwd or self.root, **stdin)

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        if p.returncode != 0:
            raise Failure(f"{' '.join(args)} failed with {p.returncode}:\n"
                          f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        check_not_in("error:", p.stderr, "stderr")
        return p

    def error(self, status, needles, *args, **kw):
        """Runs the CLI expecting exit status and an error naming every needle.
        The error is printed once, as 'error: ...' with fix lines under it."""
        p = self.run(*args, **kw)
        if p.returncode != status:
            raise Failure(f"{' '.join(args)}: exit status {p.returncode}, expected {status}\n"
                          f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        lines = p.stderr.splitlines()
        starts = [i for i, l in enumerate(lines) if l.startswith("error: ")]
        check(len(starts) == 1, f"expected exactly one 'error:' line:\n{p.stderr}")
        message = "\n".join(lines[starts[0]:])
        for n in needles:
            check_in(n, message, "error message")
        check_not_in("error:", p.stdout, "stdout")
        return p

    def json(self, *args, **kw):
        return json.loads(self.ok(*args, **kw).stdout)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def c_env_rules(c_text):
    """The environment allow-list of launcher/profile-rules.c (lo_env_rules) as
    [{name, pattern, values, why}]: the tests hold the schema and the docs
    against it. Reads the C table's string literals, joining the adjacent
    ones a long line is split into."""
    body = c_text.split("const LoEnvRule lo_env_rules[] = {")[1].split("\n};")[0]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    rules, entry, cur = [], None, None
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|[{},]|NULL', body):
        t = m.group(0)
        if t == "{":
            entry, cur = [], None
        elif t == "}":
            if entry is not None and cur is not None:
                entry.append(cur)
            if entry:
                rules.append(dict(zip(("name", "pattern", "values", "why"), entry)))
            entry, cur = None, None
        elif t == ",":
            if entry is not None and cur is not None:
                entry.append(cur)
            cur = None
        elif t != "NULL":
            cur = (cur or "") + m.group(1).encode().decode("unicode_escape")
    return rules


def make_elf(path, machine=62, cls=2, etype=2):
    """A minimal ELF header: enough for the launcher's check, not to run."""
    header = bytearray(64)
    header[0:4] = b"\x7fELF"
    header[4] = cls
    header[5] = 1
    header[6] = 1
    header[16:18] = etype.to_bytes(2, "little")
    header[18:20] = machine.to_bytes(2, "little")
    with open(path, "wb") as f:
        f.write(bytes(header))
    os.chmod(path, 0o755)
    return path


def tar_bytes(entries, mode):
    """A tar archive (mode "w", "w:gz", "w:xz", "w:bz2") of (name, kind, data)
    entries, kind being file, dir, symlink or hardlink: names and link
    targets are written as given, hostile ones included."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = data
            else:
                info.size = len(data)
            t.addfile(info, io.BytesIO(data) if kind == "file" else None)
    return buf.getvalue()


def main(cases, extra_args=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--cli")
    ap.add_argument("--profiles")
    ap.add_argument("--cli-machine", help="fail unless --cli is an ELF file for this machine "
                    "(the aarch64 lane: its launcher really is the aarch64 build)")
    for a in extra_args or []:
        ap.add_argument("--" + a)
    opts = ap.parse_args()
    for k, v in vars(opts).items():
        if isinstance(v, str) and k not in ("case",) and os.path.exists(v):
            setattr(opts, k, os.path.abspath(v))
    if opts.list:
        print("\n".join(cases))
        return 0
    case = cases[opts.case]
    if opts.cli_machine:
        machine = elf_machine(opts.cli)
        if machine != opts.cli_machine:
            print(f"FAIL {opts.case}: {opts.cli} is not an {opts.cli_machine} program ({machine})")
            return 1
        print(f"ok   {opts.cli} is an {machine} program")
    sandbox = Sandbox(opts)
    try:
        case(sandbox)
    except Skip as e:
        print(f"SKIP: {e}")
        return 77
    except Exception:
        traceback.print_exc()
        print(f"FAIL {opts.case} (sandbox kept at {sandbox.root})")
        return 1
    sandbox.cleanup()
    print(f"ok {opts.case}")
    return 0


def run_main(cases, extra_args=None):
    sys.exit(main(cases, extra_args))
