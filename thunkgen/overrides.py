"""The override file: one TOML file per library, the only hand-written part
of its description. The frontend derives everything else from the real API
(headers, registry XML, the host library's exported symbols).

[library]                      what to generate
  name = "sdl2"                  the plugin argument lib=NAME
  id = 2                         library id in function ids (1..31), never reused
  sonames = ["libSDL2-2.0.so.0"] host libraries to dlopen, in order
  guest_soname = "libSDL2-2.0.so.0"  soname of the x86_64 stub
  includes = ["SDL2/SDL.h"]      headers both halves include
  symbols = "exports"            "exports": every symbol the host library
                                 exports (nm -D); "header": every function the
                                 headers declare with the prefix below
  prefix = "SDL_"                (symbols = "header") which functions
  callback_if_armed = false      true: every function may call back once a
                                 guest callback was handed over (GL debug output)
  host_free = "SDL_free"         host function freeing returned memory
  guest_alloc = "SDL_malloc"     guest allocator the library's results come
                                 from, i.e. the one the caller's free pairs
                                 with (SDL_free honours SDL_SetMemoryFunctions):
                                 every guest copy of host-owned memory
                                 (returns_owned*, out_owned) is made with it;
                                 default "malloc" (XFree is free)
  guest_free = "SDL_free"        its counterpart, for frees and releases;
                                 default "free"
  guest_sources = ["sdl2_guest.c"]  hand-written guest-side functions
  resolve = ""                   host resolver (hand-written) instead of dlsym
  frontend = "clang"             "clang": C headers (frontend_clang.py); "gl":
                                 Khronos registry XML (frontend_gl.py);
                                 "vulkan": the Vulkan registry, its types and
                                 layouts from vulkan.h (frontend_vulkan.py)
  registry = ["gl.xml"]          (frontend "gl") registry files whose every
                                 <command> the library has; (frontend
                                 "vulkan") the one registry file, vk.xml
  defines = ["VK_USE_PLATFORM_XCB_KHR"]  macros both halves (and the
                                 header parser) define before the includes
  platforms = ["xcb"]            (vulkan) registry platforms whose commands
                                 are generated; commands of other platforms
                                 are not (GetProcAddress answers NULL)
  unsupported_extensions = []    (vulkan) registry extensions the stub hides:
                                 removed from the extension lists the game
                                 enumerates, their structs dropped from
                                 pNext chains; say why in a comment
  header_prefixes = ["egl"]      (frontend "gl") also every function the
                                 headers declare with one of these prefixes
  guest_includes = ["x.h"]       headers only the guest stub includes: the
                                 declarations of guest helpers named below
  blocking_patterns = ["Audio"]  regular expressions: functions whose names
                                 match may wait (for other threads, a device,
                                 the window system) and keep the syscall
                                 transport; adds to the generator's own
                                 (thunkgen/transport.py); say why in a comment

[functions.NAME]               annotations for one function (all optional)
  guest = true                   implemented in guest_sources: runs guest code,
                                 loads guest objects or formats variadics
  out_params = ["p"]             pointers to structs with function pointers
                                 that the host only fills in: nothing is
                                 translated on the way in
  may_callback = true            calls guest callbacks before returning
                                 (the generator already knows this for
                                 function-pointer parameters)
  printf = 0                     variadic printf-style: the format is parameter
                                 0; the guest formats it and the host gets "%s"
  returns_owned_string = true    returns a string the caller frees: the guest
                                 gets a copy in guest memory (syscalls reject
                                 host memory with EFAULT), the host's is freed
                                 with host_free
  errno = true                   the host's errno after the call becomes the
                                 guest's
  prototype = "int f(int);"      for an exported symbol no header declares
  returns_static_string = true   returns a string the library keeps (glGetString):
                                 the guest gets a copy in guest memory, made
                                 once per distinct content and never freed
                                 (syscalls reject host memory with EFAULT)
  string_list_if = "a0 == NULL"  (with returns_static_string) when this C
                                 expression over the parameters a0, a1...
                                 holds, the result is a list of strings, each
                                 NUL-terminated, ended by an empty string
                                 (alcGetString's device lists): all of it is
                                 copied
  returns_owned = "N"            returns N elements (a C expression over the
                                 parameters a0, a1...: "1", "*a3") the caller
                                 frees with its own allocator (XFree): the
                                 stub copies them into guest malloc memory and
                                 frees the host's with host_free
  result_fixup = "f(r, n, a0)"   guest C statement run on that copy (r, n
                                 elements) before it is returned, e.g. to
                                 translate host pointers inside it
  guest_wrapper = true           the stub is generated as the hidden
                                 lorelei_thunk_NAME; guest_sources define NAME
                                 and call it (work on both sides of the call)
  host_impl = "fn"               the host thunk calls the hand-written host
                                 function fn(void *native, args...) instead of
                                 the native function (host half of a special
                                 case; compiled into the plugin); a function
                                 pointer it returns reaches the guest as it
                                 is, so it must never be a host address
  Memory ownership across the boundary. Host memory cannot be freed by the
  guest's allocator nor guest memory by the host's (glibc aborts, or QEMU
  faults), so whatever one side allocates and the other side frees, keeps or
  reallocates is named here, and the generated code keeps each block on the
  side of its allocator (docs/ownership.md lists every rule):
  out_owned = {p = "n"}          p is an out-parameter (T **) the host fills
                                 with n elements (a C expression over a0...,
                                 evaluated after the call: "*a4") that the
                                 caller frees: the stub hands the game a copy
                                 made with guest_alloc and frees the host's
                                 with host_free (only if the call changed *p:
                                 a failing call may leave it as it was, even
                                 uninitialized)
  frees = "p"                    the function only frees p, memory this stub
                                 gave the game as a guest copy (out_owned,
                                 returns_owned*): generated as a guest
                                 function calling guest_free; no host call
  keeps = {p = "hook"}           the host keeps the guest memory p points to
                                 past the call, inside the (pointer) result,
                                 and may later be asked to free it (surface
                                 pixels): the guest hook void hook(void
                                 *result, void *p) records the pair after the
                                 call. p must reach the host as it is (no
                                 shadow copy, which dies with the call)
  releases = {p = "hook"}        the call may free guest memory reachable from
                                 p with the host's allocator (SDL_FreeSurface
                                 of a surface whose pixels the game handed
                                 over): before the call the guest hook void
                                 *hook(void *p) takes that memory out of the
                                 host's hands and returns the block to free
                                 (or NULL); the stub frees it with guest_free
                                 after the call
  unsupported = "why"            not generated: the reason goes into the
                                 library summary (and the docs)
  blocking = true                may wait for another thread or long: keeps the
                                 syscall transport, never inline (false: the
                                 name matches a blocking pattern but the call
                                 never waits); see thunkgen/transport.py
  prepare = "fn"                 guest function called with each parameter of
                                 a mapped type before the call, instead of the
                                 type's guest_prepare (e.g. a full XSync where
                                 the host must see what the guest just created)

[types."T"]                    values of type T (its spelling, e.g. "Display *")
                               mean different objects on the two sides; also
                               applies to struct members the vulkan frontend
                               finds (the host translates a shadow copy).
                               An entry with only guest_prepare/guest_after
                               is guest-side bookkeeping of values that mean
                               the same on both sides (surfaces whose pixels
                               the guest owns)
  to_host = "fn"                 host: void *fn(uint64_t guest_value); the
                                 value is then fn's alone: function pointers
                                 in a struct it points to are not turned into
                                 callbacks (fn deals with them)
  to_guest = "fn"                host: uint64_t fn(void *host_value), for results
  guest_prepare = "fn"           guest: void fn(void *value), before each call
                                 (e.g. flush the guest's X11 connection)
  guest_after = "fn"             guest: void fn(void *value), after each call
                                 (e.g. hand the guest X errors the host got)

A key outside this vocabulary is an error: a typo must not silently change
what gets generated.
"""
import tomllib

