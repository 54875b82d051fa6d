#!/usr/bin/env python3
"""The community repository's default URL, set at build time (meson
-Dprofile_sync_url, passed here as --sync-url): `profile sync --help` and
`doctor` show it, `profile sync` without a URL uses it, LORELEI_SYNC_URL
overrides it, and doctor says when the community layer was last synced."""
import json
import os
import shutil
import subprocess

from doctor_test import setup
from testlib import check, check_in, check_not_in, run_main


def built(s):
    return s.opts.sync_url


def doctor_row(s, env=None):
    """doctor's "community repo" row (the other checks do not matter here)."""
    if not hasattr(s, "doctor_env"):
        s.doctor_env = setup(s)
    e = dict(s.env)
    e.update(s.doctor_env)
    e.update(env or {})
    e = {k: v for k, v in e.items() if v is not None}
    p = subprocess.run([s.cli, "doctor", "--json"], env=e, capture_output=True, text=True,
                       timeout=240)
    rows = {r["check"]: r for r in json.loads(p.stdout)["checks"]}
    check("community repo" in rows, f"no community repo row: {sorted(rows)}")
    return rows["community repo"]


def repo(s):
    """A file:// repository: the repository's own profiles and index."""
    folder = s.path("repo")
    shutil.copytree(s.opts.profiles, folder)
    return "file://" + folder + "/"


def sync_help_shows_built_url(s):
    p = s.ok("profile", "sync", "--help")
    if built(s):
        check_in("else the URL configured at build time:\n  " + built(s), p.stdout)
    else:
        check_in("(none: this build has no default repository)", p.stdout)


def sync_without_url_uses_built_url(s):
    if not built(s):
        s.error(2, ["no repository URL", "LORELEI_SYNC_URL", "fix:"], "profile", "sync")
        return
    # No network is needed: whether the repository answers or not, the
    # URL sync went to is in its report or in its error.
    p = s.run("profile", "sync", "--timeout", "20")
    index = built(s) + ("" if built(s).endswith("/") else "/") + "index.json"
    if p.returncode == 0:
        check_in("from " + index, p.stdout)
    else:
        check(p.returncode == 5, f"exit status {p.returncode}: {p.stderr}")
        check_in(index, p.stderr)
        check_in("fix:", p.stderr)


def env_overrides_built_url(s):
    url = repo(s)
    report = s.json("profile", "sync", "--json", env={"LORELEI_SYNC_URL": url})
    check(report["url"] == url + "index.json", report)
    check(len(report["downloaded"]) >= 10, report)
    # A URL given on the command line wins over both.
    report = s.json("profile", "sync", "--json", url,
                    env={"LORELEI_SYNC_URL": "file://" + s.path("nowhere") + "/"})
    check(report["url"] == url + "index.json", report)


def doctor_shows_repository(s):
    row = doctor_row(s)
    if built(s):
        check(row["status"] == "ok", row)
        check_in(built(s) + " (configured at build time)", row["detail"])
    else:
        check(row["status"] == "warn" and row["fix"], row)
    check_in("never synced (qemu-lorelei profile sync)", row["detail"])
    # After a sync, the community layer's metadata says when and from where.
    url = repo(s)
    s.ok("profile", "sync", env={"LORELEI_SYNC_URL": url})
    with open(os.path.join(s.data, "community", ".sync.json")) as f:
        meta = json.load(f)
    row = doctor_row(s, {"LORELEI_SYNC_URL": url})
    check(row["status"] == "ok", row)
    check_in(url + " (from LORELEI_SYNC_URL)", row["detail"])
    check_in(f"last synced {meta['synced']} from {url}index.json", row["detail"])
    # A URL sync would refuse is a warning with a fix.
    row = doctor_row(s, {"LORELEI_SYNC_URL": "http://example.com/profiles/"})
    check(row["status"] == "warn", row)
    check_in("refusing http://example.com/profiles/", row["detail"])
    check_in("LORELEI_SYNC_URL", row["fix"])
    # The metadata is the user's file: text that is not one clean line is
    # not shown (an escape sequence would reach the terminal), nor is a
    # file that is not JSON.
    for bad in ['{"url": "\\u001b[2Jevil", "synced": "2026-01-01T00:00:00Z"}', "not json",
                '{"url": 5}']:
        with open(os.path.join(s.data, "community", ".sync.json"), "w") as f:
            f.write(bad)
        row = doctor_row(s)
        check_in("never synced", row["detail"])
        check_not_in("\x1b", json.dumps(row, ensure_ascii=False))
        check_not_in("evil", row["detail"])


CASES = {f.__name__: f for f in [sync_help_shows_built_url, sync_without_url_uses_built_url,
                                 env_overrides_built_url, doctor_shows_repository]}

if __name__ == "__main__":
    run_main(CASES, ["sync-url", "qemu", "plugin", "preload", "guest", "probe", "stub-sdl2",
                     "stub-gl", "stub-vulkan", "stub-openal", "stub-zlib", "stub-vorbisfile", "castcache"])
