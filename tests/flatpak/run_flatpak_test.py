#!/usr/bin/env python3
"""The Flatpak, built, installed and run for real, offline.

  1. the Debian-based test runtime (packaging/flatpak/build-test-runtime.sh,
     cached) and the manifest's third-party sources (fetch-debian-sources.py,
     cached) are at hand;
  2. flatpak-builder builds the test manifest (the distributable one with the
     test runtime's ids) with --disable-download and exports it to a repo;
  3. `flatpak --user install` from that repo, `flatpak run ... --version`;
  4. `flatpak build-bundle`, then in a fresh HOME: the runtime from its repo,
     the app from the bundle, and inside the sandbox, under Xvfb:
     doctor --json, sysroot create from .debs, profile sync, the games-folder
     hint and `flatpak override`, and the guest programs of GUEST_PROGRAMS;
  5. uninstall: the app's data stays unless --delete-data.

Skipped (exit 77, reason on the last line) only where bubblewrap cannot
create namespaces. Caches (runtime, sources, flatpak-builder state, the build
HOME with the runtime installed) live in
${LORELEI_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/qemu-lorelei}/flatpak.

usage: run_flatpak_test.py --source-root DIR
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks  # noqa: E402
from xvfb import DISPLAY_OPEN_FAILURE, Xvfb  # noqa: E402

APP_ID = "io.github.qemu_lorelei.QemuLorelei"
MANIFEST = f"packaging/flatpak/{APP_ID}.test.json"
RUNTIME_REMOTE = "lorelei-test-runtime"
APP_REMOTE = "lorelei-test-app"
SDL_TESTS = "/usr/libexec/installed-tests/SDL2"


class Guest:
    """A guest program run inside the sandbox: files copied into a games
    folder the sandbox sees (the first is the program), its arguments, what
    a good run prints (a regex) or None for a window that must stay up and
    show at least `colours` colours on the screen, and the libraries whose
    stubs it must go through."""

    def __init__(self, files, args=(), expect=None, libs=("sdl2",), colours=3):
        self.files, self.args, self.expect, self.libs = files, list(args), expect, libs
        self.colours = colours
        self.name = os.path.basename(files[0])


# One line per program.
GUEST_PROGRAMS = [
    Guest([f"{SDL_TESTS}/testver"], [], r"Linked version: 2\.\d+\.\d+"),
    Guest([f"{SDL_TESTS}/testsprite2", f"{SDL_TESTS}/icon.bmp"], ["--geometry", "640x480"]),
    Guest([f"{SDL_TESTS}/testgl2"], [], None, ("sdl2", "gl")),
    # Clears its window to one changing colour: black screen + that colour.
    Guest([f"{SDL_TESTS}/testvulkan"], [], None, ("sdl2", "vulkan"), colours=2),
]

c = Checks()
timings = []


def phase(name, fn, *args, **kw):
    start = time.monotonic()
    print(f"\n=== {name}", flush=True)
    result = fn(*args, **kw)
    timings.append((name, time.monotonic() - start))
    print(f"=== {name}: {time.monotonic() - start:.0f} s", flush=True)
    return result


def run(cmd, env=None, timeout=600, check=False, quiet=False, **kw):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                       timeout=timeout, **kw)
    if not quiet or p.returncode != 0:
        if p.stdout.strip():
            print("--- stdout\n" + p.stdout.rstrip()[-8000:])
        if p.stderr.strip():
            print("--- stderr\n" + p.stderr.rstrip()[-8000:])
    print(f"--- exit status {p.returncode}", flush=True)
    if check and p.returncode != 0:
        raise SystemExit(f"FAIL {' '.join(cmd[:3])}… exited {p.returncode}")
    return p


def skip(reason):
    print(reason)
    sys.exit(77)


def bwrap_works():
    """Whether bubblewrap can create the namespaces flatpak needs."""
    if shutil.which("bwrap") is None:
        return False, "bwrap is not installed"
    p = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc",
                        "--dev", "/dev", "true"], capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def home_env(home, display=None):
    """The environment of a flatpak user whose HOME is `home`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "FLATPAK_", "LORELEI_", "DBUS_", "WAYLAND_"))
           and k not in ("DISPLAY", "LD_PRELOAD", "LD_LIBRARY_PATH")}
    runtime_dir = os.path.join(home, ".run")
    os.makedirs(runtime_dir, mode=0o700, exist_ok=True)
    env.update({"HOME": home, "XDG_RUNTIME_DIR": runtime_dir, "LANG": "C.UTF-8"})
    if display:
        env["DISPLAY"] = display
    return env