LIBRARY_KEYS = {
    "name": str, "id": int, "sonames": list, "guest_soname": str, "includes": list,
    "symbols": str, "prefix": str, "callback_if_armed": bool, "host_free": str,
    "guest_sources": list, "resolve": str, "include_dirs": list, "clang_args": list,
    "frontend": str, "registry": list, "header_prefixes": list, "guest_includes": list,
    "defines": list, "platforms": list, "unsupported_extensions": list,
    "blocking_patterns": list, "guest_alloc": str, "guest_free": str,
}
FUNCTION_KEYS = {
    "guest": bool, "may_callback": bool, "printf": int, "returns_owned_string": bool,
    "errno": bool, "prototype": str, "prepare": str, "returns_static_string": bool,
    "string_list_if": str,
    "returns_owned": str, "result_fixup": str, "guest_wrapper": bool, "host_impl": str,
    "unsupported": str, "out_params": list, "out_owned": dict, "frees": str, "keeps": dict,
    "releases": dict, "blocking": bool,
}
TYPE_KEYS = {"to_host": str, "to_guest": str, "guest_prepare": str, "guest_after": str}


class OverrideError(Exception):
    pass


def _check(table, allowed, where):
    for key, value in table.items():
        if key not in allowed:
            raise OverrideError(f"{where}: unknown key '{key}' (known: {', '.join(sorted(allowed))})")
        if not isinstance(value, allowed[key]):
            raise OverrideError(f"{where}: '{key}' must be a {allowed[key].__name__}")


