#!/usr/bin/env python3
"""qemu-lorelei run, end to end under the patched QEMU: a test plugin that
accepts any key=value (noop_plugin.c), a preload shim that logs where it was
loaded (test_preload.c), stub libraries that name themselves (fake_stub.c)
and an x86_64 guest that echoes what reached it (guest_echo.c). Proves the
exec, argv, exit status, environment allow-listing, LD_LIBRARY_PATH and the
QEMU_* stripping really reach the guest."""
import hashlib
import json
import os
import shutil
import subprocess

from testlib import Skip, check, check_in, check_not_in, run_main

STUBS = {"sdl2": "libSDL2-2.0.so.0", "gl": "libGL.so.1", "vulkan": "libvulkan.so.1"}

# What qemu-user would apply behind the launcher's back if they got through.
HOSTILE_ENV = {
    "QEMU_CPU": "486",                 # a 64-bit guest cannot run on it
    "QEMU_ARGV0": "evil-argv0",        # would replace the guest's argv[0]
    "QEMU_SET_ENV": "EVIL=1",
    "QEMU_UNSET_ENV": "PATH",
    "QEMU_LD_PREFIX": "/nonexistent",
    "QEMU_STACK_SIZE": "1",
    "QEMU_PLUGIN": "/nonexistent/plugin.so",
    "QEMU_RESERVED_VA": "1",
    "QEMU_GUEST_BASE": "0x10000000",
    "LD_LIBRARY_PATH": "/user/libs",   # the user's own: must not reach the guest
    "LD_PRELOAD": "",                  # replaced by the shim in QEMU's environment
}


class Setup:
    def __init__(self, s):
        o = s.opts
        self.s = s
        self.guestlibs = s.path("guestlibs")
        for lib, soname in STUBS.items():
            os.makedirs(os.path.join(self.guestlibs, lib))
            shutil.copy(getattr(o, "stub_" + lib), os.path.join(self.guestlibs, lib, soname))
        self.game = s.path("games", "echo-game")
        os.makedirs(os.path.dirname(self.game))
        shutil.copy(o.guest, self.game)
        with open(self.game, "rb") as f:
            self.sha256 = hashlib.sha256(f.read()).hexdigest()
        self.builtin = s.path("builtin")
        os.makedirs(self.builtin)
        self.plugin_log = s.path("plugin.log")
        self.preload_log = s.path("preload.log")
        self.env = {"LORELEI_QEMU": o.qemu, "LORELEI_PLUGIN": o.plugin,
                    "LORELEI_PRELOAD": o.preload, "LORELEI_GUESTLIBS": self.guestlibs,
                    "LORELEI_PROFILES_DIR": self.builtin,
                    "LORELEI_TEST_PLUGIN_LOG": self.plugin_log,
                    "LORELEI_TEST_PRELOAD_LOG": self.preload_log, **HOSTILE_ENV}

    def profile(self, **fields):
        doc = {"schema": 1, "id": "echo-test", "name": "Echo",
               "match": {"sha256": [self.sha256]}, **fields}
        with open(os.path.join(self.builtin, "echo-test.json"), "w") as f:
            json.dump(doc, f)

    def run(self, *args, env=None, timeout=120):
        for log in (self.plugin_log, self.preload_log):
            if os.path.exists(log):
                os.unlink(log)
        return self.s.run("run", *args, env={**self.env, **(env or {})}, timeout=timeout)

    def logged(self, path):
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read()


def parse(stdout):
    """The guest's report: argv list, env dict, dlopen results."""
    argv, env, dl = [], {}, {}
    for line in stdout.splitlines():
        key, _, rest = line.partition(" ")
        if key.startswith("argv["):
            argv.append(rest)
        elif key == "env":
            k, _, v = rest.partition("=")
            env[k] = v
        elif key == "dlopen":
            name, _, who = rest.partition(" -> ")
            dl[name] = who
    return argv, env, dl