def flatpak(env, *args, **kw):
    return run(["flatpak", *args], env=env, **kw)


def installed(env, ref):
    return subprocess.run(["flatpak", "--user", "info", ref], env=env,
                          capture_output=True).returncode == 0


def add_remote(env, name, repo):
    remotes = subprocess.run(["flatpak", "--user", "remote-list", "--columns=name"], env=env,
                             capture_output=True, text=True).stdout.split()
    if name in remotes:
        flatpak(env, "--user", "remote-delete", "--force", name, quiet=True)
    flatpak(env, "--user", "remote-add", "--no-gpg-verify", name, repo, check=True)


def runtime_refs(runtime_dir):
    info = dict(line.split("=", 1) for line in open(os.path.join(runtime_dir, "BUILD-INFO"))
                .read().splitlines() if "=" in line)
    return info["platform"], info["sdk"]


def install_runtime(env, runtime_dir, with_sdk):
    platform, sdk = runtime_refs(runtime_dir)
    refs = [platform] + ([sdk] if with_sdk else [])
    missing = [r for r in refs if not installed(env, "runtime/" + r)]
    add_remote(env, RUNTIME_REMOTE, os.path.join(runtime_dir, "repo"))
    if missing:
        flatpak(env, "--user", "install", "-y", "--noninteractive", RUNTIME_REMOTE,
                *["runtime/" + r for r in missing], check=True, timeout=1200)
    return platform


def flatpak_run(env, *args, timeout=300, **kw):
    return flatpak(env, "run", APP_ID, *args, timeout=timeout, **kw)


def run_window(env, argv, shot, x, seconds=12):
    """Starts a windowed program through `flatpak run`; after `seconds`, it
    must still run and the screen must not be blank. Returns (alive, colours, stderr)."""
    for attempt in range(1, 4):
        print("$ " + " ".join(argv), flush=True)
        p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, errors="replace", start_new_session=True)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.5)
        alive = p.poll() is None
        colours = x.screenshot(shot) if alive else 0
        if alive:
            os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        print("--- stderr\n" + err.rstrip()[-4000:])
        print(f"--- {'still running (killed)' if alive else f'exited {p.returncode}'}")
        if not alive and DISPLAY_OPEN_FAILURE.search(err) and attempt < 3:
            print(f"note: the X server refused the connection (attempt {attempt}); retrying")
            continue
        return alive, colours, err


