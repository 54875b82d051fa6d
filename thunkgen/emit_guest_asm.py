"""Model -> x86_64 assembly for the guest stubs that need no C.

A stub whose arguments all arrive in registers and need nothing but a copy
(the bulk of GL: scalars and pointers, no annotations) is mechanical: store
each argument register in its frame slot, issue CALL, load the result. For
thousands of functions gcc spends seconds on what the assembler does in a
fraction of one, so libraries that ask for it (thunkgen --guest-asm-out) get
those stubs here; the rest stay in C (emit_guest.py). The frame layout is the
same (include/lorelei/frame.h): argument i in slot f.slot_of(i), the result
after them, each value in the low bytes of its slot; the status slot of the
inline transport precedes it, as LORELEI_CALL_INLINE has it in C stubs.

A CALL answered with anything but "done" (a callback to run, an error) goes
to the guest runtime's lorelei_call_slow, which runs callbacks until the call
is done, as lorelei_call() does in C stubs. Stubs that cannot call back try
the inline transport first.

The syscall number, the CALL operation, the function id layout and the
inline marker come from include/lorelei/abi.h (abi_constants.py); the C half
asserts them.
"""
import transport

INT_REGS = ["%rdi", "%rsi", "%rdx", "%rcx", "%r8", "%r9"]


def _int_like(t):
    return t.kind in ("int", "ptr", "fnptr") and 0 < t.size <= 8


def _float_like(t):
    return t.kind == "float" and t.size in (4, 8)


def suitable(f):
    """True if the stub of f can be generated here."""
    if f.guest or f.variadic or f.printf >= 0 or f.errno or f.guest_wrapper or f.prepare:
        return False
    if f.returns_owned_string or f.returns_static_string or f.returns_owned:
        return False
    if f.out_owned or f.keeps or f.releases:
        return False  # ownership hooks and copies around the call (emit_guest)
    if f.name.startswith("__lorelei_") or not f.exported:
        return False  # internal, or hidden (reachable through the lookup only)
    if any(p.type.callback_struct for p in f.params):
        return False  # the guest prepares mapped members (emit_guest)
    types = [p.type for p in f.params]
    if any(t.mapping for t in types + [f.ret]):
        return False
    if not all(_int_like(t) or _float_like(t) for t in types):
        return False
    if sum(_int_like(t) for t in types) > len(INT_REGS) or sum(_float_like(t) for t in types) > 8:
        return False
    return f.ret.kind == "void" or _int_like(f.ret) or _float_like(f.ret)


def _signed(t):
    return t.kind == "int" and not (t.canonical.startswith("unsigned") or t.canonical == "_Bool")


def _load_result(t, off):
    if t.kind == "void":
        return []
    if _float_like(t):
        return [f"\t{'movss' if t.size == 4 else 'movsd'}\t{off}(%rsp), %xmm0"]
    if t.size == 8:
        return [f"\tmovq\t{off}(%rsp), %rax"]
    if t.size == 4:
        return [f"\tmovl\t{off}(%rsp), %eax"]
    width = "b" if t.size == 1 else "w"
    return [f"\tmov{'s' if _signed(t) else 'z'}{width}l\t{off}(%rsp), %eax"]


