#!/usr/bin/env python3
"""Outside the Flatpak: the desktop file, icon and metainfo meson installs
(the packaging/flatpak files themselves), `run --error-dialog` (what a
desktop entry runs) showing a failure through a fake zenity, kdialog,
xmessage, notify-send or xdg-open — in that order, nothing on success or
when stopped by the user — and `paths`."""
import filecmp
import json
import os
import subprocess

from run_test import Setup, needs_x86_64_guest_runs
from testlib import check, check_in, check_not_in, make_elf, run_main

APP_ID = "io.github.qemu_lorelei.QemuLorelei"
TOOLS = ["zenity", "kdialog", "xmessage", "notify-send", "xdg-open"]


def fake_tools(s, names, status=0):
    """Tools that record their arguments, one per line, in calls/NAME."""
    bindir = s.path("fakebin-" + "-".join(names))
    os.makedirs(bindir, exist_ok=True)
    os.makedirs(s.path("calls"), exist_ok=True)
    for n in names:
        with open(os.path.join(bindir, n), "w") as f:
            f.write(f"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n--\\n' \"$a\"; done "
                    f"> {s.path('calls', n)}\nexit {status}\n")
        os.chmod(os.path.join(bindir, n), 0o755)
    return bindir


def calls(s, name):
    p = s.path("calls", name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        out = f.read().split("\n--\n")
    os.unlink(p)
    return out[:-1]


def dialog_env(s, t, tools, display=True):
    env = dict(t.env) if t else {}
    env.update(PATH=fake_tools(s, tools), XDG_STATE_HOME=s.path("state"),
               DISPLAY=":77" if display else None, WAYLAND_DISPLAY=None)
    return env


def error_dialog_launcher_error(s):
    env = dialog_env(s, None, TOOLS)
    s.error(4, ["game './missing' not found"], "run", "--error-dialog", "./missing", env=env)
    args = calls(s, "zenity")
    check(args is not None, "zenity was not called")
    check(args[:5] == ["--error", "--no-markup", "--width=640", "--title",
                       "qemu-lorelei: cannot start missing"], args)
    text = args[args.index("--text") + 1]
    check_in("error: game './missing' not found", text)
    check_in("The log: " + s.path("state", "qemu-lorelei", "logs"), text)
    for other in TOOLS[1:]:
        check(calls(s, other) is None, f"{other} called as well")


def error_dialog_game_failure(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    env = dialog_env(s, t, TOOLS)
    p = s.run("run", "--error-dialog", t.game, "--exit=3", env=env)
    check(p.returncode == 3, f"exit status {p.returncode}: {p.stderr}")
    args = calls(s, "zenity")
    check(args is not None, "no dialog for a failed game")
    text = args[args.index("--text") + 1]
    check_in(t.game + ": it ended with exit status 3.", text)
    logs = sorted(os.listdir(s.path("state", "qemu-lorelei", "logs")))
    with open(s.path("state", "qemu-lorelei", "logs", logs[-1])) as f:
        output = f.read().split("----- output of QEMU and the game -----\n")[1]
    last = output.split("----- exit status")[0].strip().splitlines()[-1]
    check_in(last + "\n", text)                          # the last lines of its output
    check_in("The whole log: " + s.path("state", "qemu-lorelei", "logs"), text)
    # A clean exit, or a stop asked by the user, shows nothing.
    for args_, status in [(["--exit=0"], 0), (["--kill=15"], -15), (["--kill=2"], -2)]:
        p = s.run("run", "--error-dialog", t.game, *args_, env=env)
        check(p.returncode == status, f"{args_}: {p.returncode}")
        check(calls(s, "zenity") is None, f"a dialog for {args_}")
    p = s.run("run", "--error-dialog", t.game, "--kill=11", env=env)
    check(p.returncode == -11, p.returncode)
    text = calls(s, "zenity")
    check(text is not None and "killed by signal 11" in "".join(text), text)


def error_dialog_fallbacks(s):
    game_missing = ["run", "--error-dialog", "./missing"]
    for tool, first in [("kdialog", ["--title", "qemu-lorelei: cannot start missing", "--error"]),
                        ("xmessage", ["-center", "-title"]),
                        ("notify-send", ["--urgency=critical", "--app-name=qemu-lorelei"])]:
        s.error(4, ["not found"], *game_missing, env=dialog_env(s, None, [tool]))
        args = calls(s, tool)
        check(args is not None and args[:len(first)] == first, f"{tool}: {args}")
        check("not found" in args[-1], args)
    # xdg-open gets the log to show.
    s.error(4, ["not found"], *game_missing, env=dialog_env(s, None, ["xdg-open"]))
    args = calls(s, "xdg-open")
    check(args is not None and args[0].startswith(s.path("state", "qemu-lorelei", "logs")) and
          args[0].endswith(".log"), args)
    # A tool that cannot show it (here: exit 255) passes on to the next one.
    bindir = fake_tools(s, ["zenity"], status=255)
    env = dialog_env(s, None, ["kdialog"])
    env["PATH"] = bindir + ":" + env["PATH"]
    s.error(4, ["not found"], *game_missing, env=env)
    check(calls(s, "zenity") is not None, "zenity was not tried first")
    check(calls(s, "kdialog") is not None, "kdialog did not take over")
    # None at all: stderr says so, with the log.
    p = s.error(4, ["not found"], *game_missing, env=dialog_env(s, None, []))
    check_in("no dialog tool (zenity, kdialog, xmessage, notify-send, xdg-open) could show this; "
             "the log: " + s.path("state", "qemu-lorelei", "logs"), p.stderr)
    # Without a display nothing graphical is tried.
    s.error(4, ["not found"], *game_missing, env=dialog_env(s, None, TOOLS, display=False))
    check(all(calls(s, t) is None for t in TOOLS), "a tool was called without a display")


def installed_files(s):
    build, root = s.opts.build_root, s.opts.source_root
    dest = s.path("destdir")
    p = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild",
                        "--quiet"], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, p.stdout + p.stderr)
    prefix = subprocess.run(["meson", "introspect", build, "--buildoptions"], capture_output=True,
                            text=True, check=True).stdout
    opts = {o["name"]: o["value"] for o in json.loads(prefix)}
    share = dest + os.path.join(opts["prefix"], opts["datadir"])
    flatpak = os.path.join(root, "packaging", "flatpak")
    for installed, source in [
            (f"applications/{APP_ID}.desktop", f"{APP_ID}.desktop"),
            (f"icons/hicolor/scalable/apps/{APP_ID}.svg", f"{APP_ID}.svg"),
            (f"metainfo/{APP_ID}.metainfo.xml", f"{APP_ID}.metainfo.xml")]:
        path = os.path.join(share, installed)
        check(os.path.exists(path), f"not installed: {path}")
        check(filecmp.cmp(path, os.path.join(flatpak, source), shallow=False), f"{path} differs")
    for comp in ["bash-completion/completions/qemu-lorelei", "zsh/site-functions/_qemu-lorelei",
                 "fish/vendor_completions.d/qemu-lorelei.fish"]:
        check(os.path.exists(os.path.join(share, comp)), f"not installed: {comp}")
    binfmt = dest + os.path.join(opts["prefix"], opts["libexecdir"], "qemu-lorelei",
                                 "qemu-lorelei-binfmt")
    check(os.path.islink(binfmt), f"not installed: {binfmt}")
    with open(os.path.join(flatpak, f"{APP_ID}.desktop")) as f:
        desktop = f.read()
    check_in("Exec=qemu-lorelei run --error-dialog %f\n", desktop)
    check_in("Terminal=false\n", desktop)


