"""Model -> the host half, compiled into the plugin: layout asserts, the
thunks (one per distinct signature shape: a thunk gets the native function
as a parameter, so glUniform1i and glBindBuffer share one), trampolines for
every callback signature and the library's manifest (struct lorelei_host_lib).
"""
SLOTS = 64  # LORELEI_CALLBACK_SLOTS in plugin/lorelei-host.h


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


def emit_trampolines(lib, sig, out):
    v = lib.symbol
    out.append(f"/* {sig.name}: {sig.key} */")
    out.append(f"static _Atomic uint64_t guest_fns_{sig.index}[{SLOTS}];")
    params = ", ".join(f"__typeof__({p.spelling}) a{i}" for i, p in enumerate(sig.params)) or "void"
    for k in range(SLOTS):
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
    out.append(f"static void *const trampolines_{sig.index}[{SLOTS}] = {{")
    for k in range(0, SLOTS, 8):
        out.append("    " + " ".join(f"(void *)cb_{sig.index}_{j}," for j in range(k, k + 8)))
    out.append("};\n")


# Spellings the ABI passes identically wherever they appear: thunks whose
# arguments differ only in typedef names share one body.
BUILTIN = {"char", "signed char", "unsigned char", "short", "unsigned short", "int",
           "unsigned int", "long", "unsigned long", "long long", "unsigned long long", "_Bool",
           "float", "double"}


def call_type(t):
    """The type a thunk passes a value as: plain data pointers as void *,
    builtin scalars by their canonical name, anything else as declared."""
    if t.kind == "ptr" and not t.mapping:
        return "void *"
    if t.kind in ("int", "float") and t.canonical in BUILTIN and not t.mapping:
        return t.canonical
    return f"__typeof__({t.spelling})"


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
    if f.host_impl:
        args.append("native")
    for i, p in enumerate(f.params):
        t, slot = p.type, f.slot_of(i)
        get = f"LORELEI_GET(__typeof__({t.spelling}), f, {slot})"
        if i == f.printf:
            args += ['"%s"', f"LORELEI_GET(const char *, f, {slot})"]
        elif t.mapping:
            args.append(f"(__typeof__({t.spelling})){t.mapping['to_host']}("
                        f"LORELEI_GET(uint64_t, f, {slot}))")
        elif t.kind == "fnptr":
            args.append(f"(__typeof__({t.spelling}))lorelei_host_callback(&{v}, {t.sig.index}, "
                        f"LORELEI_GET(uint64_t, f, {slot}))")
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
    elif f.ret.kind == "fnptr":
        # A host address must never reach guest code: a trampoline goes back
        # to the guest function it stands for, anything else becomes NULL
        # (implement such a function guest-side where the value matters).
        out.append(f"    LORELEI_PUT(f, {f.ret_slot()}, lorelei_guest_callback(&{v}, {f.ret.sig.index}, "
                   f"(void *)({call})));")
    elif f.ret.mapping:
        if "to_guest" not in f.ret.mapping:
            raise ValueError(f"{f.name} returns {f.ret.spelling}: its [types] entry needs to_guest")
        out.append(f"    LORELEI_PUT(f, {f.ret_slot()}, {f.ret.mapping['to_guest']}((void *)({call})));")
    else:
        out.append(f"    LORELEI_PUT(f, {f.ret_slot()}, ({ret})({call}));")
    if f.errno:
        out.append(f"    f[{f.errno_slot()}] = (uint64_t)errno;")
    out.extend(after)
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


def emit(lib, source_name):
    v = lib.symbol
    out = [f"/* Generated by thunkgen from {source_name}: do not edit. */",
           "/* Deprecated functions are part of the ABI too. */",
           "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"",
           "#include <errno.h>", "#include <stdatomic.h>", "#include <stdint.h>",
           "#include <string.h>"]
    out += [f"#include <{h}>" for h in lib.includes]
    out += [p for p in lib.prototypes]
    out += ['#include "lorelei-host.h"', ""]
    emit_asserts(lib, out)
    mappings = [ct.mapping for f in lib.functions for ct in [f.ret] + [p.type for p in f.params]
                if ct.mapping]
    for name in sorted({m["to_host"] for m in mappings}):
        out.append(f"void *{name}(uint64_t guest_value);")
    for name in sorted({m["to_guest"] for m in mappings if "to_guest" in m}):
        out.append(f"uint64_t {name}(void *host_value);")
    out.append(f"extern const struct lorelei_host_lib {v};")
    out.append(f"static void *natives[{max(len(lib.thunked()), 1)}];\n")
    emit_impl_decls(lib, out)
    for sig in lib.sigs:
        emit_trampolines(lib, sig, out)
    thunks = emit_thunks(lib, out)
    out.append(f"static const struct lorelei_host_fn fns[] = {{")
    for f in lib.thunked():
        flags = []
        needs_coro = f.may_callback or any(p.type.kind == "fnptr" or p.type.callback_struct
                                           for p in f.params)
        if needs_coro:
            flags.append("LORELEI_FN_MAY_CALLBACK")
        if lib.callback_if_armed:
            flags.append("LORELEI_FN_CALLBACK_IF_ARMED")
        native = lib.host_free if f.name == "__lorelei_host_free" else f.name
        out.append(f"    {{\"{native}\", {thunks[f.name]}, {' | '.join(flags) or '0'}}},")
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