def needs_x86_64_guest_runs(s):
    # Missing setup is a failure, never a skip.
    check(os.path.exists(s.opts.qemu), f"no patched QEMU at {s.opts.qemu}")


def run_end_to_end(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile(env={"SDL_LORELEI_TEST": "from-profile", "vblank_mode": "0"},
              args=["--from-profile", "two words"])
    p = t.run(t.game, "--user-arg", "--exit=42")
    check(p.returncode == 42, f"exit status {p.returncode}, expected the game's 42:\n{p.stderr}")
    check_in("qemu-lorelei: profile 'echo-test' (matched by sha256; built-in)", p.stderr)
    argv, env, dl = parse(p.stdout)
    check(argv == [t.game, "--from-profile", "two words", "--user-arg", "--exit=42"], argv)
    check(env.get("SDL_LORELEI_TEST") == "from-profile", env)
    check(env.get("vblank_mode") == "0", env)
    libpath = ":".join(os.path.join(t.guestlibs, lib) for lib in ("sdl2", "gl", "vulkan"))
    check(env.get("LD_LIBRARY_PATH") == libpath, f"LD_LIBRARY_PATH {env.get('LD_LIBRARY_PATH')}")
    check("LD_PRELOAD" not in env, "LD_PRELOAD reached the guest")
    check("EVIL" not in env and "PATH" in env, "QEMU_SET_ENV/QEMU_UNSET_ENV were applied")
    for soname in STUBS.values():
        check(dl.get(soname) == "stub:" + soname, f"{soname}: {dl.get(soname)}")
    plugin = t.logged(t.plugin_log)
    check(plugin == "arg lib=sdl2\narg lib=gl\narg lib=vulkan\n", f"plugin args: {plugin!r}")
    preload = t.logged(t.preload_log)
    check(preload is not None and "loaded into qemu-x86_64" in preload, f"preload: {preload!r}")
    check_not_in("echo-game", preload, "preload log")


def run_no_thunk(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    p = t.run("--no-thunk", "gl", t.game)
    check(p.returncode == 0, p.stderr)
    check_in("no profile matches", p.stderr)
    _, env, dl = parse(p.stdout)
    check(env["LD_LIBRARY_PATH"] == os.path.join(t.guestlibs, "sdl2") + ":" +
          os.path.join(t.guestlibs, "vulkan"), env["LD_LIBRARY_PATH"])
    check(dl["libGL.so.1"] != "stub:libGL.so.1", dl)
    check(dl["libSDL2-2.0.so.0"] == "stub:libSDL2-2.0.so.0", dl)
    check(t.logged(t.plugin_log) == "arg lib=sdl2\narg lib=vulkan\n", t.logged(t.plugin_log))
    # The profile can do the same, and --verbose says where it came from.
    t.profile(thunks={"vulkan": False})
    p = t.run("--verbose", t.game)
    check_in("qemu-lorelei: thunk vulkan: off (built-in (" + t.builtin, p.stderr)
    check_in("qemu-lorelei: thunk gl: on (default)", p.stderr)
    # (--verbose also turns the plugin's own log on.)
    check(t.logged(t.plugin_log) == "arg lib=sdl2\narg lib=gl\narg verbose=on\n",
          t.logged(t.plugin_log))


def run_plain_qemu(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile(thunks={"sdl2": False, "gl": False, "vulkan": False})
    p = t.run("--verbose", t.game, env={"LORELEI_PLUGIN": "/nonexistent"})
    check(p.returncode == 0, p.stderr)
    check_in("no thunk enabled: plain qemu-user", p.stderr)
    _, env, dl = parse(p.stdout)
    check("LD_LIBRARY_PATH" not in env, env)
    check(all(not v.startswith("stub:") for v in dl.values()), dl)
    check(t.logged(t.plugin_log) is None, "the plugin was loaded")
    check(t.logged(t.preload_log) is None, "the preload shim was loaded")


def run_args_and_status(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    tricky = ["-L", "/", "--", "", "a b", "$HOME", "*", "'q'", "-plugin", "x=y", "--exit=3"]
    p = t.run(t.game, *tricky)
    check(p.returncode == 3, f"exit status {p.returncode}")
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game] + tricky, argv)
    # An option-looking first argument goes to the game when it follows "--".
    p = t.run("--", t.game, "--verbose")
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game, "--verbose"], argv)
    check_not_in("qemu-lorelei: game:", p.stderr)
    # Found in $PATH like a shell would.
    p = t.run("echo-game", "--exit=7", env={"PATH": os.path.dirname(t.game) + ":/usr/bin:/bin"})
    check(p.returncode == 7, p.stderr)
    # A game killed by a signal kills QEMU (and so the launcher) the same way.
    p = t.run(t.game, "--kill=15")
    check(p.returncode == -15, f"exit status {p.returncode}")


