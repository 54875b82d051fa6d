"""The ABI numbers the generator writes into code, read from the C headers
that define them, so the headers stay their one source:

  include/lorelei/abi.h      LORELEI_SYSCALL_NR, LORELEI_OP_CALL, LORELEI_FN_INDEX_BITS,
                             LORELEI_INLINE_MARKER_BYTES, LORELEI_INLINE_MAX_FRAME_SLOTS
  plugin/lorelei-host.h      LORELEI_CALLBACK_SLOTS

A header that lacks one of them, or defines it twice, stops the build with
a message naming it. The generated code also asserts the values at compile
time (emit_guest.py, emit_host.py), so a header changed after generation
cannot go unnoticed either.
"""
import os
import re
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ABI_HEADER = os.path.join(ROOT, "include", "lorelei", "abi.h")
HOST_HEADER = os.path.join(ROOT, "plugin", "lorelei-host.h")

_NUMBER = r"(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*"


class AbiError(Exception):
    pass


@dataclass(frozen=True)
class Abi:
    syscall_nr: int
    op_call: int
    index_bits: int
    callback_slots: int
    inline_marker: tuple  # the bytes of the inline transport's marker instruction
    inline_max_frame_slots: int


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise AbiError(f"{path}: cannot read it ({e.strerror}); the generator takes the ABI's "
                       "numbers from it")


def _strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def _one(path, text, name, pattern, form):
    found = re.findall(pattern, text, flags=re.M)
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise AbiError(f"{path}: {what} '{form}' found; the generator writes {name} into "
                       "generated code and reads it from there: define it exactly once, "
                       "as a plain number")
    return int(found[0], 0)


def define(path, text, name):
    return _one(path, text, name, rf"^[ \t]*#[ \t]*define[ \t]+{name}[ \t]+{_NUMBER}[ \t]*$",
                f"#define {name} <number>")


def byte_list(path, text, name):
    """A #define of comma-separated byte values (the marker instruction)."""
    byte = r"0[xX][0-9a-fA-F]{1,2}"
    found = re.findall(rf"^[ \t]*#[ \t]*define[ \t]+{name}[ \t]+({byte}(?:[ \t]*,[ \t]*{byte})*)"
                       r"[ \t]*$", text, flags=re.M)
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise AbiError(f"{path}: {what} '#define {name} 0x.., 0x.., ...' found; the generator "
                       f"writes {name} into generated code and reads it from there: define it "
                       "exactly once, as hexadecimal bytes separated by commas")
    return tuple(int(b, 16) for b in found[0].split(","))


def enumerator(path, text, name):
    return _one(path, text, name, rf"\b{name}[ \t]*=[ \t]*{_NUMBER}[ \t]*[,}}]",
                f"{name} = <number>,")


def load(abi_header=None, host_header=None):
    abi_header, host_header = abi_header or ABI_HEADER, host_header or HOST_HEADER
    abi = _strip_comments(_read(abi_header))
    host = _strip_comments(_read(host_header))
    return Abi(syscall_nr=define(abi_header, abi, "LORELEI_SYSCALL_NR"),
               op_call=enumerator(abi_header, abi, "LORELEI_OP_CALL"),
               index_bits=define(abi_header, abi, "LORELEI_FN_INDEX_BITS"),
               callback_slots=define(host_header, host, "LORELEI_CALLBACK_SLOTS"),
               inline_marker=byte_list(abi_header, abi, "LORELEI_INLINE_MARKER_BYTES"),
               inline_max_frame_slots=define(abi_header, abi, "LORELEI_INLINE_MAX_FRAME_SLOTS"))
