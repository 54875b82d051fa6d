"""C headers -> model, with libclang (Debian's python3-clang-14).

The headers are parsed for the guest's target (x86_64-linux-gnu): sizes,
alignments and field offsets are the guest's, and the host checks its own
against them with static asserts (a layout difference fails the build).
"""
import os
import subprocess

import clang.cindex as ci

from ir import CType, CallbackSig, Function, Param, Record, StructInfo

GUEST_TARGET = "x86_64-linux-gnu"

INT_KINDS = {
    ci.TypeKind.BOOL, ci.TypeKind.CHAR_U, ci.TypeKind.UCHAR, ci.TypeKind.CHAR16,
    ci.TypeKind.CHAR32, ci.TypeKind.USHORT, ci.TypeKind.UINT, ci.TypeKind.ULONG,
    ci.TypeKind.ULONGLONG, ci.TypeKind.CHAR_S, ci.TypeKind.SCHAR, ci.TypeKind.WCHAR,
    ci.TypeKind.SHORT, ci.TypeKind.INT, ci.TypeKind.LONG, ci.TypeKind.LONGLONG,
    ci.TypeKind.ENUM,
}
FLOAT_KINDS = {ci.TypeKind.FLOAT, ci.TypeKind.DOUBLE}
FUNCTION_KINDS = {ci.TypeKind.FUNCTIONPROTO, ci.TypeKind.FUNCTIONNOPROTO}
ARRAY_KINDS = {ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY}


# Defined by the linker in every shared object; not part of any API.
# Symbols the linker defines in every shared object: no API. GNU ld for
# aarch64 adds the __bss_end__ family (arm64 Debian's libSDL2 and libGL
# export them), which would otherwise read as data the stub cannot forward.
LINKER_SYMBOLS = {"__bss_start", "_edata", "_end", "_init", "_fini",
                  "__bss_start__", "__bss_end__", "_bss_end__", "__end__"}


class FrontendError(Exception):
    pass


def _dynamic_symbols(library_path):
    """(type, name, version) of every defined dynamic symbol (nm -D); version
    is the default version (name@@VERSION) or None. The version nodes
    themselves (absolute symbols named like their version) are left out."""
    out = subprocess.run(["nm", "-D", "--defined-only", library_path], check=True,
                         capture_output=True, text=True).stdout
    symbols = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        kind, name = parts[1], parts[2]
        version = None
        if "@@" in name:
            name, version = name.split("@@", 1)
        elif "@" in name:
            # An older, non-default version (name@VERSION): a stub cannot
            # carry it without .symver aliases, which nothing needs yet.
            raise FrontendError(f"{library_path} exports {name}, a non-default symbol version")
        if kind == "A" and version is None:
            continue  # a version node (ZLIB_1.2.9)
        if name in LINKER_SYMBOLS:
            continue
        symbols.append((kind, name, version))
    return symbols


def exported_functions(library_path):
    """Names of the functions the real library exports (nm -D)."""
    names, others = [], []
    for kind, name, _ in _dynamic_symbols(library_path):
        (names if kind in "TWi" else others).append(name)
    return sorted(set(names)), sorted(set(others))


def symbol_versions(library_path):
    """{version: [names]} of the library's versioned exports: the stub gives
    each the same version, or the guest's loader warns, for every program
    linked against the real library, that it has no version information."""
    versions = {}
    for _, name, version in _dynamic_symbols(library_path):
        if version:
            versions.setdefault(version, set()).add(name)
    return {v: sorted(n) for v, n in sorted(versions.items())}


