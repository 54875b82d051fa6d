#!/usr/bin/env python3
"""The shipped transport classification (thunkgen/transport.py and the
libraries' blocking_patterns): every call known to wait keeps the syscall
path, and the hot calls a frame is made of take the inline one.

usage: check_classification.py SUMMARY.json...   (the generated summaries)
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from lorelei import Checks  # noqa: E402

# Calls that wait for other threads, the window system or long, or may fork
# (D-Bus clients): never inline.
MUST_NOT_BE_INLINE = {
    "gl": ["glXSwapBuffers", "eglSwapBuffers", "glFinish", "glClientWaitSync",
           "eglClientWaitSync", "glXWaitGL", "glXWaitX", "eglWaitGL", "eglWaitNative",
           "glXMakeCurrent", "eglMakeCurrent"],
    "sdl2": ["SDL_Delay", "SDL_WaitEvent", "SDL_WaitEventTimeout", "SDL_GL_SwapWindow",
             "SDL_LockAudio", "SDL_LockAudioDevice", "SDL_PauseAudio", "SDL_PauseAudioDevice",
             "SDL_CloseAudio", "SDL_CloseAudioDevice", "SDL_QueueAudio", "SDL_DequeueAudio",
             "SDL_GetQueuedAudioSize", "SDL_ClearQueuedAudio", "SDL_LockMutex", "SDL_SemWait",
             "SDL_SemWaitTimeout", "SDL_CondWait", "SDL_CondWaitTimeout", "SDL_RenderPresent",
             "SDL_Quit", "SDL_ShowSimpleMessageBox", "SDL_GetClipboardText", "SDL_PollEvent",
             "SDL_PumpEvents", "SDL_StartTextInput", "SDL_DisableScreenSaver", "SDL_VideoInit",
             "SDL_VideoQuit"],
    "vulkan": ["vkQueuePresentKHR", "vkWaitForFences", "vkAcquireNextImageKHR",
               "vkDeviceWaitIdle", "vkQueueWaitIdle", "vkWaitSemaphores",
               "vkCreateSwapchainKHR", "vkDestroySwapchainKHR"],
}
# What frames are made of: these must stay inline.
MUST_BE_INLINE = {
    "gl": ["glVertex3f", "glColor3f", "glDrawArrays", "glDrawElements", "glUniform1i",
           "glBindBuffer", "glBindTexture", "glClear", "glUseProgram", "glWaitSync",
           "glGetError", "glReadPixels"],
    "sdl2": ["SDL_GetTicks", "SDL_GetWindowFlags", "SDL_RenderCopy", "SDL_PeepEvents",
             "SDL_LockTexture", "SDL_GetKeyboardState"],
    "vulkan": ["vkCmdDraw", "vkCmdBindPipeline", "vkQueueSubmit", "vkBeginCommandBuffer",
               "vkCmdWaitEvents", "vkGetFenceStatus", "vkResetFences"],
}

c = Checks()
for path in sys.argv[1:]:
    s = json.load(open(path))
    lib = s["name"]
    if lib not in MUST_NOT_BE_INLINE:
        continue
    syscall_only = set(s["blocking"]) | set(s["may_call_back"])
    guest = set(s["guest"])  # run in the guest: no host call at all
    exports = set(s["exports"])
    for f in MUST_NOT_BE_INLINE[lib]:
        c.check(f in exports and (f in syscall_only or f in guest),
                f"{lib}: {f} keeps the syscall transport" + (" (guest-side)" if f in guest else ""))
    for f in MUST_BE_INLINE[lib]:
        c.check(f in exports and f not in syscall_only and f not in guest,
                f"{lib}: {f} may be served inline")
c.check(len(sys.argv) > 1, "summaries were given")
c.finish()
