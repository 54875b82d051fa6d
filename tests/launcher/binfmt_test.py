#!/usr/bin/env python3
"""binfmt: the registration line, enable/disable/status against a fake
binfmt_misc folder (LORELEI_BINFMT_DIR), the interpreter entry run as the
kernel runs it, `run SCRIPT`, and a real registration inside a private user
and mount namespace with its own binfmt_misc instance (Linux >= 6.7), never
on this machine's own: on this x86_64 host a live x86_64 handler would
capture every program."""
import json
import os
import subprocess
import sys

from run_test import Setup, needs_x86_64_guest_runs, parse
from testlib import Skip, check, check_in, check_not_in, run_main

NAME = "qemu-lorelei-x86_64"
MAGIC = "7f454c4602010100000000000000000002003e00"
MASK = "fffffffffffefe00fffffffffffffffffeffffff"


def entry_path(s):
    return os.path.join(os.path.dirname(s.cli), "qemu-lorelei-binfmt")


def registration(s):
    interp = entry_path(s)
    esc = lambda hexs: "".join("\\x" + hexs[i:i + 2] for i in range(0, len(hexs), 2))
    return f":{NAME}:M::{esc(MAGIC)}:{esc(MASK)}:{interp}:P"


def fake_dir(s, status="enabled"):
    d = s.path("binfmt_misc")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "status"), "w") as f:
        f.write(status + "\n")
    open(os.path.join(d, "register"), "w").close()
    return d


def kernel_entry(d, name, interpreter, magic=MAGIC, mask=MASK, enabled=True, flags="P"):
    """Writes what the kernel shows for a registered handler."""
    with open(os.path.join(d, name), "w") as f:
        f.write(f"{'enabled' if enabled else 'disabled'}\ninterpreter {interpreter}\n"
                f"flags: {flags}\noffset 0\nmagic {magic}\nmask {mask}\n")


def env_for(d):
    return {"LORELEI_BINFMT_DIR": d, "LORELEI_HOST_ARCH": "aarch64"}


def registration_line(s):
    check(os.path.islink(entry_path(s)), f"no {entry_path(s)} link beside the launcher")
    p = s.ok("binfmt", "enable", "--print")
    check(p.stdout == registration(s) + "\n", p.stdout)


def enable_disable_fake_dir(s):
    d = fake_dir(s)
    env = env_for(d)
    p = s.ok("binfmt", "enable", env=env)
    check_in("registered " + NAME, p.stdout)
    check_in("/etc/binfmt.d/qemu-lorelei.conf", p.stdout)
    with open(os.path.join(d, "register")) as f:
        check(f.read() == registration(s), "the register file did not get the line")
    # As the kernel would now show it: enable again does nothing.
    kernel_entry(d, NAME, entry_path(s))
    open(os.path.join(d, "register"), "w").close()
    p = s.ok("binfmt", "enable", env=env)
    check_in("registered already", p.stdout)
    with open(os.path.join(d, "register")) as f:
        check(f.read() == "", "registered twice")
    # Another build's registration is replaced: removed (-1), registered anew.
    kernel_entry(d, NAME, "/old/qemu-lorelei-binfmt")
    s.ok("binfmt", "enable", env=env)
    with open(os.path.join(d, NAME)) as f:  # a plain file here: "-1" written over its start
        check(f.read().startswith("-1"), "the old handler was not removed")
    with open(os.path.join(d, "register")) as f:
        check(f.read() == registration(s), "not registered anew")
    # Status names ours and the other handlers of x86_64 programs only.
    kernel_entry(d, NAME, entry_path(s))
    kernel_entry(d, "qemu-x86_64", "/usr/libexec/qemu-binfmt/x86_64-binfmt-P")
    kernel_entry(d, "qemu-aarch64", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P",
                 magic="7f454c460201010000000000000000000200b700")
    st = s.json("binfmt", "status", "--json", env=env)
    check(st["mounted"] and st["enabled"], st)
    check(st["handler"] == {"name": NAME, "registered": True, "enabled": True,
                            "interpreter": entry_path(s), "flags": "P"}, st["handler"])
    check(st["other_x86_64_handlers"] == [{"name": "qemu-x86_64", "interpreter":
                                           "/usr/libexec/qemu-binfmt/x86_64-binfmt-P"}], st)
    p = s.ok("binfmt", "status", env=env)
    check_in(NAME + ": enabled, interpreter " + entry_path(s) + ", flags P", p.stdout)
    check_in("also takes x86_64 programs: qemu-x86_64", p.stdout)
    check_not_in("qemu-aarch64", p.stdout)
    p = s.ok("binfmt", "disable", env=env)
    check_in("removed " + NAME, p.stdout)
    with open(os.path.join(d, NAME)) as f:
        check(f.read().startswith("-1"), "disable did not write -1")
    os.unlink(os.path.join(d, NAME))
    p = s.ok("binfmt", "disable", env=env)
    check_in("not registered; nothing to do", p.stdout)


