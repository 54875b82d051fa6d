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

/* When inside a Flatpak sandbox, appends to *error the notes and fix for a
 * path the sandbox cannot see: the `flatpak override` command that grants
 * the folder holding it (the folder itself when is_dir), run on the host.
 * Does nothing outside a sandbox or without an error. */
void lo_error_fix_sandbox_path(GError **error, const char *path, gboolean is_dir);
