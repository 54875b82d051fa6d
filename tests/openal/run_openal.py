#!/usr/bin/env python3
"""OpenAL under qemu-lorelei, judged by real programs run natively and under
Lorelei side by side: Debian's openal-info and al_test.c (buffers, sources,
EFX, events from OpenAL's own thread, loopback rendering compared by checksum).

usage: run_openal.py CASE --qemu Q --plugin P --preload S --stub-dir D
                     --host-lib L [--prog PROG] [--launcher L] [--asan-runtime R]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks, add_common_args, check_exports, exported_symbols, from_args, run  # noqa: E402

OPENAL_INFO = "/usr/bin/openal-info"
c = Checks()


def base_env():
    """No sound card needed: OpenAL Soft's null output, no user configuration."""
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH", "ALSOFT_CONF", "ALSOFT_LOGLEVEL"):
        env.pop(k, None)
    env.update({"ALSOFT_DRIVERS": "null", "XDG_RUNTIME_DIR": "/tmp"})
    return env


def lorelei(a, argv, env, libs=("openal",)):
    """argv under QEMU + plugin; verbose so the run proves the stub was used."""
    cmd, full_env = from_args(a).command(argv, libs=libs, guest_lib_dirs=[a.stub_dir],
                                         plugin_args=["verbose=on"])
    full_env.update({k: v for k, v in env.items() if k not in ("LD_PRELOAD", "LD_LIBRARY_PATH")})
    return cmd, full_env


def went_through_plugin(stderr):
    return "openal: loaded libopenal.so.1" in stderr


def case_coverage(a):
    host = exported_symbols(a.host_lib)
    stub = exported_symbols(os.path.join(a.stub_dir, "libopenal.so.1"))
    print(f"host exports {len(host)}, stub exports {len(stub)}")
    c.check(len(host) > 100 and "alcRenderSamplesSOFT" in host,
            "the host's libopenal exports its API (sanity)")
    check_exports(c, "libopenal.so.1", stub, host)


def compare(a, argv, what):
    """Runs argv natively and under Lorelei: same exit status, same output."""
    n = run(argv, env=base_env(), timeout=120)
    cmd, env = lorelei(a, argv, base_env())
    l = run(cmd, env=env, timeout=600)
    c.check(n.returncode == 0, f"{what} works natively")
    c.check(l.returncode == n.returncode, f"{what}: same exit status under Lorelei "
            f"({n.returncode}, {l.returncode})")
    c.check(went_through_plugin(l.stderr), f"{what}: the stub forwarded to the host's OpenAL")
    from_args(a).check_host(c, l.stderr, what)
    same = l.stdout == n.stdout
    if not same:
        nl, ll = n.stdout.splitlines(), l.stdout.splitlines()
        diff = [f"  native: {x}\n  lorelei: {y}" for x, y in zip(nl, ll) if x != y][:5]
        print("first differences:\n" + "\n".join(diff))
    c.check(same, f"{what}: the same output as natively ({len(n.stdout.splitlines())} lines)")
    return n, l


def case_openal_info(a):
    n, _ = compare(a, [OPENAL_INFO], "openal-info")
    c.check("OpenAL renderer string: OpenAL Soft" in n.stdout and "Available playback devices:"
            in n.stdout, "openal-info printed the renderer and the device list")
    # The stub refuses to run without its host half: the comparison above
    # really went through it.
    cmd, env = lorelei(a, [OPENAL_INFO], base_env(), libs=("sdl2",))
    r = run(cmd, env=env, timeout=120)
    c.check(r.returncode == 127 and "lib=openal" in r.stderr,
            "without lib=openal the stub says so and stops (status 127)")


def case_program(a):
    n, _ = compare(a, [a.prog, "all"], "al_test")
    for line in ("device_list_written=1", "unqueued_in_order=1", "alGenSources_is_own=1 "
                 "alcLoopback_is_own=1 efx_is_own=1 unknown=1 unknown_alc=1",
                 "event callback_roundtrip=1 user_roundtrip=1",
                 "event seen=1 object_ok=1 user_ok=1", "render stereo16 frames=44100 hash=",
                 "render reverb hash=", "render 5.1float frames=22050 hash="):
        c.check(line in n.stdout, f"natively: {line}")
    c.check("al_error" not in n.stdout, "natively: no OpenAL error")


def case_launcher(a):
    """The product path: `qemu-lorelei run` forwards OpenAL by default, and
    --no-thunk openal runs the guest's own library."""
    env = base_env()
    dry = run([a.launcher, "run", "--dry-run", OPENAL_INFO], env=env)
    c.check(dry.returncode == 0 and "lib=openal" in dry.stdout and "/openal" in dry.stdout,
            "--dry-run prints a QEMU command with lib=openal and the openal stub folder")
    off = run([a.launcher, "run", "--dry-run", "--no-thunk", "openal", OPENAL_INFO], env=env)
    c.check(off.returncode == 0 and "lib=openal" not in off.stdout,
            "--no-thunk openal leaves it out")
    r = run([a.launcher, "run", OPENAL_INFO], env=env, timeout=300)
    n = run([OPENAL_INFO], env=env)
    c.check(r.returncode == 0 and r.stdout == n.stdout,
            "qemu-lorelei run openal-info prints what it prints natively")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    add_common_args(ap)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--host-lib", required=True)
    ap.add_argument("--prog")
    ap.add_argument("--launcher")
    a = ap.parse_args()
    {"coverage": lambda: case_coverage(a), "openal-info": lambda: case_openal_info(a),
     "program": lambda: case_program(a), "launcher": lambda: case_launcher(a)}[a.case]()
    c.finish()


if __name__ == "__main__":
    main()
