/*
 * The game library: the games a user added with `qemu-lorelei add`, kept in
 * $XDG_CONFIG_HOME/qemu-lorelei/games.json, each with a desktop entry in
 * $XDG_DATA_HOME/applications/qemu-lorelei-ID.desktop.
 *
 *   {"schema": 1,
 *    "games": {"mygame": {"name": "My Game", "path": "/home/me/Games/x/game.x86_64",
 *                         "workdir": "/home/me/Games/x", "args": ["--windowed"],
 *                         "profile": "mygame", "added": "2026-12-04T10:00:00Z"}}}
 *
 * Why a file of its own and not a profile: a profile is shareable and
 * untrusted (the community layer), so schema 1 refuses paths outright; a
 * library entry is this machine's paths and this user's arguments, never
 * shared. `run ID` reads it; profiles still come from the profile layers
 * (an entry may name one).
 *
 * The file is the user's own, but it is still checked on every read (types,
 * id pattern, absolute paths, no control characters, sizes): a hand edit
 * that breaks it gives a message, never a surprise. Writes take a lock and
 * replace the file in one rename.
 */
#pragma once

#include "json-util.h"
#include <glib.h>

#define LO_LIBRARY_FILE      "games.json"
#define LO_LIBRARY_SCHEMA    1
#define LO_LIBRARY_MAX_BYTES (1024 * 1024)
#define LO_LIBRARY_MAX_GAMES 4096
#define LO_LIBRARY_MAX_PATH  4096
#define LO_DESKTOP_PREFIX    "qemu-lorelei-"

typedef struct {
    char *id;
    char *name;
    char *path;    /* absolute */
    char *workdir; /* absolute */
    GPtrArray *args;
    char *profile; /* NULL: matched as usual */
    char *added;   /* ISO 8601, may be NULL */
} LoGame;

void lo_game_free(LoGame *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoGame, lo_game_free)

/* $XDG_CONFIG_HOME/qemu-lorelei/games.json */
char *lo_library_path(void);

/* $XDG_DATA_HOME/applications/qemu-lorelei-ID.desktop */
char *lo_game_desktop_path(const char *id);

/* Parses and checks a library document; NULL (LO_EXIT_INVALID, naming the
 * entry and key) when anything is wrong. An empty text is an empty library. */
GPtrArray *lo_library_parse(const char *text, gsize length, GError **error);

/* The games in the library file, sorted by id (LoGame*); none when it does
 * not exist yet. */
GPtrArray *lo_library_load(GError **error);

/* The game with this id, or NULL (without error) when there is none. */
LoGame *lo_library_find(GPtrArray *games, const char *id);

/* Adds (or with replace, replaces) a game, or removes id (game NULL), under
 * the library's lock. LO_EXIT_EXISTS / LO_EXIT_NOT_FOUND as fits. */
gboolean lo_library_update(const char *id, const LoGame *game, gboolean replace, GError **error);

/* The library document for games (for writing). */
cJSON *lo_library_to_json(GPtrArray *games);

/* An id from a name or file name: lowercase letters, digits, '.', '_', '-';
 * a trailing .x86_64/.x86-64/.amd64/.bin/.elf dropped. */
char *lo_game_id_from_name(const char *name);

/* The game's own icon (a PNG, SVG or XPM beside it, Unity's and GOG's
 * places), else qemu-lorelei's; an absolute path, or NULL for none. */
char *lo_game_find_icon(const char *game_path);

/* The text of the desktop entry that runs a game by id. exe: the launcher. */
char *lo_game_desktop_entry(const LoGame *game, const char *exe, const char *icon);

/* For `run WORD`: the library's game when WORD is a bare id that the
 * library holds, else NULL without error. */
gboolean lo_library_lookup_for_run(const char *word, LoGame **game, GError **error);

/* For `run ID`: changes into the game's working folder. */
gboolean lo_library_enter(const LoGame *game, GError **error);

/* The game's stored arguments followed by extra (NULL-terminated; may be
 * NULL), as a NULL-terminated array; game may be NULL. */
GPtrArray *lo_library_game_args(const LoGame *game, char **extra);
