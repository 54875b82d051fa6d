#!/usr/bin/env python3
"""sysroot create --from-debian and --from-multiarch from the command line.

Most cases use a tiny Debian archive made here (debian_mirror.py: .debs from
dpkg-deb, a Release signed by a key made in a private GNUPGHOME) served on
127.0.0.1 by http_server.py, which can stall, die, ignore Range requests
and log every request. One case resolves the closure against the real
mirror of this machine's apt sources (skipped, with the reason, when it
cannot be reached); the --from-multiarch cases use this machine's dpkg
database, and a fake one through DPKG_ADMINDIR.

Whatever fails, no sysroot and no temporary folder may be left behind."""
import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

from debian_mirror import DEFAULT_SET, EXPECTED_CLOSURE, EXPECTED_LEFT_OUT, Mirror
from testlib import Skip, check, check_in, check_not_in, run_main


def sysroots(s):
    return os.path.join(s.data, "sysroots")


def leftovers(s):
    d = sysroots(s)
    return sorted(n for n in os.listdir(d) if n.startswith(".")) if os.path.isdir(d) else []


def nothing_left(s, name):
    check(not os.path.exists(os.path.join(sysroots(s), name)), f"a sysroot '{name}' appeared")
    check(leftovers(s) == [], f"left behind: {leftovers(s)}")


def cache(s, sub="debs"):
    return s.path(".cache", "qemu-lorelei", sub)


@contextlib.contextmanager
def mirror(s, big=None, **publish):
    m = Mirror(s)
    try:
        m.add_all(big=big)
        m.publish(**publish)
        m.serve()
        yield m
    finally:
        m.stop()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def deb_requests(lines):
    return [l for l in lines if "/pool/" in l]


# ---- the fake archive ---------------------------------------------------------


