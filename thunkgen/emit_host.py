"""Model -> the host half, compiled into the plugin: layout asserts, the
thunks (one per distinct signature shape: a thunk gets the native function
as a parameter, so glUniform1i and glBindBuffer share one), trampolines for
every callback signature and the library's manifest (struct lorelei_host_lib).
"""
import transport


def cname(s):
    return "".join(c if c.isalnum() else "_" for c in s)


def emit_asserts(lib, out):
    out.append("/* The guest's (x86_64) layouts, which the host must share bit for bit. */")
    for r in lib.records:
        what = r.spelling.replace('"', "")
        out.append(f"_Static_assert(sizeof({r.spelling}) == {r.size} && _Alignof({r.spelling}) == "
                   f"{r.align}, \"{what}: size/alignment differ between guest and host\");")
        for name, offset in r.fields:
            out.append(f"_Static_assert(__builtin_offsetof({r.spelling}, {name}) == {offset}, "
                       f"\"{what}.{name}: offset differs between guest and host\");")
    out.append("")


def emit_trampolines(lib, sig, out, slots):
    """slots: LORELEI_CALLBACK_SLOTS, read from plugin/lorelei-host.h."""
    v = lib.symbol
    out.append(f"/* {sig.name}: {sig.key} */")
    out.append(f"static _Atomic uint64_t guest_fns_{sig.index}[{slots}];")
    params = ", ".join(f"__typeof__({p.spelling}) a{i}" for i, p in enumerate(sig.params)) or "void"
    for k in range(slots):
        out.append(f"static __typeof__({sig.ret.spelling}) cb_{sig.index}_{k}({params})\n{{")
        out.append(f"    uint64_t f[{sig.frame_slots()}] = {{0}};")
        slot = 0
        for i, p in enumerate(sig.params):
            if i == 0 and sig.self_struct:
                # The host calls back with its shadow; the guest gets its own object.
                out.append(f"    LORELEI_PUT(f, 0, (__typeof__(a0))lorelei_shadow_original((void *)a0));")
            else:
                out.append(f"    LORELEI_PUT(f, {slot}, a{i});")
            slot += p.slots
        out.append(f"    lorelei_call_guest(&{v}, {sig.index}, atomic_load_explicit("
                   f"&guest_fns_{sig.index}[{k}], memory_order_relaxed), f);")
        if sig.ret.kind != "void":
            out.append(f"    return LORELEI_GET(__typeof__({sig.ret.spelling}), f, {slot});")
        out.append("}")
    out.append(f"static void *const trampolines_{sig.index}[{slots}] = {{")
    for k in range(0, slots, 8):
        out.append("    " + " ".join(f"(void *)cb_{sig.index}_{j}," for j in range(k, k + 8)))
    out.append("};\n")


# Spellings the ABI passes identically wherever they appear: thunks whose
# arguments differ only in typedef names share one body.
BUILTIN = {"char", "signed char", "unsigned char", "short", "unsigned short", "int",
           "unsigned int", "long", "unsigned long", "long long", "unsigned long long", "_Bool",
           "float", "double"}


def host_mapped(t):
    """The value stands for a different object on the host ([types] to_host);
    an entry with only guest-side hooks leaves the value as it is."""
    return bool(t.mapping and "to_host" in t.mapping)


def call_type(t):
    """The type a thunk passes a value as: plain data pointers as void *,
    builtin scalars by their canonical name, anything else as declared."""
    if t.kind == "ptr" and not host_mapped(t):
        return "void *"
    if t.kind in ("int", "float") and t.canonical in BUILTIN and not host_mapped(t):
        return t.canonical
    return f"__typeof__({t.spelling})"


ARENA = """/* Scratch memory for one call's shadow copies: on the stack, growing
 * into malloc'ed blocks for big structures; freed when the call returns. */
struct lorelei_arena {
    char *next, *end;
    void *blocks;
    _Alignas(16) char first[1024];
};
static void arena_init(struct lorelei_arena *a)
{
    a->next = a->first;
    a->end = a->first + sizeof(a->first);
    a->blocks = NULL;
}
static void *arena_alloc(struct lorelei_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if ((size_t)(a->end - a->next) < size) {
        size_t n = size > 4096 ? size : 4096;
        void **b = malloc(16 + n);
        if (!b) {
            fprintf(stderr, "qemu-lorelei: out of memory translating a structure for the host\\n");
            abort();
        }
        b[0] = a->blocks;
        a->blocks = b;
        a->next = (char *)b + 16;
        a->end = a->next + n;
    }
    void *p = a->next;
    a->next += size;
    return p;
}
static void arena_free(struct lorelei_arena *a)
{
    while (a->blocks) {
        void **b = a->blocks;
        a->blocks = b[0];
        free(b);
    }
}
"""


