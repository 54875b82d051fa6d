#!/usr/bin/env python3
"""run --log (the game's output still on the terminal and in the log, the
launcher's choices, the exit status or signal, rotation), `report` (one
file, home/user/host scrubbed, the profile of the logged run) and
--version (launcher version and git commit, plugin ABI, QEMU)."""
import glob
import os
import re
import subprocess

from run_test import Setup, needs_x86_64_guest_runs, parse
from testlib import check, check_in, check_not_in, run_main


def logs(s):
    return sorted(glob.glob(s.path("state", "qemu-lorelei", "logs", "*.log")))


def with_state(t, s, extra=None):
    return {**t.env, "XDG_STATE_HOME": s.path("state"), **(extra or {})}


def log_tees_and_keeps_ten(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile()
    folder = s.path("state", "qemu-lorelei", "logs")
    os.makedirs(folder)
    for i in range(12):  # older logs: the run keeps the newest 10
        with open(os.path.join(folder, f"2020010{i % 10}-00000{i // 10}-old-{i}.log"), "w") as f:
            f.write("old\n")
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a log: kept\n")
    # --log before the game takes no value: the game's path stays the game.
    p = s.run("run", "--log", t.game, "--exit=3", env=with_state(t, s))
    check(p.returncode == 3, f"exit status {p.returncode}: {p.stderr}")
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game, "--exit=3"], argv)  # the terminal still gets the game's output
    found = logs(s)
    check(len(found) == 10, found)
    check(os.path.exists(os.path.join(folder, "notes.txt")), "rotation removed a file not ours")
    newest = found[-1]
    check_in("qemu-lorelei: log: " + newest, p.stderr)
    with open(newest) as f:
        text = f.read()
    check_in("command: qemu-lorelei run --log " + t.game + " --exit=3", text)
    check_in("qemu-lorelei: profile 'echo-test' (matched by sha256", text)
    check_in("qemu-lorelei: sysroot:", text)          # choices, without --verbose
    check_in("qemu-lorelei: exec: " + s.opts.qemu, text)
    check_in("argv[1] --exit=3", text)                # the game's stdout
    check_in("----- exit status 3 after", text)
    check_not_in("argv[1]", p.stderr)                 # stdout stayed stdout
    # A signal ends the launcher the same way.
    p = s.run("run", "--log", t.game, "--kill=15", env=with_state(t, s))
    check(p.returncode == -15, f"exit status {p.returncode}")
    with open(logs(s)[-1]) as f:
        check_in("----- killed by signal 15 (Terminated)", f.read())


def log_file_and_errors(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    mine = s.path("mine.log")
    p = s.run("run", "--log=" + mine, t.game, "--exit=0", env=with_state(t, s))
    check(p.returncode == 0, p.stderr)
    with open(mine) as f:
        check_in("----- exit status 0", f.read())
    check(logs(s) == [], "--log=FILE also wrote the default folder")
    s.error(2, ["refusing to overwrite a program"], "run", "--log=" + t.game, t.game,
            env=with_state(t, s))
    check(os.path.getsize(t.game) > 1000, "the game was overwritten")
    # An error before QEMU starts is in the log too.
    s.error(4, ["sysroot 'nosuch' does not exist"], "run", "--log", "--sysroot", "nosuch", t.game,
            env=with_state(t, s))
    with open(logs(s)[-1]) as f:
        check_in("error: --sysroot: sysroot 'nosuch' does not exist", f.read())


def report(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    # A variable of the allow-list (docs/profiles.md), which the report shows.
    t.profile(env={"vblank_mode": "0"})
    env = with_state(t, s)
    s.run("run", "--log", t.game, "--exit=2", env=env)
    p = s.ok("report", env=env)
    out = re.search(r"wrote (\S+) \(", p.stdout).group(1)
    check(out.startswith(s.path("state", "qemu-lorelei", "reports", "report-")), out)
    check_in("the resolved profile echo-test", p.stdout)
    check_in("your home folder is shown as ~", p.stdout)
    with open(out) as f:
        text = f.read()
    for section in ["===== versions =====", "plugin ABI: 1", "===== host =====",
                    "===== checks: qemu-lorelei doctor --json =====", '"checks": [',
                    "===== profile: qemu-lorelei profile show --resolved echo-test =====",
                    "env.vblank_mode", "===== sysroots: qemu-lorelei sysroot list",
                    "===== log: ~/state/qemu-lorelei/logs/", "----- exit status 2 after"]:
        check_in(section, text, "the report")
    check_not_in(s.root, text, "the report")  # the (sandbox's) home folder is ~
    p = s.ok("report", "--no-doctor", "--profile", "echo-test", "-o", "-", env=env)
    check_not_in("doctor --json", p.stdout)
    check_in("profile show --resolved echo-test", p.stdout)
    # Without any log it says how to get one.
    p = s.ok("report", "--no-doctor", "-o", "-", env={**env, "XDG_STATE_HOME": s.path("empty")})
    check_in("(none: run the game with `qemu-lorelei run --log GAME` first)", p.stdout)


def version(s):
    p = s.ok("--version")
    lines = p.stdout.splitlines()
    m = re.match(r"qemu-lorelei (\d+\.\d+\.\d+) \(git (\S+)\)$", lines[0])
    check(m is not None, lines[0])
    git = subprocess.run(["git", "-C", s.opts.source_root, "describe", "--always", "--abbrev=12"],
                         capture_output=True, text=True)
    if git.returncode == 0:
        check(m.group(2).split("-dirty")[0] == git.stdout.strip(),
              f"{m.group(2)} is not this checkout's {git.stdout.strip()}")
    else:
        check(m.group(2) == "unknown", m.group(2))
    check(lines[1] == "plugin ABI: 1", lines[1])
    check(re.match(r"QEMU: qemu-x86_64 version \d+\.\d+", lines[2]) is not None, lines[2])
    p = s.ok("--version", env={"LORELEI_QEMU": "/nowhere"})
    check_in("QEMU: not found", p.stdout)


CASES = {f.__name__: f for f in [log_tees_and_keeps_ten, log_file_and_errors, report, version]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache", "source-root"])