def create_from_mirror(s):
    with mirror(s) as m:
        p = s.ok("sysroot", "create", "game", *m.args("--package", "libextra1"))
        check_in("created sysroot 'game'", p.stdout)
        check_in(f"{len(EXPECTED_CLOSURE)} packages from Debian bookworm", p.stdout)
        root = os.path.join(sysroots(s), "game")
        # Merged /usr, as Debian has it; the loader's link made relative.
        check(os.readlink(os.path.join(root, "lib")) == "usr/lib", "lib is not usr/lib")
        check(os.readlink(os.path.join(root, "lib64")) == "usr/lib64", "lib64")
        check(os.readlink(os.path.join(root, "usr/lib64/ld-linux-x86-64.so.2")) ==
              "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "the loader's link")
        check(read(os.path.join(root, "lib64/ld-linux-x86-64.so.2")) == b"ld.so\n",
              "the loader's link does not resolve inside")
        check(read(os.path.join(root, "lib/x86_64-linux-gnu/libc.so.6")) == b"libc6\n", "libc")
        # An empty loader cache: the guest must not read the host's.
        check(read(os.path.join(root, "etc/ld.so.cache")) == b"", "etc/ld.so.cache")
        shipped = sorted(os.listdir(os.path.join(root, "usr/share/lorelei-test")))
        check(shipped == [n for n in EXPECTED_CLOSURE if n != "libc6"],
              f"packages extracted: {shipped}")
        for out in EXPECTED_LEFT_OUT + ["unrelated-tool", "libc6-dbg", "libflac-old"]:
            check(out not in shipped, f"{out} was extracted")
        check(not os.path.exists(os.path.join(root, "control")), "control.tar extracted")
        # Notes on stderr: plain lines off a terminal, one per package.
        lines = re.findall(r"^\[ ?\d+/(\d+)\] (\S+) ", p.stderr, re.M)
        check(len(lines) == len(EXPECTED_CLOSURE) and lines[0][0] == str(len(EXPECTED_CLOSURE)),
              f"progress lines: {p.stderr}")
        check("\r" not in p.stderr and "\x1b" not in p.stderr, "a progress bar off a terminal")
        check_in("left out debconf:all (needed by libpulse0; only used while installing", p.stderr)
        check_in("left out dpkg:amd64", p.stderr)
        check_in("warning: libasound2 1.2.8-1 needs libasound2-data (>= 9.0), but only "
                 "libasound2-data 1.2.8-1 is available: taken anyway", p.stderr)
        # The metadata: where from, and every package with its version.
        info = s.json("sysroot", "list", "--json")[0]
        check(info["origin"] == f"debian bookworm (12.99) from {m.url}, "
                               f"{len(EXPECTED_CLOSURE)} packages", info["origin"])
        src = info["source"]
        check(src["kind"] == "debian" and src["suite"] == "bookworm" and src["mirror"] == m.url,
              src)
        check(src["signed_by"] == "Test Archive <archive@example.org>", src)
        versions = {x["name"]: x["version"] for x in src["packages"]}
        check(sorted(versions) == EXPECTED_CLOSURE, sorted(versions))
        check(versions["libc6"] == "2.36-9+deb12u4" and versions["zlib1g"] == "1:1.2.13.dfsg-1",
              versions)
        check(src["left_out"] == EXPECTED_LEFT_OUT, src["left_out"])
        # The cache holds each .deb under its SHA256; a second sysroot
        # downloads none again.
        cached = sorted(os.listdir(cache(s)))
        expected = sorted(m.stanzas[n]["SHA256"] for n in EXPECTED_CLOSURE)
        check(cached == expected, f"cache: {cached}")
        m.requests()
        p = s.ok("sysroot", "create", "again", *m.args("--package", "libextra1"))
        check(deb_requests(m.requests()) == [], "downloaded again despite the cache")
        check_in("libc6 2.36-9+deb12u4 (", p.stderr)
        check_in("): in the cache", p.stderr)
        # A package that is not in the suite, named with --package: refused.
        s.error(4, ["no amd64 package of suite bookworm is or provides libnothere",
                    "packages.debian.org/bookworm"],
                "sysroot", "create", "x", *m.args("--package", "libnothere"))
        nothing_left(s, "x")


def dry_run(s):
    with mirror(s, by_hash=True) as m:
        doc = s.json("sysroot", "create", "game", *m.args("--package", "libextra1", "--dry-run",
                                                          "--json"))
        names = [x["name"] for x in doc["packages"]]
        check(names == EXPECTED_CLOSURE, names)
        why = {x["name"]: x["why"] for x in doc["packages"]}
        check(why["libc6"] == "requested" and why["libextra1"] == "requested", why)
        check(why["libflac12"] == "needed by libsndfile1 (provides libflac-api)", why)
        check(why["libxau6"] == "needed by libxcb1", why)
        check([x["name"] for x in doc["left_out"]] == EXPECTED_LEFT_OUT, doc["left_out"])
        check(doc["missing"] == [], doc["missing"])
        total = sum(int(m.stanzas[n]["Size"]) for n in EXPECTED_CLOSURE)
        check(doc["download_bytes"] == total and doc["cached_bytes"] == 0, doc)
        check(any("libasound2-data (>= 9.0)" in w for w in doc["warnings"]), doc["warnings"])
        for x in doc["packages"]:
            check(x["sha256"] == m.stanzas[x["name"]]["SHA256"], x)
        requests = m.requests()
        check(deb_requests(requests) == [], f"--dry-run downloaded packages: {requests}")
        # Acquire-By-Hash: the index is fetched by its hash.
        check(any("/by-hash/SHA256/" in r for r in requests), requests)
        p = s.ok("sysroot", "create", "game", *m.args("--dry-run"))
        check_in(f"{len(EXPECTED_CLOSURE) - 2} packages, ", p.stdout)
        check(re.search(r"^  libc6 +2\.36-9\+deb12u4 +amd64 .* requested$", p.stdout, re.M),
              p.stdout)
        check_in("left out: debconf 1.5.82 (needed by libpulse0; only used while installing "
                 "packages)", p.stdout)
        check_in("--dry-run: nothing was downloaded or created", p.stdout)
        # The same mirror as a folder (file://): the same closure.
        doc2 = s.json("sysroot", "create", "game", "--from-debian", "bookworm", "--mirror",
                      "file://" + m.root, "--keyring", m.keyring, "--package", "libextra1",
                      "--dry-run", "--json")
        check([x["name"] for x in doc2["packages"]] == EXPECTED_CLOSURE, doc2["packages"])
        check(doc2["source"]["mirror"] == "file://" + m.root + "/", doc2["source"])
        check(not os.path.exists(sysroots(s)) or os.listdir(sysroots(s)) == [],
              "--dry-run created something")


def refused_signatures(s):
    with mirror(s) as m:
        inrelease = m.path("dists/bookworm/InRelease")
        good = read(inrelease)
        # Tampered: one listed size changed after signing.
        text = good.decode()
        sizes = re.findall(r"^ [0-9a-f]{64} +(\d+) main/binary-amd64/Packages.xz$", text, re.M)
        bad = text.replace(f" {sizes[0]} main/binary-amd64/Packages.xz",
                           f" {int(sizes[0]) + 1} main/binary-amd64/Packages.xz")
        with open(inrelease, "w") as f:
            f.write(bad)
        s.error(5, ["dists/bookworm/InRelease (" + m.url + "dists/bookworm/InRelease): BAD "
                    "signature", "changed after it was signed", "use another mirror"],
                "sysroot", "create", "x", *m.args())
        nothing_left(s, "x")
        # Signed, but by a key the keyring does not hold.
        other = Mirror.__new__(Mirror)
        other.s, other.gnupg = s, s.path("gnupg-other")
        os.makedirs(other.gnupg, mode=0o700)
        other.gpg("--quick-gen-key", "Someone Else <else@example.org>", "ed25519", "sign",
                  "never")
        other_keyring = s.path("other.gpg")
        with open(other_keyring, "wb") as f:
            f.write(other.gpg("--export", capture=True))
        with open(inrelease, "wb") as f:
            f.write(good)
        s.error(5, ["dists/bookworm/InRelease", "which is not in the keyring " + other_keyring,
                    "--keyring FILE"],
                "sysroot", "create", "x", "--from-debian", "bookworm", "--mirror", m.url,
                "--keyring", other_keyring)
        subprocess.run(["gpgconf", "--homedir", other.gnupg, "--kill", "all"],
                       capture_output=True)
        # Not signed at all.
        shutil.copy(m.path("dists/bookworm/Release"), inrelease)
        s.error(5, ["dists/bookworm/InRelease", "carries no valid signature"],
                "sysroot", "create", "x", *m.args())
        # No InRelease: a wrong suite name or not a Debian mirror.
        os.remove(inrelease)
        s.error(5, ["dists/bookworm/InRelease", "answered HTTP 404", "check the suite"],
                "sysroot", "create", "x", *m.args())
        # A missing keyring file.
        with open(inrelease, "wb") as f:
            f.write(good)
        s.error(4, ["keyring " + s.path("nowhere.gpg") + " not found"],
                "sysroot", "create", "x", "--from-debian", "bookworm", "--mirror", m.url,
                "--keyring", s.path("nowhere.gpg"))
        # No gpgv: nothing can be trusted.
        s.error(4, ["gpgv not found", "sudo apt-get install gpgv"],
                "sysroot", "create", "x", *m.args(), env={"PATH": s.path("no-bin")})
        nothing_left(s, "x")


def refused_releases(s):
    # Another suite's Release served under this suite's name (a replay).
    with mirror(s, suite_field="oldstable", codename="buster") as m:
        s.error(5, ["describes suite 'oldstable' (codename 'buster'), not 'bookworm'"],
                "sysroot", "create", "x", *m.args())
    shutil.rmtree(s.path("mirror"))
    shutil.rmtree(s.path("gnupg"))
    # Expired.
    with mirror(s, valid_until="Sun, 01 Jan 2023 00:00:00 UTC") as m:
        s.error(5, ["expired on 2023-01-01 00:00 UTC (its Valid-Until)"],
                "sysroot", "create", "x", *m.args())
        nothing_left(s, "x")


def tampered_packages_index(s):
    with mirror(s) as m:
        path = m.path("dists/bookworm/main/binary-amd64/Packages.xz")
        data = bytearray(read(path))
        data[len(data) // 2] ^= 0xFF
        with open(path, "wb") as f:
            f.write(data)
        s.error(5, ["dists/bookworm/main/binary-amd64/Packages.xz (" + m.url,
                    "does not match the SHA256 in the signed Release",
                    "the bad copy was deleted from the cache", "use another mirror"],
                "sysroot", "create", "x", *m.args())
        nothing_left(s, "x")
        check(os.listdir(cache(s, "indexes")) == [], os.listdir(cache(s, "indexes")))


def tampered_deb(s):
    with mirror(s) as m:
        # Same size, other bytes.
        path = m.debs["libxss1"]
        data = bytearray(read(path))
        data[-10] ^= 0xFF
        with open(path, "wb") as f:
            f.write(data)
        p = s.error(5, ["package libxss1 1:1.2.3-1 (" + m.url + m.stanzas["libxss1"]["Filename"] +
                        ") does not match the SHA256 in Packages",
                        "the bad copy was deleted from the cache",
                        "no sysroot was created", "run the command again"],
                    "sysroot", "create", "x", *m.args())
        nothing_left(s, "x")
        sha = m.stanzas["libxss1"]["SHA256"]
        check(not glob.glob(os.path.join(cache(s), sha + "*")), "the bad copy is still cached")
        # The packages before it stay cached for the next run.
        check(len(os.listdir(cache(s))) > 10, os.listdir(cache(s)))
        # Longer than Packages says.
        with open(path, "ab") as f:
            f.write(b"more")
        s.error(5, ["package libxss1 1:1.2.3-1", "is larger than"],
                "sysroot", "create", "x", *m.args())
        check(not glob.glob(os.path.join(cache(s), sha + "*")), "the long copy is still cached")
        nothing_left(s, "x")


def non_amd64_deb(s):
    with mirror(s) as m:
        # Packages says amd64, the package itself says arm64.
        m.add("libxi6", {"Version": "2:1.8-1"}, control_arch="arm64")
        m.publish()
        s.error(3, [m.stanzas["libxi6"]["Filename"],
                    "is a package for arm64 (its control file says Architecture: arm64), but "
                    "an x86_64 sysroot takes only amd64 and 'all' packages",
                    "apt-get download libxi6:amd64"],
                "sysroot", "create", "x", *m.args())
        nothing_left(s, "x")
    # The same check guards --from-debs.
    debs = s.path("debs")
    os.makedirs(debs)
    shutil.copy(m.debs["libxi6"], debs)
    s.error(3, ["is a package for arm64"], "sysroot", "create", "y", "--from-debs", debs)
    nothing_left(s, "y")


def wait_for(cond, what, seconds=30):
    deadline = time.monotonic() + seconds
    while not cond():
        check(time.monotonic() < deadline, f"timed out waiting for {what}")
        time.sleep(0.05)


def partial_of(s, m, name):
    return os.path.join(cache(s), m.stanzas[name]["SHA256"] + ".partial")


def interrupted_download(s):
    with mirror(s, big="libxrandr2") as m:
        part = partial_of(s, m, "libxrandr2")
        m.set_rules({m.url_path("libxrandr2"): {"mode": "stall"}})
        for sig in (signal.SIGINT, signal.SIGTERM):
            before = os.path.getsize(part) if os.path.exists(part) else 0
            proc = subprocess.Popen([s.cli, "sysroot", "create", "x", *m.args()], env=s.env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for(lambda: os.path.exists(part) and os.path.getsize(part) > before,
                     "the download to start")
            time.sleep(0.2)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=30)
            check(proc.returncode == 130, f"exit status {proc.returncode}: {err}")
            check_in("error: interrupted: nothing was created", err)
            check_in("the partial sysroot was removed", err)
            check_in("what was downloaded stays in " + cache(s), err)
            nothing_left(s, "x")
        # A network error: the server dies in the middle of the package.
        have = os.path.getsize(part)
        m.set_rules({m.url_path("libxrandr2"): {"mode": "die"}})
        s.error(5, ["package libxrandr2 2:1.5.2-2", "no sysroot was created",
                    "running the command again resumes"],
                "sysroot", "create", "x", *m.args(), "--timeout", "5")
        nothing_left(s, "x")
        check(os.path.getsize(part) >= have, "the partial download was lost")
        m.stop()
        m.serve()
        # The next run resumes where the last one stopped.
        have = os.path.getsize(part)
        p = s.ok("sysroot", "create", "x", *m.args())
        check(any(l.startswith("GET " + m.url_path("libxrandr2") + f" Range: bytes={have}-")
                  for l in m.requests()), "no Range request")
        check_in("libxrandr2 2:1.5.2-2 (3.0 MiB): resumed", p.stderr)
        check(read(os.path.join(sysroots(s), "x/usr/share/lorelei-test/libxrandr2.bin")) ==
              read_payload(m, "libxrandr2"), "the resumed package's content")
        check(not os.path.exists(part), "the partial file stayed")


def read_payload(m, name):
    p = subprocess.run(["dpkg-deb", "--fsys-tarfile", m.debs[name]], capture_output=True,
                       check=True)
    import io
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(p.stdout)) as t:
        return t.extractfile(f"./usr/share/lorelei-test/{name}.bin").read()


def resume_partial(s):
    with mirror(s, big="libxrandr2") as m:
        os.makedirs(cache(s))
        deb = read(m.debs["libxrandr2"])
        part = partial_of(s, m, "libxrandr2")
        half = len(deb) // 2
        with open(part, "wb") as f:
            f.write(deb[:half])
        p = s.ok("sysroot", "create", "a", *m.args())
        reqs = [l for l in m.requests() if m.url_path("libxrandr2") in l]
        check(reqs == [f"GET {m.url_path('libxrandr2')} Range: bytes={half}-"], reqs)
        check_in("libxrandr2 2:1.5.2-2 (3.0 MiB): resumed", p.stderr)
        final = os.path.join(cache(s), m.stanzas["libxrandr2"]["SHA256"])
        check(read(final) == deb, "the completed file differs")
        # A server without Range support: the download starts over.
        os.rename(final, part)
        os.truncate(part, half)
        m.set_rules({m.url_path("libxrandr2"): {"mode": "norange"}})
        p = s.ok("sysroot", "create", "b", *m.args())
        reqs = [l for l in m.requests() if m.url_path("libxrandr2") in l]
        check(len(reqs) == 2 and "Range" in reqs[0] and "Range" not in reqs[1], reqs)
        check(read(final) == deb, "the file after a restart differs")
        # A partial file with a damaged beginning: resumed, found wrong,
        # downloaded again whole.
        os.rename(final, part)
        with open(part, "r+b") as f:
            f.write(b"garbage")
        os.truncate(part, half)
        m.set_rules({})
        p = s.ok("sysroot", "create", "c", *m.args())
        reqs = [l for l in m.requests() if m.url_path("libxrandr2") in l]
        check(len(reqs) == 2 and "Range" in reqs[0] and "Range" not in reqs[1], reqs)
        check_in("libxrandr2 2:1.5.2-2 (3.0 MiB): downloaded", p.stderr)
        check(read(final) == deb, "the file after a damaged resume differs")


def progress_on_a_terminal(s):
    with mirror(s) as m:
        cmd = " ".join([s.cli, "sysroot", "create", "shown", *m.args()])
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=s.env, capture_output=True,
                           text=True, timeout=120)
        check(p.returncode == 0, p.stdout)
        check_in("\x1b[Kdownloading [", p.stdout, "terminal output")
        check(re.search(rf" \d+/{len(EXPECTED_CLOSURE) - 2} [a-z0-9]", p.stdout),
              f"no package count: {p.stdout!r}")
        check_in("\x1b[Kextracting [", p.stdout, "terminal output")
        check(not re.search(r"^\[ ?\d+/", p.stdout, re.M), "plain lines on a terminal")
        check_in("created sysroot 'shown'", p.stdout)


