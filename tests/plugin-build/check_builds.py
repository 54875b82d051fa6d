#!/usr/bin/env python3
"""Build checks of the host half that are not plain compile steps.

  check_builds.py stock-api PLUGIN_OR_EMPTY REASON_FILE
      the plugin compiled against a stock QEMU >= 11.1 header exports the
      plugin entry points; skipped (77) with the reason when no header was
      available
  check_builds.py shipped-libs QEMU PLUGIN GUEST_PROG SUMMARY.json...
      the shipped plugin holds exactly the libraries of these summaries (the
      product's thunk libraries), never the test library
"""
import json
import re
import subprocess
import sys

mode = sys.argv[1]
if mode == "stock-api":
    plugin, reason_file = sys.argv[2], sys.argv[3]
    if not plugin:
        try:
            reason = open(reason_file).read().strip()
        except OSError:
            reason = "scripts/build.sh did not record why"
        print(f"not compiled against a stock QEMU >= 11.1 plugin header: {reason}")
        sys.exit(77)
    syms = subprocess.run(["nm", "-D", "--defined-only", plugin], capture_output=True,
                          text=True, check=True).stdout
    ok = all(s in syms for s in ("qemu_plugin_install", "qemu_plugin_version"))
    print(("ok" if ok else "FAIL") + f": {plugin} exports qemu_plugin_install/qemu_plugin_version")
    sys.exit(0 if ok else 1)
if mode == "shipped-libs":
    qemu, plugin, prog, summaries = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    want = sorted(json.load(open(p))["name"] for p in summaries)
    # An unknown lib= makes the plugin refuse to install, naming what it has.
    r = subprocess.run([qemu, "-plugin", f"{plugin},lib=no-such-library", prog],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"this plugin has: ([^)]*)\)", r.stderr)
    if not m:
        print(f"FAIL: the plugin did not list its libraries; stderr:\n{r.stderr}")
        sys.exit(1)
    have = sorted(n.strip() for n in m.group(1).split(","))
    ok = have == want and "testlib" not in have
    print(("ok" if ok else "FAIL") + f": {plugin} has {have}; the product's libraries are {want}")
    sys.exit(0 if ok else 1)
sys.exit(f"unknown mode {mode}")
