/*
 * The rules of profile schema 1: limits, patterns and allow-lists.
 *
 * profiles/schema.json states the same rules for other tools; the test
 * tests/launcher/schema_agreement.py runs both over the same good and bad
 * examples, so change them together. docs/profiles.md explains each rule.
 *
 * Profiles are untrusted (they come from the community repository): every
 * value that reaches QEMU's command line or an environment is either from a
 * fixed list or matched against a pattern that cannot express a path, an
 * option or a library to load.
 */
#pragma once

#include <glib.h>

#define LO_PROFILE_SCHEMA    1
#define LO_PROFILE_MAX_BYTES (64 * 1024)

#define LO_MAX_NAME_CHARS      128
#define LO_MAX_NOTES_CHARS     8192
#define LO_MAX_COMMENT_CHARS   4096
#define LO_MAX_ARGS            64
#define LO_MAX_ARG_CHARS       4096
#define LO_MAX_ENV             64
#define LO_MAX_ENV_VALUE_CHARS 1024
#define LO_MAX_EXE_NAMES       32
#define LO_MAX_SHA256          64
#define LO_MAX_TESTED_ON       256
#define LO_MAX_RECORD_NOTES    1024
#define LO_MAX_LOG_ITEMS       8
#define LO_MAX_VERSION_CHARS   48
/* tested_on records: cpu, gpu_renderer, gpu_driver; frame rates; plugin_abi. */
#define LO_MAX_RECORD_LINE 128
#define LO_MAX_FPS         100000
#define LO_MAX_PLUGIN_ABI  1000000

/* Ids no profile may have: their files would be a repository's index.json
 * and schema.json, which no layer reads as profiles (schema.json: "not"). */
#define LO_RESERVED_IDS "index", "schema"

/* Whether id is one of LO_RESERVED_IDS. */
gboolean lo_id_is_reserved(const char *id);

/* Same text as the "pattern"s in profiles/schema.json. */
#define LO_PAT_ID         "^[a-z0-9][a-z0-9._-]{0,63}$"
#define LO_PAT_SYSROOT    "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#define LO_PAT_SHA256     "^[0-9a-f]{64}$"
#define LO_PAT_EXE        "^[^/]{1,255}$"
#define LO_PAT_DATE       "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#define LO_PAT_HOST_ARCH  "^[a-z0-9_]{1,16}$"
#define LO_PAT_VERSION    "^[0-9]+\\.[0-9]+\\.[0-9]+([-+~][0-9A-Za-z.+~-]+)?$"
#define LO_PAT_STACK_SIZE "^[1-9][0-9]{0,9}[kKM]?$"
/* x86_64 CPU models of qemu-x86_64 -cpu help (no 32-bit-only models, no
 * feature lists: a comma would open QEMU's option syntax). */
#define LO_PAT_CPU                                                                                 \
    "^(max|qemu64|kvm64|core2duo|phenom|(Conroe|Penryn|Nehalem|Westmere|SandyBridge|IvyBridge|"    \
    "Haswell|Broadwell|Skylake-Client|Skylake-Server|Cascadelake-Server|Cooperlake|"               \
    "Icelake-Server|SapphireRapids|GraniteRapids|SierraForest|ClearwaterForest|Snowridge|"         \
    "Denverton|KnightsMill|Opteron_G[1-5]|EPYC|EPYC-Rome|EPYC-Milan|EPYC-Genoa|Dhyana|YongFeng)"   \
    "(-noTSX)?(-IBRS)?(-v[1-9])?)$"
/* The environment variables a profile may set: a positive list, each name
 * with the values it takes and why it is harmless (lo_env_rules in
 * profile-rules.c; schema.json's env.properties list the same names and
 * patterns, docs/profiles.md the reasons). A name-based deny-list missed
 * variables whose value a library opens as a file in the game's working
 * folder (GALLIUM_TRACE, SDL_PATH_DSP, SDL_DISKAUDIOFILEIN,
 * SDL_AUDIODRIVER=disk); a variable joins this list only once what it does
 * with its value is known. */
typedef struct {
    const char *name;
    const char *pattern; /* the whole value, anchored; the text schema.json has */
    const char *values;  /* the pattern in words, for messages */
    const char *why;     /* what it changes, and why that cannot harm */
} LoEnvRule;

/* Ends with a NULL name. */
extern const LoEnvRule lo_env_rules[];

/* The rule for a variable name, or NULL when a profile may not set it. */
const LoEnvRule *lo_env_rule(const char *name);

/* The libraries qemu-lorelei forwards, in command-line order. */
typedef enum {
    LO_THUNK_SDL2,
    LO_THUNK_GL,
    LO_THUNK_VULKAN,
    LO_THUNK_OPENAL,
    LO_THUNK_ZLIB,
    LO_THUNK_VORBISFILE,
    LO_N_THUNKS
} LoThunk;
extern const char *const lo_thunk_names[LO_N_THUNKS + 1];
/* Index of a thunk name, or -1. */
int lo_thunk_from_name(const char *name);

extern const char *const lo_status_names[]; /* playable, runs, broken; NULL-terminated */
extern const char *const lo_log_items[];    /* allowed qemu.log items; NULL-terminated */

/* Whether text matches one of the patterns above (anchored, UTF-8). */
gboolean lo_pattern_match(const char *pattern, const char *text);

/* Character classes: a "line" has no control characters at all (C0, DEL,
 * C1: terminal escapes are as dangerous as newlines when a list is printed);
 * "text" also allows tab and newline. Both return the first bad character
 * (a code point) through bad. */
gboolean lo_is_line(const char *s, gunichar *bad);
gboolean lo_is_text(const char *s, gunichar *bad);

/* NULL when key may be set by a profile, otherwise why not (static). */
const char *lo_env_key_refusal(const char *key);
/* NULL when value passes the rules every value obeys (length, no control
 * character, no '/', no ','), otherwise why not (static). */
const char *lo_env_value_refusal(const char *value);
/* Whether value is one the variable's rule allows (and passes the above). */
gboolean lo_env_value_allowed(const LoEnvRule *rule, const char *value);