def option_errors(s):
    for args, needle in [
        (["--mirror", "http://x/"], "--mirror goes with --from-debian or --from-multiarch"),
        (["--from-host", "--package", "zlib1g"], "--package goes with --from-debian"),
        (["--from-debian", "bookworm", "--json"], "--json goes with --dry-run"),
        (["--from-multiarch", "--mirror", "http://x/"], "--mirror goes with --from-debian only"),
        (["--from-debian", "bookworm", "--from-multiarch"], "give exactly one of --from-debian"),
        (["--from-debian", "bookworm", "--from-host"], "give exactly one of --from-debian"),
        (["--from-debian", "../etc"], "--from-debian '../etc': not a suite name"),
        (["--from-debian", "bookworm", "--package", "Bad_Name"],
         "--package 'Bad_Name': not a Debian package name"),
        (["--from-debian", "bookworm", "--timeout", "0"], "--timeout must be from 1 to 3600"),
        (["--from-debian", "bookworm", "--mirror", "ftp://mirror/debian"],
         "--mirror ftp://mirror/debian: not an http://, https:// or file:// URL"),
        (["--from-debian", "bookworm", "--mirror", "https://user:pw@mirror/debian"],
         "no user name, password"),
    ]:
        s.error(2, [needle], "sysroot", "create", "x", *args)
    nothing_left(s, "x")
    # A file:// mirror that is not one.
    s.error(5, ["dists/bookworm/InRelease", "check the suite"],
            "sysroot", "create", "x", "--from-debian", "bookworm", "--mirror",
            "file://" + s.path("empty"))
    p = s.ok("sysroot", "create", "--help")
    for needle in ["--from-debian=SUITE", "--from-multiarch", "--package=NAME", "--mirror=URL",
                   "--keyring=FILE", "--dry-run", "sysroot create default --from-debian bookworm",
                   "sysroot create default --from-multiarch", "libvorbisfile3"]:
        check_in(needle, p.stdout, "--help")


