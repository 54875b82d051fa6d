#!/usr/bin/env python3
"""The dynamic_cast cache (liblorelei-castcache.so) answers every cast as the
C++ runtime does: dyncast_check prints one line per kind of cast, and the
lines must be the same with the cache and without it, natively (x86_64
hosts: LD_PRELOAD) and under `qemu-lorelei run` (cache preloaded by default,
none with --keep-dynamic-cast). With the cache, its counters must show it
answered (hits), and after a dlclose it must answer from scratch.

In the aarch64 lane (--sysroot: the lane's x86_64 sysroot) the launcher is
the aarch64 build, run through binfmt_misc as on an aarch64 host, with the
sysroot registered in a private data folder as "lane".

usage: run_castcache.py --prog DYNCAST_CHECK --plugin-lib LIB --castcache CACHE
                        [--launcher QEMU_LORELEI [--sysroot DIR]]
"""
import argparse
import os
import platform
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, run  # noqa: E402

# Lines that differ with the cache by design; the rest must not.
CACHE_LINES = ("cache: ", "after a dlclose the cache answered from scratch: ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prog", required=True)
    ap.add_argument("--plugin-lib", required=True)
    ap.add_argument("--castcache", required=True)
    ap.add_argument("--launcher")
    ap.add_argument("--sysroot", help="the x86_64 sysroot the launcher runs the program with")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lorelei-castcache-") as home:
        check_answers(a, home)


def launcher_env(env, home, sysroot):
    """Without a sysroot: the environment as it is. With one: a private
    home whose data folder has it as the sysroot "lane", as `qemu-lorelei
    sysroot create` leaves one."""
    if not sysroot:
        return env, []
    env = dict(env, HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_CACHE_HOME=os.path.join(home, "cache"))
    store = os.path.join(env["XDG_DATA_HOME"], "qemu-lorelei", "sysroots")
    os.makedirs(store)
    os.symlink(os.path.abspath(sysroot), os.path.join(store, "lane"))
    return env, ["--sysroot", "lane"]


def check_answers(a, home):
    c = Checks()
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "LD_LIBRARY_PATH") and not k.startswith("LORELEI_")}
    runs = {}
    if platform.machine() == "x86_64":
        runs["native"] = ([a.prog, a.plugin_lib], env, False)
        runs["native, cache preloaded"] = ([a.prog, a.plugin_lib],
                                           {**env, "LD_PRELOAD": a.castcache}, True)
    else:
        print(f"not run natively: this host is {platform.machine()}, the program x86_64")
    if a.launcher:
        run_env, sysroot = launcher_env(env, home, a.sysroot)
        runs["qemu-lorelei"] = ([a.launcher, "run", *sysroot, a.prog, a.plugin_lib], run_env, True)
        runs["qemu-lorelei --keep-dynamic-cast"] = (
            [a.launcher, "run", *sysroot, "--keep-dynamic-cast", a.prog, a.plugin_lib], run_env,
            False)
    else:
        print("not run under qemu-lorelei: this build tree is sanitized (the launcher runs "
              "QEMU without ASan's runtime); the plain build tree runs it")
    answers = {}
    for name, (cmd, run_env, cached) in runs.items():
        p = run(cmd, env=run_env, timeout=240)
        lines = p.stdout.splitlines()
        ok = p.returncode == 0 and "disagreements: 0" in lines
        c.check(ok, f"{name}: every cast gave one answer each time (status {p.returncode}; "
                f"{[x for x in lines if x.startswith(('wrong', 'disagreements'))]})"
                + ("" if ok else "\n" + p.stderr[-1500:]))
        cache = next((x for x in lines if x.startswith("cache: ")), None)
        if cached:
            hits = int(cache.split("hits ")[1].split(",")[0]) if cache and "hits" in cache else 0
            c.check(hits > 0, f"{name}: the cache answered ({cache})")
            c.check("after a dlclose the cache answered from scratch: yes" in lines,
                    f"{name}: a dlclose emptied the cache "
                    f"({[x for x in lines if x.startswith(CACHE_LINES[1])]})")
        else:
            c.check(cache == "cache: none", f"{name}: no cache ({cache})")
        answers[name] = [x for x in lines if not x.startswith(CACHE_LINES)]
    if answers:
        first, reference = next(iter(answers.items()))
        c.check(len(reference) > 40, f"{first}: {len(reference)} kinds of cast answered")
        for name, got in answers.items():
            differ = [(x, y) for x, y in zip(reference, got) if x != y]
            c.check(got == reference,
                    f"{name}: the same answers as {first} ({len(got)} lines; first differences "
                    f"{differ[:3]})")
    c.finish()


if __name__ == "__main__":
    main()
