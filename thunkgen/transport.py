"""Which forwarded calls the inline transport may serve (docs/abi.md,
"Inline calls").

An inline call runs inside QEMU's translated code: its vCPU counts as
running until the host function returns, so a guest thread that needs
exclusive access (fork(), a translation-cache flush, its first
pthread_create) waits for it - and if the call waits for that thread, the
game hangs; if it only waits long, every thread stalls with it. So a call
that may wait for another thread, a device or the window system keeps the
syscall path, which leaves the CPU loop before the host call ("blocking").
So does a call whose host code may fork() (libdbus starting a session bus):
QEMU's fork handlers deadlock inside translated code. So does a call that
may run a guest callback: the guest has to run code in the middle of it
(the stub never tries those inline).

A function is blocking if its description says so ([functions.NAME]
blocking = true, or false to overrule a name), otherwise if its name matches
one of DEFAULT_PATTERNS below or the library's [library] blocking_patterns.
Patterns are regular expressions searched in the name. Erring towards
blocking costs a blocking call nothing (it pays the syscall anyway); erring
the other way can hang a game, so the defaults are generous.
"""
import re

DEFAULT_PATTERNS = [
    "Wait",     # glClientWaitSync, eglClientWaitSync, vkWaitForFences, vk*WaitIdle,
                # SDL_WaitEvent*, SDL_SemWait*, SDL_CondWait*
    "Swap",     # glXSwapBuffers, eglSwapBuffers, SDL_GL_SwapWindow
    "Finish",   # glFinish and the vendor fence finishes
    "Sleep",
    "Delay",    # SDL_Delay
    "Present",  # vkQueuePresentKHR, SDL_RenderPresent
    "Acquire",  # vkAcquireNextImageKHR
    "Lock",     # SDL_LockMutex, SDL_LockAudio*, SDL_AtomicLock: another thread holds them
    "Join",
]


def may_call_back(f):
    """True if a call of f may run a guest callback before returning."""
    return f.may_callback or any(p.type.kind == "fnptr" or p.type.callback_struct
                                 or p.type.value_callbacks for p in f.params)


def classify(lib, library_patterns, where):
    """Sets f.blocking on every thunked function of lib."""
    patterns = []
    for p in DEFAULT_PATTERNS + list(library_patterns):
        try:
            patterns.append(re.compile(p))
        except re.error as e:
            raise ValueError(f"{where}: blocking_patterns: '{p}' is not a regular expression: {e}")
    used = set()
    for f in lib.thunked():
        if f.blocking is None:
            hits = [p.pattern for p in patterns if p.search(f.name)]
            used.update(hits)
            f.blocking = bool(hits)
    unused = [p for p in library_patterns if p not in used]
    if unused:
        raise ValueError(f"{where}: blocking_patterns match no function without its own "
                         f"'blocking' annotation: {', '.join(unused)}")


def inline_candidate(f):
    """The stub tries f inline: it cannot call back. Whether the plugin
    serves it (not blocking, library not switched to the syscall path, ...)
    is decided at run time."""
    return not may_call_back(f) and f.name != "__lorelei_host_free"
