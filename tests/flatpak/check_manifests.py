#!/usr/bin/env python3
"""Static checks of packaging/flatpak (fast, no sandbox needed):

  * the test manifest is the distributable one with only the runtime/SDK ids
    changed, and those are the ones build-test-runtime.sh builds;
  * the QEMU module is build-qemu.sh's build: same Debian version, same
    configure flags, same patch series in the same order;
  * the SDL2 source for the guest stub is Debian's, of the installed SDL2;
  * every permission (finish-arg) has its reason in packaging/flatpak/README.md;
  * the desktop file, icon and metainfo agree with the manifest, and
    `appstreamcli validate` finds no error, warning or info in the metainfo.

usage: check_manifests.py SOURCE_ROOT
"""
import configparser
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks  # noqa: E402

APP_ID = "io.github.qemu_lorelei.QemuLorelei"
RUNTIME_KEYS = ("runtime", "runtime-version", "sdk")
c = Checks()


def bash_value(script, name):
    """A readonly scalar or array assigned in a bash script, as a list of words."""
    m = re.search(rf"^readonly {name}=(\((?:[^)]*)\)|\S+)", script, re.M)
    if not m:
        return None
    v = m.group(1)
    return shlex.split(v[1:-1] if v.startswith("(") else v)


def module(manifest, name):
    return next((m for m in manifest["modules"] if m.get("name") == name), None)


