"""The Vulkan registry (vk.xml, from libvulkan-dev) -> model.

The registry says which commands exist (core 1.0-1.3 and every extension),
which platform each belongs to, how long every array is and which structs
may be chained into which (structextends). The C types, sizes and layouts
come from vulkan.h itself, parsed by libclang for the guest's target, as
frontend_clang does: every struct and union the header defines gets layout
asserts in the host half.

What the stub exports is the host loader's export list (nm -D); every other
command is generated too, hidden, and reachable through
vkGet{Instance,Device}ProcAddr, as natively.

Structs whose guest values the host cannot use as they are - function
pointers (VkAllocationCallbacks, debug callbacks), members of a [types]
mapped type (Display *, xcb_connection_t *) - are found wherever they are
reachable from a parameter: directly, through arrays (len="count") and
through pNext chains (structextends). Those parameters get a deep shadow
copy on the host (emit_host.emit_deep). The other way round, strings a
callback receives (debug messages) are copied into guest memory by the
guest invoker (emit_guest.emit_guest_copies), so the game can print them.
"""
import os
import xml.etree.ElementTree as ET

import clang.cindex as ci

from frontend_clang import ClangFrontend, FrontendError, exported_functions
from ir import Chain, GuestCopy, StructInfo

API = "vulkan"


def _api_ok(elem):
    api = elem.get("api")
    return api is None or API in api.split(",")


class Member:
    def __init__(self, elem):
        t = elem.find("type")
        self.name = elem.find("name").text
        self.type = t.text
        self.const = "const" in (elem.text or "")
        self.ptrs = (t.tail or "").count("*")
        self.array = "[" in (elem.find("name").tail or "")
        self.len = (elem.get("len") or "").split(",")[0]
        self.values = elem.get("values", "")


class Registry:
    def __init__(self, path, platforms):
        root = ET.parse(path).getroot()
        protect = {p.get("name"): p.get("protect") for p in root.findall("platforms/platform")}
        unknown = sorted(set(platforms) - set(protect))
        if unknown:
            raise FrontendError(f"unknown platform(s) {', '.join(unknown)}; the registry has: "
                                + ", ".join(sorted(protect)))
        self.defines = [protect[p] for p in platforms]
        self.types = {}       # name -> category
        self.aliases = {}     # type name -> aliased name
        self.structs = {}     # name -> [Member]
        self.unions = set()
        self.extends = {}     # struct name -> [struct names it extends]
        for t in root.findall("types/type"):
            if not _api_ok(t):
                continue
            name = t.get("name") or (t.find("name").text if t.find("name") is not None else None)
            if not name:
                continue
            if t.get("alias"):
                self.aliases[name] = t.get("alias")
                continue
            cat = t.get("category", "")
            self.types[name] = cat
            if cat in ("struct", "union"):
                self.structs[name] = [Member(m) for m in t.findall("member") if _api_ok(m)]
                if cat == "union":
                    self.unions.add(name)
                ext = t.get("structextends")
                self.extends[name] = ext.split(",") if ext else []
        self.params = {}      # command -> [Member]
        cmd_alias = {}
        for c in root.findall("commands/command"):
            if not _api_ok(c):
                continue
            if c.get("alias"):
                cmd_alias[c.get("name")] = c.get("alias")
                continue
            name = c.find("proto/name").text
            self.params[name] = [Member(p) for p in c.findall("param") if _api_ok(p)]
        for name, target in cmd_alias.items():
            self.params[name] = self.params[target]
        # The commands of the API we generate, and the extensions' types.
        self.commands = set()
        self.other_platform = set()
        self.ext_types = {}   # extension -> [type names]
        self.extensions = set()
        for feat in root.findall("feature"):
            if _api_ok(feat):
                for req in feat.findall("require"):
                    self.commands.update(c.get("name") for c in req.findall("command"))
        for ext in root.findall("extensions/extension"):
            if API not in ext.get("supported", "").split(","):
                continue
            name = ext.get("name")
            self.extensions.add(name)
            reqs = [r for r in ext.findall("require") if _api_ok(r)]
            cmds = {c.get("name") for r in reqs for c in r.findall("command")}
            self.ext_types[name] = [t.get("name") for r in reqs for t in r.findall("type")]
            plat = ext.get("platform")
            if plat and plat not in platforms:
                self.other_platform |= cmds
            else:
                self.commands |= cmds
        self.other_platform -= self.commands

    def resolve(self, name):
        while name in self.aliases:
            name = self.aliases[name]
        return name


def _norm(spelling):
    return spelling.replace(" ", "")