def build(src, cache, runtime_dir, work):
    """flatpak-builder, offline, into a fresh repo. Returns the repo."""
    sources = os.path.join(cache, "sources")
    run([os.path.join(src, "packaging/flatpak/fetch-debian-sources.py"), os.path.join(src, MANIFEST),
         sources], check=True, timeout=1200)
    key = os.path.basename(runtime_dir).removeprefix("runtime-")
    build_home = os.path.join(cache, "build-home-" + key)
    # Runtimes of this arch built from an older build-test-runtime.sh (~400 MiB
    # each), and build HOMEs holding an installed copy of a runtime that is
    # gone (~1 GiB each), are of no further use.
    arch = key.split("-", 1)[0]
    for old in glob.glob(os.path.join(cache, f"runtime-{arch}-*")):
        if ".tmp." not in old and os.path.basename(old) != os.path.basename(runtime_dir):
            print(f"removing {old} (an older test runtime)")
            shutil.rmtree(old, ignore_errors=True)
    for old in glob.glob(os.path.join(cache, "build-home-*")):
        if not os.path.isdir(os.path.join(cache, "runtime-" + old.split("build-home-", 1)[1])):
            print(f"removing {old} (its runtime is gone)")
            shutil.rmtree(old, ignore_errors=True)
    env = home_env(build_home)
    install_runtime(env, runtime_dir, with_sdk=True)
    repo = os.path.join(work, "repo")
    log = os.path.join(work, "flatpak-builder.log")
    cmd = ["flatpak-builder", "--user", "--disable-rofiles-fuse", "--disable-download",
           "--force-clean", f"--extra-sources={sources}",
           f"--state-dir={os.path.join(cache, 'builder-state')}", f"--repo={repo}",
           os.path.join(work, "build-dir"), os.path.join(src, MANIFEST)]
    print("$ " + " ".join(cmd), flush=True)
    with open(log, "w") as f:
        p = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=3600,
                           cwd=work)
    text = open(log, errors="replace").read()
    print(text[-6000:] if p.returncode != 0 else "\n".join(
        l for l in text.splitlines() if l.startswith(("Building module", "Committing", "Exporting",
                                                      "Running: flatpak build-export", "Cache hit",
                                                      "Downloading", "Starting"))))
    c.check(p.returncode == 0, "flatpak-builder built the test manifest offline (--disable-download)")
    if p.returncode != 0:
        c.finish()
    return repo, env


def install_from_repo(env, repo):
    add_remote(env, APP_REMOTE, repo)
    p = flatpak(env, "--user", "install", "-y", "--noninteractive", "--reinstall", APP_REMOTE,
                APP_ID, timeout=600)
    c.check(p.returncode == 0, "flatpak --user install from the exported repo")
    v = flatpak_run(env, "--version")
    c.check(v.returncode == 0 and "qemu-lorelei" in v.stdout + v.stderr,
            "flatpak run … --version works from the repo install")
    flatpak(env, "--user", "uninstall", "-y", "--noninteractive", APP_ID)
    flatpak(env, "--user", "remote-delete", "--force", APP_REMOTE, quiet=True)


def make_bundle(repo, work, cache):
    bundle = os.path.join(work, "qemu-lorelei.flatpak")
    p = run(["flatpak", "build-bundle", repo, bundle, APP_ID], timeout=600)
    ok = p.returncode == 0 and os.path.isfile(bundle)
    c.check(ok, "flatpak build-bundle made a single-file bundle")
    if not ok:
        c.finish()
    size = os.path.getsize(bundle)
    print(f"bundle size: {size} bytes ({size / 2**20:.1f} MiB)")
    # Kept for people to look at (and the size in reports); replaced each run.
    shutil.copy(bundle, os.path.join(cache, "qemu-lorelei-test.flatpak"))
    return bundle


def qemu_command(env, game, args):
    """`flatpak run` of the QEMU command the launcher would exec for game
    (from run --dry-run --json), with the plugin's verbose=on: its log says
    which stub libraries reached their host library."""
    dry = flatpak_run(env, "run", "--dry-run", "--json", game, *args)
    try:
        plan = json.loads(dry.stdout)
        argv = [a + ",verbose=on" if "liblorelei-plugin.so" in a else a for a in plan["argv"]]
        sets = [f"--env={k}={v}" for k, v in plan["env_set"].items()]
    except (ValueError, KeyError, TypeError):
        return None
    return ["flatpak", "run", f"--command={argv[0]}", *sets, APP_ID, *argv[1:]]


