#!/usr/bin/env python3
"""Every program the project's scripts, tests, benchmarks and build files run
must come from a package the project installs itself: one listed in
scripts/deps*.txt, a package those depend on (Depends/Pre-Depends: what apt
installs with --no-install-recommends), or one Debian marks Essential or
Priority required (on every Debian system). A program that is only on this
machine because someone installed it by hand passes every other test here and
fails on a new user's machine (it happened: xwd, from x11-apps).

The programs are found by reading the files, not by running them:
  shell     the first word of every simple command (after |, ;, &&, ||, $(,
            `, if/then/do/else and prefixes such as exec, time, env, sudo),
            minus the script's own functions, builtins and keywords
  Python    a list literal whose first element is a string naming a program
            (["xwd", "-root"]), and shutil.which() of a string
  meson     find_program('a', 'b'): at least one of the alternatives
Each name is resolved on PATH and mapped to its package with dpkg -S.

usage: check_programs.py SOURCE_ROOT
"""
import os
import re
import shutil
import subprocess
import sys

# Programs run only where the project's own scripts make sure they may be
# missing, each with why.
NOT_REQUIRED = {
    "sudo": "used only when not root, after checking it exists; the README asks for root "
            "or password-less sudo",
    "gdb": "tests/launcher/sysroot_test.py runs it only when a developer sets "
           "LORELEI_DEBUG_HANG=1 to see where a hung import is stuck",
}

SHELL_WORDS = set("""
    ! [ [[ ]] { } case esac do done elif else fi for function if in select then until
    while alias bg bind break builtin caller cd command compgen complete continue declare
    dirs disown echo enable eval exec exit export false fc fg getopts hash help history jobs
    kill let local logout mapfile popd printf pushd pwd read readarray readonly return set
    shift shopt source suspend test times trap true type typeset ulimit umask unalias unset
    wait . :
""".split())
# Prefixes after which the next word is the program.
PREFIXES = {"exec", "time", "command", "nice", "nohup", "builtin", "sudo", "!", "env"}
# Builtins whose arguments are variable names and assignments.
DECLARERS = {"readonly", "local", "declare", "export", "typeset"}
# Keywords after which a command starts.
STARTERS = {"then", "do", "else", "if", "elif", "while", "until", "!"}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files"], check=True, capture_output=True,
                         text=True).stdout.split()
    # The examples are data; this file names programs only in its comments.
    return [f for f in out if not f.startswith("tests/launcher/examples/") and
            f != "tests/style/check_programs.py"]


def is_shell(path, text):
    return path.endswith(".sh") or text.startswith(("#!/bin/bash", "#!/usr/bin/env bash",
                                                    "#!/bin/sh"))


