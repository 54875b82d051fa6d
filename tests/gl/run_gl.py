#!/usr/bin/env python3
"""Suite gl: real OpenGL/GLX/EGL programs (mesa-utils, glmark2) and a probe
of our own, each run natively and under qemu-x86_64 + the plugin with the
GL stub first in the guest's library path, under a private Xvfb with Mesa's
llvmpipe, and compared.

Every Lorelei run uses the plugin's verbose=on and must show the line the
plugin prints when the guest's libGL stub opens the host's libGL: a run that
bypassed the stubs (the guest's own emulated Mesa, whose llvmpipe also says
"llvmpipe") has no such line and fails. The "bypass" case proves it.

usage: run_gl.py CASE --qemu Q --plugin P --preload S --stub-dir D
                 [--probe PROG] [--summary gl.json] [--asan-runtime R]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (TIME_SCALE, Checks, add_common_args, check_exports,  # noqa: E402
                     exported_symbols, from_args, require_host_gl)
from xvfb import DISPLAY_OPEN_FAILURE, Xvfb, run_x_program  # noqa: E402

c = Checks()
FORWARDED = re.compile(r"qemu-lorelei: gl: loaded libGL\.so\.1, (\d+) of (\d+) functions resolved")
HOST_LIBS = ["libGL.so.1", "libGLX.so.0", "libOpenGL.so.0", "libEGL.so.1", "libGLESv2.so.2",
             "libGLESv1_CM.so.1"]


def lorelei_cmd(a, argv, plugin_args=("verbose=on",), guest_lib_dirs=None):
    dirs = [a.stub_dir] if guest_lib_dirs is None else guest_lib_dirs
    # qemu-x86_64 takes a path, not a name to look up in $PATH.
    argv = [shutil.which(argv[0]) or argv[0]] + list(argv[1:])
    return from_args(a).command(argv, libs=["gl"], guest_lib_dirs=dirs,
                                plugin_args=list(plugin_args))


def native_env(x):
    env = x.env()
    env.pop("LD_PRELOAD", None)
    return env


def run_both(a, x, argv, timeout=180):
    n = run_x_program(argv, native_env(x), timeout=timeout)
    cmd, env = lorelei_cmd(a, argv)
    l = run_x_program(cmd, x.env(env), timeout=timeout)
    return n, l


def check_forwarded(a, stderr, what):
    from_args(a).check_host(c, stderr, what)
    m = FORWARDED.search(stderr)
    c.check(m is not None, f"{what}: the guest went through the GL stub and the plugin "
                           "(the plugin's 'loaded libGL.so.1' line)")
    if m:
        c.check(int(m.group(1)) > 3000, f"{what}: {m.group(1)} of {m.group(2)} host GL functions "
                                        "resolved")


def user_lines(text):
    """Output without the plugin's own verbose lines."""
    return [line for line in text.splitlines() if not line.startswith("qemu-lorelei: ")]


# ---- cases --------------------------------------------------------------------------

def case_probe(a):
    with Xvfb() as x:
        n, l = run_both(a, x, [a.probe])
    c.check(n.returncode == 0 and l.returncode == 0,
            f"both runs exit 0 ({n.returncode}, {l.returncode})")
    check_forwarded(a, l.stderr, "gl_probe")
    nl = [s for s in n.stdout.splitlines() if not s.startswith("info ")]
    ll = [s for s in l.stdout.splitlines() if not s.startswith("info ")]
    c.check(len(nl) > 25 and nl[-1] == "done", f"the probe ran to the end natively ({len(nl)} lines)")
    for i, (x_, y) in enumerate(zip(nl, ll)):
        c.check(x_ == y, f"{x_}" + ("" if x_ == y else f"   !=  {y}"))
    c.check(len(nl) == len(ll), f"same number of lines ({len(nl)} vs {len(ll)})")
    info = dict(s[5:].split("=", 1) for s in l.stdout.splitlines() if s.startswith("info "))
    stub = os.path.realpath(a.stub_dir)
    c.check(info.get("via_lorelei") == "1", "the Lorelei run loaded the stubs")
    c.check("default_handler_installs=0" in l.stdout.splitlines(),
            "handing X errors to the game's handler never installed Xlib's default handler")
    for key in ("procaddr_file", "egl_procaddr_file", "dlsym_file"):
        where = os.path.dirname(os.path.realpath(info.get(key, "")))
        c.check(where == stub, f"{key}: the function found is the guest stub's ({info.get(key)})")
    c.check(info.get("procaddr_unknown") == "(nil)",
            "glXGetProcAddressARB of an unknown name answers NULL")


