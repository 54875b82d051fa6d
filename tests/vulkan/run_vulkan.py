#!/usr/bin/env python3
"""Vulkan end-to-end tests: real programs (vulkaninfo, vkcube, SDL's
testvulkan) and the project's own (vk_procs, vk_offscreen, vk_xlib) natively against
the host loader and under qemu-lorelei against the stub libvulkan.so.1, with
Mesa's lavapipe under Xvfb; each Lorelei run is compared with the native one.

Proof that a Lorelei run went through the stub and the plugin, not the
guest's own loader emulating the driver: the guest's loader is given no
driver (VK_ICD_FILENAMES / VK_DRIVER_FILES point nowhere in the guest's
environment only), so a bypassing run fails; and the plugin's log must say
it loaded the host loader for the stub.

usage: run_vulkan.py CASE --qemu Q --plugin P --preload S --stub-dir D
                     --host-loader L --registry vk.xml [--prog P] [--sdl2-stub-dir D]
                     [--asan-runtime R]
"""
import argparse
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (Checks, add_common_args, check_exports, end_process,  # noqa: E402
                     exported_symbols, from_args, run)
from xvfb import Xvfb, run_x_program  # noqa: E402

VALIDATION_LAYER = "/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json"
NO_GUEST_DRIVER = ["-E", "VK_ICD_FILENAMES=/nonexistent/lorelei-guest-has-no-driver.json",
                   "-E", "VK_DRIVER_FILES=/nonexistent/lorelei-guest-has-no-driver.json"]
LOADED = "vulkan: loaded libvulkan.so.1"

c = Checks()


def unsupported_extensions():
    """[library] unsupported_extensions of the stub's description."""
    import tomllib
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "thunklibs", "vulkan", "vulkan.toml"), "rb") as f:
        return tomllib.load(f)["library"]["unsupported_extensions"]


