#!/usr/bin/env python3
"""bench/codecs: what a game's loading (zlib) and music (libvorbisfile) cost
natively, under qemu-lorelei (both libraries forwarded to the host's) and
under plain qemu-x86_64 (the guest's own, emulated), side by side in one run
(bench/sidebyside.py says how). Workloads of codec_bench.c:
  inflate  MiB inflated in 16 KiB pieces: bulk decompression
  rows     thousands of 1 KiB inflate calls: a PNG decoded row by row, where
           the cost of a forwarded call shows
  vorbis   seconds of 44.1 kHz stereo music decoded (a file oggenc makes
           from noise and tones: harder to decode than a pure tone)

usage: run.py --qemu Q --plugin P --preload S --zlib-dir D --vorbisfile-dir D
              --prog CODEC_BENCH [--out DIR] [--rounds R]
Writes DIR/codecs.json and prints a table.
"""
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import wave

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "lib"))
from lorelei import Lorelei  # noqa: E402
from sidebyside import arguments, clean_env, measure  # noqa: E402


def music(folder):
    """10 s of tones over noise, as music.ogg (quality 5, as games ship)."""
    rng = random.Random(7)
    path = os.path.join(folder, "music.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        frames = []
        for i in range(441000):
            t = i / 44100
            tone = sum(math.sin(2 * math.pi * f * t) for f in (220, 330, 495, 742)) * 2500
            frames.append(struct.pack("<hh", int(tone + rng.randint(-3000, 3000)),
                                      int(tone * 0.7 + rng.randint(-3000, 3000))))
        w.writeframes(b"".join(frames))
    ogg = os.path.join(folder, "music.ogg")
    subprocess.run(["oggenc", "-Q", "-q", "5", "-o", ogg, path], check=True)
    return ogg


def main():
    a = arguments(("--qemu", "--plugin", "--preload", "--zlib-dir", "--vorbisfile-dir", "--prog"),
                  rounds=5)
    env = clean_env()
    lcmd, lenv = Lorelei(a.qemu, a.plugin, a.preload).command(
        [a.prog], libs=["zlib", "vorbisfile"], guest_lib_dirs=[a.zlib_dir, a.vorbisfile_dir])
    configs = {"native": ([a.prog], env, 0), "lorelei": (lcmd, lenv, 0),
               "plain_qemu": ([a.qemu, a.prog], env, 1)}
    with tempfile.TemporaryDirectory() as d:
        ogg = music(d)
        measure("codecs", configs, {
            "inflate": (400, 20, "MiB inflated", lambda n: ["inflate", str(n)]),
            "rows": (200, 10, "thousand 1 KiB inflate calls", lambda n: ["rows", str(n)]),
            "vorbis": (600, 30, "seconds of stereo music decoded",
                       lambda n: ["vorbis", str(n), ogg])}, a.rounds, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
