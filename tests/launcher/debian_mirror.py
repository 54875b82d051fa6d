"""A tiny Debian archive for the --from-debian tests, made at test time:
.debs built with dpkg-deb, a Packages index, a Release listing its size
and SHA256, signed into InRelease with a key gpg makes in a private
GNUPGHOME, and that key exported as the keyring the launcher is given
with --keyring. Served by http_server.py on 127.0.0.1.

The packages mirror the shape of the real closure: the default set of
lo_game_packages with dependencies through alternatives, Provides
(versioned and not), a version constraint the archive cannot meet,
install-only packages (debconf, Essential dpkg, lsb-base) reached through
Pre-Depends and Depends, and packages nothing asks for.
"""
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT_SET = ["libc6", "libstdc++6", "libgcc-s1", "libx11-6", "libxext6", "libxcursor1",
               "libxi6", "libxrandr2", "libxss1", "libxkbcommon0", "libasound2", "libpulse0",
               "libudev1", "libdbus-1-3", "libopenal1", "libvorbisfile3", "libpng16-16",
               "zlib1g", "libfreetype6", "libsdl1.2-compat"]

# name: fields of its stanza (and the control file), files it ships.
PACKAGES = {
    "libc6": {"Version": "2.36-9+deb12u4", "Depends": "libgcc-s1",
              "files": {"lib/x86_64-linux-gnu/libc.so.6": "libc6\n",
                        "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": "ld.so\n",
                        "lib64/ld-linux-x86-64.so.2":
                            "->/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}},
    "libgcc-s1": {"Version": "12.2.0-14", "Depends": "gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)"},
    "gcc-12-base": {"Version": "12.2.0-14"},
    "libstdc++6": {"Version": "12.2.0-14",
                   "Depends": "gcc-12-base (= 12.2.0-14), libc6 (>= 2.36), libgcc-s1 (>= 4.2)"},
    "libx11-6": {"Version": "2:1.8.4-2", "Depends": "libx11-data, libxcb1 (>= 1.11.1), libc6"},
    "libx11-data": {"Version": "2:1.8.4-2", "Architecture": "all", "Multi-Arch": "foreign"},
    "libxcb1": {"Version": "1.15-1", "Depends": "libxau-nonexistent | libxau6, libc6 (>= 2.14)"},
    "libxau6": {"Version": "1:1.0.9-1"},
    "libxext6": {"Version": "2:1.3.4-1", "Depends": "libx11-6 (>= 2:1.6.0)"},
    "libxcursor1": {"Version": "1:1.2.1-1", "Depends": "libxfixes3 (>= 1:6.0.0), libxrender1"},
    "libxfixes3": {"Version": "1:6.0.0-2"},
    "libxrender1": {"Version": "1:0.9.10-1.1"},
    "libxi6": {"Version": "2:1.8-1"},
    "libxrandr2": {"Version": "2:1.5.2-2"},
    "libxss1": {"Version": "1:1.2.3-1", "Depends": "x11-common, libc6"},
    "x11-common": {"Version": "1:7.7+23", "Architecture": "all", "Multi-Arch": "foreign",
                   "Depends": "lsb-base (>= 1.3-9ubuntu2)"},
    "lsb-base": {"Version": "11.6", "Architecture": "all", "Multi-Arch": "foreign"},
    "libxkbcommon0": {"Version": "1.5.0-1", "Depends": "xkb-data"},
    "xkb-data": {"Version": "2.35.1-1", "Architecture": "all", "Multi-Arch": "foreign"},
    "libasound2": {"Version": "1.2.8-1", "Depends": "libasound2-data (>= 9.0)"},
    "libasound2-data": {"Version": "1.2.8-1", "Architecture": "all", "Multi-Arch": "foreign"},
    "libpulse0": {"Version": "16.1-2", "Pre-Depends": "debconf (>= 0.5) | debconf-2.0",
                  "Depends": "libsndfile1 (>= 1.0.20), dpkg (>= 1.15.6), libc6"},
    "debconf": {"Version": "1.5.82", "Architecture": "all", "Multi-Arch": "foreign",
                "Provides": "debconf-2.0"},
    "dpkg": {"Version": "1.21.22", "Essential": "yes", "Multi-Arch": "foreign"},
    "libsndfile1": {"Version": "1.2.0-1", "Depends": "libflac-api (>= 1.0), libvorbis0a"},
    "libflac12": {"Version": "1.4.2-2", "Provides": "libflac-api (= 1.4)"},
    "libflac-old": {"Version": "1.3.0-1", "Provides": "libflac-api"},
    "libudev1": {"Version": "252.12-1", "Depends": "libc6 (>= 2.34)"},
    "libdbus-1-3": {"Version": "1.14.8-2", "Depends": "libc6 (>= 2.34), libsystemd0"},
    "libsystemd0": {"Version": "252.12-1"},
    "libopenal1": {"Version": "1:1.19.1-2", "Depends": "libopenal-data (= 1:1.19.1-2), libsndio7.0"},
    "libopenal-data": {"Version": "1:1.19.1-2", "Architecture": "all", "Multi-Arch": "foreign"},
    "libsndio7.0": {"Version": "1.9.0-0.3"},
    "libvorbisfile3": {"Version": "1.3.7-1", "Depends": "libvorbis0a (>= 1.3.0), libogg0"},
    "libvorbis0a": {"Version": "1.3.7-1", "Depends": "libogg0"},
    "libogg0": {"Version": "1.3.5-3"},
    "libpng16-16": {"Version": "1.6.39-2", "Depends": "zlib1g (>= 1:1.2.11)"},
    "zlib1g": {"Version": "1:1.2.13.dfsg-1", "Pre-Depends": "libc6 (>= 2.14)"},
    "libfreetype6": {"Version": "2.12.1+dfsg-5", "Depends": "libbrotli1, libpng16-16, zlib1g"},
    "libbrotli1": {"Version": "1.0.9-2"},
    "libsdl1.2-compat": {"Version": "1.2.60-1", "Depends": "libsdl2-2.0-0, libc6 (>= 2.34)"},
    "libsdl2-2.0-0": {"Version": "2.26.5+dfsg-1", "Depends": "libc6 (>= 2.34), libx11-6"},
    # Asked for with --package in the tests; it pulls in an arch-all package.
    "libextra1": {"Version": "0.1-1", "Depends": "libextra-data"},
    "libextra-data": {"Version": "0.1-1", "Architecture": "all", "Multi-Arch": "foreign"},
    # Nothing asks for these.
    "unrelated-tool": {"Version": "3.0-1", "Multi-Arch": "foreign"},
    "libc6-dbg": {"Version": "2.36-9+deb12u4", "Depends": "libc6 (= 2.36-9+deb12u4)"},
}

# What the default set plus libextra1 resolves to, and what stays out.
EXPECTED_CLOSURE = sorted(set(PACKAGES) - {"lsb-base", "debconf", "dpkg", "libflac-old",
                                            "unrelated-tool", "libc6-dbg", "libxau-nonexistent"})
EXPECTED_LEFT_OUT = ["debconf", "dpkg", "lsb-base"]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Mirror:
    """The archive under s.path('mirror'), its key and its server."""

    def __init__(self, s, suite="bookworm"):
        self.s = s
        self.suite = suite
        self.root = s.path("mirror")
        self.gnupg = s.path("gnupg")
        os.makedirs(self.gnupg, mode=0o700)
        self.keyring = s.path("archive-keyring.gpg")
        self.gpg("--quick-gen-key", "Test Archive <archive@example.org>", "ed25519", "sign",
                 "never")
        with open(self.keyring, "wb") as f:
            f.write(self.gpg("--export", capture=True))
        self.stanzas = {}
        self.debs = {}
        self.big = None
        self.proc = None

    def gpg(self, *args, capture=False):
        p = subprocess.run(["gpg", "--homedir", self.gnupg, "--batch", "--yes",
                            "--pinentry-mode", "loopback", "--passphrase", "", *args],
                           capture_output=True, check=True)
        return p.stdout if capture else None

    def add(self, name, fields, files=None, control_arch=None, payload=None):
        """Builds NAME's .deb with dpkg-deb; control_arch overrides the
        Architecture inside the .deb (Packages keeps the stanza's)."""
        arch = fields.get("Architecture", "amd64")
        version = fields["Version"]
        tree = self.s.path("debroot", name)
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(os.path.join(tree, "DEBIAN"))
        control = {"Package": name, "Version": version, "Architecture": control_arch or arch,
                   "Maintainer": "Test <t@example.org>"}
        for k in ("Multi-Arch", "Depends", "Pre-Depends", "Provides", "Essential"):
            if k in fields:
                control[k] = fields[k]
        control["Description"] = f"test package {name}\n and its long description\n ."
        with open(os.path.join(tree, "DEBIAN", "control"), "w") as f:
            f.write("".join(f"{k}: {v}\n" for k, v in control.items()))
        files = dict(files or {f"usr/share/lorelei-test/{name}": f"{name} {version}\n"})
        for rel, content in files.items():
            p = os.path.join(tree, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if isinstance(content, str) and content.startswith("->"):
                os.symlink(content[2:], p)
            else:
                with open(p, "wb") as f:
                    f.write(content.encode() if isinstance(content, str) else content)
        if payload is not None:
            with open(os.path.join(tree, "usr/share/lorelei-test", name + ".bin"), "wb") as f:
                f.write(payload)
        plain_version = version.split(":", 1)[-1]
        rel = f"pool/main/{name[0]}/{name}/{name}_{plain_version}_{arch}.deb"
        out = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", tree, out],
                       check=True, capture_output=True)
        with open(out, "rb") as f:
            data = f.read()
        stanza = {"Package": name, "Version": version, "Architecture": arch}
        for k in ("Multi-Arch", "Depends", "Pre-Depends", "Provides", "Essential"):
            if k in fields:
                stanza[k] = fields[k]
        stanza.update({"Filename": rel, "Size": str(len(data)), "SHA256": sha256(data),
                       "Description": f"test package {name}"})
        self.stanzas[name] = stanza
        self.debs[name] = out

    def add_all(self, big=None):
        """The whole fake suite; big names a package made 3 MiB large (for
        interruption and resume)."""
        self.big = big
        for name, fields in PACKAGES.items():
            payload = os.urandom(3 << 20) if name == big else None
            self.add(name, fields, fields.get("files"), payload=payload)

    def publish(self, suite_field=None, codename=None, valid_until=None, by_hash=False):
        """Writes Packages.xz, Release and InRelease."""
        dist = os.path.join(self.root, "dists", self.suite)
        bin_dir = os.path.join(dist, "main", "binary-amd64")
        os.makedirs(bin_dir, exist_ok=True)
        text = "\n".join("".join(f"{k}: {v}\n" for k, v in st.items())
                         for st in self.stanzas.values()).encode()
        packages_xz = lzma.compress(text)
        with open(os.path.join(bin_dir, "Packages.xz"), "wb") as f:
            f.write(packages_xz)
        if by_hash:
            hashed = os.path.join(bin_dir, "by-hash", "SHA256")
            os.makedirs(hashed, exist_ok=True)
            with open(os.path.join(hashed, sha256(packages_xz)), "wb") as f:
                f.write(packages_xz)
        release = [f"Origin: Test", f"Label: Test", f"Suite: {suite_field or 'stable'}",
                   f"Version: 12.99", f"Codename: {codename or self.suite}",
                   "Date: Sat, 10 May 2025 09:11:12 UTC"]
        if valid_until:
            release.append(f"Valid-Until: {valid_until}")
        if by_hash:
            release.append("Acquire-By-Hash: yes")
        release += ["Architectures: amd64 arm64", "Components: main contrib",
                    "Description: a test archive", "SHA256:",
                    f" {sha256(text)} {len(text)} main/binary-amd64/Packages",
                    f" {sha256(packages_xz)} {len(packages_xz)} main/binary-amd64/Packages.xz"]
        release_path = os.path.join(dist, "Release")
        with open(release_path, "w") as f:
            f.write("\n".join(release) + "\n")
        self.gpg("--clearsign", "-o", os.path.join(dist, "InRelease"), release_path)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def serve(self):
        self.rules = self.s.path("rules.json")
        self.log = self.s.path("requests.log")
        self.set_rules({})
        open(self.log, "w").close()
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "http_server.py"),
                                      self.root, self.rules, self.log], stdout=subprocess.PIPE,
                                     text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/"
        return self.url

    def set_rules(self, rules):
        with open(self.rules, "w") as f:
            json.dump(rules, f)

    def requests(self):
        with open(self.log) as f:
            lines = f.read().splitlines()
        open(self.log, "w").close()
        return lines

    def url_path(self, name):
        return "/" + self.stanzas[name]["Filename"]

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None
        subprocess.run(["gpgconf", "--homedir", self.gnupg, "--kill", "all"],
                       capture_output=True)

    def args(self, *extra):
        """sysroot create's arguments for this mirror."""
        return ["--from-debian", self.suite, "--mirror", self.url, "--keyring", self.keyring,
                *extra]
