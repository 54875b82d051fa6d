/*
 * A TCG plugin that exercises QEMU's syscall-filter API for the foundation
 * tests. It is built twice (filter-test-a.so, filter-test-b.so) so two copies
 * with separate state can be loaded at once and their order observed.
 *
 * Arguments (key=value, repeatable where noted):
 *   name=LABEL          label used in the log
 *   log=PATH            file the counters are written to at exit
 *   answer=NR:VALUE     filter syscall NR, result VALUE (repeatable)
 *   decline=NR          look at syscall NR but let it through (repeatable)
 *   echo=NR             filter NR, result a1 * 3 + a2 (for the thread test)
 *   hide_marked_writes=on  filter write(fd, buf, n) whose buf starts with
 *                       "LORELEI-FILTERED", result 4242, nothing written
 *   register_twice=on   first register a decoy filter that answers every
 *                       syscall with 666, then the real one: only the second
 *                       registration may stay in effect
 *
 * The log holds one line per tracked syscall:
 *   LABEL NR asked=N answered=N ret_seen=N last_ret=V entry_first=N
 * and a final "LABEL userdata=ok|bad" line. Counters are atomics: the filter
 * runs concurrently on every vCPU thread.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MAX_TRACKED = 16, NR_WRITE = 1 };
static const char marker[] = "LORELEI-FILTERED";

enum action { ACT_NONE, ACT_ANSWER, ACT_DECLINE, ACT_ECHO, ACT_HIDE_WRITE };

struct tracked {
    int64_t nr;
    enum action action;
    int64_t value;
    atomic_uint_fast64_t asked, answered, ret_seen, entry_first;
    _Atomic int64_t last_ret;
};

struct state {
    uint64_t magic;
    const char *label;
    const char *log_path;
    struct tracked tracked[MAX_TRACKED];
    int n_tracked;
    atomic_uint_fast64_t userdata_bad;
};

#define STATE_MAGIC 0x4c6f72656c656921ull

static struct state state = {.magic = STATE_MAGIC, .label = "?"};
static bool register_twice;

/* The last syscall number whose entry callback ran on this thread: the filter
 * checks that entry callbacks run before it. */
static __thread int64_t last_entry_nr = -1;

static struct tracked *find(int64_t nr)
{
    for (int i = 0; i < state.n_tracked; i++) {
        if (state.tracked[i].nr == nr) {
            return &state.tracked[i];
        }
    }
    return NULL;
}

static bool starts_with_marker(uint64_t guest_addr, uint64_t len)
{
    if (len < sizeof(marker) - 1) {
        return false;
    }
    GByteArray *buf = g_byte_array_new();
    bool ok = qemu_plugin_read_memory_vaddr(guest_addr, buf, sizeof(marker) - 1) &&
              memcmp(buf->data, marker, sizeof(marker) - 1) == 0;
    g_byte_array_unref(buf);
    return ok;
}

static void on_entry(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
                     uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8)
{
    (void)id, (void)vcpu, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6;
    (void)a7, (void)a8;
    last_entry_nr = num;
}

static bool on_filter(unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                      uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8,
                      int64_t *sysret, void *userdata)
{
    (void)vcpu, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
    struct state *s = userdata;
    if (s != &state || s->magic != STATE_MAGIC) {
        atomic_fetch_add(&state.userdata_bad, 1);
        return false;
    }
    struct tracked *t = find(num);
    if (!t) {
        return false;
    }
    atomic_fetch_add(&t->asked, 1);
    if (last_entry_nr == num) {
        atomic_fetch_add(&t->entry_first, 1);
    }
    switch (t->action) {
    case ACT_ANSWER:
        *sysret = t->value;
        break;
    case ACT_ECHO:
        *sysret = (int64_t)(a1 * 3 + a2);
        break;
    case ACT_HIDE_WRITE:
        if (!starts_with_marker(a2, a3)) {
            return false;
        }
        *sysret = 4242;
        break;
    default:
        return false;
    }
    atomic_fetch_add(&t->answered, 1);
    return true;
}