def case_glxinfo(a):
    with Xvfb() as x:
        n, l = run_both(a, x, ["glxinfo", "-B"])
    c.check(n.returncode == l.returncode,
            f"same exit status ({n.returncode}, {l.returncode})")
    c.check(n.returncode == 0, "glxinfo -B exits 0")
    check_forwarded(a, l.stderr, "glxinfo")
    # In the aarch64 lane the native run is this x86_64 machine's: the two
    # llvmpipes differ in their SIMD width only (host_neutral).
    lor = from_args(a)
    rn = re.search(r"OpenGL renderer string: (.*)", n.stdout)
    rl = re.search(r"OpenGL renderer string: (.*)", l.stdout)
    c.check(rn is not None and "llvmpipe" in rn.group(1),
            f"the native renderer is the host's llvmpipe ({rn and rn.group(1)})")
    c.check(rl is not None and rn is not None and
            lor.host_neutral(rl.group(1)) == lor.host_neutral(rn.group(1)),
            f"the Lorelei run reports the host's renderer ({rl and rl.group(1)})")
    nl, ll = user_lines(lor.host_neutral(n.stdout)), user_lines(lor.host_neutral(l.stdout))
    c.check(nl == ll, "the whole output is the native run's" +
            ("" if nl == ll else f": {set(nl) ^ set(ll)}"))


def case_eglinfo(a):
    with Xvfb() as x:
        n, l = run_both(a, x, ["eglinfo"])
    c.check(n.returncode == l.returncode, f"same exit status ({n.returncode}, {l.returncode})")
    check_forwarded(a, l.stderr, "eglinfo")
    c.check("Surfaceless platform:" in n.stdout and "EGL vendor string: Mesa Project" in n.stdout,
            "eglinfo lists Mesa's platforms natively")
    nl, ll = user_lines(n.stdout), user_lines(l.stdout)
    c.check(len(nl) > 50 and nl == ll, f"the whole output ({len(nl)} lines) is the native run's" +
            ("" if nl == ll else f": differs in {sorted(set(nl) ^ set(ll))[:10]}"))


def start_x_program(cmd, env, out):
    """Popen with the same one retry as run_x_program when the display refused."""
    for attempt in range(1, 4):
        print("$ " + " ".join(cmd), flush=True)
        out.seek(0)
        out.truncate()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        if p.poll() is not None and p.returncode != 0:
            out.seek(0)
            if DISPLAY_OPEN_FAILURE.search(out.read().decode(errors="replace")) and attempt < 3:
                print(f"note: the X server refused the connection (attempt {attempt}); retrying")
                continue
        return p
    return p


def read(out):
    out.seek(0)
    return out.read().decode(errors="replace")


def wait_for(out, pattern, timeout, p):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, read(out))
        if m or p.poll() is not None:
            return m
        time.sleep(0.2)
    return None


def window_of(x, name, timeout=30):
    r = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", name],
                       env=x.env(), capture_output=True, text=True, timeout=timeout)
    ids = r.stdout.split()
    return ids[0] if ids else None


