/*
 * qemu-lorelei: run x86_64 Linux games with SDL2, OpenGL, Vulkan, OpenAL, zlib
 * and libvorbisfile forwarded to the host's native libraries.
 *
 * This file holds the subcommand table and main(); each subcommand lives in
 * its own cmd-*.c. Only main() prints errors: "error: <what happened>" and
 * the lines the subcommand added under it (why, and what to do).
 */
#include "binfmt.h"
#include "commands.h"
#include "errors.h"
#include "json-util.h"
#include "lorelei-config.h"
#include "util.h"
#include "version.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const LoSubcommand profile_commands[] = {
    {"list", lo_cmd_profile_list, NULL, "List the profiles of every layer"},
    {"show", lo_cmd_profile_show, NULL, "Show a profile, or how its layers merge (--resolved)"},
    {"validate", lo_cmd_profile_validate, NULL, "Check profile files against the schema"},
    {"new", lo_cmd_profile_new, NULL, "Write a starter profile for an executable"},
    {"edit", lo_cmd_profile_edit, NULL, "Edit your copy of a profile, checked before it is saved"},
    {"remove", lo_cmd_profile_remove, NULL, "Delete one of your own profiles"},
    {"sync", lo_cmd_profile_sync, NULL, "Update the community profiles from their repository"},
    {"index", lo_cmd_profile_index, NULL, "Regenerate a profile repository's index.json"},
    {"report", lo_cmd_profile_report, NULL,
     "Add a tested_on record of a real run to your copy of a profile"},
    {NULL, NULL, NULL, NULL},
};

static const LoSubcommand sysroot_commands[] = {
    {"create", lo_cmd_sysroot_create, NULL,
     "Create an x86_64 sysroot from Debian, installed packages, archives or a folder"},
    {"import", lo_cmd_sysroot_import, NULL, "Add archives or .deb packages to a sysroot"},
    {"list", lo_cmd_sysroot_list, NULL, "List the sysroots with size, origin and date"},
    {"remove", lo_cmd_sysroot_remove, NULL, "Delete a sysroot"},
    {NULL, NULL, NULL, NULL},
};

static const LoSubcommand binfmt_commands[] = {
    {"enable", lo_cmd_binfmt_enable, NULL,
     "Let the kernel run x86_64 programs through qemu-lorelei"},
    {"disable", lo_cmd_binfmt_disable, NULL, "Remove qemu-lorelei's binfmt handler"},
    {"status", lo_cmd_binfmt_status, NULL, "Show binfmt_misc and the x86_64 handlers"},
    {NULL, NULL, NULL, NULL},
};

static const LoSubcommand commands[] = {
    {"run", lo_cmd_run, NULL, "Run an x86_64 game (a path, or the id of a game you added)"},
    {"add", lo_cmd_add, NULL, "Add a game to your library and your desktop's menu"},
    {"list", lo_cmd_list, NULL, "List the games of your library"},
    {"remove", lo_cmd_remove, NULL, "Take a game out of your library"},
    {"profile", NULL, profile_commands, "Manage per-game profiles"},
    {"sysroot", NULL, sysroot_commands, "Manage x86_64 sysroots"},
    {"binfmt", NULL, binfmt_commands, "Run x86_64 programs through qemu-lorelei (binfmt_misc)"},
    {"doctor", lo_cmd_doctor, NULL, "Check QEMU, plugin, libraries, display and GPU"},
    {"report", lo_cmd_report, NULL, "Write a bug report: versions, doctor, profile, last log"},
    {"paths", lo_cmd_paths, NULL, "List the folders qemu-lorelei keeps, with sizes"},
    {"__complete", lo_cmd_complete, NULL, NULL}, /* for the shell completion scripts */
    {NULL, NULL, NULL, NULL},
};

const LoSubcommand *lo_command_table(void)
{
    return commands;
}

GOptionContext *lo_option_context(const char *parameter_string, const char *summary,
                                  const char *examples, const GOptionEntry *entries)
{
    GOptionContext *ctx = g_option_context_new(parameter_string);
    g_option_context_set_summary(ctx, summary);
    if (examples != NULL) {
        g_option_context_set_description(ctx, examples);
    }
    if (entries != NULL) {
        g_option_context_add_main_entries(ctx, entries, NULL);
    }
    return ctx;
}