class Analysis:
    """Which structs need translating for the host, and how."""

    def __init__(self, reg, fe, declared, type_overrides):
        self.reg, self.fe, self.declared = reg, fe, declared
        self.mapped = {_norm(k): v for k, v in type_overrides.items()}
        self.used_mappings = set()
        self.key_of = {_norm(k): k for k in type_overrides}
        self.info = {}
        self._fix_fields()
        self._fixpoint()

    def _fix_fields(self):
        """Members that need translating by themselves: function pointers
        and values of a mapped type."""
        self.own = {}
        for name, members in self.reg.structs.items():
            if name not in self.declared:
                continue
            fnptrs, mapped = [], []
            fields = {f.spelling: f for f in self.declared[name].get_declaration().get_children()
                      if f.kind == ci.CursorKind.FIELD_DECL}
            for m in members:
                if self.reg.types.get(m.type) == "funcpointer" and not m.ptrs:
                    ft = fields[m.name].type
                    sig = self.fe.sig_for(ft.get_canonical().get_pointee(), ft.spelling)
                    fnptrs.append((m.name, sig))
                key = _norm(m.type + "*" * m.ptrs)
                if key in self.mapped:
                    mapped.append((m.name, self.mapped[key]))
                    self.used_mappings.add(self.key_of[key])
            if (fnptrs or mapped) and name in self.reg.unions:
                raise FrontendError(f"union {name} holds values the host must translate; "
                                    "frontend_vulkan cannot translate unions")
            self.own[name] = (fnptrs, mapped)

    def _fixpoint(self):
        reg = self.reg
        needs_fix = {n for n, (a, b) in self.own.items() if a or b}
        has_chain = set()
        extenders = {}
        for name, parents in reg.extends.items():
            for p in parents:
                extenders.setdefault(reg.resolve(p), []).append(name)
        changed = True
        while changed:
            changed = False
            for name, members in reg.structs.items():
                if name not in self.declared:
                    continue
                need = needs_fix | has_chain
                for m in members:
                    t = reg.resolve(m.type)
                    if t not in need:
                        continue
                    if m.name == "pNext":
                        continue
                    if m.ptrs == 1 and not m.array and name not in needs_fix:
                        needs_fix.add(name)
                        changed = True
                    elif m.ptrs != 1 or m.array:
                        raise FrontendError(
                            f"{name}.{m.name} holds a {t} that needs translating, by value or "
                            "through a pointer to pointers; frontend_vulkan cannot yet")
                if any(m.name == "pNext" for m in members) and name not in has_chain and any(
                        e in needs_fix for e in extenders.get(name, []) if e in self.declared):
                    has_chain.add(name)
                    changed = True
        self.needs_fix, self.has_chain = needs_fix, has_chain

    def struct_info(self, name):
        """The StructInfo of a struct that needs translating, else None."""
        name = self.reg.resolve(name)
        if name not in self.needs_fix and name not in self.has_chain:
            return None
        if name in self.info:
            return self.info[name]
        fnptrs, mapped = self.own[name]
        s = StructInfo(spelling=name, fnptr_fields=fnptrs, mapped_fields=mapped)
        self.info[name] = s
        for m in self.reg.structs[name]:
            if m.name == "sType":
                s.tag = m.values
            elif m.name == "pNext":
                if name in self.has_chain:
                    s.chain_field = "pNext"
            elif m.ptrs == 1:
                t = self.struct_info(m.type)
                if t is None:
                    continue
                if not m.const:
                    raise FrontendError(f"{name}.{m.name}: a non-const {m.type} that needs "
                                        "translating (only inputs are supported)")
                count = m.len if m.len in {x.name for x in self.reg.structs[name]} else ""
                if m.len and not count:
                    raise FrontendError(f"{name}.{m.name}: length '{m.len}' is not a member")
                s.struct_fields.append((m.name, t, count))
        return s


def _guest_copy(reg, declared, name, memo):
    """What a guest copy of struct `name` must copy so that every string it
    reaches lives in guest memory; None if it reaches no string."""
    name = reg.resolve(name)
    if name in memo:
        return memo[name]
    memo[name] = None  # cycles: a struct reached again adds nothing new
    if name not in declared or name not in reg.structs:
        return None
    members = reg.structs[name]
    names = {m.name for m in members}
    strings = [m.name for m in members
               if m.type == "char" and m.ptrs == 1 and not m.array and m.len == "null-terminated"]
    arrays = []
    for m in members:
        if m.ptrs == 1 and m.const and not m.array and m.name != "pNext" and m.type in reg.structs:
            inner = _guest_copy(reg, declared, m.type, memo)
            if inner:
                arrays.append((m.name, inner, m.len if m.len in names else ""))
    memo[name] = GuestCopy(spelling=name, strings=strings, arrays=arrays) \
        if strings or arrays else None
    return memo[name]


