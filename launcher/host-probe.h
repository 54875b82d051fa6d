/*
 * doctor's look at the host: the native SDL2, GL/EGL, Vulkan, OpenAL, zlib
 * and libvorbisfile libraries the plugin forwards to, the GPU driver behind
 * them, and the display. Each probe runs in a forked child (spawn.h), because loading a GPU
 * driver can crash or hang, and answers with a small JSON object. Only fixed
 * sonames are opened.
 */
#pragma once

#include "json-util.h"
#include <glib.h>

/* {"sdl2": {"ok": true, "version": "2.26.5"} | {"ok": false, "error": "..."},
 *  "gl": {"ok": .., "renderer": .., "version": .., "vendor": .., "error": ..},
 *  "vulkan": {"ok": .., "version": "1.3.239", "device": .., "device_type": .., "error": ..},
 *  "openal": {"ok": .., "version": "OpenAL Soft 1.19.1", "error": ..},
 *  "zlib": {"ok": .., "version": "zlib 1.2.13", "error": ..},
 *  "vorbisfile": {"ok": .., "version": "/usr/lib/…/libvorbisfile.so.3.3.8, Xiph.Org libVorbis
 *                 1.3.7", "error": ..},
 *  "display": {"ok": .., "kind": "X11"|"Wayland", "name": .., "error": ..}}
 * or NULL with error when the child could not run or crashed. Each library is
 * probed in its own child so one crash does not hide the others. */
cJSON *lo_probe_host(int timeout_ms);
