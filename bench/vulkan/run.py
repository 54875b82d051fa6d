#!/usr/bin/env python3
"""bench/vulkan: vkcube frames per second natively, under qemu-lorelei (the
game emulated, Vulkan forwarded to the host loader and lavapipe) and under
plain qemu-x86_64 (the guest's own loader and lavapipe emulated too), side
by side in one run, under a private Xvfb.

FPS without start-up: each configuration renders a short and a long fixed
frame count (vkcube --c N, immediate present mode so nothing waits for a
vblank); FPS = extra frames / extra seconds, medians of the rounds; the Lorelei /
native ratio is the median of the per-round ratios (plain QEMU,
~100x slower, gets half as many rounds of fewer frames). Plain
QEMU needs a CPU model with AVX2 for llvmpipe's JIT (-cpu Haswell; -cpu max
makes LLVM refuse its CPU name).

vkmark is reported as skipped: Debian 12 does not package it, and the only
source package apt lists (trixie's vkmark 2025.01-1) is not served by the
mirror (apt-get source: 404).

usage: run.py --qemu Q --plugin P --preload S --stub-dir D [--out DIR] [--rounds R]
Writes DIR/vulkan.json and DIR/vulkan.png, prints a table; exits 1 if the
target (Lorelei >= 0.9x native) is missed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "lib"))
from lorelei import Lorelei  # noqa: E402
from xvfb import Xvfb  # noqa: E402

TARGET = 0.9
VKCUBE = "/usr/bin/vkcube"
IMMEDIATE = ["--present_mode", "0"]
NO_GUEST_DRIVER = ["-E", "VK_ICD_FILENAMES=/nonexistent/lorelei-guest-has-no-driver.json",
                   "-E", "VK_DRIVER_FILES=/nonexistent/lorelei-guest-has-no-driver.json"]


def timed(cmd, env, frames):
    argv = cmd + ["--c", str(frames)] + IMMEDIATE
    for attempt in range(3):
        start = time.monotonic()
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
        took = time.monotonic() - start
        if p.returncode == 0:
            return took
        if "display" not in p.stderr.lower():
            break
        print(f"note: the X server refused the connection; retrying ({attempt + 1})", flush=True)
    sys.exit(f"bench-vulkan: {' '.join(argv)} failed ({p.returncode}):\n{p.stderr[-3000:]}")


def fps(configs, short, long, rounds):
    """configs: {name: (cmd, env)}. Rounds interleave the configurations, so
    load from other processes on this shared machine hits them alike."""
    times = {name: {short: [], long: []} for name in configs}
    for r in range(rounds):
        for name, (cmd, env) in configs.items():
            for n in (short, long):
                times[name][n].append(timed(cmd, env, n))
            print(f"  {name} round {r + 1}: {short} frames {times[name][short][-1]:.2f} s, "
                  f"{long} frames {times[name][long][-1]:.2f} s", flush=True)
    out = {}
    for name, t in times.items():
        t_short, t_long = statistics.median(t[short]), statistics.median(t[long])
        per_round = [(long - short) / max(b - a, 1e-6) for a, b in zip(t[short], t[long])]
        out[name] = {"fps": (long - short) / max(t_long - t_short, 1e-6),
                     "fps_per_round": per_round,
                     "frames": [short, long], "median_s": [t_short, t_long],
                     "startup_s": max(t_short - short * (t_long - t_short) / (long - short), 0.0),
                     "runs_s": t}
    return out


def chart(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = ["native", "lorelei", "plain_qemu"]
    labels = ["native", "qemu-lorelei", "plain qemu-x86_64"]
    values = [res["vkcube"][n]["fps"] for n in names]
    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar(labels, values, color=["#4c72b0", "#55a868", "#c44e52"])
    for b, v in zip(bars, values):
        ax.annotate(f"{v:.0f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom")
    ax.set_ylabel("frames per second")
    ax.set_title(f"vkcube (lavapipe, Xvfb): Lorelei {res['ratios']['lorelei_over_native']:.2f}x "
                 f"native, {res['ratios']['lorelei_over_plain_qemu']:.1f}x plain QEMU")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--qemu", "--plugin", "--preload", "--stub-dir"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    res = {"benchmark": "vkcube", "present_mode": "immediate", "rounds": a.rounds,
           "vkmark": {"skipped": "not packaged in Debian 12; trixie's source package "
                                 "vkmark 2025.01-1 is listed but the mirror answers 404"}}
    with Xvfb() as x:
        env = x.env()
        env.pop("LD_PRELOAD", None)
        lcmd, lenv = Lorelei(a.qemu, a.plugin, a.preload).command(
            [VKCUBE], libs=["vulkan"], guest_lib_dirs=[a.stub_dir], qemu_args=NO_GUEST_DRIVER)
        lenv["DISPLAY"] = x.display
        pcmd = [a.qemu, "-cpu", "Haswell", VKCUBE]
        print("vkcube frames per second (short and long runs; FPS from the difference)")
        res["vkcube"] = fps({"native": ([VKCUBE], env), "lorelei": (lcmd, lenv)},
                            100, 2100, a.rounds)
        res["vkcube"].update(fps({"plain_qemu": (pcmd, env)}, 20, 320, max(a.rounds // 2, 1)))
    v = {k: res["vkcube"][k]["fps"] for k in res["vkcube"]}
    # Rounds run native and Lorelei back to back: the median of the per-round
    # ratios is steadier than the ratio of medians when other load comes and goes.
    paired = [lo / na for lo, na in zip(res["vkcube"]["lorelei"]["fps_per_round"],
                                        res["vkcube"]["native"]["fps_per_round"])]
    res["ratios"] = {"lorelei_over_native": statistics.median(paired),
                     "lorelei_over_native_per_round": paired,
                     "lorelei_over_native_of_medians": v["lorelei"] / v["native"],
                     "plain_qemu_over_native": v["plain_qemu"] / v["native"],
                     "lorelei_over_plain_qemu": v["lorelei"] / v["plain_qemu"]}
    res["target"] = {"lorelei_over_native_at_least": TARGET,
                     "met": res["ratios"]["lorelei_over_native"] >= TARGET}
    with open(os.path.join(a.out, "vulkan.json"), "w") as f:
        json.dump(res, f, indent=1)
    chart(res, os.path.join(a.out, "vulkan.png"))
    print(f"\n{'':12}{'FPS':>10}{'start-up s':>12}{'x native':>10}")
    for k, label in (("native", "native"), ("lorelei", "lorelei"), ("plain_qemu", "plain qemu")):
        r = res["vkcube"][k]
        print(f"{label:12}{r['fps']:10.1f}{r['startup_s']:12.2f}{r['fps'] / v['native']:10.2f}")
    print(f"\nLorelei / native = {res['ratios']['lorelei_over_native']:.2f} "
          f"(target >= {TARGET}: {'met' if res['target']['met'] else 'MISSED'}); "
          f"Lorelei / plain QEMU = {res['ratios']['lorelei_over_plain_qemu']:.1f}")
    print(f"wrote {os.path.join(a.out, 'vulkan.json')} and {os.path.join(a.out, 'vulkan.png')}")
    return 0 if res["target"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
