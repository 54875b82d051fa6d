#!/usr/bin/env python3
"""run's pre-flight check end to end: a real x86_64 game (needs_testdep.c)
linked against a library no system has (testdep_lib.c). Without the
library, run names it, where the loader looked and the fix, and QEMU never
starts; without the check the loader's raw exit 127 is what users got. With
the library in a sysroot, beside the game through RPATH, or in the game's
folder (named as such), the answers follow."""
import os
import shutil

from run_test import Setup, needs_x86_64_guest_runs
from testlib import Skip, check, check_in, check_not_in, run_main

LIB = "liblorelei-testdep.so.1"


def game_in(s, folder):
    path = s.path(folder, "needs-testdep")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy(s.opts.needs_testdep, path)
    return path


def names_the_missing_library(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    game = game_in(s, "game")
    p = s.error(4, ["the game cannot start: the x86_64 library " + LIB + " is missing (needed by "
                    + game + ")",
                    "looked on this host (no sysroot)", "/usr/lib/x86_64-linux-gnu",
                    os.path.join(t.guestlibs, "sdl2"),
                    "guessed from the library's name: liblorelei-testdep1",
                    "sudo apt-get install liblorelei-testdep1",
                    "run --no-check"], "run", game, env=t.env)
    check_not_in("testdep answer", p.stdout)
    # What users met before the check: the loader's own words and 127.
    p = t.run("--no-check", game)
    check(p.returncode == 127, f"exit status {p.returncode}")
    check_in(LIB + ": cannot open shared object file", p.stderr)
    # A dry run still prints the command; the problem is a warning.
    p = t.run("--dry-run", game)
    check(p.returncode == 0, p.stderr)
    check_in("warning: the game cannot start", p.stderr)
    check_in(game, p.stdout)


def found_in_a_sysroot(s):
    needs_x86_64_guest_runs(s)
    if os.uname().machine != "x86_64":
        raise Skip("the sysroot here falls back on the host's x86_64 libc")
    t = Setup(s)
    game = game_in(s, "game")
    # A sysroot without the library: the fix names it and the import command.
    empty = s.path("empty-root", "usr", "lib", "x86_64-linux-gnu")
    os.makedirs(empty)
    s.ok("sysroot", "create", "noroot", "--from-dir", s.path("empty-root"))
    s.error(4, ["looked in sysroot 'noroot'", "qemu-lorelei sysroot import noroot *.deb",
                "apt-get download liblorelei-testdep1:amd64"],
            "run", "--sysroot", "noroot", game, env=t.env)
    shutil.copy(s.opts.testdep_lib, os.path.join(empty, LIB))
    s.ok("sysroot", "create", "withlib", "--from-dir", s.path("empty-root"))
    p = t.run("--sysroot", "withlib", "--verbose", game)
    check(p.returncode == 0, p.stderr)
    check_in("testdep answer 42", p.stdout)
    check_in("qemu-lorelei: library " + LIB + " => " +
             os.path.join(s.data, "sysroots", "withlib", "usr/lib/x86_64-linux-gnu", LIB), p.stderr)


def in_the_games_folder(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    game = game_in(s, "game")
    os.makedirs(s.path("game", "lib"))
    shutil.copy(s.opts.testdep_lib, s.path("game", "lib", LIB))
    s.error(4, [LIB + " is in the game's folder (" + s.path("game", "lib", LIB) + ")",
                "launch script"], "run", game, env=t.env)
    # With an RPATH of $ORIGIN/lib (as many games are linked) it is found.
    linked = s.path("game", "needs-testdep-rpath")
    shutil.copy(s.opts.needs_testdep_rpath, linked)
    p = t.run(linked)
    check(p.returncode == 0, p.stderr)
    check_in("testdep answer 42", p.stdout)


CASES = {f.__name__: f for f in [names_the_missing_library, found_in_a_sysroot,
                                 in_the_games_folder]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib",
                     "stub-vorbisfile", "castcache", "needs-testdep", "needs-testdep-rpath",
                     "testdep-lib"])
