#!/usr/bin/env python3
"""The qemu-lorelei command line as a user meets it: help, versions, and
every user-facing error with its message, fix and exit status
(docs/qemu-lorelei.1, EXIT STATUS)."""
import json
import os
import shutil

from testlib import Skip, check, check_in, check_not_in, make_elf, run_main

COMMANDS = ["run", "profile list", "profile show", "profile validate", "profile new",
            "profile sync", "profile index", "sysroot create", "sysroot import", "sysroot list",
            "sysroot remove", "doctor", "add", "list", "remove", "binfmt enable", "binfmt disable",
            "binfmt status", "report", "profile edit", "profile remove", "paths"]


def help_and_version(s):
    p = s.ok("--help")
    for c in COMMANDS:
        check_in("  " + c + " ", p.stdout)
    check_in("Examples:", p.stdout)
    p = s.ok("--version")
    check(p.stdout.startswith("qemu-lorelei "), p.stdout)
    for c in COMMANDS:
        p = s.ok(*c.split(), "--help")
        check_in("Usage:\n  qemu-lorelei " + c, p.stdout)
        check_in("Examples:\n  qemu-lorelei " + c.split()[0], p.stdout)
    check(s.ok("help", "run").stdout == s.ok("run", "--help").stdout, "help run != run --help")
    p = s.ok("profile", "--help")
    check_in("qemu-lorelei profile COMMAND", p.stdout)
    check_in("  profile sync ", p.stdout)


def usage_errors(s):
    p = s.error(2, ["no command given", "fix: pick one of the commands above"])
    check_in("Commands:", p.stderr)
    s.error(2, ["unknown command 'rnu'", "did you mean `qemu-lorelei run`?"], "rnu")
    s.error(2, ["unknown command 'profil'", "did you mean `qemu-lorelei profile`?"], "profil")
    s.error(2, ["unknown command 'profile lst'", "did you mean `qemu-lorelei profile list`?"],
            "profile", "lst")
    s.error(2, ["unknown command 'xyzzyplugh'", "`qemu-lorelei --help` lists the commands"],
            "xyzzyplugh")
    s.error(2, ["no command given"], "sysroot")
    s.error(2, ["unknown option '--verbose' before the command", "options go after the command"],
            "--verbose", "run")
    # A mistyped option of qemu-lorelei itself is not one of a command.
    for typo, meant in (("--verison", "--version"), ("--hlep", "--help"), ("-version", "--version")):
        p = s.error(2, [f"unknown option '{typo}'", f"did you mean `qemu-lorelei {meant}`?"], typo)
        check_not_in("options go after the command", p.stderr)
    s.error(2, ["Unknown option --bogus", "see `qemu-lorelei run --help`"], "run", "--bogus", "x")
    s.error(2, ["Unknown option --frobnicate", "see `qemu-lorelei sysroot list --help`"],
            "sysroot", "list", "--frobnicate")
    s.error(2, ["unexpected argument 'extra'", "see `qemu-lorelei profile list --help`"],
            "profile", "list", "extra")


def run_game_errors(s):
    s.error(2, ["no game given", "see `qemu-lorelei run --help`"], "run")
    s.error(4, ["game 'no-such-game-anywhere' not found in $PATH", "fix: give the path"],
            "run", "no-such-game-anywhere")
    s.error(4, ["game './missing' not found: No such file or directory"], "run", "./missing")
    script = s.write("start.sh", "#!/bin/sh\nexec ./game.x86_64 \"$@\"\n", 0o755)
    s.error(7, ["is a script (#!/bin/sh), not an x86_64 program",
                "fix: run the x86_64 program the script starts instead"], "run", script)
    arm = make_elf(s.path("arm-game"), machine=183)
    s.error(7, ["is an ELF program for aarch64, not x86_64", "x86_64 (amd64) build"], "run", arm)
    i386 = make_elf(s.path("old-game"), machine=3, cls=1)
    s.error(7, ["32-bit x86 (i386) ELF program, not x86_64: qemu-lorelei runs games under "
                "qemu-x86_64 with 64-bit x86_64 stand-ins", "fix: look for the game's 64-bit "
                "x86_64 (amd64) build"], "run", i386)
    plain = s.write("data.bin", "not a program", 0o755)
    s.error(7, ["is not an ELF program"], "run", plain)
    noexec = make_elf(s.path("noexec"))
    os.chmod(noexec, 0o644)
    s.error(7, ["is not an executable file", "chmod +x"], "run", noexec)
    s.error(7, ["is a directory, not a program"], "run", s.root)


