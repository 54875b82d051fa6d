/*
 * What a resolved profile asks of a run, in typed form with the defaults
 * filled in. The profile was validated, so every value here already passed
 * the allow-lists of profile-rules.h.
 */
#pragma once

#include "profile-rules.h"

#include "json-util.h"
#include <glib.h>

/* The CPU model when the profile names none: "max" (every feature QEMU's
 * TCG emulates) while the game's GL and Vulkan calls go to the host. When
 * the guest runs its own Mesa instead (--no-thunk gl or vulkan), llvmpipe
 * and lavapipe compile shaders with LLVM for the CPU LLVM detects, and under
 * TCG "max" identifies as an AMD family 6 model 6 CPU, which LLVM takes for
 * a 32-bit Athlon: "LLVM ERROR: 64-bit code requested on a subtarget that
 * doesn't support it!", and the game aborts. A named Intel model that TCG
 * emulates in full, and that LLVM knows as a 64-bit CPU, avoids that. */
#define LO_DEFAULT_CPU          "max"
#define LO_EMULATED_DRIVERS_CPU "Haswell-noTSX"

/* CPUID features the guest is not told about, whatever the model. They say
 * REP MOVSB and REP STOSB are the fast way to copy and fill memory (ERMS,
 * FSRM, and the short and zero-length variants), so glibc's memcpy, memmove
 * and memset use them above a few KiB (with FSRM: above 2 KiB). QEMU's TCG
 * runs those instructions one element per loop iteration: 0.6 GB/s for
 * memcpy and 0.8 GB/s for memset on the development machine, against 4 and
 * 25 GB/s for the vector loops glibc takes without these features
 * (bench/strings). A feature a model lacks is dropped silently. */
#define LO_CPU_HIDDEN_FEATURES ",-erms,-fsrm,-fzrm,-fsrs,-fsrc"

/* The default CPU model for these thunks (LO_N_THUNKS booleans). */
const char *lo_default_cpu(const gboolean *thunks);

/* Whether the guest's own LLVM-based driver (llvmpipe, lavapipe) cannot run
 * on this CPU model under QEMU (see above). */
gboolean lo_cpu_breaks_emulated_drivers(const char *cpu);

typedef struct {
    gboolean thunks[LO_N_THUNKS]; /* default: all on */
    /* transport.NAME = "syscall": every call of that library through the
     * magic syscall, none inline (default: inline where the plugin can) */
    gboolean syscall_transport[LO_N_THUNKS];
    char *cpu; /* default: lo_default_cpu(thunks) */
    /* run --keep-rep-strings: the model as it is, LO_CPU_HIDDEN_FEATURES
     * left on (for comparisons) */
    gboolean keep_rep_strings;
    /* run --keep-sse42-strings: the guest's glibc picks its string functions
     * from CPUID alone, no GLIBC_TUNABLES added (guest-tunables.h) */
    gboolean keep_sse42_strings;
    /* run --keep-dynamic-cast: no dynamic_cast cache preloaded into the
     * guest (LORELEI_CASTCACHE_LIBRARY), the C++ runtime answers every cast */
    gboolean keep_dynamic_cast;
    char *stack_size; /* NULL: QEMU's default */
    gboolean strace;
    gboolean one_insn_per_tb;
    GPtrArray *log_items; /* char*, may be empty */
    GPtrArray *env_keys;  /* char*, in profile order */
    GPtrArray *env_values;
    GPtrArray *args; /* char*: given to the game before the user's arguments */
    char *sysroot;   /* NULL: none named */
    /* SDL 1.2 through sdl12-compat over the forwarded SDL2 (default: on) */
    gboolean sdl12_compat;
    /* Not from profiles (they never name paths): run's own options. */
    char *argv0;        /* the game's argv[0] (QEMU -0); NULL: the game's path */
    char *library_path; /* folders after the stub folders in the guest's
                         * LD_LIBRARY_PATH (':'-separated); NULL: none */
} LoRunSettings;

LoRunSettings *lo_run_settings_from_profile(const cJSON *merged);
void lo_run_settings_free(LoRunSettings *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoRunSettings, lo_run_settings_free)
