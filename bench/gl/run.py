#!/usr/bin/env python3
"""bench/gl: OpenGL programs natively, under qemu-lorelei (GL forwarded to
the host) and under plain qemu-x86_64 (the guest's own Mesa, emulated), side
by side in one run, in a private Xvfb with llvmpipe.

  glmark2 --off-screen: the build and texture scenes (FPS), and the full
  default run's score with short scene durations.
  testgl2 (SDL2 + GL): frames per second, and start-up time to a window.

Plain QEMU renders ~30x slower and compiles every shader with an emulated
LLVM, so it gets its own (short) durations; it needs -cpu Haswell or newer
for llvmpipe's JIT (-cpu max makes LLVM abort on this QEMU).

usage: run.py --qemu Q --plugin P --preload S --stub-dir D [--out DIR]
              [--benchmarks glmark2,...] [--duration S] [--full-duration S]
              [--plain-duration S] [--plain-full-duration S] [--no-plain-full]
              [--rounds N]
Writes DIR/gl.json and DIR/gl.png and prints the ratios with the targets.

  run.py --gpu-free ... --immediate PROG --vulkan-stub-dir D [--rounds N]
Mesa's rendering switched off: the API's cost alone (gpu_free.py says
what runs). Writes DIR/gl-gpu-free.json and DIR/gl-gpu-free.png.

Adding a program (e.g. SDL2's testgl2): write a function like glmark2()
below, taking (run, modes, args) and returning {mode: {metric: value}}
(run(mode, argv, timeout) returns the program's stdout), and add it to
BENCHMARKS; higher values must mean faster. Its metrics then appear in the
table, the JSON and the chart.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
from lorelei import Lorelei  # noqa: E402
from xvfb import Xvfb, run_x_program  # noqa: E402

MODES = ("native", "lorelei", "plain")
NO_GUEST_VULKAN_DRIVER = ["-E", "VK_ICD_FILENAMES=/nonexistent/lorelei-guest-has-no-driver.json",
                          "-E", "VK_DRIVER_FILES=/nonexistent/lorelei-guest-has-no-driver.json"]
PLAIN_CPU = "Haswell"
# Issue 5's targets, as ratios to native.
TARGETS = {("glmark2", "build_fps"): 0.85, ("glmark2", "score"): 0.80}


class Runner:
    """Runs one program in one mode (native, lorelei, plain) on the Xvfb."""

    def __init__(self, a, x):
        self.a, self.x = a, x
        self.lorelei = Lorelei(a.qemu, a.plugin, a.preload)

    def command(self, mode, argv, sdl2=False):
        path = shutil.which(argv[0]) or argv[0]
        argv = [path] + list(argv[1:])
        env = self.x.env()
        env.pop("LD_PRELOAD", None)
        env["SDL_AUDIODRIVER"] = "dummy"
        if mode == "native":
            return argv, env
        if mode == "lorelei":
            libs, dirs = ["gl"], [self.a.stub_dir]
            if sdl2:
                libs, dirs = ["sdl2", "gl"], [self.a.sdl2_stub_dir, self.a.stub_dir]
            cmd, lenv = self.lorelei.command(argv, libs=libs, guest_lib_dirs=dirs)
            return cmd, self.x.env(lenv)
        if mode == "plain":
            return [self.a.qemu, "-cpu", PLAIN_CPU] + argv, env
        raise ValueError(mode)

    def vulkan_command(self, mode, argv):
        """argv with the Vulkan stub (and no guest driver) under Lorelei."""
        if mode != "lorelei":
            return self.command(mode, argv)
        cmd, lenv = self.lorelei.command(argv, libs=["vulkan"],
                                         guest_lib_dirs=[self.a.vulkan_stub_dir],
                                         qemu_args=NO_GUEST_VULKAN_DRIVER)
        return cmd, self.x.env(lenv)

    def run(self, mode, argv, timeout):
        cmd, env = self.command(mode, argv)
        start = time.monotonic()
        p = run_x_program(cmd, env, timeout=timeout)
        print(f"--- {mode}: {time.monotonic() - start:.1f} s", flush=True)
        if p.returncode != 0:
            raise RuntimeError(f"{mode}: {' '.join(argv)} exited with {p.returncode}")
        return p.stdout


def scene_fps(text, scene):
    m = re.search(rf"^\[{scene}\].*FPS: (\d+)", text, re.M)
    if not m:
        raise RuntimeError(f"glmark2 printed no FPS for the {scene} scene")
    return int(m.group(1))


def glmark2(run, modes, a):
    """glmark2 --off-screen: build and texture FPS, and the score of the full
    default run with short scene durations. Best of the rounds, native and
    Lorelei interleaved so that a burst of load on a shared machine does not
    hit one of them only; plain QEMU runs once."""
    out = {m: {"build_fps": 0, "texture_fps": 0} for m in modes}
    for r in range(a.rounds):
        for mode in modes:
            if mode == "plain" and r > 0:
                continue
            d = a.plain_duration if mode == "plain" else a.duration
            text = run(mode, ["glmark2", "--off-screen", "-b", f"build:duration={d}",
                              "-b", f"texture:duration={d}"], timeout=900)
            for scene in ("build", "texture"):
                out[mode][f"{scene}_fps"] = max(out[mode][f"{scene}_fps"], scene_fps(text, scene))
    for r in range(a.rounds):
        for mode in modes:
            if mode == "plain" and (a.no_plain_full or r > 0):
                continue
            fd = a.plain_full_duration if mode == "plain" else a.full_duration
            text = run(mode, ["glmark2", "--off-screen", "-b", f":duration={fd}"], timeout=1800)
            m = re.search(r"glmark2 Score: (\d+)", text)
            if not m:
                raise RuntimeError("glmark2 printed no score")
            out[mode]["score"] = max(out[mode].get("score", 0), int(m.group(1)))
            out[mode]["scenes"] = len(re.findall(r"^\[\w+\].*FPS:", text, re.M))
    return out


TESTGL2 = "/usr/libexec/installed-tests/SDL2/testgl2"


def window_appears(x, name, timeout):
    """Seconds until a visible window called name exists on the Xvfb."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name],
                               env=x.env(), capture_output=True, text=True).stdout.split()
        if found:
            return time.monotonic() - start
        time.sleep(0.01)
    raise RuntimeError(f"no {name} window within {timeout} s")


