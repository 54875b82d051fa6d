"""Shared by the test drivers: how to start a guest program under the
patched qemu-x86_64 with qemu-lorelei's plugin, the way the launcher does
(preload shim into QEMU only, stub folders first in the guest's library path),
and small checking helpers that print what they check.

The aarch64 lane (docs/aarch64.md) runs the same drivers with an aarch64
QEMU and plugin, which this x86_64 machine runs through qemu-aarch64 (binfmt_misc),
and adds --host-arch aarch64: every Lorelei run then logs verbosely and
check_host() proves from that log that the plugin and every host library it
loaded were aarch64 builds (and, with --page-size, the page size it ran with);
--sysroot gives QEMU the x86_64 sysroot (-L) the guest's own files come from."""
import os
import re
import signal
import subprocess
import sys

# How much longer than natively a Lorelei run may take to get going: 1 on
# real hardware; the aarch64 lane's nested emulation sets it higher
# (LORELEI_TIME_SCALE in the test's environment). Drivers scale the time they
# give a Lorelei run before judging it, and the timeouts in run().
TIME_SCALE = float(os.environ.get("LORELEI_TIME_SCALE", "1"))

# e_machine of the ELF header (offset 18, little-endian 16 bits).
ELF_MACHINES = {62: "x86_64", 183: "aarch64", 243: "riscv64"}
PLUGIN_HOST = re.compile(r"^qemu-lorelei: plugin built for (\S+), host page size (\d+) bytes$", re.M)
LLVMPIPE_WIDTH = re.compile(r"(llvmpipe \(LLVM [\d.]+), \d+ bits\)")
LOADED = re.compile(r"^qemu-lorelei: (\w+): loaded (\S+), \d+ of \d+ functions resolved, from (.+)$",
                    re.M)


def elf_machine(path):
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError as e:
        return f"unreadable ({e.strerror})"
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return "not an ELF file"
    num = int.from_bytes(head[18:20], "little")
    return ELF_MACHINES.get(num, f"ELF machine {num}")


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
# Names shared libraries export that are no API (linker-defined; the
# __bss_end__ family only on aarch64).
LINKER_SYMBOLS = {"__bss_start", "_edata", "_end", "_init", "_fini",
                  "__bss_start__", "__bss_end__", "_bss_end__", "__end__"}


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
    def __init__(self, qemu, plugin, preload, asan_runtime="", host_arch="", page_size=0,
                 sysroot=""):
        # Absolute: tests may run programs from another working directory.
        self.qemu, self.plugin, self.preload = (os.path.abspath(p) if p else p
                                                for p in (qemu, plugin, preload))
        self.asan_runtime = asan_runtime
        self.host_arch, self.page_size, self.sysroot = host_arch, page_size, sysroot

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
        if self.sysroot:
            cmd += ["-L", self.sysroot]
        if plugin:
            plugin_args = list(plugin_args)
            if self.host_arch and "verbose=on" not in plugin_args:
                plugin_args.append("verbose=on")  # for check_host()
            cmd += ["-plugin", ",".join([self.plugin] + [f"lib={l}" for l in libs] +
                                        plugin_args)]
        return cmd + list(qemu_args) + list(argv), env

    def host_neutral(self, text):
        """text with what legitimately differs between this machine's
        native run and a run on the --host-arch host made alike: llvmpipe
        names its SIMD width (256 bits with AVX2 here, 128 with NEON on
        aarch64). Unchanged when the host is this machine."""
        if not self.host_arch or self.host_arch == os.uname().machine:
            return text
        return LLVMPIPE_WIDTH.sub(r"\1, N bits)", text)

    def check_host(self, checks, log, what, libs=1):
        """With --host-arch: the plugin's verbose log in `log` shows the
        plugin built for that architecture (at --page-size), and at least
        `libs` host libraries loaded, each an ELF file of that architecture.
        Without: checks nothing (the x86_64 trees)."""
        if not self.host_arch:
            return
        m = PLUGIN_HOST.search(log)
        checks.check(m is not None and m.group(1) == self.host_arch,
                     f"{what}: the plugin that ran is the {self.host_arch} build "
                     f"(its log: {m.group(0) if m else 'no plugin line'})")
        if self.page_size:
            checks.check(m is not None and int(m.group(2)) == self.page_size,
                         f"{what}: with {self.page_size}-byte host pages "
                         f"({m.group(2) if m else '?'})")
        loaded = LOADED.findall(log)
        checks.check(len(loaded) >= libs, f"{what}: the plugin loaded {len(loaded)} host "
                                          f"library(ies), {libs} expected")
        for lib, soname, path in loaded:
            machine = elf_machine(path)
            checks.check(machine == self.host_arch,
                         f"{what}: {lib}: the host's {soname} is {path}, an {machine} library")


