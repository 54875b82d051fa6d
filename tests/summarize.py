#!/usr/bin/env python3
"""Reads meson's testlog.json of each build tree given and prints every
failure, every skip with its reason, and as the last line: N passed, N failed.

usage: summarize.py [--extra-failed NAME ...] TREE/meson-logs/testlog.json ...
A skip counts as neither passed nor failed but is always listed with the
reason the test printed last.
"""
import json
import sys

args = sys.argv[1:]
extra_failed = []
while args and args[0] == "--extra-failed":
    extra_failed.append(args[1])
    args = args[2:]

passed = failed = skipped = 0
for path in args:
    tree = path.split("/meson-logs/")[0]
    try:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        print(f"FAILED  {tree}: no test log ({e.strerror}); the test run did not happen")
        failed += 1
        continue
    for r in records:
        name, result = f"{tree}:{r['name']}", r["result"]
        if result == "OK" or result == "EXPECTEDFAIL":
            passed += 1
        elif result == "SKIP":
            skipped += 1
            lines = [l for l in (r.get("stdout") or "").splitlines() if l.strip()]
            print(f"SKIPPED {name}: {lines[-1] if lines else '(no reason printed)'}")
        else:
            failed += 1
            print(f"FAILED  {name} ({result})")
for name in extra_failed:
    failed += 1
    print(f"FAILED  {name}")
if skipped:
    print(f"({skipped} skipped, listed above with their reasons)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