def run_option_errors(s):
    game = make_elf(s.path("game"))
    s.error(2, ["--json describes the command without running it; add --dry-run"],
            "run", "--json", game)
    s.error(2, ["--no-thunk sdl3: unknown library (known: sdl2, gl, vulkan, openal, zlib, "
                "vorbisfile)"],
            "run", "--no-thunk", "sdl3", game)
    s.error(2, ["'../etc' is not a valid sysroot name", "letters, digits"],
            "run", "--sysroot", "../etc", game)
    s.error(4, ["--sysroot: sysroot 'debian12' does not exist",
                "fix: create it: qemu-lorelei sysroot create debian12 --from-debian ",
                "--from-archive ROOTFS.tar.xz"],
            "run", "--sysroot", "debian12", game)
    s.error(4, ["no profile with id 'glxgear'", "did you mean 'glxgears'?"],
            "run", "--profile", "glxgear", game)


def run_sysroot_named_by_profile(s):
    game = make_elf(s.path("game"))
    s.write("config/qemu-lorelei/profiles/game.json",
            '{"schema": 1, "id": "game", "match": {"exe": ["game"]}, "sysroot": "steamrt"}')
    p = s.error(4, ["user (", "game.json): sysroot 'steamrt' does not exist",
                    "qemu-lorelei sysroot create steamrt --from-debian "],
                "run", "--dry-run", game)
    check_in("profile 'game' (matched by file name only", p.stderr)


def run_needs_sysroot_off_x86_64(s):
    game = make_elf(s.path("game"))
    s.error(4, ["no sysroot: this host is aarch64, so the game needs an x86_64 sysroot",
                "fix: create a default one: qemu-lorelei sysroot create default --from-debian ",
                "--from-multiarch"],
            "run", "--dry-run", game, env={"LORELEI_HOST_ARCH": "aarch64"})


def run_missing_parts(s):
    game = make_elf(s.path("game"))
    s.error(4, ["LORELEI_QEMU=/nowhere/qemu-x86_64: no such file (the patched qemu-x86_64)",
                "fix: unset LORELEI_QEMU"],
            "run", "--dry-run", game, env={"LORELEI_QEMU": "/nowhere/qemu-x86_64"})
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    s.error(4, ["LORELEI_PLUGIN=/nowhere/p.so: no such file (the lorelei plugin)"],
            "run", "--dry-run", game,
            env={"LORELEI_QEMU": fake_qemu, "LORELEI_PLUGIN": "/nowhere/p.so"})
    # A copy of the launcher far from any build tree or installation finds
    # nothing next to itself, and says where it looked.
    lonely = s.path("elsewhere", "bin", "qemu-lorelei")
    os.makedirs(os.path.dirname(lonely))
    shutil.copy(s.cli, lonely)
    p = s.error(4, ["the lorelei plugin not found", "tried: " + s.path("elsewhere"),
                    "fix: build it (scripts/build.sh build) or set LORELEI_PLUGIN"],
                "run", "--dry-run", game, env={"LORELEI_QEMU": fake_qemu}, cli=lonely)
    check(p.stderr.count("tried: ") >= 3, p.stderr)
    plugin = s.write("p.so", "")
    preload = s.write("l.so", "")
    guest = s.path("guest")
    os.makedirs(os.path.join(guest, "sdl2"))
    os.makedirs(os.path.join(guest, "gl"))
    os.makedirs(os.path.join(guest, "castcache"))
    s.write(os.path.join("guest", "castcache", "liblorelei-castcache.so"), "")
    env = {"LORELEI_QEMU": fake_qemu, "LORELEI_PLUGIN": plugin, "LORELEI_PRELOAD": preload,
           "LORELEI_GUESTLIBS": guest}
    s.error(4, ["guest libraries for vulkan not found", "or run with --no-thunk vulkan"],
            "run", "--dry-run", game, env=env)
    s.ok("run", "--dry-run", "--no-thunk", "vulkan", "--no-thunk", "openal", "--no-thunk", "zlib",
         "--no-thunk", "vorbisfile", game, env=env)
    # With no library forwarded, neither plugin nor shim is needed.
    s.ok("run", "--dry-run", "--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
         "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile", game,
         env={"LORELEI_QEMU": fake_qemu})
    s.error(1, ["cannot start QEMU", "Exec format error"], "run", "--no-thunk", "sdl2",
            "--no-thunk", "gl", "--no-thunk", "vulkan", "--no-thunk", "openal", "--no-thunk",
            "zlib", "--no-thunk", "vorbisfile", game,
            env={"LORELEI_QEMU": s.write("not-qemu", "garbage", 0o755)})


