#!/usr/bin/env python3
"""thunkgen: writes both halves of a thunk library from its description.

  thunkgen.py lib --overrides LIB.toml [--symbols-from HOST.so] [-I DIR]...
                  --guest-out LIB_guest.c [--guest-asm-out LIB_guest.S]
                  --host-out LIB_host.c --summary-out LIB.json
      one library: the x86_64 guest stub source, the host thunks (compiled into
      the plugin) and a summary the table step reads

  thunkgen.py table --out libraries.c --header-out lorelei-libs.h LIB.json...
      the plugin's table of all libraries, and a header listing them for
      guest programs that talk to the plugin directly (lorelei-probe)

The description is the real API (headers via libclang, or the Khronos
registry) plus the library's override file; overrides.py lists the
vocabulary. Errors name the file and what to change, and exit with 1.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import abi_constants  # noqa: E402
import emit_guest  # noqa: E402
import emit_host  # noqa: E402
import overrides  # noqa: E402
import transport  # noqa: E402
from ir import CType, Function, Library, Param  # noqa: E402


def write_if_changed(path, text):
    """Keeps timestamps of unchanged outputs, so ninja rebuilds less."""
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)


def make_library(cfg, fn_overrides):
    lib = Library(name=cfg["name"], id=cfg["id"], sonames=cfg["sonames"],
                  guest_soname=cfg["guest_soname"], includes=cfg["includes"],
                  callback_if_armed=cfg.get("callback_if_armed", False),
                  host_free=cfg.get("host_free", ""), guest_sources=cfg.get("guest_sources", []),
                  resolve=cfg.get("resolve", ""), guest_includes=cfg.get("guest_includes", []),
                  defines=cfg.get("defines", []), guest_alloc=cfg.get("guest_alloc", "malloc"),
                  guest_free=cfg.get("guest_free", "free"))
    lib.cname = emit_host.cname(lib.name)
    lib.symbol = "lorelei_lib_" + lib.cname
    lib.prototypes = [t["prototype"] for t in fn_overrides.values() if "prototype" in t]
    return lib


def add_host_free(lib, where):
    """A hidden thunk the guest uses to free host memory it copied out."""
    if not any(f.returns_owned_string or f.returns_owned or f.out_owned for f in lib.functions):
        return
    if not lib.host_free:
        raise overrides.OverrideError(f"{where}: returns_owned[_string] and out_owned need "
                                      "[library] host_free")
    ptr = CType("void *", "ptr", 8, 8)
    lib.functions.append(Function("__lorelei_host_free", CType("void", "void"),
                                  [Param("p", ptr)]))


def cmd_lib(args):
    cfg, fn_overrides, type_overrides = overrides.load(args.overrides)
    lib = make_library(cfg, fn_overrides)
    cfg.setdefault("include_dirs", [])
    cfg["include_dirs"] = list(args.include_dir) + cfg["include_dirs"]
    frontend = cfg.get("frontend", "clang")
    if frontend == "clang":
        import frontend_clang
        frontend_clang.build(lib, cfg, fn_overrides, args.symbols_from)
    elif frontend == "gl":
        import frontend_gl
        frontend_gl.build(lib, cfg, fn_overrides, args.registry_dir)
    elif frontend == "vulkan":
        import frontend_vulkan
        frontend_vulkan.build(lib, cfg, fn_overrides, type_overrides, args.symbols_from,
                              args.registry_dir)
    else:
        raise overrides.OverrideError(f"{args.overrides}: frontend = \"{frontend}\": "
                                      "expected \"clang\", \"gl\" or \"vulkan\"")
    overrides.apply(lib.functions, fn_overrides, args.overrides)
    overrides.apply_types(lib.functions, type_overrides, args.overrides,
                          getattr(lib, "member_mapped_types", ()))
    unsupported = [f"{f.name} ({f.unsupported})" for f in lib.functions
                   if getattr(f, "unsupported", None) and f.name not in fn_overrides]
    if unsupported:
        raise overrides.OverrideError(
            f"{args.overrides}: these functions use types the generator cannot forward; "
            "implement them guest-side (guest = true): " + ", ".join(unsupported))
    add_host_free(lib, args.overrides)
    lib.finalize()
    try:
        transport.classify(lib, cfg.get("blocking_patterns", []), args.overrides)
    except ValueError as e:
        raise overrides.OverrideError(str(e))
    lib.host_free_index = next((f.index for f in lib.functions
                                if f.name == "__lorelei_host_free"), -1)
    abi = abi_constants.load(args.abi_header, args.host_header)
    if len(lib.thunked()) > 1 << abi.index_bits:
        raise overrides.OverrideError(
            f"{args.overrides}: {len(lib.thunked())} functions do not fit the "
            f"{abi.index_bits} index bits of a function id (LORELEI_FN_INDEX_BITS)")
    name = os.path.basename(args.overrides)
    asm_names = set()
    if args.guest_asm_out:
        import emit_guest_asm
        asm_names = {f.name for f in lib.thunked() if emit_guest_asm.suitable(f)}
        write_if_changed(args.guest_asm_out, emit_guest_asm.emit(lib, name, asm_names, abi))
    write_if_changed(args.guest_out, emit_guest.emit(lib, name, abi, asm_names))
    write_if_changed(args.host_out, emit_host.emit(lib, name, abi))
    summary = {"name": lib.name, "id": lib.id, "symbol": lib.symbol,
               "n_functions": len(lib.thunked()), "n_sigs": len(lib.sigs),
               "api_hash": f"0x{lib.api_hash():016x}",
               "exports": sorted(f.name for f in lib.functions
                                 if f.exported and not f.name.startswith("__")),
               "unsupported": {n: t["unsupported"] for n, t in sorted(fn_overrides.items())
                               if "unsupported" in t},
               # The transport classification (transport.py), for tests and docs.
               "blocking": sorted(f.name for f in lib.thunked() if f.blocking
                                  and not f.name.startswith("__")),
               "may_call_back": sorted(f.name for f in lib.thunked()
                                       if transport.may_call_back(f)),
               "guest": sorted(f.name for f in lib.functions if f.guest),
               # Every forwarded function by its index in the function id:
               # the profiling plugin names the calls it times with these.
               "functions": [f.name for f in lib.thunked()]}
    write_if_changed(args.summary_out, json.dumps(summary, indent=1) + "\n")
    if args.version_script_out:
        write_if_changed(args.version_script_out, version_script(args.symbols_from))


def version_script(symbols_from):
    """A linker version script giving the stub's exports the symbol versions
    the host library gives them (the guest's library has the same)."""
    import frontend_clang
    if not symbols_from:
        raise SystemExit("thunkgen: --version-script-out needs --symbols-from")
    lines = ["/* Generated by thunkgen from the symbol versions of "
             f"{os.path.basename(symbols_from)}. */"]
    for version, names in frontend_clang.symbol_versions(symbols_from).items():
        lines.append(f"{version} {{\n" + "".join(f"    {n};\n" for n in names) + "};")
    return "\n".join(lines) + "\n"


def cmd_table(args):
    libs = []
    for path in args.summaries:
        with open(path) as f:
            libs.append(json.load(f))
    libs.sort(key=lambda s: s["id"])
    ids = [s["id"] for s in libs]
    if len(ids) != len(set(ids)):
        raise overrides.OverrideError(f"two libraries share an id: {ids}")
    out = ["/* Generated by thunkgen: the libraries built into the plugin. */",
           '#include "lorelei-host.h"', ""]
    out += [f"extern const struct lorelei_host_lib {s['symbol']};" for s in libs]
    out.append("const struct lorelei_host_lib *const lorelei_all_libs[] = {")
    out += [f"    &{s['symbol']}," for s in libs]
    out.append("    NULL,\n};")
    out.append(f"const uint32_t lorelei_n_all_libs = {len(libs)};")
    write_if_changed(args.out, "\n".join(out) + "\n")
    hdr = ["/* Generated by thunkgen: the thunk libraries of this build. */",
           "#ifndef LORELEI_LIBS_H", "#define LORELEI_LIBS_H", "#include <stdint.h>",
           "struct lorelei_lib_info { const char *name; uint32_t id, n_functions, n_sigs; "
           "uint64_t api_hash; };",
           "static const struct lorelei_lib_info lorelei_libs[] = {"]
    hdr += [f"    {{\"{s['name']}\", {s['id']}, {s['n_functions']}, {s['n_sigs']}, "
            f"{s['api_hash']}ull}}," for s in libs]
    hdr += ["};", f"#define LORELEI_N_LIBS {len(libs)}",
            f"#define LORELEI_N_FUNCTIONS {sum(s['n_functions'] for s in libs)}",
            "/* lorelei_libs[i]'s functions' names by index: lorelei_fn_names[i][index],",
            "   in the file --names-out writes; only the profiling plugin links it. */",
            "extern const char *const *const lorelei_fn_names[LORELEI_N_LIBS];",
            "#endif"]
    write_if_changed(args.header_out, "\n".join(hdr) + "\n")
    if args.names_out:
        names = ["/* Generated by thunkgen: the forwarded functions' names by index. */",
                 '#include "lorelei-libs.h"', ""]
        for s in libs:
            if len(s["functions"]) != s["n_functions"]:
                raise overrides.OverrideError(f"{s['name']}: the summary lists "
                                              f"{len(s['functions'])} functions, not "
                                              f"{s['n_functions']}")
            names.append(f"static const char *const names_{s['name']}[] = {{")
            names += [f'    "{n}",' for n in s["functions"]]
            names.append("};")
        names.append("const char *const *const lorelei_fn_names[LORELEI_N_LIBS] = {")
        names += [f"    names_{s['name']}," for s in libs]
        names.append("};")
        write_if_changed(args.names_out, "\n".join(names) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("lib")
    p.add_argument("--overrides", required=True)
    p.add_argument("--symbols-from")
    p.add_argument("-I", "--include-dir", action="append", default=[])
    p.add_argument("--registry-dir", help="where frontends \"gl\" and \"vulkan\" find the "
                   "registry XML (gl default: /usr/share/khronos-api)")
    p.add_argument("--guest-out", required=True)
    p.add_argument("--guest-asm-out", help="also write the stubs that need no C as x86_64 "
                   "assembly (much faster to build for thousands of functions)")
    p.add_argument("--host-out", required=True)
    p.add_argument("--summary-out", required=True)
    p.add_argument("--version-script-out", help="also write a linker version script giving "
                   "the stub's exports the host library's symbol versions")
    p.add_argument("--abi-header", help="where LORELEI_SYSCALL_NR, LORELEI_OP_CALL and "
                   "LORELEI_FN_INDEX_BITS are read (default: include/lorelei/abi.h)")
    p.add_argument("--host-header", help="where LORELEI_CALLBACK_SLOTS is read (default: "
                   "plugin/lorelei-host.h)")
    p = sub.add_parser("table")
    p.add_argument("--out", required=True)
    p.add_argument("--header-out", required=True)
    p.add_argument("--names-out", help="also write the forwarded functions' names by index "
                   "(for the profiling plugin)")
    p.add_argument("summaries", nargs="+")
    args = ap.parse_args()
    try:
        {"lib": cmd_lib, "table": cmd_table}[args.cmd](args)
    except (overrides.OverrideError, abi_constants.AbiError, Exception) as e:  # noqa: B902 - report, don't trace
        if os.environ.get("THUNKGEN_TRACE"):
            raise
        print(f"thunkgen: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
