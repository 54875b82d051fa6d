"""Runs one real game in one mode (native, under qemu-lorelei, under plain
qemu-x86_64) on a private Xvfb and reports what happened: whether it
started and drew, frames counted, a screenshot, the audio it wrote, how it
ended. Used by tests/games/run_game.py (checks) and bench/games (ratios).

Frames are counted from outside the game, the same way in every mode: the
X server's DAMAGE extension reports each time the screen changes after the
counter last looked, so one count is one frame the game put on the screen
(llvmpipe presents a frame with one image upload). A game that draws
nothing new counts nothing.

With GALLIUM_NOOP=1 (bench/games --gpu-free: Mesa discards the drawing, so
a frame costs only the API and driver CPU time) the screen never changes;
frames are then counted by Mesa's own HUD instead (HudFrameCounter), which
counts the frames the game presents in every mode alike: natively and under
plain QEMU in the game's own Mesa, under qemu-lorelei in the host's.
"""
import ctypes
import os
import pty
import select
import shutil
import signal
import subprocess
import threading
import time
import tty

from games import SCUMMVM_QUEEN  # noqa: F401  (re-exported for bench)
import profile_window

# The guest's own llvmpipe JIT needs a CPU model LLVM knows (not "max");
# -noTSX: TCG has no TSX, and asking for it prints a warning per thread.
PLAIN_CPU = "Haswell-noTSX"
DRAW_TIMEOUT = 60  # seconds until a game must draw, times `slow`


class FrameCounter(threading.Thread):
    """Counts screen updates of an X display (DAMAGE, report-non-empty)."""

    def __init__(self, display):
        super().__init__(daemon=True)
        x11 = ctypes.CDLL("libX11.so.6")
        dmg = ctypes.CDLL("libXdamage.so.1")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XConnectionNumber.argtypes = [ctypes.c_void_p]
        x11.XPending.argtypes = [ctypes.c_void_p]
        x11.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        dmg.XDamageQueryExtension.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                              ctypes.POINTER(ctypes.c_int)]
        dmg.XDamageCreate.restype = ctypes.c_ulong
        dmg.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
        dmg.XDamageSubtract.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong,
                                        ctypes.c_ulong]
        self.x11, self.dmg = x11, dmg
        self.dpy = x11.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"the frame counter cannot open display {display}")
        ev, err = ctypes.c_int(), ctypes.c_int()
        if not dmg.XDamageQueryExtension(self.dpy, ctypes.byref(ev), ctypes.byref(err)):
            raise RuntimeError("the X server has no DAMAGE extension: frames cannot be counted")
        self.notify = ev.value  # XDamageNotify is the extension's first event
        self.damage = dmg.XDamageCreate(self.dpy, x11.XDefaultRootWindow(self.dpy), 3)
        x11.XFlush(self.dpy)
        self.stamps = []
        self.running = True

    def run(self):
        fd = self.x11.XConnectionNumber(self.dpy)
        event = ctypes.create_string_buffer(192)  # sizeof(XEvent)
        while self.running:
            select.select([fd], [], [], 0.1)
            got = False
            while self.x11.XPending(self.dpy):
                self.x11.XNextEvent(self.dpy, event)
                if ctypes.c_int.from_buffer(event).value == self.notify:
                    got = True
            if got:
                self.stamps.append(time.monotonic())
                self.dmg.XDamageSubtract(self.dpy, self.damage, 0, 0)
                self.x11.XFlush(self.dpy)

    def frames_between(self, t0, t1):
        return sum(1 for t in list(self.stamps) if t0 <= t < t1)

    def total(self):
        return len(self.stamps)

    def stop(self):
        self.running = False
        self.join(timeout=5)
        self.x11.XCloseDisplay(self.dpy)


