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
import re
import shutil
import subprocess

from testlib import Skip, check, check_in, check_not_in, make_elf, run_main

STUBS = {"sdl2": "libSDL2-2.0.so.0", "gl": "libGL.so.1", "vulkan": "libvulkan.so.1",
         "openal": "libopenal.so.1", "zlib": "libz.so.1", "vorbisfile": "libvorbisfile.so.3"}

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

# The fast-REP-string CPUID features run hides from every model.
HIDDEN = ",-erms,-fsrm,-fzrm,-fsrs,-fsrc"


class Setup:
    def __init__(self, s):
        o = s.opts
        self.s = s
        self.guestlibs = s.path("guestlibs")
        for lib, soname in STUBS.items():
            os.makedirs(os.path.join(self.guestlibs, lib))
            shutil.copy(getattr(o, "stub_" + lib), os.path.join(self.guestlibs, lib, soname))
        self.castcache = os.path.join(self.guestlibs, "castcache", "liblorelei-castcache.so")
        os.makedirs(os.path.dirname(self.castcache))
        shutil.copy(o.castcache, self.castcache)
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
        if key == "cpuid":
            env["(cpuid)"] = rest
        elif key == "castcache":
            env["(castcache)"] = rest
        elif key.startswith("argv["):
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
    t.profile(env={"SDL_VIDEODRIVER": "wayland", "vblank_mode": "0"},
              args=["--from-profile", "two words"])
    p = t.run(t.game, "--user-arg", "--exit=42")
    check(p.returncode == 42, f"exit status {p.returncode}, expected the game's 42:\n{p.stderr}")
    check_in("qemu-lorelei: profile 'echo-test' (matched by sha256; built-in)", p.stderr)
    argv, env, dl = parse(p.stdout)
    check(argv == [t.game, "--from-profile", "two words", "--user-arg", "--exit=42"], argv)
    check(env.get("SDL_VIDEODRIVER") == "wayland", env)
    check(env.get("vblank_mode") == "0", env)
    libpath = ":".join(os.path.join(t.guestlibs, lib) for lib in STUBS)
    check(env.get("LD_LIBRARY_PATH") == libpath, f"LD_LIBRARY_PATH {env.get('LD_LIBRARY_PATH')}")
    # The guest's loader preloads the dynamic_cast cache, which then takes
    # LD_PRELOAD out of the game's environment: the game sees none (never
    # the shim, a host library, nor the user's).
    check("LD_PRELOAD" not in env, f"LD_PRELOAD reached the game: {env.get('LD_PRELOAD')}")
    check(env.get("(castcache)") == "yes", f"the dynamic_cast cache: {env.get('(castcache)')}")
    check("EVIL" not in env and "PATH" in env, "QEMU_SET_ENV/QEMU_UNSET_ENV were applied")
    for soname in STUBS.values():
        check(dl.get(soname) == "stub:" + soname, f"{soname}: {dl.get(soname)}")
    plugin = t.logged(t.plugin_log)
    check(plugin == "".join(f"arg lib={lib}\n" for lib in STUBS), f"plugin args: {plugin!r}")
    check(plugin.endswith("arg lib=openal\narg lib=zlib\narg lib=vorbisfile\n"),
          f"plugin args: {plugin!r}")
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
    check(env["LD_LIBRARY_PATH"] == ":".join(
        os.path.join(t.guestlibs, lib)
        for lib in ("sdl2", "vulkan", "openal", "zlib", "vorbisfile")), env["LD_LIBRARY_PATH"])
    check(dl["libGL.so.1"] != "stub:libGL.so.1", dl)
    check(dl["libSDL2-2.0.so.0"] == "stub:libSDL2-2.0.so.0", dl)
    check(t.logged(t.plugin_log) ==
          "arg lib=sdl2\narg lib=vulkan\narg lib=openal\narg lib=zlib\narg lib=vorbisfile\n",
          t.logged(t.plugin_log))
    # zlib and libvorbisfile like the others: --no-thunk NAME drops lib=NAME
    # and GUESTLIBS/NAME, and the guest's own library loads (or none).
    for off in ("zlib", "vorbisfile"):
        rest = [lib for lib in STUBS if lib != off]
        argv = json.loads(t.run("--dry-run", "--json", "--no-thunk", off, t.game).stdout)["argv"]
        check(argv[argv.index("-plugin") + 1] ==
              s.opts.plugin + "".join(",lib=" + lib for lib in rest), argv)
        check(argv[argv.index("-E") + 1] == "LD_LIBRARY_PATH=" + ":".join(
            os.path.join(t.guestlibs, lib) for lib in rest), argv)
        check_not_in("lib=" + off, " ".join(argv), "the QEMU command line")
        check_not_in(os.path.join(t.guestlibs, off), " ".join(argv), "the QEMU command line")
        p = t.run("--no-thunk", off, t.game)
        check(p.returncode == 0, p.stderr)
        _, env, dl = parse(p.stdout)
        check(os.path.join(t.guestlibs, off) not in env["LD_LIBRARY_PATH"].split(":"),
              env["LD_LIBRARY_PATH"])
        check(dl[STUBS[off]] != "stub:" + STUBS[off], dl)
        check(dl["libopenal.so.1"] == "stub:libopenal.so.1", dl)
        check(t.logged(t.plugin_log) == "".join(f"arg lib={lib}\n" for lib in rest),
              t.logged(t.plugin_log))
    # The profile can do the same, and --verbose says where it came from.
    t.profile(thunks={"vulkan": False})
    p = t.run("--verbose", t.game)
    check_in("qemu-lorelei: thunk vulkan: off (built-in (" + t.builtin, p.stderr)
    check_in("qemu-lorelei: thunk gl: on (default)", p.stderr)
    # (--verbose also turns the plugin's own log on.)
    check(t.logged(t.plugin_log) ==
          "arg lib=sdl2\narg lib=gl\narg lib=openal\narg lib=zlib\narg lib=vorbisfile\n"
          "arg verbose=on\n",
          t.logged(t.plugin_log))