# A line of /proc/self/maps that maps a file: "start-end perms offset dev
# inode   PATH", PATH possibly followed by " (deleted)".
MAPPED_FILE = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ [0-9a-f]+ \S+ \d+ +(/.*?)(?: \(deleted\))?$",
                         re.M)
# Files a kernel maps that are no one's library: devices, shared memory.
PSEUDO_FILES = ("/dev/", "/memfd:", "/SYSV", "/[aio]")


def mapped_files(maps):
    """The files (absolute host paths) a /proc/self/maps text shows mapped."""
    return sorted(set(MAPPED_FILE.findall(maps)))


def leaked_files(maps, sysroot, allowed_dirs=()):
    """The files in `maps` (a guest's /proc/self/maps under QEMU, which shows
    the host path of every mapped file) that came from this machine rather
    than from the x86_64 `sysroot` or one of `allowed_dirs` (the stubs'
    folders, the program's): a list of (path, why). A sysroot that is this
    machine's own root proves nothing, so with "/" every file but the
    allowed ones leaked."""
    root = os.path.realpath(sysroot) if sysroot else ""
    allowed = [os.path.realpath(d) for d in allowed_dirs]

    def under(path, folder):
        return folder != "/" and (path == folder or path.startswith(folder.rstrip("/") + "/"))

    leaks = []
    for path in mapped_files(maps):
        if path.startswith(PSEUDO_FILES) or any(under(path, d) for d in allowed):
            continue
        if not root:
            leaks.append((path, "no sysroot: QEMU took it from this machine's root"))
        elif root == "/":
            leaks.append((path, "the sysroot is this machine's own root"))
        elif not under(path, root):
            leaks.append((path, f"not under the sysroot {root}: QEMU's -L fell back to "
                                "this machine's file"))
    return leaks


def end_process(p, sig=signal.SIGTERM, timeout=30):
    """Sends sig to p (None: sends nothing, it is expected to end by itself)
    and collects its output, killing it if it is still there after timeout
    seconds. Returns (stdout, stderr, killed)."""
    if sig is not None:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout * TIME_SCALE)
        return out, err, False
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return out, err, True


def run(cmd, env=None, timeout=120, **kw):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                       timeout=timeout * TIME_SCALE, **kw)
    if p.stdout:
        print("--- stdout\n" + p.stdout.rstrip())
    if p.stderr:
        print("--- stderr\n" + p.stderr.rstrip())
    print(f"--- exit status {p.returncode}", flush=True)
    return p


def absolute_paths(a, *extra):
    """Makes the common path arguments of a (and the attributes named in
    extra) absolute, for drivers that run programs in temporary folders."""
    for k in ("qemu", "plugin", "preload", "asan_runtime", "sysroot") + extra:
        if getattr(a, k, None):
            setattr(a, k, os.path.abspath(getattr(a, k)))


