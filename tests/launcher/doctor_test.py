#!/usr/bin/env python3
"""qemu-lorelei doctor: the table, the JSON, and a fix for every failed
check. The plugin check runs GUESTLIBS/bin/lorelei-probe under QEMU the way
`run` would; until the real probe exists, fake_probe.c stands in (its output
is steered with FAKE_PROBE_OUTPUT/FAKE_PROBE_EXIT), with the real patched
QEMU and the test plugin, or with a fake QEMU for what a real one cannot be
made to do (lack the filter API)."""
import json
import os
import shutil
import subprocess
import time

from testlib import Skip, check, check_in, make_elf, run_main, tar_bytes

STUBS = {"sdl2": "libSDL2-2.0.so.0", "gl": "libGL.so.1", "vulkan": "libvulkan.so.1",
         "openal": "libopenal.so.1", "zlib": "libz.so.1", "vorbisfile": "libvorbisfile.so.3"}
OK_PROBE = ('{"abi":1,"guest_base_ok":true,"libs":{"sdl2":"ok","gl":"ok","vulkan":"ok",'
            '"openal":"ok","zlib":"ok","vorbisfile":"ok"}}')


def elf_header(machine):
    """An ELF header for another architecture (64-bit, little endian)."""
    h = bytearray(64)
    h[0:4] = b"\x7fELF"
    h[4], h[5], h[6] = 2, 1, 1
    h[16:18] = (3).to_bytes(2, "little")
    h[18:20] = machine.to_bytes(2, "little")
    return bytes(h)


def setup(s):
    o = s.opts
    guest = s.path("guestlibs")
    for lib, soname in STUBS.items():
        os.makedirs(os.path.join(guest, lib))
        shutil.copy(getattr(o, "stub_" + lib), os.path.join(guest, lib, soname))
    os.makedirs(os.path.join(guest, "castcache"))
    shutil.copy(o.castcache, os.path.join(guest, "castcache", "liblorelei-castcache.so"))
    os.makedirs(os.path.join(guest, "bin"))
    shutil.copy(o.probe, os.path.join(guest, "bin", "lorelei-probe"))
    return {"LORELEI_QEMU": o.qemu, "LORELEI_PLUGIN": o.plugin, "LORELEI_PRELOAD": o.preload,
            "LORELEI_GUESTLIBS": guest, "DISPLAY": None, "WAYLAND_DISPLAY": None}


def doctor(s, env, expect_status, xvfb=False):
    """Runs doctor --json; returns {check: row}. Retries once when Xvfb could
    not be reached (Xvfb now and then refuses a connection: docs/architecture.md)."""
    for attempt in range(2):
        e = dict(s.env)
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        cmd = [s.cli, "doctor", "--json"]
        if xvfb:
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 640x480x24"] + cmd
        p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=240)
        rows = {r["check"]: r for r in json.loads(p.stdout)["checks"]}
        if xvfb and rows["display"]["status"] != "ok" and attempt == 0:
            print("retrying: Xvfb refused the connection")
            continue
        break
    check(p.returncode == expect_status,
          f"doctor exited {p.returncode}, expected {expect_status}:\n{p.stdout}\n{p.stderr}")
    failed = [r for r in rows.values() if r["status"] == "fail"]
    for r in failed:
        check(r["fix"], f"failed check {r['check']} has no fix")
    if failed:
        check_in(f"error: {len(failed)} of {len(rows)} checks failed", p.stderr)
    return rows


def expect_row(rows, name, status, *needles):
    r = rows[name]
    check(r["status"] == status, f"{name}: {r}")
    for n in needles:
        check_in(n, r["detail"] + " | fix: " + str(r["fix"]), name)