class ClangFrontend:
    def __init__(self, lib, includes, include_dirs, extra_args, prototypes):
        self.lib = lib
        self.sigs = {}
        self.records = {}
        source = "".join(f"#include <{h}>\n" for h in includes) + "".join(
            p + "\n" for p in prototypes)
        args = ["-target", GUEST_TARGET, "-std=gnu11", "-D_GNU_SOURCE"]
        args += [f"-I{d}" for d in include_dirs] + list(extra_args)
        index = ci.Index.create()
        self.tu = index.parse("lorelei_api.c", args=args, unsaved_files=[("lorelei_api.c", source)],
                              options=ci.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES)
        errors = [d for d in self.tu.diagnostics if d.severity >= ci.Diagnostic.Error]
        if errors:
            e = FrontendError("parsing the headers failed:\n" + "\n".join(str(d) for d in errors))
            # Lines of the generated source (includes, then one prototype a
            # line) that failed, for frontends that can name what they were.
            e.lines = [d.location.line for d in errors
                       if d.location.file and d.location.file.name == "lorelei_api.c"]
            raise e
        self.decls = {}
        for c in self.tu.cursor.get_children():
            if c.kind == ci.CursorKind.FUNCTION_DECL and c.spelling not in self.decls:
                self.decls[c.spelling] = c

    def declared_by_us(self, name):
        """True if only the given prototypes declare `name`, no header."""
        c = self.decls.get(name)
        return c is not None and c.location.file is not None and \
            c.location.file.name == "lorelei_api.c"

    # ---- types -------------------------------------------------------------

    def sig_for(self, fntype, name_hint):
        canon = fntype.get_canonical()
        key = canon.spelling
        sig = self.sigs.get(key)
        if sig is None:
            if canon.kind == ci.TypeKind.FUNCTIONNOPROTO:
                raise FrontendError(f"callback type {key} has no prototype")
            params = [self.ctype(a, f"{name_hint} parameter", in_callback=True)
                      for a in fntype.argument_types()]
            if fntype.is_function_variadic():
                raise FrontendError(f"variadic callback type {key} ({name_hint}) is not supported")
            ret = self.ctype(fntype.get_result(), f"{name_hint} result", in_callback=True)
            sig = CallbackSig(key=key, ret=ret, params=params, name=name_hint)
            self.sigs[key] = sig
            self.lib.sigs.append(sig)
        return sig

    def struct_info(self, record_type):
        """The struct's function-pointer fields, or None if it has none."""
        decl = record_type.get_canonical().get_declaration()
        fields = []
        for fld in decl.get_children():
            if fld.kind != ci.CursorKind.FIELD_DECL:
                continue
            ft = fld.type.get_canonical()
            if ft.kind == ci.TypeKind.POINTER and ft.get_pointee().kind in FUNCTION_KINDS:
                fields.append((fld.spelling, self.sig_for(
                    ft.get_pointee(), f"{record_type.spelling}.{fld.spelling}")))
        if not fields:
            return None
        spelling = record_type.spelling.replace("const ", "").strip()
        canon = record_type.get_canonical().spelling.replace("const ", "").strip()
        identity = all(sig.params and sig.params[0].canonical.replace("const ", "").strip()
                       == canon + " *" for _, sig in fields)
        info = StructInfo(spelling=spelling, fnptr_fields=fields, identity=identity)
        if identity:
            for _, sig in fields:
                sig.self_struct = info
        return info

    def ctype(self, t, where, in_callback=False):
        ct = self._ctype(t, where, in_callback)
        ct.canonical = t.get_canonical().spelling
        if t.is_const_qualified():
            # A top-level const (`const int n`) says nothing about the value
            # and would make the frame's temporaries read-only.
            s = ct.spelling
            s = s[6:] if s.startswith("const ") else s[:-6] if s.endswith(" const") else \
                s[:-5] if s.endswith("*const") else s
            ct.spelling = s
        return ct

    def _ctype(self, t, where, in_callback=False):
        canon = t.get_canonical()
        k = canon.kind
        size, align = max(canon.get_size(), 0), max(canon.get_align(), 1)
        if k == ci.TypeKind.VOID:
            return CType(t.spelling, "void")
        if k in INT_KINDS:
            return CType(t.spelling, "int", size, align)
        if k in FLOAT_KINDS:
            return CType(t.spelling, "float", size, align)
        if k in ARRAY_KINDS:
            # A parameter declared as an array is a pointer to its (sugared,
            # qualified) element type: "const GLdouble m[16]" -> const GLdouble *.
            elem = t.get_array_element_type() if t.kind in ARRAY_KINDS else \
                canon.get_array_element_type()
            return CType(f"__typeof__({elem.spelling}) *", "ptr", 8, 8,
                         pointee_const=elem.is_const_qualified(), param_decl=t.spelling)
        if k == ci.TypeKind.POINTER:
            pointee = canon.get_pointee()
            if pointee.kind in FUNCTION_KINDS:
                if in_callback:
                    return CType(t.spelling, "ptr", 8, 8)  # not translated (documented limit)
                # The canonical prototype: typedef sugar is lost, but its
                # spellings ("unsigned char *") are valid C on both sides.
                hint = t.spelling if t.kind == ci.TypeKind.TYPEDEF else where
                return CType(t.spelling, "fnptr", 8, 8, sig=self.sig_for(pointee, hint))
            ctype = CType(t.spelling, "ptr", 8, 8, pointee_const=pointee.is_const_qualified())
            if in_callback:
                return ctype
            inner = pointee.get_canonical()
            if inner.kind == ci.TypeKind.POINTER and inner.get_pointee().kind in FUNCTION_KINDS:
                ctype.fnptr_out = self.sig_for(inner.get_pointee(), where)
            elif inner.kind == ci.TypeKind.RECORD and inner.get_size() > 0:
                self.note_record(inner)
                sugared_pointee = t.get_pointee() if t.kind == ci.TypeKind.POINTER else pointee
                ctype.callback_struct = self.struct_info(sugared_pointee)
            return ctype
        if k == ci.TypeKind.RECORD:
            self.note_record(canon)
            ctype = CType(t.spelling, "record", size, align)
            if not in_callback:
                ctype.value_callbacks = self.struct_info(t)
            return ctype
        return CType(t.spelling, "unsupported", size, align)

    def note_record(self, rtype, depth=0):
        """Remember a struct whose layout guest and host must share."""
        canon = rtype.get_canonical()
        spelling = canon.spelling
        # Compiler-internal records (struct __va_list_tag) have no portable name.
        if canon.get_size() <= 0 or "(unnamed" in spelling or "(anonymous" in spelling \
                or spelling.split()[-1].startswith("__") \
                or spelling in self.records or depth > 8:
            return
        fields = []
        rec = Record(spelling=spelling, size=canon.get_size(), align=canon.get_align(),
                     fields=fields)
        self.records[spelling] = rec
        for fld in canon.get_declaration().get_children():
            if fld.kind != ci.CursorKind.FIELD_DECL or not fld.spelling or fld.is_bitfield():
                continue
            offset = canon.get_offset(fld.spelling)
            if offset >= 0:
                fields.append((fld.spelling, offset // 8))
            ft = fld.type.get_canonical()
            while ft.kind in ARRAY_KINDS:
                ft = ft.get_array_element_type().get_canonical()
            if ft.kind == ci.TypeKind.RECORD:
                self.note_record(ft, depth + 1)
            elif ft.kind == ci.TypeKind.POINTER and ft.get_pointee().get_canonical().kind == \
                    ci.TypeKind.RECORD:
                self.note_record(ft.get_pointee(), depth + 1)

    # ---- functions ---------------------------------------------------------

    def function(self, name):
        c = self.decls.get(name)
        if c is None:
            return None
        t = c.type
        if t.kind == ci.TypeKind.FUNCTIONNOPROTO:
            raise FrontendError(f"{name} is declared without a prototype")
        params = [Param(a.spelling or f"a{i}", self.ctype(a.type, f"{name}() parameter {i}"))
                  for i, a in enumerate(c.get_arguments())]
        ret = self.ctype(t.get_result(), f"{name}() result")
        f = Function(name=name, ret=ret, params=params, variadic=t.is_function_variadic())
        for what, ct in [("result", ret)] + [(p.name, p.type) for p in params]:
            if ct.kind == "unsupported":
                f.guest = True  # must be implemented by hand; checked by the caller
                f.unsupported = f"{what} has type {ct.spelling}"
        return f


def build(lib, lib_cfg, fn_overrides, symbols_from):
    includes = lib_cfg["includes"]
    prototypes = [t["prototype"] for t in fn_overrides.values() if "prototype" in t]
    # [library] defines: the header parser sees what both halves compile with.
    args = [f"-D{d}" for d in lib_cfg.get("defines", [])] + lib_cfg.get("clang_args", [])
    fe = ClangFrontend(lib, includes, lib_cfg.get("include_dirs", []), args, prototypes)
    mode = lib_cfg.get("symbols", "exports")
    if mode == "exports":
        if not symbols_from or not os.path.exists(symbols_from):
            raise FrontendError(f"symbols = \"exports\" needs the host library; not found: {symbols_from}")
        names, data = exported_functions(symbols_from)
        if data:
            raise FrontendError(f"{symbols_from} exports data symbols the stub cannot forward: "
                                + ", ".join(data))
    elif mode == "header":
        prefix = lib_cfg.get("prefix", "")
        names = sorted(n for n in fe.decls if n.startswith(prefix))
    else:
        raise FrontendError(f"symbols = \"{mode}\": expected \"exports\" or \"header\"")
    missing = []
    for name in names:
        if "unsupported" in fn_overrides.get(name, {}):
            continue
        f = fe.function(name)
        if f is None:
            missing.append(name)
            continue
        lib.functions.append(f)
    if missing:
        raise FrontendError(
            f"{len(missing)} exported function(s) have no declaration in {', '.join(includes)}: "
            + ", ".join(missing) + ". Give each a [functions.NAME] prototype = \"...\" override.")
    lib.records = sorted(fe.records.values(), key=lambda r: r.spelling)
