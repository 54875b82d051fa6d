/*
 * What a resolved profile asks of a run, in typed form with the defaults
 * filled in. The profile was validated, so every value here already passed
 * the allow-lists of profile-rules.h.
 */
#pragma once

#include "profile-rules.h"

#include "json-util.h"
#include <glib.h>

#define LO_DEFAULT_CPU "max"

typedef struct {
    gboolean thunks[LO_N_THUNKS]; /* default: all on */
    /* transport.NAME = "syscall": every call of that library through the
     * magic syscall, none inline (default: inline where the plugin can) */
    gboolean syscall_transport[LO_N_THUNKS];
    char *cpu;        /* default LO_DEFAULT_CPU */
    char *stack_size; /* NULL: QEMU's default */
    gboolean strace;
    gboolean one_insn_per_tb;
    GPtrArray *log_items; /* char*, may be empty */
    GPtrArray *env_keys;  /* char*, in profile order */
    GPtrArray *env_values;
    GPtrArray *args; /* char*: given to the game before the user's arguments */
    char *sysroot;   /* NULL: none named */
} LoRunSettings;

LoRunSettings *lo_run_settings_from_profile(const cJSON *merged);
void lo_run_settings_free(LoRunSettings *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoRunSettings, lo_run_settings_free)
