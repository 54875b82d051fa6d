"""Model -> the x86_64 guest stub library's C source.

Per exported function: a stub with the real name and prototype (the real
headers are included, so the compiler checks each stub against the official
declaration) that packs its arguments into a frame on its stack and issues
the magic syscall. Per callback signature: an invoker the host asks the guest
runtime to call. A constructor opens the library on the host at load time.
"""
import transport


def tdecl(ctype, name):
    return f"__typeof__({ctype.spelling}) {name}"


def fn_type(sig):
    """A pointer-to-function type for a callback signature."""
    return f"__typeof__({sig.key}) *"


GCOPY = """/* Guest copies of host memory a callback receives (strings, arrays of
 * structs holding strings): the game may hand them to a system call, and
 * QEMU rejects host memory there (EFAULT). Freed when the callback returns. */
struct lorelei_gcopy {
    struct lorelei_gcopy *next;
    _Alignas(16) char data[];
};
static void *gcopy_alloc(struct lorelei_gcopy **list, size_t size)
{
    struct lorelei_gcopy *b = malloc(sizeof(*b) + size);
    if (!b) {
        return NULL;
    }
    b->next = *list;
    *list = b;
    return b->data;
}
__attribute__((unused)) static const char *gcopy_string(const char *s, struct lorelei_gcopy **list)
{
    size_t n = s ? strlen(s) + 1 : 0;
    char *d = n ? gcopy_alloc(list, n) : NULL;
    return d ? memcpy(d, s, n) : s;
}
static void gcopy_free(struct lorelei_gcopy *list)
{
    while (list) {
        struct lorelei_gcopy *next = list->next;
        free(list);
        list = next;
    }
}
"""


def guest_copies(lib):
    """Every GuestCopy the invokers use, inner ones first."""
    seen, order = set(), []

    def visit(g):
        if g.spelling in seen:
            return
        seen.add(g.spelling)
        for _, t, _ in g.arrays:
            visit(t)
        order.append(g)
    for sig in lib.sigs:
        for p in sig.params:
            if p.guest_copy and p.guest_copy != "string":
                visit(p.guest_copy)
    return order


def gcopy_name(g):
    return "gcopy_" + "".join(c if c.isalnum() else "_" for c in g.spelling)


def emit_guest_copies(lib, out):
    if not any(p.guest_copy for sig in lib.sigs for p in sig.params):
        return
    out.append(GCOPY)
    for g in guest_copies(lib):
        out.append(f"static const {g.spelling} *{gcopy_name(g)}(const {g.spelling} *src, size_t n, "
                   "struct lorelei_gcopy **list)\n{")
        out.append(f"    {g.spelling} *d = src && n ? gcopy_alloc(list, n * sizeof(*d)) : NULL;")
        out.append("    if (!d) {\n        return src;\n    }")
        out.append("    memcpy(d, src, n * sizeof(*d));")
        out.append("    for (size_t i = 0; i < n; i++) {")
        for field in g.strings:
            out.append(f"        d[i].{field} = gcopy_string(d[i].{field}, list);")
        for field, t, count in g.arrays:
            c = f"d[i].{count}" if count else "1"
            out.append(f"        d[i].{field} = {gcopy_name(t)}(d[i].{field}, {c}, list);")
        out.append("    }\n    return d;\n}\n")


def emit_invoker(sig, out):
    args = []
    slot = 0
    copies = any(p.guest_copy for p in sig.params)
    for i, p in enumerate(sig.params):
        get = f"LORELEI_GET(__typeof__({p.spelling}), f, {slot})"
        if p.guest_copy == "string":
            get = f"gcopy_string({get}, &copies)"
        elif p.guest_copy:
            get = f"{gcopy_name(p.guest_copy)}({get}, 1, &copies)"
        args.append(get)
        slot += p.slots
    call = f"(({fn_type(sig)})(uintptr_t)fn)({', '.join(args)})"
    out.append(f"/* {sig.name}: {sig.key} */")
    out.append(f"static void lorelei_invoke_{sig.index}(uint64_t fn, uint64_t *f)\n{{")
    if copies:
        out.append("    struct lorelei_gcopy *copies = NULL;")
    if not sig.params and sig.ret.kind == "void":
        out.append("    (void)f;")
    if sig.ret.kind == "void":
        out.append(f"    {call};")
    else:
        out.append(f"    LORELEI_PUT(f, {slot}, ({sig.ret.spelling})({call}));")
    if copies:
        out.append("    gcopy_free(copies);")
    out.append("}\n")


