"""bench/gl --gpu-free: what the API costs, without the rendering.

With GALLIUM_NOOP=1 Mesa's Gallium drivers accept every command and draw
nothing, so a frame costs only the program, the GL/Vulkan API and the
driver's CPU work: the stand-in for a fast GPU, where the cost of
forwarding each call shows instead of hiding behind llvmpipe's drawing.
Native, qemu-lorelei and plain qemu-x86_64 run the same programs in
alternating rounds (native and Lorelei every round, plain QEMU, ~30x
slower, in the first only):

  glmark2   its default benchmark list without the three that crash natively
            under GALLIUM_NOOP (desktop, buffer's subdata variant), 320x240
            off-screen: the score, and each benchmark's FPS
  testgl2   SDL2's testgl2: frames per second over a fixed time
  vkcube    frames per second from a short and a long run. Rendered by
            lavapipe: GALLIUM_NOOP would turn it into a no-op Vulkan device
            too, and vkcube crashes natively on that one
  immediate bench/gl/immediate.c: OpenGL 1.x immediate mode, 50,000
            glColor/glVertex calls a frame

Writes DIR/gl-gpu-free.json and DIR/gl-gpu-free.png.
"""
import json
import os
import re
import statistics
import subprocess
import time

from xvfb import run_x_program

MODES = ("native", "lorelei", "plain")
TARGETS = {("glmark2", "score"): 0.8, ("immediate", "fps"): 0.5}

# glmark2's default benchmarks (glmark2 2021.12, as `glmark2 -b :duration=X`
# lists them) without the three that crash natively under GALLIUM_NOOP: the
# two desktop ones and buffer with update-method=subdata (glBufferSubData on
# the no-op driver's buffers).
GLMARK2_BENCHMARKS = [
    "build:use-vbo=false", "build:use-vbo=true",
    "texture:texture-filter=nearest", "texture:texture-filter=linear",
    "texture:texture-filter=mipmap",
    "shading:shading=gouraud", "shading:shading=blinn-phong-inf", "shading:shading=phong",
    "shading:shading=cel",
    "bump:bump-render=high-poly", "bump:bump-render=normals", "bump:bump-render=height",
    "effect2d:kernel=0,1,0;1,-4,1;0,1,0;", "effect2d:kernel=1,1,1,1,1;1,1,1,1,1;1,1,1,1,1;",
    "pulsar:light=false:quads=5:texture=false",
    "buffer:columns=200:interleave=false:update-dispersion=0.9:update-fraction=0.5:"
    "update-method=map",
    "buffer:columns=200:interleave=true:update-dispersion=0.9:update-fraction=0.5:"
    "update-method=map",
    "ideas:speed=duration", "jellyfish", "terrain", "shadow", "refract",
    "conditionals:fragment-steps=0:vertex-steps=0",
    "conditionals:fragment-steps=5:vertex-steps=0",
    "conditionals:fragment-steps=0:vertex-steps=5",
    "function:fragment-complexity=low:fragment-steps=5",
    "function:fragment-complexity=medium:fragment-steps=5",
    "loop:fragment-loop=false:fragment-steps=5:vertex-steps=5",
    "loop:fragment-steps=5:fragment-uniform=false:vertex-steps=5",
    "loop:fragment-steps=5:fragment-uniform=true:vertex-steps=5",
]
TESTGL2 = "/usr/libexec/installed-tests/SDL2/testgl2"
VKCUBE = "/usr/bin/vkcube"


def noop(env):
    env = dict(env)
    env["GALLIUM_NOOP"] = "1"
    return env


def glmark2(runner, mode, a):
    d = a.plain_duration if mode == "plain" else a.duration
    argv = ["glmark2", "--off-screen", "-s", "320x240"]
    for b in GLMARK2_BENCHMARKS:
        argv += ["-b", f"{b}:duration={d}"]
    cmd, env = runner.command(mode, argv)
    p = run_x_program(cmd, noop(env), timeout=3600)
    if p.returncode != 0:
        raise RuntimeError(f"{mode}: glmark2 exited with {p.returncode}:\n{p.stderr[-2000:]}")
    score = re.search(r"glmark2 Score: (\d+)", p.stdout)
    fps = re.findall(r"^\[(\w+)\] (.*): FPS: (\d+)", p.stdout, re.M)
    if not score or len(fps) != len(GLMARK2_BENCHMARKS):
        raise RuntimeError(f"{mode}: glmark2 printed {len(fps)} results of "
                           f"{len(GLMARK2_BENCHMARKS)}:\n{p.stdout[-2000:]}")
    return {"score": int(score.group(1)),
            "benchmarks": {f"{s} {o}": int(f) for s, o, f in fps}}