def all_ok(s):
    env = setup(s)
    rows = doctor(s, env, 0, xvfb=True)
    expect_row(rows, "qemu", "ok", s.opts.qemu)
    expect_row(rows, "qemu version", "ok", "QEMU ")
    expect_row(rows, "page size", "ok", "4 KiB, as the x86_64 guest's")
    expect_row(rows, "address space", "ok", "-bit user address space", "as large as x86_64's")
    expect_row(rows, "plugin", "ok", s.opts.plugin)
    expect_row(rows, "preload shim", "ok", s.opts.preload)
    expect_row(rows, "guest library set", "ok")
    expect_row(rows, "plugin loads", "ok", "QEMU loaded " + s.opts.plugin)
    expect_row(rows, "filter API", "ok", "ABI 1")
    expect_row(rows, "guest_base 0", "ok")
    for lib in STUBS:
        expect_row(rows, "thunk " + lib, "ok")
    expect_row(rows, "host SDL2", "ok", "libSDL2-2.0.so.0 2.")
    expect_row(rows, "host OpenGL", "ok", "Mesa")
    expect_row(rows, "host Vulkan", "ok", "loader 1.")
    expect_row(rows, "host OpenAL", "ok", "libopenal.so.1, OpenAL Soft 1.")
    expect_row(rows, "host zlib", "ok", "libz.so.1, zlib 1.")
    expect_row(rows, "host vorbisfile", "ok", "libvorbisfile.so.3, /", "libVorbis 1.")
    check(rows["GPU driver"]["status"] in ("ok", "warn"), rows["GPU driver"])
    expect_row(rows, "display", "ok", "X11 :")
    expect_row(rows, "sysroots", "ok")
    expect_row(rows, "SDL 1.2 games", "ok", "sdl12-compat",
               "/usr/lib/x86_64-linux-gnu/sdl12-compat/libSDL-1.2.so.0")
    expect_row(rows, "profiles", "ok")
    # The table shows the same, with the fixes under it.
    p = s.run("doctor", env={**env, "DISPLAY": None})
    check(p.returncode == 6, p.stderr)
    check_in("CHECK              STATUS DETAILS", p.stdout)
    check_in("display            FAIL   neither DISPLAY nor WAYLAND_DISPLAY is set", p.stdout)
    check_in("To fix:\n", p.stdout)
    check_in("  display          start games from a desktop session", p.stdout)
    check_in("error: 1 of ", p.stderr)
    check_in("fix: follow the fixes listed above", p.stderr)


def probe_reports_problems(s):
    env = setup(s)
    env["FAKE_PROBE_OUTPUT"] = ('{"abi":1,"guest_base_ok":false,"libs":{"sdl2":"ok","gl":"ok",'
                                '"vulkan":"unavailable: no ICD"}}')
    rows = doctor(s, env, 6)
    expect_row(rows, "plugin loads", "ok")
    expect_row(rows, "guest_base 0", "fail", "did not place the guest at guest_base 0",
               "QEMU_GUEST_BASE")
    expect_row(rows, "thunk vulkan", "fail", "unavailable: no ICD", "--no-thunk vulkan")
    expect_row(rows, "thunk gl", "ok")
    # On a host with a smaller address space, the fix points at it too.
    rows = doctor(s, {**env, "LORELEI_HOST_VA_BITS": "39"}, 6)
    expect_row(rows, "guest_base 0", "fail", "beyond this host's smaller address space",
               "see 'address space'")
    env["FAKE_PROBE_OUTPUT"] = '{"abi":2,"guest_base_ok":true,"libs":{}}'
    rows = doctor(s, env, 6)
    expect_row(rows, "filter API", "fail", "the probe speaks ABI 2, this launcher expects 1",
               "same version")
    env["FAKE_PROBE_OUTPUT"] = OK_PROBE
    env["FAKE_PROBE_EXIT"] = "3"
    rows = doctor(s, env, 6)
    expect_row(rows, "filter API", "fail", "the handshake failed")
    env["FAKE_PROBE_OUTPUT"] = "lorelei: HELLO refused"
    rows = doctor(s, env, 6)
    expect_row(rows, "plugin loads", "fail", "printed no JSON (exit status 3)",
               "qemu-lorelei run --verbose")
    expect_row(rows, "filter API", "skip")


