#!/usr/bin/env python3
"""libvorbisfile under qemu-lorelei, judged by programs run natively and under
Lorelei side by side: Debian's oggdec (vorbis-tools: ov_open_callbacks over
stdio) and vf_test.c (a game's own callbacks over memory and over read(2),
seeking, unseekable streams, ov_test, ov_fopen/ov_open, ov_read_float,
errors). The input is made at test time by oggenc.

The decoded samples must be identical where the host is x86_64 (the same
libvorbis code on the same CPU); an aarch64 host's float decoding may differ
by a rounding step, so there they may differ by a few units at most.

usage: run_vorbisfile.py CASE --qemu Q --plugin P --preload S --stub-dir D
                         --host-lib L [--prog PROG] [--launcher L]
"""
import math
import os
import shutil
import struct
import sys
import tempfile
import wave

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (Checks, check_exports, exported_symbols, from_args,  # noqa: E402
                     run, stub_test_main)

c = Checks()
SONAME = "libvorbisfile.so.3"


def make_ogg(folder):
    """5 s of two tones, stereo 44.1 kHz, with two comments, as in.ogg."""
    path = os.path.join(folder, "in.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(b"".join(struct.pack(
            "<hh", int(12000 * math.sin(2 * math.pi * 440 * i / 44100)),
            int(9000 * math.sin(2 * math.pi * 660 * i / 44100 + (i / 44100) ** 2)))
            for i in range(44100 * 5)))
    ogg = os.path.join(folder, "in.ogg")
    r = run(["oggenc", "-Q", "-q", "4", "-c", "title=Lorelei test tone", "-c",
             "artist=qemu-lorelei", "-o", ogg, path])
    if r.returncode != 0:
        sys.exit(f"oggenc failed ({r.returncode}): is vorbis-tools installed (scripts/deps.txt)?")
    return ogg


