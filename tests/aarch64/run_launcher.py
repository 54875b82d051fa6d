#!/usr/bin/env python3
"""The aarch64 lane's launcher tests: qemu-lorelei built for aarch64, run on
this x86_64 machine through qemu-aarch64 (binfmt_misc), the way a user on an
aarch64 host runs it. Nothing is pretended: the launcher finds itself on an
aarch64 host (uname), probes the arm64 host libraries in its own process and
execs the aarch64 qemu-x86_64, which binfmt_misc hands to qemu-aarch64 again.

  doctor  without a sysroot, `doctor` fails exactly the sysroot check (an
          aarch64 host needs an x86_64 one) and the display check; with the
          lane's sysroot and a display every check passes but the GPU
          driver's (llvmpipe: software rendering is a warning); the QEMU,
          plugin and preload shim it found are aarch64 files, and its host
          checks answer from the arm64 libraries
  run     `qemu-lorelei run --verbose --sysroot lane` starts SDL's testgl2:
          it draws, SIGTERM ends it with its FPS and exit status 0, and the
          plugin's log shows the arm64 libSDL2 and libGL it loaded

The lane's sysroot (meson option lane_sysroot, default /: this machine is
x86_64, so its own root serves) is registered in a private data folder as
the sysroot named "lane", as `qemu-lorelei sysroot create` would have left it.

usage: run_launcher.py CASE --launcher L --sysroot DIR --qemu Q --plugin P
                       --preload S [--page-size N]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (TIME_SCALE, Checks, elf_machine, end_process, from_args,  # noqa: E402
                     require_host_gl)
from xvfb import Xvfb, wait_for_drawing  # noqa: E402

TESTGL2 = "/usr/libexec/installed-tests/SDL2/testgl2"
c = Checks()


def private_env(home, sysroot=None, display=None):
    """The launcher's environment: its own config and data folders (no
    user profile or sysroot of this machine leaks in), the lane's sysroot
    registered as 'lane' when given."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "LD_LIBRARY_PATH", "DISPLAY", "WAYLAND_DISPLAY")
           and not k.startswith("LORELEI_")}
    for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache")):
        env[var] = os.path.join(home, sub)
        os.makedirs(env[var], exist_ok=True)
    if sysroot:
        store = os.path.join(env["XDG_DATA_HOME"], "qemu-lorelei", "sysroots")
        os.makedirs(store, exist_ok=True)
        link = os.path.join(store, "lane")
        if not os.path.islink(link):
            os.symlink(os.path.abspath(sysroot), link)
    if display:
        env["DISPLAY"] = display
    env.update({"SDL_AUDIODRIVER": "dummy", "XDG_RUNTIME_DIR": "/tmp"})
    return env


def doctor(a, env):
    cmd = [a.launcher, "doctor", "--json"]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300 * TIME_SCALE)
    print(p.stdout[-4000:] + p.stderr[-2000:])
    try:
        rows = {r["check"]: r for r in json.loads(p.stdout)["checks"]}
    except (ValueError, KeyError) as e:
        c.check(False, f"doctor --json printed its checks ({e})")
        rows = {}
    return p.returncode, rows


def case_doctor(a):
    with tempfile.TemporaryDirectory(prefix="lorelei-lane-") as home:
        status, rows = doctor(a, private_env(home))
        failed = sorted(n for n, r in rows.items() if r["status"] == "fail")
        c.check(status != 0 and failed == ["display", "sysroots"],
                f"without a sysroot and a display exactly those two checks fail ({failed})")
        sysroots = rows.get("sysroots", {}).get("detail", "")
        c.check("aarch64 host needs an x86_64 one" in sysroots,
                f"the launcher knows it runs on an aarch64 host ({sysroots})")
    with tempfile.TemporaryDirectory(prefix="lorelei-lane-") as home, Xvfb() as x:
        status, rows = doctor(a, private_env(home, a.sysroot, x.display))
    not_ok = {n: r["status"] for n, r in rows.items() if r["status"] != "ok"}
    c.check(status == 0 and not_ok == {"GPU driver": "warn"},
            f"with the lane's sysroot and a display every check passes but the GPU driver's "
            f"warning (software rendering): {not_ok}, exit {status}")
    c.check(len(rows) >= 19, f"all {len(rows)} checks ran")
    for name in ("qemu", "plugin", "preload shim"):
        path = rows.get(name, {}).get("detail", "")
        machine = elf_machine(path)
        c.check(machine == "aarch64", f"doctor's {name} is {path}, an {machine} file")
    for name in ("host SDL2", "host OpenGL", "host Vulkan"):
        c.check(rows.get(name, {}).get("status") == "ok",
                f"{name}: {rows.get(name, {}).get('detail')}")
    # The arm64 llvmpipe names a 128-bit (NEON) SIMD width, this machine's
    # x86_64 one 256 bits (AVX2): the probe ran in the aarch64 launcher.
    vk = rows.get("host Vulkan", {}).get("detail", "")
    c.check("128 bits" in vk, f"the host Vulkan check found the arm64 lavapipe ({vk})")


def case_run(a):
    with tempfile.TemporaryDirectory(prefix="lorelei-lane-") as home, Xvfb() as x:
        env = private_env(home, a.sysroot, x.display)
        cmd = [a.launcher, "run", "--verbose", "--sysroot", "lane", TESTGL2]
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, errors="replace")
        colours = wait_for_drawing(x, p, os.path.join(a.out_dir, "launcher-testgl2.png"),
                                   6 * TIME_SCALE, settle=3)
        alive = p.poll() is None
        out, err, killed = end_process(p)
    print("--- stdout\n" + out[-3000:] + "\n--- stderr\n" + err[-5000:])
    c.check(alive and colours > 2,
            f"testgl2 started by the aarch64 launcher draws ({colours} colours) and runs on")
    c.check(not killed and p.returncode == 0 and "frames per second" in out + err,
            f"SIGTERM ends it cleanly with its FPS (status {p.returncode})")
    fps = re.findall(r"([0-9.]+) frames per second", out + err)
    print(f"info: testgl2 through the aarch64 launcher: {fps} fps")
    c.check(re.search(r"qemu-lorelei: sysroot: lane \(.*\)", err) is not None,
            "the launcher used the lane's sysroot")
    c.check("sdl2: loaded libSDL2-2.0.so.0" in err and "gl: loaded libGL.so.1" in err,
            "the game went through the SDL2 and GL stubs")
    from_args(a).check_host(c, err, "testgl2 via qemu-lorelei run", libs=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["doctor", "run"])
    ap.add_argument("--launcher", required=True)
    # What lorelei.check_host() needs; the launcher finds its own parts.
    ap.add_argument("--qemu", default="")
    ap.add_argument("--plugin", default="")
    ap.add_argument("--preload", default="")
    ap.add_argument("--asan-runtime", default="")
    ap.add_argument("--host-arch", default="aarch64")
    ap.add_argument("--page-size", type=int, default=0)
    ap.add_argument("--sysroot", required=True, help="the x86_64 sysroot registered as 'lane'")
    ap.add_argument("--out-dir", default=tempfile.gettempdir())
    ap.add_argument("--host-gl-probe", default="")
    a = ap.parse_args()
    # doctor's host OpenGL check and testgl2 both need the host's GL.
    require_host_gl(a)
    os.makedirs(a.out_dir, exist_ok=True)
    {"doctor": case_doctor, "run": case_run}[a.case](a)
    c.finish()


if __name__ == "__main__":
    main()
