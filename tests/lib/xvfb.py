"""A private X server for tests: Xvfb on a free display number, screenshots,
and launching programs with the one retry this environment needs.

Measured on this machine: Xvfb now and then refuses a new client (EAGAIN;
about 0.4% of launches). run_x_program() retries a launch whose failure says
the display could not be opened, prints that it did, and never retries any
other failure.
"""
import os
import re
import subprocess
import time

from lorelei import TIME_SCALE

DISPLAY_OPEN_FAILURE = re.compile(
    r"(cannot open display|can't open display|could not open display|unable to open display"
    r"|couldn't open display|Failed to open X display|XOpenDisplay\(\) failed"
    r"|No available video device|Couldn't connect to the X server"
    r"|Resource temporarily unavailable)", re.IGNORECASE)


class Xvfb:
    def __init__(self, size="1280x720x24", autorepeat=True):
        """autorepeat=False: a key held down gives one press, however long
        (the games harness holds its scripted keys; see gamerun.press)."""
        self.size = size
        self.autorepeat = autorepeat
        self.proc = None
        self.display = None

    def __enter__(self):
        # The server picks a free display itself and writes its number to a
        # pipe (-displayfd): choosing one here raced with the other test
        # processes on this machine, and a server that lost the race left
        # the test talking to somebody else's Xvfb until that one ended
        # ("XIO: fatal IO error").
        for attempt in range(3):
            r, w = os.pipe()
            proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", self.size,
                                     "-nolisten", "tcp", "-noreset",
                                     *([] if self.autorepeat else ["-r"])],
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, pass_fds=(w,))
            os.close(w)
            with os.fdopen(r) as f:
                number = f.readline().strip()  # empty when the server failed
            if number.isdigit():
                display = f":{number}"
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and proc.poll() is None:
                    if subprocess.run(["xdpyinfo", "-display", display],
                                      capture_output=True).returncode == 0:
                        self.proc, self.display = proc, display
                        return self
                    time.sleep(0.1)
            proc.kill()
            proc.wait()
        raise RuntimeError("could not start Xvfb (is the xvfb package installed?)")

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def env(self, base=None):
        env = dict(base if base is not None else os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def screenshot(self, path):
        """Saves the root window as PNG; returns the number of distinct colours."""
        xwd = subprocess.run(["xwd", "-root", "-silent", "-display", self.display],
                             capture_output=True, check=True).stdout
        subprocess.run(["convert", "xwd:-", path], input=xwd, check=True)
        out = subprocess.run(["identify", "-format", "%k", path], capture_output=True, text=True,
                             check=True).stdout
        return int(out.strip() or 0)


def wait_for_drawing(x, p, path, seconds, colours=3, settle=2):
    """Screenshots (to path) until one shows at least `colours` colours, the
    program ended or `seconds` passed; then, if it drew, `settle` more
    seconds so it is seen running on. Returns the colours of the last
    screenshot. Lets a slow run (the aarch64 lane's nested emulation) take
    the time it needs without making every run wait that long."""
    deadline = time.monotonic() + seconds
    seen = 0
    while p.poll() is None:
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        seen = x.screenshot(path)
        if seen >= colours:
            time.sleep(settle)
            return x.screenshot(path) if p.poll() is None else seen
        if time.monotonic() >= deadline:
            break
    return seen


def run_x_program(cmd, env, timeout=120, retries=3, **kw):
    """Runs cmd; retries only when it failed because the display refused it."""
    for attempt in range(1, retries + 1):
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                           timeout=timeout * TIME_SCALE, **kw)
        if p.returncode != 0 and DISPLAY_OPEN_FAILURE.search(p.stderr or "") and attempt < retries:
            print(f"note: the X server refused the connection (attempt {attempt}); retrying the launch",
                  flush=True)
            time.sleep(0.5)
            continue
        break
    if p.stdout:
        print("--- stdout\n" + p.stdout.rstrip()[-6000:])
    if p.stderr:
        print("--- stderr\n" + p.stderr.rstrip()[-6000:])
    print(f"--- exit status {p.returncode}", flush=True)
    return p
