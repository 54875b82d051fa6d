#include "spawn.h"

#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void lo_spawn_result_clear(LoSpawnResult *r)
{
    g_clear_pointer(&r->out, g_free);
    g_clear_pointer(&r->err, g_free);
}

/* The child leads its own process group (see start_group): on a timeout the
 * whole group is killed, and whatever the child left behind when it ended
 * goes with it. A probe that forks (a shell script standing in for QEMU, a
 * GL driver's helper) must not outlive the check that started it. */
static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
}

/* In the child, before it execs or runs its function. */
static void start_group(void)
{
    setpgid(0, 0);
}

/* Collects the child's output until it closes its pipes or time runs out,
 * then reaps it. */
static void collect(pid_t pid, int out_fd, int err_fd, int timeout_ms, gsize max, LoSpawnResult *r)
{
    GString *bufs[2] = {g_string_new(NULL), g_string_new(NULL)};
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int open_fds = (out_fd >= 0) + (err_fd >= 0);
    while (open_fds > 0) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0) {
            r->timed_out = TRUE;
            kill_group(pid);
            break;
        }
        int n = poll(fds, 2, (int)MIN(left, 1000));
        if (n < 0 && errno != EINTR) {
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            char chunk[4096];
            ssize_t got = read(fds[i].fd, chunk, sizeof(chunk));
            if (got > 0) {
                if (bufs[i]->len < max) {
                    g_string_append_len(bufs[i], chunk, MIN((gsize)got, max - bufs[i]->len));
                }
            } else if (got == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i].fd >= 0) {
            close(fds[i].fd);
        }
    }
    /* Wait for the child without reaping it, so that its pid, which names
     * the group, cannot be reused before the group is killed. */
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    kill_group(pid);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
        r->exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status) && !r->timed_out) {
        r->signal = WTERMSIG(status);
    }
    r->out = g_string_free(bufs[0], FALSE);
    r->err = g_string_free(bufs[1], FALSE);
}

gboolean lo_spawn(const char *const *argv, const char *const *envp, int timeout_ms,
                  gsize max_output, LoSpawnResult *r, GError **error)
{
    memset(r, 0, sizeof(*r));
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create a pipe: %s",
                    g_strerror(errno));
        return FALSE;
    }
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create a pipe: %s",
                    g_strerror(errno));
        return FALSE;
    }
    pid_t pid = fork();
    if (pid == 0) {
        start_group();
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execve(argv[0], (char *const *)argv, envp != NULL ? (char *const *)envp : environ);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (pid > 0) {
        setpgid(pid, pid); /* as the child does: whichever runs first */
    }
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot start %s: %s", argv[0],
                    g_strerror(errno));
        return FALSE;
    }
    collect(pid, out[0], err[0], timeout_ms, max_output, r);
    return TRUE;
}

gboolean lo_spawn_function(void (*fn)(int fd, gpointer data), gpointer data, int timeout_ms,
                           LoSpawnResult *r, GError **error)
{
    memset(r, 0, sizeof(*r));
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create a pipe: %s",
                    g_strerror(errno));
        return FALSE;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        start_group();
        close(out[0]);
        /* Libraries may print; keep that off the launcher's own output. */
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        fn(out[1], data);
        _exit(0);
    }
    close(out[1]);
    if (pid > 0) {
        setpgid(pid, pid);
    }
    if (pid < 0) {
        close(out[0]);
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot fork: %s", g_strerror(errno));
        return FALSE;
    }
    collect(pid, out[0], -1, timeout_ms, 1 << 20, r);
    return TRUE;
}

char *lo_spawn_describe(const LoSpawnResult *r, int timeout_ms)
{
    if (r->timed_out) {
        return g_strdup_printf("timed out after %d s", timeout_ms / 1000);
    }
    if (r->signal != 0) {
        return g_strdup_printf("killed by signal %d (%s)", r->signal, g_strsignal(r->signal));
    }
    return g_strdup_printf("exit status %d", r->exit_status);
}
