#!/usr/bin/env python3
"""Put the third-party sources of a flatpak-builder manifest where
`flatpak-builder --extra-sources=DIR` finds them, without flatpak-builder
downloading anything: every `url` source must be a file of Debian's archive
(https://deb.debian.org/debian/pool/...), and is fetched with
`apt-get source --download-only` from the mirror apt already uses, then
checked against the manifest's sha256.

usage: fetch-debian-sources.py MANIFEST DIR

DIR/downloads/<sha256>/<file name> is flatpak-builder's own layout for
downloads, so the build is the distributable manifest's, byte for byte.
Files already there with the right sha256 are kept: a warm run is offline.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

POOL = re.compile(r"/pool/[^/]+/[^/]+/(?P<package>[^/]+)/(?P<file>[^/]+)$")


def fail(what, why, fix):
    sys.exit(f"fetch-debian-sources: error: {what}\n  why: {why}\n  fix: {fix}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def url_sources(modules):
    for m in modules:
        if isinstance(m, str):
            continue  # a module in its own file: none in this project
        for s in m.get("sources", []):
            if isinstance(s, dict) and "url" in s:
                yield s
        yield from url_sources(m.get("modules", []))


def source_version(package, file_name):
    """The Debian version of source package `package` that lists file_name."""
    out = subprocess.run(["apt-cache", "showsrc", package], capture_output=True, text=True).stdout
    for stanza in out.split("\n\n"):
        version = re.search(r"^Version: (\S+)", stanza, re.M)
        if version and re.search(rf"^ [0-9a-f]{{64}} \d+ {re.escape(file_name)}$", stanza, re.M):
            return version.group(1)
    return None


def apt_source(package, version, tmp_root, fetched={}):
    """The folder apt-get source --download-only filled for package=version
    (once per package and version: the .orig and .debian files come together)."""
    key = (package, version)
    if key not in fetched:
        d = tempfile.mkdtemp(dir=tmp_root)
        print(f"fetch-debian-sources: apt-get source {package}={version}")
        p = subprocess.run(["apt-get", "source", "--download-only", "-qq", f"{package}={version}"],
                           cwd=d, capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"apt-get source {package}={version} failed", p.stderr.strip()[-500:],
                 "check the network and the apt sources")
        fetched[key] = d
    return fetched[key]


def fetch(source, dest_root, tmp_root):
    url, want = source["url"], source.get("sha256")
    name = source.get("dest-filename") or os.path.basename(url)
    if not want:
        fail(f"{url} has no sha256", "an offline build can only trust a file by its hash",
             "add the file's sha256 to the manifest")
    dest = os.path.join(dest_root, "downloads", want, name)
    if os.path.isfile(dest) and sha256(dest) == want:
        print(f"fetch-debian-sources: have {name}")
        return
    m = POOL.search(url)
    if not m:
        fail(f"{url} is not a file of Debian's archive",
             "offline builds take third-party sources only from Debian (apt-get source)",
             "use the Debian source package's file (pool/main/...) in the manifest")
    version = source_version(m["package"], m["file"])
    if version is None:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        version = source_version(m["package"], m["file"])
    if version is None:
        fail(f"no Debian source package '{m['package']}' lists {m['file']}",
             "apt's deb-src lines do not reach that version",
             "run packaging/qemu/build-qemu.sh --apt-sources (adds deb-src for trixie) and "
             "packaging/sdl2/fetch-sdl2-source.sh (deb-src for this release), then apt-get update")
    got = os.path.join(apt_source(m["package"], version, tmp_root), m["file"])
    if not os.path.isfile(got):
        fail(f"apt-get source {m['package']}={version} brought no {m['file']}",
             "the source package's file list changed", "check the manifest's url")
    have = sha256(got)
    if have != want:
        fail(f"{m['file']} from Debian has sha256 {have}, the manifest says {want}",
             "the manifest and Debian's archive disagree", "fix the manifest's sha256")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.move(got, dest + ".tmp")
    os.replace(dest + ".tmp", dest)
    print(f"fetch-debian-sources: fetched {name}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    with tempfile.TemporaryDirectory() as tmp_root:
        for source in url_sources(manifest.get("modules", [])):
            fetch(source, sys.argv[2], tmp_root)


if __name__ == "__main__":
    main()
