"""Model -> the x86_64 guest stub library's C source.

Per exported function: a stub with the real name and prototype (the real
headers are included, so the compiler checks each stub against the official
declaration) that packs its arguments into a frame on its stack and issues
the magic syscall. Per callback signature: an invoker the host asks the guest
runtime to call. A constructor opens the library on the host at load time.
"""


def tdecl(ctype, name):
    return f"__typeof__({ctype.spelling}) {name}"


def fn_type(sig):
    """A pointer-to-function type for a callback signature."""
    return f"__typeof__({sig.key}) *"


def emit_invoker(sig, out):
    args = []
    slot = 0
    for i, p in enumerate(sig.params):
        args.append(f"LORELEI_GET(__typeof__({p.spelling}), f, {slot})")
        slot += p.slots
    call = f"(({fn_type(sig)})(uintptr_t)fn)({', '.join(args)})"
    out.append(f"/* {sig.name}: {sig.key} */")
    out.append(f"static void lorelei_invoke_{sig.index}(uint64_t fn, uint64_t *f)\n{{")
    if not sig.params and sig.ret.kind == "void":
        out.append("    (void)f;")
    if sig.ret.kind == "void":
        out.append(f"    {call};")
    else:
        out.append(f"    LORELEI_PUT(f, {slot}, ({sig.ret.spelling})({call}));")
    out.append("}\n")


def emit_stub(lib, f, out):
    # Parameters are a0, a1...: the header's names could collide with locals.
    # An array parameter keeps its declared bound, as the header has it.
    params = [f"__typeof__({p.type.param_decl}) a{i}" if p.type.param_decl else
              tdecl(p.type, f"a{i}") for i, p in enumerate(f.params)]
    if f.variadic:
        params.append("...")
    proto = f"{tdecl(f.ret, f.stub_name())}({', '.join(params) or 'void'})"
    # A wrapped stub is called by the hand-written function of the real name.
    visibility = "hidden" if f.guest_wrapper else "default"
    out.append(f"__attribute__((visibility(\"{visibility}\"))) {proto}\n{{")
    body = []
    if f.printf >= 0:
        fmt = f"a{f.printf}"
        body.append(f"    va_list ap;\n    va_start(ap, {fmt});")
        body.append(f"    char *lorelei_msg = lorelei_vformat({fmt}, ap);")
        body.append("    va_end(ap);")
    body.append(f"    uint64_t f[{f.frame_slots()}] = {{0}};")
    for i, p in enumerate(f.params):
        value = "(const char *)lorelei_msg" if i == f.printf else f"a{i}"
        body.append(f"    LORELEI_PUT(f, {f.slot_of(i)}, {value});")
    for i, p in enumerate(f.params):
        prep = (f.prepare or p.type.mapping.get("guest_prepare", "")) if p.type.mapping else ""
        if prep:
            body.append(f"    {prep}((void *)a{i});")
    body.append(f"    lorelei_call(LORELEI_FN_ID({lib.id}, {f.index}), f);")
    for i, p in enumerate(f.params):
        if p.type.mapping and p.type.mapping.get("guest_after"):
            body.append(f"    {p.type.mapping['guest_after']}((void *)a{i});")
    if f.printf >= 0:
        body.append("    free(lorelei_msg);")
    if f.errno:
        body.append(f"    errno = (int)f[{f.errno_slot()}];")
    host_free = ["        uint64_t g[2] = {0};", "        LORELEI_PUT(g, 0, (void *)host);",
                 f"        lorelei_call(LORELEI_FN_ID({lib.id}, {lib.host_free_index}), g);"]
    if f.returns_owned_string:
        body.append(f"    char *host = LORELEI_GET(char *, f, {f.ret_slot()});")
        body.append("    char *copy = host ? strdup(host) : NULL;")
        body.append("    if (host) {")
        body += host_free
        body.append("    }")
        body.append(f"    return ({f.ret.spelling})copy;")
    elif f.returns_owned:
        t = f"__typeof__({f.ret.spelling})"
        body.append(f"    {t} host = LORELEI_GET({t}, f, {f.ret_slot()});")
        body.append("    if (!host) {\n        return host;\n    }")
        body.append(f"    size_t n = (size_t)({f.returns_owned});")
        body.append(f"    {t} r = n ? malloc(n * sizeof(*host)) : NULL;")
        body.append("    if (r) {\n        memcpy(r, host, n * sizeof(*host));")
        if f.result_fixup:
            body.append(f"        {f.result_fixup};")
        body.append("    }\n    {")
        body += host_free
        body.append("    }\n    return r;")
    elif f.returns_static_string:
        body.append(f"    return ({f.ret.spelling})lorelei_guest_string("
                    f"LORELEI_GET(const char *, f, {f.ret_slot()}));")
    elif f.ret.kind != "void":
        body.append(f"    return LORELEI_GET(__typeof__({f.ret.spelling}), f, {f.ret_slot()});")
    out.extend(body)
    out.append("}\n")


