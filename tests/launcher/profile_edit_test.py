#!/usr/bin/env python3
"""profile edit (a copy of the effective profile, the editor again on a
problem, the old file kept when the user gives up), profile remove (the
user layer only), profile validate without files (every layer), and JSON
errors with line, column and a hint."""
import json
import os
import sys

from testlib import check, check_in, check_not_in, run_main

# An editor that plays one scripted step per call: write a text, leave the
# file as it is (null), or fail ("FAIL"). It records what it was shown.
FAKE_EDITOR = r'''
import json, os, sys
state = os.environ["FAKE_EDITOR_STATE"]
steps = json.load(open(state + ".steps"))
n = len([f for f in os.listdir(os.path.dirname(state)) if f.startswith(os.path.basename(state) + ".seen")])
with open(sys.argv[-1]) as f:
    shown = f.read()
with open(f"{state}.seen{n}", "w") as f:
    f.write(shown)
step = steps[n]
if step == "FAIL":
    sys.exit(1)
if step is not None:
    with open(sys.argv[-1], "w") as f:
        f.write(step)
'''


def editor(s, steps):
    script = s.write("fake-editor.py", FAKE_EDITOR)
    state = s.path("editor", "state")
    os.makedirs(os.path.dirname(state), exist_ok=True)
    for f in os.listdir(os.path.dirname(state)):
        os.unlink(os.path.join(os.path.dirname(state), f))
    with open(state + ".steps", "w") as f:
        json.dump(steps, f)
    # Words in $EDITOR are split like a shell would, without running one.
    return {"EDITOR": f"{sys.executable} '{script}' --wait", "VISUAL": None,
            "FAKE_EDITOR_STATE": state}


def seen(s, n):
    with open(s.path("editor", "state") + f".seen{n}") as f:
        return f.read()


def user_file(s, pid):
    return os.path.join(s.user_profiles, pid + ".json")


def edit_copy_then_fix(s):
    good = '{"schema": 1, "id": "glxgears", "env": {"vblank_mode": "0"}}\n'
    env = editor(s, ['{"schema": 1, "id": "glxgears",\n "env": {"vblank_mode": "0"},\n}\n', good])
    p = s.ok("profile", "edit", "glxgears", env=env, input="y\n")
    first = json.loads(seen(s, 0))
    check(first["id"] == "glxgears" and first["schema"] == 1 and "$comment" in first, first)
    check("glxgears" in first["match"]["exe"], first)  # the effective profile, merged
    check_in("editing a copy of the effective one", p.stderr)
    check_in("line 2, column 29: not valid JSON: a trailing comma", p.stderr)
    check_in("Edit again? [Y/n]", p.stderr)
    check(seen(s, 1).startswith('{"schema": 1, "id": "glxgears",\n'), "the draft was not reopened")
    check_in("saved " + user_file(s, "glxgears"), p.stdout)
    with open(user_file(s, "glxgears")) as f:
        check(f.read() == good, "the saved file differs")
    shown = s.json("profile", "show", "--resolved", "--json", "glxgears")
    check(shown["origin"]["env.vblank_mode"]["layer"] == "user", shown["origin"])
    check(not [f for f in os.listdir(s.user_profiles) if f.startswith(".")], "a draft was left")


def edit_give_up_keeps_old(s):
    old = '{"schema": 1, "id": "mine", "name": "Mine"}\n'
    s.write("config/qemu-lorelei/profiles/mine.json", old)
    env = editor(s, ['{"schema": 1, "id": "mine", "nmae": "typo"}\n'])
    p = s.error(3, ["profile 'mine' not saved", "is unchanged", "your draft is kept in " +
                    os.path.join(s.user_profiles, ".mine.json.rejected")],
                "profile", "edit", "mine", env=env, input="n\n")
    check_in("nmae", p.stderr)
    with open(user_file(s, "mine")) as f:
        check(f.read() == old, "the old file changed")
    check(json.loads(seen(s, 0)) == json.loads(old), "the editor did not get the user's file")
    # End of input is no as well; an id change is a problem too.
    env = editor(s, ['{"schema": 1, "id": "other"}\n'])
    s.error(3, ["not saved"], "profile", "edit", "mine", env=env, input="")
    # No change: nothing written, for a copy no file at all.
    env = editor(s, [None])
    p = s.ok("profile", "edit", "mine", env=env)
    check_in("no changes", p.stdout)
    env = editor(s, [None])
    p = s.ok("profile", "edit", "glxinfo", env=env)
    check_in("no copy written", p.stdout)
    check(not os.path.exists(user_file(s, "glxinfo")), "a copy was written without a change")
    # A failing editor changes nothing and leaves no draft.
    env = editor(s, ["FAIL"])
    s.error(1, ["the editor", "failed", "is unchanged"], "profile", "edit", "mine", env=env)
    check(sorted(os.listdir(s.user_profiles)) == [".mine.json.rejected", "mine.json"],
          os.listdir(s.user_profiles))


def edit_errors(s):
    env = editor(s, [None])
    s.error(4, ["no profile with id 'glxgear'", "did you mean 'glxgears'?",
                "qemu-lorelei profile new --id glxgear EXECUTABLE"],
            "profile", "edit", "glxgear", env=env)
    s.error(2, ["'../x' is not a profile id"], "profile", "edit", "../x", env=env)
    s.error(4, ["no editor: $VISUAL and $EDITOR are not set"], "profile", "edit", "glxgears",
            env={"EDITOR": None, "VISUAL": None, "PATH": s.path("empty-bin")})


def remove(s):
    s.write("config/qemu-lorelei/profiles/mine.json", '{"schema": 1, "id": "mine"}')
    s.write("config/qemu-lorelei/profiles/glxgears.json", '{"schema": 1, "id": "glxgears"}')
    p = s.ok("profile", "remove", "mine")
    check_in("removed " + user_file(s, "mine"), p.stdout)
    p = s.ok("profile", "remove", "glxgears")
    check_in("profile 'glxgears' now comes from the built-in layer", p.stdout)
    s.error(4, ["profile 'glxgears' is not one of yours: it exists only in the built-in layer",
                "qemu-lorelei profile edit glxgears"], "profile", "remove", "glxgears")
    s.error(4, ["no profile with id 'mine'"], "profile", "remove", "mine")
    check(os.path.exists(os.path.join(s.opts.profiles, "glxgears.json")), "built-in touched")


def validate_every_layer(s):
    p = s.ok("profile", "validate")
    check_in(os.path.join(s.opts.profiles, "glxgears.json") + ": ok", p.stdout)
    check_not_in("index.json", p.stdout)
    s.write("config/qemu-lorelei/profiles/broken.json",
            '{\n  "schema": 1,\n  "id": "broken",\n}\n')
    s.write("config/qemu-lorelei/profiles/misnamed.json", '{"schema": 1, "id": "other"}')
    p = s.error(3, ["2 of"], "profile", "validate")
    check_in("broken.json: invalid\n  line 3, column 17: not valid JSON: a trailing comma", p.stdout)
    check_in("misnamed.json: invalid\n  id: the file must be named other.json to be used", p.stdout)
    # Named on the command line too: run would skip it, so it is invalid.
    p = s.error(3, ["1 of 1"], "profile", "validate", os.path.join(s.user_profiles, "misnamed.json"))
    check_in("misnamed.json: invalid\n  id: the file must be named other.json", p.stdout)


CASES = {f.__name__: f for f in [edit_copy_then_fix, edit_give_up_keeps_old, edit_errors, remove,
                                 validate_every_layer]}

if __name__ == "__main__":
    run_main(CASES)