class HudFrameCounter(threading.Thread):
    """Counts the frames a game presents through Mesa (GALLIUM_HUD=fps):
    Mesa writes the frame rate of every PERIOD seconds, one line each, to
    DIR/fps (GALLIUM_HUD_DUMP_DIR); a sample is dated when it is read
    (read every 0.1 s) and stands for rate x PERIOD frames."""

    PERIOD = 0.25

    def __init__(self, dump_dir):
        super().__init__(daemon=True)
        self.path = os.path.join(dump_dir, "fps")
        self.samples = []  # (when read, frames)
        self.running = True

    @staticmethod
    def env(dump_dir):
        """What the game's environment needs; the HUD's own drawing goes to
        the no-op driver with the rest."""
        return {"GALLIUM_NOOP": "1", "GALLIUM_HUD": "fps", "GALLIUM_HUD_DUMP_DIR": dump_dir,
                "GALLIUM_HUD_PERIOD": str(HudFrameCounter.PERIOD)}

    def run(self):
        done = ""
        while self.running:
            time.sleep(0.1)
            try:
                with open(self.path) as f:
                    text = f.read()
            except FileNotFoundError:
                continue
            # Only whole lines: Mesa may be writing the next one.
            whole = text[:text.rfind("\n") + 1]
            now = time.monotonic()
            for line in whole[len(done):].split():
                try:
                    self.samples.append((now, float(line) * self.PERIOD))
                except ValueError:
                    pass
            done = whole

    def frames_between(self, t0, t1):
        return round(sum(n for t, n in list(self.samples) if t0 <= t < t1))

    def total(self):
        return round(sum(n for _, n in self.samples))

    def stop(self):
        self.running = False
        self.join(timeout=5)


# How much of a game's output its log keeps: the first LOG_LIMIT bytes and
# the last LOG_TAIL (where a crash's message is). A game's output is a few
# kilobytes; Extreme Tux Racer, left running on a dead X server by a harness
# that was killed, wrote 1.5 GB in a minute.
LOG_LIMIT = 16 << 20
LOG_TAIL = 64 << 10


class GameLog(threading.Thread):
    """A game's output, read by the harness as it comes and copied to a
    file: at most LOG_LIMIT bytes, then LOG_TAIL of the end and how much was
    left out. Because the harness reads it (no file of the game's own), a
    game outlives a killed harness only until it next writes (EPIPE,
    SIGPIPE). Through a pseudo-terminal if terminal: on a file or pipe,
    stdio writes whole blocks (a line printed while loading can sit in the
    buffer until exit); on a terminal, every line when it ends, so the
    harness sees a game's "now playing" line in time."""

    def __init__(self, path, terminal=False, limit=LOG_LIMIT, tail=LOG_TAIL):
        super().__init__(daemon=True)
        self.path, self.limit, self.tail_size = path, limit, tail
        if terminal:
            self.reader, self.writer = pty.openpty()
            tty.setraw(self.writer)  # the bytes as written: no \r added
        else:
            self.reader, self.writer = os.pipe()
        open(path, "w").close()

    def run(self):
        kept = 0
        left_out = 0
        tail = bytearray()
        with open(self.path, "ab", buffering=0) as f:
            while True:
                try:
                    data = os.read(self.reader, 65536)
                except OSError:  # EIO: the game and its children closed it
                    break
                if not data:
                    break
                room = max(self.limit - kept, 0)
                if room:
                    f.write(data[:room])
                    kept += min(room, len(data))
                    data = data[room:]
                if data:  # past the limit: counted, the end kept
                    left_out += len(data)
                    tail += data
                    del tail[:-self.tail_size]
            if left_out:
                shown = len(tail)
                f.write(f"\n[games harness: {left_out - shown} bytes of output left out after "
                        f"the first {kept}; the last {shown} follow]\n".encode() + bytes(tail))

    def started(self):
        """The game has its copy of the writing end; ours must go, so that
        the reader sees the end when the game's ends."""
        os.close(self.writer)
        self.start()

    def stop(self):
        self.join(timeout=5)
        os.close(self.reader)


def start(cmd, output, terminal=False, **popen):
    """Starts cmd with its stdout and stderr read into the file output
    (GameLog, through a pseudo-terminal if terminal); returns the process
    and the GameLog, whose stop() follows the process's end."""
    log = GameLog(output, terminal)
    p = subprocess.Popen(cmd, stdout=log.writer, stderr=subprocess.STDOUT, **popen)
    log.started()
    return p, log


