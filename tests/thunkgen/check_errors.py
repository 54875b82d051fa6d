#!/usr/bin/env python3
"""The generator's answers to wrong descriptions: each case is a tiny header
and override file that thunkgen must refuse with exit status 1 and a message
naming the function and what to change (a description author reads nothing
else). Add a case when a check is added to thunkgen/overrides.py.

usage: check_errors.py THUNKGEN
"""
import os
import subprocess
import sys
import tempfile

HEADER = """
int tg_plain(const char *fmt);
int tg_variadic(int level, const char *fmt, ...);
const char *tg_name(void);
int tg_count(void);
"""

LIBRARY = """
[library]
name = "tg"
id = 9
sonames = ["libtg.so.1"]
guest_soname = "libtg.so.1"
includes = ["tg.h"]
symbols = "header"
prefix = "tg_"
"""

# (what, override text, substring the message must contain)
CASES = [
    ("printf on a function that is not variadic",
     "[functions.tg_plain]\nprintf = 0\n",
     "tg_plain: printf = 0 needs a variadic function whose parameter 0 is the format"),
    ("printf naming a parameter the function does not have",
     "[functions.tg_variadic]\nprintf = 5\n",
     "tg_variadic: printf = 5 needs a variadic function whose parameter 5 is the format"),
    ("a variadic function without printf or guest",
     "",
     "tg_variadic is variadic: mark it printf = N or guest = true"),
    ("two result annotations at once",
     "[functions.tg_variadic]\nprintf = 1\n[functions.tg_name]\n"
     "returns_owned_string = true\nreturns_static_string = true\n",
     "tg_name: returns_owned_string and returns_static_string exclude each other"),
    ("a string annotation on a non-pointer result",
     "[functions.tg_variadic]\nprintf = 1\n[functions.tg_count]\nreturns_static_string = true\n",
     "tg_count: returns_static_string needs a pointer result, not int"),
    ("a string-list condition on a result that is no static string",
     "[functions.tg_variadic]\nprintf = 1\n[functions.tg_name]\nstring_list_if = \"1\"\n",
     "tg_name: string_list_if needs returns_static_string"),
    ("a blocking pattern that is no regular expression",
     "blocking_patterns = [\"(\"]\n[functions.tg_variadic]\nprintf = 1\n",
     "blocking_patterns: '(' is not a regular expression"),
    ("a blocking pattern that matches nothing (a typo)",
     "blocking_patterns = [\"^tg_nothing\"]\n[functions.tg_variadic]\nprintf = 1\n",
     "blocking_patterns match no function without its own 'blocking' annotation: ^tg_nothing"),
    ("blocking on a function that runs in the guest",
     "[functions.tg_variadic]\nguest = true\nblocking = true\n",
     "tg_variadic: guest = true makes no host call; 'blocking' does not apply"),
]


def main():
    thunkgen = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "tg.h"), "w") as f:
            f.write(HEADER)
        for what, overrides, expect in CASES:
            toml = os.path.join(d, "tg.toml")
            with open(toml, "w") as f:
                f.write(LIBRARY + overrides)
            r = subprocess.run([sys.executable, thunkgen, "lib", "--overrides", toml, "-I", d,
                                "--guest-out", os.path.join(d, "g.c"),
                                "--host-out", os.path.join(d, "h.c"),
                                "--summary-out", os.path.join(d, "s.json")],
                               capture_output=True, text=True, timeout=120)
            ok = r.returncode == 1 and expect in r.stderr
            failed += not ok
            print(("ok   " if ok else "FAIL ") + what)
            if not ok:
                print(f"     exit {r.returncode}; wanted a message containing: {expect}\n"
                      f"     stderr: {r.stderr.strip()}")
    print(f"{len(CASES) - failed} of {len(CASES)} descriptions refused as they should be")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