def deep_structs(lib):
    """Every deep StructInfo reachable from parameters and chains, once."""
    seen, order = {}, []

    def visit(s):
        if s.spelling in seen:
            return
        seen[s.spelling] = s
        for _, t, _ in s.struct_fields:
            visit(t)
        order.append(s)
    for f in lib.thunked():
        for p in f.params:
            s = p.type.callback_struct
            if s and s.deep:
                visit(s)
    for s in (lib.chain.translate if lib.chain else []):
        visit(s)
    return order


def emit_deep(lib, out):
    """copy_S(src, n, arena): a shadow copy of n structs S with every guest
    value translated; fix_S translates one copy's own members; the chain
    walker copies a chain up to its last node needing translation."""
    structs = deep_structs(lib)
    if not structs:
        return
    v, ch = lib.symbol, lib.chain
    out.append(ARENA)
    if ch:
        out.append("static const void *shadow_chain(const void *head, struct lorelei_arena *a);")
    for s in structs:
        n = cname(s.spelling)
        out.append(f"static void fix_{n}({s.spelling} *d, struct lorelei_arena *a);")
        out.append(f"static const {s.spelling} *copy_{n}(const {s.spelling} *src, size_t n, "
                   "struct lorelei_arena *a);")
    out.append("")
    for s in structs:
        n = cname(s.spelling)
        out.append(f"static void fix_{n}({s.spelling} *d, struct lorelei_arena *a)\n{{")
        out.append("    (void)d, (void)a;")
        for field, sig in s.fnptr_fields:
            out.append(f"    d->{field} = (__typeof__(d->{field}))lorelei_host_callback(&{v}, "
                       f"{sig.index}, (uint64_t)(uintptr_t)d->{field});")
        for field, m in s.mapped_fields:
            out.append(f"    d->{field} = (__typeof__(d->{field})){m['to_host']}("
                       f"(uint64_t)(uintptr_t)d->{field});")
        for field, t, count in s.struct_fields:
            c = f"(size_t)d->{count}" if count else "1"
            out.append(f"    d->{field} = copy_{cname(t.spelling)}(d->{field}, {c}, a);")
        out.append("}")
        # Chain nodes are copied by the chain walker: their copy_ may be unused.
        out.append(f"__attribute__((unused)) static const {s.spelling} *copy_{n}("
                   f"const {s.spelling} *src, size_t n, struct lorelei_arena *a)\n{{")
        out.append("    if (!src || !n) {\n        return src;\n    }")
        out.append(f"    {s.spelling} *d = arena_alloc(a, n * sizeof(*d));")
        out.append("    memcpy(d, src, n * sizeof(*d));")
        out.append("    for (size_t i = 0; i < n; i++) {")
        out.append(f"        fix_{n}(&d[i], a);")
        if s.chain_field:
            out.append(f"        d[i].{s.chain_field} = (__typeof__(d[i].{s.chain_field}))"
                       f"shadow_chain(d[i].{s.chain_field}, a);")
        out.append("    }\n    return d;\n}\n")
    if ch:
        emit_chain(lib, ch, out)


