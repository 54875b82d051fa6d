#!/usr/bin/env python3
"""The aarch64 lane's leak check: nothing of this x86_64 machine reaches the
x86_64 guest. On an aarch64 host there is no x86_64 root, so a file the
guest maps that does not come from the sysroot (QEMU's -L falls back to the
host's own path when the sysroot lacks it) would be a file this lane
borrows from the machine it runs on and a real host does not have.

guest_maps (an x86_64 program linked like a game: the SDL2, GL and Vulkan
stubs, libX11, libm, libz, libstdc++) runs under the aarch64 qemu-x86_64 with
the plugin and --sysroot, makes an OpenGL context on a private Xvfb and a
Vulkan instance, and prints its /proc/self/maps, where QEMU shows the host
path of each mapped file. Checked:
  - every mapped file comes from the sysroot or the stubs' and the
    program's folders (each leaked one is listed); a sysroot that is this
    machine's own root (lane_sysroot=/) proves nothing and fails;
  - the guest's loader, libc, libm, libX11, libz and libstdc++ were mapped
    from the sysroot, the SDL2, GL and Vulkan stubs from their folders (so
    the check saw the files it is about);
  - the plugin and the host libraries it loaded are aarch64 builds.
Before that, the classification itself is checked on a made-up maps text
with a host path in it (it must be flagged), so the check cannot silently
accept everything.

usage: run_sysroot_leaks.py --prog guest_maps --stub-dir DIR... --sysroot S
                            --qemu Q --plugin P --preload L --host-arch aarch64
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (Checks, add_common_args, from_args, leaked_files,  # noqa: E402
                     mapped_files, require_host_gl)
from xvfb import Xvfb, run_x_program  # noqa: E402

c = Checks()
# What must have been mapped from the sysroot: the loader and the libraries
# the program links that are not forwarded.
FROM_SYSROOT = ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libX11.so.6", "libz.so.1",
                "libstdc++.so.6"]
FROM_STUBS = ["libSDL2-2.0.so.0", "libGL.so.1", "libvulkan.so.1"]


def self_check():
    """The classification on a made-up maps text: a sysroot file, a stub,
    a device, anonymous memory, and two of the host's own files (one
    through /lib, one through /usr/lib) that must be flagged."""
    sysroot, stubs, lib = "/srv/lane-root", "/srv/build/thunklibs/gl", "lib/x86_64-linux-gnu"
    maps = "\n".join([
        f"7f0000000000-7f0000001000 r--p 00000000 08:01 11 {sysroot}/usr/{lib}/libc.so.6",
        f"7f0000001000-7f0000002000 r-xp 00001000 08:01 12    {stubs}/libGL.so.1",
        f"7f0000002000-7f0000003000 r--p 00000000 08:01 13    /usr/{lib}/libX11.so.6",
        f"7f0000003000-7f0000004000 r--p 00000000 08:01 14    /{lib}/libxcb.so.1 (deleted)",
        "7f0000004000-7f0000005000 rw-s 00000000 00:05 15    /dev/zero (deleted)",
        "7f0000005000-7f0000006000 rw-p 00000000 00:00 0     [heap]",
    ]) + "\n"
    got = sorted(p for p, _ in leaked_files(maps, sysroot, [stubs]))
    c.check(got == ["/lib/x86_64-linux-gnu/libxcb.so.1", "/usr/lib/x86_64-linux-gnu/libX11.so.6"],
            f"self-check: a made-up maps text's two host files are flagged, the sysroot's, the "
            f"stub's and the device are not ({got})")
    got = sorted(p for p, _ in leaked_files(maps, "/", [stubs]))
    c.check(len(got) == 3 and f"{sysroot}/usr/lib/x86_64-linux-gnu/libc.so.6" in got,
            f"self-check: with this machine's root as the sysroot every non-stub file is flagged "
            f"({got})")


def main():
    ap = argparse.ArgumentParser()
    add_common_args(ap)
    ap.add_argument("--prog", required=True, help="guest_maps")
    ap.add_argument("--stub-dir", action="append", required=True,
                    help="a folder of forwarded stubs (the guest's library path)")
    ap.add_argument("--project-lib-dir", action="append", default=[],
                    help="a folder of the project's other guest libraries (its runtime, "
                         "which the stubs load through their RUNPATH)")
    a = ap.parse_args()
    self_check()
    if not a.sysroot:
        c.check(False, "the lane gives a sysroot (--sysroot; meson option lane_sysroot)")
        c.finish()
    require_host_gl(a)
    lorelei = from_args(a)
    prog = os.path.abspath(a.prog)
    with Xvfb() as x:
        cmd, env = lorelei.command([prog], libs=["sdl2", "gl", "vulkan"],
                                   guest_lib_dirs=a.stub_dir, plugin_args=["verbose=on"])
        # The locale a CI machine or a desktop has; its files are mapped.
        env.update({"SDL_AUDIODRIVER": "dummy", "LANG": "C.UTF-8"})
        env.pop("LC_ALL", None)
        p = run_x_program(cmd, x.env(env), timeout=300)
    c.check(p.returncode == 0, f"guest_maps made a GL context and a Vulkan instance "
                               f"(exit status {p.returncode})")
    out = p.stdout
    maps = out.split("--- maps\n", 1)[1].split("--- end", 1)[0] if "--- maps\n" in out else ""
    files = mapped_files(maps)
    c.check(len(files) >= len(FROM_SYSROOT) + len(FROM_STUBS),
            f"the guest printed its maps: {len(files)} mapped files")
    allowed = a.stub_dir + a.project_lib_dir + [os.path.dirname(prog)]
    leaks = leaked_files(maps, a.sysroot, allowed)
    for path, why in leaks:
        print(f"leaked: {path} ({why})")
    c.check(not leaks, f"every file the guest mapped came from the sysroot {a.sysroot} or the "
                       f"project's folders (stubs, guest runtime, program): {len(leaks)} leaked" +
                       (": " + ", ".join(p for p, _ in leaks) if leaks else ""))
    root = os.path.realpath(a.sysroot)

    def mapped(lib):
        # The kernel names the file a link pointed to: libX11.so.6.4.0.
        return next((f for f in files if os.path.basename(f) == lib or
                     os.path.basename(f).startswith(lib + ".")), "not mapped")

    for lib in FROM_SYSROOT:
        path = mapped(lib)
        c.check(root != "/" and path.startswith(root + "/"),
                f"{lib} came from the sysroot: {path}")
    stub_dirs = [os.path.realpath(d) for d in a.stub_dir]
    for lib in FROM_STUBS:
        path = mapped(lib)
        c.check(os.path.dirname(path) in stub_dirs, f"{lib} is the project's stub: {path}")
    lorelei.check_host(c, p.stderr, "guest_maps", libs=3)
    c.finish()


if __name__ == "__main__":
    main()