def run_guest(env, g, game, work, x):
    """g from ~/Games twice: through `qemu-lorelei run` (what users do), and as
    the QEMU command it runs, with the plugin verbose (proof of forwarding)."""
    by_hand = qemu_command(env, game, g.args)
    c.check(by_hand is not None, f"{g.name}: run --dry-run --json gives the QEMU command")
    ways = [("qemu-lorelei run", ["flatpak", "run", APP_ID, "run", game, *g.args])]
    ways += [("its QEMU command", by_hand)] if by_hand else []
    for how, argv in ways:
        if g.expect is not None:
            p = run(argv, env=env, timeout=600)
            err = p.stderr
            c.check(p.returncode == 0 and re.search(g.expect, p.stdout + p.stderr),
                    f"{g.name} ({how}) runs in the sandbox and prints /{g.expect}/")
        else:
            shot = os.path.join(work, f"{g.name}-{len(timings)}-{how.split()[0]}.png")
            alive, colours, err = run_window(env, argv, shot, x)
            c.check(alive and colours >= g.colours,
                    f"{g.name} ({how}) draws in the sandbox ({colours} colours on screen)")
        if how != "qemu-lorelei run":
            c.check(all(f"{lib}: loaded" in err for lib in g.libs),
                    f"{g.name}: its {', '.join(g.libs)} calls went through the stubs to the "
                    "runtime's libraries")