def cpu_seconds(pid):
    """User + system CPU seconds process pid (all its threads) has used so
    far; None once it is gone. Under qemu-lorelei the process is QEMU (the
    launcher execs it), so this is the game, QEMU and the host libraries."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def image_signature(path):
    """A 32x18 greyscale thumbnail (576 values 0..255) and the number of
    distinct colours of the full image."""
    thumb = subprocess.run(["convert", path, "-resize", "32x18!", "-colorspace", "gray",
                            "-depth", "8", "gray:-"], capture_output=True, check=True).stdout
    colours = int(subprocess.run(["identify", "-format", "%k", path], capture_output=True,
                                 text=True, check=True).stdout.strip() or 0)
    return list(thumb), colours


def difference(a, b, match_brightness=False):
    """Mean absolute difference of two thumbnails, 0 (same) .. 1. With
    match_brightness, a is first scaled to b's mean brightness: the same
    scene under a fade to or from black is then close."""
    if not a or not b or len(a) != len(b):
        return 1.0
    if match_brightness:
        mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
        if mean_a <= 0:
            return 1.0
        a = [min(x * mean_b / mean_a, 255.0) for x in a]
    return sum(abs(x - y) for x, y in zip(a, b)) / (255.0 * len(a))


# How far a screenshot may be from the native one (mean absolute grey-level
# difference of 32x18 thumbnails, 0..1): animated menus and levels differ a
# little from frame to frame; a black, half-drawn or wrong picture is far.
# The two thumbnails are compared at the same mean brightness: plain QEMU
# draws SuperTux at 0.1 frames/s and the game advances 1/64 s a frame (a
# slow frame's lost time is dropped), so its one-second fade into the level
# takes it over ten minutes; the half-faded level is the native picture at a
# tenth of the brightness (0.012 apart so, 0.39 as shot), and its black
# level intro stays far (0.39).
MAX_DIFFERENCE = 0.12


def native_difference(r, native_thumb):
    """How far run r's screenshot is from a native one, at its brightness."""
    return difference(r["thumb"], native_thumb, match_brightness=True)


def like_native(r, native_thumb):
    """Whether run r's screenshot is close to a native one (at its
    brightness)."""
    return native_difference(r, native_thumb) <= MAX_DIFFERENCE


def in_play(g, r):
    """Whether run r's screenshot shows game g in play rather than a title
    or intro screen (its number of colours, games.py scene_colours)."""
    return r["colours"] >= g["scene_colours"]


class Parts:
    """Where the three ways of running a game come from."""

    def __init__(self, launcher, qemu, other_qemu=None):
        self.launcher, self.qemu = launcher, qemu
        # The QEMU of mode lorelei-other-qemu (the launcher's LORELEI_QEMU)
        self.other_qemu = other_qemu