def run_plain_qemu(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile(thunks={"sdl2": False, "gl": False, "vulkan": False, "openal": False,
                      "zlib": False, "vorbisfile": False})
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
    t.profile(env={"SDL_AUDIODRIVER": "dummy"}, qemu={"cpu": "Haswell"}, args=["--x"])
    plan = json.loads(t.run("--dry-run", "--json", t.game, "y").stdout)
    check(plan["profile"] == {"id": "echo-test", "how": "matched by sha256"}, plan)
    check(plan["argv"][:3] == [s.opts.qemu, "-cpu", "Haswell" + HIDDEN], plan["argv"])
    check(plan["env_set"] == {"LD_PRELOAD": s.opts.preload, "SDL_AUDIODRIVER": "dummy"}, plan)
    check(sorted(plan["env_unset"]) == sorted(k for k in HOSTILE_ENV if k.startswith("QEMU_")), plan)
    line = t.run("--dry-run", t.game, "y").stdout.strip()
    # The line names QEMU's environment changes too: without LD_PRELOAD the
    # printed command is not what runs (host library threads need the shim).
    unsets = " ".join("-u " + k for k in plan["env_unset"])
    check(line.startswith(f"env {unsets} LD_PRELOAD={s.opts.preload} SDL_AUDIODRIVER=dummy " +
                          s.opts.qemu + " -cpu Haswell" + HIDDEN + " -plugin " + s.opts.plugin +
                          ",lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=zlib,lib=vorbisfile "
                          "-E LD_LIBRARY_PATH="),
          line)
    check(line.endswith(" -E SDL_AUDIODRIVER=dummy -E LD_PRELOAD=" + t.castcache + " -0 " + t.game +
                       " " + t.game + " --x y"), line)
    # Running the printed command by hand gives what run gives.
    env = {k: v for k, v in {**s.env, **t.env}.items() if k not in plan["env_unset"]}
    env.update(plan["env_set"])
    by_hand = subprocess.run(plan["argv"], env=env, capture_output=True, text=True, timeout=120)
    real = t.run(t.game, "y")
    check(by_hand.returncode == real.returncode == 0, by_hand.stderr + real.stderr)
    check(parse(by_hand.stdout) == parse(real.stdout), "the dry run differs from the real run")
    # So does the plain line, pasted into a shell with the user's environment.
    for log in (t.plugin_log, t.preload_log):
        if os.path.exists(log):
            os.unlink(log)
    pasted = subprocess.run(["sh", "-c", line], env={**s.env, **t.env}, capture_output=True,
                            text=True, timeout=120)
    check(pasted.returncode == 0, pasted.stderr)
    shell_vars = ("PWD", "OLDPWD", "SHLVL", "_")  # what sh itself adds or changes
    pasted_view, real_view = parse(pasted.stdout), parse(real.stdout)
    for view in (pasted_view, real_view):
        for k in shell_vars:
            view[1].pop(k, None)
    check(pasted_view == real_view, "the printed line differs from the real run:\n"
          f"{pasted_view}\n{real_view}")
    check(t.logged(t.preload_log) is not None, "the printed line runs QEMU without the shim")


def run_hides_slow_rep_strings(s):
    """QEMU runs REP MOVSB/STOSB an element at a time, so the guest must not
    be told they are fast (ERMS, FSRM): glibc's memcpy and memset then take
    their vector loops (bench/strings measures the difference)."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)

    def cpuid(*args):
        p = t.run(*args, t.game)
        check(p.returncode == 0, p.stderr)
        return parse(p.stdout)[1].get("(cpuid)")

    # QEMU's max model has both; the game sees neither, nor under a named model.
    check(cpuid("--keep-rep-strings") == "erms 1 fsrm 1", "max without --keep-rep-strings")
    check(cpuid() == "erms 0 fsrm 0", "the default run")
    t.profile(qemu={"cpu": "Haswell-noTSX"})
    check(cpuid("--keep-rep-strings") == "erms 1 fsrm 0", "Haswell-noTSX as it is")
    check(cpuid() == "erms 0 fsrm 0", "Haswell-noTSX in a run")
    p = t.run("--verbose", t.game)
    check_in("cpu features: fast REP strings hidden (-cpu Haswell-noTSX" + HIDDEN + ")", p.stderr)


def run_steers_glibc_off_sse42_strings(s):
    """QEMU runs SSE4.2's PCMPISTRI byte by byte, so the game's glibc is told
    (GLIBC_TUNABLES) to take its SSE2 strcspn, strspn and strpbrk; the
    game's CPUID still has SSE4.2. Seen from the guest: glibc's own
    diagnostics (ld.so --list-diagnostics) and the environment it gets."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    loader = "/lib64/ld-linux-x86-64.so.2"
    if not os.path.exists(loader):
        raise Skip(f"{loader} is not here: no x86_64 glibc to ask")

    def glibc_uses_sse42(*args, env=None):
        p = t.run(*args, loader, "--list-diagnostics", env=env)
        check(p.returncode == 0, p.stderr)
        # CPUID leaf 1 ECX as glibc's string functions see it; SSE4.2 is bit 20.
        m = re.search(r"^x86\.cpu_features\.features\[0x0\]\.active\[0x2\]=(0x[0-9a-f]+)$",
                      p.stdout, re.M)
        check(m is not None, f"no leaf 1 ECX in glibc's diagnostics: {p.stdout[-2000:]}")
        return bool(int(m.group(1), 16) & (1 << 20))

    def tunables(*args, env=None):
        p = t.run(*args, t.game, env=env)
        check(p.returncode == 0, p.stderr)
        return parse(p.stdout)[1].get("GLIBC_TUNABLES")

    check(glibc_uses_sse42("--keep-sse42-strings"),
          "QEMU's max model has SSE4.2, and glibc takes it with --keep-sse42-strings")
    check(not glibc_uses_sse42(), "a default run: glibc picks its string functions without SSE4.2")
    check(tunables() == "glibc.cpu.hwcaps=-SSE4_2", tunables())
    check(tunables("--keep-sse42-strings") is None, "--keep-sse42-strings adds no GLIBC_TUNABLES")
    users = {"GLIBC_TUNABLES": "glibc.malloc.check=3"}
    check(tunables(env=users) == "glibc.malloc.check=3:glibc.cpu.hwcaps=-SSE4_2",
          f"added after the user's own tunables: {tunables(env=users)}")
    own = {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2"}
    check(tunables(env=own) == "glibc.cpu.hwcaps=-AVX2", "the user's glibc.cpu.hwcaps is left")
    check(glibc_uses_sse42(env=own), "with the user's own hwcaps glibc keeps SSE4.2")
    p = t.run("--verbose", t.game)
    check_in("guest glibc: GLIBC_TUNABLES gets glibc.cpu.hwcaps=-SSE4_2", p.stderr)


def run_caches_dynamic_cast(s):
    """The dynamic_cast cache is preloaded into the guest (and only there),
    through an LD_PRELOAD the game does not see (the cache takes it out of
    the environment its children inherit); --keep-dynamic-cast leaves it
    out; without the file the run stops before QEMU starts and names the
    fix. (That the cache answers as the C++ runtime does is tests/castcache.)"""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    p = t.run("--verbose", t.game)
    check(p.returncode == 0, p.stderr)
    env = parse(p.stdout)[1]
    check(env.get("(castcache)") == "yes" and "LD_PRELOAD" not in env, p.stdout[-2000:])
    check_in("guest C++ runtime: dynamic_cast answers are cached per thread", p.stderr)
    p = t.run("--verbose", "--keep-dynamic-cast", t.game)
    check(p.returncode == 0, p.stderr)
    env = parse(p.stdout)[1]
    check(env.get("(castcache)") == "no" and "LD_PRELOAD" not in env,
          f"--keep-dynamic-cast: no cache, no LD_PRELOAD in the guest: {p.stdout[-2000:]}")
    check_in("(--keep-dynamic-cast)", p.stderr)
    os.unlink(t.castcache)
    p = t.run(t.game)
    check(p.returncode != 0, "ran without the dynamic_cast cache's file")
    check_in("the dynamic_cast cache) is missing", p.stderr)
    check_in("--keep-dynamic-cast", p.stderr)
    check_not_in("argc", p.stdout, "the game's output")
    p = t.run("--keep-dynamic-cast", t.game)
    check(p.returncode == 0, f"--keep-dynamic-cast needs no cache file: {p.stderr}")


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


def run_refuses_parts_for_another_host(s):
    """A plugin, preload shim or QEMU built for another machine (an aarch64
    build copied to an x86_64 host) is refused before QEMU starts, naming the
    part, both machines and the variable that pointed at it."""
    t = Setup(s)
    host = os.uname().machine
    os.makedirs(s.path("aarch64"))
    arm_so = make_elf(s.path("aarch64", "liblorelei-plugin.so"), machine=183, etype=3)
    rv_so = make_elf(s.path("aarch64", "liblorelei-preload.so"), machine=243, etype=3)
    for args in (("--dry-run", t.game), (t.game,)):
        p = t.run(*args, env={"LORELEI_PLUGIN": arm_so})
        check(p.returncode == 8, f"exit {p.returncode}: {p.stderr}")
        check_in(f"error: the lorelei plugin ({arm_so}) is built for aarch64, but this host is "
                 f"{host}: it cannot be loaded here", p.stderr)
        check_in("fix: build qemu-lorelei on this machine (scripts/build.sh build)", p.stderr)
        check_in("unset LORELEI_PLUGIN", p.stderr)
        check(t.logged(t.preload_log) is None, "QEMU was started anyway")
    p = t.run(t.game, env={"LORELEI_PRELOAD": rv_so})
    check(p.returncode == 8, p.stderr)
    check_in(f"the preload shim ({rv_so}) is built for riscv64, but this host is {host}",
             p.stderr)
    # Presented as an aarch64 host, this host's own builds are the wrong ones.
    tree = s.path("amd64-tree")
    os.makedirs(os.path.join(tree, "lib64"))
    make_elf(os.path.join(tree, "lib64", "ld-linux-x86-64.so.2"), etype=3)
    s.ok("sysroot", "create", "amd64", "--from-dir", tree)
    if host == "x86_64":
        p = t.run("--dry-run", "--sysroot", "amd64", t.game, env={"LORELEI_HOST_ARCH": "aarch64"})
        check(p.returncode == 8, p.stderr)
        check_in(f"error: QEMU ({s.opts.qemu}) is built for x86_64, but this host is aarch64",
                 p.stderr)
    # Without thunks the plugin is not loaded, so it is not checked.
    p = t.run("--dry-run", "--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
              "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile", t.game,
              env={"LORELEI_PLUGIN": arm_so})
    check(p.returncode == 0, p.stderr)


def run_refuses_qemu_without_filter_api(s):
    """doctor's 'qemu-without-filter-api' for run: a QEMU that cannot load
    the plugin, or lacks the syscall filter, is refused before the game runs."""
    t = Setup(s)
    # Debian's qemu-user-static: static, so it cannot load plugins at all.
    static = shutil.which("qemu-x86_64-static")
    if static is None:
        check(False, "qemu-x86_64-static is missing: scripts/install-deps.sh installs "
                     "qemu-user-static (scripts/deps.txt)")
    p = t.run(t.game, env={"LORELEI_QEMU": static})
    check(p.returncode == 8, f"exit {p.returncode}: {p.stderr}")
    check_in(f"error: the QEMU at {static} cannot load plugins at all (it exports no plugin "
             "API", p.stderr)
    check_in("fix: use the patched QEMU (packaging/qemu/build-qemu.sh; unset LORELEI_QEMU) or "
             "QEMU >= 11.1, or run the game fully emulated with --no-thunk", p.stderr)
    check(t.logged(t.preload_log) is None, "QEMU was started anyway")
    # A QEMU with plugins but an older API: made here, exporting one plugin
    # function but not the filter; if it ran, it would say so.
    src = s.write("old-qemu.c", """#include <stdio.h>
void qemu_plugin_register_vcpu_syscall_cb(void) {}
int main(void) { puts("FAKE QEMU STARTED"); return 0; }
""")
    old = s.path("old-qemu")
    subprocess.run(["cc", "-rdynamic", "-o", old, src], check=True)
    for args in (("--dry-run", t.game), (t.game, "--exit=3")):
        p = t.run(*args, env={"LORELEI_QEMU": old})
        check(p.returncode == 8, f"exit {p.returncode}: {p.stderr}")
        check_in(f"error: the QEMU at {old} lacks the syscall-filter plugin API "
                 "(qemu_plugin_register_vcpu_syscall_filter_cb)", p.stderr)
        check_not_in("FAKE QEMU STARTED", p.stdout)
    # Fully emulated, that QEMU is fine.
    p = t.run("--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan", "--no-thunk",
              "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile", t.game,
              env={"LORELEI_QEMU": old})
    check(p.returncode == 0 and "FAKE QEMU STARTED" in p.stdout, p.stderr)
    # The real patched QEMU has the API (run_end_to_end runs games with it).
    p = t.run("--dry-run", t.game)
    check(p.returncode == 0, p.stderr)


def run_refuses_sysroot_of_another_arch(s):
    """A sysroot made from arm64 files is refused at run (its loader and libc
    are aarch64 ELF files); an x86_64 one and one without a recognizable C
    library are not."""
    t = Setup(s)
    arm = s.path("arm-tree")
    os.makedirs(os.path.join(arm, "lib"))
    os.makedirs(os.path.join(arm, "usr", "lib", "aarch64-linux-gnu"))
    make_elf(os.path.join(arm, "lib", "ld-linux-aarch64.so.1"), machine=183, etype=3)
    make_elf(os.path.join(arm, "usr", "lib", "aarch64-linux-gnu", "libc.so.6"), machine=183,
             etype=3)
    s.ok("sysroot", "create", "arm", "--from-dir", arm)
    p = t.run("--dry-run", "--sysroot", "arm", t.game)
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr}")
    check_in("error: sysroot 'arm' is not an x86_64 root file system (lib/ld-linux-aarch64.so.1 "
             "is aarch64): QEMU would hand its libraries to the x86_64 game", p.stderr)
    check_in("fix: make one from x86_64 (amd64) files: qemu-lorelei sysroot create NAME "
             "--from-archive ROOTFS.tar.xz, then qemu-lorelei sysroot remove arm", p.stderr)
    x86 = s.path("x86-tree")
    os.makedirs(os.path.join(x86, "lib64"))
    make_elf(os.path.join(x86, "lib64", "ld-linux-x86-64.so.2"), etype=3)
    s.ok("sysroot", "create", "amd64", "--from-dir", x86)
    p = t.run("--dry-run", "--sysroot", "amd64", t.game)
    check(p.returncode == 0, p.stderr)
    bare = s.path("bare-tree")
    os.makedirs(os.path.join(bare, "etc"))
    s.ok("sysroot", "create", "bare", "--from-dir", bare)
    p = t.run("--dry-run", "--sysroot", "bare", t.game)
    check(p.returncode == 0, p.stderr)


def run_user_profile_beats_community(s):
    """A synced community profile matching the game as well as the user's
    own must not replace it (it did when its id sorted first)."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    repo = s.path("repo")
    os.makedirs(repo)
    with open(os.path.join(repo, "0-hijack.json"), "w") as f:
        json.dump({"schema": 1, "id": "0-hijack", "match": {"sha256": [t.sha256]},
                   "args": ["--theirs"]}, f)
    s.ok("profile", "index", repo)
    s.ok("profile", "sync", "file://" + repo)
    s.write("config/qemu-lorelei/profiles/mygame.json", json.dumps(
        {"schema": 1, "id": "mygame", "match": {"sha256": [t.sha256]}, "args": ["--mine"]}))
    p = t.run(t.game, "--exit=4")
    check(p.returncode == 4, p.stderr)
    check_in("qemu-lorelei: profile 'mygame' (matched by sha256; user)", p.stderr)
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game, "--mine", "--exit=4"], argv)


def run_execs_the_file_it_hashed(s):
    """The file QEMU runs is the one whose sha256 picked the profile, even
    when another file takes its name in between: the launcher opens the
    game once, hashes that descriptor and hands QEMU /proc/self/fd/N (with
    -0 so the game still sees the path it was started by)."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile(args=["--from-the-profile"])
    impostor = s.path("impostor")
    shutil.copy(s.opts.probe, impostor)  # another x86_64 program: prints JSON
    wrapper = s.write("swapping-qemu", f"""#!/bin/sh
mv -f '{impostor}' '{t.game}'
exec '{s.opts.qemu}' "$@"
""", 0o755)
    p = t.run(t.game, "--exit=9", env={"LORELEI_QEMU": wrapper})
    check(p.returncode == 9, f"exit status {p.returncode}:\n{p.stdout}\n{p.stderr}")
    check_not_in('"abi"', p.stdout, "the guest's output (the impostor ran)")
    argv, env, _ = parse(p.stdout)
    check(argv == [t.game, "--from-the-profile", "--exit=9"], argv)
    # The printed command names the game, not a descriptor of a process gone.
    os.unlink(t.game)
    shutil.copy(s.opts.guest, t.game)
    line = t.run("--dry-run", t.game).stdout
    check_in(" -0 " + t.game + " " + t.game + " --from-the-profile", line)


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# QEMU 10.0's linux-user variables that change how the game runs (qemu-x86_64
# -h lists them all): none may come through from the user's environment.
BEHAVIOUR_ENV = {
    "QEMU_UNAME": "1.0.0",            # the kernel release the guest sees
    "QEMU_RAND_SEED": "1",            # makes getrandom() predictable
    "QEMU_RTSIG_MAP": "34 34 1",      # remaps real-time signals
    "QEMU_TB_SIZE": "1",
    "QEMU_ONE_INSN_PER_TB": "1",
    "QEMU_PAGESIZE": "65536",
    "QEMU_VERSION": "1",              # prints QEMU's version instead of running the game
    "QEMU_TRACE": "file=trace.out",   # writes a file in the game's folder
    "QEMU_PERFMAP": "1",              # writes /tmp/perf-PID.map
    "QEMU_JITDUMP": "1",              # writes jit-PID.dump in the game's folder
}


def run_strips_qemu_behaviour_env(s):
    """QEMU_GDB in the user's environment made QEMU wait for a debugger on
    a port open on every network interface; it and every other QEMU_*
    variable that changes how the game runs are removed, only the
    diagnostic ones (QEMU_STRACE, QEMU_LOG, ...) pass."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    env = {"QEMU_GDB": str(free_port()), **BEHAVIOUR_ENV, "QEMU_STRACE": "1"}
    plan = json.loads(t.run("--dry-run", "--json", t.game, env=env).stdout)
    for k in list(env) + [k for k in HOSTILE_ENV if k.startswith("QEMU_")]:
        if k != "QEMU_STRACE":
            check(k in plan["env_unset"], f"{k} is not removed: {plan['env_unset']}")
    check("QEMU_STRACE" not in plan["env_unset"], plan["env_unset"])
    p = t.run(t.game, "--exit=3", env=env, timeout=60)
    check(p.returncode == 3, f"exit status {p.returncode}:\n{p.stdout}\n{p.stderr}")
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game, "--exit=3"], argv)
    check_in("exit_group(3)", p.stderr, "QEMU_STRACE's log")  # diagnostics still pass
    check(not os.path.exists(s.path("trace.out")), "QEMU_TRACE wrote a file")


def run_gdb_socket(s):
    """A debugger only when asked for, on a Unix socket: QEMU's TCP port
    would listen on every network interface, it cannot bind localhost."""
    import socket
    import time
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    s.error(2, ["--gdb 1234: give a Unix socket path", "every network interface"],
            "run", "--gdb", "1234", t.game, env=t.env)
    sock_path = s.path("gdb.sock")
    line = t.run("--dry-run", "--gdb", sock_path, t.game).stdout
    check_in(" -g " + sock_path + " ", line)
    proc = subprocess.Popen([s.cli, "run", "--gdb", sock_path, t.game, "--exit=6"],
                            env={**s.env, **t.env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(sock_path):
        check(time.monotonic() < deadline and proc.poll() is None, "no gdb socket appeared")
        time.sleep(0.05)
    with socket.socket(socket.AF_UNIX) as conn:
        # QEMU binds the socket before it listens: between the two a
        # connection is refused (seen once on a fresh machine).
        while True:
            try:
                conn.connect(sock_path)
                break
            except ConnectionRefusedError:
                check(time.monotonic() < deadline and proc.poll() is None,
                      "QEMU's gdb socket never accepted a connection")
                time.sleep(0.05)
        # gdb's remote protocol: ask why it stopped, acknowledge, continue.
        conn.settimeout(30)
        conn.sendall(b"$?#3f")
        got = b""
        while b"#" not in got.partition(b"$T")[2]:
            chunk = conn.recv(4096)
            check(chunk, f"the game did not start stopped: {got!r}")
            got += chunk
        conn.sendall(b"+$c#63")
        got = b""
        while b"$W" not in got:  # the game exited
            chunk = conn.recv(4096)
            check(chunk, f"no exit report from QEMU's gdb stub: {got!r}")
            got += chunk
        conn.sendall(b"+")
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 6, f"exit status {proc.returncode}:\n{out}\n{err}")
    check_in("argv[1] --exit=6", out)


def run_guest_library_path_is_absolute(s):
    """LORELEI_GUESTLIBS given relative, or with ';' in it: the guest's
    LD_LIBRARY_PATH must never hold an entry relative to the game's folder."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    plan = json.loads(s.ok("run", "--dry-run", "--json", t.game, cwd=s.root,
                           env={**t.env, "LORELEI_GUESTLIBS": "guestlibs"}).stdout)
    libpath = next(a for a in plan["argv"] if a.startswith("LD_LIBRARY_PATH="))
    for entry in libpath.split("=", 1)[1].replace(";", ":").split(":"):
        check(entry.startswith("/"), f"a relative entry in {libpath}")
    semi = s.path("x;y")
    shutil.copytree(t.guestlibs, semi)
    s.error(1, ["contains", "';'"], "run", "--dry-run", t.game,
            env={**t.env, "LORELEI_GUESTLIBS": semi})


