"""Khronos registry XML (gl.xml, glx.xml) + headers -> model.

The registry decides *which* functions a library has: every <command> of the
XML files named in [library] registry, every function the headers declare
with one of [library] header_prefixes (EGL: Debian 12 ships no egl.xml, but
its EGL headers are generated from it), and every [functions.NAME] with a
prototype (names a host library exports that no registry lists).

The C types come from libclang, as for any other library: each registry
command becomes a prototype (C text taken from the XML, without parameter
names), parsed after the real headers for the guest's target
(frontend_clang.ClangFrontend). Where a header declares the function too, its
declaration is the one used - the stub is compiled against the same header,
so a disagreement between XML and header cannot go unnoticed. A command
whose types no header defines (IRIX's DMbuffer, VLServer...) stops the
generator until its override says why it is left out (unsupported = "...").
"""
import os
import re
import xml.etree.ElementTree as ET

from frontend_clang import ClangFrontend, FrontendError

DEFAULT_REGISTRY_DIR = "/usr/share/khronos-api"


def _type_text(elem):
    """C text of a <proto> or <param> without its <name>, e.g. 'const GLubyte *'."""
    parts = [elem.text or ""]
    for child in elem:
        if child.tag != "name":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def registry_commands(path):
    """[(name, C prototype)] of every <command> in a registry XML file."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise FrontendError(f"cannot read the registry {path}: {e} (package khronos-api)")
    out = []
    for commands in root.findall("commands"):
        for cmd in commands.findall("command"):
            proto = cmd.find("proto")
            name = proto.find("name").text
            params = [_type_text(p) for p in cmd.findall("param")]
            out.append((name, f"{_type_text(proto)} {name}({', '.join(params) or 'void'});"))
    return out


def build(lib, lib_cfg, fn_overrides, registry_dir=None):
    registry_dir = registry_dir or DEFAULT_REGISTRY_DIR
    unsupported = {name: t["unsupported"] for name, t in fn_overrides.items() if "unsupported" in t}
    commands = {}
    for xml in lib_cfg.get("registry", []):
        for name, proto in registry_commands(os.path.join(registry_dir, xml)):
            commands.setdefault(name, proto)
    extra = {name: t["prototype"] for name, t in fn_overrides.items() if "prototype" in t}
    twice = sorted(set(extra) & set(commands))
    if twice:
        raise FrontendError("the registry already defines " + ", ".join(twice) +
                            ": drop their prototype overrides")
    commands.update(extra)
    wanted = {n: p for n, p in commands.items() if n not in unsupported}
    includes = lib_cfg["includes"]
    protos = list(wanted.values())
    try:
        fe = ClangFrontend(lib, includes, lib_cfg.get("include_dirs", []),
                           lib_cfg.get("clang_args", []), protos)
    except FrontendError as e:
        bad = sorted({protos[line - len(includes) - 1].split("(")[0].split()[-1].lstrip("*")
                      for line in getattr(e, "lines", []) if 0 <= line - len(includes) - 1 < len(protos)})
        if not bad:
            raise
        raise FrontendError(
            f"{len(bad)} registry command(s) use types the headers ({', '.join(includes)}) do "
            f"not define: {', '.join(bad)}. Mark each [functions.NAME] unsupported = \"why\".\n{e}")
    names = set(wanted)
    for prefix in lib_cfg.get("header_prefixes", []):
        names |= {n for n in fe.decls if n.startswith(prefix) and n not in unsupported}
    for name in sorted(names):
        f = fe.function(name)
        if f is None:  # cannot happen: every name was declared above
            raise FrontendError(f"{name}: no declaration after parsing")
        lib.functions.append(f)
    # Only what no header declares goes into the generated sources.
    lib.prototypes = [p for n, p in sorted(wanted.items()) if fe.declared_by_us(n)]
    lib.records = sorted(fe.records.values(), key=lambda r: r.spelling)
    lib.unsupported = unsupported