def emit_chain(lib, ch, out):
    b, tag, nxt = ch.base, ch.tag_field, ch.next_field
    out.append("enum { CHAIN_SHARE, CHAIN_FIX, CHAIN_DROP };")
    out.append(f"static int chain_kind(int tag)\n{{\n    switch (tag) {{")
    for s in ch.translate:
        out.append(f"    case {s.tag}:")
    if ch.translate:
        out.append("        return CHAIN_FIX;")
    for t, _ in ch.drop:
        out.append(f"    case {t}:")
    if ch.drop:
        out.append("        return CHAIN_DROP;")
    out.append("    default:\n        return CHAIN_SHARE;\n    }\n}")
    out.append("static size_t chain_size(int tag)\n{\n    switch (tag) {")
    for t, spelling in ch.sizes:
        out.append(f"    case {t}:\n        return sizeof({spelling});")
    out.append("    default:\n        return 0;\n    }\n}")
    out.append("static void chain_fix(void *node, struct lorelei_arena *a)\n{")
    out.append(f"    switch (((const {b} *)node)->{tag}) {{")
    for s in ch.translate:
        out.append(f"    case {s.tag}:\n        fix_{cname(s.spelling)}(node, a);\n        break;")
    out.append("    default:\n        break;\n    }\n}")
    out.append(f"""/* The chain as the host must see it: shared as it is when no node needs
 * translating, else copied up to the last node that does. */
static const void *shadow_chain(const void *head, struct lorelei_arena *a)
{{
    const {b} *last = NULL;
    for (const {b} *p = head; p; p = p->{nxt}) {{
        if (chain_kind(p->{tag}) != CHAIN_SHARE) {{
            last = p;
        }}
    }}
    if (!last) {{
        return head;
    }}
    const void *out = NULL;
    {b} *tail = NULL;
    for (const {b} *p = head;; p = p->{nxt}) {{
        int kind = chain_kind(p->{tag});
        size_t size = chain_size(p->{tag});
        if (kind == CHAIN_DROP || !size) {{
            fprintf(stderr, "qemu-lorelei: %s: dropped a structure of type %d from an extension "
                            "chain: qemu-lorelei %s\\n", "{lib.name}", (int)p->{tag},
                    size ? "does not support its extension (docs/{lib.name}.md)"
                         : "does not know it (newer than the registry it was built from)");
        }} else {{
            {b} *d = arena_alloc(a, size);
            memcpy(d, p, size);
            if (kind == CHAIN_FIX) {{
                chain_fix(d, a);
            }}
            if (tail) {{
                tail->{nxt} = d;
            }} else {{
                out = d;
            }}
            tail = d;
        }}
        if (p == last) {{
            break;
        }}
    }}
    if (tail) {{
        tail->{nxt} = last->{nxt};
    }} else {{
        out = last->{nxt};
    }}
    return out;
}}
""")