def testgl2(runner, mode, a):
    cmd, env = runner.command(mode, [TESTGL2], sdl2=True)
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=noop(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace")
    time.sleep(a.plain_duration * 2 if mode == "plain" else a.seconds)
    p.terminate()
    text = p.communicate(timeout=120)[0]
    m = re.search(r"([0-9.]+) frames per second", text)
    if not m:
        raise RuntimeError(f"{mode}: testgl2 printed no FPS:\n{text[-1000:]}")
    return {"fps": float(m.group(1))}


def vkcube(runner, mode, a):
    short, long = (10, 110) if mode == "plain" else (100, 1100)
    # The FPS is the extra frames over the extra time, start-up cancelled
    # out. On a busy machine the long run can finish no later than the
    # short one: no measurement then (None, left out of the medians and
    # ratios) after three tries, never a made-up rate.
    for _ in range(3):
        took = {}
        for n in (short, long):
            cmd, env = runner.vulkan_command(mode, [VKCUBE, "--c", str(n), "--present_mode", "0"])
            start = time.monotonic()
            p = run_x_program(cmd, env, timeout=1800)  # not noop(env): see the top
            took[n] = time.monotonic() - start
            if p.returncode != 0:
                raise RuntimeError(f"{mode}: vkcube exited with {p.returncode}:\n"
                                   f"{p.stderr[-2000:]}")
        if took[long] > took[short]:
            return {"fps": (long - short) / (took[long] - took[short])}
        print(f"vkcube {mode}: {long} frames took no longer than {short} "
              f"({took[long]:.2f} s vs {took[short]:.2f} s): the machine is too busy; again",
              flush=True)
    return {"fps": None}


def immediate(runner, mode, a):
    seconds = a.plain_duration * 2 if mode == "plain" else a.seconds
    cmd, env = runner.command(mode, [a.immediate, str(seconds)])
    p = run_x_program(cmd, noop(env), timeout=600)
    m = re.search(r"fps=([0-9.]+) calls_per_frame=(\d+)", p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"{mode}: immediate failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return {"fps": float(m.group(1)), "calls_per_frame": int(m.group(2))}


BENCHMARKS = {"glmark2": glmark2, "testgl2": testgl2, "vkcube": vkcube, "immediate": immediate}
METRIC = {"glmark2": "score", "testgl2": "fps", "vkcube": "fps", "immediate": "fps"}


def plot(summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(summary)
    fig, ax = plt.subplots(figsize=(max(6, 2.2 * len(names)), 4.5))
    width = 0.27
    colours = {"native": "#4c72b0", "lorelei": "#55a868", "plain": "#c44e52"}
    for k, mode in enumerate(MODES):
        xs = [i + (k - 1) * width for i in range(len(names))]
        vals = [summary[b].get(mode) for b in names]
        rects = ax.bar(xs, [v or 0.01 for v in vals], width, label=mode, color=colours[mode])
        for r, v, b in zip(rects, vals, names):
            native = summary[b]["native"]
            label = ("n/a" if v is None else f"{v:.0f}" if mode == "native" or not native
                     else f"{v:.0f}\n{v / native:.2f}x")
            ax.annotate(label, (r.get_x() + r.get_width() / 2, r.get_height()), ha="center",
                        va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([f"{b}\n{METRIC[b]}" for b in names])
    ax.set_ylabel("higher is faster (log scale)")
    ax.set_title("GPU-free (GALLIUM_NOOP=1): native vs qemu-lorelei vs plain qemu-x86_64")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(runner, a, wanted, modes):
    results = {b: {m: [] for m in modes} for b in wanted}
    started = time.monotonic()
    for r in range(a.rounds):
        for bench in wanted:
            for mode in modes:
                if mode == "plain" and r >= a.plain_rounds:
                    continue
                print(f"=== round {r + 1}: {bench} {mode}", flush=True)
                results[bench][mode].append(BENCHMARKS[bench](runner, mode, a))
    summary, ratios = {}, {}
    for bench, by_mode in results.items():
        metric = METRIC[bench]
        # A run that could not measure (None) counts in no median or ratio.
        valid = {m: [x[metric] for x in v if x[metric] is not None] for m, v in by_mode.items()}
        summary[bench] = {m: statistics.median(v) if v else None for m, v in valid.items()}
        per_round = [lo[metric] / na[metric]
                     for lo, na in zip(by_mode.get("lorelei", []), by_mode.get("native", []))
                     if lo[metric] is not None and na[metric] is not None]
        if per_round:
            ratios[bench] = {"lorelei_over_native": statistics.median(per_round),
                             "lorelei_over_native_per_round": per_round}
            if summary[bench].get("plain"):
                ratios[bench]["plain_over_native"] = summary[bench]["plain"] / \
                    summary[bench]["native"]
    checks = {}
    for (bench, metric), target in TARGETS.items():
        if bench in ratios:
            got = ratios[bench]["lorelei_over_native"]
            checks[f"{bench} {metric} lorelei/native >= {target}"] = got >= target
    doc = {"results": results, "median": summary, "ratios": ratios, "targets": checks,
           "settings": {"gallium_noop": True, "rounds": a.rounds, "plain_rounds": a.plain_rounds,
                        "glmark2_duration": a.duration, "seconds": a.seconds,
                        "plain_duration": a.plain_duration,
                        "glmark2_benchmarks": GLMARK2_BENCHMARKS},
           "seconds": round(time.monotonic() - started)}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gl-gpu-free.json"), "w") as f:
        json.dump(doc, f, indent=1)
    plot(summary, os.path.join(a.out, "gl-gpu-free.png"))
    print("\n%-10s %-6s %10s %10s %10s %9s %22s %9s" % (
        "bench", "metric", "native", "lorelei", "plain", "lor/nat", "per round", "plain/nat"))
    for bench, s in summary.items():
        r = ratios.get(bench, {})
        per_round = ",".join(f"{x:.2f}" for x in r.get("lorelei_over_native_per_round", []))
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        print("%-10s %-6s %10s %10s %10s %9s %22s %9s" % (
            bench, METRIC[bench], fmt(s.get("native")), fmt(s.get("lorelei")),
            fmt(s.get("plain")), f"{r['lorelei_over_native']:.3f}" if r else "-", per_round,
            f"{r['plain_over_native']:.3f}" if "plain_over_native" in r else "-"))
    for what, ok in checks.items():
        print(f"target {what}: {'met' if ok else 'NOT met'}")
    print(f"wrote {os.path.join(a.out, 'gl-gpu-free.json')} and gl-gpu-free.png "
          f"({doc['seconds']} s)")
    return 0