def prepare_home(home, g, out_dir, mode):
    """A fresh HOME per run (no settings carried over), with openal-soft
    told to write its output to a file (its wave writer)."""
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(os.path.join(home, ".config"))
    os.makedirs(os.path.join(home, "runtime"), mode=0o700)
    for name, text in g.get("home_files", {}).items():
        path = os.path.join(home, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    audio = os.path.join(out_dir, f"{g['id']}-{mode}-audio.raw")
    if os.path.exists(audio):
        os.unlink(audio)
    if g["audio"] == "openal":
        audio = audio[:-4] + ".wav"
        with open(os.path.join(home, ".alsoftrc"), "w") as f:
            f.write(f"[general]\ndrivers=wave\n[wave]\nfile={audio}\n")
    return audio


NO_THUNK_MODE = "lorelei-no-"
# qemu-lorelei with the CPU model's fast-REP-string features left on: what
# hiding them is worth.
KEEP_REP_STRINGS_MODE = "lorelei-keep-rep-strings"
# qemu-lorelei without the GLIBC_TUNABLES that steers the game's glibc off
# its SSE4.2 string functions: what that is worth.
KEEP_SSE42_STRINGS_MODE = "lorelei-keep-sse42-strings"
# qemu-lorelei without the dynamic_cast cache it preloads into the game.
KEEP_DYNAMIC_CAST_MODE = "lorelei-keep-dynamic-cast"
# Each such mode's option of `qemu-lorelei run`.
KEEP_MODES = {KEEP_REP_STRINGS_MODE: "--keep-rep-strings",
              KEEP_SSE42_STRINGS_MODE: "--keep-sse42-strings",
              KEEP_DYNAMIC_CAST_MODE: "--keep-dynamic-cast"}
# qemu-lorelei with another build of QEMU (Parts.other_qemu): what a QEMU
# patch is worth.
OTHER_QEMU_MODE = "lorelei-other-qemu"


def lorelei_options(mode):
    """The `qemu-lorelei run` options of a qemu-lorelei mode (a list), or
    None for native and plain QEMU."""
    if mode in ("lorelei", OTHER_QEMU_MODE):
        return []
    if mode in KEEP_MODES:
        return [KEEP_MODES[mode]]
    if mode.startswith(NO_THUNK_MODE):
        # lorelei-no-zlib+vorbisfile: those libraries run emulated, to
        # measure what forwarding them is worth.
        return [a for lib in mode[len(NO_THUNK_MODE):].split("+") for a in ("--no-thunk", lib)]
    return None


def missing_packages(packages):
    """The packages of the list that dpkg does not have installed."""
    missing = []
    for p in packages:
        q = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
        if "install ok installed" not in q.stdout:
            missing.append(p)
    return missing


def mode_slow(g, mode, plain_slow=None):
    """How many times the native waits game g gets in mode: plain QEMU's
    are stretched (plain_slow, given on the command line, or the game's
    own), the others are not."""
    return (plain_slow or g["plain_slow"]) if mode == "qemu" else 1


def mode_problem(mode, parts):
    """Why mode cannot be run with parts (a message for the user), or None.
    The scripts ask before any game starts: an unknown name (a typo of
    "native") had run plain QEMU under that name."""
    if mode in ("native", "qemu", "lorelei") or mode in KEEP_MODES:
        return None
    if mode == OTHER_QEMU_MODE:
        return None if parts.other_qemu else (
            f"mode {mode} runs qemu-lorelei with another QEMU: give it with --other-qemu PATH")
    if mode.startswith(NO_THUNK_MODE):
        libs = mode[len(NO_THUNK_MODE):].split("+")
        if all(libs):
            return None
        return f"mode {mode} names no library: write {NO_THUNK_MODE}LIB[+LIB...], e.g. " \
               f"{NO_THUNK_MODE}zlib+vorbisfile"
    return (f"unknown mode {mode!r}: the modes are native, lorelei, qemu, "
            f"{', '.join(KEEP_MODES)}, {OTHER_QEMU_MODE} (with --other-qemu) and "
            f"{NO_THUNK_MODE}LIB[+LIB...]")


# How long a scripted key is held down. `xdotool key` presses and releases at
# once, so both events often reach the game in the same frame; a game that
# acts on a key going down between two frames (SuperTux's level intro) then
# never sees it. Natively 3 of 4 SuperTux runs stayed on the intro so, and
# the benchmark measured that black screen. Held this long (several frames
# even at 10 frames/s), the press is seen; stretched for slow modes (plain
# QEMU's frames take seconds). The games' X server has autorepeat off
# (Xvfb(autorepeat=False)): a key held past its repeat delay (660 ms) would
# be pressed again and again (23 times in 1.5 s), and one SuperTux run under
# plain QEMU, its Return held 1.2 s, ended by itself during the warm-up.
# A slower game gets its keys held for three of its frames (plain QEMU drew
# SuperTux's intro at 0.3 frames/s, and a 1.2 s hold was lost there too), up
# to KEY_HOLD_MAX_S.
KEY_HOLD_S = 0.3
KEY_HOLD_FRAMES = 3
KEY_HOLD_MAX_S = 20.0


def key_hold_s(slow=1.0, frame_s=0.0):
    """How long to hold a key: KEY_HOLD_S (stretched by slow), or three of
    the game's frames (frame_s seconds each) when that is longer."""
    return min(max(KEY_HOLD_S * slow, KEY_HOLD_FRAMES * frame_s), KEY_HOLD_MAX_S)


def press(x, key, slow=1.0, frame_s=0.0):
    """Presses key in the window under the pointer (XTEST: the X server has
    no window manager here) and holds it (key_hold_s)."""
    subprocess.run(["xdotool", "mousemove", "200", "200", "keydown", key,
                    "sleep", f"{key_hold_s(slow, frame_s):.2f}", "keyup", key],
                   env=x.env(), capture_output=True)


def screen_has_colours(x, colours, out_dir):
    """Whether the screen has at least colours colours (None: no need to
    look)."""
    if not colours:
        return True
    shot = os.path.join(out_dir, "screen-before-key.png")
    try:
        x.screenshot(shot)
        return image_signature(shot)[1] >= colours
    except subprocess.CalledProcessError:
        return False
    finally:
        if os.path.exists(shot):
            os.unlink(shot)


def command(parts, g, mode, home, profile_out=None):
    args = [a.replace("@HOME@", home) for a in g["args"]]
    if mode == "native":
        return [g["exe"], *args]
    if mode == "qemu":
        return [parts.qemu, "-cpu", PLAIN_CPU, "-U", "LD_PRELOAD", g["exe"], *args]
    extra = [f"--profile-libs={profile_out}"] if profile_out else []
    return [parts.launcher, "run", *extra, *lorelei_options(mode), g["exe"], *args]


def environment(x, g, home, audio):
    env = x.env()
    for k in list(env):
        if k.startswith(("LD_", "QEMU_", "SDL_", "ALSOFT", "XDG_")):
            del env[k]
    env.update(HOME=home, XDG_RUNTIME_DIR=os.path.join(home, "runtime"),
               XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_DATA_HOME=os.path.join(home, ".local", "share"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"),
               XDG_STATE_HOME=os.path.join(home, ".local", "state"),
               SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=audio, SDL_DISKAUDIODELAY="20",
               LIBGL_ALWAYS_SOFTWARE="1")
    if g["audio"] != "openal":
        env["ALSOFT_DRIVERS"] = "null"  # a game's OpenAL without a sound server
    env.update(g.get("env", {}))
    return env


def play(parts, x, g, mode, out_dir, slow=1.0, profile_out=None, log=print, gpu_free=False):
    """Runs game g in mode; returns a dict of what was seen. slow stretches
    the waits (plain QEMU loads many times slower). gpu_free: Mesa's no-op
    driver, frames counted by Mesa's HUD (the screenshot is then blank)."""
    problem = mode_problem(mode, parts)
    if problem:
        raise ValueError(problem)
    home = os.path.join(out_dir, f"home-{g['id']}-{mode}")
    audio = prepare_home(home, g, out_dir, mode)
    env = environment(x, g, home, audio)
    if mode == OTHER_QEMU_MODE:
        env["LORELEI_QEMU"] = parts.other_qemu
    cmd = command(parts, g, mode, home, profile_out)
    log(f"$ {' '.join(cmd)}   [{mode}{', GALLIUM_NOOP=1' if gpu_free else ''}]")
    output = os.path.join(out_dir, f"{g['id']}-{mode}.log")
    if gpu_free:
        hud_dir = os.path.join(home, "hud")
        os.makedirs(hud_dir)
        env.update(HudFrameCounter.env(hud_dir))
        counter = HudFrameCounter(hud_dir)
    else:
        counter = FrameCounter(x.display)
    counter.start()
    t_start = time.monotonic()
    p, game_log = start(cmd, output, g["terminal"], env=env, cwd=g["cwd"] or home,
                        start_new_session=True)
    r = {"mode": mode, "log": output, "command": cmd}
    # Warm-up: until the game draws (a few screen updates after its first
    # second: creating the window alone makes one), then its own warm-up
    # time, stretched for slow modes; the drawing must start in time.
    draw_deadline = t_start + DRAW_TIMEOUT * slow
    while p.poll() is None and time.monotonic() < draw_deadline and \
            counter.frames_between(t_start + 1, time.monotonic()) < 3:
        time.sleep(0.2)
    drew = counter.frames_between(t_start + 1, time.monotonic()) >= 3
    r["first_frames_s"] = time.monotonic() - t_start if drew else None
    r["playing_s"] = None
    if drew and g["playing"]:
        # The warm-up counts from the end of loading, however long that
        # takes in this mode (up to the game's loading time, stretched).
        # The line is in its output, or in a log file of its own.
        says = os.path.join(home, g["playing_log"]) if g["playing_log"] else output
        deadline = time.monotonic() + g["loading_s"] * slow
        while p.poll() is None and time.monotonic() < deadline:
            try:
                with open(says, errors="replace") as f:
                    if g["playing"] in f.read():
                        r["playing_s"] = time.monotonic() - t_start
                        break
            except FileNotFoundError:  # its own log: not created yet
                pass
            time.sleep(0.5)
    if drew:
        began = time.monotonic()
        settle = began + g["warmup"] * slow
        keys = sorted(g.get("keys", []))
        while p.poll() is None and time.monotonic() < settle:
            # Scripted input (xdotool), once the screen that takes it is up.
            while keys and time.monotonic() >= began + keys[0][0] * slow and \
                    screen_has_colours(x, g.get("keys_need_colours"), out_dir):
                # The game's frame time over the last 10 s (counted since
                # it began drawing).
                now = time.monotonic()
                since = max(now - 10, t_start + 1)
                recent = counter.frames_between(since, now)
                frame_s = (now - since) / recent if recent else 10.0
                press(x, keys.pop(0)[1], slow, frame_s)
            time.sleep(0.2)
    t0 = time.monotonic()
    cpu0 = cpu_seconds(p.pid)
    profile_before = profile_window.read_report(profile_out)
    while p.poll() is None and time.monotonic() < t0 + g["measure"]:
        time.sleep(0.2)
    t1 = time.monotonic()
    cpu1 = cpu_seconds(p.pid) if p.poll() is None else None
    if profile_out:
        # The profile of the measured seconds (give or take the plugin's
        # 2 s between reports), with the frames drawn in them: the report's
        # clock starts with the game.
        window = profile_window.between(profile_before, profile_window.read_report(profile_out))
        if window:
            window["frames"] = counter.frames_between(t_start + window["from_s"],
                                                      t_start + window["to_s"])
        r["profile_in_play"] = window
    # What the frames cost in CPU time: it shows where the frame rate cannot
    # (a game at its frame cap, or paced by its own clock).
    r["cpu_s"] = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    r["measured_s"] = t1 - t0
    r["frames"] = counter.frames_between(t0, t1)
    r["fps"] = r["frames"] / (t1 - t0) if t1 > t0 else 0.0
    r["total_frames"] = counter.total()
    r["running_at_shot"] = p.poll() is None
    shot = os.path.join(out_dir, f"{g['id']}-{mode}.png")
    r["screenshot"] = shot
    try:
        x.screenshot(shot)
        r["thumb"], r["colours"] = image_signature(shot)
    except subprocess.CalledProcessError as e:
        r["thumb"], r["colours"] = [], 0
        log(f"screenshot failed: {e}")
    # The end: a benchmark ends by itself; otherwise SIGTERM, which the
    # games turn into a clean quit.
    how = "ended by itself"
    if p.poll() is None and g["stop"] == "self":
        try:
            p.wait(timeout=90 * slow)
        except subprocess.TimeoutExpired:
            pass
    if p.poll() is None and g.get("quit_keys"):
        # The game's own way out (its console's quit), typed as a player would.
        how = "quit typed (xdotool)"
        # Each step gets three of the game's frames: SDL makes text of keys
        # only once the game has opened its console, so letters that arrive
        # in the frame that opens it are lost (Red Eclipse under plain QEMU,
        # 0.3 frames/s, ignored its `quit` so).
        pause = max(0.5 * slow, min(3 / r["fps"], 30.0) if r["fps"] > 0 else 0)
        for step in g["quit_keys"]:
            subprocess.run(["xdotool", "mousemove", "200", "200", *step], env=x.env(),
                           capture_output=True)
            time.sleep(pause)
        try:
            p.wait(timeout=30 * slow)
        except subprocess.TimeoutExpired:
            pass
    if p.poll() is None:
        how = "SIGTERM" if how == "ended by itself" else how + ", then SIGTERM"
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30 * slow)
        except subprocess.TimeoutExpired:
            how = "killed: still running 30 s after SIGTERM"
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    try:  # anything the game left behind in its session (a helper process)
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    counter.stop()
    game_log.stop()
    r["wall_s"] = time.monotonic() - t_start
    r["status"] = p.returncode
    r["ended"] = how
    r["audio_bytes"] = os.path.getsize(audio) if os.path.exists(audio) else 0
    with open(output, errors="replace") as f:
        r["output"] = f.read()
    if os.path.exists(audio):
        os.unlink(audio)  # seconds of raw audio: counted, not kept
    shutil.rmtree(home, ignore_errors=True)
    return r
