#!/usr/bin/env python3
"""The game library: `add` stores path, working folder and arguments in
games.json and writes a desktop entry (with the game's icon, else
qemu-lorelei's), `list` shows the games with their state, `run ID` starts a
game by id in its folder with its arguments, `remove ID` takes it out and
deletes its entry. Hand-damaged library files give a message."""
import configparser
import json
import os
import shlex
import shutil

from run_test import Setup, needs_x86_64_guest_runs, parse
from testlib import check, check_in, check_not_in, make_elf, run_main

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def library(s):
    with open(s.path("config", "qemu-lorelei", "games.json")) as f:
        return json.load(f)


def desktop(s, gid):
    path = s.path("data", "applications", f"qemu-lorelei-{gid}.desktop")
    c = configparser.ConfigParser(interpolation=None)
    c.optionxform = str
    c.read(path)
    return path, c["Desktop Entry"]


def add_list_remove(s):
    folder = s.path("Games", "Foo Bar")
    os.makedirs(folder)
    game = make_elf(os.path.join(folder, "foo.x86_64"))
    with open(os.path.join(folder, "foo.png"), "wb") as f:
        f.write(PNG)
    p = s.ok("add", "--name", "Foo Bar", game, "--", "--windowed", "two words")
    check_in("added 'foo-bar' (" + game + ")", p.stdout)
    check_in("start it with: qemu-lorelei run foo-bar", p.stdout)
    entry = library(s)["games"]["foo-bar"]
    check(entry["path"] == game and entry["workdir"] == folder, entry)
    check(entry["args"] == ["--windowed", "two words"] and entry["name"] == "Foo Bar", entry)
    path, d = desktop(s, "foo-bar")
    check(d["Name"] == "Foo Bar" and d["Type"] == "Application", dict(d))
    check(d["Icon"] == os.path.join(folder, "foo.png"), d["Icon"])
    check(d["Path"] == folder, d["Path"])
    check(shlex.split(d["Exec"]) == [os.path.realpath(s.cli), "run", "--error-dialog",
                                        "foo-bar"], d["Exec"])
    # Without an icon of its own: qemu-lorelei's.
    other = make_elf(s.path("Games", "other"))
    s.ok("add", other)
    _, d = desktop(s, "other")
    check(d["Icon"].endswith("io.github.qemu_lorelei.QemuLorelei.svg") and
          os.path.exists(d["Icon"]), d["Icon"])
    # The same id again is refused unless --force.
    s.error(9, ["the library already has a game 'other'", "--force"], "add", other)
    s.ok("add", "--force", "--no-desktop", "--id", "other", "--workdir", s.root, game)
    check(library(s)["games"]["other"]["workdir"] == s.root, library(s))
    games = {g["id"]: g for g in s.json("list", "--json")}
    check(sorted(games) == ["foo-bar", "other"], games)
    check(games["foo-bar"]["file"] == "ok" and games["foo-bar"]["profile"] is None, games)
    os.unlink(game)
    games = {g["id"]: g for g in s.json("list", "--json")}
    check(games["foo-bar"]["file"] == "missing", games)
    table = s.ok("list").stdout
    check_in("foo-bar              missing", table)
    p = s.ok("remove", "foo-bar")
    check_in("deleted " + path, p.stdout)
    check(not os.path.exists(path), "the desktop entry is still there")
    check(sorted(library(s)["games"]) == ["other"], library(s))
    s.error(4, ["no game 'foo-bar' in the library", "qemu-lorelei list"], "remove", "foo-bar")
    s.error(2, ["'../x' is not a game id"], "remove", "../x")
    check(os.path.exists(other), "remove touched the game's files")


def add_errors(s):
    s.error(2, ["no game given"], "add")
    s.error(4, ["not found"], "add", s.path("nothing"))
    script = s.write("start.sh", "#!/bin/sh\n", 0o755)
    s.error(7, ["is a script"], "add", script)
    game = make_elf(s.path("game"))
    s.error(2, ["unexpected argument 'x': the game's arguments go after --"], "add", game, "x")
    s.error(2, ["--id Bad/Id: an id has lowercase"], "add", "--id", "Bad/Id", game)
    s.error(4, ["--workdir", "no such folder"], "add", "--workdir", s.path("nope"), game)
    s.error(2, ["--name: 1 to 128 characters"], "add", "--name", "two\nlines", game)


def damaged_library(s):
    s.write("config/qemu-lorelei/games.json",
            '{"schema": 1, "games": {"x": {"name": "X", "path": "relative/game", '
            '"workdir": "/tmp"}}}')
    s.error(3, ["the game library", "games.json is damaged: games.x.path: must be an absolute "
                "path", "fix: correct the entry"], "list")
    s.write("config/qemu-lorelei/games.json", '{"schema": 1, "games": {"x": {"name": "X", '
            '"path": "/g", "workdir": "/tmp", "evil": 1}}}')
    s.error(3, ["games.x: unknown key 'evil'"], "list")
    s.write("config/qemu-lorelei/games.json", '{"schema": 2, "games": {}}')
    s.error(3, ["not a game library"], "list")
    # run by path still works with a damaged library; a bare word names it.
    game = make_elf(s.path("game"))
    s.error(3, ["damaged"], "run", "--dry-run", "game")
    p = s.run("run", "--dry-run", game, env={"LORELEI_QEMU": "/bin/true"})
    check_not_in("damaged", p.stderr)


def run_by_id(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    work = s.path("savegames")
    os.makedirs(work)
    s.ok("add", "--id", "echo", "--workdir", work, "--no-desktop", t.game, "--",
         "--from-library", "--exit=4")
    p = t.run("echo", "--more")
    check(p.returncode == 4, p.stderr)
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game, "--from-library", "--exit=4", "--more"], argv)
    check_in("cwd " + work + "\n", p.stdout)
    # The id wins over a program of the same name in $PATH; a path never is an id.
    shutil.copy(t.game, s.path("echo"))
    p = t.run("--verbose", "echo", env={"PATH": s.root + ":/usr/bin:/bin"})
    check_in("qemu-lorelei: game 'echo' of your library", p.stderr)
    p = s.run("run", "./echo", env=t.env, cwd=s.root)
    check_not_in("--from-library", p.stdout)
    # The library's profile applies.
    t.profile()
    s.ok("add", "--force", "--id", "echo", "--profile", "nosuch", "--no-desktop", t.game)
    s.error(4, ["no profile with id 'nosuch'"], "run", "echo", env=t.env)


CASES = {f.__name__: f for f in [add_list_remove, add_errors, damaged_library, run_by_id]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache"])