def run_hashes_only_when_needed_and_once(s):
    """Hashing a big game cost seconds of silence on every launch: its
    sha256 is now computed only when some profile lists a sha256 for its
    name, said when it takes long, and cached by (device, inode, size,
    mtime, ctime) in the user's cache folder."""
    import time
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    big = s.path("games", "big-game")
    shutil.copy(s.opts.guest, big)
    with open(big, "r+b") as f:
        f.truncate(768 << 20)  # sparse: costs no disk, all of it is hashed
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    cache = os.path.join(s.root, ".cache", "qemu-lorelei", "sha256-cache")
    # No profile lists a sha256 for this name: no hashing at all.
    p = t.run("--dry-run", "--verbose", *off, big)
    check_in("not hashed", p.stderr)
    check_not_in("identifying", p.stderr)
    check(not os.path.exists(cache), "a cache entry without hashing")
    # One does: the first launch hashes, and says so since it takes long.
    with open(os.path.join(t.builtin, "big.json"), "w") as f:
        json.dump({"schema": 1, "id": "big", "match": {"exe": ["big-game"], "sha256": ["0" * 64]}}, f)
    start = time.monotonic()
    p = t.run("--dry-run", *off, big)
    first = time.monotonic() - start
    check_in("identifying game", p.stderr)
    check_in("profile 'big' (matched by file name only", p.stderr)
    with open(cache) as f:
        entries = f.read().splitlines()
    check(len(entries) == 1, entries)
    st = os.stat(big)
    check(entries[0].startswith(f"{st.st_dev} {st.st_ino} {st.st_size} "), entries[0])
    # The next launch takes the sha256 from the cache: quietly and fast.
    start = time.monotonic()
    p = t.run("--dry-run", *off, big)
    second = time.monotonic() - start
    check_not_in("identifying", p.stderr)
    check(second < first / 2, f"first launch {first:.2f} s, second {second:.2f} s")
    # It really is the cache's answer: a planted sha256 is believed...
    with open(cache, "w") as f:
        f.write(entries[0].rsplit(" ", 1)[0] + " " + "0" * 64 + "\n")
    p = t.run("--dry-run", *off, big)
    check_in("profile 'big' (matched by sha256", p.stderr)
    # ...until the file changes (its ctime does, whatever mtime claims).
    os.utime(big, ns=(st.st_atime_ns, st.st_mtime_ns))
    p = t.run("--dry-run", *off, big)
    check_in("identifying game", p.stderr)
    check_in("profile 'big' (matched by file name only", p.stderr)