def testgl2(runner, modes, a):
    """SDL2's testgl2: its frames per second over a fixed time (it prints them
    when SIGTERM makes it quit), and its start-up time (launch to a visible
    window), median of a.startups launches. Start-up is lower-is-better, so it
    is reported as launches per second (startup_per_s) for the chart, and in
    seconds as startup_s."""
    out = {m: {} for m in modes}
    # Start-ups interleaved across the modes: the first launch of all warms
    # caches (Mesa's shader cache, the page cache) for the others.
    times = {m: [] for m in modes}
    for _ in range(a.startups):
        for mode in modes:
            cmd, env = runner.command(mode, [TESTGL2], sdl2=True)
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            times[mode].append(window_appears(runner.x, "testgl2", 120))
            p.kill()
            p.wait()
    for mode in modes:
        t = sorted(times[mode])
        out[mode]["startup_s"] = round(t[len(t) // 2], 3)
        out[mode]["startup_per_s"] = round(1 / out[mode]["startup_s"], 2)
    for mode in modes:
        cmd, env = runner.command(mode, [TESTGL2], sdl2=True)
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace")
        time.sleep(a.testgl2_seconds if mode != "plain" else a.plain_duration)
        p.terminate()
        text = p.communicate(timeout=60)[0]
        m = re.search(r"([0-9.]+) frames per second", text)
        if not m:
            raise RuntimeError(f"{mode}: testgl2 printed no FPS:\n{text[-1000:]}")
        out[mode]["fps"] = round(float(m.group(1)), 1)
    return out


BENCHMARKS = {"glmark2": glmark2, "testgl2": testgl2}


def ratios(results):
    out = {}
    for bench, by_mode in results.items():
        native = by_mode.get("native", {})
        for mode in ("lorelei", "plain"):
            for metric, value in by_mode.get(mode, {}).items():
                if metric in native and native[metric] and metric != "scenes":
                    out.setdefault(f"{mode}/native", {}).setdefault(bench, {})[metric] = \
                        round(value / native[metric], 3)
    return out


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    bars = [(b, m) for b, by_mode in results.items() for m in by_mode.get("native", {})
            if m != "scenes"]
    fig, ax = plt.subplots(figsize=(max(6, 2.2 * len(bars)), 4.5))
    width = 0.27
    colours = {"native": "#4c72b0", "lorelei": "#55a868", "plain": "#c44e52"}
    for k, mode in enumerate(MODES):
        xs = [i + (k - 1) * width for i in range(len(bars))]
        vals = [results[b].get(mode, {}).get(m, 0) for b, m in bars]
        rects = ax.bar(xs, [v or 0.01 for v in vals], width, label=mode, color=colours[mode])
        for r, v, (b, m) in zip(rects, vals, bars):
            native = results[b]["native"][m]
            label = f"{v}" if mode == "native" else f"{v}\n{v / native:.2f}x" if v else "n/a"
            ax.annotate(label, (r.get_x() + r.get_width() / 2, r.get_height()), ha="center",
                        va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([f"{b}\n{m}" for b, m in bars])
    ax.set_ylabel("higher is faster (log scale)")
    ax.set_title("OpenGL: native vs qemu-lorelei vs plain qemu-x86_64 (llvmpipe, Xvfb)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def run_gpu_free(a):
    import gpu_free
    wanted = [b for b in (a.benchmarks if a.benchmarks != ",".join(BENCHMARKS)
                          else ",".join(gpu_free.BENCHMARKS)).split(",") if b]
    unknown = [b for b in wanted if b not in gpu_free.BENCHMARKS]
    if unknown:
        sys.exit(f"bench/gl --gpu-free: unknown benchmark(s) {unknown}; known: "
                 f"{', '.join(gpu_free.BENCHMARKS)}")
    missing = [o for o, b in (("--immediate", "immediate"), ("--vulkan-stub-dir", "vkcube"))
               if b in wanted and not getattr(a, o[2:].replace("-", "_"))]
    if missing:
        sys.exit(f"bench/gl --gpu-free: {' and '.join(missing)} needed (ninja -C build "
                 "bench-gl-gpu-free passes them)")
    with Xvfb() as x:
        return gpu_free.main(Runner(a, x), a, wanted, [m for m in a.modes.split(",") if m])


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--qemu", "--plugin", "--preload", "--stub-dir", "--sdl2-stub-dir"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--vulkan-stub-dir", help="(--gpu-free) for vkcube")
    ap.add_argument("--immediate", help="(--gpu-free) bench/gl/immediate.c, built for x86_64")
    ap.add_argument("--gpu-free", action="store_true",
                    help="Mesa's rendering switched off (GALLIUM_NOOP=1): glmark2, testgl2, "
                         "vkcube and an immediate-mode program; see gpu_free.py")
    ap.add_argument("--seconds", type=float, default=5,
                    help="(--gpu-free) seconds of testgl2 and immediate (native, lorelei)")
    ap.add_argument("--plain-rounds", type=int, default=1,
                    help="(--gpu-free) rounds of plain QEMU, from the first")
    ap.add_argument("--testgl2-seconds", type=float, default=8)
    ap.add_argument("--startups", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "out"))
    ap.add_argument("--benchmarks", default=",".join(BENCHMARKS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--duration", type=float, default=5, help="scene seconds (native, lorelei)")
    ap.add_argument("--full-duration", type=float, default=2.5,
                    help="seconds per scene of the full run (native, lorelei)")
    ap.add_argument("--plain-duration", type=float, default=15)
    ap.add_argument("--plain-full-duration", type=float, default=1)
    ap.add_argument("--no-plain-full", action="store_true",
                    help="skip the full glmark2 run under plain QEMU (minutes)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="native/Lorelei runs of each kind, interleaved, best kept: the "
                         "machine's other load varies from one run to the next")
    a = ap.parse_args()
    if a.gpu_free:
        return run_gpu_free(a)
    wanted = [b for b in a.benchmarks.split(",") if b]
    unknown = [b for b in wanted if b not in BENCHMARKS]
    if unknown:
        sys.exit(f"bench/gl: unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}")
    modes = [m for m in a.modes.split(",") if m]
    results = {}
    started = time.monotonic()
    with Xvfb() as x:
        runner = Runner(a, x)
        for bench in wanted:
            print(f"=== {bench}", flush=True)
            fn = BENCHMARKS[bench]
            results[bench] = fn(runner, modes, a) if fn is testgl2 else fn(runner.run, modes, a)
    r = ratios(results)
    checks = {}
    t = results.get("testgl2", {})
    if "native" in t and "lorelei" in t:
        extra = t["lorelei"]["startup_s"] - t["native"]["startup_s"]
        r.setdefault("lorelei-native", {})["testgl2_startup_s"] = round(extra, 3)
        checks["testgl2 start-up lorelei - native <= 0.5 s"] = extra <= 0.5
    for (bench, metric), target in TARGETS.items():
        got = r.get("lorelei/native", {}).get(bench, {}).get(metric)
        if got is not None:
            checks[f"{bench} {metric} lorelei/native >= {target}"] = got >= target
    os.makedirs(a.out, exist_ok=True)
    doc = {"results": results, "ratios": r, "targets": checks,
           "settings": {"duration": a.duration, "full_duration": a.full_duration,
                        "plain_duration": a.plain_duration,
                        "plain_full_duration": a.plain_full_duration, "rounds": a.rounds,
                        "plain_cpu": PLAIN_CPU},
           "seconds": round(time.monotonic() - started)}
    with open(os.path.join(a.out, "gl.json"), "w") as f:
        json.dump(doc, f, indent=1)
    plot(results, os.path.join(a.out, "gl.png"))

    print("\n%-10s %-12s %10s %10s %10s %9s %9s" % ("bench", "metric", "native", "lorelei",
                                                  "plain", "lor/nat", "plain/nat"))
    for bench, by_mode in results.items():
        for metric in by_mode.get("native", {}):
            if metric == "scenes":
                continue
            v = [by_mode.get(m, {}).get(metric) for m in MODES]
            rat = [f"{x / v[0]:.3f}" if x is not None and v[0] else "-" for x in v[1:]]
            print("%-10s %-12s %10s %10s %10s %9s %9s" % (bench, metric, *[
                "-" if x is None else x for x in v], *rat))
    for what, ok in checks.items():
        print(f"target {what}: {'met' if ok else 'NOT met'}")
    print(f"wrote {os.path.join(a.out, 'gl.json')} and gl.png ({doc['seconds']} s)")


if __name__ == "__main__":
    sys.exit(main())