# ---- the real mirror ----------------------------------------------------------


def real_mirror_dry_run(s):
    """The closure of the default set on the mirror of this machine's apt
    sources: no download but the index."""
    if not os.path.exists("/usr/share/keyrings/debian-archive-keyring.gpg"):
        raise Skip("no /usr/share/keyrings/debian-archive-keyring.gpg: not a Debian machine "
                   "(scripts/deps.txt installs debian-archive-keyring on one)")
    p = s.run("sysroot", "create", "real", "--from-debian", "bookworm", "--dry-run", "--json",
              "--timeout", "20", timeout=300)
    if p.returncode == 5 and re.search(r"Could not resolve|Failed to connect|timed out|"
                                       r"Connection refused|Network is unreachable", p.stderr):
        raise Skip("the mirror cannot be reached: " + p.stderr.strip().splitlines()[0])
    if p.returncode == 2 and "none in this machine's apt sources" in p.stderr:
        raise Skip("this machine's apt sources name no Debian mirror")
    check(p.returncode == 0, f"exit status {p.returncode}: {p.stderr}")
    doc = json.loads(p.stdout)
    names = [x["name"] for x in doc["packages"]]
    for want in DEFAULT_SET + ["libxcb1", "libxau6", "gcc-12-base", "libx11-data"]:
        check(want in names, f"{want} is not in the closure: {names}")
    for unwanted in ["debconf", "dpkg", "lsb-base", "bash", "coreutils", "perl-base"]:
        check(unwanted not in names, f"{unwanted} is in the closure")
    check(doc["source"]["codename"] == "bookworm", doc["source"])
    check(doc["source"]["signed_by"].startswith("Debian"), doc["source"])
    check(doc["missing"] == [] and doc["warnings"] == [], doc)
    for x in doc["packages"]:
        check(x["architecture"] in ("amd64", "all") and x["filename"].startswith("pool/main/") and
              len(x["sha256"]) == 64 and x["size"] > 0, x)
    check(30 <= len(names) <= 120, f"{len(names)} packages")
    check(doc["download_bytes"] > 5_000_000, doc["download_bytes"])
    print(f"bookworm: {len(names)} packages, {doc['download_bytes']} bytes to download")