def paths(s):
    game = make_elf(s.path("game"))
    s.ok("add", "--id", "g1", game)
    os.makedirs(os.path.join(s.data, "sysroots", "r", "usr"))
    with open(os.path.join(s.data, "sysroots", "r", "usr", "big"), "wb") as f:
        f.write(b"x" * 300000)
    doc = s.json("paths", "--json")
    kinds = {f["kind"]: f for f in doc["folders"]}
    check(sorted(kinds) == ["cache", "config", "data", "state"], kinds)
    check(kinds["data"]["path"] == s.data and kinds["data"]["bytes"] >= 300000, kinds["data"])
    check(kinds["config"]["exists"] and kinds["config"]["path"] ==
          s.path("config", "qemu-lorelei"), kinds["config"])
    check(kinds["state"]["exists"] is False, kinds["state"])
    check(doc["desktop_entries"] == [s.path("data", "applications", "qemu-lorelei-g1.desktop")],
          doc)
    p = s.ok("paths")
    check_in("data    29", p.stdout)  # 293 KiB, human-readable
    check_in("desktop entries of your games: 1", p.stdout)


CASES = {f.__name__: f for f in [error_dialog_launcher_error, error_dialog_game_failure,
                                 error_dialog_fallbacks, installed_files, paths]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib",
                     "stub-vorbisfile", "castcache", "source-root", "build-root"])
