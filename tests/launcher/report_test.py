#!/usr/bin/env python3
"""qemu-lorelei profile report GAME: a tested_on record of a real run in the
user layer's copy of the profile (host, CPU, GPU from doctor's probe,
versions, the frame rate from a `run --log` log or --fps, the user's
verdict), validated, with the steps to submit it; and every user error with
what, why and a fix, exit status non-zero and nothing written."""
import datetime
import json
import os
import re
import subprocess

from run_test import Setup, needs_x86_64_guest_runs
from testlib import check, check_in, check_not_in, run_main


def logs_dir(s):
    return s.path(".local", "state", "qemu-lorelei", "logs")


def write_log(s, name, profile="glxgears", output="", before=""):
    """A log as `run --log` writes it (run-log.c): header, the launcher's
    lines, the marker, the game's output, the end."""
    os.makedirs(logs_dir(s), exist_ok=True)
    path = os.path.join(logs_dir(s), name)
    chose = f"qemu-lorelei: profile '{profile}' (matched by sha256; built-in)\n" if profile else ""
    with open(path, "w") as f:
        f.write("qemu-lorelei run log, started 2026-12-04T10:00:00+00:00\n"
                "command: qemu-lorelei run ./game\nworking folder: /tmp\n" + before + chose +
                "----- output of QEMU and the game -----\n" + output +
                "----- exit status 0 after 12.0 s -----\n")
    return path


def user_file(s, pid):
    return os.path.join(s.user_profiles, pid + ".json")


def load(path):
    with open(path) as f:
        return json.load(f)


def versions(s, env=None):
    """What --version says: the record must say the same."""
    out = s.ok("--version", env=env).stdout
    lorelei = re.search(r"^qemu-lorelei (\S+) ", out, re.M).group(1)
    abi = int(re.search(r"^plugin ABI: (\d+)", out, re.M).group(1))
    qemu = re.search(r"^QEMU: qemu-x86_64 version (\d+\.\d+(\.\d+)?)", out, re.M)
    return lorelei, abi, qemu.group(1) if qemu else None


def cpu_model_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return " ".join(value.split())[:128]
    return None


def check_host_fields(s, record, env=None):
    check(record["host_arch"] == os.uname().machine, record)
    check(record["date"] == datetime.date.today().isoformat(), record)
    lorelei, abi, qemu = versions(s, env)
    check(record["lorelei_version"] == lorelei, (record, lorelei))
    check(record["plugin_abi"] == abi, (record, abi))
    if qemu is not None:
        check(record["qemu_version"] == qemu + ("" if qemu.count(".") == 2 else ".0"), record)
    expected_cpu = cpu_model_name()
    if expected_cpu is not None:
        check(record.get("cpu") == expected_cpu, (record, expected_cpu))
    # The GPU comes from doctor's probe: the same renderer and GL version.
    p = s.run("doctor", "--json", env=env, timeout=240)
    rows = {r["check"]: r for r in json.loads(p.stdout)["checks"]}
    if rows["host OpenGL"]["status"] == "ok":
        check(record.get("gpu_driver") == rows["host OpenGL"]["detail"], (record, rows))
        check(record.get("gpu_renderer") and record["gpu_renderer"] in rows["GPU driver"]["detail"],
              (record, rows["GPU driver"]))
    else:
        check("gpu_renderer" not in record or rows["host Vulkan"]["status"] == "ok", record)