# ---- --from-multiarch -----------------------------------------------------------


def from_multiarch_here(s):
    """On this machine's own dpkg database. On an x86_64 Debian the amd64
    packages are native, which is the multiarch case seen from the sysroot."""
    if not os.path.exists("/var/lib/dpkg/status"):
        raise Skip("no dpkg database on this machine")
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                          text=True).stdout.strip()
    foreign = subprocess.run(["dpkg", "--print-foreign-architectures"], capture_output=True,
                             text=True).stdout.split()
    if arch != "amd64" and "amd64" not in foreign:
        s.error(4, ["not installed as amd64 packages", "sudo dpkg --add-architecture amd64"],
                "sysroot", "create", "m", "--from-multiarch")
        raise Skip(f"this {arch} machine has no amd64 multiarch (the error was checked)")
    p = s.ok("sysroot", "create", "m", "--from-multiarch")
    root = os.path.join(sysroots(s), "m")
    src = s.json("sysroot", "list", "--json")[0]["source"]
    check(src["kind"] == "multiarch" and src["admindir"] == "/var/lib/dpkg", src)
    installed = {x["name"] for x in src["packages"]}
    for name in DEFAULT_SET:
        if name not in installed:
            check_in(name, src["not_installed"], "not_installed")
            check_in(f"{name}:amd64", p.stderr, "the apt-get command")
    if src["not_installed"]:
        check_in("install them with: sudo apt-get install", p.stderr)
    check("libc6" in installed and "libx11-6" in installed, installed)
    for out in ("debconf", "dpkg", "bash"):
        check(out not in installed, f"{out} copied")
    check(os.readlink(os.path.join(root, "lib")) == "usr/lib", "merged /usr")
    # A dynamically linked x86_64 program runs on the sysroot's libraries.
    run = subprocess.run([s.opts.qemu, "-L", root, s.opts.probe, "libz.so.1", "libX11.so.6"],
                         capture_output=True, text=True, timeout=60, env=s.env)
    check(run.returncode == 0, f"the probe failed under qemu: {run.stdout}{run.stderr}")
    check_in("dlopen libz.so.1 ok", run.stdout)
    check_in("dlopen libX11.so.6 ok", run.stdout)
    mapped = re.findall(r"^mapped (\S+)$", run.stdout, re.M)
    real_root = os.path.realpath(root)
    for prefix in ("libc.so", "libz.so", "libX11.so", "ld-linux-x86-64.so"):
        hits = [x for x in mapped if os.path.basename(x).startswith(prefix)]
        check(hits and all(h.startswith(real_root + "/") for h in hits),
              f"{prefix} did not come from the sysroot: {mapped}")