static bool decoy_filter(unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                         uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8,
                         int64_t *sysret, void *userdata)
{
    (void)vcpu, (void)num, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6;
    (void)a7, (void)a8, (void)userdata;
    *sysret = 666;
    return true;
}

static void on_return(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret)
{
    (void)id, (void)vcpu;
    struct tracked *t = find(num);
    if (t) {
        atomic_fetch_add(&t->ret_seen, 1);
        atomic_store(&t->last_ret, ret);
    }
}

static void write_log_at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id, (void)userdata;
    FILE *f = state.log_path ? fopen(state.log_path, "a") : stderr;
    if (!f) {
        perror("filter-test plugin: cannot open log");
        return;
    }
    for (int i = 0; i < state.n_tracked; i++) {
        struct tracked *t = &state.tracked[i];
        fprintf(f,
                "%s %" PRId64 " asked=%" PRIuFAST64 " answered=%" PRIuFAST64
                " ret_seen=%" PRIuFAST64 " last_ret=%" PRId64 " entry_first=%" PRIuFAST64 "\n",
                state.label, t->nr, atomic_load(&t->asked), atomic_load(&t->answered),
                atomic_load(&t->ret_seen), (int64_t)atomic_load(&t->last_ret),
                atomic_load(&t->entry_first));
    }
    fprintf(f, "%s userdata=%s\n", state.label, atomic_load(&state.userdata_bad) ? "bad" : "ok");
    if (f != stderr) {
        fclose(f);
    }
}

static bool track(int64_t nr, enum action action, int64_t value)
{
    if (state.n_tracked == MAX_TRACKED || find(nr)) {
        return false;
    }
    struct tracked *t = &state.tracked[state.n_tracked++];
    t->nr = nr;
    t->action = action;
    t->value = value;
    return true;
}

static bool parse_arg(const char *key, const char *val)
{
    char *end;
    if (strcmp(key, "name") == 0) {
        state.label = val;
        return true;
    }
    if (strcmp(key, "log") == 0) {
        state.log_path = val;
        return true;
    }
    if (strcmp(key, "register_twice") == 0) {
        return qemu_plugin_bool_parse(key, val, &register_twice);
    }
    if (strcmp(key, "hide_marked_writes") == 0) {
        bool on;
        return qemu_plugin_bool_parse(key, val, &on) && (!on || track(NR_WRITE, ACT_HIDE_WRITE, 0));
    }
    int64_t nr = strtoll(val, &end, 0);
    if (end == val) {
        return false;
    }
    if (strcmp(key, "answer") == 0 && *end == ':') {
        const char *v = end + 1;
        int64_t value = strtoll(v, &end, 0);
        return end != v && *end == '\0' && track(nr, ACT_ANSWER, value);
    }
    if (*end != '\0') {
        return false;
    }
    if (strcmp(key, "decline") == 0) {
        return track(nr, ACT_DECLINE, 0);
    }
    if (strcmp(key, "echo") == 0) {
        return track(nr, ACT_ECHO, 0);
    }
    return false;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        /* Values point into argv, which outlives the plugin; only the key is copied. */
        const char *eq = strchr(argv[i], '=');
        char key[32];
        bool ok = eq && (size_t)(eq - argv[i]) < sizeof(key);
        if (ok) {
            memcpy(key, argv[i], eq - argv[i]);
            key[eq - argv[i]] = '\0';
            ok = parse_arg(key, eq + 1);
        }
        if (!ok) {
            fprintf(stderr, "filter-test plugin: bad argument '%s'\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_syscall_cb(id, on_entry);
    qemu_plugin_register_vcpu_syscall_ret_cb(id, on_return);
    if (register_twice) {
        qemu_plugin_register_vcpu_syscall_filter_cb(id, decoy_filter, NULL);
    }
    qemu_plugin_register_vcpu_syscall_filter_cb(id, on_filter, &state);
    qemu_plugin_register_atexit_cb(id, write_log_at_exit, NULL);
    return 0;
}