gboolean lo_option_parse(GOptionContext *ctx, int *argc, char ***argv, GError **error)
{
    g_autoptr(GError) local = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &local)) {
        lo_usage_error(error, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

gboolean lo_no_more_args(int argc, char **argv, int expected, GError **error)
{
    if (argc > expected) {
        g_autofree char *shown = lo_printable(argv[expected], 60);
        lo_usage_error(error, "unexpected argument '%s'", shown);
        return FALSE;
    }
    return TRUE;
}

void lo_print_json(const struct cJSON *doc)
{
    g_autofree char *text = lo_json_to_string(doc);
    fputs(text, stdout);
}

static const char *const *names_of(const LoSubcommand *table)
{
    static const char *names[32];
    int n = 0;
    for (const LoSubcommand *c = table; c->name != NULL && n < 31; c++) {
        if (c->description != NULL) {
            names[n++] = c->name;
        }
    }
    names[n] = NULL;
    return names;
}

static const LoSubcommand *find(const LoSubcommand *table, const char *name)
{
    for (const LoSubcommand *c = table; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void print_table(FILE *out, const char *prefix, const LoSubcommand *table)
{
    for (const LoSubcommand *c = table; c->name != NULL; c++) {
        if (c->description == NULL) {
            continue;
        }
        if (c->subcommands != NULL) {
            g_autofree char *p = g_strconcat(prefix, c->name, " ", NULL);
            print_table(out, p, c->subcommands);
            continue;
        }
        g_autofree char *name = g_strconcat(prefix, c->name, NULL);
        fprintf(out, "  %-18s %s\n", name, c->description);
    }
}

static void print_usage(FILE *out, const char *prefix, const LoSubcommand *table)
{
    fprintf(out, "Usage:\n  qemu-lorelei %sCOMMAND [OPTION…]\n\n", prefix);
    if (prefix[0] == '\0') {
        fprintf(out, "Run x86_64 Linux games on this machine under qemu-x86_64, with SDL2, OpenGL, "
                     "Vulkan,\nOpenAL, zlib and libvorbisfile forwarded to the host's native "
                     "libraries.\n\n");
    }
    fprintf(out, "Commands:\n");
    print_table(out, prefix, table);
    if (prefix[0] == '\0') {
        fprintf(out, "\nOptions:\n  -h, --help         Show this help\n"
                     "  --version          Show the version\n");
        fprintf(out, "\nExamples:\n"
                     "  qemu-lorelei doctor\n"
                     "  qemu-lorelei run ./game --fullscreen\n"
                     "  qemu-lorelei sysroot create default --from-debian bookworm\n"
                     "  qemu-lorelei profile show --resolved glxgears\n");
    }
    fprintf(out,
            "\nRun `qemu-lorelei %sCOMMAND --help` for a command's options and examples.\n"
            "The manual page qemu-lorelei(1) lists the environment variables and exit "
            "statuses.\n",
            prefix);
}

static int fail(GError *error)
{
    int status = lo_exit_status_for(error);
    fflush(stdout);
    /* Messages quote file names, ids and server answers: nothing from
     * outside may reach the terminal as an escape sequence. */
    g_autofree char *shown = lo_printable_text(error->message);
    fprintf(stderr, "error: %s\n", shown);
    g_error_free(error);
    return status;
}

static int unknown_command(const char *prefix, const char *word, const LoSubcommand *table)
{
    GError *error = NULL;
    g_autofree char *shown = lo_printable(word, 60);
    g_set_error(&error, LO_ERROR, LO_EXIT_USAGE, "unknown command '%s%s'", prefix, shown);
    const char *guess = lo_closest_match(word, names_of(table));
    if (guess != NULL) {
        lo_error_fix(&error, "did you mean `qemu-lorelei %s%s`?", prefix, guess);
    } else {
        lo_error_fix(&error, "`qemu-lorelei %s--help` lists the commands", prefix);
    }
    return fail(error);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    g_set_prgname("qemu-lorelei");
    g_autofree char *self = g_path_get_basename(argc > 0 ? argv[0] : "");
    if (strcmp(self, LO_BINFMT_ENTRY) == 0) {
        GError *error = NULL;
        return lo_binfmt_main(argc, argv, &error) ? 0 : fail(error);
    }

    const LoSubcommand *table = commands;
    g_autoptr(GString) prefix = g_string_new(NULL);
    int i = 1;
    for (;;) {
        if (i >= argc) {
            GError *error = NULL;
            print_usage(stderr, prefix->str, table);
            fputc('\n', stderr);
            g_set_error(&error, LO_ERROR, LO_EXIT_USAGE, "no command given");
            lo_error_fix(&error, "pick one of the commands above");
            return fail(error);
        }
        const char *word = argv[i];
        if (strcmp(word, "help") == 0 && i + 1 < argc) {
            /* "help run" is "run --help": move the word to the end. */
            for (int j = i; j < argc - 1; j++) {
                argv[j] = argv[j + 1];
            }
            argv[argc - 1] = (char *)"--help";
            continue;
        }
        if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 || strcmp(word, "help") == 0) {
            print_usage(stdout, prefix->str, table);
            return 0;
        }
        if (strcmp(word, "--version") == 0 && prefix->len == 0) {
            g_autofree char *text = lo_version_text();
            fputs(text, stdout);
            return 0;
        }
        if (word[0] == '-') {
            GError *error = NULL;
            g_autofree char *shown = lo_printable(word, 60);
            /* A mistyped option of qemu-lorelei itself, not one of a command. */
            static const char *const top[] = {"--help", "--version", NULL};
            static const char *const sub[] = {"--help", NULL};
            const char *guess = lo_closest_match(word, prefix->len == 0 ? top : sub);
            if (guess != NULL) {
                g_set_error(&error, LO_ERROR, LO_EXIT_USAGE, "unknown option '%s'", shown);
                lo_error_fix(&error, "did you mean `qemu-lorelei %s%s`?", prefix->str, guess);
                return fail(error);
            }
            g_set_error(&error, LO_ERROR, LO_EXIT_USAGE, "unknown option '%s' before the command",
                        shown);
            lo_error_fix(&error, "options go after the command: qemu-lorelei %sCOMMAND [OPTION…]",
                         prefix->str);
            return fail(error);
        }
        const LoSubcommand *cmd = find(table, word);
        if (cmd == NULL) {
            return unknown_command(prefix->str, word, table);
        }
        g_string_append_printf(prefix, "%s ", cmd->name);
        i++;
        if (cmd->subcommands == NULL) {
            g_autofree char *full =
                g_strdup_printf("qemu-lorelei %.*s", (int)prefix->len - 1, prefix->str);
            g_set_prgname(full);
            /* The subcommand sees itself as argv[0]. */
            argv[i - 1] = full;
            GError *error = NULL;
            if (!cmd->fn(argc - (i - 1), argv + (i - 1), &error)) {
                return fail(error);
            }
            return 0;
        }
        table = cmd->subcommands;
    }
}