def emit_stub(lib, f, out):
    # Parameters are a0, a1...: the header's names could collide with locals.
    # An array parameter keeps its declared bound, as the header has it.
    params = [f"__typeof__({p.type.param_decl}) a{i}" if p.type.param_decl else
              tdecl(p.type, f"a{i}") for i, p in enumerate(f.params)]
    if f.variadic:
        params.append("...")
    proto = f"{tdecl(f.ret, f.stub_name())}({', '.join(params) or 'void'})"
    # A wrapped stub is called by the hand-written function of the real name;
    # functions the real library does not export are reachable only through
    # the library's lookup (GetProcAddress), as natively.
    visibility = "hidden" if f.guest_wrapper or not f.exported else "default"
    out.append(f"__attribute__((visibility(\"{visibility}\"))) {proto}\n{{")
    body = []
    if f.printf >= 0:
        fmt = f"a{f.printf}"
        body.append(f"    va_list ap;\n    va_start(ap, {fmt});")
        body.append(f"    char *lorelei_msg = lorelei_vformat({fmt}, ap);")
        body.append("    va_end(ap);")
    inline = transport.inline_candidate(f)
    if inline:
        # A status slot in front of the frame for the inline transport.
        body.append(f"    uint64_t lorelei_fr[{f.frame_slots() + 1}] = {{0}};")
        body.append("    uint64_t *f = lorelei_fr + 1;")
    else:
        body.append(f"    uint64_t f[{f.frame_slots()}] = {{0}};")
    for i, p in enumerate(f.params):
        value = "(const char *)lorelei_msg" if i == f.printf else f"a{i}"
        body.append(f"    LORELEI_PUT(f, {f.slot_of(i)}, {value});")
    for i, p in enumerate(f.params):
        prep = (f.prepare or p.type.mapping.get("guest_prepare", "")) if p.type.mapping else ""
        if prep:
            body.append(f"    {prep}((void *)a{i});")
        # Mapped members of a struct passed by pointer (e.g. the Display* of
        # a surface create-info): the same preparation, one level deep.
        s = p.type.callback_struct
        for field, mapping in (s.mapped_fields if s else []):
            prep = f.prepare or mapping.get("guest_prepare", "")
            if prep:
                body.append(f"    if (a{i}) {{\n        {prep}((void *)a{i}->{field});\n    }}")
    # Ownership (overrides.py): take guest memory out of the host's hands
    # before a call that may free it; note what out-parameters the host may
    # fill held before, so only a block the host put there is copied.
    for i, hook in f.releases:
        body.append(f"    void *lorelei_release{i} = {hook}((void *)a{i});")
    for i, _ in f.out_owned:
        body.append(f"    void *lorelei_before{i} = a{i} ? (void *)*a{i} : NULL;")
    if inline:
        body.append(f"    LORELEI_CALL_INLINE(LORELEI_FN_ID({lib.id}, {f.index}), f, "
                    f"{f.frame_slots() - 1});")
    else:
        body.append(f"    lorelei_call(LORELEI_FN_ID({lib.id}, {f.index}), f);")
    for i, p in enumerate(f.params):
        if p.type.mapping and p.type.mapping.get("guest_after"):
            body.append(f"    {p.type.mapping['guest_after']}((void *)a{i});")
    for i, hook in f.keeps:
        body.append(f"    {hook}(LORELEI_GET(void *, f, {f.ret_slot()}), (void *)a{i});")
    for i, _ in f.releases:
        body.append(f"    if (lorelei_release{i}) {{\n        {lib.guest_free}(lorelei_release{i});"
                    "\n    }")
    for i, count in f.out_owned:
        body.append(f"    if (a{i} && *a{i} && (void *)*a{i} != lorelei_before{i}) {{")
        body.append(f"        __typeof__(*a{i}) host = *a{i};")
        body.append(f"        size_t n = (size_t)({count}) * sizeof(*host);")
        body.append(f"        __typeof__(*a{i}) copy = {lib.guest_alloc}(n ? n : 1);")
        body.append("        if (copy) {\n            memcpy(copy, host, n);\n        }")
        body.append(f"        *a{i} = copy;")
        body.append(f"        lorelei_{lib.cname}_host_free((void *)host);")
        body.append("    }")
    if f.printf >= 0:
        body.append("    free(lorelei_msg);")
    if f.errno:
        body.append(f"    errno = (int)f[{f.errno_slot()}];")
    host_free = ["        uint64_t g[2] = {0};", "        LORELEI_PUT(g, 0, (void *)host);",
                 f"        lorelei_call(LORELEI_FN_ID({lib.id}, {lib.host_free_index}), g);"]
    if f.returns_owned_string:
        body.append(f"    char *host = LORELEI_GET(char *, f, {f.ret_slot()});")
        body.append("    char *copy = NULL;")
        body.append("    if (host) {")
        body.append("        size_t len = strlen(host) + 1;")
        body.append(f"        if ((copy = {lib.guest_alloc}(len))) {{")
        body.append("            memcpy(copy, host, len);\n        }")
        body += host_free
        body.append("    }")
        body.append(f"    return ({f.ret.spelling})copy;")
    elif f.returns_owned:
        t = f"__typeof__({f.ret.spelling})"
        body.append(f"    {t} host = LORELEI_GET({t}, f, {f.ret_slot()});")
        body.append("    if (!host) {\n        return host;\n    }")
        body.append(f"    size_t n = (size_t)({f.returns_owned});")
        body.append(f"    {t} r = n ? {lib.guest_alloc}(n * sizeof(*host)) : NULL;")
        body.append("    if (r) {\n        memcpy(r, host, n * sizeof(*host));")
        if f.result_fixup:
            body.append(f"        {f.result_fixup};")
        body.append("    }\n    {")
        body += host_free
        body.append("    }\n    return r;")
    elif f.returns_static_string and f.string_list_if:
        body.append(f"    const char *host = LORELEI_GET(const char *, f, {f.ret_slot()});")
        body.append(f"    return ({f.ret.spelling})(({f.string_list_if}) ? "
                    "lorelei_guest_string_list(host) : lorelei_guest_string(host));")
    elif f.returns_static_string:
        body.append(f"    return ({f.ret.spelling})lorelei_guest_string("
                    f"LORELEI_GET(const char *, f, {f.ret_slot()}));")
    elif f.ret.kind != "void":
        body.append(f"    return LORELEI_GET(__typeof__({f.ret.spelling}), f, {f.ret_slot()});")
    out.extend(body)
    out.append("}\n")