def fake_dpkg(s):
    """A dpkg database of an arm64 machine with a few amd64 packages, whose
    files live in the sandbox."""
    admin = s.path("dpkg")
    host = s.path("host")
    os.makedirs(os.path.join(admin, "info"))
    files = {
        "libc6": ["/lib", f"{host}/lib/x86_64-linux-gnu",
                  f"{host}/lib/x86_64-linux-gnu/libc.so.6"],
        "libfoo1": [f"{host}/usr/lib/x86_64-linux-gnu/libfoo.so.1",
                    f"{host}/usr/lib/x86_64-linux-gnu/libfoo.so"],
        "zlib1g": [f"{host}/usr/lib/x86_64-linux-gnu/libz.so.1"],
    }
    for name, paths in files.items():
        for p in paths:
            if p.startswith(host) and not p.endswith(("gnu",)):
                os.makedirs(os.path.dirname(p), exist_ok=True)
                if p.endswith("libfoo.so"):
                    os.symlink("libfoo.so.1", p)
                else:
                    with open(p, "w") as f:
                        f.write(f"{name}\n")
        with open(os.path.join(admin, "info", f"{name}:amd64.list"), "w") as f:
            f.write("/.\n" + "\n".join(paths) + "\n")
    # zlib1g's library was moved aside by a diversion of another package.
    diverted = f"{host}/usr/lib/x86_64-linux-gnu/libz.so.1.distrib"
    os.rename(f"{host}/usr/lib/x86_64-linux-gnu/libz.so.1", diverted)
    with open(f"{host}/usr/lib/x86_64-linux-gnu/libz.so.1", "w") as f:
        f.write("the diverting package's file\n")
    with open(os.path.join(admin, "diversions"), "w") as f:
        f.write(f"{host}/usr/lib/x86_64-linux-gnu/libz.so.1\n{diverted}\nzlib-wrapper\n")
    stanzas = [
        ("libc6", "amd64", "2.36-9", "same", "", ""),
        ("libc6", "arm64", "2.36-9", "same", "", ""),
        ("zlib1g", "amd64", "1:1.2.13.dfsg-1", "same", "libc6 (>= 2.14)", ""),
        ("libfoo1", "amd64", "1.0-1", "same", "libc6, host-tool, zlib1g (>= 1:1.2)", ""),
        ("host-tool", "arm64", "2.0-1", "foreign", "", ""),
        ("dpkg", "arm64", "1.21.22", "foreign", "", "yes"),
        ("libold1", "amd64", "1.0-1", "same", "", ""),
    ]
    with open(os.path.join(admin, "status"), "w") as f:
        for name, arch, version, ma, depends, essential in stanzas:
            status = "deinstall ok config-files" if name == "libold1" else "install ok installed"
            f.write(f"Package: {name}\nStatus: {status}\nArchitecture: {arch}\n"
                    f"Multi-Arch: {ma}\nVersion: {version}\n")
            if depends:
                f.write(f"Depends: {depends}\n")
            if essential:
                f.write("Essential: yes\n")
            f.write("Description: test\n\n")
    return {"DPKG_ADMINDIR": admin, "LORELEI_HOST_ARCH": "aarch64"}, host


