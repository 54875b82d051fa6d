/*
 * The subcommand table (main.c) and what every subcommand shares.
 *
 * A subcommand gets argv with argv[0] set to its full name ("qemu-lorelei
 * profile list"), parses its own options with GOption, returns TRUE on
 * success or FALSE with error set. It prints results to stdout and progress
 * or notes to stderr, but never an error: main() prints that, once.
 */
#pragma once

#include <glib.h>

typedef gboolean (*LoCommandFn)(int argc, char **argv, GError **error);

typedef struct LoSubcommand {
    const char *name;
    LoCommandFn fn;                         /* NULL when it has subcommands */
    const struct LoSubcommand *subcommands; /* ends with a NULL name */
    const char *description;                /* NULL: hidden from --help (__complete) */
} LoSubcommand;

gboolean lo_cmd_run(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_list(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_show(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_validate(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_new(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_sync(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_index(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_edit(int argc, char **argv, GError **error);
gboolean lo_cmd_profile_remove(int argc, char **argv, GError **error);
/* cmd-profile-edit.c: the profile files of every layer, in layer order. */
GPtrArray *lo_profile_every_file(GError **error);
gboolean lo_cmd_sysroot_create(int argc, char **argv, GError **error);
gboolean lo_cmd_sysroot_import(int argc, char **argv, GError **error);
gboolean lo_cmd_sysroot_list(int argc, char **argv, GError **error);
gboolean lo_cmd_sysroot_remove(int argc, char **argv, GError **error);
gboolean lo_cmd_doctor(int argc, char **argv, GError **error);
gboolean lo_cmd_complete(int argc, char **argv, GError **error);
/* main.c's table of commands, for __complete. */
const LoSubcommand *lo_command_table(void);
gboolean lo_cmd_paths(int argc, char **argv, GError **error);
gboolean lo_cmd_report(int argc, char **argv, GError **error);
gboolean lo_cmd_add(int argc, char **argv, GError **error);
gboolean lo_cmd_list(int argc, char **argv, GError **error);
gboolean lo_cmd_remove(int argc, char **argv, GError **error);
gboolean lo_cmd_binfmt_enable(int argc, char **argv, GError **error);
gboolean lo_cmd_binfmt_disable(int argc, char **argv, GError **error);
gboolean lo_cmd_binfmt_status(int argc, char **argv, GError **error);

/* cmd-binfmt.c: what the kernel runs for an x86_64 program once binfmt is
 * enabled (argv[0] named qemu-lorelei-binfmt: PATH ARGV0 ARG...). */
gboolean lo_binfmt_main(int argc, char **argv, GError **error);
/* Whether path starts with "#!". */
gboolean lo_file_is_script(const char *path);
/* run SCRIPT: with binfmt active, runs the script on the host (its x86_64
 * programs come back through binfmt, with sysroot and no_thunk passed on in
 * the environment); without, the error says how to enable it. */
gboolean lo_binfmt_run_script(const char *script, char **args, const char *sysroot, char **no_thunk,
                              const char *profile, gboolean dry_run, GError **error);

/* A GOption context for a subcommand: parameter_string is shown after
 * "[OPTION…]", summary above the options, examples below them. */
GOptionContext *lo_option_context(const char *parameter_string, const char *summary,
                                  const char *examples, const GOptionEntry *entries);

/* Parses argv in place; errors become usage errors that point at --help. */
gboolean lo_option_parse(GOptionContext *ctx, int *argc, char ***argv, GError **error);

/* A usage error when argv holds more than expected entries (argv[0] counts). */
gboolean lo_no_more_args(int argc, char **argv, int expected, GError **error);

/* Prints a cJSON document to stdout (two-space indented). */
struct cJSON;
void lo_print_json(const struct cJSON *doc);
