"""The generator's model of a library API, filled in by a frontend
(frontend_clang.py from C headers, frontend_gl.py from the GL registry XML,
frontend_vulkan.py from the Vulkan registry)
and read by the emitters (emit_guest.py, emit_host.py).

Every value crosses the magic syscall in a frame of 8-byte slots, copied bit
for bit (guest and host are both LP64 little-endian): a parameter takes
ceil(size / 8) slots, the result follows the parameters. Only three kinds of
value need more than a copy, and the model marks them:
  - function pointers (kind "fnptr"): a guest function becomes a host
    trampoline on the way in, and back on the way out;
  - pointers to structs holding function pointers ("callback_struct"):
    the host gets a translated shadow copy; "deep" structs (see StructInfo)
    get a shadow copy of everything reachable that needs translating:
    arrays of such structs, members of a [types] mapped type, and extension
    chains (Vulkan's pNext) holding such structs;
  - structs passed by value holding function pointers ("value_callbacks",
    libvorbisfile's ov_callbacks): the host's copy gets host trampolines;
  - pointers to function pointers ("fnptr_out"): the host's answer is
    translated back to the guest function it stands for; so is a function
    pointer result (a host function that is no trampoline becomes NULL).
"""
from dataclasses import dataclass, field
import hashlib


@dataclass
class CType:
    spelling: str            # valid C inside __typeof__(...)
    kind: str                # void | int | float | ptr | fnptr | record | unsupported
    size: int = 0
    align: int = 1
    sig: "CallbackSig | None" = None          # kind == fnptr
    callback_struct: "StructInfo | None" = None  # ptr to a struct with fnptr fields
    pointee_const: bool = False
    fnptr_out: "CallbackSig | None" = None    # ptr to a fnptr (an out-parameter)
    # A struct passed by value whose members are function pointers (ov_callbacks):
    # the host translates the members of its copy.
    value_callbacks: "StructInfo | None" = None
    canonical: str = ""                      # canonical spelling, for [types] matching
    mapping: "dict | None" = None            # [types."T"] entry of the override file
    param_decl: str = ""                     # as declared, if not spelling ("const T[16]")
    # A callback parameter pointing to host memory the game may hand to a
    # system call (QEMU rejects host memory there): the guest invoker passes
    # a copy in guest memory. "string" (NUL-terminated) or a GuestCopy.
    guest_copy: "GuestCopy | str | None" = None

    @property
    def slots(self):
        return 0 if self.kind == "void" else max(1, (self.size + 7) // 8)


@dataclass
class CallbackSig:
    """A function-pointer type, deduplicated by its canonical signature."""
    key: str                 # canonical spelling, the dedup key
    ret: CType
    params: list             # [CType]
    index: int = -1          # position in the library's signature table
    name: str = ""           # a readable name for messages (first typedef seen)
    self_struct: "StructInfo | None" = None  # the identity struct its first parameter points to

    def frame_slots(self):
        return sum(p.slots for p in self.params) + max(self.ret.slots, 1)


@dataclass
class StructInfo:
    spelling: str            # unqualified record type spelling
    fnptr_fields: list       # [(field name, CallbackSig)]
    # Every function pointer takes the struct itself first (a vtable, like
    # SDL_RWops): the struct is an object with an identity. The host gets a
    # shadow, callbacks get the guest's own pointer back, and nothing is
    # copied back (the object may even be freed during the call).
    identity: bool = False
    # Deep translation (Vulkan): set by a frontend that knows array lengths
    # and extension chains. A struct with none of these is translated by a
    # flat shadow copy on the host stack (and copied back if not const).
    struct_fields: list = field(default_factory=list)  # [(field, StructInfo, count field or "")]
    mapped_fields: list = field(default_factory=list)  # [(field, [types] entry)]
    chain_field: str = ""    # the extension-chain member (pNext) whose nodes may need translating
    tag: str = ""            # the value of the chain's tag member (sType) naming this struct

    @property
    def deep(self):
        return bool(self.struct_fields or self.mapped_fields or self.chain_field)


@dataclass
class GuestCopy:
    """What a guest copy of a struct the host hands a callback must copy too,
    so every string it reaches is guest memory (set by frontend_vulkan)."""
    spelling: str
    strings: list            # [field]: NUL-terminated strings
    arrays: list             # [(field, GuestCopy, count field or "")]


@dataclass
class Chain:
    """Extension chains (Vulkan's pNext): every node starts with a tag naming
    its struct and a pointer to the next node. A chain is shadow-copied up to
    its last node that needs translating; the rest is shared as it is."""
    base: str                # a C type of the common node header (VkBaseInStructure)
    tag_field: str           # its tag member (sType)
    next_field: str          # its next-node member (pNext)
    sizes: list              # [(tag, struct spelling)]: every struct a chain can hold
    translate: list = field(default_factory=list)  # [StructInfo] nodes needing translation
    drop: list = field(default_factory=list)       # [(tag, why)]: nodes removed from chains


@dataclass
class Param:
    name: str
    type: CType
    out_only: bool = False   # override out_params: filled in by the host only
    count: str = ""          # an array: the parameter holding its length (deep structs)


@dataclass
class Function:
    name: str
    ret: CType
    params: list             # [Param]
    variadic: bool = False
    # Override annotations (overrides.py documents them):
    guest: bool = False
    may_callback: bool = False
    printf: int = -1
    returns_owned_string: bool = False
    errno: bool = False
    prepare: str = ""        # guest function for mapped parameters, overriding the type's
    returns_static_string: bool = False
    string_list_if: str = ""  # guest C condition: the static result is a string list
    returns_owned: str = ""  # C expression: number of elements the result points to
    result_fixup: str = ""   # guest C statement run on the copied result
    guest_wrapper: bool = False
    host_impl: str = ""      # hand-written host function the thunk calls
    blocking: "bool | None" = None  # may wait: never inline (transport.py); None: by name
    # Memory ownership (overrides.py): parameter indexes with their count
    # expression or guest hook, and the parameter a frees function frees.
    out_owned: list = field(default_factory=list)   # [(index, count expression)]
    frees: int = -1
    keeps: list = field(default_factory=list)       # [(index, hook)]
    releases: list = field(default_factory=list)    # [(index, hook)]
    exported: bool = True    # a dynamic symbol of the stub (else reachable by lookup only)
    index: int = -1          # position in the thunk table (thunked functions only)

    def stub_name(self):
        """The generated guest stub's name (a wrapper takes the real one)."""
        return f"lorelei_thunk_{self.name}" if self.guest_wrapper else self.name

    def slot_of(self, i):
        return sum(p.type.slots for p in self.params[:i])

    def ret_slot(self):
        return sum(p.type.slots for p in self.params)

    def errno_slot(self):
        return self.ret_slot() + max(self.ret.slots, 1)

    def frame_slots(self):
        return self.errno_slot() + (1 if self.errno else 0)


@dataclass
class Record:
    """A struct/union whose guest (x86_64) layout the host must share."""
    spelling: str
    size: int
    align: int
    fields: list             # [(name, offset in bytes)]


@dataclass
class Library:
    name: str
    id: int
    sonames: list
    guest_soname: str
    includes: list           # headers both halves include
    functions: list = field(default_factory=list)   # [Function], all exports
    sigs: list = field(default_factory=list)        # [CallbackSig]
    records: list = field(default_factory=list)     # [Record]
    callback_if_armed: bool = False
    host_free: str = ""      # host function freeing what the library returns
    guest_alloc: str = "malloc"  # guest allocator of copies the caller frees
    guest_free: str = "free"     # and its counterpart
    guest_sources: list = field(default_factory=list)
    resolve: str = ""        # host resolver function name, "" for dlsym
    guest_includes: list = field(default_factory=list)
    unsupported: dict = field(default_factory=dict)  # name -> why it is left out
    defines: list = field(default_factory=list)     # macros both halves define first
    chain: "Chain | None" = None                    # extension chains, if the API has them
    blocking_patterns: list = field(default_factory=list)  # names of blocking functions (transport.py)
    unsupported_extensions: list = field(default_factory=list)  # hidden from the game

    def thunked(self):
        return [f for f in self.functions if not f.guest]

    def api_hash(self):
        """Identifies the description: stub and plugin must agree on it."""
        h = hashlib.sha256(f"{self.name}:{self.id}".encode())
        for f in self.thunked():
            h.update(f"|{f.index}:{f.name}:{f.ret.spelling}:".encode())
            h.update(",".join(p.type.spelling for p in f.params).encode())
            h.update(f":{f.printf}:{int(f.errno)}:{int(f.returns_owned_string)}".encode())
            h.update(f":{int(f.returns_static_string)}:{f.string_list_if}:{f.returns_owned}:{f.host_impl}".encode())
            h.update(f":{f.out_owned}:{f.keeps}:{f.releases}".encode())
        for s in self.sigs:
            h.update(f"#{s.index}:{s.key}".encode())
        return int(h.hexdigest()[:16], 16)

    def finalize(self):
        """Fixes table order: sorted by name, so the output is reproducible."""
        self.functions.sort(key=lambda f: f.name)
        for i, f in enumerate(self.thunked()):
            f.index = i
        for i, s in enumerate(self.sigs):
            s.index = i
