/*
 * The profile layers and their merge.
 *
 *   built-in   $datadir/qemu-lorelei/profiles (LORELEI_PROFILES_DIR)
 *   community  $XDG_DATA_HOME/qemu-lorelei/community (written by profile sync)
 *   user       $XDG_CONFIG_HOME/qemu-lorelei/profiles
 *   command line  (run/profile show options such as --no-thunk)
 *
 * A layer holds <id>.json files. Profiles with the same id are merged, later
 * layers winning: objects (match, thunks, env, qemu) key by key, everything
 * else (strings, lists) whole. So a user file may hold just
 * {"schema": 1, "id": "glxgears", "env": {"vblank_mode": "0"}}.
 * The merge remembers which layer (and file) every value came from.
 */
#pragma once

#include "json-util.h"
#include <glib.h>

typedef enum {
    LO_LAYER_BUILTIN,
    LO_LAYER_COMMUNITY,
    LO_LAYER_USER,
    LO_LAYER_CLI,
    LO_N_LAYERS
} LoLayer;

extern const char *const lo_layer_names[LO_N_LAYERS];

/* Most files one layer directory may hold; more is refused, not truncated. */
#define LO_MAX_PROFILES_PER_LAYER 4096

typedef struct {
    LoLayer layer;
    char *path; /* NULL for the command line */
    cJSON *doc; /* valid against schema 1 */
} LoProfileSource;

/* A file that was not used because it is broken. */
typedef struct {
    LoLayer layer;
    char *path;
    char *file_id; /* its file name without ".json" */
    char *text;    /* its bytes, when they could be read (else NULL) */
    gsize length;
    char *problem; /* "PATH is not a valid profile" and the problems under it */
} LoSkippedFile;

struct LoMatchIndex;

typedef struct {
    char *dirs[LO_N_LAYERS]; /* NULL where a layer has no directory */
    GHashTable *by_id;       /* id -> GPtrArray of LoProfileSource*, in layer order */
    GPtrArray *problems;     /* one "file: what is wrong" per file that was skipped */
    GPtrArray *skipped;      /* LoSkippedFile*, the files behind those problems */
    GPtrArray *notes;        /* things worth saying that are not problems */
    /* The community layer read on demand (lo_profile_store_open): its match
     * index, and the ids whose file was looked for. NULL: read whole. */
    struct LoMatchIndex *community_index;
    GHashTable *community_tried;
} LoProfileStore;

/* Loads the three file layers from their standard places. A layer directory
 * that does not exist is empty; only an explicitly set LORELEI_PROFILES_DIR
 * that is missing is an error. Invalid files are skipped and listed in
 * store->problems. */
LoProfileStore *lo_profile_store_load(GError **error);

/* Same, from given directories (any may be NULL): for tests and fuzzers. */
LoProfileStore *lo_profile_store_load_dirs(const char *builtin, const char *community,
                                           const char *user);

/* For a launch: the built-in and user layers are read whole (they are
 * small), the community layer only on demand, through the match index
 * `profile sync` writes (match-index.h): the profiles that can match the
 * game (lo_profile_store_community_candidates, lo_profile_match) and those
 * asked for by id (lo_profile_store_sources, lo_profile_resolve). Without a
 * usable index the community layer is read whole, with a note. */
LoProfileStore *lo_profile_store_open(GError **error);
LoProfileStore *lo_profile_store_open_dirs(const char *builtin, const char *community,
                                           const char *user);

/* Reads the community profiles the index lists for these names and sha256
 * (may be NULL); *lists_sha256 becomes TRUE when one of those lists
 * sha256s, or some community profile lists sha256s without names (whether
 * identifying the game needs its sha256). FALSE when the index was damaged
 * and the layer was read whole instead. */
gboolean lo_profile_store_community_candidates(LoProfileStore *store, const char *const *exe_names,
                                               const char *sha256, gboolean *lists_sha256);

void lo_profile_store_free(LoProfileStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoProfileStore, lo_profile_store_free)

/* Whether matching the program going by exe_names needs its sha256: some
 * file in some layer lists sha256s and names one of exe_names, or lists
 * sha256s without names. Otherwise hashing the game (seconds for a big
 * one) could not change which profile it gets. */
gboolean lo_profile_store_wants_sha256(LoProfileStore *store, const char *const *exe_names);

/* All ids read so far, sorted. The strings belong to the store. */
GPtrArray *lo_profile_store_ids(LoProfileStore *store);

/* The sources defining id in layer order, or NULL (reads the community
 * file of id first when that layer is read on demand). */
GPtrArray *lo_profile_store_sources(LoProfileStore *store, const char *id);

/* Prints the skipped files to stderr as warnings. */
void lo_profile_store_warn(LoProfileStore *store);

/* A skipped (broken) file that would have applied to a run of the program
 * going by exe_names with that sha256 (may be NULL), whose profile is id
 * (may be NULL): the file of that profile in any layer, or one whose match
 * lists the program, or, when it is not even JSON, one that mentions the
 * program's name or sha256 as a string. why says which (to be freed). A run
 * must stop on such a file: running without it would silently drop what the
 * file was meant to set. NULL when there is none. */
const LoSkippedFile *lo_profile_store_broken_match(LoProfileStore *store, const char *id,
                                                   const char *const *exe_names, const char *sha256,
                                                   char **why);

typedef struct {
    char *id;
    cJSON *merged;      /* the resolved profile (no "schema", no "$comment") */
    GHashTable *origin; /* value path ("env.SDL_VIDEODRIVER", "args") -> LoProfileSource* */
    GPtrArray *sources; /* LoProfileSource*, owned: the file layers' and the CLI's */
} LoResolved;

/* The command-line layer as profile keys: what --sysroot NAME and
 * --no-thunk LIB (repeatable; may be NULL) say. An unknown library or an
 * invalid sysroot name is a usage error. */
cJSON *lo_cli_layer(const char *sysroot, char *const *no_thunk, GError **error);

/* Merges every layer's profile id and then cli (an object of profile keys,
 * may be NULL). id may be NULL for "no profile": then only cli applies. An
 * unknown id is LO_EXIT_NOT_FOUND with a "did you mean". */
LoResolved *lo_profile_resolve(LoProfileStore *store, const char *id, const cJSON *cli,
                               GError **error);
void lo_resolved_free(LoResolved *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoResolved, lo_resolved_free)

/* "user (/home/me/.config/qemu-lorelei/profiles/x.json)" for a value path. */
char *lo_resolved_origin_text(const LoResolved *r, const char *path);

typedef enum { LO_MATCH_NONE, LO_MATCH_EXE_NAME, LO_MATCH_SHA256 } LoMatchKind;

typedef struct {
    LoMatchKind kind;
    char *id;        /* the chosen profile, NULL for none */
    GPtrArray *also; /* other ids that matched as strongly, beaten by layer or id */
    LoLayer layer;   /* the chosen profile's highest layer */
} LoMatch;

/* The highest layer with a file for a profile (its sources, in layer order). */
LoLayer lo_profile_top_layer(const GPtrArray *sources);

/* Finds the profile for a program. The profile whose highest layer is
 * highest wins (a user file, even one that only tweaks a built-in profile,
 * beats every community and built-in profile; community beats built-in),
 * so a repository can never out-rank the user's own choice; within a
 * layer one listing the program's sha256 beats one listing only its file
 * name; among equals the smallest id wins. exe_names: the names the
 * program goes by (what was typed and the file it resolves to). */
LoMatch lo_profile_match(LoProfileStore *store, const char *const *exe_names, const char *sha256);
void lo_match_clear(LoMatch *m);