def heredoc_free(text):
    """Drops here-document bodies: their words are data, not commands."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        i += 1
        if m:
            end = m.group(1)
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1
    return "\n".join(out)


class ShellScanner:
    """A small shell lexer that yields the word in command position of every
    simple command, with its line. Quoted text is data, except command
    substitutions inside double quotes; case patterns and for-lists are skipped."""

    def __init__(self, text):
        self.s, self.i, self.line = text, 0, 1
        self.found = []

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def advance(self, n=1):
        for _ in range(n):
            if self.peek() == "\n":
                self.line += 1
            self.i += 1

    def skip_single(self):
        self.advance()
        while self.peek() and self.peek() != "'":
            self.advance()
        self.advance()

    def skip_double(self):
        """Inside "...": only $( ... ) and `...` run commands."""
        self.advance()
        while self.peek() and self.peek() != '"':
            if self.peek() == "\\":
                self.advance(2)
            elif self.peek() == "$" and self.peek(1) == "(" and self.peek(2) != "(":
                self.advance(2)
                self.commands(")")
                self.advance()
            elif self.peek() == "`":
                self.advance()
                self.commands("`")
                self.advance()
            else:
                self.advance()
        self.advance()

    def word(self):
        """Reads one word; returns its text with quotes removed ('' for quoted parts)."""
        out = []
        while self.peek() and self.peek() not in " \t\n;|&()<>`":
            ch = self.peek()
            if ch == "'":
                self.skip_single()
                out.append("\0")
            elif ch == '"':
                self.skip_double()
                out.append("\0")
            elif ch == "\\":
                self.advance(2)
            elif ch == "$" and self.peek(1) == "(":
                if self.peek(2) == "(":
                    self.skip_arith()
                else:
                    self.advance(2)
                    self.commands(")")
                    self.advance()
                out.append("\0")
            elif ch == "$" and self.peek(1) == "{":
                depth = 0
                while self.peek():
                    depth += {"{": 1, "}": -1}.get(self.peek(), 0)
                    self.advance()
                    if depth == 0:
                        break
                out.append("\0")
            else:
                out.append(ch)
                self.advance()
        return "".join(out)

    def skip_arith(self):
        depth = 0
        while self.peek():
            depth += {"(": 1, ")": -1}.get(self.peek(), 0)
            self.advance()
            if depth == 0:
                break

    def commands(self, end=None):
        at_start, skip_segment, depth = True, False, 0
        while self.peek():
            ch = self.peek()
            if end and ch == end and depth == 0:
                return
            if ch == "#" and (self.i == 0 or self.s[self.i - 1] in " \t\n;"):
                while self.peek() and self.peek() != "\n":
                    self.advance()
                continue
            if ch in " \t":
                self.advance()
                continue
            if ch in "\n;&|":
                self.advance()
                at_start, skip_segment = True, False
                continue
            if ch == "(":
                if self.peek(1) == "(":
                    self.skip_arith()
                    continue
                depth += 1
                self.advance()
                at_start, skip_segment = True, False
                continue
            if ch == ")":
                depth = max(0, depth - 1)
                self.advance()
                at_start, skip_segment = True, False  # a case pattern ends here too
                continue
            if ch in "<>":
                self.advance()
                if self.peek() in "<>&":
                    self.advance()
                continue
            if ch == "`":
                self.advance()
                self.commands("`")
                self.advance()
                continue
            line = self.line
            w = self.word()
            if not w:
                self.advance()
                continue
            if re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=$", w) and self.peek() == "(":
                self.skip_arith()  # an array literal: words, not commands
                continue
            if not at_start or skip_segment:
                continue
            if self.peek() == ")" and depth == 0:
                continue  # a case pattern: "build)"
            if w in DECLARERS:
                skip_segment = True
                continue
            if re.match(r"^[A-Za-z_]\w*(\[[^]]*\])?\+?=", w) or w in PREFIXES or w in STARTERS \
                    or w.startswith("-") or w.startswith("\0"):
                continue  # assignment, prefix or keyword: the command comes next
            if w in ("for", "case", "select", "function", "in", "esac"):
                skip_segment = True
                continue
            at_start = False
            self.found.append((w, line))


def shell_programs(text):
    text = heredoc_free(text)
    functions = set(re.findall(r"^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)", text, re.M))
    sc = ShellScanner(text)
    sc.commands()
    found = {}
    for word, line in sc.found:
        if (NAME.match(word) and word not in SHELL_WORDS and word not in functions and
                not word.isdigit()):
            found.setdefault(word, line)
    return found


def python_programs(text):
    """Returns (commands, words): commands are the first element of a list
    passed straight to subprocess (they must exist); words are other lists
    starting with a string, checked only when they name an installed program."""
    commands, words = {}, {}
    call = re.compile(r"(?:run|Popen|check_output|check_call|call)\(\s*\[\s*[\"']"
                      r"([A-Za-z0-9][A-Za-z0-9._+-]*)[\"']")
    first = re.compile(r"(?<![\w\])])\[\s*[\"']([A-Za-z0-9][A-Za-z0-9._+-]*)[\"']\s*[,\]]")
    which = re.compile(r"shutil\.which\(\s*[\"']([^\"']+)[\"']")
    for lineno, line in enumerate(text.splitlines(), 1):
        for name in call.findall(line) + which.findall(line):
            commands.setdefault(name, lineno)
        for name in first.findall(line):
            words.setdefault(name, lineno)
    return commands, words


def meson_programs(text):
    """find_program('a', 'b'): a list of alternatives per call."""
    calls = []
    for m in re.finditer(r"find_program\(([^)]*)\)", text):
        names = re.findall(r"'([^'/@]+)'", m.group(1))
        names = [n for n in names if NAME.match(n)]
        if names:
            calls.append((names, text[:m.start()].count("\n") + 1))
    return calls


_owners = None


def owners():
    """Every file dpkg installed -> its package (read once from dpkg's lists)."""
    global _owners
    if _owners is None:
        _owners = {}
        info = "/var/lib/dpkg/info"
        for f in os.listdir(info):
            if f.endswith(".list"):
                pkg = f[:-5].split(":")[0]
                with open(os.path.join(info, f), errors="replace") as fh:
                    for line in fh:
                        _owners.setdefault(line.rstrip("\n"), pkg)
    return _owners


def package_of(program):
    """(package, path) of `program` on PATH; package None if no package has it."""
    # Debian's own folders first: a program shadowed in /usr/local on this
    # machine is still found in the package that provides it elsewhere.
    for d in ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/games"):
        p = os.path.join(d, program)
        if os.path.exists(p) and (owners().get(p) or owners().get(os.path.realpath(p))):
            return owners().get(p) or owners()[os.path.realpath(p)], p
    path = shutil.which(program)
    if not path:
        return None, None
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
            if p.startswith(a):
                candidates.append(b + p[len(a):])
            elif p.startswith(b):
                candidates.append(a + p[len(b):])
    for c in candidates:
        if c in owners():
            return owners()[c], path
    return None, path


def installed_packages():
    fmt = "${Package}\t${Essential}\t${Priority}\t${Pre-Depends}\t${Depends}\t${Provides}\t${db:Status-Abbrev}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], check=True, capture_output=True,
                         text=True).stdout
    pkgs, providers = {}, {}
    for line in out.splitlines():
        name, essential, priority, pre, dep, provides, status = line.split("\t")
        if len(status) < 2 or status[1] not in "itW":  # installed (maybe triggers pending)
            continue
        alternatives = []
        for clause in (pre + "," + dep).split(","):
            alts = [re.split(r"[\s(:]", a.strip())[0] for a in clause.split("|") if a.strip()]
            if alts:
                alternatives.append(alts)
        pkgs[name] = {"base": essential == "yes" or priority == "required", "deps": alternatives}
        for p in provides.split(","):
            p = re.split(r"[\s(:]", p.strip())[0]
            if p:
                providers.setdefault(p, []).append(name)
    return pkgs, providers


