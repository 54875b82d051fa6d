#!/usr/bin/env python3
"""profile sync against a local repository: over HTTP on 127.0.0.1 (see
http_server.py) and file://. Every failure must leave the previous
community copy exactly as it was, leave no temporary folder, and say what
was wrong."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from testlib import check, check_in, check_not_in, make_elf, run_main

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = ["glxgears", "vkcube", "testgl2"]


class Repo:
    """A profile repository folder, served by http_server.py."""

    def __init__(self, s):
        self.s = s
        self.dir = s.path("repo")
        os.makedirs(self.dir)
        for p in SEED:
            shutil.copy(os.path.join(s.opts.profiles, p + ".json"), self.dir)
        self.reindex()
        self.rules = s.path("rules.json")
        self.log = s.path("requests.log")
        self.set_rules({})
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "http_server.py"),
                                      self.dir, self.rules, self.log], stdout=subprocess.PIPE,
                                     text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/"

    def reindex(self):
        self.s.ok("profile", "index", self.dir)

    def set_rules(self, rules):
        with open(self.rules, "w") as f:
            json.dump(rules, f)

    def requests(self):
        with open(self.log) as f:
            lines = f.read().splitlines()
        open(self.log, "w").close()
        return lines

    def edit(self, pid, **changes):
        path = os.path.join(self.dir, pid + ".json")
        with open(path) as f:
            doc = json.load(f)
        doc.update(changes)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def community(s):
    return os.path.join(s.data, "community")


def snapshot(s):
    out = {}
    root = community(s)
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def no_leftovers(s):
    names = sorted(os.listdir(s.data)) if os.path.isdir(s.data) else []
    check(set(names) <= {"community", "community.lock"}, f"left behind in {s.data}: {names}")


def synced(s, repo):
    report = s.json("profile", "sync", "--json", repo.url)
    repo.requests()
    return report


def expect_failed_sync(s, repo, needles, *extra, status=5):
    before = snapshot(s)
    p = s.error(status, needles + ["nothing was changed: the previous community profiles are intact"],
                "profile", "sync", *extra, repo.url, timeout=60)
    check(snapshot(s) == before, "the community copy changed")
    no_leftovers(s)
    return p


def with_repo(fn):
    def case(s):
        repo = Repo(s)
        try:
            fn(s, repo)
        finally:
            repo.stop()
    case.__name__ = fn.__name__
    return case


@with_repo
def sync_over_http(s, repo):
    report = s.json("profile", "sync", "--json", repo.url)
    check(sorted(report["downloaded"]) == sorted(SEED), report)
    check(report["unchanged"] == [] and report["removed"] == [], report)
    check(report["url"] == repo.url + "index.json", report)
    for p in SEED + ["index"]:
        with open(os.path.join(repo.dir, p + ".json"), "rb") as a, \
                open(os.path.join(community(s), p + ".json"), "rb") as b:
            check(a.read() == b.read(), f"{p}.json differs from the repository's")
    with open(os.path.join(community(s), ".sync.json")) as f:
        check(json.load(f)["url"] == repo.url + "index.json", "sync metadata")
    check(sorted(repo.requests()) == sorted(["GET /index.json"] + [f"GET /{p}.json" for p in SEED]),
          "requests")
    listing = s.json("profile", "list", "--json")
    layers = {e["id"]: [l["layer"] for l in e["layers"]] for e in listing}
    check(layers["glxgears"] == ["built-in", "community"], layers)
    # Nothing changed: only the index is fetched again.
    report = s.json("profile", "sync", "--json", repo.url)
    check(report["downloaded"] == [] and sorted(report["unchanged"]) == sorted(SEED), report)
    check(repo.requests() == ["GET /index.json"], "unchanged profiles were downloaded again")
    p = s.ok("profile", "sync", repo.url)
    check_in("synced 3 profiles from " + repo.url + "index.json: 0 downloaded, 3 unchanged, 0 removed",
             p.stdout)
    no_leftovers(s)


@with_repo
def sync_changed_and_removed(s, repo):
    synced(s, repo)
    repo.edit("vkcube", notes="updated")
    os.unlink(os.path.join(repo.dir, "testgl2.json"))
    repo.reindex()
    report = s.json("profile", "sync", "--json", repo.url)
    check(report["downloaded"] == ["vkcube"], report)
    check(report["unchanged"] == ["glxgears"], report)
    check(report["removed"] == ["testgl2"], report)
    check(sorted(repo.requests()) == ["GET /index.json", "GET /vkcube.json"], "requests")
    check(not os.path.exists(os.path.join(community(s), "testgl2.json")), "removed profile kept")
    p = s.ok("profile", "show", "--resolved", "--json", "vkcube")
    check(json.loads(p.stdout)["origin"]["notes"]["layer"] == "community", p.stdout)
    # A local copy someone altered is fetched again rather than trusted.
    with open(os.path.join(community(s), "glxgears.json"), "a") as f:
        f.write(" ")
    report = s.json("profile", "sync", "--json", repo.url)
    check(report["downloaded"] == ["glxgears"], report)


@with_repo
def tampered_profile(s, repo):
    synced(s, repo)
    repo.edit("vkcube", notes="a new version")
    repo.reindex()
    repo.edit("vkcube", notes="x")  # after the index was made: shorter than it says
    expect_failed_sync(s, repo, ["profile vkcube (" + repo.url + "vkcube.json) has",
                                 "bytes, but the index says", "truncated or altered"])


@with_repo
def tampered_same_size(s, repo):
    synced(s, repo)
    path = os.path.join(repo.dir, "glxgears.json")
    repo.edit("glxgears", notes="A")
    repo.reindex()
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace('"A"', '"B"'))  # same size, other bytes
    expect_failed_sync(s, repo, ["profile glxgears", "does not match the sha256 in the index",
                                 "it was altered"])


@with_repo
def truncated_download(s, repo):
    synced(s, repo)
    repo.edit("testgl2", notes="new version")
    repo.reindex()
    repo.set_rules({"/testgl2.json": {"mode": "truncate"}})
    expect_failed_sync(s, repo, ["profile testgl2", "but the index says", "truncated or altered"])


@with_repo
def server_stops_mid_transfer(s, repo):
    synced(s, repo)
    repo.edit("glxgears", notes="new version")
    repo.reindex()
    repo.set_rules({"/glxgears.json": {"mode": "die"}})
    expect_failed_sync(s, repo, ["profile glxgears", "cut off before the end"])
    repo.proc.wait(timeout=10)
    check(repo.proc.returncode == 3, "the server did not stop mid-transfer")


@with_repo
def stalled_server(s, repo):
    synced(s, repo)
    repo.edit("vkcube", notes="new version")
    repo.reindex()
    repo.set_rules({"/vkcube.json": {"mode": "stall"}})
    start = time.monotonic()
    expect_failed_sync(s, repo, ["profile vkcube", "timed out"], "--timeout", "2")
    check(time.monotonic() - start < 30, "the stall timeout did not apply")


@with_repo
def timeout_bounds_the_whole_sync(s, repo):
    """--timeout bounds the whole sync: a server that drips one byte at a
    time never looks stalled, and two 800-byte profiles used to take many
    minutes (days for a whole repository) while holding the lock."""
    synced(s, repo)
    for p in ("vkcube", "glxgears"):
        repo.edit(p, notes="new version")
    repo.reindex()
    repo.set_rules({"/vkcube.json": {"mode": "drip", "every": 0.3},
                    "/glxgears.json": {"mode": "drip", "every": 0.3}})
    start = time.monotonic()
    expect_failed_sync(s, repo, ["timed out", "--timeout 2"], "--timeout", "2")
    took = time.monotonic() - start
    check(took < 8, f"the sync took {took:.1f} s with --timeout 2")
    check_in("whole sync", s.ok("profile", "sync", "--help").stdout)


@with_repo
def huge_responses(s, repo):
    synced(s, repo)
    repo.set_rules({"/index.json": {"mode": "huge", "bytes": 8 << 20}})
    expect_failed_sync(s, repo, ["index.json (" + repo.url + "index.json) is larger than 1048576 bytes, the limit"])
    repo.set_rules({"/index.json": {"mode": "announce", "length": 10 << 30}})
    expect_failed_sync(s, repo, ["index.json", "is larger than 1048576 bytes, the limit"])
    repo.edit("vkcube", notes="new version")
    repo.reindex()
    size = os.path.getsize(os.path.join(repo.dir, "vkcube.json"))
    repo.set_rules({"/vkcube.json": {"mode": "pad", "bytes": 1 << 20}})
    expect_failed_sync(s, repo, [f"profile vkcube ({repo.url}vkcube.json) is larger than {size + 1} bytes"])


@with_repo
def http_errors_and_redirects(s, repo):
    synced(s, repo)
    repo.edit("vkcube", notes="new version")
    repo.reindex()
    repo.set_rules({"/vkcube.json": {"status": 404}})
    expect_failed_sync(s, repo, ["profile vkcube", "the server answered HTTP 404"])
    repo.set_rules({"/index.json": {"redirect": f"http://127.0.0.1:{repo.port}/elsewhere/index.json"}})
    expect_failed_sync(s, repo, ["refused a redirect to a URL that is not https://"])
    repo.stop()
    expect_failed_sync(s, repo, ["index.json (" + repo.url + "index.json)"])


@with_repo
def hostile_repository(s, repo):
    synced(s, repo)
    index_path = os.path.join(repo.dir, "index.json")
    with open(index_path) as f:
        index = json.load(f)
    good_index = json.dumps(index)
    index["profiles"][0]["path"] = "../../../.bashrc"
    with open(index_path, "w") as f:
        json.dump(index, f)
    expect_failed_sync(s, repo, [repo.url + "index.json: index.json: profiles[0]: 'path' must be"])
    with open(index_path, "w") as f:
        f.write("{\"schema\": 1, \"profiles\": [")
    expect_failed_sync(s, repo, ["index.json", "not valid JSON"])
    # A profile the index vouches for but the schema refuses.
    evil = b'{"schema": 1, "id": "evil", "env": {"LD_PRELOAD": "/tmp/evil.so"}}\n'
    with open(os.path.join(repo.dir, "evil.json"), "wb") as f:
        f.write(evil)
    index = json.loads(good_index)
    index["profiles"].append({"id": "evil", "path": "evil.json",
                              "sha256": hashlib.sha256(evil).hexdigest(), "size": len(evil)})
    with open(index_path, "w") as f:
        json.dump(index, f)
    expect_failed_sync(s, repo, ["profile evil", "is not a valid profile",
                                 "env.LD_PRELOAD: this variable may not be set by a profile"])
    # The same, with the file claiming another id than the index gives it.
    other = b'{"schema": 1, "id": "glxgears"}\n'
    with open(os.path.join(repo.dir, "evil.json"), "wb") as f:
        f.write(other)
    index["profiles"][-1].update(sha256=hashlib.sha256(other).hexdigest(), size=len(other))
    with open(index_path, "w") as f:
        json.dump(index, f)
    expect_failed_sync(s, repo, ["holds profile 'glxgears' but the index lists it as 'evil'"])


@with_repo
def profile_cannot_write_files(s, repo):
    """A repository's profile may not set a variable whose value a library
    opens as a file in the game's working folder: GALLIUM_TRACE=.bashrc made
    Mesa overwrite ~/.bashrc when the game was started from $HOME."""
    synced(s, repo)
    for name, env in [("trace", {"GALLIUM_TRACE": ".bashrc"}),
                      ("dsp", {"SDL_PATH_DSP": ".bashrc"}),
                      ("diskin", {"SDL_DISKAUDIOFILEIN": ".bashrc"}),
                      ("disk", {"SDL_AUDIODRIVER": "disk"})]:
        with open(os.path.join(repo.dir, f"hostile-{name}.json"), "w") as f:
            json.dump({"schema": 1, "id": f"hostile-{name}", "match": {"exe": ["game"]},
                       "env": env}, f)
        p = s.run("profile", "index", repo.dir)
        check(p.returncode == 3 and "env." + next(iter(env)) in p.stderr,
              f"profile index accepted {env}:\n{p.stdout}{p.stderr}")
        # A repository whose maintainer does not run `profile index`: the
        # index vouches for the file, the sync still refuses it.
        with open(os.path.join(repo.dir, "index.json")) as f:
            index = json.load(f)
        data = open(os.path.join(repo.dir, f"hostile-{name}.json"), "rb").read()
        index["profiles"].append({"id": f"hostile-{name}", "path": f"hostile-{name}.json",
                                  "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        with open(os.path.join(repo.dir, "index.json"), "w") as f:
            json.dump(index, f)
        expect_failed_sync(s, repo, [f"profile hostile-{name}", "is not a valid profile",
                                     "env." + next(iter(env))])
        os.unlink(os.path.join(repo.dir, f"hostile-{name}.json"))
        repo.reindex()


@with_repo
def reserved_ids(s, repo):
    """A profile may not be called index or schema: its file would be the
    repository's index.json or schema.json, and no layer reads those."""
    synced(s, repo)
    for pid in ("schema", "index"):
        data = json.dumps({"schema": 1, "id": pid}).encode()
        with open(os.path.join(repo.dir, "index.json")) as f:
            index = json.load(f)
        index["profiles"].append({"id": pid, "path": pid + ".json",
                                  "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        if pid == "schema":
            with open(os.path.join(repo.dir, "schema.json"), "wb") as f:
                f.write(data)
        with open(os.path.join(repo.dir, "index.json"), "w") as f:
            json.dump(index, f)
        expect_failed_sync(s, repo, [f"'{pid}' is reserved"])
        repo.reindex()
        synced(s, repo)


@with_repo
def first_sync_failure_leaves_nothing(s, repo):
    repo.set_rules({"/vkcube.json": {"mode": "truncate"}})
    s.error(5, ["profile vkcube", "truncated or altered"], "profile", "sync", repo.url)
    check(not os.path.exists(community(s)), "a failed first sync left a community folder")
    no_leftovers(s)


@with_repo
def interrupted_sync(s, repo):
    synced(s, repo)
    before = snapshot(s)
    repo.edit("vkcube", notes="new version")
    repo.reindex()
    repo.set_rules({"/vkcube.json": {"mode": "stall"}})
    proc = subprocess.Popen([s.cli, "profile", "sync", repo.url], env=s.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while "GET /vkcube.json" not in open(repo.log).read():
        check(time.monotonic() < deadline, "the sync never asked for vkcube.json")
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    check(proc.returncode == 130, f"exit status {proc.returncode}: {err}")
    check_in("error: interrupted: the previous profiles were kept", err)
    check(snapshot(s) == before, "the community copy changed")
    no_leftovers(s)


@with_repo
def one_sync_at_a_time(s, repo):
    import fcntl
    os.makedirs(s.data, exist_ok=True)
    with open(os.path.join(s.data, "community.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        s.error(1, ["another profile sync is running (" + os.path.join(s.data, "community.lock"),
                    "fix: wait for it to finish"], "profile", "sync", repo.url)
    synced(s, repo)


def launch_reads_only_matching_profiles(s):
    """A launch reads the community profiles that can match its game, found
    through the index sync writes, not the whole repository (4096 profiles
    of 64 KiB made every launch take 16 s and 400 MiB). Shown by breaking
    every other synced file: a launch that read them would warn."""
    repo = s.path("repo")
    os.makedirs(repo)
    n = 300
    for i in range(n):
        with open(os.path.join(repo, f"game-{i:03d}.json"), "w") as f:
            json.dump({"schema": 1, "id": f"game-{i:03d}",
                       "match": {"exe": [f"game-{i:03d}.x86_64"]}, "args": [f"--from-{i}"]}, f)
    s.ok("profile", "index", repo)
    s.ok("profile", "sync", "file://" + repo)
    for i in range(n):
        if i != 150:
            with open(os.path.join(community(s), f"game-{i:03d}.json"), "w") as f:
                f.write("{ broken")
    game = make_elf(s.path("game-150.x86_64"))
    fake_qemu = s.write("qemu", "#!/bin/sh\n", 0o755)
    env = {"LORELEI_QEMU": fake_qemu}
    off = ["--no-thunk", "sdl2", "--no-thunk", "gl", "--no-thunk", "vulkan",
           "--no-thunk", "openal", "--no-thunk", "zlib", "--no-thunk", "vorbisfile"]
    p = s.ok("run", "--dry-run", *off, game, env=env)
    check_not_in("skipped", p.stderr)
    check_in("profile 'game-150' (matched by file name only", p.stderr)
    check(p.stdout.strip().endswith(game + " --from-150"), p.stdout)
    # Asked for by id, a community profile is read on demand too, and a
    # typo still gets its "did you mean".
    p = s.ok("run", "--dry-run", "--profile", "game-150", *off, game, env=env)
    check_not_in("skipped", p.stderr)
    s.error(4, ["no profile with id 'game-15O'", "did you mean 'game-150'?"],
            "run", "--dry-run", "--profile", "game-15O", *off, game, env=env)
    # A community folder without an index (synced by an older version) is
    # read whole, and the launch says so.
    os.unlink(os.path.join(community(s), ".match-index"))
    p = s.ok("run", "--dry-run", *off, game, env=env)
    check_in("have no match index", p.stderr)
    check_in("profile 'game-150'", p.stderr)


def file_url(s):
    repo = s.path("repo")
    os.makedirs(repo)
    for p in SEED:
        shutil.copy(os.path.join(s.opts.profiles, p + ".json"), repo)
    s.ok("profile", "index", repo)
    report = s.json("profile", "sync", "--json", "file://" + repo + "/index.json")
    check(sorted(report["downloaded"]) == sorted(SEED), report)
    report = s.json("profile", "sync", "--json", "file://" + repo, env={})
    check(sorted(report["unchanged"]) == sorted(SEED), report)
    # The default URL comes from LORELEI_SYNC_URL.
    report = s.json("profile", "sync", "--json", env={"LORELEI_SYNC_URL": "file://" + repo + "/"})
    check(report["url"] == "file://" + repo + "/index.json", report)
    s.error(5, ["index.json (file://" + s.path("nowhere") + "/index.json)"],
            "profile", "sync", "file://" + s.path("nowhere"))


CASES = {f.__name__: f for f in [sync_over_http, sync_changed_and_removed, tampered_profile,
                                 tampered_same_size, truncated_download, server_stops_mid_transfer,
                                 stalled_server, timeout_bounds_the_whole_sync, huge_responses,
                                 http_errors_and_redirects,
                                 hostile_repository, profile_cannot_write_files, reserved_ids,
                                 first_sync_failure_leaves_nothing,
                                 interrupted_sync, one_sync_at_a_time, file_url,
                                 launch_reads_only_matching_profiles]}

if __name__ == "__main__":
    run_main(CASES)