def host_memory_layout(s):
    """A 16 KiB-page host with a 39-bit address space (Raspberry Pi 5's
    default kernel; Apple Silicon has the pages), presented through the
    overrides: both rows warn and say what to do, and nothing fails."""
    env = setup(s)
    env.update({"LORELEI_HOST_PAGE_SIZE": "16384", "LORELEI_HOST_VA_BITS": "39"})
    rows = doctor(s, env, 6)  # 6: no display here
    expect_row(rows, "page size", "warn", "16 KiB host pages, 4 KiB guest pages: QEMU 10.",
               "share its protection", "not 16 KiB-aligned are copied (MAP_SHARED ones fail)",
               "fix: most games run", "kernel with 4 KiB pages", "kernel=kernel8.img")
    expect_row(rows, "address space", "warn", "39-bit user address space (512 GiB)",
               "guest_base stays 0", "fixed mappings above 512 GiB fail (ENOMEM)",
               "CONFIG_ARM64_VA_BITS_48", "sv48")
    failed = [r["check"] for r in rows.values() if r["status"] == "fail"]
    check(failed == ["display"], f"only the display should fail: {failed}")
    # riscv64 sv39: 38 bits for user space.
    rows = doctor(s, {**env, "LORELEI_HOST_VA_BITS": "38"}, 6)
    expect_row(rows, "address space", "warn", "38-bit user address space (256 GiB)")
    # The table lists the warnings' fixes too.
    p = s.run("doctor", env=env)
    check_in("page size          warn   16 KiB host pages", p.stdout)
    check_in("  address space    most games run", p.stdout)
    # A QEMU older than 9.0 cannot run 4 KiB guest pages on 16 KiB host pages.
    env["LORELEI_QEMU"] = s.write("old-qemu", """#!/bin/sh
if [ "$1" = --version ]; then echo "qemu-x86_64 version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)"; exit 0; fi
exec "$REAL_QEMU" "$@"
""", 0o755)
    env["REAL_QEMU"] = s.opts.qemu
    rows = doctor(s, env, 6)
    expect_row(rows, "page size", "fail", "QEMU 8.2.2 cannot run a 4 KiB-page guest",
               "packaging/qemu/build-qemu.sh")


def parts_for_another_host(s):
    """An aarch64 plugin and a riscv64 preload shim on this host, and
    sysroots made from arm64 files, from x86_64 files and from neither."""
    env = setup(s)
    host = os.uname().machine
    os.makedirs(s.path("other"))
    env["LORELEI_PLUGIN"] = make_elf(s.path("other", "liblorelei-plugin.so"), machine=183,
                                     etype=3)
    env["LORELEI_PRELOAD"] = make_elf(s.path("other", "liblorelei-preload.so"), machine=243,
                                      etype=3)
    for name, tree, files in [
            ("arm", "arm-tree", [("lib/ld-linux-aarch64.so.1", 183),
                                 ("usr/lib/aarch64-linux-gnu/libc.so.6", 183)]),
            ("amd64", "x86-tree", [("lib64/ld-linux-x86-64.so.2", 62),
                                   ("usr/lib/x86_64-linux-gnu/libc.so.6", 62)])]:
        os.makedirs(s.path(tree, "etc"))
        for rel, machine in files:
            os.makedirs(os.path.dirname(s.path(tree, rel)), exist_ok=True)
            make_elf(s.path(tree, rel), machine=machine, etype=3)
        s.ok("sysroot", "create", name, "--from-dir", s.path(tree))
    rows = doctor(s, env, 6)
    expect_row(rows, "plugin", "fail", "is built for aarch64, but this host is " + host,
               "scripts/build.sh build", "unset LORELEI_PLUGIN")
    expect_row(rows, "preload shim", "fail", "is built for riscv64, but this host is " + host,
               "unset LORELEI_PRELOAD")
    expect_row(rows, "plugin loads", "skip")
    # The sysroot made from aarch64 files fails; the x86_64 one is fine
    # (sysroots_must_run_x86_64 has the other cases).
    expect_row(rows, "sysroots", "fail", "'arm'", "aarch64", "sysroot remove arm")
    check("amd64" not in rows["sysroots"]["detail"], rows["sysroots"])


def plugin_does_not_load(s):
    env = setup(s)
    env["LORELEI_PLUGIN"] = s.opts.preload  # a shared object, but no QEMU plugin
    rows = doctor(s, env, 6)
    expect_row(rows, "plugin loads", "fail", "printed no JSON (exit status 1)", "plugin")