def run_profile_libs(s):
    """--profile-libs: the profiling plugin beside the forwarding one, its
    table at exit, --profile-libs=FILE's JSON (relative to where the launcher
    ran), a bare --profile-libs that leaves the game's path alone, and a
    clear error when the plugin is missing."""
    needs_x86_64_guest_runs(s)
    if not s.opts.profile_plugin:
        raise Skip("this build tree is sanitized: QEMU would need ASan's runtime to load its "
                   "profiling plugin; the plain build tree runs this case")
    t = Setup(s)
    t.env["LORELEI_PROFILE_PLUGIN"] = s.opts.profile_plugin
    work = s.path("work")
    os.makedirs(work)
    p = t.s.run("run", "--dry-run", "--json", "--profile-libs=prof,1.json", t.game,
                env=t.env, cwd=work)
    check(p.returncode == 0, p.stderr)
    argv = json.loads(p.stdout)["argv"]
    plugins = [argv[i + 1] for i, a in enumerate(argv) if a == "-plugin"]
    out = os.path.join(work, "prof,1.json")
    check(plugins == [s.opts.plugin + ",lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=zlib,"
                      "lib=vorbisfile",
                      s.opts.profile_plugin + ",out=" + out.replace(",", ",,")],
          f"-plugin arguments {plugins}")
    # For real: the guest echoes, the plugin reports at its exit.
    p = t.s.run("run", "--profile-libs=prof,1.json", t.game, "--exit=7", env=t.env, cwd=work)
    check(p.returncode == 7, f"exit status {p.returncode}, expected the game's 7:\n{p.stderr}")
    check_in("qemu-lorelei profile:", p.stderr)
    check_in("emulated code", p.stderr)
    check_in("inside system calls", p.stderr)
    table = p.stderr.split("emulated code")[1].split("inside system calls")[0]
    check(len(re.findall(r"^ +[0-9.]+% +[0-9.]+ s +\S", table, re.M)) >= 2,
          f"the table has fewer than two rows:\n{table}")
    check(os.path.exists(out), f"no JSON report at {out}:\n{p.stderr}")
    with open(out) as f:
        report = json.load(f)
    files = {os.path.basename(e["file"]): e["share"] for e in report["files"]}
    check(any(n.startswith("ld-linux-x86-64") for n in files), f"no loader in {files}")
    check(abs(sum(files.values()) - 1) < 0.01, f"shares add up to {sum(files.values())}")
    check(report["instructions"] > 0, report)
    # A bare --profile-libs takes no value: the next word is the game.
    p = t.run("--profile-libs", t.game, "--exit=3")
    check(p.returncode == 3, f"exit status {p.returncode}:\n{p.stderr}")
    check_in("qemu-lorelei profile:", p.stderr)
    argv, _, _ = parse(p.stdout)
    check(argv == [t.game, "--exit=3"], argv)
    # Missing plugin: said, with the variable to set, before QEMU starts.
    t.env["LORELEI_PROFILE_PLUGIN"] = s.path("nowhere", "liblorelei-profile.so")
    p = t.run("--profile-libs", t.game)
    check(p.returncode != 0, "ran without the profiling plugin")
    check_in("LORELEI_PROFILE_PLUGIN=", p.stderr)
    check_not_in("argc", p.stdout, "the game's output")
    p = t.run("--profile-libs=", t.game)
    check(p.returncode != 0 and "file name is empty" in p.stderr, p.stderr)


CASES = {f.__name__: f for f in [run_end_to_end, run_no_thunk, run_plain_qemu, run_args_and_status,
                                 run_dry_run_is_what_runs, run_hides_slow_rep_strings,
                                 run_steers_glibc_off_sse42_strings, run_caches_dynamic_cast,
                                 run_with_sysroot,
                                 run_refuses_parts_for_another_host,
                                 run_refuses_qemu_without_filter_api,
                                 run_refuses_sysroot_of_another_arch,
                                 run_user_profile_beats_community, run_execs_the_file_it_hashed,
                                 run_strips_qemu_behaviour_env, run_gdb_socket,
                                 run_guest_library_path_is_absolute,
                                 run_hashes_only_when_needed_and_once, run_profile_libs]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache",
                     "profile-plugin"])