def emit_lookup(lib, out):
    """name -> the stub's own function, for guest-side GetProcAddress; also
    the functions the stub does not export (reachable only this way)."""
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
    if lib.unsupported_extensions:
        # [library] unsupported_extensions: for the guest-side filters of
        # the extension lists the game enumerates.
        out.append("static const char *const lorelei_unsupported[] = {")
        out += [f"    \"{e}\"," for e in lib.unsupported_extensions]
        out.append("};")
        out.append(f"__attribute__((visibility(\"hidden\"))) int lorelei_{lib.cname}_unsupported"
                   "_extension(const char *name)\n{")
        out.append("    for (size_t i = 0; i < sizeof(lorelei_unsupported) / "
                   "sizeof(lorelei_unsupported[0]); i++) {")
        out.append("        if (strcmp(lorelei_unsupported[i], name) == 0) {\n"
                   "            return 1;\n        }\n    }\n    return 0;\n}\n")


def emit(lib, source_name, abi, asm_names=frozenset()):
    """The C source; stubs named in asm_names are left to emit_guest_asm.
    abi: abi_constants.Abi, the numbers the assembly stubs were written with."""
    out = [f"/* Generated by thunkgen from {source_name}: do not edit. */"]
    out += [f"#define {d}" for d in lib.defines]
    out += ["/* Deprecated functions are part of the ABI too. */",
           "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"",
           "#include <errno.h>", "#include <stdarg.h>", "#include <stdint.h>",
           "#include <stdlib.h>", "#include <string.h>"]
    out += [f"#include <{h}>" for h in lib.includes]
    out += [p for p in lib.prototypes]
    out += ['#include "lorelei-guest.h"']
    out += [f"#include \"{h}\"" for h in lib.guest_includes]
    out.append(f"_Static_assert(LORELEI_SYSCALL_NR == {abi.syscall_nr:#x} && LORELEI_OP_CALL == "
               f"{abi.op_call} && LORELEI_FN_INDEX_BITS == {abi.index_bits}, \"generated for "
               f"another lorelei/abi.h (the assembly stubs have these numbers): regenerate\");")
    out.append(f"_Static_assert(LORELEI_INLINE_MAX_FRAME_SLOTS == {abi.inline_max_frame_slots} && "
               f"LORELEI_INLINE_MARKER_SIZE == {len(abi.inline_marker)}, \"generated for another "
               "lorelei/abi.h (inline transport): regenerate\");")
    out.append("")
    preps = {f.prepare for f in lib.functions if f.prepare}
    preps |= {ct.mapping["guest_prepare"] for f in lib.functions
              for ct in [p.type for p in f.params] if ct.mapping and "guest_prepare" in ct.mapping}
    preps |= {ct.mapping["guest_after"] for f in lib.functions
              for ct in [p.type for p in f.params] if ct.mapping and "guest_after" in ct.mapping}
    preps |= {m["guest_prepare"] for f in lib.functions for p in f.params
              if p.type.callback_struct for _, m in p.type.callback_struct.mapped_fields
              if "guest_prepare" in m}
    out += [f"void {name}(void *value);" for name in sorted(preps)]
    out += [f"void {h}(void *result, void *kept);" for h in sorted({h for f in lib.functions
                                                                      for _, h in f.keeps})]
    out += [f"void *{h}(void *value);" for h in sorted({h for f in lib.functions
                                                          for _, h in f.releases})]
    if any(f.out_owned for f in lib.functions):
        out.append(f"void lorelei_{lib.cname}_host_free(void *p);")
    emit_guest_copies(lib, out)
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
    for f in lib.functions:
        if f.frees >= 0:
            # frees: the block is a guest copy this stub made (overrides.py).
            p = f.params[f.frees]
            out.append(f"__attribute__((visibility(\"default\"))) void {f.name}"
                       f"({tdecl(p.type, 'a0')})\n{{")
            out.append(f"    {lib.guest_free}((void *)a0);\n}}\n")
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