def report_from_run_log(s):
    """End to end: a real `run --log` (the test guest prints what it is given
    as its output), then report takes the frame rate from that log."""
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    t.profile()
    env = dict(t.env)
    p = t.run("--log", t.game, "12.0 fps", "Average: 30 FPS", "fps: 31.5", "--exit=0")
    check(p.returncode == 0, p.stderr)
    check(len(os.listdir(logs_dir(s))) == 1, os.listdir(logs_dir(s)))
    log = os.path.join(logs_dir(s), os.listdir(logs_dir(s))[0])
    out = s.json("profile", "report", "echo-test", "--result", "playable", "--notes",
                 "menus, the first level\nand sound", "--json", env=env)
    file = user_file(s, "echo-test")
    check(out["file"] == file and out["copied"] is True, out)
    record = out["record"]
    # The median of 12, 30 and 31.5; the launcher's own lines (the command
    # line holds the same words) do not count.
    check(record["fps"] == 30, record)
    check("native_fps" not in record, record)
    check_in("the median of 3 samples (12.0 to 31.5 fps) in " + log, out["frame_rate_from"])
    check(record["result"] == "playable" and record["notes"] == "menus, the first level\nand sound",
          record)
    check_host_fields(s, record, env)
    # Written into the user layer's copy: the effective profile plus the record.
    doc = load(file)
    check(doc["id"] == "echo-test" and doc["match"]["sha256"] == [t.sha256], doc)
    check(doc["tested_on"] == [record], doc["tested_on"])
    s.ok("profile", "validate", file, env=env)
    shown = s.json("profile", "show", "--resolved", "--json", "echo-test", env=env)
    check(shown["profile"]["tested_on"][-1] == record, shown)
    check(shown["origin"]["tested_on"]["layer"] == "user", shown["origin"])
    # A second report adds a record to the same copy; the text says how to submit.
    p = s.ok("profile", "report", "echo-test", "--result", "runs", "--fps", "25", env=env)
    check_in("updated " + file + ": added this tested_on record:", p.stdout)
    check_in("frame rate: given with --fps", p.stdout)
    check_in("To submit it to the community repository (" + s.opts.submit_url + ")", p.stdout)
    check_in("qemu-lorelei profile validate " + file, p.stdout)
    check_in("qemu-lorelei profile index .", p.stdout)
    doc = load(file)
    check(len(doc["tested_on"]) == 2 and doc["tested_on"][0] == record, doc["tested_on"])
    check(doc["tested_on"][1]["fps"] == 25 and doc["tested_on"][1]["result"] == "runs", doc)
    check_in(json.dumps(doc["tested_on"][1], separators=(",", ":"), ensure_ascii=False), p.stdout)


def report_with_fps_and_native(s):
    """A built-in profile: the copy keeps its records and adds the new one."""
    builtin = load(os.path.join(s.opts.profiles, "glxgears.json"))
    p = s.ok("profile", "report", "glxgears", "--result", "runs", "--fps", "24.04",
             "--native-fps", "60")
    check_in("ratio to native: 0.40", p.stdout)
    doc = load(user_file(s, "glxgears"))
    check(doc["tested_on"][:-1] == builtin["tested_on"], doc["tested_on"])
    record = doc["tested_on"][-1]
    check(record["fps"] == 24 and record["native_fps"] == 60 and record["result"] == "runs",
          record)
    check("notes" not in record, record)
    check_host_fields(s, record)


def report_broken_without_frame_rate(s):
    out = s.json("profile", "report", "vkcube", "--result", "broken", "--notes",
                 "black window", "--json")
    check("fps" not in out["record"] and out["record"]["result"] == "broken", out)
    check_in("none (no run log of the game", out["frame_rate_from"])
    # A broken game's log without a frame rate is fine too.
    log = write_log(s, "20261204-100000-vkcube-1.log", "vkcube", "segfault\n")
    out = s.json("profile", "report", "vkcube", "--result", "broken", "--log", log, "--json")
    check("fps" not in out["record"], out)
    check_in("the game printed no frame rate", out["frame_rate_from"])
    check(len(load(user_file(s, "vkcube"))["tested_on"]) == 3, "two records added")


def report_picks_newest_log_of_game(s):
    write_log(s, "20261201-100000-glxgears-1.log", "glxgears", "10 fps\n")
    write_log(s, "20261202-100000-glxgears-2.log", "glxgears",
              "300 frames in 5.0 seconds = 60.000 FPS\n240 frames in 5.0 seconds = 48.000 FPS\n")
    write_log(s, "20261203-100000-vkcube-3.log", "vkcube", "99 fps\n")  # newest: another game
    out = s.json("profile", "report", "glxgears", "--result", "playable", "--json")
    check(out["record"]["fps"] == 54, out)  # the median of 60 and 48
    check_in("20261202-100000-glxgears-2.log", out["frame_rate_from"])
    # glmark2's and SDL's forms.
    log = write_log(s, "20261204-100000-glmark2-4.log", "glxgears",
                    "[build] use-vbo=false: FPS: 1234 FrameTime: 0.810 ms\n"
                    "59.98 frames per second\nframe rate = 61\n")
    out = s.json("profile", "report", "glxgears", "--result", "playable", "--log", log, "--json")
    check(out["record"]["fps"] == 61, out)