def _mark_callback_copies(lib, reg, declared):
    """Callback parameters pointing to strings or to structs reaching
    strings get guest copies (every Vulkan callback string is
    NUL-terminated: pMessage, pLayerPrefix, pObjectName...)."""
    memo = {}
    for sig in lib.sigs:
        for p in sig.params:
            if p.kind != "ptr" or not p.pointee_const or p.spelling.count("*") != 1:
                continue
            base = p.spelling.replace("const", "").replace("struct", "").replace("*", "").strip()
            if base == "char":
                p.guest_copy = "string"
            elif base in reg.structs:
                p.guest_copy = _guest_copy(reg, declared, base, memo)


def _declared_records(fe):
    """typedef name -> canonical record type, for every struct/union vulkan.h defines."""
    out = {}
    for c in fe.tu.cursor.get_children():
        if c.kind == ci.CursorKind.TYPEDEF_DECL:
            canon = c.underlying_typedef_type.get_canonical()
            if canon.kind == ci.TypeKind.RECORD and canon.get_size() > 0:
                out[c.spelling] = canon
    return out


def build(lib, lib_cfg, fn_overrides, type_overrides, symbols_from, registry_dir):
    files = lib_cfg.get("registry", [])
    if not registry_dir or len(files) != 1:
        raise FrontendError("frontend = \"vulkan\" needs [library] registry = [\"vk.xml\"] and "
                            "--registry-dir (libvulkan-dev's share/vulkan/registry)")
    registry_path = os.path.join(registry_dir, files[0])
    if not symbols_from:
        raise FrontendError("frontend = \"vulkan\" needs --symbols-from the host's libvulkan.so.1")
    reg = Registry(registry_path, lib_cfg.get("platforms", []))
    lib.defines = reg.defines + lib.defines
    args = [f"-D{d}" for d in lib.defines] + lib_cfg.get("clang_args", [])
    prototypes = [t["prototype"] for t in fn_overrides.values() if "prototype" in t]
    fe = ClangFrontend(lib, lib_cfg["includes"], lib_cfg.get("include_dirs", []), args, prototypes)
    declared = _declared_records(fe)

    exports, data = exported_functions(symbols_from)
    if data:
        raise FrontendError(f"{symbols_from} exports data symbols: {', '.join(data)}")
    strays = sorted(set(exports) - reg.commands)
    if strays:
        raise FrontendError(f"{symbols_from} exports functions that are no command of the "
                            f"registry's generated platforms: {', '.join(strays)}; add their "
                            "platform to [library] platforms")

    an = Analysis(reg, fe, declared, type_overrides)
    lib.member_mapped_types = an.used_mappings
    for name in sorted(reg.commands):
        f = fe.function(name)
        if f is None:
            raise FrontendError(f"{name} is a command of the registry but vulkan.h does not "
                                "declare it: the registry and the header differ")
        f.exported = name in exports
        members = reg.params[name]
        names = {m.name for m in members}
        for p, m in zip(f.params, members):
            s = an.struct_info(m.type) if m.ptrs == 1 else None
            p.type.callback_struct = s
            if s and s.deep and m.len:
                if m.len not in names:
                    raise FrontendError(f"{name}: parameter {m.name} has length '{m.len}', "
                                        "which is not a parameter")
                p.count = m.len
        lib.functions.append(f)

    unsupported = lib_cfg.get("unsupported_extensions", [])
    bad = sorted(set(unsupported) - reg.extensions)
    if bad:
        raise FrontendError(f"unsupported_extensions: no such extension: {', '.join(bad)}")
    lib.unsupported_extensions = sorted(unsupported)
    drop = []
    for ext in lib.unsupported_extensions:
        for t in reg.ext_types.get(ext, []):
            members = reg.structs.get(reg.resolve(t), [])
            tag = next((m.values for m in members if m.name == "sType" and m.values), "")
            if tag and reg.extends.get(reg.resolve(t)):
                drop.append((tag, ext))
    sizes = []
    for name, members in sorted(reg.structs.items()):
        tag = next((m.values for m in members if m.name == "sType" and m.values), "")
        if tag and name in declared:
            sizes.append((tag, name))
    dropped = {t for t, _ in drop}
    translate = [an.struct_info(n) for n in sorted(an.needs_fix)
                 if reg.extends.get(n) and n in declared]
    translate = [s for s in translate if s.tag and s.tag not in dropped]
    lib.chain = Chain(base="VkBaseInStructure", tag_field="sType", next_field="pNext",
                      sizes=sizes, translate=translate, drop=drop)

    _mark_callback_copies(lib, reg, declared)
    for spelling, canon in sorted(declared.items()):
        if spelling.startswith(("Vk", "StdVideo")):
            fe.note_record(canon)
    lib.records = sorted(fe.records.values(), key=lambda r: r.spelling)
