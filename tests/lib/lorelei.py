"""Shared by the test drivers: how to start a guest program under the
patched qemu-x86_64 with qemu-lorelei's plugin, the way the launcher does
(preload shim into QEMU only, stub folders first in the guest's library path),
and small checking helpers that print what they check."""
import os
import signal
import subprocess
import sys


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def finish(self):
        if self.failures:
            print(f"{len(self.failures)} check(s) failed")
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)


# Names every shared library defines that are no API (linker-defined).
LINKER_SYMBOLS = {"__bss_start", "_edata", "_end", "_init", "_fini"}


def exported_symbols(path):
    """The symbols a shared library exports (nm -D), without linker-defined names."""
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True,
                         check=True).stdout
    return {p[2] for p in (line.split() for line in out.splitlines())
            if len(p) == 3 and p[2] not in LINKER_SYMBOLS}


def check_exports(c, what, stub, required, allowed=None):
    """A stub exports every symbol in `required` and nothing outside `allowed`
    (default: `required`): a missing symbol breaks games at load time, an extra
    one leaks an internal name that a game's own symbol could collide with."""
    allowed = required if allowed is None else allowed
    missing, extra = sorted(required - stub), sorted(stub - allowed)
    c.check(not missing, f"{what}: every one of the {len(required)} symbols is exported" +
            (f"; missing: {', '.join(missing[:20])}" if missing else ""))
    c.check(not extra, f"{what}: nothing else is exported" +
            (f"; extra: {', '.join(extra[:20])}" if extra else ""))
    return len(missing)


class Lorelei:
    def __init__(self, qemu, plugin, preload, asan_runtime=""):
        # Absolute: tests may run programs from another working directory.
        self.qemu, self.plugin, self.preload = (os.path.abspath(p) if p else p
                                                for p in (qemu, plugin, preload))
        self.asan_runtime = asan_runtime

    def command(self, argv, libs=(), guest_lib_dirs=(), host_lib_dirs=(), plugin_args=(),
                qemu_args=(), preload=True, plugin=True):
        """argv and environment for running argv under QEMU + the plugin."""
        env = dict(os.environ)
        preloads = [p for p in (self.asan_runtime, self.preload if preload else "") if p]
        if preloads:
            env["LD_PRELOAD"] = " ".join(preloads)
        if self.asan_runtime:
            # QEMU itself is not instrumented and does not free everything.
            env["ASAN_OPTIONS"] = "detect_leaks=0:" + env.get("ASAN_OPTIONS", "")
        if host_lib_dirs:
            env["LD_LIBRARY_PATH"] = ":".join(host_lib_dirs)
        cmd = [self.qemu, "-U", "LD_PRELOAD", "-U", "ASAN_OPTIONS"]
        cmd += ["-E", "LD_LIBRARY_PATH=" + ":".join(guest_lib_dirs)] if guest_lib_dirs else \
            ["-U", "LD_LIBRARY_PATH"]
        if plugin:
            cmd += ["-plugin", ",".join([self.plugin] + [f"lib={l}" for l in libs] +
                                        list(plugin_args))]
        return cmd + list(qemu_args) + list(argv), env


def end_process(p, sig=signal.SIGTERM, timeout=30):
    """Sends sig to p (None: sends nothing, it is expected to end by itself)
    and collects its output, killing it if it is still there after timeout
    seconds. Returns (stdout, stderr, killed)."""
    if sig is not None:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout)
        return out, err, False
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return out, err, True


def run(cmd, env=None, timeout=120, **kw):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                       timeout=timeout, **kw)
    if p.stdout:
        print("--- stdout\n" + p.stdout.rstrip())
    if p.stderr:
        print("--- stderr\n" + p.stderr.rstrip())
    print(f"--- exit status {p.returncode}", flush=True)
    return p


def add_common_args(ap):
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--preload", required=True)
    ap.add_argument("--asan-runtime", default="")


def from_args(a):
    return Lorelei(a.qemu, a.plugin, a.preload, a.asan_runtime)
