/*
 * What `qemu-lorelei --version` and `report` say about this build: the
 * launcher's version and git commit (meson's vcs_tag), the plugin ABI version
 * (include/lorelei/abi.h) and the QEMU it would run (`qemu-x86_64 --version`).
 */
#pragma once

#include <glib.h>

/* "unknown" outside a git checkout. */
const char *lo_git_commit(void);

/* The lines of --version, newline-terminated. */
char *lo_version_text(void);