def enable_errors(s):
    # On this x86_64 host, for real: refused before anything is written.
    d = fake_dir(s)
    if os.uname().machine == "x86_64":
        s.error(8, ["this host runs x86_64 programs natively", "capture every program"],
                "binfmt", "enable", env={"LORELEI_BINFMT_DIR": d})
        with open(os.path.join(d, "register")) as f:
            check(f.read() == "", "wrote the registration on an x86_64 host")
    missing = s.path("not-mounted")
    os.makedirs(missing)
    s.error(4, ["binfmt_misc is not mounted", "sudo mount -t binfmt_misc binfmt_misc " + missing],
            "binfmt", "enable", env=env_for(missing))
    p = s.ok("binfmt", "status", env=env_for(missing))
    check_in("not mounted", p.stdout)
    s.error(2, ["qemu-lorelei-binfmt is what the kernel runs"], cli=entry_path(s))


def entry_runs_the_program(s):
    needs_x86_64_guest_runs(s)
    t = Setup(s)
    env = {**t.env, "LD_LIBRARY_PATH": "/games/foo/lib:relative:/with,comma"}
    # What the kernel runs with flag P: ENTRY PATH ARGV0 ARG...
    p = s.run(t.game, "my-argv0", "--x", "--exit=3", env=env, cli=entry_path(s))
    check(p.returncode == 3, f"exit status {p.returncode}:\n{p.stderr}")
    argv, genv, _ = parse(p.stdout)
    check(argv == ["my-argv0", "--x", "--exit=3"], argv)
    libpath = ":".join(os.path.join(t.guestlibs, x)
                       for x in ("sdl2", "gl", "vulkan", "openal", "zlib", "vorbisfile"))
    check(genv["LD_LIBRARY_PATH"] == libpath + ":/games/foo/lib", genv["LD_LIBRARY_PATH"])
    # run SCRIPT passes --sysroot and --no-thunk on through the environment.
    s.error(4, ["sysroot 'fromscript' does not exist"], t.game, "a0",
            env={**t.env, "LORELEI_SYSROOT": "fromscript"}, cli=entry_path(s))
    p = s.run(t.game, "a0", env={**t.env, "LORELEI_NO_THUNK": "gl,vulkan"}, cli=entry_path(s))
    check(t.logged(t.plugin_log) ==
          "arg lib=sdl2\narg lib=openal\narg lib=zlib\narg lib=vorbisfile\n",
          t.logged(t.plugin_log))
    # On an x86_64 host a live handler would be handed QEMU itself: refused.
    s.error(8, ["which is QEMU or qemu-lorelei itself", "binfmt disable"], s.opts.qemu, "q",
            env=t.env, cli=entry_path(s))
    # run's own options for it: --argv0, --library-path.
    plan = json.loads(t.run("--dry-run", "--json", "--argv0", "zero", "--library-path", "/a:/b",
                            t.game).stdout)
    i = plan["argv"].index("-0")
    check(plan["argv"][i + 1] == "zero", plan["argv"])
    check(libpath + ":/a:/b" in " ".join(plan["argv"]), plan["argv"])