def run_dry_run_is_what_runs(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile(env={"SDL_AUDIODRIVER": "disk"}, qemu={"cpu": "Haswell"}, args=["--x"])
    plan = json.loads(t.run("--dry-run", "--json", t.game, "y").stdout)
    check(plan["profile"] == {"id": "echo-test", "how": "matched by sha256"}, plan)
    check(plan["argv"][:3] == [s.opts.qemu, "-cpu", "Haswell"], plan["argv"])
    check(plan["env_set"] == {"LD_PRELOAD": s.opts.preload, "SDL_AUDIODRIVER": "disk"}, plan)
    check(sorted(plan["env_unset"]) == sorted(k for k in HOSTILE_ENV if k.startswith("QEMU_")), plan)
    line = t.run("--dry-run", t.game, "y").stdout.strip()
    check(line.startswith(s.opts.qemu + " -cpu Haswell -plugin " + s.opts.plugin +
                          ",lib=sdl2,lib=gl,lib=vulkan -E LD_LIBRARY_PATH="), line)
    check(line.endswith(" -E SDL_AUDIODRIVER=disk -U LD_PRELOAD " + t.game + " --x y"), line)
    # Running the printed command by hand gives what run gives.
    env = {k: v for k, v in {**s.env, **t.env}.items() if k not in plan["env_unset"]}
    env.update(plan["env_set"])
    by_hand = subprocess.run(plan["argv"], env=env, capture_output=True, text=True, timeout=120)
    real = t.run(t.game, "y")
    check(by_hand.returncode == real.returncode == 0, by_hand.stderr + real.stderr)
    check(parse(by_hand.stdout) == parse(real.stdout), "the dry run differs from the real run")


def run_with_sysroot(s):
    needs_x86_64_guest_runs(s)
    if os.uname().machine != "x86_64":
        raise Skip("--from-host sysroots need an x86_64 host")
    t = Setup(s)
    s.ok("sysroot", "create", "hostlibs", "--from-host")
    root = os.path.join(s.data, "sysroots", "hostlibs")
    p = t.run("--sysroot", "hostlibs", "--verbose", t.game, "--exit=5")
    check(p.returncode == 5, p.stderr)
    check_in("qemu-lorelei: sysroot: hostlibs (" + root + ")", p.stderr)
    check_in(" -L " + root + " ", p.stderr)
    # The sysroot named "default" is used when nothing names one.
    s.ok("sysroot", "create", "default", "--from-host")
    p = t.run("--dry-run", t.game)
    check_in(" -L " + os.path.join(s.data, "sysroots", "default") + " ", p.stdout)
    p = t.run(t.game, "--exit=6")
    check(p.returncode == 6, p.stderr)


CASES = {f.__name__: f for f in [run_end_to_end, run_no_thunk, run_plain_qemu, run_args_and_status,
                                 run_dry_run_is_what_runs, run_with_sysroot]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan"])