def thunk_body(lib, f):
    """The thunk's C text after its name: it depends on the signature's shape
    (and annotations), not on the function, so functions of one shape share
    it. The native function arrives as a parameter."""
    v = lib.symbol
    out = ["(uint64_t *f, void *native)\n{"]
    if f.name == "__lorelei_host_free":
        # natives[] holds the library's own free function (see the table).
        out.append("    ((void (*)(void *))native)(LORELEI_GET(void *, f, 0));")
        out.append("    return 0;\n}")
        return "\n".join(out)
    if not f.params and f.ret.kind == "void":
        out.append("    (void)f;")
    ptypes = [call_type(p.type) for p in f.params]
    if f.variadic:
        ptypes.append("...")
    ret = call_type(f.ret) if f.ret.kind != "void" else "void"
    if f.host_impl:
        target = f.host_impl
    else:
        out.append(f"    {ret} (*fn)({', '.join(ptypes) or 'void'}) = "
                   f"({ret} (*)({', '.join(ptypes) or 'void'}))native;")
        target = "fn"
    args, after = [], []
    deep = any(p.type.callback_struct and p.type.callback_struct.deep for p in f.params)
    if deep:
        out.append("    struct lorelei_arena arena;\n    arena_init(&arena);")
    if f.host_impl:
        args.append("native")
    for i, p in enumerate(f.params):
        t, slot = p.type, f.slot_of(i)
        get = f"LORELEI_GET(__typeof__({t.spelling}), f, {slot})"
        if i == f.printf:
            args += ['"%s"', f"LORELEI_GET(const char *, f, {slot})"]
        elif host_mapped(t):
            args.append(f"(__typeof__({t.spelling})){t.mapping['to_host']}("
                        f"LORELEI_GET(uint64_t, f, {slot}))")
        elif t.kind == "fnptr":
            args.append(f"(__typeof__({t.spelling}))lorelei_host_callback(&{v}, {t.sig.index}, "
                        f"LORELEI_GET(uint64_t, f, {slot}))")
        elif t.value_callbacks:
            # The host's copy of the struct gets trampolines for its members.
            out.append(f"    __typeof__({t.spelling}) v{i} = {get};")
            for field, sig in t.value_callbacks.fnptr_fields:
                out.append(f"    v{i}.{field} = (__typeof__(v{i}.{field}))lorelei_host_callback("
                           f"&{v}, {sig.index}, (uint64_t)(uintptr_t)v{i}.{field});")
            args.append(f"v{i}")
        elif t.callback_struct and t.callback_struct.deep:
            s = t.callback_struct
            if not t.pointee_const:
                raise ValueError(f"{f.name}: parameter {i} points to a non-const {s.spelling}, "
                                 "which needs a deep translation: only inputs are supported")
            count = "1"
            if p.count:
                k = [q.name for q in f.params].index(p.count)
                count = f"(size_t)LORELEI_GET(__typeof__({f.params[k].type.spelling}), f, {f.slot_of(k)})"
            args.append(f"(void *)copy_{cname(s.spelling)}({get}, {count}, &arena)")
        elif t.callback_struct:
            # The host gets a shadow copy whose function pointers are host
            # trampolines (see ir.py for identity structs and out_params).
            s = t.callback_struct
            out.append(f"    __typeof__({t.spelling}) p{i} = {get};")
            out.append(f"    {s.spelling} shadow{i};")
            out.append(f"    __typeof__({t.spelling}) arg{i} = p{i};")
            if p.out_only:
                out.append(f"    if (p{i}) {{\n        memset(&shadow{i}, 0, sizeof(shadow{i}));")
            else:
                out.append(f"    if (p{i}) {{\n        memcpy(&shadow{i}, p{i}, sizeof(shadow{i}));")
                for field, sig in s.fnptr_fields:
                    out.append(f"        shadow{i}.{field} = (__typeof__(shadow{i}.{field}))"
                               f"lorelei_host_callback(&{v}, {sig.index}, "
                               f"(uint64_t)(uintptr_t)p{i}->{field});")
            if s.identity:
                out.append(f"        lorelei_shadow_push(&shadow{i}, (void *)p{i});")
                after.append(f"    if (p{i}) {{\n        lorelei_shadow_pop(&shadow{i});\n    }}")
            out.append(f"        arg{i} = &shadow{i};\n    }}")
            args.append(f"(void *)arg{i}")
            if not t.pointee_const and not s.identity:
                after.append(f"    if (p{i}) {{")
                for field, sig in s.fnptr_fields:
                    after.append(f"        __typeof__(p{i}->{field}) guest_{field}{i} = p{i}->{field};")
                after.append(f"        memcpy((void *)p{i}, &shadow{i}, sizeof(shadow{i}));")
                for field, sig in s.fnptr_fields:
                    after.append(f"        uint64_t back_{field}{i} = lorelei_guest_callback(&{v}, "
                                 f"{sig.index}, (void *)shadow{i}.{field});")
                    after.append(f"        p{i}->{field} = back_{field}{i} ? (__typeof__(p{i}->{field}))"
                                 f"back_{field}{i} : guest_{field}{i};")
                after.append("    }")
        elif t.fnptr_out:
            out.append(f"    __typeof__({t.spelling}) p{i} = {get};")
            args.append(f"p{i}")
            after.append(f"    if (p{i} && *p{i}) {{\n        *p{i} = (__typeof__(*p{i}))"
                         f"lorelei_guest_callback(&{v}, {t.fnptr_out.index}, (void *)*p{i});\n    }}")
        elif f.host_impl:
            args.append(get)
        else:
            args.append(f"LORELEI_GET({call_type(t)}, f, {slot})")
    call = f"{target}({', '.join(args)})"
    if f.errno:
        out.append("    errno = 0;")
    if f.ret.kind == "void":
        out.append(f"    {call};")
    elif f.ret.kind == "fnptr" and not f.host_impl:
        # A host address must never reach guest code: a trampoline goes back
        # to the guest function it stands for, anything else becomes NULL
        # (implement such a function guest-side where the value matters; a
        # host_impl answers for its own result).
        out.append(f"    LORELEI_PUT(f, {f.ret_slot()}, lorelei_guest_callback(&{v}, {f.ret.sig.index}, "
                   f"(void *)({call})));")
    elif host_mapped(f.ret):
        if "to_guest" not in f.ret.mapping:
            raise ValueError(f"{f.name} returns {f.ret.spelling}: its [types] entry needs to_guest")
        out.append(f"    LORELEI_PUT(f, {f.ret_slot()}, {f.ret.mapping['to_guest']}((void *)({call})));")
    else:
        out.append(f"    LORELEI_PUT(f, {f.ret_slot()}, ({ret})({call}));")
    if f.errno:
        out.append(f"    f[{f.errno_slot()}] = (uint64_t)errno;")
    out.extend(after)
    if deep:
        out.append("    arena_free(&arena);")
    out.append("    return 0;\n}")
    return "\n".join(out)


def emit_thunks(lib, out):
    """One thunk per distinct body; returns each function's thunk name."""
    names, by_body = {}, {}
    for f in lib.thunked():
        body = thunk_body(lib, f)
        name = by_body.get(body)
        if name is None:
            name = by_body[body] = f"thunk_{len(by_body)}"
            out.append(f"/* {f.name} and all of its shape */")
            out.append(f"static int {name}{body}\n")
        names[f.name] = name
    return names