# Lists installed only when asked for (their suite named on tests/run.sh's
# command line): their packages need not be installed, only known to apt.
ON_REQUEST = {"deps-games.txt": "`tests/run.sh games` installs it"}


def declared_packages(root, on_request=False):
    """The packages of scripts/deps*.txt: those the default run installs, or
    (on_request) those of the ON_REQUEST lists."""
    names = []
    scripts = os.path.join(root, "scripts")
    for f in sorted(os.listdir(scripts)):
        if re.match(r"^deps.*\.txt$", f) and (f in ON_REQUEST) == on_request:
            with open(os.path.join(scripts, f)) as fh:
                for line in fh:
                    names += [w.split(":")[0] for w in line.split("#")[0].split()]
    return names


def known_to_apt(name):
    p = subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                       capture_output=True, text=True)
    return p.returncode == 0 and p.stdout.strip() != ""


def closure(roots, pkgs, providers):
    """Every installed package apt pulls in for `roots` (Depends, Pre-Depends)."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        for real in [name] + providers.get(name, []):
            if real in pkgs and real not in seen:
                seen.add(real)
                for alts in pkgs[real]["deps"]:
                    todo += alts
    return seen


def main():
    root = sys.argv[1]
    uses = {}  # program -> "file:line"
    meson_calls = []
    for f in tracked_files(root):
        path = os.path.join(root, f)
        if f.endswith((".c", ".h", ".S", ".md", ".json", ".toml", ".txt", ".1", ".patch")):
            continue
        try:
            with open(path) as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        if os.path.basename(f) == "meson.build":
            meson_calls += [(names, f"{f}:{n}") for names, n in meson_programs(text)]
            continue
        if f.endswith(".py"):
            commands, words = python_programs(text)
        elif is_shell(f, text) or f == ".ci/run":
            commands, words = shell_programs(text), {}
        else:
            continue
        for name, n in commands.items():
            uses.setdefault(name, (f"{f}:{n}", True))
        for name, n in words.items():
            uses.setdefault(name, (f"{f}:{n}", False))

    pkgs, providers = installed_packages()
    declared = declared_packages(root)
    missing_decl = [d for d in declared if d not in pkgs and d not in providers]
    on_request = declared_packages(root, on_request=True)
    unknown_on_request = [d for d in on_request
                          if d not in pkgs and d not in providers and not known_to_apt(d)]
    # What an on-request list pulls in may run only where it was installed.
    allowed = (closure(declared + on_request, pkgs, providers) |
               {p for p, v in pkgs.items() if v["base"]})

    problems, checked = [], 0
    for name, (where, is_command) in sorted(uses.items()):
        pkg, path = package_of(name)
        if path is None:
            # A list of words that are not programs (["sdl2", "gl"]) is not a
            # use; a command that is missing is.
            if is_command and name not in NOT_REQUIRED:
                problems.append(f"{name} (run by {where}) is not installed: add its package "
                                "to scripts/deps.txt")
            continue
        if name in NOT_REQUIRED:
            continue
        checked += 1
        if pkg is None:
            problems.append(f"{name} (run by {where}) is {path}, which no Debian package "
                            "installed: install it from a package in scripts/deps.txt")
        elif pkg not in allowed:
            problems.append(f"{name} (run by {where}) comes from package {pkg}, which "
                            "scripts/deps.txt neither lists nor pulls in: add " + pkg)
    for names, where in meson_calls:
        found = [(n, package_of(n)) for n in names]
        found = [(n, p) for n, (p, path) in found if path]
        checked += 1
        if not found:
            problems.append(f"none of {names} (find_program at {where}) is installed: add "
                            "its package to scripts/deps.txt")
        elif not any(p in allowed for _, p in found):
            problems.append(f"{found[0][0]} (find_program at {where}) comes from package "
                            f"{found[0][1]}, which scripts/deps.txt neither lists nor pulls in")
    for d in missing_decl:
        problems.append(f"scripts/deps*.txt lists {d}, which is not installed: run "
                        "scripts/install-deps.sh")
    for d in unknown_on_request:
        problems.append(f"a list of {', '.join(ON_REQUEST)} names {d}, which apt does not know: "
                        "check its name (apt-cache search) or run apt-get update")
    for p in problems:
        print("FAIL: " + p)
    print(f"{checked} programs checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
