#!/usr/bin/env python3
"""bench/games's judging of its rounds (short_of_play, judge), on made-up
rounds: a round on a title or intro screen is left out, a round fading into
the native picture counts, and with the no-op driver (a blank screen) no
round is held for judging. That last one failed before: every GPU-free
round had its screenshot copied as "not in play" and left behind. And
OpenArena's bots come with its map, not during the counted seconds.

usage: bench_judging.py
"""
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from games import game  # noqa: E402
from lorelei import Checks  # noqa: E402

BENCH = os.path.join(HERE, "..", "..", "bench", "games", "run.py")


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_games_run", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def main():
    c = Checks()
    bench = load_bench()
    g = game("supertux")
    scene = [100 + i % 50 for i in range(576)]  # the level, in a thumbnail
    faded = [x // 10 for x in scene]            # the level at a tenth of its light
    intro = [0] * 570 + [200] * 6               # text on black

    def result(thumb, colours):
        return {"first_frames_s": 1.0, "thumb": thumb, "colours": colours}

    with tempfile.TemporaryDirectory() as tmp:
        rounds = []
        for rnd, mode, r in ((1, "native", result(scene, 11000)),
                             (1, "lorelei", result(intro, 600)),
                             (1, "qemu", result(faded, 700)),
                             (2, "lorelei", result(scene, 10000))):
            if bench.short_of_play(g, r, gpu_free=False):
                r["kept_screenshot"] = os.path.join(tmp, f"{mode}-{rnd}.png")
                open(r["kept_screenshot"], "w").close()
            rounds.append((rnd, "supertux", g, mode, r))
        counted, left_out = bench.judge(rounds)
        kept = {(m, n) for n, _, _, m, _ in counted}
        c.check(left_out == {"supertux": {"lorelei": [1]}},
                f"the round on the intro is left out ({left_out})")
        c.check(kept == {("native", 1), ("qemu", 1), ("lorelei", 2)},
                f"the rounds in play count, the faded one too ({sorted(kept)})")
        c.check(os.listdir(tmp) == ["lorelei-1.png"],
                f"only the left-out round keeps its screenshot ({os.listdir(tmp)})")
        blank = result([0] * 576, 1)
        c.check(not bench.short_of_play(g, blank, gpu_free=True),
                "with the no-op driver (a blank screen) no round is held for judging")
        c.check(bench.short_of_play(g, blank, gpu_free=False),
                "with a real driver a blank round is held for judging")
        nothing = dict(blank, first_frames_s=None)
        c.check(not bench.short_of_play(g, nothing, gpu_free=False),
                "a round that drew nothing is not held (it counts as 0 frames/s)")

    # OpenArena's bots are loaded with its map, before the player enters
    # (the line its warm-up starts from): with bot_minplayers the server
    # added one every 10 s of play, and under qemu-lorelei the counted
    # seconds held a bot's loading.
    args = game("openarena")["args"]
    devmap = args.index("+devmap")
    c.check("bot_minplayers" not in args and args.count("+addbot") == 2 and
            args.index("+addbot") > devmap,
            "OpenArena adds its two bots right after its map, not one every 10 s of play")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