def run_warns_about_broken_profiles(s):
    game = make_elf(s.path("game"))
    s.write("config/qemu-lorelei/profiles/evil.json",
            '{"schema": 1, "id": "evil", "env": {"LD_PRELOAD": "/tmp/x.so"}}')
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    p = s.ok("run", "--dry-run", "--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk",
             "vulkan", "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile",
             game, env={"LORELEI_QEMU": fake_qemu})
    check_in("warning: skipped ", p.stderr)
    check_in("evil.json is not a valid profile", p.stderr)
    check_in("env.LD_PRELOAD: this variable may not be set by a profile", p.stderr)
    check_in("no profile matches", p.stderr)
    check_not_in("LD_PRELOAD=/tmp/x.so", p.stdout)


def profile_errors(s):
    s.error(2, ["no profile id given"], "profile", "show")
    s.error(4, ["no profile with id 'vkcub'", "did you mean 'vkcube'?"], "profile", "show", "vkcub")
    s.error(2, ["--no-thunk and --sysroot only apply with --resolved"],
            "profile", "show", "--no-thunk", "gl", "vkcube")
    s.error(2, ["--no-thunk opengl: unknown library"],
            "profile", "show", "--resolved", "--no-thunk", "opengl", "vkcube")
    # Without files: every layer's (profile_edit_test.py checks it in detail).
    check_in("glxgears.json: ok", s.ok("profile", "validate").stdout)
    bad = s.write("bad.json", '{"schema": 1, "id": "Bad", "qemu": {"cpu": "host"}}')
    p = s.error(3, ["1 of 2 profile(s) invalid", "fix: correct the keys listed above"],
                "profile", "validate", bad, os.path.join(s.opts.profiles, "vkcube.json"))
    check_in(bad + ": invalid\n  id: 'Bad' is not an id", p.stdout)
    check_in("qemu.cpu: 'host' is not an allowed x86_64 CPU model", p.stdout)
    check_in("vkcube.json: ok", p.stdout)
    # A file that does not exist is "not found" (4), as the manual says.
    p = s.error(4, ["1 of 1 profile(s) not found"], "profile", "validate", s.path("missing.json"))
    check_in("cannot open", p.stdout)
    p = s.error(3, ["2 of 2 profile(s) invalid"], "profile", "validate", s.root,
                s.write("huge.json", '{"schema": 1, "id": "x", "notes": "' + "a" * 70000 + '"}'))
    check_in(s.root + " is not a regular file", p.stdout)
    check_in("huge.json is larger than the limit of 65536 bytes", p.stdout)
    s.error(2, ["no executable given"], "profile", "new")
    s.error(7, ["is not an ELF program"], "profile", "new", s.write("x", "text", 0o755))
    game = make_elf(s.path("Game.x86_64"))
    s.error(2, ["--id BAD: an id has lowercase letters"], "profile", "new", "--id", "BAD", game)
    s.error(3, ["the starter profile would be invalid", "name: contains the control character U+001B",
                "fix: pick another --name or --id"], "profile", "new", "--name", "\x1b[2Jevil", game)
    s.ok("profile", "new", game)
    s.error(9, ["profiles/game.x86_64.json already exists", "overwrite it with --force"],
            "profile", "new", game)
    s.ok("profile", "new", "--force", game)
    # Without a URL, sync takes the build's default: community_test.py.
    s.error(2, ["refusing http://example.com/profiles/: profiles are fetched over https:// only",
                "fix: use the repository's https:// URL"],
            "profile", "sync", "http://example.com/profiles/")
    s.error(2, ["refusing ftp://example.com/: profiles are fetched over https:// only"],
            "profile", "sync", "ftp://example.com/")
    s.error(2, ["'not a url' is not a URL"], "profile", "sync", "not a url")
    s.error(2, ["--timeout must be from 1 to 3600 seconds"], "profile", "sync", "--timeout", "0",
            "https://example.org/")
    s.error(2, ["no repository folder given"], "profile", "index")
    repo = s.path("repo")
    os.makedirs(repo)
    s.write("repo/a.json", '{"schema": 1, "id": "a"}')
    s.ok("profile", "index", repo)
    s.write("repo/b.json", '{"schema": 1, "id": "b"}')
    s.error(3, ["repo/index.json is stale", "regenerate it with `qemu-lorelei profile index"],
            "profile", "index", "--check", repo)
    s.write("repo/c.json", '{"schema": 1, "id": "b"}')
    s.error(3, ["holds profile 'b', so it must be named b.json"], "profile", "index", repo)


