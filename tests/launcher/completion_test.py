#!/usr/bin/env python3
"""Shell completion (launcher/completions/): bash, zsh and fish, each run for
real with the script loaded — commands, subcommands, options (taken from
the program's own --help), --no-thunk values, profile ids from a test
profile folder, sysroot names and game ids."""
import os
import shlex
import shutil
import subprocess

from testlib import Skip, check, make_elf, run_main

# What `run --no-thunk ` completes to, sorted.
THUNKS = ["gl", "openal", "sdl2", "vorbisfile", "vulkan", "zlib"]


def script(s, name):
    return os.path.join(s.opts.source_root, "launcher", "completions", name)


def setup(s):
    """Profiles of a test layer, a sysroot and a game of the library."""
    builtin = s.path("test-profiles")
    os.makedirs(builtin)
    for pid in ("alpha-game", "alpine", "beta"):
        with open(os.path.join(builtin, pid + ".json"), "w") as f:
            f.write(f'{{"schema": 1, "id": "{pid}"}}')
    os.makedirs(os.path.join(s.data, "sysroots", "deb12", "usr"))
    os.makedirs(os.path.join(s.data, "sysroots", "steamrt", "usr"))
    os.makedirs(s.path("games"))
    game = make_elf(s.path("games", "foo.x86_64"))
    s.ok("add", "--no-desktop", "--id", "foo", game)
    return {**s.env, "LORELEI_PROFILES_DIR": builtin}


def bash(s, env, line):
    words = line.split(" ")
    words[0] = s.cli
    code = (f"source {shlex.quote(script(s, 'qemu-lorelei.bash'))}\n"
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
            f"COMP_CWORD={len(words) - 1}\n"
            "_qemu_lorelei\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", code], env=env, cwd=s.root,
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and p.stderr == "", f"bash: {p.stderr}")
    return sorted(w for w in p.stdout.split("\n") if w)


def bash_completion(s):
    env = setup(s)
    check(bash(s, env, "qemu-lorelei ru") == ["run"], bash(s, env, "qemu-lorelei ru"))
    check(bash(s, env, "qemu-lorelei run --no-thunk ") == THUNKS, "no-thunk")
    check(bash(s, env, "qemu-lorelei profile show al") == ["alpha-game", "alpine"], "ids")
    check(bash(s, env, "qemu-lorelei run --profile b") == ["beta"], "--profile")
    check(bash(s, env, "qemu-lorelei profile s") == ["show", "sync"], "profile subcommands")
    check(bash(s, env, "qemu-lorelei binfmt ") == ["disable", "enable", "status"], "binfmt")
    check(bash(s, env, "qemu-lorelei sysroot remove ") == ["deb12", "steamrt"], "sysroots")
    check(bash(s, env, "qemu-lorelei sysroot import deb12 gam") == ["games"], "import files")
    check(bash(s, env, "qemu-lorelei run --sysroot s") == ["steamrt"], "--sysroot")
    check(bash(s, env, "qemu-lorelei remove ") == ["foo"], "game ids")
    check(bash(s, env, "qemu-lorelei run f") == ["foo"], "run: game ids")
    check(bash(s, env, "qemu-lorelei run gam") == ["games"], "run: files")
    check(bash(s, env, "qemu-lorelei run --no-c") == ["--no-check"], "run options")
    check(bash(s, env, "qemu-lorelei profile show --r") == ["--resolved"], "profile show options")
    check(bash(s, env, "qemu-lorelei --v") == ["--version"], "top options")
    # profile report: ids, its --result values, --log's file, and the values
    # of its options are not taken for the game.
    check(bash(s, env, "qemu-lorelei profile report al") == ["alpha-game", "alpine"], "report ids")
    check(bash(s, env, "qemu-lorelei profile report alpine --result ") ==
          ["broken", "playable", "runs"], "--result")
    check(bash(s, env, "qemu-lorelei profile report --log gam") == ["games"], "report --log")
    check(bash(s, env, "qemu-lorelei profile report --fps 30 al") == ["alpha-game", "alpine"],
          "a value of --fps is not the game")
    # Every command of --help is offered, and no hidden one.
    p = s.ok("--help")
    listed = sorted({line.split()[0] for line in p.stdout.split("Commands:\n")[1]
                     .split("\n\n")[0].splitlines()})
    check(bash(s, env, "qemu-lorelei ") == listed, bash(s, env, "qemu-lorelei "))