def stub_test_main(checks, cases):
    """main() of a forwarded library's test driver (tests/zlib,
    tests/vorbisfile): CASE, the common arguments, --stub-dir (the stub's
    folder), --host-lib (the host library it must match), --prog and
    --launcher; runs cases[CASE](args) and exits with the checks' verdict."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(cases))
    add_common_args(ap)
    ap.add_argument("--stub-dir", required=True)
    ap.add_argument("--host-lib", required=True)
    ap.add_argument("--prog")
    ap.add_argument("--launcher")
    ap.add_argument("--profile-plugin", help="liblorelei-profile.so (run --profile-libs)")
    a = ap.parse_args()
    # The programs run in temporary folders: every path must hold from there.
    absolute_paths(a, "stub_dir", "host_lib", "prog", "launcher", "profile_plugin")
    cases[a.case](a)
    checks.finish()


def compare_with_native(c, lo, argv, what, lib, soname, stub_dir, env=None, cwd=None,
                        lib_dirs=()):
    """Runs argv natively and under Lorelei with `lib` forwarded (its stub
    from stub_dir, the plugin verbose) and checks: the same exit status and
    output, the stub reached the host's library (the plugin loaded SONAME),
    the guest's loader found every symbol version it asked for, and (with
    --host-arch) check_host. lib_dirs: folders both runs' loaders search
    (natively first, under Lorelei after the stub's). Returns both results."""
    native_env = dict(env if env is not None else os.environ)
    for k in ("LD_PRELOAD", "LD_LIBRARY_PATH"):
        native_env.pop(k, None)
    if lib_dirs:
        native_env["LD_LIBRARY_PATH"] = ":".join(lib_dirs)
    n = run(argv, env=native_env, timeout=120, cwd=cwd)
    native_env.pop("LD_LIBRARY_PATH", None)
    cmd, lenv = lo.command(argv, libs=(lib,), guest_lib_dirs=[stub_dir] + list(lib_dirs),
                           plugin_args=["verbose=on"])
    lenv.update({k: v for k, v in native_env.items() if k not in lenv})
    r = run(cmd, env=lenv, timeout=600, cwd=cwd)
    c.check(n.returncode == 0, f"{what} works natively (status {n.returncode})")
    c.check(r.returncode == n.returncode,
            f"{what}: same exit status under Lorelei ({n.returncode}, {r.returncode})")
    c.check(f"{lib}: loaded {soname}" in r.stderr,
            f"{what}: the stub forwarded to the host's {soname}")
    c.check("no version information available" not in r.stderr,
            f"{what}: the guest's loader found the symbol versions it asked for")
    lo.check_host(c, r.stderr, what)
    same = r.stdout == n.stdout
    if not same:
        pairs = zip(n.stdout.splitlines(), r.stdout.splitlines())
        print("first differences:\n" + "\n".join(
            f"  native:  {x}\n  lorelei: {y}" for x, y in pairs if x != y))
    c.check(same, f"{what}: the same output as natively ({len(n.stdout.splitlines())} lines)")
    return n, r


SKIP = 77  # meson: the test was skipped


def require_host_gl(a):
    """With --host-gl-probe: runs that program (the host's own OpenGL, no
    qemu-lorelei) first; when it fails, this test cannot judge qemu-lorelei
    and exits as skipped, saying why."""
    if not getattr(a, "host_gl_probe", ""):
        return
    print("$ " + a.host_gl_probe, flush=True)
    try:
        p = subprocess.run([a.host_gl_probe], capture_output=True, text=True, errors="replace",
                           timeout=120 * TIME_SCALE)
        status, output = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        status, output = "timeout", ""
    print(output.rstrip() + f"\n--- exit status {status}", flush=True)
    if status != 0:
        page = os.environ.get("QEMU_PAGESIZE", "the default")
        print(f"skipped: the host's own OpenGL fails here without qemu-lorelei (the probe above, "
              f"status {status}, with {page}-byte pages under this emulator), so a Lorelei run "
              "forwarding GL to it cannot be judged; docs/aarch64.md says why")
        sys.exit(SKIP)


def add_common_args(ap):
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--preload", required=True)
    ap.add_argument("--asan-runtime", default="")
    ap.add_argument("--host-arch", default="",
                    help="check that the plugin and host libraries are this architecture's")
    ap.add_argument("--page-size", type=int, default=0,
                    help="with --host-arch: check the plugin ran with this host page size")
    ap.add_argument("--sysroot", default="", help="x86_64 sysroot for QEMU's -L")
    ap.add_argument("--host-gl-probe", default="",
                    help="a host program using the host's OpenGL; the test is skipped when it "
                         "fails (require_host_gl)")


def from_args(a):
    return Lorelei(a.qemu, a.plugin, a.preload, a.asan_runtime, a.host_arch, a.page_size,
                   a.sysroot)