def qemu_without_filter_api(s):
    env = setup(s)
    env["LORELEI_QEMU"] = s.write("fake-qemu", """#!/bin/sh
if [ "$1" = --version ]; then echo "qemu-x86_64 version 9.2.0"; exit 0; fi
echo "Could not load plugin $4: undefined symbol: qemu_plugin_register_vcpu_syscall_filter_cb" >&2
exit 1
""", 0o755)
    rows = doctor(s, env, 6)
    expect_row(rows, "qemu version", "ok", "QEMU 9.2.0")
    expect_row(rows, "plugin loads", "fail", "needs the syscall-filter API", "QEMU >= 11.1")
    expect_row(rows, "filter API", "fail", "lacks qemu_plugin_register_vcpu_syscall_filter_cb",
               "packaging/qemu/build-qemu.sh")
    env["LORELEI_QEMU"] = s.write("broken-qemu", "#!/bin/sh\nexit 1\n", 0o755)
    rows = doctor(s, env, 6)
    expect_row(rows, "qemu version", "fail", "--version` failed (exit status 1)", "LORELEI_QEMU")
    expect_row(rows, "plugin loads", "skip")


def parts_missing(s):
    env = setup(s)
    env["LORELEI_PLUGIN"] = s.path("nowhere", "liblorelei-plugin.so")
    shutil.rmtree(os.path.join(env["LORELEI_GUESTLIBS"], "gl"))
    os.unlink(os.path.join(env["LORELEI_GUESTLIBS"], "bin", "lorelei-probe"))
    os.unlink(os.path.join(env["LORELEI_GUESTLIBS"], "castcache", "liblorelei-castcache.so"))
    rows = doctor(s, env, 6)
    expect_row(rows, "plugin", "fail", "LORELEI_PLUGIN=" + env["LORELEI_PLUGIN"] + ": no such file",
               "unset LORELEI_PLUGIN")
    expect_row(rows, "guest library set", "fail",
               "lacks gl/ castcache/liblorelei-castcache.so bin/lorelei-probe", "LORELEI_GUESTLIBS")
    expect_row(rows, "plugin loads", "skip")


def host_rules(s):
    env = setup(s)
    env["LORELEI_HOST_ARCH"] = "aarch64"
    s.write("config/qemu-lorelei/profiles/broken.json", '{"schema": 1}')
    rows = doctor(s, env, 6)
    expect_row(rows, "sysroots", "fail", "none, and this aarch64 host needs an x86_64 one",
               "qemu-lorelei sysroot create default --from-debian ")
    expect_row(rows, "profiles", "warn", "1 skipped", "profile validate")
    expect_row(rows, "display", "fail", "neither DISPLAY nor WAYLAND_DISPLAY", "xvfb-run")


def qemu_must_be_qemu(s):
    """Anything that prints "version 3" somewhere used to pass as QEMU
    (/usr/bin/true --version mentions the GPL version 3): the first line
    must be qemu-x86_64's."""
    env = setup(s)
    env["LORELEI_QEMU"] = "/usr/bin/true"
    rows = doctor(s, env, 6)
    expect_row(rows, "qemu version", "fail", "is not qemu-x86_64", "LORELEI_QEMU")
    env["LORELEI_QEMU"] = s.write("other-qemu", """#!/bin/sh
echo "qemu-aarch64 version 10.0.0"
""", 0o755)
    rows = doctor(s, env, 6)
    expect_row(rows, "qemu version", "fail", "qemu-aarch64 version 10.0.0", "qemu-x86_64")


def sysroots_must_run_x86_64(s):
    """A sysroot made from arm64 packages, or one without a C library, was
    reported ok; run then failed inside QEMU."""
    env = setup(s)
    arm = s.write("arm.tar", tar_bytes([
        ("lib/aarch64-linux-gnu/", "dir", None),
        ("lib/aarch64-linux-gnu/libc.so.6", "file", elf_header(183)),
        ("lib/ld-linux-aarch64.so.1", "file", elf_header(183))], "w"))
    s.ok("sysroot", "create", "armroot", "--from-archive", arm)
    rows = doctor(s, env, 6)
    expect_row(rows, "sysroots", "fail", "armroot", "no x86_64", "aarch64",
               "sysroot remove armroot")
    s.ok("sysroot", "remove", "armroot")
    empty = s.write("docs.tar", tar_bytes([("usr/share/doc/x/README", "file", b"x")], "w"))
    s.ok("sysroot", "create", "nolibc", "--from-archive", empty)
    rows = doctor(s, env, 6)
    expect_row(rows, "sysroots", "fail", "nolibc", "no x86_64 dynamic loader")
    s.ok("sysroot", "remove", "nolibc")
    if os.uname().machine == "x86_64":
        s.ok("sysroot", "create", "host", "--from-host")
        rows = doctor(s, env, 6)  # no display here: that check fails
        expect_row(rows, "sysroots", "ok", "host")