def validate_checks_file_name(s):
    """run uses a profile only from a file named <id>.json: validate must
    not call one ok that run then skips."""
    p = s.error(3, ["1 of 1 profile(s) invalid"], "profile", "validate",
                s.write("mygame.json", '{"schema": 1, "id": "my-game"}'))
    check_in("must be named my-game.json", p.stdout)
    s.ok("profile", "validate", s.write("my-game.json", '{"schema": 1, "id": "my-game"}'))


def run_stops_on_broken_profile(s):
    """A broken profile that would have applied to the game stops the run
    with its problems; running with the defaults instead would silently
    drop the user's settings (their args vanished)."""
    game = make_elf(s.path("game"))
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    env = {"LORELEI_QEMU": fake_qemu}
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    mine = s.write("config/qemu-lorelei/profiles/mygame.json",
                   '{\n  "schema": 1,\n  "id": "mygame",\n  "match": {"exe": ["game"]},\n'
                   '  "args": ["--windowed"],\n}\n')
    p = s.error(3, [mine + " is not a valid profile", "line 5, column 25: not valid JSON: a trailing comma",
                    "a trailing comma: remove the ','", "it names this game",
                    "fix: correct it", "profile validate " + mine],
                "run", "--dry-run", *off, game, env=env)
    check_not_in("no profile matches", p.stderr)
    # Valid JSON, invalid profile: the same.
    s.write("config/qemu-lorelei/profiles/mygame.json",
            '{"schema": 1, "id": "mygame", "match": {"exe": ["game"]}, "args": "--windowed"}')
    s.error(3, ["mygame.json is not a valid profile", "args: must be a list"],
            "run", "--dry-run", *off, game, env=env)
    # A file named for another id, matching this game: it would have applied.
    os.unlink(mine)
    s.write("config/qemu-lorelei/profiles/renamed.json",
            '{"schema": 1, "id": "mygame", "match": {"exe": ["game"]}}')
    s.error(3, ["must be in a file named mygame.json"], "run", "--dry-run", *off, game, env=env)
    os.unlink(s.path("config/qemu-lorelei/profiles/renamed.json"))
    # A broken user file for a built-in profile the game matches by name.
    s.write("builtin/game.json", '{"schema": 1, "id": "game", "match": {"exe": ["game"]}}')
    s.write("config/qemu-lorelei/profiles/game.json", '{"schema": 1, "id": "game", "args": [1]}')
    env["LORELEI_PROFILES_DIR"] = s.path("builtin")
    s.error(3, ["config/qemu-lorelei/profiles/game.json is not a valid profile",
                "it is your file for profile 'game'"], "run", "--dry-run", *off, game, env=env)
    s.error(3, ["config/qemu-lorelei/profiles/game.json is not a valid profile"],
            "run", "--dry-run", "--profile", "game", *off, game, env=env)
    # A broken file about another game only warns.
    os.unlink(s.path("config/qemu-lorelei/profiles/game.json"))
    s.write("config/qemu-lorelei/profiles/other.json",
            '{"schema": 1, "id": "other", "match": {"exe": ["other-game"]},}')
    p = s.ok("run", "--dry-run", *off, game, env=env)
    check_in("warning: skipped ", p.stderr)
    check_in("profile 'game' (matched by file name only", p.stderr)