def from_multiarch_fake_db(s):
    env, host = fake_dpkg(s)
    # amd64 is not a dpkg architecture yet: say how to add it.
    s.error(4, ["not installed as amd64 packages on this arm64 system: libstdc++6",
                "dpkg does not know the amd64 architecture yet",
                "fix: install them: sudo dpkg --add-architecture amd64 && sudo apt-get update "
                "&& sudo apt-get install libstdc++6:amd64"],
            "sysroot", "create", "m", "--from-multiarch", env=env)
    nothing_left(s, "m")
    with open(os.path.join(env["DPKG_ADMINDIR"], "arch"), "w") as f:
        f.write("arm64\namd64\n")
    # A --package that is not installed is an error, with the command.
    s.error(4, ["not installed as amd64 packages on this arm64 system: ", "libnothere",
                "fix: install them: sudo apt-get install ", "libnothere:amd64"],
            "sysroot", "create", "m", "--from-multiarch", "--package", "libnothere", env=env)
    check_not_in("add-architecture", s.run("sysroot", "create", "m", "--from-multiarch",
                                           "--package", "libnothere", env=env).stderr)
    # Default packages that are not installed are left out with a warning.
    p = s.ok("sysroot", "create", "m", "--from-multiarch", "--package", "libfoo1", env=env)
    check_in("warning: not installed as amd64 packages, so left out: libstdc++6, libgcc-s1",
             p.stderr)
    check_in("install them with: sudo apt-get install libstdc++6:amd64 libgcc-s1:amd64", p.stderr)
    check_in("left out host-tool:arm64 (needed by libfoo1; a tool of this system "
             "(Multi-Arch: foreign))", p.stderr)
    root = os.path.join(sysroots(s), "m")
    inside = os.path.join(root, host.lstrip("/"))
    check(read(os.path.join(inside, "lib/x86_64-linux-gnu/libc.so.6")) == b"libc6\n", "libc6")
    check(os.readlink(os.path.join(inside, "usr/lib/x86_64-linux-gnu/libfoo.so")) == "libfoo.so.1",
          "a symbolic link")
    # The content zlib1g installed, from where the diversion put it.
    check(read(os.path.join(inside, "usr/lib/x86_64-linux-gnu/libz.so.1")) == b"zlib1g\n",
          "the diverted file")
    # /lib is listed by libc6: a folder in the sysroot, under usr/.
    check(os.path.isdir(os.path.join(root, "usr/lib")) and
          os.readlink(os.path.join(root, "lib")) == "usr/lib", "merged /usr")
    src = s.json("sysroot", "list", "--json", env=env)[0]["source"]
    check([x["name"] for x in src["packages"]] == ["libc6", "libfoo1", "zlib1g"], src)
    check(src["host_architecture"] == "arm64", src)
    check("libold1" not in json.dumps(src), "a removed package was taken")
    # --dry-run lists and creates nothing.
    p = s.ok("sysroot", "create", "n", "--from-multiarch", "--package", "libfoo1", "--dry-run",
             env=env)
    check(re.search(r"^  libfoo1 +1\.0-1 +amd64 +requested$", p.stdout, re.M), p.stdout)
    nothing_left(s, "n")
    # A machine without dpkg.
    s.error(8, ["status does not exist: --from-multiarch needs a Debian-based system",
                "use --from-debian SUITE"],
            "sysroot", "create", "n", "--from-multiarch", env={"DPKG_ADMINDIR": s.path("none")})


CASES = {f.__name__: f for f in [
    create_from_mirror, dry_run, refused_signatures, refused_releases, tampered_packages_index,
    tampered_deb, non_amd64_deb, interrupted_download, resume_partial, progress_on_a_terminal,
    option_errors, real_mirror_dry_run, from_multiarch_here, from_multiarch_fake_db]}

if __name__ == "__main__":
    run_main(CASES, ["qemu", "probe"])