def emit_stub(lib, f, out, abi):
    """The stub tries the inline transport first (include/lorelei/abi.h):
    0(%rsp) is the status slot, the frame starts at 8(%rsp) and %rdx points
    to it; the plugin leaves 0 in the status slot when it served the call."""
    if not transport.inline_candidate(f):
        return emit_syscall_stub(lib, f, out, abi)
    slots = f.frame_slots()
    # At entry %rsp is 8 mod 16: a block of 8 mod 16 bytes aligns the call below.
    size = ((slots + 1) * 8 + 15) // 16 * 16 + 8
    fn_id = (lib.id << abi.index_bits) | f.index
    top = (slots - 1) * 8  # the result slot: these stubs have no errno slot
    out += [f"\t.globl\t{f.name}", f"\t.type\t{f.name}, @function", "\t.p2align 4",
            f"{f.name}:", "\t.cfi_startproc", f"\tsubq\t${size}, %rsp",
            f"\t.cfi_adjust_cfa_offset {size}"]
    ints = floats = 0
    for i, p in enumerate(f.params):
        off = 8 + f.slot_of(i) * 8
        if _float_like(p.type):
            op = "movss" if p.type.size == 4 else "movsd"
            out.append(f"\t{op}\t%xmm{floats}, {off}(%rsp)")
            floats += 1
        else:
            out.append(f"\tmovq\t{INT_REGS[ints]}, {off}(%rsp)")
            ints += 1
    # The two stores and the marker, nothing in between. The second one also
    # clears the result: a function the host library lacks reads 0.
    out += ["\tleaq\t8(%rsp), %rdx", f"\tmovq\t${fn_id:#x}, -8(%rdx)",
            f"\tmovq\t$0, {top}(%rdx)", f"\t.byte\t{','.join(f'{b:#04x}' for b in abi.inline_marker)}",
            "\tcmpq\t$0, (%rsp)", "\tjne\t3f", "1:"]
    out += _load_result(f.ret, 8 + f.ret_slot() * 8)
    out += [f"\taddq\t${size}, %rsp", f"\t.cfi_adjust_cfa_offset -{size}", "\tret",
            f"\t.cfi_adjust_cfa_offset {size}",
            # Not served inline: CALL, with %rdx still pointing to the frame.
            "3:", f"\tmovl\t${abi.syscall_nr:#x}, %eax", f"\tmovl\t${abi.op_call}, %edi",
            f"\tmovl\t${fn_id:#x}, %esi", "\tsyscall", "\ttestq\t%rax, %rax", "\tje\t1b",
            "\tmovq\t%rax, %rdi", f"\tmovl\t${fn_id:#x}, %esi",
            "\tcall\tlorelei_call_slow@PLT", "\tjmp\t1b",
            "\t.cfi_endproc", f"\t.size\t{f.name}, .-{f.name}", ""]


def emit_syscall_stub(lib, f, out, abi):
    """A function that may call back (a function-pointer parameter): CALL
    only, its frame at 0(%rsp)."""
    slots = f.frame_slots()
    frame = (slots * 8 + 15) // 16 * 16 + 8
    fn_id = (lib.id << abi.index_bits) | f.index
    out += [f"\t.globl\t{f.name}", f"\t.type\t{f.name}, @function", "\t.p2align 4",
            f"{f.name}:", "\t.cfi_startproc", f"\tsubq\t${frame}, %rsp",
            f"\t.cfi_adjust_cfa_offset {frame}"]
    ints = floats = 0
    for i, p in enumerate(f.params):
        off = f.slot_of(i) * 8
        if _float_like(p.type):
            op = "movss" if p.type.size == 4 else "movsd"
            out.append(f"\t{op}\t%xmm{floats}, {off}(%rsp)")
            floats += 1
        else:
            out.append(f"\tmovq\t{INT_REGS[ints]}, {off}(%rsp)")
            ints += 1
    if f.ret.kind != "void":
        # A function the host library lacks leaves the result alone: it reads 0.
        out.append(f"\tmovq\t$0, {f.ret_slot() * 8}(%rsp)")
    out += [f"\tmovl\t${abi.syscall_nr:#x}, %eax", f"\tmovl\t${abi.op_call}, %edi",
            f"\tmovl\t${fn_id:#x}, %esi", "\tmovq\t%rsp, %rdx", "\tsyscall",
            "\ttestq\t%rax, %rax", "\tjne\t2f", "1:"]
    out += _load_result(f.ret, f.ret_slot() * 8)
    out += [f"\taddq\t${frame}, %rsp", f"\t.cfi_adjust_cfa_offset -{frame}", "\tret",
            f"\t.cfi_adjust_cfa_offset {frame}",
            "2:", "\tmovq\t%rax, %rdi", f"\tmovl\t${fn_id:#x}, %esi",
            "\tcall\tlorelei_call_slow@PLT", "\tjmp\t1b",
            "\t.cfi_endproc", f"\t.size\t{f.name}, .-{f.name}", ""]


def emit(lib, source_name, names, abi):
    """abi: abi_constants.Abi, the numbers this code is generated for."""
    out = [f"/* Generated by thunkgen from {source_name}: do not edit. */",
           "/* Guest stubs in x86_64 assembly (emit_guest_asm.py). */", "\t.text", ""]
    for f in lib.thunked():
        if f.name in names:
            emit_stub(lib, f, out, abi)
    out.append('\t.section\t.note.GNU-stack,"",@progbits')
    return "\n".join(out) + "\n"