def emit_lookup(lib, out):
    """name -> the stub's own function, for guest-side GetProcAddress."""
    exports = [f for f in lib.functions if not f.name.startswith("__")]
    out.append("static const struct lorelei_export { const char *name; void *fn; } "
               "lorelei_exports[] = {")
    out += [f"    {{\"{f.name}\", (void *){f.name}}}," for f in exports]
    out.append("};")
    out.append("static int lorelei_export_cmp(const void *key, const void *entry)\n{")
    out.append("    return strcmp(key, ((const struct lorelei_export *)entry)->name);\n}")
    out.append(f"__attribute__((visibility(\"hidden\"))) void *lorelei_{lib.cname}_lookup("
               "const char *name)\n{")
    out.append("    const struct lorelei_export *e = bsearch(name, lorelei_exports, "
               f"{len(exports)}, sizeof(lorelei_exports[0]), lorelei_export_cmp);")
    out.append("    return e ? e->fn : NULL;\n}\n")


def emit(lib, source_name, asm_names=frozenset()):
    """The C source; stubs named in asm_names are left to emit_guest_asm."""
    out = [f"/* Generated by thunkgen from {source_name}: do not edit. */",
           "/* Deprecated functions are part of the ABI too. */",
           "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"",
           "#include <errno.h>", "#include <stdarg.h>", "#include <stdint.h>",
           "#include <stdlib.h>", "#include <string.h>"]
    out += [f"#include <{h}>" for h in lib.includes]
    out += [p for p in lib.prototypes]
    out += ['#include "lorelei-guest.h"']
    out += [f"#include \"{h}\"" for h in lib.guest_includes]
    out.append("")
    preps = {f.prepare for f in lib.functions if f.prepare}
    preps |= {ct.mapping["guest_prepare"] for f in lib.functions
              for ct in [p.type for p in f.params] if ct.mapping and "guest_prepare" in ct.mapping}
    preps |= {ct.mapping["guest_after"] for f in lib.functions
              for ct in [p.type for p in f.params] if ct.mapping and "guest_after" in ct.mapping}
    out += [f"void {name}(void *value);" for name in sorted(preps)]
    for sig in lib.sigs:
        emit_invoker(sig, out)
    if lib.sigs:
        out.append("static const uint64_t lorelei_invokers[] = {")
        out += [f"    (uint64_t)(uintptr_t)lorelei_invoke_{s.index}," for s in lib.sigs]
        out.append("};\n")
    else:
        out.append("static const uint64_t *const lorelei_invokers = NULL;\n")
    for f in lib.thunked():
        # __lorelei_host_free is internal: called by index only.
        if f.name != "__lorelei_host_free" and f.name not in asm_names:
            emit_stub(lib, f, out)
    emit_lookup(lib, out)
    if lib.host_free_index >= 0:
        out.append(f"/* Frees host memory with the library's {lib.host_free}, for guest code that")
        out.append(" * copied it into guest memory. */")
        out.append(f"__attribute__((visibility(\"hidden\"))) void lorelei_{lib.cname}_host_free(void *p)\n{{")
        out.append("    uint64_t g[2] = {0};\n    LORELEI_PUT(g, 0, p);")
        out.append(f"    lorelei_call(LORELEI_FN_ID({lib.id}, {lib.host_free_index}), g);\n}}\n")
    out.append("__attribute__((constructor)) static void lorelei_open_library(void)\n{")
    out.append(f"    lorelei_lib_open({lib.id}, {len(lib.thunked())}, 0x{lib.api_hash():016x}ull, "
               f"lorelei_invokers, {len(lib.sigs)}, \"{lib.name}\", \"{lib.guest_soname}\");")
    out.append("}")
    return "\n".join(out) + "\n"