def relative_xdg_dirs_are_ignored(s):
    """The XDG base directory spec says a relative XDG_*_HOME is invalid and
    must be ignored; it was used, relative to wherever the command ran."""
    rel = {"XDG_DATA_HOME": "reldata", "XDG_CONFIG_HOME": "relconfig", "XDG_CACHE_HOME": "relcache"}
    s.write("relconfig/qemu-lorelei/profiles/relative.json",
            '{"schema": 1, "id": "relative", "match": {"exe": ["game"]}}')
    s.write("config/qemu-lorelei/profiles/absolute.json", '{"schema": 1, "id": "absolute"}')
    s.write(".config/qemu-lorelei/profiles/fallback.json",
            '{"schema": 1, "id": "fallback", "match": {"exe": ["game"], "sha256": ["' + "0" * 64 +
            '"]}}')
    os.makedirs(s.path("reldata", "qemu-lorelei", "sysroots", "relroot"))
    ids = [e["id"] for e in s.json("profile", "list", "--json", env=rel)]
    check("relative" not in ids and "fallback" in ids, ids)
    p = s.ok("sysroot", "list", env=rel)
    check_not_in("relroot", p.stdout)
    check_in(s.path(".local", "share", "qemu-lorelei", "sysroots"), p.stdout)
    # The cache (the game's sha256) goes to ~/.cache, not ./relcache.
    game = make_elf(s.path("game"))
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    s.ok("run", "--dry-run", *off, game, env={**rel, "LORELEI_QEMU": fake_qemu})
    check(os.path.exists(s.path(".cache", "qemu-lorelei", "sha256-cache")), "no cache in ~/.cache")
    check(not os.path.exists(s.path("relcache")), "a cache relative to the working folder")


def fifos_never_hang(s):
    """A FIFO named like a JSON file (a profile, sysroot metadata, a file://
    repository's index) blocked open() forever; every untrusted file is now
    opened without blocking and read only when it is a regular file."""
    game = make_elf(s.path("game"))
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    os.makedirs(s.user_profiles)
    os.mkfifo(os.path.join(s.user_profiles, "fifo.json"))
    p = s.ok("run", "--dry-run", *off, game, env={"LORELEI_QEMU": fake_qemu}, timeout=20)
    check_in("fifo.json is not a regular file", p.stderr)
    p = s.error(3, ["1 of 1 profile(s) invalid"], "profile", "validate",
                os.path.join(s.user_profiles, "fifo.json"), timeout=20)
    check_in("fifo.json is not a regular file", p.stdout)
    root = os.path.join(s.data, "sysroots", "piped")
    os.makedirs(root)
    os.mkfifo(os.path.join(root, ".qemu-lorelei-sysroot.json"))
    p = s.ok("sysroot", "list", timeout=20)
    check_in("piped", p.stdout)
    repo = s.path("repo")
    os.makedirs(repo)
    os.mkfifo(os.path.join(repo, "index.json"))
    s.error(5, ["index.json", "is not a regular file"], "profile", "sync", "file://" + repo,
            timeout=20)
    os.unlink(os.path.join(repo, "index.json"))
    shutil.copy(os.path.join(s.opts.profiles, "vkcube.json"), repo)
    s.ok("profile", "index", repo)
    os.unlink(os.path.join(repo, "vkcube.json"))
    os.mkfifo(os.path.join(repo, "vkcube.json"))
    s.error(5, ["vkcube.json", "is not a regular file"], "profile", "sync", "file://" + repo,
            timeout=20)


