#!/usr/bin/env python3
"""SDL2 under qemu-lorelei, judged by real programs run natively and under
Lorelei side by side (libsdl2-tests' programs, and sdl_events.c).

usage: run_sdl2.py CASE --qemu Q --plugin P --preload S --stub-dir D
                   [--events-prog PROG] [--asan-runtime R]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import (TIME_SCALE, Checks, add_common_args, check_exports, end_process,  # noqa: E402
                     exported_symbols, from_args, require_host_gl, run)
from xvfb import Xvfb, run_x_program, wait_for_drawing  # noqa: E402

SDL_TESTS = "/usr/libexec/installed-tests/SDL2"
HOST_SDL = "/usr/lib/x86_64-linux-gnu/libSDL2-2.0.so.0"
c = Checks()


def base_env(extra=None):
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH"):
        env.pop(k, None)
    env.update({"SDL_AUDIODRIVER": "dummy", "XDG_RUNTIME_DIR": "/tmp"})
    env.update(extra or {})
    return env


def lorelei(a, argv, env, guest_env=None, gl=False, **kw):
    """argv under QEMU + plugin; verbose so the run proves the stub was used.
    env reaches QEMU (and so the host's SDL) and the guest; guest_env only the
    guest. gl: the GL stub too."""
    extra = [x for k, v in (guest_env or {}).items() for x in ("-E", f"{k}={v}")]
    libs, dirs = ["sdl2"], [a.stub_dir]
    if gl:
        libs.append("gl")
        dirs.append(a.gl_stub_dir)
    cmd, full_env = from_args(a).command(argv, libs=libs, guest_lib_dirs=dirs,
                                         plugin_args=["verbose=on"], qemu_args=extra, **kw)
    full_env.update({k: v for k, v in env.items() if k not in ("LD_PRELOAD", "LD_LIBRARY_PATH")})
    return cmd, full_env


def went_through_plugin(stderr):
    return "sdl2: loaded libSDL2-2.0.so.0" in stderr


def used_stub(a, stderr, what, libs=1):
    """The Lorelei run went through the SDL2 stub (and, in the aarch64 lane,
    the host libraries it loaded were aarch64 ones)."""
    c.check(went_through_plugin(stderr), f"{what}: the Lorelei run used the SDL2 stub")
    from_args(a).check_host(c, stderr, what, libs=libs)


def case_coverage(a):
    host = exported_symbols(HOST_SDL)
    stub = exported_symbols(os.path.join(a.stub_dir, "libSDL2-2.0.so.0"))
    print(f"host exports {len(host)}, stub exports {len(stub)}")
    c.check(len(host) > 800, "the host's libSDL2 exports its API (sanity)")
    check_exports(c, "libSDL2-2.0.so.0", stub, host)


# Programs of libsdl2-tests that need no display, and a line each run must print.
PROGRAMS = {
    "testver": r"Linked version: 2\.",
    "testatomic": r"Readers read \d+ total events",
    "testthread": r"Waiting for thread #",
    "testqsort": r"random sorted arraylen",
    "testiconv": r"THE END",
    "testerror": r"Main thread error string: No worries",
    "testfile": r"test5 OK",
    "testfilesystem": r"pref path: '",
    "testtimer": r"Delay 1 second",
    "testlocale": r"(Couldn't determine locales|Locales)",
    "testaudioinfo": r"(Using audio driver|Number of audio devices|Error when calling)",
}


def case_programs(a):
    for prog, pattern in PROGRAMS.items():
        if a.only and prog not in a.only:
            continue
        argv = [os.path.join(SDL_TESTS, prog)]
        n = run(argv, env=base_env(), timeout=120, cwd=SDL_TESTS)
        cmd, env = lorelei(a, argv, base_env())
        l = run(cmd, env=env, timeout=300, cwd=SDL_TESTS)
        c.check(l.returncode == n.returncode, f"{prog}: same exit status ({n.returncode}, {l.returncode})")
        found = lambda p: re.search(pattern, p.stdout + p.stderr) is not None  # noqa: E731
        c.check(found(n) and found(l), f"{prog}: both runs print /{pattern}/")
        used_stub(a, l.stderr, prog)


def suite_summaries(text):
    return re.findall(r">>> Suite '([^']+)': (\w+)|Suite Summary: (Total=\d+ Passed=\d+ Failed=\d+ Skipped=\d+)",
                      text)


# testautomation draws its inputs from a seed, random per run unless given.
# SDL 2.26's SDLTest_RandomAsciiString returns NULL for a zero length (1 in
# 256), which its clipboard tests hand to SDL_strdup: a crash, natively too.
# One fixed seed for both runs: the same inputs, compared like for like.
AUTOMATION_SEED = "LORELEI2026SEED0"


def case_automation(a):
    argv = [os.path.join(SDL_TESTS, "testautomation"), "--seed", AUTOMATION_SEED]
    with Xvfb() as x:
        env = x.env(base_env())
        n = run_x_program(argv, env, timeout=600, cwd=SDL_TESTS)
        cmd, lenv = lorelei(a, argv, env)
        l = run_x_program(cmd, lenv, timeout=900, cwd=SDL_TESTS)
    ns, ls = suite_summaries(n.stdout + n.stderr), suite_summaries(l.stdout + l.stderr)
    c.check(len(ns) > 40, f"SDL's test suites ran natively ({len(ns) // 2} suites)")
    c.check(ns == ls, "every suite's result and pass/fail/skip counts are the same under Lorelei")
    for x, y in zip(ns, ls):
        if x != y:
            print(f"   native {x} vs lorelei {y}")
    c.check(l.returncode == n.returncode, f"same exit status ({n.returncode}, {l.returncode})")
    used_stub(a, l.stderr, "testautomation")


def strip_silence(data):
    """Leading silence depends on when the device was unpaused, trailing
    silence on when the program was told to stop: SDL writes whole buffers
    of silence while the device closes (measured in the aarch64 lane, where
    the Lorelei run's last two 4 KiB buffers were silence)."""
    return data.strip(b"\0")


# Samples enough to compare: the disk driver without delay writes as fast as
# the callback fills buffers (natively hundreds of MB in seconds), so a run
# stops once it has written this much after its leading silence.
LOOPWAVE_ENOUGH = 4 << 20


def wait_for_audio(p, path, seconds):
    """Waits until the program wrote LOOPWAVE_ENOUGH bytes of samples to
    path, ended, or `seconds` passed. Reads only what was added since the
    last look (while paused, SDL's device writes silence at full speed)."""
    deadline = time.monotonic() + seconds
    scanned, first_sample = 0, None
    while time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.25)
        try:
            with open(path, "rb") as f:
                if first_sample is None:
                    f.seek(scanned)
                    chunk = f.read()
                    rest = chunk.lstrip(b"\0")
                    if rest:
                        first_sample = scanned + len(chunk) - len(rest)
                    scanned += len(chunk)
                size = os.fstat(f.fileno()).st_size
        except OSError:
            continue
        if first_sample is not None and size - first_sample >= LOOPWAVE_ENOUGH:
            return


def case_loopwave(a, tmp):
    """Audio through SDL's callback: the callback runs on the host's audio
    thread and is serviced by a guest thread; SDL's disk driver records it."""
    outs = {}
    for mode in ("native", "lorelei"):
        out = os.path.join(tmp, f"loopwave-{mode}.raw")
        # A file kept from an earlier failed run would look like audio at
        # once, and the run would be stopped before it wrote any.
        if os.path.exists(out):
            os.remove(out)
        env = base_env({"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": out,
                        "SDL_DISKAUDIODELAY": "0"})
        argv = [os.path.join(SDL_TESTS, "loopwave")]
        cmd, env = (argv, env) if mode == "native" else lorelei(a, argv, env)
        print("$ " + " ".join(cmd))
        p = subprocess.Popen(cmd, env=env, cwd=SDL_TESTS, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wait_for_audio(p, out, 4 if mode == "native" else 4 * TIME_SCALE)
        _, err, _ = end_process(p, timeout=20)
        print(err[-2000:])
        if mode == "lorelei":
            used_stub(a, err, "loopwave")
        with open(out, "rb") as f:
            outs[mode] = f.read()
    # The samples the callback produced must be the same bytes.
    n, l = strip_silence(outs["native"]), strip_silence(outs["lorelei"])
    common = min(len(n), len(l))
    print(f"native {len(outs['native'])} bytes, lorelei {len(outs['lorelei'])} bytes, comparing {common}")
    c.check(common > 64 * 1024, f"both runs wrote audio (>= 64 KiB of samples: {common})")
    if c.check(n[:common] == l[:common], "the audio written under Lorelei is byte-identical to native"):
        # Hundreds of MB each: kept only when they differ, to be looked at.
        for mode in outs:
            os.remove(os.path.join(tmp, f"loopwave-{mode}.raw"))


def case_sprite(a, tmp):
    argv = [os.path.join(SDL_TESTS, "testsprite2"), "--geometry", "640x480"]
    with Xvfb() as x:
        for mode in ("native", "lorelei"):
            env = x.env(base_env())
            cmd, env = (argv, env) if mode == "native" else lorelei(a, argv, env)
            print("$ " + " ".join(cmd))
            p = subprocess.Popen(cmd, env=env, cwd=SDL_TESTS, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(4 if mode == "native" else 8)
            alive = p.poll() is None
            colours = x.screenshot(os.path.join(tmp, f"testsprite2-{mode}.png"))
            p.kill()
            _, err = p.communicate()
            print(err[-1500:])
            c.check(alive, f"{mode}: testsprite2 is still drawing after several seconds")
            c.check(colours > 2, f"{mode}: the screenshot is not blank ({colours} colours)")
            if mode == "lorelei":
                used_stub(a, err, "testsprite2")


def drive_events(x, cmd, env):
    print("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        p.kill()
        return "", p.communicate()[1]
    # xdotool gets a plain environment: not QEMU's preloads (ASan builds).
    plain = x.env(base_env())
    xd = lambda *args: subprocess.run(["xdotool", *args], env=plain, check=False,  # noqa: E731
                                      capture_output=True, text=True).stdout.strip()
    # A search can fail while other windows come and go (X errors): retry.
    win = None
    for _ in range(50):
        found = xd("search", "--onlyvisible", "--name", "lorelei-events").split()
        if found:
            win = found[0]
            break
        time.sleep(0.2)
    if win is None:
        p.kill()
        out, err = p.communicate()
        return "ready\n" + out, err + "\n(test: the window never appeared)"
    # The keyboard focus, set directly: without a window manager
    # windowactivate does not move it, and the focus followed the pointer
    # instead, wherever the run before had left it.
    xd("windowactivate", "--sync", win)
    xd("windowfocus", win)
    time.sleep(0.5)
    xd("mousemove", "--window", win, "50", "60", "click", "1")
    xd("key", "--window", win, "a", "b", "Return")
    xd("windowsize", win, "400", "300")
    time.sleep(0.5)
    xd("mousemove", "--window", win, "70", "80", "click", "3")
    time.sleep(0.3)
    xd("key", "--window", win, "q")
    out, err, _ = end_process(p, sig=None)
    return "ready\n" + out, err


def case_events(a):
    # An X server each, so that both runs start from the same pointer and
    # focus: on a shared one the second run began with the pointer inside
    # its window (where the first left it), and once (fresh Debian 12, other
    # tests running) it never got the focus event the native run got.
    with Xvfb() as x:
        n_out, n_err = drive_events(x, [a.events_prog, "poll"], x.env(base_env()))
    with Xvfb() as x:
        cmd, env = lorelei(a, [a.events_prog, "poll"], x.env(base_env()))
        l_out, l_err = drive_events(x, cmd, env)
    print("--- native\n" + n_out + n_err[-500:] + "\n--- lorelei\n" + l_out + l_err[-1500:])
    c.check("key up Q" in n_out and "bye" in n_out, "the native run saw the input and quit")
    used_stub(a, l_err, "sdl_events")
    for line in ("button down 1 at 50,60", "key down A", "text a", "key down Return",
                 "window resized 400x300", "button up 3 at 70,80", "mouse at 70,80", "bye"):
        c.check(line in l_out, f"under Lorelei the game got: {line}")
    c.check(n_out == l_out, "the event log is identical to the native one")


def quit_by_signal(cmd, env, sig):
    print("$ " + " ".join(cmd) + f"   (then {sig.name})")
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = p.stdout.readline().strip() == "ready"
    time.sleep(1)
    out, err, killed = end_process(p, sig=sig, timeout=15)
    if killed:
        err += "\n(killed: it did not quit within 15 s)"
    print(out + err[-800:])
    return ready, p.returncode, out


def case_signals(a):
    """SIGINT/SIGTERM reach an SDL game as SDL_QUIT, as natively: here while
    it waits in SDL_WaitEventTimeout, i.e. mostly inside a host call."""
    import signal as sig
    with Xvfb() as x:
        for s in (sig.SIGINT, sig.SIGTERM):
            n = quit_by_signal([a.events_prog], x.env(base_env()), s)
            cmd, env = lorelei(a, [a.events_prog], x.env(base_env()))
            l = quit_by_signal(cmd, env, s)
            c.check(n[0] and n[1] == 0 and "quit" in n[2], f"{s.name}: natively SDL_QUIT, exit 0")
            c.check(l[0] and l[1] == 0 and "quit\n" in l[2] and "bye" in l[2],
                    f"{s.name}: under Lorelei too: SDL_QUIT, clean shutdown, exit 0 (status {l[1]})")


def run_until_sigterm(x, cmd, env, seconds, shot):
    """Runs an SDL program for a while, takes a screenshot, ends it with
    SIGTERM (which SDL turns into SDL_QUIT) and returns (status, output,
    colours, still running when asked to stop)."""
    print("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, env=env, cwd=SDL_TESTS, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    colours = wait_for_drawing(x, p, shot, seconds, settle=3)
    alive = p.poll() is None
    out, err, killed = end_process(p)
    if killed:
        err += "\n(killed: SIGTERM did not end it within 30 s)"
    print((out + err)[-2500:])
    return p.returncode, out + err, colours, alive


def case_gl_programs(a, tmp):
    """SDL2 + OpenGL programs of libsdl2-tests: the window and context come
    from the host's SDL, the GL calls go through the GL stub."""
    for prog in ("testgl2", "testgles2"):
        if a.only and prog not in a.only:
            continue
        argv = [os.path.join(SDL_TESTS, prog)]
        with Xvfb() as x:
            env = x.env(base_env())
            n = run_until_sigterm(x, argv, env, 30, os.path.join(tmp, f"{prog}-native.png"))
            cmd, lenv = lorelei(a, argv, env, gl=True)
            l = run_until_sigterm(x, cmd, lenv, 6 * TIME_SCALE,
                                  os.path.join(tmp, f"{prog}-lorelei.png"))
        for mode, r in (("native", n), ("lorelei", l)):
            c.check(r[3], f"{prog} {mode}: still drawing after several seconds")
            c.check(r[2] > 2, f"{prog} {mode}: the screenshot is not blank ({r[2]} colours)")
            c.check(r[0] == 0 and "frames per second" in r[1],
                    f"{prog} {mode}: SIGTERM quits it cleanly with its FPS (status {r[0]})")
        c.check("sdl2: loaded libSDL2-2.0.so.0" in l[1] and "gl: loaded" in l[1],
                f"{prog}: the Lorelei run went through the SDL2 and GL stubs")
        from_args(a).check_host(c, l[1], prog, libs=2)
        fps = [re.findall(r"([0-9.]+) frames per second", r[1]) for r in (n, l)]
        print(f"{prog}: native {fps[0]} fps, lorelei {fps[1]} fps")


def case_launcher(a):
    """The product path: `qemu-lorelei run` starts an SDL2 program with the
    real plugin, preload shim and stub, and the exit status is the game's."""
    prog = os.path.join(SDL_TESTS, "testver")
    env = base_env()
    dry = run([a.launcher, "run", "--dry-run", prog], env=env)
    c.check(dry.returncode == 0 and "lib=sdl2" in dry.stdout and
            "-E LD_PRELOAD=" + os.path.join(os.path.dirname(a.stub_dir), "castcache",
                                            "liblorelei-castcache.so") in dry.stdout,
            "--dry-run prints a QEMU command with the plugin, lib=sdl2 and the guest's "
            "dynamic_cast cache")
    r = run([a.launcher, "run", "--verbose", prog], env=env)
    c.check(r.returncode == 0 and "Linked version: 2." in r.stdout + r.stderr,
            "qemu-lorelei run ran testver to completion")
    n = run([prog], env=base_env())
    c.check(n.returncode == r.returncode, "with the native exit status")
    bad = run([a.launcher, "run", "/usr/libexec/installed-tests/SDL2/no-such-game"], env=env)
    c.check(bad.returncode != 0 and "error:" in bad.stderr, "a missing game is a clear error")


def case_bundled(a):
    """A statically linked SDL redirected to the stub through SDL_DYNAMIC_API."""
    stub = os.path.join(a.stub_dir, "libSDL2-2.0.so.0")
    with Xvfb() as x:
        n = run_x_program([a.bundled_prog], x.env(base_env()))
        # Guest only: the host's SDL must never load the x86_64 stub.
        cmd, env = lorelei(a, [a.bundled_prog], x.env(base_env()),
                           guest_env={"SDL_DYNAMIC_API": stub})
        l = run_x_program(cmd, env)
        cmd, env = lorelei(a, [a.bundled_prog], x.env(base_env()))
        alone = run_x_program(cmd, env)
    c.check(n.returncode == 0 and "window=yes" in n.stdout, "the program works natively")
    c.check(l.returncode == 0 and n.stdout == l.stdout, "and the same under Lorelei")
    c.check(went_through_plugin(l.stderr),
            "its own (static) SDL called the stub: the host's SDL served it")
    from_args(a).check_host(c, l.stderr, "sdl_bundled")
    c.check(not went_through_plugin(alone.stderr),
            "without SDL_DYNAMIC_API the static SDL runs emulated (the check above can fail)")


AUDIO_CYCLES = 1100


def case_audio_cycles(a):
    """A game that opens and closes its audio device 1100 times: SDL starts a
    new audio thread on the host each time, and its callback runs in the
    guest. Each such host thread gets a channel to a guest service thread;
    channels are reused, so there is no number of them a game can reach."""
    argv = [a.audio_cycles_prog, str(AUDIO_CYCLES)]
    want = f"cycles={AUDIO_CYCLES} of {AUDIO_CYCLES}"
    n = run(argv, env=base_env(), timeout=300)
    c.check(n.returncode == 0 and want in n.stdout, "natively every cycle's callback runs")
    cmd, env = lorelei(a, argv, base_env())
    start = time.monotonic()
    l = run(cmd, env=env, timeout=600)
    took = time.monotonic() - start
    c.check(went_through_plugin(l.stderr), "the Lorelei run used the SDL2 stub")
    c.check(l.returncode == 0 and want in l.stdout,
            f"under Lorelei too: {want}, exit 0 (status {l.returncode}, {took:.0f} s)")
    slots = set(re.findall(r"channel (\d+) \(generation \d+\): asking", l.stderr))
    c.check(0 < len(slots) <= 64, f"the host threads' channels reuse a few slots ({len(slots)})")


RELOAD_CYCLES = 10


def case_reload(a):
    """dlopen SDL2, audio callbacks from SDL's host thread, SDL_Quit, dlclose,
    ten times. The stub and the guest runtime behind it stay loaded (linked
    -z nodelete): the runtime's threads are parked in the plugin and return
    into its code, and the plugin calls the stub's invokers. The program maps
    inaccessible memory over anything dlclose did unload, so code still used
    from an unloaded copy faults every time, not one run in ten."""
    argv = [a.reload_prog, str(RELOAD_CYCLES)]
    want = f"cycles={RELOAD_CYCLES} of {RELOAD_CYCLES}"
    n = run(argv, env=base_env(), timeout=300)
    c.check(n.returncode == 0 and want in n.stdout, "natively every cycle's callbacks run")
    cmd, env = lorelei(a, argv, base_env())
    l = run(cmd, env=env, timeout=300)
    c.check(went_through_plugin(l.stderr), "the Lorelei run used the SDL2 stub")
    c.check(l.returncode == 0 and want in l.stdout,
            f"under Lorelei too: {want}, exit 0 (status {l.returncode})")
    c.check("info reserved=0" in l.stdout,
            "dlclose unloaded neither the stub nor the guest runtime")


def case_guestside(a, tmp):
    """Every guest-side SDL function on the same inputs, natively (the real
    libSDL2) and under Lorelei (the stub): the outputs must agree line by
    line. "info" lines describe the CPU, which is the emulated one under
    Lorelei: shown side by side, not compared."""
    runs = {}
    for mode in ("native", "lorelei"):
        work = os.path.join(tmp, f"guestside-{mode}")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        argv = [os.path.abspath(a.guestside_prog), work]
        cmd, env = (argv, base_env()) if mode == "native" else lorelei(a, argv, base_env())
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                           timeout=600)
        print(f"--- {mode}: exit status {p.returncode}, {len(p.stdout.splitlines())} lines")
        print(p.stderr[-3000:])
        runs[mode] = p
    n, l = runs["native"], runs["lorelei"]
    split = lambda p: ([x for x in p.stdout.splitlines() if not x.startswith("info ")],  # noqa: E731
                       [x for x in p.stdout.splitlines() if x.startswith("info ")])
    (n_lines, n_info), (l_lines, l_info) = split(n), split(l)
    for x, y in zip(n_info, l_info):
        print(f"   native  {x}\n   lorelei {y}")
    c.check(n.returncode == 0 and n_lines[-1:] == ["end: all sections ran"],
            f"the native run ran every section ({len(n_lines)} lines)")
    c.check(went_through_plugin(l.stderr), "the Lorelei run used the SDL2 stub")
    c.check(l.returncode == 0, f"the Lorelei run exited normally (status {l.returncode})")
    differ = [(i, x, y) for i, (x, y) in enumerate(zip(n_lines, l_lines)) if x != y]
    for i, x, y in differ[:60]:
        print(f"   line {i + 1}\n     native  {x}\n     lorelei {y}")
    if len(l_lines) < len(n_lines):
        print(f"   the Lorelei output stops after line {len(l_lines)}; native goes on with:")
        for x in n_lines[len(l_lines):len(l_lines) + 5]:
            print(f"     native  {x}")
    c.check(len(l_lines) == len(n_lines), f"the same number of lines ({len(n_lines)}, {len(l_lines)})")
    c.check(not differ, f"every line agrees ({len(differ)} differ)")


def compare_runs(a, name, argv, gl=False, expect=()):
    """A test program natively and under Lorelei: both must exit 0, print
    the lines in expect, and print the same thing."""
    with Xvfb() as x:
        n = run_x_program(argv, x.env(base_env()))
        cmd, env = lorelei(a, argv, x.env(base_env()), gl=gl)
        l = run_x_program(cmd, env)
    c.check(n.returncode == 0, f"{name}: works natively")
    c.check(went_through_plugin(l.stderr) and (not gl or "gl: loaded" in l.stderr),
            f"{name}: the Lorelei run went through the stubs")
    for line in expect:
        c.check(line in n.stdout.splitlines(), f"{name} native: {line}")
        c.check(line in l.stdout.splitlines(), f"{name} under Lorelei: {line}")
    c.check(l.returncode == 0 and n.stdout == l.stdout,
            f"{name}: under Lorelei the same output and status 0 (status {l.returncode})")


def case_glew(a):
    """GLEW initialised on a context SDL created, as trigger-rally and
    megaglest do: glewInit needs glXGetCurrentDisplay, whose context the
    host's SDL made current on its own X connection."""
    for ctx in ("compat", "3.0"):
        compare_runs(a, f"sdl_glew {ctx}", [a.prog["glew"], ctx], gl=True,
                     expect=("glXGetCurrentDisplay set", "glewInit 0 (No error)",
                             "glXQueryVersion 1.3+", "pixel 0 255 0", "done"))


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core


def case_ownership(a):
    """Memory one side allocates and the other frees, keeps or reallocates
    (docs/ownership.md). The program's own allocator (SDL_SetMemoryFunctions)
    counts its blocks and refuses foreign ones, so a host block reaching the
    game's SDL_free, or guest pixels freed by nobody, show in the output;
    guest pixels freed by the host's SDL crash (glibc abort or QEMU fault)."""
    cases = {
        "ttf": ([FONT], ["ttf: 150 text surfaces drawn", "ttf: 0 blocks leaked, 0 foreign blocks freed"]),
        "qoi": ([], ["qoi: 20 of 20 images right", "qoi: 0 blocks leaked, 0 foreign blocks freed"]),
        "surfaces": ([], ["plain: 0 blocks leaked, 0 foreign blocks freed",
                          "simd: 0 blocks leaked, 0 foreign blocks freed",
                          "rle: 20 of 20 blits right", "rle: 0 blocks leaked, 0 foreign blocks freed"]),
        "results": ([], ["SDL_GetPrefPath + SDL_free: 0 blocks leaked, 0 foreign blocks freed",
                         "SDL_LoadWAV_RW + SDL_free: 0 blocks leaked, 0 foreign blocks freed",
                         "SDL_LoadWAV_RW + SDL_FreeWAV: 0 blocks leaked, 0 foreign blocks freed"]),
        "rwops": ([], ["freesrc=1: mappings added 1, BMP saved 0, SDL closed 3 of 3",
                       "freesrc=1: 0 of the game's RWops left, 0 foreign blocks freed",
                       "freesrc=0: mappings added 0, BMP saved 0, SDL closed 0 of 3",
                       "freesrc=0: 0 of the game's RWops left, 0 foreign blocks freed"]),
        "window": ([], ["window: icon set, cursor made", "window: 0 foreign blocks freed"]),
        "drop": ([], ["dropped: /tmp/lorelei-dropped.txt",
                      "SDL_DROPFILE + SDL_free: 0 blocks leaked, 0 foreign blocks freed",
                      "pushed: the game's own, same pointer: yes",
                      "pushed SDL_DROPTEXT + SDL_free: 0 blocks leaked, 0 foreign blocks freed"]),
    }
    for name, (args, expect) in cases.items():
        compare_runs(a, f"sdl_ownership {name}", [a.prog["ownership"], name] + args,
                     expect=expect + ["done"])


def case_timers(a):
    """SDL_RemoveTimer while the timer's callback runs (sdl_timers.c).
    Natively SDL2 returns at once and the callback goes on; forwarded, a
    callback is in flight for the whole hand-off to a guest thread, so the
    window code like sdl12-compat's SDL_RemoveTimer (which frees what the
    callback reads) loses in grows from instructions to milliseconds:
    qemu-lorelei's SDL_RemoveTimer waits for it (sdl2_host_timers.c), but
    not for itself (a callback that removes its own timer)."""
    argv = [a.prog["timers"]]
    n = run(argv, env=base_env(), timeout=120)
    c.check(n.returncode == 0 and "done" in n.stdout, f"natively it runs (status {n.returncode})")
    c.check("still running when SDL_RemoveTimer returned: yes" in n.stdout,
            "natively SDL2's SDL_RemoveTimer does not wait for the callback")
    cmd, env = lorelei(a, argv, base_env())
    l = run(cmd, env=env, timeout=300)
    print(l.stdout)
    c.check(went_through_plugin(l.stderr), "the Lorelei run used the SDL2 stub")
    c.check(l.returncode == 0 and "done" in l.stdout,
            f"under Lorelei it runs to its end (status {l.returncode}) {l.stderr[-400:]}")
    c.check("began=1 removed=1, still running when SDL_RemoveTimer returned: no" in l.stdout,
            "under Lorelei SDL_RemoveTimer returns after the callback in flight")
    c.check("a timer that removes itself: done=1 removed=1" in l.stdout and
            "not waiting for it any longer" not in l.stderr,
            "a callback that removes its own timer does not wait for itself")
    c.check("one-shot timers: 200 of 200 ran" in l.stdout, "200 one-shot timers ran")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    add_common_args(ap)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--events-prog")
    ap.add_argument("--bundled-prog")
    ap.add_argument("--audio-cycles-prog")
    ap.add_argument("--reload-prog")

    ap.add_argument("--guestside-prog")
    ap.add_argument("--launcher")
    ap.add_argument("--gl-stub-dir")
    ap.add_argument("--tmp", default="")
    ap.add_argument("--prog", action="append", default=[],
                    help="NAME=PATH: a test program built for a case")
    ap.add_argument("--only", action="append", default=[],
                    help="programs: / gl-programs: run only this program (repeatable)")
    a = ap.parse_args()
    a.prog = dict(p.split("=", 1) for p in a.prog)
    if a.case == "gl-programs":
        require_host_gl(a)
    tmp = a.tmp or os.path.join(os.getcwd(), "tests", "sdl2-out")
    os.makedirs(tmp, exist_ok=True)
    {"coverage": lambda: case_coverage(a), "programs": lambda: case_programs(a),
     "automation": lambda: case_automation(a), "loopwave": lambda: case_loopwave(a, tmp),
     "sprite": lambda: case_sprite(a, tmp), "events": lambda: case_events(a),
     "bundled": lambda: case_bundled(a), "signals": lambda: case_signals(a),
     "launcher": lambda: case_launcher(a), "gl-programs": lambda: case_gl_programs(a, tmp),
     "audio-cycles": lambda: case_audio_cycles(a), "reload": lambda: case_reload(a),
     "guestside": lambda: case_guestside(a, tmp),
     "glew": lambda: case_glew(a), "ownership": lambda: case_ownership(a),
     "timers": lambda: case_timers(a)}[a.case]()
    c.finish()


if __name__ == "__main__":
    main()
