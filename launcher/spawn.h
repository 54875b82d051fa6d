/*
 * Running a helper program (QEMU --version, the probe) or a function in a
 * child process, with a time limit and bounded output: doctor must report
 * a hang or a crash, not suffer it.
 */
#pragma once

#include <glib.h>

typedef struct {
    int exit_status; /* when exited */
    int signal;      /* when killed by a signal (0 otherwise) */
    gboolean timed_out;
    char *out; /* stdout, at most max_output bytes */
    char *err; /* stderr, likewise */
} LoSpawnResult;

void lo_spawn_result_clear(LoSpawnResult *r);

/* Runs argv (envp NULL: this environment); FALSE only when it cannot start. */
gboolean lo_spawn(const char *const *argv, const char *const *envp, int timeout_ms,
                  gsize max_output, LoSpawnResult *r, GError **error);

/* Runs fn(fd, data) in a forked child that writes its answer to fd; the
 * answer lands in r->out. For probes that load host libraries which might
 * crash or hang. */
gboolean lo_spawn_function(void (*fn)(int fd, gpointer data), gpointer data, int timeout_ms,
                           LoSpawnResult *r, GError **error);

/* A one-line summary: "exit status 3", "killed by signal 11 (Segmentation
 * fault)", "timed out after 10 s". */
char *lo_spawn_describe(const LoSpawnResult *r, int timeout_ms);