def escapes_never_reach_the_terminal(s):
    """File names, ids and strings from untrusted places are printed with
    control characters made visible: an escape sequence in a file name
    (from an archive, a download, a shared folder) must not drive the
    terminal (retitle it, clear it, fake output)."""
    esc = "\x1b]2;pwned\x07\x1b[2J"
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    env = {"LORELEI_QEMU": fake_qemu}
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    game = make_elf(s.path("game" + esc))
    bad = s.write("config/qemu-lorelei/profiles/" + esc + ".json", '{"schema": 1}')
    runs = [s.run("run", "--dry-run", *off, game, env=env),
            s.run("run", "--dry-run", "--verbose", *off, game, env=env),
            s.run("run", "--dry-run", "--json", *off, game, env=env),
            s.run("run", *off, s.path("missing" + esc), env=env),
            s.run("profile", "validate", bad),
            s.run("profile", "validate", s.path("gone" + esc + ".json")),
            s.run("profile", "list"),
            s.run("run", "--profile", "x" + esc, *off, game, env=env),
            s.run("profile", "sync", "file://" + s.path("repo" + esc))]
    for p in runs:
        for stream in (p.stdout, p.stderr):
            check("\x1b" not in stream and "\x07" not in stream,
                  f"{p.args[1:3]}: a raw control character was printed:\n{stream!r}")
    check_in("\\x1b", runs[0].stderr + runs[4].stdout)
    # The dry run's command stays one a shell can take back.
    line = runs[0].stdout.strip()
    check(line.endswith("$'" + s.path("game") + "\\x1b]2;pwned\\x07\\x1b[2J'"), line)


def sysroot_errors(s):
    s.error(2, ["no sysroot name given"], "sysroot", "create", "--from-host")
    s.error(2, ["give exactly one of --from-debian, --from-multiarch, --from-archive, "
                "--from-debs, --from-dir, --from-host"],
            "sysroot", "create", "x")
    s.error(2, ["give exactly one of"], "sysroot", "create", "x", "--from-host", "--from-dir", "/")
    s.error(2, ["'../x' is not a valid sysroot name"], "sysroot", "create", "../x", "--from-host")
    s.error(2, ["'.hidden' is not a valid sysroot name"], "sysroot", "create", ".hidden",
            "--from-host")
    s.error(2, ["--max-size lots: not a size (examples: 500M, 64G)"],
            "sysroot", "create", "x", "--from-host", "--max-size", "lots")
    s.error(8, ["--from-host needs an x86_64 host (this one is riscv64)",
                "fix: use --from-archive"],
            "sysroot", "create", "x", "--from-host", env={"LORELEI_HOST_ARCH": "riscv64"})
    s.error(4, ["no-such.tar.xz", "check the archive's path"],
            "sysroot", "create", "x", "--from-archive", s.path("no-such.tar.xz"))
    os.makedirs(s.path("empty"))
    s.error(4, ["no .deb files in it", "apt-get download"],
            "sysroot", "create", "x", "--from-debs", s.path("empty"))
    s.error(4, ["--from-debs " + s.path("nope") + ": no such folder"],
            "sysroot", "create", "x", "--from-debs", s.path("nope"))
    s.error(4, ["is not a folder"], "sysroot", "create", "x", "--from-dir", s.path("nope"))
    junk = s.write("junk.tar.gz", "this is not an archive")
    s.error(3, ["junk.tar.gz: cannot", "complete tar"], "sysroot", "create", "x",
            "--from-archive", junk)
    check(not os.path.exists(os.path.join(s.data, "sysroots", "x")), "half sysroot left")
    if not os.uname().machine == "x86_64":
        raise Skip("the rest needs an x86_64 host (--from-host)")
    s.ok("sysroot", "create", "host", "--from-host")
    s.error(9, ["sysroot 'host' already exists", "sysroot import host", "sysroot remove host"],
            "sysroot", "create", "host", "--from-host")
    s.error(4, ["sysroot 'hots' does not exist", "did you mean 'host'?"], "sysroot", "remove",
            "hots")
    s.error(2, ["no archive given"], "sysroot", "import", "host")
    s.error(4, ["sysroot 'nope' does not exist"], "sysroot", "import", "nope", junk)
    s.error(4, ["missing.deb: no such file"], "sysroot", "import", "host", s.path("missing.deb"))


