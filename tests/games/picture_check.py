#!/usr/bin/env python3
"""The games harness's picture comparison (gamerun.difference) at the native
picture's brightness: the same scene under a fade from black is close (plain
QEMU's SuperTux, at 0.1 frames/s, was still fading into the level when its
screenshot was taken, and failed at 0.27-0.39 from the native picture),
while a dark screen of other content (SuperTux's level intro: text on black)
and another scene stay far.

usage: picture_check.py
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import gamerun  # noqa: E402
from lorelei import Checks  # noqa: E402

LIMIT = gamerun.MAX_DIFFERENCE


def draw(path, *operations):
    subprocess.run(["convert", "-size", "800x600", *operations, path], check=True)


def main():
    c = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        scene = os.path.join(tmp, "scene.png")  # a sky, hills and a ground
        draw(scene, "gradient:#4060c0-#c0e0ff", "-fill", "#806040",
             "-draw", "ellipse 200,420 260,120 180,360", "-fill", "#304030",
             "-draw", "rectangle 0,440 800,600", "-fill", "#f0f0f0",
             "-draw", "rectangle 420,200 560,240")
        faded = os.path.join(tmp, "faded.png")  # the scene at a tenth of its light
        subprocess.run(["convert", scene, "-evaluate", "multiply", "0.1", faded], check=True)
        intro = os.path.join(tmp, "intro.png")  # a line of "letters" on black
        letters = [a for x in range(250, 560, 22)
                   for a in ("-draw", f"rectangle {x},280 {x + 14},310")]
        draw(intro, "xc:black", "-fill", "white", *letters)
        other = os.path.join(tmp, "other.png")  # another scene
        draw(other, "gradient:#202020-#e0a060", "-fill", "#2040f0",
             "-draw", "circle 400,300 400,80")
        native = gamerun.image_signature(scene)[0]

        def apart(path, match):
            return gamerun.difference(gamerun.image_signature(path)[0], native,
                                      match_brightness=match)

        d = apart(faded, False)
        c.check(d > LIMIT, f"as shot, the faded scene is far from the scene ({d:.3f})")
        d = apart(faded, True)
        c.check(d <= LIMIT, f"at the same brightness, the faded scene is close ({d:.3f})")
        d = apart(scene, True)
        c.check(d < 0.001, f"the scene is the scene ({d:.4f})")
        for path, what in ((intro, "text on black"), (other, "another scene")):
            d = apart(path, True)
            c.check(d > LIMIT, f"at the same brightness, {what} stays far ({d:.3f})")
        c.check(gamerun.difference([0] * 576, native, match_brightness=True) == 1.0,
                "a black picture cannot be brightened to match")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