def samples(path, skip=0):
    with open(path, "rb") as f:
        data = f.read()[skip:]
    return struct.unpack(f"<{len(data) // 2}h", data[:len(data) // 2 * 2])


def check_same_samples(a, native, lorelei, what, skip=0):
    """Identical on an x86_64 host; within a few units of 16-bit PCM on another."""
    n, lo = samples(native, skip), samples(lorelei, skip)
    if len(n) != len(lo):
        c.check(False, f"{what}: {len(lo)} samples under Lorelei, {len(n)} natively")
        return
    worst = max((abs(x - y) for x, y in zip(n, lo)), default=0)
    allowed = 0 if not a.host_arch or a.host_arch == os.uname().machine else 4
    c.check(len(n) > 0 and worst <= allowed,
            f"{what}: {len(n)} samples, the largest difference {worst} (at most {allowed})")


def case_coverage(a):
    host = exported_symbols(a.host_lib)
    stub = exported_symbols(os.path.join(a.stub_dir, SONAME))
    print(f"host exports {len(host)}, stub exports {len(stub)}")
    c.check(len(host) > 30 and "ov_open_callbacks" in host,
            "the host's libvorbisfile exports its API (sanity)")
    check_exports(c, SONAME, stub, host)


def case_oggdec(a):
    with tempfile.TemporaryDirectory() as d:
        ogg = make_ogg(d)
        out = {}
        for mode in ("native", "lorelei"):
            out[mode] = os.path.join(d, f"{mode}.wav")
        # QEMU takes a path, not a name to look up.
        argv = [shutil.which("oggdec") or "/usr/bin/oggdec", "-Q", "-o", "OUT", ogg]
        n = run([x if x != "OUT" else out["native"] for x in argv], env=dict(os.environ))
        cmd, env = from_args(a).command([x if x != "OUT" else out["lorelei"] for x in argv],
                                        libs=("vorbisfile",), guest_lib_dirs=[a.stub_dir],
                                        plugin_args=["verbose=on"])
        lo = run(cmd, env=env, timeout=600)
        c.check(n.returncode == 0 and lo.returncode == 0,
                f"oggdec decoded natively and under Lorelei ({n.returncode}, {lo.returncode})")
        c.check(f"vorbisfile: loaded {SONAME}" in lo.stderr,
                "oggdec: the stub forwarded to the host's libvorbisfile")
        from_args(a).check_host(c, lo.stderr, "oggdec")
        if n.returncode == 0 and lo.returncode == 0:
            # The WAV header (44 bytes) is the same; the samples are compared.
            check_same_samples(a, out["native"], out["lorelei"], "oggdec's output", skip=44)


def case_program(a):
    with tempfile.TemporaryDirectory() as d:
        ogg = make_ogg(d)
        for mode in ("native", "lorelei"):
            os.makedirs(os.path.join(d, mode))
        n = run([a.prog, ogg, "native"], cwd=d)
        cmd, env = from_args(a).command([a.prog, ogg, "lorelei"], libs=("vorbisfile",),
                                        guest_lib_dirs=[a.stub_dir], plugin_args=["verbose=on"])
        lo = run(cmd, env=env, timeout=600, cwd=d)
        c.check(n.returncode == 0 and lo.returncode == 0,
                f"vf_test ran natively and under Lorelei ({n.returncode}, {lo.returncode})")
        c.check(f"vorbisfile: loaded {SONAME}" in lo.stderr,
                "vf_test: the stub forwarded to the host's libvorbisfile")
        from_args(a).check_host(c, lo.stderr, "vf_test")
        c.check(lo.stdout == n.stdout,
                f"vf_test: the same lines as natively ({len(n.stdout.splitlines())})")
        for name in ("memory", "fd", "fd-second-half", "stream", "test", "file"):
            check_same_samples(a, os.path.join(d, "native", name + ".raw"),
                               os.path.join(d, "lorelei", name + ".raw"), f"vf_test {name}")
    for line in ("memory open=0", "comments=2 [title=Lorelei test tone] [artist=qemu-lorelei]",
                 "memory decoded=882000 errors=0", "memory clear=0 closed=1",
                 "fd decoded=882000 errors=0 pcm_seek=0", "fd clear=0 fd_closed=1",
                 "stream open=0 seekable=0", "closed=1", "test test=0 test_open=0 again=-131",
                 "file fopen=0 float_frames=220500", "errors garbage=-132",
                 "errors fopen_missing=-1"):
        c.check(line in n.stdout, f"natively: {line}")


def case_launcher(a):
    """The product path: `qemu-lorelei run` forwards libvorbisfile by
    default, and --no-thunk vorbisfile runs the guest's own library."""
    dry = run([a.launcher, "run", "--dry-run", a.prog, "x", "y"])
    c.check(dry.returncode == 0 and "lib=vorbisfile" in dry.stdout and "/vorbisfile" in dry.stdout,
            "--dry-run prints a QEMU command with lib=vorbisfile and the stub folder")
    off = run([a.launcher, "run", "--dry-run", "--no-thunk", "vorbisfile", a.prog, "x", "y"])
    c.check(off.returncode == 0 and "lib=vorbisfile" not in off.stdout,
            "--no-thunk vorbisfile leaves it out")
    with tempfile.TemporaryDirectory() as d:
        ogg = make_ogg(d)
        for mode in ("native", "lorelei"):
            os.makedirs(os.path.join(d, mode))
        n = run([a.prog, ogg, "native"], cwd=d)
        r = run([a.launcher, "run", a.prog, ogg, "lorelei"], timeout=300, cwd=d)
        c.check(r.returncode == 0 and r.stdout == n.stdout,
                "qemu-lorelei run vf_test prints what it prints natively")
        check_same_samples(a, os.path.join(d, "native", "memory.raw"),
                           os.path.join(d, "lorelei", "memory.raw"), "qemu-lorelei run vf_test")


def main():
    stub_test_main(c, {"coverage": case_coverage, "oggdec": case_oggdec, "program": case_program,
                    "launcher": case_launcher})


if __name__ == "__main__":
    main()