def layouts(s):
    """The parts are found next to the executable, in a build tree and in an
    installation (moved elsewhere: the lookup is relative), each checked
    with a copy of the launcher placed in a fake tree."""
    game = make_elf(s.path("game"))
    lay = dict(kv.split("=", 1) for kv in s.opts.layout.split(";"))
    if any(os.path.isabs(v) for v in lay.values()):
        raise Skip(f"install folders outside the prefix ({lay}): no relocatable layout to check")
    env = {"LORELEI_PROFILES_DIR": None, "LORELEI_QEMU": None}

    def place(root, rel, text="", mode=0o644):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    inst = s.path("moved-install")
    cli = place(inst, os.path.join(lay["bindir"], "qemu-lorelei"))
    shutil.copy(s.cli, cli)
    lib = os.path.join(lay["libdir"], "qemu-lorelei")
    qemu = place(inst, os.path.join(lay["libexecdir"], "qemu-lorelei", "qemu-x86_64"),
                 "#!/bin/sh\n", 0o755)
    plugin = place(inst, os.path.join(lib, "liblorelei-plugin.so"))
    preload = place(inst, os.path.join(lib, "liblorelei-preload.so"))
    for t in ("sdl2", "gl", "vulkan", "openal", "zlib", "vorbisfile"):
        os.makedirs(os.path.join(inst, lib, "guest", t))
    castcache = place(inst, os.path.join(lib, "guest", "castcache", "liblorelei-castcache.so"))
    place(inst, os.path.join(lay["datadir"], "qemu-lorelei", "profiles", "installed-only.json"),
          '{"schema": 1, "id": "installed-only", "match": {"exe": ["game"]}}')
    plan = json.loads(s.ok("run", "--dry-run", "--json", game, env=env, cli=cli).stdout)
    check(plan["argv"][0] == qemu, plan["argv"])
    check(plan["argv"][4] ==
          plugin + ",lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=zlib,lib=vorbisfile", plan["argv"])
    check(plan["argv"][6] == "LD_LIBRARY_PATH=" + ":".join(
        os.path.join(inst, lib, "guest", t)
        for t in ("sdl2", "gl", "vulkan", "openal", "zlib", "vorbisfile")), plan["argv"])
    check(plan["env_set"]["LD_PRELOAD"] == preload, plan)
    check("LD_PRELOAD=" + castcache in plan["argv"], plan["argv"])
    check(plan["profile"]["id"] == "installed-only", plan)

    # A build tree: build/launcher/qemu-lorelei next to build/plugin and
    # build/thunklibs, with the source tree's profiles.
    tree = s.path("tree")
    cli = place(tree, os.path.join(lay["build_rel"], "launcher", "qemu-lorelei"))
    shutil.copy(s.cli, cli)
    build = os.path.join(tree, lay["build_rel"])
    plugin = place(build, "plugin/liblorelei-plugin.so")
    preload = place(build, "plugin/liblorelei-preload.so")
    for t in ("sdl2", "gl", "vulkan", "openal", "zlib", "vorbisfile"):
        os.makedirs(os.path.join(build, "thunklibs", t))
    castcache = place(build, "thunklibs/castcache/liblorelei-castcache.so")
    place(tree, "profiles/source-only.json",
          '{"schema": 1, "id": "source-only", "match": {"exe": ["game"]}}')
    plan = json.loads(s.ok("run", "--dry-run", "--json", game, env=env, cli=cli).stdout)
    check(plan["argv"][4].startswith(plugin + ","), plan["argv"])
    check(plan["env_set"]["LD_PRELOAD"] == preload, plan)
    check("LD_PRELOAD=" + castcache in plan["argv"], plan["argv"])
    check(plan["profile"]["id"] == "source-only", plan)


CASES = {f.__name__: f for f in [layouts, help_and_version, usage_errors, run_game_errors,
                                 run_option_errors, run_sysroot_named_by_profile,
                                 run_needs_sysroot_off_x86_64, run_missing_parts,
                                 run_warns_about_broken_profiles, profile_errors, sysroot_errors,
                                 validate_checks_file_name, run_stops_on_broken_profile,
                                 fifos_never_hang, escapes_never_reach_the_terminal,
                                 relative_xdg_dirs_are_ignored]}

if __name__ == "__main__":
    run_main(CASES, ["layout"])
