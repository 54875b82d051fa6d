"""Side-by-side rates of one guest program natively, under qemu-lorelei and
under plain qemu-x86_64, shared by the library benchmarks (bench/openal,
bench/codecs).

The program is timed by itself (no start-up) and prints a line with
"seconds=S error=0x0". Rounds interleave the three configurations, so load
from other processes on this shared machine hits them alike; each rate is
the median of the rounds and each ratio the median of the per-round ratios.
Plain QEMU gets smaller sizes (rates are per unit of work, so sizes do not
enter the ratios)."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def timed(name, cmd, env, args, units):
    p = subprocess.run(cmd + args, env=env, capture_output=True, text=True, timeout=900)
    m = re.search(r"seconds=([0-9.]+) error=0x0", p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"bench-{name}: {' '.join(cmd + args)} failed ({p.returncode}):\n"
                 f"{p.stdout}{p.stderr[-3000:]}")
    return units / float(m.group(1))


def measure(name, configs, workloads, rounds, out_dir):
    """configs: {"native"|"lorelei"|"plain_qemu": (cmd, env, size index)};
    workloads: {workload: (units, units for plain QEMU, what a unit is,
    args(units) -> the program's arguments)}. Prints the rounds and a
    table, writes OUT_DIR/NAME.json and returns what it wrote."""
    res = {"benchmark": name, "rounds": rounds, "workloads": {}}
    for workload, (fast, slow, unit, args) in workloads.items():
        sizes = (fast, slow)
        rates = {n: [] for n in configs}
        for r in range(rounds):
            for n, (cmd, env, which) in configs.items():
                rates[n].append(timed(name, cmd, env, args(sizes[which]), sizes[which]))
            print(f"  {workload} round {r + 1}: " + ", ".join(
                f"{n} {rates[n][-1]:.1f}/s" for n in configs), flush=True)
        per_round = {k: [lo / other for lo, other in zip(rates["lorelei"], rates[k])]
                     for k in ("native", "plain_qemu")}
        res["workloads"][workload] = {
            "unit": unit, "units": {"native": fast, "lorelei": fast, "plain_qemu": slow},
            "rate_per_s": {n: statistics.median(v) for n, v in rates.items()},
            "rates_per_round": rates,
            "lorelei_over_native": statistics.median(per_round["native"]),
            "lorelei_over_plain_qemu": statistics.median(per_round["plain_qemu"]),
            "plain_qemu_over_native": statistics.median(
                [p / n for p, n in zip(rates["plain_qemu"], rates["native"])])}
    path = os.path.join(out_dir, f"{name}.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    print(f"\n{'workload':10}{'native/s':>12}{'lorelei/s':>12}{'plain/s':>12}"
          f"{'lo/native':>11}{'lo/plain':>10}{'plain/native':>14}")
    for w, r in res["workloads"].items():
        rate = r["rate_per_s"]
        print(f"{w:10}{rate['native']:12.1f}{rate['lorelei']:12.1f}{rate['plain_qemu']:12.1f}"
              f"{r['lorelei_over_native']:11.2f}{r['lorelei_over_plain_qemu']:10.1f}"
              f"{r['plain_qemu_over_native']:14.3f}")
    print("units: " + "; ".join(f"{w}: {r['unit']}" for w, r in res["workloads"].items()))
    print(f"wrote {path}")
    return res


def arguments(required, rounds):
    """The command line of a library benchmark: the paths in `required`
    (option names), --out DIR (created) and --rounds N."""
    ap = argparse.ArgumentParser()
    for opt in required:
        ap.add_argument(opt, required=True)
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--rounds", type=int, default=rounds)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    return a


def clean_env(*drop):
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH") + drop:
        env.pop(k, None)
    return env