def check_in_sandbox(runtime_dir, bundle, work, src):
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = home_env(home)
    platform = install_runtime(env, runtime_dir, with_sdk=False)
    p = flatpak(env, "--user", "install", "-y", "--noninteractive", "--bundle", bundle, timeout=600)
    c.check(p.returncode == 0, "the bundle installs in a fresh HOME (runtime from its repo, no Sdk)")
    if p.returncode != 0:
        c.finish()
    info = flatpak(env, "run", "--command=cat", APP_ID, "/.flatpak-info")
    c.check(info.returncode == 0 and f"name={APP_ID}" in info.stdout
            and f"runtime=runtime/{platform}" in info.stdout,
            "commands run inside the sandbox (/.flatpak-info names the app and the test runtime)")

    games = os.path.join(home, "Games")
    data = os.path.join(home, ".var", "app", APP_ID, "data", "qemu-lorelei")

    # A guest sysroot made inside the sandbox from x86_64 .debs in ~/Games.
    debs = os.path.join(games, "x86_64-debs")
    shutil.copytree(os.path.join(runtime_dir, "sysroot-debs"), debs)
    s = flatpak_run(env, "sysroot", "create", "default", "--from-debs", debs)
    sysroot = os.path.join(data, "sysroots", "default")
    libc = [os.path.join(sysroot, d, "x86_64-linux-gnu/libc.so.6") for d in ("lib", "usr/lib")]
    c.check(s.returncode == 0 and any(os.path.isfile(f) for f in libc),
            "sysroot create --from-debs inside the sandbox fills ~/.var/app/<id>/data/qemu-lorelei/sysroots")
    lst = flatpak_run(env, "sysroot", "list")
    c.check(lst.returncode == 0 and "default" in lst.stdout, "sysroot list shows it")

    # profile sync from a file:// copy of the community repository in ~/Games.
    community_src = os.path.join(games, "community")
    shutil.copytree(os.path.join(src, "profiles"), community_src)
    s = flatpak_run(env, "profile", "sync", "file://" + community_src)
    c.check(s.returncode == 0 and os.path.isfile(os.path.join(data, "community", "index.json")),
            "profile sync inside the sandbox writes ~/.var/app/<id>/data/qemu-lorelei/community")

    with Xvfb() as x:
        xenv = home_env(home, x.display)
        d = flatpak_run(xenv, "doctor", "--json", timeout=600)
        try:
            report = json.loads(d.stdout)
        except ValueError:
            report = None
        rows = report.get("checks", []) if isinstance(report, dict) else []
        failed = [r.get("check") for r in rows if r.get("status") == "fail"]
        c.check(d.returncode == 0 and report is not None, "doctor --json exits 0 inside the sandbox")
        c.check(len(rows) > 10 and not failed, f"doctor: none of its {len(rows)} checks failed "
                f"(failed: {failed})")
        status = {r.get("check"): r.get("status") for r in rows}
        c.check(all(status.get(k) == "ok" for k in ("host SDL2", "host OpenGL", "host Vulkan",
                                                     "display", "qemu version", "sysroots",
                                                     "plugin loads", "filter API", "guest_base 0",
                                                     "thunk sdl2", "thunk gl", "thunk vulkan")),
                "doctor: QEMU with the plugin, SDL2, OpenGL, Vulkan and the X display work "
                "in the sandbox")
        qemu = next((r.get("detail", "") for r in rows if r.get("check") == "qemu"), "")
        c.check(qemu == "/app/libexec/qemu-lorelei/qemu-x86_64",
                f"doctor found the app's own patched QEMU ({qemu})")

        # A game outside what the sandbox sees: the launcher says how to grant it.
        elsewhere = os.path.join(home, "elsewhere")
        os.makedirs(elsewhere)
        first = GUEST_PROGRAMS[0]
        for f in first.files:
            shutil.copy(f, elsewhere)
        game = os.path.join(elsewhere, first.name)
        h = flatpak_run(xenv, "run", game)
        hint = f"flatpak override --user --filesystem={elsewhere} {APP_ID}"
        c.check(h.returncode == 4 and hint in h.stderr,
                "a game outside the sandbox's folders: exit 4 and the `flatpak override` fix")
        o = flatpak(env, "override", "--user", f"--filesystem={elsewhere}", APP_ID)
        r = flatpak_run(xenv, "run", "--verbose", game, timeout=600)
        c.check(o.returncode == 0 and r.returncode == 0 and re.search(first.expect, r.stdout + r.stderr),
                f"after `flatpak override --filesystem` the same game runs ({first.name})")
        c.check(sysroot in r.stderr, "the run used the sysroot made inside the sandbox")

        for g in GUEST_PROGRAMS:
            folder = os.path.join(games, g.name)
            os.makedirs(folder)
            for f in g.files:
                shutil.copy(f, folder)
            run_guest(xenv, g, os.path.join(folder, g.name), work, x)

    # Uninstall: the app goes, its data (sysroots, profiles) stays unless --delete-data.
    u = flatpak(env, "--user", "uninstall", "-y", "--noninteractive", APP_ID)
    c.check(u.returncode == 0 and os.path.isdir(sysroot), "uninstall keeps ~/.var/app/<id> (sysroots)")
    flatpak(env, "--user", "install", "-y", "--noninteractive", "--bundle", bundle, timeout=600)
    # --delete-data also resets the app's permissions in the permission store,
    # over the session bus every desktop session has; here a private one.
    u = run(["dbus-run-session", "--", "flatpak", "--user", "uninstall", "-y", "--noninteractive",
             "--delete-data", APP_ID], env=env)
    c.check(u.returncode == 0 and not os.path.exists(os.path.join(home, ".var", "app", APP_ID)),
            "uninstall --delete-data removes ~/.var/app/<id> too")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    a = ap.parse_args()
    ok, why = bwrap_works()
    if not ok:
        skip(f"skipped: bubblewrap cannot create namespaces here ({why}); flatpak cannot run")
    for tool in ("flatpak", "flatpak-builder", "Xvfb", "debootstrap", "dbus-run-session"):
        c.check(shutil.which(tool) is not None, f"{tool} is installed (scripts/deps.txt)")
    if c.failures:
        c.finish()
    src = os.path.abspath(a.source_root)
    cache = os.path.join(os.environ.get("LORELEI_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qemu-lorelei"), "flatpak")
    os.makedirs(cache, exist_ok=True)
    start = time.monotonic()
    runtime_dir = phase("test runtime (build-test-runtime.sh)", lambda: run(
        [os.path.join(src, "packaging/flatpak/build-test-runtime.sh")], check=True,
        timeout=3600).stdout.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory(prefix="lorelei-flatpak-", dir="/var/tmp") as work:
        os.chmod(work, 0o755)
        repo, build_env = phase("flatpak-builder", build, src, cache, runtime_dir, work)
        phase("install from the repo", install_from_repo, build_env, repo)
        bundle = phase("build-bundle", make_bundle, repo, work, cache)
        phase("bundle in a fresh HOME, run in the sandbox", check_in_sandbox, runtime_dir, bundle,
              work, src)
    print("\ntimings: " + ", ".join(f"{n} {s:.0f} s" for n, s in timings) +
          f"; total {time.monotonic() - start:.0f} s")
    c.finish()


if __name__ == "__main__":
    main()