def native_env(base=None):
    env = dict(base if base is not None else os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("LD_LIBRARY_PATH", None)
    return env


def lorelei(a, argv, env=None, stub_dirs=None, libs=("vulkan",)):
    cmd, lenv = from_args(a).command(argv, libs=list(libs), guest_lib_dirs=stub_dirs or [a.stub_dir],
                                     plugin_args=["verbose=on"], qemu_args=NO_GUEST_DRIVER)
    if env is not None:
        lenv.update({k: v for k, v in env.items() if k in ("DISPLAY",)})
        lenv.pop("WAYLAND_DISPLAY", None)
    return cmd, lenv


def went_through_stub(a, p):
    c.check(LOADED in p.stderr, "the Lorelei run loaded the host loader for the stub "
                                "(plugin log: '" + LOADED + "')")
    from_args(a).check_host(c, p.stderr, "the Lorelei run")


def case_exports(a):
    host = exported_symbols(a.host_loader)
    stub = exported_symbols(os.path.join(a.stub_dir, "libvulkan.so.1"))
    c.check(len(host) >= 200, f"the host loader exports {len(host)} symbols")
    check_exports(c, f"libvulkan.so.1 against {a.host_loader}", stub, host)


def case_procaddr(a):
    root = ET.parse(a.registry).getroot()
    names = sorted({cmd.get("name") or cmd.find("proto/name").text
                    for cmd in root.findall("commands/command")})
    path = os.path.join(os.environ.get("MESON_BUILD_ROOT", "/tmp"), "vk_registry_commands.txt")
    with open(path, "w") as f:
        f.write("\n".join(names) + "\n")
    skip = ",".join(unsupported_extensions())
    n = run([a.prog, path, skip], env=native_env())
    cmd, env = lorelei(a, [a.prog, path, skip])
    l = run(cmd, env=env)
    c.check(n.returncode == 0 and l.returncode == 0, "both runs exit 0")
    went_through_stub(a, l)
    nl, ll = n.stdout.splitlines(), l.stdout.splitlines()
    c.check(len(nl) > len(names), f"the program answered for all {len(names)} registry commands")
    diff = [f"{x}  !=  {y}" for x, y in zip(nl, ll) if x != y]
    c.check(not diff and len(nl) == len(ll),
            "every command: NULL under qemu-lorelei exactly where the host loader says NULL "
            f"({len(diff)} differ{': ' + '; '.join(diff[:10]) if diff else ''})")
    summary = next((x for x in ll if x.startswith("names=")), "")
    m = re.match(r"names=(\d+) global=(\d+) instance=(\d+) device=(\d+)", summary)
    c.check(bool(m) and int(m.group(3)) >= 400 and int(m.group(4)) >= 200,
            f"most commands are reachable ({summary})")
    c.check("answers_outside_the_loader_object=0" in l.stderr,
            "every answer under qemu-lorelei is a function of the stub (no host address)")
    c.check("queue=1 device=llvmpipe" in l.stdout, "calls through looked-up pointers work")


def case_offscreen(a):
    if not c.check(os.path.exists(VALIDATION_LAYER),
                   f"the validation layer is installed ({VALIDATION_LAYER}; "
                   "scripts/install-deps.sh installs vulkan-validationlayers)"):
        return
    for mode in ([], ["validation"]):
        what = "with the validation layer" if mode else "without layers"
        n = run([a.prog, *mode], env=native_env())
        cmd, env = lorelei(a, [a.prog, *mode])
        l = run(cmd, env=env, timeout=300)
        c.check(n.returncode == 0 and l.returncode == 0, f"{what}: both runs exit 0")
        c.check("running under qemu-lorelei" in l.stderr and "running natively" in n.stderr,
                f"{what}: one run native, one under qemu-lorelei")
        went_through_stub(a, l)
        lor = from_args(a)
        nl = lor.host_neutral(n.stdout).splitlines()
        ll = lor.host_neutral(l.stdout).splitlines()
        for i, (x, y) in enumerate(zip(nl, ll)):
            c.check(x == y, f"{what}: line {i + 1}: {x}" + ("" if x == y else f"  !=  {y}"))
        c.check(len(nl) == len(ll) and len(nl) >= 15,
                f"{what}: same number of lines ({len(nl)} vs {len(ll)})")
        for want in ("allocation callbacks used: yes", "during vkCreateInstance: yes",
                     "created messenger: 1 submitted", "from a second thread: 2 submitted",
                     "all_freed=yes foreign_blocks=0", "callbacks_in_wrong_context=0", "reddish=3",
                     "callback strings usable in system calls: yes",
                     *(["reported the invalid buffer: yes"] if mode else [])):
            c.check(want in l.stdout, f"{what}: '{want}'")


def case_vulkaninfo(a):
    with Xvfb() as x:
        env = x.env(native_env())
        n = run_x_program(["vulkaninfo", "--summary"], env)
        cmd, lenv = lorelei(a, ["/usr/bin/vulkaninfo", "--summary"], env=env)
        l = run_x_program(cmd, lenv)
    c.check(n.returncode == 0 and l.returncode == 0, "vulkaninfo --summary exits 0 both ways")
    went_through_stub(a, l)
    # In the aarch64 lane the native run is this x86_64 machine's: the two
    # lavapipes differ in their SIMD width only (host_neutral).
    lor = from_args(a)
    names = [re.findall(r"deviceName\s*=\s*(.*)", lor.host_neutral(p.stdout)) for p in (n, l)]
    c.check(bool(names[0]) and names[0] == names[1],
            f"the same device(s) as natively: {names[0]} vs {names[1]}")
    c.check(any("llvmpipe" in name for name in names[1]),
            f"the device under qemu-lorelei is lavapipe (llvmpipe): {names[1]}")
    for key in ("apiVersion", "driverName", "driverInfo", "deviceUUID"):
        vals = [re.findall(key + r"\s*=\s*(.*)", p.stdout) for p in (n, l)]
        c.check(vals[0] == vals[1], f"{key}: {vals[0]} vs {vals[1]}")
    if a.summary_only:
        return
    # The full report: every property, feature and format query (long pNext
    # chains) and its xlib surfaces must answer as natively, except for the
    # hidden extensions (natively, trying Wayland complains about
    # XDG_RUNTIME_DIR).
    with Xvfb() as x:
        env = x.env(native_env())
        n = run_x_program(["vulkaninfo"], env)
        cmd, lenv = lorelei(a, ["/usr/bin/vulkaninfo"], env=env)
        l = run_x_program(cmd, lenv)
    hidden = unsupported_extensions()

    def comparable(text):
        lines = [line for line in text.splitlines()
                 if not any(h in line for h in hidden) and "XDG_RUNTIME_DIR" not in line
                 and not line.startswith("qemu-lorelei: ")]  # the plugin's own log
        # The instance extension count differs by the hidden extensions.
        return [re.sub(r"^(Instance Extensions: count = )\d+", r"\1N", line) for line in lines]
    nl, ll = comparable(n.stdout + n.stderr), comparable(l.stdout + l.stderr)
    diff = [f"{x!r} != {y!r}" for x, y in zip(nl, ll) if x != y]
    c.check(n.returncode == 0 and l.returncode == 0, "full vulkaninfo exits 0 both ways")
    c.check(len(nl) > 500 and len(nl) == len(ll) and not diff,
            f"full vulkaninfo: the same {len(nl)} lines as natively, but for the hidden "
            f"extensions ({len(ll)} lines; {len(diff)} differ{': ' + '; '.join(diff[:5]) if diff else ''})")


def screenshot_while_running(x, cmd, env, want_colours, timeout=60):
    """Starts an X program, takes screenshots until one shows at least
    want_colours colours (or the time is up), then ends the program.
    Ends it with SIGTERM (SDL turns it into SDL_QUIT). Returns the colours
    of the best screenshot, the exit status and stdout + stderr."""
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    best, deadline = 0, time.monotonic() + timeout
    path = os.path.join(os.environ.get("MESON_BUILD_ROOT", "/tmp"), f"vulkan-{os.getpid()}.png")
    while time.monotonic() < deadline and p.poll() is None and best < want_colours:
        time.sleep(0.5)
        best = max(best, x.screenshot(path))
    out, err, _ = end_process(p)
    print("--- stdout\n" + out[-3000:] + "\n--- stderr\n" + err[-3000:])
    print(f"--- exit status {p.returncode}; best screenshot {best} colours ({path})", flush=True)
    return best, p.returncode, out + err


def case_vkcube(a):
    frames = "300"
    with Xvfb() as x:
        env = x.env(native_env())
        n = run_x_program(["vkcube", "--c", frames], env)
        cmd, lenv = lorelei(a, ["/usr/bin/vkcube", "--c", frames], env=env)
        l = run_x_program(cmd, lenv, timeout=300)
        c.check(n.returncode == 0 and l.returncode == 0, f"vkcube --c {frames} exits 0 both ways")
        went_through_stub(a, l)
        gpu = [re.findall(r"Selected GPU.*", from_args(a).host_neutral(p.stdout + p.stderr))
               for p in (n, l)]
        c.check(bool(gpu[0]) and gpu[0] == gpu[1], f"the same GPU: {gpu[0]} vs {gpu[1]}")
        # A screenshot while it runs: the spinning textured cube, not a blank window.
        colours, _, output = screenshot_while_running(x, cmd[:-1] + ["1000000"], lenv, 200)
        c.check(LOADED in output and colours > 200,
                f"a Lorelei run's window shows the textured cube ({colours} colours)")
        # --validate --force_errors: the validation layer (on the host) reports
        # vkcube's deliberate errors to vkcube's own debug callback (guest code).
        errors = ["--c", "30", "--validate", "--force_errors"]
        n = run_x_program(["vkcube", *errors], env)
        cmd, lenv = lorelei(a, ["/usr/bin/vkcube", *errors], env=env)
        l = run_x_program(cmd, lenv, timeout=300)
        vuids = [sorted(set(re.findall(r"Validation Error: \[ (VUID[^ ]*) \]", p.stdout + p.stderr)))
                 for p in (n, l)]
        c.check(n.returncode == l.returncode, f"vkcube --validate --force_errors: the same exit "
                                              f"status ({n.returncode}, {l.returncode})")
        c.check(bool(vuids[0]) and vuids[0] == vuids[1],
                f"vkcube's debug callback printed the same validation errors: {vuids[0]} vs "
                f"{vuids[1]}")


def case_xlib(a):
    with Xvfb() as x:
        env = x.env(native_env())
        n = run_x_program([a.prog], env)
        cmd, lenv = lorelei(a, [a.prog], env=env)
        l = run_x_program(cmd, lenv)
    c.check(n.returncode == 0 and l.returncode == 0, "both runs exit 0")
    went_through_stub(a, l)
    c.check("guest Display" in l.stderr and "-> host Display" in l.stderr,
            "the guest's Display* was mapped to a host connection")
    nl, ll = n.stdout.splitlines(), l.stdout.splitlines()
    for i, (p, q) in enumerate(zip(nl, ll)):
        c.check(p == q, f"line {i + 1}: {p}" + ("" if p == q else f"  !=  {q}"))
    c.check(len(nl) == len(ll) == 4, f"same number of lines ({len(nl)} vs {len(ll)})")
    c.check("window centre: 4080bf" in l.stdout,
            "the frame presented through the host reached the game's window (0x4080bf)")


TESTVULKAN = "/usr/libexec/installed-tests/SDL2/testvulkan"


def testvulkan(a, stub_dirs, libs):
    with Xvfb() as x:
        env = x.env(native_env())
        env["SDL_VIDEODRIVER"] = "x11"
        cmd, lenv = lorelei(a, [TESTVULKAN], env=env, stub_dirs=stub_dirs, libs=libs)
        lenv["SDL_VIDEODRIVER"] = "x11"
        # testvulkan clears its window to a changing colour until it quits.
        _, nrc, nout = screenshot_while_running(x, [TESTVULKAN], env, 2, timeout=30)
        lcol, lrc, lout = screenshot_while_running(x, cmd, lenv, 2, timeout=60)
    c.check(nrc == 0 and lrc == 0, f"testvulkan exits 0 both ways on SIGTERM ({nrc}, {lrc})")
    c.check(LOADED in lout, "the Lorelei run went through the Vulkan stub")
    fps = [re.findall(r"([\d.]+) frames per second", o) for o in (nout, lout)]
    c.check(bool(fps[1]) and float(fps[1][-1]) > 1, f"it rendered frames ({fps})")
    c.check(lcol >= 2, f"the window is not blank ({lcol} colours)")
    return lout


def case_testvulkan_guest_sdl(a):
    """The guest's own SDL2 (emulated) with Vulkan forwarded: SDL dlopens
    the stub, SDL_Vulkan_GetVkGetInstanceProcAddr returns the stub's export,
    SDL_Vulkan_CreateSurface makes an xlib surface through it."""
    out = testvulkan(a, [a.stub_dir], ("vulkan",))
    c.check("-> host Display" in out, "SDL's Display* was mapped to a host connection")


def case_testvulkan(a):
    """Host SDL2 through the SDL2 stub, Vulkan through this one: the host
    SDL creates the surface for the VkInstance the game got from the stub."""
    stub = os.path.join(a.sdl2_stub_dir, "libSDL2-2.0.so.0")
    if not c.check(os.path.exists(stub), f"the SDL2 stub exists ({stub})"):
        c.finish()
    testvulkan(a, [a.stub_dir, a.sdl2_stub_dir], ("vulkan", "sdl2"))


CASES = {"exports": case_exports, "procaddr": case_procaddr, "offscreen": case_offscreen,
         "xlib": case_xlib, "vulkaninfo": case_vulkaninfo, "vkcube": case_vkcube,
         "testvulkan": case_testvulkan, "testvulkan-guest-sdl": case_testvulkan_guest_sdl}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    add_common_args(ap)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--prog", default="")
    ap.add_argument("--sdl2-stub-dir", required=True)
    ap.add_argument("--host-loader", required=True, help="the host's libvulkan.so.1")
    ap.add_argument("--registry", required=True, help="vk.xml")
    ap.add_argument("--summary-only", action="store_true",
                    help="vulkaninfo: only --summary, not the full report")
    a = ap.parse_args()
    CASES[a.case](a)
    c.finish()


if __name__ == "__main__":
    main()