def load(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    for key in data:
        if key not in ("library", "functions", "types"):
            raise OverrideError(f"{path}: unknown table [{key}] "
                                "(known: [library], [functions.NAME], [types.\"T\"])")
    lib = data.get("library")
    if lib is None:
        raise OverrideError(f"{path}: missing [library]")
    _check(lib, LIBRARY_KEYS, f"{path} [library]")
    for key in ("name", "id", "sonames", "guest_soname", "includes"):
        if key not in lib:
            raise OverrideError(f"{path} [library]: missing '{key}'")
    if not 1 <= lib["id"] <= 31:
        raise OverrideError(f"{path} [library]: id must be 1..31")
    functions = data.get("functions", {})
    for name, table in functions.items():
        _check(table, FUNCTION_KEYS, f"{path} [functions.{name}]")
    types = data.get("types", {})
    for name, table in types.items():
        _check(table, TYPE_KEYS, f"{path} [types.\"{name}\"]")
        if "to_host" not in table and ("to_guest" in table or not table):
            raise OverrideError(f"{path} [types.\"{name}\"]: missing 'to_host' (only an "
                                "entry with guest_prepare/guest_after alone may leave it out)")
    return lib, functions, types


def apply_types(functions, types, where, used_by_members=()):
    """Marks every parameter and result whose type has a [types] mapping.
    used_by_members: keys a frontend already applied to struct members."""
    used = set(used_by_members)
    for f in functions:
        for ct in [f.ret] + [p.type for p in f.params]:
            for key in (ct.spelling, getattr(ct, "canonical", None)):
                if key in types:
                    ct.mapping = types[key]
                    used.add(key)
                    # The hand-written to_host owns the value: a struct's
                    # function pointers (zlib's zalloc) are its business, not
                    # the generator's shadow copy and callback trampolines.
                    if "to_host" in ct.mapping:
                        ct.callback_struct = None
                    break
    unused = set(types) - used
    if unused:
        raise OverrideError(f"{where}: [types] entries match no parameter or result: "
                            + ", ".join(sorted(unused)))


def apply(functions, overrides, where):
    """Copies the annotations onto the frontend's functions."""
    by_name = {f.name: f for f in functions}
    for name, table in overrides.items():
        f = by_name.get(name)
        if f is None:
            if "unsupported" in table:
                continue  # left out by the frontend
            raise OverrideError(f"{where}: [functions.{name}] names no function of the library")
        if "unsupported" in table:
            raise OverrideError(f"{where}: {name} is marked unsupported but was generated")
        for key, value in table.items():
            if key not in ("prototype", "prepare", "out_params", "out_owned", "frees", "keeps",
                           "releases"):
                setattr(f, key, value)
        apply_ownership(f, table, where)
        for pname in table.get("out_params", []):
            match = [p for p in f.params if p.name == pname]
            if not match or not match[0].type.callback_struct:
                raise OverrideError(f"{where}: {name}: out_params names '{pname}', which is not a "
                                    "pointer to a struct with function pointers")
            match[0].out_only = True
        if "prepare" in table:
            f.prepare = table["prepare"]
    for f in functions:
        if f.variadic and not f.guest and f.printf < 0:
            raise OverrideError(
                f"{where}: {f.name} is variadic: mark it printf = N or guest = true "
                "(variadic arguments cannot be forwarded as they are)")
        if f.printf >= 0 and not (f.variadic and f.printf < len(f.params)):
            raise OverrideError(f"{where}: {f.name}: printf = {f.printf} needs a variadic "
                                f"function whose parameter {f.printf} is the format")
        results = [k for k in ("returns_owned_string", "returns_static_string", "returns_owned")
                   if getattr(f, k)]
        if len(results) > 1:
            raise OverrideError(f"{where}: {f.name}: {' and '.join(results)} exclude each other")
        if results and f.ret.kind != "ptr":
            raise OverrideError(f"{where}: {f.name}: {results[0]} needs a pointer result, "
                                f"not {f.ret.spelling}")
        if f.string_list_if and not f.returns_static_string:
            raise OverrideError(f"{where}: {f.name}: string_list_if needs returns_static_string")
        if f.result_fixup and not f.returns_owned:
            raise OverrideError(f"{where}: {f.name}: result_fixup needs returns_owned")
        if f.guest and f.blocking is not None:
            raise OverrideError(f"{where}: {f.name}: guest = true makes no host call; "
                                "'blocking' does not apply")
        if f.guest and (f.guest_wrapper or f.host_impl):
            raise OverrideError(f"{where}: {f.name}: guest = true has no host call to wrap")



def apply_ownership(f, table, where):
    """out_owned, frees, keeps, releases: checked against the prototype."""
    names = [p.name for p in f.params]

    def param(key, pname):
        if pname not in names:
            raise OverrideError(f"{where}: {f.name}: {key} names '{pname}', which is not one of "
                                f"its parameters ({', '.join(names) or 'none'})")
        p = f.params[names.index(pname)]
        if p.type.kind != "ptr":
            raise OverrideError(f"{where}: {f.name}: {key} '{pname}' must be a pointer, "
                                f"not {p.type.spelling}")
        if p.type.callback_struct:
            raise OverrideError(f"{where}: {f.name}: {key} '{pname}' reaches the host as a "
                                "shadow copy, which lives only as long as the call")
        return names.index(pname)
    for pname, count in table.get("out_owned", {}).items():
        if not isinstance(count, str):
            raise OverrideError(f"{where}: {f.name}: out_owned.{pname} must be a C expression "
                                "(a string)")
        if not f.params[param("out_owned", pname)].type.spelling.rstrip().endswith("**"):
            raise OverrideError(f"{where}: {f.name}: out_owned '{pname}' must be a pointer to "
                                "the pointer the host fills (T **)")
        f.out_owned.append((param("out_owned", pname), count))
    if "frees" in table:
        if f.ret.kind != "void" or len(f.params) != 1:
            raise OverrideError(f"{where}: {f.name}: frees needs void f(T *p): the generated "
                                "guest function does nothing but free p")
        f.frees = param("frees", table["frees"])
        f.guest = True
    for key in ("keeps", "releases"):
        for pname, hook in table.get(key, {}).items():
            if not isinstance(hook, str):
                raise OverrideError(f"{where}: {f.name}: {key}.{pname} must name a guest hook")
            getattr(f, key).append((param(key, pname), hook))
    if f.keeps and f.ret.kind != "ptr":
        raise OverrideError(f"{where}: {f.name}: keeps needs a pointer result that holds "
                            "the kept memory")
