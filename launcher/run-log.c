#include "run-log.h"

#include "errors.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static FILE *log_file;
static char *log_path;
static GPrintFunc previous_printerr;
static volatile sig_atomic_t child_pid;
static void (*finish_hook)(int status, int signal);

char *lo_log_dir(void)
{
    return g_build_filename(g_get_user_state_dir(), "qemu-lorelei", "logs", NULL);
}

/* The logs this launcher names: YYYYMMDD-HHMMSS-… .log */
static gboolean is_our_log(const char *name)
{
    if (strlen(name) < 20 || !g_str_has_suffix(name, ".log") || name[8] != '-' || name[15] != '-') {
        return FALSE;
    }
    for (int i = 0; i < 15; i++) {
        if (i != 8 && !g_ascii_isdigit(name[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

static GPtrArray *our_logs(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (is_our_log(name)) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_ptr_array_sort(names, lo_compare_strings);
    return names;
}

static void rotate(const char *dir)
{
    g_autoptr(GPtrArray) names = our_logs(dir);
    for (guint i = 0; i + LO_LOG_KEEP < names->len; i++) {
        g_autofree char *p = g_build_filename(dir, names->pdata[i], NULL);
        unlink(p);
    }
}

char *lo_log_latest(void)
{
    g_autofree char *dir = lo_log_dir();
    g_autoptr(GPtrArray) names = our_logs(dir);
    if (names->len == 0) {
        return NULL;
    }
    return g_build_filename(dir, names->pdata[names->len - 1], NULL);
}

static void printerr_tee(const char *text)
{
    fputs(text, stderr);
    if (log_file != NULL) {
        fputs(text, log_file);
        fflush(log_file);
    }
}

/* A file name part from the game's name: letters, digits, '.', '_', '-'. */
static char *safe_name(const char *game)
{
    g_autofree char *base = g_path_get_basename(game);
    GString *out = g_string_new(NULL);
    for (const char *p = base; *p != '\0' && out->len < 40; p++) {
        g_string_append_c(out, g_ascii_isalnum(*p) || strchr("._-", *p) ? *p : '_');
    }
    return g_string_free(out, FALSE);
}

gboolean lo_run_log_open(const char *file, const char *game, int argc, char **argv, GError **error)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    if (file == NULL) {
        g_autofree char *dir = lo_log_dir();
        if (g_mkdir_with_parents(dir, 0700) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create the log folder %s: %s",
                        dir, g_strerror(errno));
            return FALSE;
        }
        g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
        g_autofree char *name = safe_name(game);
        g_autofree char *base = g_strdup_printf("%s-%s-%d.log", stamp, name, (int)getpid());
        log_path = g_build_filename(dir, base, NULL);
    } else {
        log_path = g_canonicalize_filename(file, NULL);
        struct stat st;
        if (stat(log_path, &st) == 0 && (!S_ISREG(st.st_mode) || (st.st_mode & 0111) != 0)) {
            g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                        "--log=%s: refusing to overwrite a program or a non-regular file", file);
            lo_error_fix(error, "give the log a new file name, e.g. --log=game.log");
            g_clear_pointer(&log_path, g_free);
            return FALSE;
        }
    }
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0 || (log_file = fdopen(fd, "w")) == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot write the log %s: %s", log_path,
                    g_strerror(errno));
        lo_error_fix(error, "give another file with --log=FILE");
        if (fd >= 0) {
            close(fd);
        }
        g_clear_pointer(&log_path, g_free);
        return FALSE;
    }
    if (file == NULL) {
        g_autofree char *dir = lo_log_dir();
        rotate(dir);
    }
    g_autofree char *when = g_date_time_format_iso8601(now);
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    g_ptr_array_add(words, (char *)"qemu-lorelei");
    for (int i = 0; i < argc; i++) {
        g_ptr_array_add(words, i == 0 ? (char *)"run" : argv[i]);
    }
    g_ptr_array_add(words, NULL);
    g_autofree char *line = lo_shell_join((const char *const *)words->pdata);
    g_autofree char *cwd = g_get_current_dir();
    fprintf(log_file, "qemu-lorelei run log, started %s\ncommand: %s\nworking folder: %s\n", when,
            line, cwd);
    fflush(log_file);
    previous_printerr = g_set_printerr_handler(printerr_tee);
    g_printerr("qemu-lorelei: log: %s\n", log_path);
    return TRUE;
}

gboolean lo_run_log_active(void)
{
    return log_file != NULL;
}

const char *lo_run_log_path(void)
{
    return log_path;
}

void lo_run_log_line(const char *fmt, ...)
{
    if (log_file == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
}

static void pass_on(int sig)
{
    if (child_pid > 0) {
        kill(child_pid, sig);
    }
}

/* Copies what arrives on the two pipes to our stdout/stderr and the log
 * until both close. */
static void copy_output(int out_fd, int err_fd)
{
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    const int to[2] = {STDOUT_FILENO, STDERR_FILENO};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            char chunk[8192];
            ssize_t got = read(fds[i].fd, chunk, sizeof(chunk));
            if (got > 0) {
                /* The terminal may be gone (a closed window): keep logging. */
                ssize_t done = 0;
                while (done < got) {
                    ssize_t w = write(to[i], chunk + done, got - done);
                    if (w <= 0 && errno != EINTR) {
                        break;
                    }
                    done += w > 0 ? w : 0;
                }
                fwrite(chunk, 1, got, log_file);
                fflush(log_file);
            } else if (got == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
}

gboolean lo_run_log_exec(char **argv, char **envp, int *status, int *signal_out, GError **error)
{
    *status = 0;
    *signal_out = 0;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create a pipe: %s",
                    g_strerror(errno));
        return FALSE;
    }
    lo_run_log_line("----- output of QEMU and the game -----");
    gint64 start = g_get_monotonic_time();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execve(argv[0], argv, envp);
        dprintf(STDERR_FILENO, "qemu-lorelei: cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot fork: %s", g_strerror(errno));
        return FALSE;
    }
    child_pid = pid;
    /* Ctrl-C and Ctrl-\ reach the game from the terminal; we wait for it. */
    struct sigaction ignore = {.sa_handler = SIG_IGN}, forward = {.sa_handler = pass_on};
    sigaction(SIGINT, &ignore, NULL);
    sigaction(SIGQUIT, &ignore, NULL);
    sigaction(SIGTERM, &forward, NULL);
    sigaction(SIGHUP, &forward, NULL);
    copy_output(out[0], err[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    child_pid = 0;
    double seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    if (WIFSIGNALED(wstatus)) {
        *signal_out = WTERMSIG(wstatus);
        *status = 128 + *signal_out;
        lo_run_log_line("----- killed by signal %d (%s) after %.1f s -----", *signal_out,
                        g_strsignal(*signal_out), seconds);
    } else {
        *status = WEXITSTATUS(wstatus);
        lo_run_log_line("----- exit status %d after %.1f s -----", *status, seconds);
    }
    return TRUE;
}

void lo_run_log_close(void)
{
    if (log_file == NULL) {
        return;
    }
    g_set_printerr_handler(previous_printerr);
    fclose(log_file);
    log_file = NULL;
}

void lo_run_log_set_finish_hook(void (*hook)(int status, int signal))
{
    finish_hook = hook;
}

void lo_run_log_finish(int status, int sig)
{
    lo_run_log_close();
    if (finish_hook != NULL) {
        finish_hook(status, sig);
    }
    fflush(NULL);
    if (sig != 0) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    exit(status);
}
