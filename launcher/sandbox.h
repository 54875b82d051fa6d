/*
 * Running inside a Flatpak sandbox (packaging/flatpak): the sandbox sees only
 * the folders the app was granted (~/Games by default, its own data under
 * ~/.var/app/ID, and what `flatpak override --filesystem=` adds). A game or
 * sysroot source the user names may exist on the host and still be missing
 * here; these helpers add the fix that makes it visible.
 */
#pragma once

#include <glib.h>

/* The Flatpak app id when running inside a Flatpak sandbox, else NULL.
 * Inside: $FLATPAK_ID (flatpak sets it), or /.flatpak-info exists. */
const char *lo_flatpak_id(void);

/* doctor's fixes inside the sandbox: the runtime, not the host's packages,
 * provides SDL2 and the GL/Vulkan loaders; the driver comes from the runtime's
 * GL extension. */
#define LO_FLATPAK_RUNTIME_FIX "the Flatpak runtime provides it: run `flatpak update` on the host"
#define LO_FLATPAK_GL_FIX                                                                          \
    "the GPU driver comes from the runtime's GL extension (org.freedesktop.Platform.GL.*): "       \
    "run `flatpak update` on the host, and keep the app's --device=dri"

/* The fix to show: flatpak_fix inside a Flatpak sandbox, where the host's
 * package manager cannot change what the app sees, else host_fix. */
const char *lo_sandbox_fix(const char *host_fix, const char *flatpak_fix);

/* When inside a Flatpak sandbox, appends to *error the notes and fix for a
 * path the sandbox cannot see: the `flatpak override` command that grants
 * the folder holding it (the folder itself when is_dir), run on the host.
 * Does nothing outside a sandbox or without an error. */
void lo_error_fix_sandbox_path(GError **error, const char *path, gboolean is_dir);