def run_script(s):
    script = s.write("game/start.sh", "#!/bin/sh\necho \"script $*\"\n"
                     "echo \"sysroot=$LORELEI_SYSROOT no_thunk=$LORELEI_NO_THUNK\"\n", 0o755)
    # Without binfmt: the usual refusal, and the way to make it work.
    s.error(7, ["is a script (#!/bin/sh), not an x86_64 program",
                "sudo qemu-lorelei binfmt enable, then run the script again"],
            "run", script, env={"LORELEI_BINFMT_DIR": s.path("nothing")})
    d = fake_dir(s)
    kernel_entry(d, NAME, entry_path(s))
    env = {"LORELEI_BINFMT_DIR": d}
    p = s.run("run", "--sysroot", "deb12", "--no-thunk", "gl", "--no-thunk", "vulkan", script,
              "a", "b c", env=env)
    check(p.returncode == 0, p.stderr)
    check(p.stdout == "script a b c\nsysroot=deb12 no_thunk=gl,vulkan\n", p.stdout)
    check_in("running the script", p.stderr)
    p = s.ok("run", "--dry-run", script, "x", env=env)
    check(p.stdout == script + " x\n", p.stdout)
    s.error(2, ["--profile names one program's profile"], "run", "--profile", "x", script, env=env)
    # A disabled handler is as good as none.
    kernel_entry(d, NAME, entry_path(s), enabled=False)
    s.error(7, ["is a script"], "run", script, env=env)


INNER = r"""
import json, os, subprocess, sys
d, cli = sys.argv[1], sys.argv[2]
r = {}
m = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", d], capture_output=True, text=True)
r["mount"] = m.returncode
r["mount_err"] = m.stderr
if m.returncode == 0:
    env = {**os.environ, "LORELEI_BINFMT_DIR": d, "LORELEI_HOST_ARCH": "aarch64"}
    p = subprocess.run([cli, "binfmt", "enable"], env=env, capture_output=True, text=True)
    r["enable"] = [p.returncode, p.stdout, p.stderr]
    try:
        with open(os.path.join(d, "qemu-lorelei-x86_64")) as f:
            r["entry"] = f.read()
    except OSError as e:
        r["entry"] = None
    # No exec of anything x86_64 while it is registered works: the kernel
    # hands it to the (x86_64) entry, which it hands to the entry... ELOOP.
    try:
        r["exec"] = "ran, status %d" % subprocess.run(["/bin/true"]).returncode
    except OSError as e:
        r["exec"] = e.errno
    with open(os.path.join(d, "qemu-lorelei-x86_64"), "w") as f:
        f.write("-1")
    r["after"] = os.path.exists(os.path.join(d, "qemu-lorelei-x86_64"))
    r["exec_after"] = subprocess.run(["/bin/true"]).returncode
print(json.dumps(r))
"""


def real_registration_private_namespace(s):
    release = os.uname().release.split(".")
    if (int(release[0]), int(release[1].split("-")[0])) < (6, 7):
        raise Skip(f"kernel {os.uname().release}: binfmt_misc has one instance per machine "
                   "before 6.7, and this test never registers on the machine's own")
    d = s.path("private-binfmt")
    os.makedirs(d)
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c",
                        INNER, d, s.cli], capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and "unshare failed" in p.stderr:
        raise Skip("unprivileged user namespaces are not allowed here: " + p.stderr.strip())
    check(p.returncode == 0, p.stderr)
    r = json.loads(p.stdout)
    check(r["mount"] == 0, "mount -t binfmt_misc in a user namespace failed: " + r["mount_err"])
    check(r["enable"][0] == 0, r["enable"])
    check(r["entry"] == f"enabled\ninterpreter {entry_path(s)}\nflags: P\noffset 0\n"
          f"magic {MAGIC}\nmask {MASK}\n", r["entry"])
    check(r["exec"] == 40, f"x86_64 programs were not captured (exec gave {r['exec']})")
    check(r["after"] is False and r["exec_after"] == 0, r)
    # And the machine's own binfmt_misc never saw it.
    check(not os.path.exists("/proc/sys/fs/binfmt_misc/" + NAME), "registered on the host!")


CASES = {f.__name__: f for f in [registration_line, enable_disable_fake_dir, enable_errors,
                                 entry_runs_the_program, run_script,
                                 real_registration_private_namespace]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "plugin", "preload", "guest", "probe", "stub-sdl2", "stub-gl",
                     "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache"])