def zsh_completion(s):
    if shutil.which("zsh") is None:
        raise Skip("zsh is not installed (scripts/deps.txt lists it: run scripts/install-deps.sh)")
    env = setup(s)

    def zsh(line):
        words = line.split(" ")
        words[0] = s.cli
        code = ("compadd() { [[ $1 == -- ]] && shift; print -l -- \"$@\" }\n"
                "_files() { print -- '<files>' }\n_directories() { print -- '<dirs>' }\n"
                f"words=({' '.join(shlex.quote(w) for w in words)})\nCURRENT={len(words)}\n"
                f"source {shlex.quote(script(s, '_qemu-lorelei'))}\n")
        p = subprocess.run(["zsh", "-f", "-c", code], env=env, cwd=s.root, capture_output=True,
                           text=True, timeout=60)
        check(p.stderr == "", f"zsh: {p.stderr}")
        # zsh itself filters by the typed prefix; the function offers all.
        prefix = words[-1]
        return sorted(w for w in p.stdout.split("\n") if w and (w.startswith(prefix) or
                                                              w.startswith("<")))

    check(zsh("qemu-lorelei ru") == ["run"], zsh("qemu-lorelei ru"))
    check(zsh("qemu-lorelei run --no-thunk ") == THUNKS, "no-thunk")
    check(zsh("qemu-lorelei profile edit al") == ["alpha-game", "alpine"], "ids")
    check(zsh("qemu-lorelei sysroot remove ") == ["deb12", "steamrt"], "sysroots")
    check(zsh("qemu-lorelei run ") == ["<files>", "foo"], zsh("qemu-lorelei run "))
    check(zsh("qemu-lorelei add --workdir ") == ["<dirs>"], "dirs")
    check(zsh("qemu-lorelei profile report al") == ["alpha-game", "alpine"], "report ids")
    check(zsh("qemu-lorelei profile report x --result ") == ["broken", "playable", "runs"],
          "--result")
    check(zsh("qemu-lorelei profile report --log ") == ["<files>"], "report --log")
    check("--no-check" in zsh("qemu-lorelei run --no-"), "options")


def fish_completion(s):
    if shutil.which("fish") is None:
        raise Skip("fish is not installed (scripts/deps.txt lists it: run scripts/install-deps.sh)")
    env = setup(s)
    env["PATH"] = os.path.dirname(s.cli) + ":" + env.get("PATH", "/usr/bin:/bin")
    env["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]  # fish keeps its own state under it

    def fish(line):
        code = (f"source {shlex.quote(script(s, 'qemu-lorelei.fish'))}\n"
                f"complete -C {shlex.quote(line)}\n")
        p = subprocess.run(["fish", "--no-config", "-c", code], env=env, cwd=s.root,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"fish: {p.stderr}")
        return sorted(w.split("\t")[0] for w in p.stdout.split("\n") if w)

    check(fish("qemu-lorelei ru") == ["run"], fish("qemu-lorelei ru"))
    check(fish("qemu-lorelei run --no-thunk ") == THUNKS, "no-thunk")
    check(fish("qemu-lorelei profile show al") == ["alpha-game", "alpine"], "ids")
    check(fish("qemu-lorelei sysroot remove ") == ["deb12", "steamrt"], "sysroots")
    check(fish("qemu-lorelei remove ") == ["foo"], "game ids")
    check(fish("qemu-lorelei profile report al") == ["alpha-game", "alpine"], "report ids")
    check(fish("qemu-lorelei profile report x --result ") == ["broken", "playable", "runs"],
          "--result")
    check("--no-check" in fish("qemu-lorelei run --no-"), fish("qemu-lorelei run --no-"))


CASES = {f.__name__: f for f in [bash_completion, zsh_completion, fish_completion]}

if __name__ == "__main__":
    run_main(CASES, ["source-root"])