def arm_host_needs_default_sysroot(s):
    """On a host that is not x86_64, run needs the sysroot named default for
    every game whose profile names none: doctor must not say ok without it."""
    if os.uname().machine != "x86_64":
        raise Skip("needs an x86_64 host to make a sysroot with --from-host")
    env = setup(s)
    s.ok("sysroot", "create", "debian12", "--from-host")
    env["LORELEI_HOST_ARCH"] = "aarch64"
    rows = doctor(s, env, 6)
    expect_row(rows, "sysroots", "fail", "no sysroot named 'default'", "debian12",
               "sysroot create default")
    s.ok("sysroot", "create", "default", "--from-host")
    rows = doctor(s, env, 6)  # no display here: that check fails
    expect_row(rows, "sysroots", "ok", "default")


def timeouts_leave_nothing_running(s):
    """A check that timed out killed only its direct child: a QEMU that
    started a helper and then hung left the helper running after doctor
    ended (and one that ended at once left its helper too)."""
    env = setup(s)
    pids = s.path("pids")
    env["LORELEI_QEMU"] = s.write("hanging-qemu", f"""#!/bin/sh
sleep 300 &
echo $! >> {pids}
[ "$1" = --version ] || exit 1
exec sleep 300
""", 0o755)
    rows = doctor(s, env, 6)
    expect_row(rows, "qemu version", "fail", "timed out")
    # One that answers at once and leaves its helper behind.
    env["LORELEI_QEMU"] = s.write("quick-qemu", f"""#!/bin/sh
sleep 300 &
echo $! >> {pids}
echo "qemu-x86_64 version 10.0.13"
""", 0o755)
    doctor(s, env, 6)
    with open(pids) as f:
        helpers = [int(p) for p in f.read().split()]
    check(len(helpers) >= 2, f"the fake QEMUs started their helpers: {helpers}")
    for _ in range(50):  # SIGKILL is delivered at once; reaping by init may lag
        alive = [p for p in helpers if os.path.exists(f"/proc/{p}") and
                 open(f"/proc/{p}/stat").read().split(") ")[1][0] != "Z"]
        if not alive:
            break
        time.sleep(0.1)
    check(alive == [], f"helpers of doctor's checks still running after doctor ended: {alive}")


def sdl12_compat_in_default_sysroot(s):
    """SDL 1.2 games are fast only with sdl12-compat in the guest's root:
    doctor looks in the default sysroot and says how to add it."""
    env = setup(s)
    lib = "usr/lib/x86_64-linux-gnu/sdl12-compat/libSDL-1.2.so.0"
    base = [("lib64/", "dir", None), ("lib64/ld-linux-x86-64.so.2", "file", elf_header(62)),
            ("lib/x86_64-linux-gnu/", "dir", None),
            ("lib/x86_64-linux-gnu/libc.so.6", "file", elf_header(62))]
    s.ok("sysroot", "create", "default", "--from-archive", s.write("old.tar", tar_bytes(base, "w")))
    rows = doctor(s, env, 6)  # no display here: that check fails
    expect_row(rows, "SDL 1.2 games", "warn", "runs emulated", "sysroots/default/" + lib)
    check_in("libsdl1.2-compat", rows["SDL 1.2 games"]["fix"])
    s.ok("sysroot", "remove", "default")
    with_compat = base + [("usr/lib/x86_64-linux-gnu/sdl12-compat/", "dir", None),
                          (lib, "file", elf_header(62))]
    s.ok("sysroot", "create", "default", "--from-archive",
         s.write("new.tar", tar_bytes(with_compat, "w")))
    rows = doctor(s, env, 6)
    expect_row(rows, "SDL 1.2 games", "ok", "sysroots/default/" + lib)


CASES = {f.__name__: f for f in [all_ok, timeouts_leave_nothing_running, probe_reports_problems,
                                 host_memory_layout, parts_for_another_host, plugin_does_not_load,
                                 qemu_without_filter_api, parts_missing, host_rules,
                                 qemu_must_be_qemu, sysroots_must_run_x86_64,
                                 arm_host_needs_default_sysroot, sdl12_compat_in_default_sysroot]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache"])