def emit_impl_decls(lib, out):
    """Prototypes of the hand-written host functions (host_impl)."""
    for f in lib.thunked():
        if f.host_impl:
            params = ["void *native"] + [f"__typeof__({p.type.spelling}) a{i}"
                                         for i, p in enumerate(f.params)]
            out.append(f"__typeof__({f.ret.spelling}) {f.host_impl}({', '.join(params)});")


def emit(lib, source_name, abi):
    """abi: abi_constants.Abi, the numbers this code is generated for."""
    v = lib.symbol
    out = [f"/* Generated by thunkgen from {source_name}: do not edit. */"]
    out += [f"#define {d}" for d in lib.defines]
    out += ["/* Deprecated functions are part of the ABI too. */",
           "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"",
           "#include <errno.h>", "#include <stdatomic.h>", "#include <stdint.h>",
           "#include <string.h>"]
    if deep_structs(lib):
        out += ["#include <stdio.h>", "#include <stdlib.h>"]
    out += [f"#include <{h}>" for h in lib.includes]
    out += [p for p in lib.prototypes]
    out += ['#include "lorelei-host.h"', ""]
    out.append(f"_Static_assert(LORELEI_CALLBACK_SLOTS == {abi.callback_slots}, \"generated for a "
               f"lorelei-host.h with LORELEI_CALLBACK_SLOTS {abi.callback_slots}: regenerate\");")
    emit_asserts(lib, out)
    mappings = [ct.mapping for f in lib.functions for ct in [f.ret] + [p.type for p in f.params]
                if ct.mapping]
    mappings += [m for s in deep_structs(lib) for _, m in s.mapped_fields]
    for name in sorted({m["to_host"] for m in mappings if "to_host" in m}):
        out.append(f"void *{name}(uint64_t guest_value);")
    for name in sorted({m["to_guest"] for m in mappings if "to_guest" in m}):
        out.append(f"uint64_t {name}(void *host_value);")
    out.append(f"extern const struct lorelei_host_lib {v};")
    out.append(f"static void *natives[{max(len(lib.thunked()), 1)}];\n")
    emit_impl_decls(lib, out)
    for sig in lib.sigs:
        emit_trampolines(lib, sig, out, abi.callback_slots)
    emit_deep(lib, out)
    thunks = emit_thunks(lib, out)
    out.append(f"static const struct lorelei_host_fn fns[] = {{")
    for f in lib.thunked():
        flags = []
        if transport.may_call_back(f):
            flags.append("LORELEI_FN_MAY_CALLBACK")
        if lib.callback_if_armed:
            flags.append("LORELEI_FN_CALLBACK_IF_ARMED")
        if f.blocking:
            flags.append("LORELEI_FN_BLOCKING")
        if f.frame_slots() > abi.inline_max_frame_slots:
            raise ValueError(f"{f.name}: a frame of {f.frame_slots()} slots is more than the "
                             f"inline transport's {abi.inline_max_frame_slots} "
                             "(LORELEI_INLINE_MAX_FRAME_SLOTS)")
        native = lib.host_free if f.name == "__lorelei_host_free" else f.name
        out.append(f"    {{\"{native}\", {thunks[f.name]}, {' | '.join(flags) or '0'}, "
                   f"{f.frame_slots()}}},")
    out.append("};")
    out.append("static const char *const sonames[] = {" +
               " ".join(f'"{s}",' for s in lib.sonames) + " NULL};")
    if lib.sigs:
        out.append("static const struct lorelei_callback_sig sigs[] = {")
        out += [f"    {{\"{s.name}\", trampolines_{s.index}, guest_fns_{s.index}}}," for s in lib.sigs]
        out.append("};")
    if lib.resolve:
        out.append(f"void *{lib.resolve}(const struct lorelei_host_lib *lib, void *handle, "
                   "const char *name);")
    out.append(f"const struct lorelei_host_lib {v} = {{")
    out.append(f"    .id = {lib.id},\n    .name = \"{lib.name}\",\n    .sonames = sonames,")
    out.append(f"    .api_hash = 0x{lib.api_hash():016x}ull,")
    out.append(f"    .fns = fns,\n    .n_fns = {len(lib.thunked())},\n    .natives = natives,")
    out.append(f"    .sigs = {'sigs' if lib.sigs else 'NULL'},\n    .n_sigs = {len(lib.sigs)},")
    out.append(f"    .resolve = {lib.resolve or 'NULL'},")
    out.append("};")
    return "\n".join(out) + "\n"
