/*
 * qemu-lorelei __complete KIND: the words the shell completion scripts
 * (launcher/completions/) cannot know in advance, one per line — profile
 * ids, sysroot names, the ids of the game library, the forwarded libraries.
 * Hidden from --help; quiet on errors (a completion must never print them
 * into the user's command line).
 *
 *   __complete commands [PARENT]   subcommands (of PARENT: profile, sysroot, binfmt)
 *   __complete options CMD [SUB]   the options CMD's --help lists, so the
 *                                  scripts never fall behind the code
 *   __complete profiles|sysroots|games|thunks
 */
#include "commands.h"
#include "game-library.h"
#include "profile-rules.h"
#include "profile-store.h"
#include "sysroot-store.h"

#include "spawn.h"

#include <stdio.h>
#include <string.h>

/* Options as --help shows them: "  -p, --profile=ID   …" or "  --json   …". */
static void print_options(const char *help)
{
    g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        const char *p = *l;
        if (!g_str_has_prefix(p, "  -")) {
            continue;
        }
        p += 2;
        while (*p == '-') {
            gsize n = strspn(p, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
            g_autofree char *opt = g_strndup(p, n);
            if (strcmp(opt, "--help-all") != 0 && strlen(opt) > 1) {
                printf("%s\n", opt);
            }
            p += n;
            p += strcspn(p, ", ");
            if (p[0] == ',' && p[1] == ' ') {
                p += 2;
            } else {
                break;
            }
        }
    }
}

static void options_of(int argc, char **argv)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    if (self == NULL || argc > 4) {
        return;
    }
    const char *run[6] = {self};
    int n = 1;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] != '\0') {
            run[n++] = argv[i];
        }
    }
    run[n++] = "--help";
    run[n] = NULL;
    LoSpawnResult r = {0};
    if (lo_spawn(run, NULL, 5000, 64 * 1024, &r, NULL)) {
        if (r.exit_status == 0 && r.signal == 0) {
            print_options(r.out);
        }
        lo_spawn_result_clear(&r);
    }
}
gboolean lo_cmd_complete(int argc, char **argv, GError **error)
{
    (void)error;
    const char *kind = argc > 1 ? argv[1] : "";
    if (strcmp(kind, "commands") == 0) {
        const LoSubcommand *table = lo_command_table();
        if (argc > 2) {
            const LoSubcommand *parent = table;
            for (; parent->name != NULL && strcmp(parent->name, argv[2]) != 0; parent++) {
            }
            table = parent->name != NULL ? parent->subcommands : NULL;
        }
        for (const LoSubcommand *c = table; c != NULL && c->name != NULL; c++) {
            if (c->description != NULL) {
                printf("%s\n", c->name);
            }
        }
    } else if (strcmp(kind, "options") == 0) {
        options_of(argc - 2, argv + 2);
    } else if (strcmp(kind, "profiles") == 0) {
        g_autoptr(LoProfileStore) store = lo_profile_store_load(NULL);
        g_autoptr(GPtrArray) ids = store != NULL ? lo_profile_store_ids(store) : NULL;
        for (guint i = 0; ids != NULL && i < ids->len; i++) {
            printf("%s\n", (char *)ids->pdata[i]);
        }
    } else if (strcmp(kind, "sysroots") == 0) {
        g_autoptr(GPtrArray) list = lo_sysroot_list();
        for (guint i = 0; i < list->len; i++) {
            printf("%s\n", ((LoSysrootInfo *)list->pdata[i])->name);
        }
    } else if (strcmp(kind, "games") == 0) {
        g_autoptr(GPtrArray) games = lo_library_load(NULL);
        for (guint i = 0; games != NULL && i < games->len; i++) {
            printf("%s\n", ((LoGame *)games->pdata[i])->id);
        }
    } else if (strcmp(kind, "thunks") == 0) {
        for (int i = 0; i < LO_N_THUNKS; i++) {
            printf("%s\n", lo_thunk_names[i]);
        }
    }
    return TRUE;
}
