#!/usr/bin/env python3
"""bench/launcher: what a community repository at the documented limits
costs the launcher. Makes a repository of N profiles (default 4096, the
index's limit) of about 64 KiB each (the profile limit), syncs it from
file:// into a private HOME, then measures `run --dry-run` of a game that
one of them matches by name, and `profile sync` again (nothing changed):
wall time and the largest resident set size of each command.

usage: run.py --cli build/launcher/qemu-lorelei [--profiles N] [--runs R]
              [--work DIR] [--keep]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def profile(i):
    pid = f"game-{i:05d}"
    doc = {"schema": 1, "id": pid, "name": f"Game {i}",
           "match": {"exe": [f"game-{i:05d}.x86_64"]}, "notes": "n" * 8000, "tested_on": []}
    record = {"date": "2026-01-01", "host_arch": "aarch64", "lorelei_version": "0.1.0",
              "result": "runs", "notes": "r" * 1000}
    while len(json.dumps(doc)) + len(json.dumps(record)) + 2 < 65000:
        doc["tested_on"].append(record)
    return pid, json.dumps(doc)


def measure(argv, env):
    """Wall seconds and max RSS (MiB) of one run of argv."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.monotonic() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{err}")
    return took, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--profiles", type=int, default=4096)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work")
    ap.add_argument("--keep", action="store_true")
    o = ap.parse_args()
    work = o.work or tempfile.mkdtemp(prefix="lorelei-bench-launcher-")
    repo = os.path.join(work, "repo")
    os.makedirs(repo, exist_ok=True)
    for i in range(o.profiles):
        pid, text = profile(i)
        path = os.path.join(repo, pid + ".json")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(text)
    home = os.path.join(work, "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LORELEI_", "XDG_", "QEMU_"))}
    env.update(HOME=home, LC_ALL="C.UTF-8")
    subprocess.run([o.cli, "profile", "index", repo], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    size = sum(os.path.getsize(os.path.join(repo, f)) for f in os.listdir(repo))
    print(f"repository: {o.profiles} profiles, {size / 2**20:.0f} MiB")
    took, rss = measure([o.cli, "profile", "sync", "--timeout", "3600", "file://" + repo], env)
    print(f"first sync:          {took:7.2f} s  {rss:7.1f} MiB")
    game = os.path.join(work, f"game-{o.profiles // 2:05d}.x86_64")
    shutil.copy("/bin/true", game)
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan"]
    for _ in range(o.runs):
        took, rss = measure([o.cli, "run", "--dry-run", *off, game], env)
        print(f"run --dry-run:       {took:7.2f} s  {rss:7.1f} MiB")
    took, rss = measure([o.cli, "profile", "sync", "--timeout", "3600", "file://" + repo], env)
    print(f"sync, nothing new:   {took:7.2f} s  {rss:7.1f} MiB")
    if not o.keep and not o.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