def run_glxgears(a, x, cmd, env, what, shot):
    with tempfile.TemporaryFile() as out:
        p = start_x_program(cmd, env, out)
        try:
            fps = wait_for(out, r"(\d+) frames in ([\d.]+) seconds = +([\d.]+) FPS",
                           60 * TIME_SCALE, p)
            win = window_of(x, "glxgears")
            colours = x.screenshot(shot) if p.poll() is None else 0
            if win:
                subprocess.run(["xdotool", "key", "--window", win, "Escape"], env=x.env(),
                               timeout=30)
            status = p.wait(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        text = read(out)
    print(f"--- {what} output (tail)\n" + text[-1500:])
    c.check(fps is not None, f"{what}: glxgears printed its FPS" +
            (f" ({fps.group(3)} FPS)" if fps else ""))
    c.check(status == 0, f"{what}: Escape ends glxgears with status 0 ({status})")
    c.check(colours > 20, f"{what}: the screenshot shows the gears ({colours} colours, {shot})")
    return text, (float(fps.group(3)) if fps else 0.0)


def case_glxgears(a):
    shots = a.out_dir or tempfile.mkdtemp(prefix="lorelei-gl-")
    with Xvfb() as x:
        nt, nfps = run_glxgears(a, x, ["glxgears", "-info"], native_env(x), "native",
                                os.path.join(shots, "glxgears-native.png"))
        cmd, env = lorelei_cmd(a, ["glxgears", "-info"])
        lt, lfps = run_glxgears(a, x, cmd, x.env(env), "lorelei",
                                os.path.join(shots, "glxgears-lorelei.png"))
    check_forwarded(a, lt, "glxgears")
    lor = from_args(a)
    for key in ("GL_RENDERER", "GL_VERSION", "GL_VENDOR", "GL_EXTENSIONS"):
        rn = re.search(rf"{key} += (.*)", lor.host_neutral(nt))
        rl = re.search(rf"{key} += (.*)", lor.host_neutral(lt))
        c.check(rn is not None and rl is not None and rn.group(1) == rl.group(1),
                f"-info: {key} is the native run's")
    print(f"info: glxgears {nfps:.0f} FPS natively, {lfps:.0f} FPS under Lorelei")


def glmark2_info(text):
    return {k: v.strip() for k, v in re.findall(r"^\s+(GL_\w+):\s+(.*)$", text, re.M)}


def run_glmark2_onscreen(a, x, cmd, env, what, shot):
    with tempfile.TemporaryFile() as out:
        p = start_x_program(cmd, env, out)
        try:
            started = wait_for(out, r"GL_RENDERER", 60, p)
            win = window_of(x, "glmark2") if started else None
            time.sleep(2)
            colours = x.screenshot(shot) if p.poll() is None else 0
            status = p.wait(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        text = read(out)
    print(f"--- {what} on-screen output (tail)\n" + text[-1500:])
    c.check(win is not None and status == 0, f"{what}: glmark2 ran in a window and exited 0 "
                                             f"({status})")
    c.check(colours > 20, f"{what}: the screenshot shows the scene ({colours} colours, {shot})")
    return text


def case_glmark2(a):
    argv = ["glmark2", "--off-screen", "-b", "build:duration=2"]
    with Xvfb() as x:
        n, l = run_both(a, x, argv, timeout=240)
        c.check(n.returncode == 0 and l.returncode == 0,
                f"glmark2 --off-screen exits 0 both ways ({n.returncode}, {l.returncode})")
        check_forwarded(a, l.stderr, "glmark2")
        fps = {}
        for what, p in (("native", n), ("lorelei", l)):
            m = re.search(r"\[build\] duration=2: FPS: (\d+)", p.stdout)
            s = re.search(r"glmark2 Score: (\d+)", p.stdout)
            c.check(m is not None and int(m.group(1)) > 0 and s is not None,
                    f"{what}: the build scene ran and glmark2 scored it "
                    f"({m and m.group(1)} FPS, score {s and s.group(1)})")
            fps[what] = int(m.group(1)) if m else 0
        ni, li = glmark2_info(n.stdout), glmark2_info(l.stdout)
        c.check(ni.get("GL_RENDERER") and ni == li,
                f"the GL strings glmark2 prints are the native run's ({li.get('GL_RENDERER')})")
        print(f"info: glmark2 build {fps['native']} FPS natively, {fps['lorelei']} under Lorelei "
              "(bench/gl measures this properly)")
        shots = a.out_dir or tempfile.mkdtemp(prefix="lorelei-gl-")
        onscreen = ["glmark2", "-s", "320x240", "-b", "build:duration=4"]
        run_glmark2_onscreen(a, x, onscreen, native_env(x), "native",
                             os.path.join(shots, "glmark2-native.png"))
        cmd, env = lorelei_cmd(a, onscreen)
        lt = run_glmark2_onscreen(a, x, cmd, x.env(env), "lorelei",
                                  os.path.join(shots, "glmark2-lorelei.png"))
        check_forwarded(a, lt, "glmark2 on screen")


def case_bypass(a):
    """The checks above fail when the guest does not use the stubs."""
    with Xvfb() as x:
        cmd, env = lorelei_cmd(a, ["glxinfo", "-B"], guest_lib_dirs=[])
        l = run_x_program(cmd, x.env(env), timeout=240)
    r = re.search(r"OpenGL renderer string: (.*)", l.stdout)
    c.check(l.returncode == 0 and r is not None,
            f"glxinfo ran on the guest's own emulated Mesa ({r and r.group(1)})")
    c.check(FORWARDED.search(l.stderr) is None,
            "without the stub folder in the guest's library path the plugin never opens the "
            "host libGL, so the forwarding check would fail")


# How ldconfig -p names each host architecture (a multiarch machine lists
# the libraries of every architecture it has).
LDCONFIG_ARCH = {"x86_64": "x86-64", "aarch64": "AArch64", "riscv64": "riscv"}


def host_library(soname, arch):
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(rf"\s*{re.escape(soname)} \((.*)\) => (.*)", line)
        if m and LDCONFIG_ARCH[arch] in m.group(1):
            return m.group(2)
    # The x86_64 ldconfig of the aarch64 lane's machine leaves the arm64
    # multiarch libraries out of its cache; they are in their Debian folder.
    multiarch = f"/usr/lib/{arch}-linux-gnu/{soname}"
    return multiarch if os.path.exists(multiarch) else None


def case_coverage(a):
    total_missing = 0
    every_host_export = set()
    for soname in HOST_LIBS:
        host = host_library(soname, a.host_arch or os.uname().machine)
        stub = os.path.join(a.stub_dir, soname)
        if not host:
            print(f"note: the host has no {soname}; nothing to compare")
            continue
        c.check(os.path.exists(stub), f"the stub folder has {soname}")
        if not os.path.exists(stub):
            continue
        host_exports = exported_symbols(host)
        every_host_export |= host_exports
        missing = sorted(host_exports - exported_symbols(stub))
        total_missing += len(missing)
        c.check(not missing, f"{soname}: every one of the {len(host_exports)} symbols the host's "
                             f"library exports is exported by the stub" +
                (f"; missing: {', '.join(missing)}" if missing else ""))
    with open(a.summary) as f:
        summary = json.load(f)
    stub = exported_symbols(os.path.join(a.stub_dir, "libGL.so.1"))
    registry = set()
    for xml in ("gl.xml", "glx.xml"):
        text = open(os.path.join(a.registry_dir, xml)).read()
        registry |= set(re.findall(r"<command[^>]*>\s*<proto[^>]*>.*?<name>(\w+)</name>", text, re.S))
    left_out = set(summary.get("unsupported", {}))
    # One file stands for all six libraries: it exports the registry's
    # commands, the API functions of its description (EGL comes from the
    # headers) and what any of the host libraries exports - nothing more.
    check_exports(c, "libGL.so.1 (every GL/GLX command of the registry but the unsupported)",
                  stub, registry - left_out,
                  allowed=registry | set(summary["exports"]) | every_host_export)
    c.check(len(registry) > 3000, f"the registry lists {len(registry)} commands (sanity)")
    for name, why in sorted(summary.get("unsupported", {}).items()):
        print(f"info: unsupported: {name}: {why}")
    print(f"coverage: {total_missing} missing symbol(s)")


CASES = {"probe": case_probe, "glxinfo": case_glxinfo, "eglinfo": case_eglinfo,
         "glxgears": case_glxgears, "glmark2": case_glmark2, "bypass": case_bypass,
         "coverage": case_coverage}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    add_common_args(ap)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--probe")
    ap.add_argument("--summary")
    ap.add_argument("--registry-dir", default="/usr/share/khronos-api")
    ap.add_argument("--out-dir", default="", help="where screenshots go (default: a temp folder)")
    a = ap.parse_args()
    if a.out_dir:
        os.makedirs(a.out_dir, exist_ok=True)
    if a.case != "coverage":
        require_host_gl(a)
    CASES[a.case](a)
    c.finish()


if __name__ == "__main__":
    main()