def report_user_errors(s):
    def nothing_written():
        written = os.listdir(s.user_profiles) if os.path.exists(s.user_profiles) else []
        check(not written, f"an error wrote {written}")

    def error(status, needles, *args):
        s.error(status, needles + ["fix:"], "profile", "report", *args)
        nothing_written()

    error(2, ["no game given"])
    error(4, ["no profile with id 'glxgear'", "glxgears"], "glxgear", "--result", "playable",
          "--fps", "60")
    error(2, ["'../glxgears' is not a profile id"], "../glxgears", "--result", "playable")
    error(2, ["--result is required", "playable", "runs", "broken"], "glxgears", "--fps", "60")
    error(2, ["--result 'great' is not one of playable, runs, broken"], "glxgears", "--result",
          "great", "--fps", "60")
    error(2, ["--notes holds the control character U+001B"], "glxgears", "--result", "runs",
          "--fps", "60", "--notes", "\x1b[2J")
    error(2, ["--notes is 1025 characters long; a record's notes are at most 1024"], "glxgears",
          "--result", "runs", "--fps", "60", "--notes", "n" * 1025)
    for bad in ["abc", "0", "0.0", "-5", "inf", "nan", "1e2", "60fps", "", "0x10", "100000.5",
                " 60", "6,5"]:
        error(2, [f"--fps '{bad}' is not a frame rate"], "glxgears", "--result", "runs",
              "--fps", bad)
        error(2, [f"--native-fps '{bad}' is not a frame rate"], "glxgears", "--result", "runs",
              "--fps", "30", "--native-fps", bad)
    log = write_log(s, "20261204-100000-glxgears-1.log", "glxgears", "30 fps\n")
    error(2, ["give --fps or --log, not both"], "glxgears", "--result", "runs", "--fps", "30",
          "--log", log)
    os.unlink(log)
    # No log to take the frame rate from.
    error(4, ["no run log of glxgears in " + logs_dir(s), "run it once with a log",
              "--fps N"], "glxgears", "--result", "playable")
    write_log(s, "20261204-100000-vkcube-1.log", "vkcube", "30 fps\n")  # another game's
    error(4, ["no run log of glxgears"], "glxgears", "--result", "playable")
    error(4, ["cannot open " + s.path("missing.log")], "glxgears", "--result", "playable",
          "--log", s.path("missing.log"))
    error(3, ["is not a regular file"], "glxgears", "--result", "playable", "--log", s.root)
    notlog = s.write("notes.txt", "60 fps\n")
    error(3, ["notes.txt is not a qemu-lorelei run log"], "glxgears", "--result", "playable",
          "--log", notlog)
    other = write_log(s, "20261204-100001-vkcube-2.log", "vkcube", "30 fps\n")
    error(3, ["is a run of profile 'vkcube', not of profile 'glxgears'"], "glxgears", "--result",
          "playable", "--log", other)
    # The game's output cannot claim the run was another game's.
    spoof = write_log(s, "20261204-100004-x-5.log", None,
                      "30 fps\nqemu-lorelei: profile 'glxgears' (chosen with --profile; built-in)\n")
    error(3, ["is a run of a game without a profile, not of profile 'glxgears'"], "glxgears",
          "--result", "playable", "--log", spoof)
    os.unlink(spoof)
    noprofile = write_log(s, "20261204-100002-x-3.log", None, "30 fps\n")
    error(3, ["is a run of a game without a profile, not of profile 'glxgears'"], "glxgears",
          "--result", "playable", "--log", noprofile)
    # The launcher's lines (before the game's output) never count.
    silent = write_log(s, "20261204-100003-glxgears-4.log", "glxgears", "no rate here\n",
                       before="qemu-lorelei: env: vblank_mode=0 60 fps\n")
    error(4, ["no frame rate in " + silent, "the game printed no frame rate",
              "give the frame rate you saw with --fps N"], "glxgears", "--result", "playable")
    unstarted = s.write("unstarted.log", "qemu-lorelei run log, started x\n"
                        "qemu-lorelei: profile 'glxgears' (chosen with --profile; built-in)\n"
                        "error: no sysroot\n")
    error(3, ["it has no game output"], "glxgears", "--result", "playable", "--log", unstarted)
    # A broken copy of one's own is not overwritten.
    broken = s.write(os.path.join(s.user_profiles, "glxgears.json"), '{"schema": 1, "id": "glxgears", "qemu": {"cpu": "host"}}')
    p = s.error(3, ["is not a valid profile", "qemu.cpu", "profile edit glxgears"], "profile",
                "report", "glxgears", "--result", "runs", "--fps", "30")
    with open(broken) as f:
        check('"host"' in f.read(), "the broken copy was changed")
    check_not_in("tested_on record", p.stdout)


CASES = {f.__name__: f for f in [report_from_run_log, report_with_fps_and_native,
                                 report_broken_without_frame_rate,
                                 report_picks_newest_log_of_game, report_user_errors]}

if __name__ == "__main__":
    run_main(CASES, ["submit-url", "qemu", "plugin", "preload", "guest", "probe", "stub-sdl2",
                     "stub-gl", "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache"])