def main():
    top = sys.argv[1]
    fp = os.path.join(top, "packaging", "flatpak")
    dist = json.load(open(os.path.join(fp, f"{APP_ID}.json")))
    test = json.load(open(os.path.join(fp, f"{APP_ID}.test.json")))

    # --- test manifest = distributable manifest but for the runtime ids
    strip = lambda m: {k: v for k, v in m.items() if k not in RUNTIME_KEYS}  # noqa: E731
    c.check(strip(dist) == strip(test), "the test manifest differs from the distributable one "
            "only in runtime, runtime-version and sdk")
    rt = open(os.path.join(fp, "build-test-runtime.sh")).read()
    platform, sdk, branch = (bash_value(rt, n)[0] for n in ("PLATFORM_ID", "SDK_ID", "BRANCH"))
    c.check((test["runtime"], test["sdk"], test["runtime-version"]) == (platform, sdk, branch),
            f"the test manifest names the runtime build-test-runtime.sh builds ({platform}//{branch})")
    c.check((dist["runtime"], dist["sdk"]) == ("org.freedesktop.Platform", "org.freedesktop.Sdk")
            and re.fullmatch(r"\d\d\.08", dist["runtime-version"]) is not None,
            f"the distributable manifest uses org.freedesktop.Platform/Sdk {dist['runtime-version']}")
    c.check(dist.get("app-id") == APP_ID and dist.get("command") == "qemu-lorelei",
            "app id and command")

    # --- the test Sdk has what the project builds with
    deps = open(os.path.join(top, "scripts", "deps.txt")).read()
    section = deps.split("# host libraries the plugin and launcher use\n", 1)[1].split("\n\n", 1)[0]
    wanted = [l.split("#")[0].strip() for l in section.splitlines() if l.split("#")[0].strip()]
    sdk_pkgs = bash_value(rt, "SDK_PKGS")
    c.check(len(wanted) > 5 and not set(wanted) - set(sdk_pkgs),
            f"the test Sdk has every library of scripts/deps.txt (missing: {sorted(set(wanted) - set(sdk_pkgs))})")
    for p in ("gcc", "ninja-build", "pkg-config", "python3-clang-14"):
        c.check(p in sdk_pkgs, f"the test Sdk has {p}")

    # --- the QEMU module is build-qemu.sh's build
    bq = open(os.path.join(top, "packaging", "qemu", "build-qemu.sh")).read()
    pinned = bash_value(bq, "PINNED_VERSION")[0].split(":", 1)[-1]
    flags = bash_value(bq, "CONFIGURE_FLAGS")
    qemu = module(dist, "qemu")
    urls = [s.get("url", "") for s in qemu["sources"]]
    upstream = pinned.rsplit("-", 1)[0]
    c.check(any(u.endswith(f"/qemu_{upstream}.orig.tar.xz") for u in urls) and
            any(u.endswith(f"/qemu_{pinned}.debian.tar.xz") for u in urls),
            f"QEMU sources are Debian's {pinned}, the version build-qemu.sh pins")
    configure = next((cmd for cmd in qemu["build-commands"] if "configure" in cmd), "")
    words = shlex.split(configure.split("../configure", 1)[-1])
    c.check([w for w in words if not w.startswith("--prefix=")] == flags,
            "QEMU is configured with build-qemu.sh's CONFIGURE_FLAGS, in order")
    def series_file(name):
        return [l.strip() for l in open(os.path.join(top, "packaging", "qemu", "patches", name))
                if l.strip() and not l.startswith("#")]

    def patches_for(arches):
        return [os.path.basename(p) for s in qemu["sources"] if s.get("type") == "patch"
                and s.get("only-arches") == arches for p in s.get("paths", [s.get("path")])]
    patches = patches_for(None)
    c.check(patches == series_file("series"),
            f"the manifest applies packaging/qemu/patches/series in order ({patches})")
    # build-qemu.sh adds patches/series.<host> for that host: only-arches.
    hosts = sorted(os.path.basename(f).split(".", 1)[1] for f in
                   glob.glob(os.path.join(top, "packaging", "qemu", "patches", "series.*")))
    c.check("aarch64" in hosts and "x86_64" in hosts, f"per-host patch series found ({hosts})")
    for arch in hosts:
        extra = patches_for([arch])
        c.check(extra == series_file("series." + arch),
                f"and for {arch} only (only-arches) patches/series.{arch} ({extra})")
    c.check(any(s.get("type") == "shell" and "debian/patches/series" in " ".join(s["commands"])
                for s in qemu["sources"]), "Debian's own patches are applied first, as dpkg-source does")
    c.check(all(s.get("sha256") for s in qemu["sources"] if "url" in s), "every download has a sha256")

    # --- the SDL2 source the guest stub compiles parts of (packaging/sdl2)
    lorelei = module(dist, "qemu-lorelei")
    sdl = [s for s in lorelei["sources"] if "/libsdl2/" in s.get("url", "")]
    installed = subprocess.run(["dpkg-query", "-W", "-f=${source:Version}",
                                "libsdl2-dev:" + subprocess.run(["dpkg", "--print-architecture"],
                                capture_output=True, text=True).stdout.strip()],
                               capture_output=True, text=True).stdout.strip()
    sdl_upstream = installed.split(":", 1)[-1].rsplit("-", 1)[0]
    c.check(any(s["url"].endswith(f"/libsdl2_{sdl_upstream}.orig.tar.gz") for s in sdl) and
            any(s["url"].endswith(f"/libsdl2_{installed}.debian.tar.xz") for s in sdl),
            f"the SDL2 source is Debian's libsdl2 {installed}, the installed libsdl2-dev's "
            "(the test Sdk's release)")
    c.check(all(s.get("dest") == "sdl2-source" and s.get("sha256") for s in sdl) and
            "-Dsdl2_source_dir=sdl2-source" in lorelei["config-opts"],
            "it is unpacked into sdl2-source/, with a sha256, and meson is pointed at it")
    c.check(any(s.get("type") == "shell" and "cd sdl2-source" in " ".join(s["commands"]) and
                "debian/patches/series" in " ".join(s["commands"]) for s in lorelei["sources"]),
            "Debian's SDL2 patches are applied, as dpkg-source does")

    # --- every permission is explained
    readme = open(os.path.join(fp, "README.md")).read()
    for arg in dist["finish-args"]:
        c.check(f"`{arg}`" in readme, f"README.md explains {arg}")

    # --- desktop file, icon, metainfo
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read(os.path.join(fp, f"{APP_ID}.desktop"))
    entry = desktop["Desktop Entry"]
    c.check(entry.get("Icon") == APP_ID and entry.get("Exec", "").split()[0] == dist["command"]
            and entry.get("Type") == "Application", "the desktop file runs the command, names the icon")
    svg = ET.parse(os.path.join(fp, f"{APP_ID}.svg")).getroot()
    c.check(svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 128 128", "the icon is a square SVG")
    meta = ET.parse(os.path.join(fp, f"{APP_ID}.metainfo.xml")).getroot()
    c.check(meta.findtext("id") == APP_ID and meta.findtext("launchable") == f"{APP_ID}.desktop",
            "the metainfo names the app id and the desktop file")
    p = subprocess.run(["appstreamcli", "validate", "--no-net", "--explain",
                        os.path.join(fp, f"{APP_ID}.metainfo.xml")], capture_output=True, text=True)
    print(p.stdout + p.stderr)
    issues = re.findall(r"^([EWI]): ", p.stdout, re.M)
    c.check(p.returncode == 0 and not issues,
            f"appstreamcli validate: no errors, warnings or infos ({len(issues)})")
    c.finish()


if __name__ == "__main__":
    main()
