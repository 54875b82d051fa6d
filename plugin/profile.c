/*
 * liblorelei-profile.so - where a game's time goes under qemu-lorelei.
 *
 * A second TCG plugin, loaded beside liblorelei-plugin.so by
 * `qemu-lorelei run --profile-libs`. It answers two questions: which guest
 * libraries the emulated instructions belong to ("35% in libvorbisfile"),
 * and how much time the forwarded host calls and other system calls take.
 *
 * - Instructions: every translated block adds its instruction count, inline
 *   (no helper call), to a per-vCPU counter of the guest file it lies in;
 *   the file is found in QEMU's own /proc/self/maps, which with
 *   guest_base == 0 lists the guest's mappings at the guest's addresses.
 *   Where a symbol names the block's function, the counter is that
 *   function's instead (profile-functions.c), and a file's total is the sum
 *   of its functions' and its unnamed code's: the block still adds to one
 *   counter, chosen at translation.
 * - Time: a vCPU's life is split into time inside system calls (the magic
 *   Lorelei syscall per forwarded library, its waits for host-thread
 *   callbacks, and every other syscall) and the rest, which is emulation
 *   (running and translating guest code). Emulated time is attributed to
 *   libraries in proportion to their instructions: an estimate, since not
 *   every instruction costs the same.
 *
 *   Forwarded calls served inline (no syscall) are timed from the stub's
 *   first store to its marker instruction, and count under their library
 *   too.
 *
 * - Functions: each forwarded call's time is also counted under its
 *   function (the function id names it; the generated table names the
 *   function), so the report can say "glTexSubImage2D: 3 s" where the
 *   library's line says "gl: 46 s". A call that calls back into the guest
 *   is counted once; the guest code it called back is emulated time.
 *
 * - Running or waiting: a forwarded call's time is wall-clock time, and
 *   much of it can be waiting (SDL_GL_SwapWindow for llvmpipe's drawing
 *   threads, SDL_Delay for a clock). For a sample of the calls (the first
 *   CPU_ALWAYS_SAMPLED of each function, then one in CPU_SAMPLE_EVERY,
 *   picked at random so that a fixed order of calls in a frame cannot hide
 *   one), the calling thread's own CPU time is read too (a real system
 *   call, about 0.2 us, hence the sample); the report gives each library's
 *   and function's share of time running.
 *
 * Arguments: out=FILE writes the report as JSON too (the table always goes
 * to stderr at exit); debug_dir=DIR is where debug files are looked for by
 * build ID (default /usr/lib/debug; empty: nowhere). Costs: one inline add
 * per executed block, and two callbacks per inline forwarded call.
 *
 * Locking: counters live in per-vCPU scoreboard entries, touched only by
 * their vCPU (and summed at exit). The file table is extended under a mutex
 * at translation time, never at execution time.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qemu-plugin.h>

#include "lorelei-libs.h"
#include "lorelei/abi.h"
#include "profile-functions.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#if QEMU_PLUGIN_VERSION != 6
#error "liblorelei-profile.so is written against the patched QEMU's plugin API (version 6)"
#endif

enum {
    MAX_FILES = PROFILE_MAX_FILES, /* guest files told apart; the rest count as "other" */
    MAX_FORWARDED = 32,            /* library ids of the magic syscall (1..31) */
    FILE_ANON = 0,                 /* code outside any file: a JIT, the vDSO */
    FILE_OTHER = 1,                /* more files than MAX_FILES */
    FIRST_FILE = 2,
    BUCKET_NONE = -1, /* not inside a syscall */
    BUCKET_OTHER_SYSCALL = MAX_FORWARDED,
    BUCKET_WAIT = MAX_FORWARDED + 1, /* service threads waiting for host-thread callbacks */
    N_BUCKETS = MAX_FORWARDED + 2,
    TABLE_ROWS = 15,            /* files listed in the table at exit */
    TABLE_FUNCTIONS = 12,       /* forwarded functions listed in the table */
    JSON_FUNCTIONS = 100,       /* and in the JSON report */
    TABLE_GUEST_FUNCTIONS = 12, /* named guest functions listed in the table */
    JSON_GUEST_FUNCTIONS = 500, /* and in the JSON report (a window's difference needs many) */
    NO_FUNCTION = -1,
    SNAPSHOT_NS = 2000000000, /* out=FILE is rewritten this often while the game runs */
    CPU_ALWAYS_SAMPLED = 64,  /* a function's first calls all have their CPU time read */
    CPU_SAMPLE_EVERY = 16,    /* then one in this many (a power of two) */
};

struct vcpu_counts {
    uint64_t insns[PROFILE_SLOTS]; /* by slot: a file's unnamed code, or a function */
    uint64_t ns[N_BUCKETS];        /* time inside syscalls, per bucket */
    uint64_t calls[N_BUCKETS];
    uint64_t born_ns, dead_ns;
    uint64_t entered_ns;    /* when the current syscall started */
    int64_t bucket;         /* of the current syscall, or BUCKET_NONE */
    int64_t last_lib;       /* a CALLBACK_RETURN continues this library's call */
    uint64_t inline_status; /* the status slot of the inline call being timed */
    int64_t fn;             /* function slot of the current forwarded call, or NO_FUNCTION */
    int64_t last_fn;        /* a CALLBACK_RETURN continues this function's call */
    uint64_t fn_ns[LORELEI_N_FUNCTIONS];
    uint64_t fn_calls[LORELEI_N_FUNCTIONS];
    /* The sampled calls (see "Running or waiting"): wall and CPU time. */
    bool cpu_sampled;        /* the current call's CPU time is being read */
    uint64_t cpu_entered_ns; /* this thread's CPU time when it started */
    uint64_t rng;            /* xorshift64 state for picking samples */
    uint64_t sampled_ns[N_BUCKETS], sampled_cpu_ns[N_BUCKETS];
    uint64_t fn_sampled_ns[LORELEI_N_FUNCTIONS], fn_sampled_cpu_ns[LORELEI_N_FUNCTIONS];
};

struct region {
    uint64_t start, end, offset; /* offset: in the file, of start */
    int file;
};

static struct qemu_plugin_scoreboard *score;
/* Where each library's functions start in fn_ns/fn_calls, and how many it
 * has, by library id (fn_count 0: no such library in this build). */
static int64_t fn_base[MAX_FORWARDED];
static uint64_t fn_count[MAX_FORWARDED];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *file_names[MAX_FILES];
static int n_files = FIRST_FILE;
static struct region *regions;
static size_t n_regions;
/* How often read_maps() ran (in the report: a JIT must not make it grow
 * with every block). */
static uint64_t maps_reads;
static uint64_t maps_read_ns;
#define ANON_RECHECK_NS 1000000000u
static const char *out_path;
static uint64_t started_ns;
static uint64_t last_snapshot_ns; /* when the JSON report was last written */
static bool finished;             /* the exit report is written: no more snapshots */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct vcpu_counts *counts(unsigned int vcpu)
{
    return qemu_plugin_scoreboard_find(score, vcpu);
}

/* CPU time of the calling thread (a system call: only for samples). */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Starts reading the CPU time of a forwarded call in library bucket (or
 * not: see "Running or waiting"). Called right after entered_ns is set. */
static void maybe_sample_cpu(struct vcpu_counts *c, int64_t bucket)
{
    c->cpu_sampled = false;
    if (bucket <= 0 || bucket >= MAX_FORWARDED) {
        return;
    }
    if (c->fn == NO_FUNCTION || c->fn_calls[c->fn] > CPU_ALWAYS_SAMPLED) {
        c->rng ^= c->rng << 13;
        c->rng ^= c->rng >> 7;
        c->rng ^= c->rng << 17;
        if (c->rng & (CPU_SAMPLE_EVERY - 1)) {
            return;
        }
    }
    c->cpu_sampled = true;
    c->cpu_entered_ns = thread_cpu_ns();
}

/* Ends a call's sample: its CPU time, then (now) its wall time. */
static void end_cpu_sample(struct vcpu_counts *c, int64_t bucket, uint64_t now)
{
    if (!c->cpu_sampled) {
        return;
    }
    c->cpu_sampled = false;
    uint64_t cpu = thread_cpu_ns() - c->cpu_entered_ns, wall = now - c->entered_ns;
    c->sampled_ns[bucket] += wall;
    c->sampled_cpu_ns[bucket] += cpu;
    if (c->fn != NO_FUNCTION) {
        c->fn_sampled_ns[c->fn] += wall;
        c->fn_sampled_cpu_ns[c->fn] += cpu;
    }
}

/* The slot of function id fn_id, or NO_FUNCTION for an id this build does
 * not know (a stub of another build: the library's line still counts it). */
static int64_t function_slot(uint64_t fn_id)
{
    uint64_t lib = LORELEI_FN_LIB(fn_id), index = LORELEI_FN_INDEX(fn_id);
    return lib < MAX_FORWARDED && index < fn_count[lib] ? fn_base[lib] + (int64_t)index
                                                        : NO_FUNCTION;
}

/* ---- guest files ------------------------------------------------------------ */

static int intern_file(const char *path)
{
    for (int i = FIRST_FILE; i < n_files; i++) {
        if (strcmp(file_names[i], path) == 0) {
            return i;
        }
    }
    if (n_files == MAX_FILES) {
        return FILE_OTHER;
    }
    file_names[n_files] = g_strdup(path);
    return n_files++;
}

/* Re-reads the mappings. Called under lock when a block lies in no known
 * region (libraries appear as the guest loads them), or in memory of no
 * file last read more than a second ago. Readable mappings of no file are
 * regions too (FILE_ANON; QEMU maps a guest's executable pages without host
 * exec permission, so that bit cannot tell): without them every block a JIT
 * wrote meant another read of the whole table, and LuaJIT (Minetest) wrote
 * thousands, which stalled the game for minutes. The second's grace lets a
 * library mapped where anonymous memory was be seen. */
static void read_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) {
        return;
    }
    maps_reads++;
    maps_read_ns = now_ns();
    GArray *found = g_array_new(FALSE, FALSE, sizeof(struct region));
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        uint64_t start, end, offset = 0;
        char perms[8] = "";
        int path_at = 0;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end, perms,
                   &offset, &path_at) < 4) {
            continue;
        }
        int file;
        if (path_at != 0 && line[path_at] == '/') {
            line[strcspn(line, "\n")] = '\0';
            file = intern_file(line + path_at);
        } else if (perms[0] == 'r') {
            file = FILE_ANON;
        } else {
            continue;
        }
        struct region r = {start, end, offset, file};
        g_array_append_val(found, r);
    }
    fclose(f);
    g_free(regions);
    n_regions = found->len;
    regions = (struct region *)g_array_free(found, FALSE);
}

static const struct region *find_region(uint64_t pc)
{
    size_t lo = 0, hi = n_regions;
    while (lo < hi) { /* /proc/self/maps is sorted by address */
        size_t mid = (lo + hi) / 2;
        if (pc < regions[mid].start) {
            hi = mid;
        } else if (pc >= regions[mid].end) {
            lo = mid + 1;
        } else {
            return &regions[mid];
        }
    }
    return NULL;
}

/* ---- inline calls ------------------------------------------------------------
 * A forwarded call served inline (include/lorelei/abi.h) never becomes a
 * syscall: it is timed from the stub's first store (into the status slot in
 * front of the frame) to its marker instruction; the forwarding plugin runs
 * the call in between, right after the stub's second store. A call it leaves
 * to the syscall path is counted there, not here: the status slot tells
 * which (0: served). */

static void on_inline_start(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                            void *userdata)
{
    (void)info;
    struct vcpu_counts *c = counts(vcpu);
    uint64_t fn_id = (uint64_t)(uintptr_t)userdata;
    c->bucket = (int64_t)LORELEI_FN_LIB(fn_id);
    c->fn = function_slot(fn_id);
    c->inline_status = vaddr;
    c->entered_ns = now_ns();
    maybe_sample_cpu(c, c->bucket);
}

static void on_inline_end(unsigned int vcpu, void *userdata)
{
    (void)userdata;
    struct vcpu_counts *c = counts(vcpu);
    if (c->bucket == BUCKET_NONE || !c->inline_status) {
        return;
    }
    /* The stub's own store proved the status slot readable. */
    if (*(const int64_t *)(uintptr_t)c->inline_status == 0) {
        uint64_t now = now_ns();
        end_cpu_sample(c, c->bucket, now);
        uint64_t took = now - c->entered_ns;
        c->ns[c->bucket] += took;
        c->calls[c->bucket]++;
        if (c->fn != NO_FUNCTION) {
            c->fn_ns[c->fn] += took;
            c->fn_calls[c->fn]++;
        }
    }
    c->bucket = BUCKET_NONE;
    c->fn = NO_FUNCTION;
    c->inline_status = 0;
    c->cpu_sampled = false; /* left to the syscall path: counted there */
}

static void find_inline_calls(struct qemu_plugin_tb *tb)
{
    static const uint8_t marker[] = {LORELEI_INLINE_MARKER_BYTES};
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 2; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        struct qemu_plugin_insn *first = qemu_plugin_tb_get_insn(tb, i - 2);
        uint8_t b[16];
        if (qemu_plugin_insn_size(insn) != sizeof(marker) ||
            qemu_plugin_insn_data(insn, b, sizeof(marker)) != sizeof(marker) ||
            memcmp(b, marker, sizeof(marker)) != 0 || qemu_plugin_insn_size(first) != 8 ||
            qemu_plugin_insn_data(first, b, 8) != 8 || b[0] != 0x48 || b[1] != 0xc7 ||
            b[2] != 0x42 || b[3] != 0xf8) {
            continue;
        }
        uint32_t fn_id;
        memcpy(&fn_id, b + 4, sizeof(fn_id));
        uint64_t lib = LORELEI_FN_LIB(fn_id);
        if (lib == 0 || lib >= MAX_FORWARDED) {
            continue;
        }
        qemu_plugin_register_vcpu_mem_cb(first, on_inline_start, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_W, (void *)(uintptr_t)fn_id);
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_inline_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    uint64_t pc = qemu_plugin_tb_vaddr(tb);
    pthread_mutex_lock(&lock);
    const struct region *r = find_region(pc);
    if (!r || (r->file == FILE_ANON && now_ns() - maps_read_ns > ANON_RECHECK_NS)) {
        read_maps();
        r = find_region(pc);
    }
    int slot = !r ? FILE_ANON
               : r->file >= FIRST_FILE
                   ? profile_function_slot(r->file, file_names[r->file], r->start, r->offset, pc)
                   : r->file;
    pthread_mutex_unlock(&lock);
    qemu_plugin_u64 entry = {score, offsetof(struct vcpu_counts, insns) + slot * sizeof(uint64_t)};
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, entry,
                                                      qemu_plugin_tb_n_insns(tb));
    find_inline_calls(tb);
}

static void maybe_snapshot(uint64_t now);

/* ---- time ------------------------------------------------------------------- */

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id;
    struct vcpu_counts *c = counts(vcpu);
    /* vCPU indices are reused for new threads: keep what the old one counted. */
    if (!c->born_ns || c->dead_ns) {
        uint64_t lived = c->dead_ns - c->born_ns;
        c->born_ns = now_ns() - lived;
        c->dead_ns = 0;
    }
    c->bucket = BUCKET_NONE;
    c->last_lib = 0;
    c->fn = c->last_fn = NO_FUNCTION;
    c->cpu_sampled = false;
    if (!c->rng) {
        c->rng = 0x9e3779b97f4a7c15u ^ ((uint64_t)vcpu + 1) * 0xbf58476d1ce4e5b9u;
    }
}

static void on_vcpu_exit(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id;
    counts(vcpu)->dead_ns = now_ns();
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t op,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7,
                       uint64_t a8)
{
    (void)id, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
    struct vcpu_counts *c = counts(vcpu);
    int64_t bucket = BUCKET_OTHER_SYSCALL;
    c->fn = NO_FUNCTION;
    if (num == LORELEI_SYSCALL_NR) {
        if (op == LORELEI_OP_CALL && LORELEI_FN_LIB(a2) < MAX_FORWARDED) {
            bucket = c->last_lib = (int64_t)LORELEI_FN_LIB(a2);
            c->fn = c->last_fn = function_slot(a2);
            if (c->fn != NO_FUNCTION) {
                c->fn_calls[c->fn]++;
            }
        } else if (op == LORELEI_OP_CALLBACK_RETURN) {
            bucket = c->last_lib; /* the host call resumes */
            c->fn = c->last_fn;
        } else if (op == LORELEI_OP_WAIT_CALLBACK) {
            bucket = BUCKET_WAIT;
        } else {
            bucket = 0; /* handshakes and library loading */
        }
    }
    c->bucket = bucket;
    c->entered_ns = now_ns();
    maybe_sample_cpu(c, bucket);
}

static void on_syscall_ret(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, int64_t ret)
{
    (void)id, (void)num, (void)ret;
    struct vcpu_counts *c = counts(vcpu);
    uint64_t now = now_ns();
    if (c->bucket != BUCKET_NONE) {
        end_cpu_sample(c, c->bucket, now);
        c->ns[c->bucket] += now - c->entered_ns;
        c->calls[c->bucket]++;
        c->bucket = BUCKET_NONE;
    }
    if (c->fn != NO_FUNCTION) {
        c->fn_ns[c->fn] += now - c->entered_ns;
        c->fn = NO_FUNCTION;
    }
    maybe_snapshot(now);
}

/* ---- the report ---------------------------------------------------------------- */

static const char *bucket_name(int b, char *buf, size_t len)
{
    if (b == BUCKET_OTHER_SYSCALL) {
        return "other system calls";
    }
    if (b == BUCKET_WAIT) {
        return "waiting for host-thread callbacks";
    }
    if (b == 0) {
        return "Lorelei set-up (handshake, library loading)";
    }
    for (int i = 0; i < LORELEI_N_LIBS; i++) {
        if (lorelei_libs[i].id == (uint32_t)b) {
            snprintf(buf, len, "forwarded calls: %s", lorelei_libs[i].name);
            return buf;
        }
    }
    snprintf(buf, len, "forwarded calls: library id %d", b);
    return buf;
}

/* The share of sampled time the calling thread ran: as text for the table
 * ("" without samples) and as a JSON value ("null" without samples). */
static void running_share(uint64_t sampled, uint64_t cpu, char *text, size_t text_len, char *json,
                          size_t json_len)
{
    if (!sampled) {
        snprintf(text, text_len, "%s", "");
        snprintf(json, json_len, "%s", "null");
        return;
    }
    double share = (double)cpu / (double)sampled;
    share = share > 1 ? 1 : share; /* two clocks read at slightly different moments */
    snprintf(text, text_len, "  (running %.0f%%)", share * 100);
    snprintf(json, json_len, "%.4f", share);
}

static int by_count_desc(const void *a, const void *b, void *data)
{
    const uint64_t *n = data;
    int x = *(const int *)a, y = *(const int *)b;
    return n[y] > n[x] ? 1 : n[y] < n[x] ? -1 : 0;
}

/* The table's lines: printed at exit only (table == NULL for a snapshot). */
static void say(FILE *table, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(FILE *table, const char *fmt, ...)
{
    if (table) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(table, fmt, ap);
        va_end(ap);
    }
}

/* The function of slot i: its library's name and its own. */
static void function_name(int64_t slot, const char **lib, const char **name)
{
    for (int i = 0; i < LORELEI_N_LIBS; i++) {
        int64_t base = fn_base[lorelei_libs[i].id];
        if (slot >= base && slot < base + (int64_t)lorelei_libs[i].n_functions) {
            *lib = lorelei_libs[i].name;
            *name = lorelei_fn_names[i][slot - base];
            return;
        }
    }
    *lib = *name = "?";
}

static int by_ns_desc(gconstpointer a, gconstpointer b, gpointer data)
{
    const uint64_t *ns = data;
    uint64_t x = ns[*(const int *)a], y = ns[*(const int *)b];
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The forwarded functions that took the most time (the table's top rows,
 * the JSON's "functions"); a call in progress counts up to now. Ends the
 * JSON's "syscalls" list. */
static void report_functions(FILE *table, FILE *json, uint64_t end)
{
    static uint64_t ns[LORELEI_N_FUNCTIONS], calls[LORELEI_N_FUNCTIONS];
    static uint64_t sampled[LORELEI_N_FUNCTIONS], sampled_cpu[LORELEI_N_FUNCTIONS];
    static int order[LORELEI_N_FUNCTIONS];
    memset(ns, 0, sizeof(ns));
    memset(calls, 0, sizeof(calls));
    memset(sampled, 0, sizeof(sampled));
    memset(sampled_cpu, 0, sizeof(sampled_cpu));
    int n_vcpus = qemu_plugin_num_vcpus();
    for (int v = 0; v < n_vcpus; v++) {
        struct vcpu_counts *c = counts(v);
        for (int i = 0; i < LORELEI_N_FUNCTIONS; i++) {
            ns[i] += c->fn_ns[i];
            calls[i] += c->fn_calls[i];
            sampled[i] += c->fn_sampled_ns[i];
            sampled_cpu[i] += c->fn_sampled_cpu_ns[i];
        }
        if (c->fn != NO_FUNCTION && c->bucket != BUCKET_NONE) {
            ns[c->fn] += end - c->entered_ns;
        }
    }
    for (int i = 0; i < LORELEI_N_FUNCTIONS; i++) {
        order[i] = i;
    }
    g_qsort_with_data(order, LORELEI_N_FUNCTIONS, sizeof(int), by_ns_desc, ns);
    if (json) {
        fprintf(json, "],\n \"functions\": [");
    }
    for (int k = 0; k < JSON_FUNCTIONS && k < LORELEI_N_FUNCTIONS && ns[order[k]]; k++) {
        const char *lib, *name;
        function_name(order[k], &lib, &name);
        char running[32], running_json[16];
        running_share(sampled[order[k]], sampled_cpu[order[k]], running, sizeof(running),
                      running_json, sizeof(running_json));
        if (k == 0) {
            say(table, "  forwarded functions by time (the top %d):\n", TABLE_FUNCTIONS);
        }
        if (k < TABLE_FUNCTIONS) {
            say(table, "  %10" PRIu64 " calls %8.3f s  %s: %s%s\n", calls[order[k]],
                ns[order[k]] / 1e9, lib, name, running);
        }
        if (json) {
            fprintf(json,
                    "%s\n  {\"lib\": \"%s\", \"function\": \"%s\", \"calls\": %" PRIu64
                    ", \"seconds\": %.6f, \"running_share\": %s}",
                    k ? "," : "", lib, name, calls[order[k]], ns[order[k]] / 1e9, running_json);
        }
    }
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The named guest functions with the most instructions (the table's rows
 * under the files, the JSON's "guest_functions"). Ends the JSON's "files"
 * list. Code no symbol names stays in its file's line only. */
static void report_guest_functions(FILE *table, FILE *json, const uint64_t *slot_insns,
                                   uint64_t total_insns, uint64_t emulated)
{
    static int order[PROFILE_MAX_NAMED];
    int n = profile_slots_used() - PROFILE_MAX_FILES;
    for (int i = 0; i < n; i++) {
        order[i] = PROFILE_MAX_FILES + i;
    }
    g_qsort_with_data(order, n, sizeof(int), by_count_desc, (gpointer)slot_insns);
    if (json) {
        fprintf(json, "],\n \"guest_functions\": [");
    }
    for (int k = 0; k < n && k < JSON_GUEST_FUNCTIONS && slot_insns[order[k]]; k++) {
        int slot = order[k];
        const char *file = file_names[profile_slot_file(slot)], *name = profile_slot_name(slot);
        double share = total_insns ? (double)slot_insns[slot] / (double)total_insns : 0;
        if (k == 0) {
            say(table,
                "  guest functions by instructions (the top %d; code that no symbol names counts\n"
                "  only under its file: a file's debug symbols under %s name more):\n",
                TABLE_GUEST_FUNCTIONS,
                profile_functions_debug_dir() ? profile_functions_debug_dir()
                                              : "(none: debug_dir= was empty)");
        }
        if (k < TABLE_GUEST_FUNCTIONS && share >= 0.001) {
            say(table, "  %6.1f%%  %8.3f s  %s: %s\n", share * 100, share * emulated / 1e9,
                base_name(file), name);
        }
        if (json) {
            gchar *quoted_file = g_strescape(file, NULL), *quoted_name = g_strescape(name, NULL);
            fprintf(json,
                    "%s\n  {\"file\": \"%s\", \"function\": \"%s\", \"instructions\": %" PRIu64
                    ", \"share\": %.6f}",
                    k ? "," : "", quoted_file, quoted_name, slot_insns[slot], share);
            g_free(quoted_file);
            g_free(quoted_name);
        }
    }
}

/* Sums every vCPU's counters and writes the JSON report (out=FILE) through
 * a temporary file renamed over it, so that a reader never sees half a
 * report; at exit (final) also the table on stderr. A snapshot reads the
 * other vCPUs' counters while they run: each figure is a little stale,
 * never torn (64-bit loads). */
static void write_report(bool final)
{
    uint64_t end = now_ns();
    static uint64_t slot_insns[PROFILE_SLOTS]; /* under lock: too big for a vCPU's stack */
    uint64_t insns[MAX_FILES] = {0}, ns[N_BUCKETS] = {0}, calls[N_BUCKETS] = {0};
    uint64_t sampled[N_BUCKETS] = {0}, sampled_cpu[N_BUCKETS] = {0};
    uint64_t total_insns = 0, lived = 0, in_syscalls = 0;
    int n_vcpus = qemu_plugin_num_vcpus();
    int used = profile_slots_used(); /* stable: slots are added under the same lock */
    for (int v = 0; v < n_vcpus; v++) {
        struct vcpu_counts *c = counts(v);
        if (!c->born_ns) {
            continue;
        }
        lived += (c->dead_ns ? c->dead_ns : end) - c->born_ns;
        int64_t parked = c->bucket;
        if (parked != BUCKET_NONE) { /* inside a syscall right now */
            ns[parked] += end - c->entered_ns;
            in_syscalls += end - c->entered_ns;
        }
        for (int i = 0; i < used; i++) {
            slot_insns[i] += c->insns[i];
        }
        for (int b = 0; b < N_BUCKETS; b++) {
            ns[b] += c->ns[b];
            calls[b] += c->calls[b];
            in_syscalls += c->ns[b];
            sampled[b] += c->sampled_ns[b];
            sampled_cpu[b] += c->sampled_cpu_ns[b];
        }
    }
    for (int i = 0; i < used; i++) {
        insns[profile_slot_file(i)] += slot_insns[i];
        total_insns += slot_insns[i];
    }
    uint64_t emulated = lived > in_syscalls ? lived - in_syscalls : 0;
    int order[MAX_FILES];
    for (int i = 0; i < MAX_FILES; i++) {
        order[i] = i;
    }
    g_qsort_with_data(order, MAX_FILES, sizeof(int), by_count_desc, insns);

    FILE *table = final ? stderr : NULL;
    g_autofree char *tmp = out_path ? g_strdup_printf("%s.tmp", out_path) : NULL;
    FILE *json = tmp ? fopen(tmp, "we") : NULL;
    if (tmp && !json && final) {
        say(table, "qemu-lorelei profile: cannot write %s: %s\n", tmp, strerror(errno));
    }
    say(table,
        "\nqemu-lorelei profile: %.2f s wall clock, %d guest thread(s) alive %.2f s in all, "
        "%" PRIu64 " guest instructions\n"
        "  emulated code (%.2f s, split by instructions):\n",
        (end - started_ns) / 1e9, n_vcpus, lived / 1e9, total_insns, emulated / 1e9);
    if (json) {
        fprintf(json,
                "{\"complete\": %s, \"wall_s\": %.6f, \"threads_alive_s\": %.6f, \"instructions\": "
                "%" PRIu64 ", \"emulated_s\": %.6f, \"maps_reads\": %" PRIu64 ",\n \"files\": [",
                final ? "true" : "false", (end - started_ns) / 1e9, lived / 1e9, total_insns,
                emulated / 1e9, maps_reads);
    }
    bool first = true;
    int shown = 0;
    double rest = 0; /* the share of the files past the table's length */
    for (int k = 0; k < MAX_FILES; k++) {
        int i = order[k];
        if (!insns[i]) {
            break;
        }
        const char *name = i == FILE_ANON    ? "(code in no file: JIT, vDSO)"
                           : i == FILE_OTHER ? "(other files)"
                                             : file_names[i];
        double share = total_insns ? (double)insns[i] / (double)total_insns : 0;
        /* The table is for reading: the top files; the JSON has them all. */
        if (share >= 0.001 && shown < TABLE_ROWS) {
            say(table, "  %6.1f%%  %8.3f s  %s\n", share * 100, share * emulated / 1e9, name);
            shown++;
        } else {
            rest += share;
        }
        if (json) {
            gchar *quoted = g_strescape(name, NULL);
            fprintf(json,
                    "%s\n  {\"file\": \"%s\", \"instructions\": %" PRIu64 ", \"share\": %.6f}",
                    first ? "" : ",", quoted, insns[i], share);
            g_free(quoted);
            first = false;
        }
    }
    if (rest > 0) {
        say(table, "  %6.1f%%  %8.3f s  (the other files%s)\n", rest * 100, rest * emulated / 1e9,
            json ? "; all are in the JSON report" : "");
    }
    report_guest_functions(table, json, slot_insns, total_insns, emulated);
    memset(slot_insns, 0, (size_t)used * sizeof(slot_insns[0]));
    say(table,
        "  inside system calls (%.2f s; \"running\": the share of a forwarded call's time its\n"
        "  thread was on a CPU, from a sample of the calls; the rest it waited, for other\n"
        "  threads such as llvmpipe's, a GPU, a clock, or a free core on a busy machine):\n",
        in_syscalls / 1e9);
    if (json) {
        fprintf(json, "],\n \"syscalls\": [");
    }
    first = true;
    for (int b = 0; b < N_BUCKETS; b++) {
        if (!calls[b] && !ns[b]) {
            continue;
        }
        char buf[64], running[32], running_json[16];
        const char *name = bucket_name(b, buf, sizeof(buf));
        running_share(sampled[b], sampled_cpu[b], running, sizeof(running), running_json,
                      sizeof(running_json));
        say(table, "  %10" PRIu64 " calls %8.3f s  %s%s\n", calls[b], ns[b] / 1e9, name, running);
        if (json) {
            fprintf(json,
                    "%s\n  {\"what\": \"%s\", \"lib_id\": %d, \"calls\": %" PRIu64
                    ", \"seconds\": %.6f, \"running_share\": %s}",
                    first ? "" : ",", name, b < MAX_FORWARDED ? b : -1, calls[b], ns[b] / 1e9,
                    running_json);
            first = false;
        }
    }
    report_functions(table, json, end);
    if (json) {
        fprintf(json, "]}\n");
        if (fclose(json) != 0 || rename(tmp, out_path) != 0) {
            if (final) {
                fprintf(stderr, "qemu-lorelei profile: cannot write %s: %s\n", out_path,
                        strerror(errno));
            }
            unlink(tmp);
        }
    }
    fflush(stderr);
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    (void)id, (void)userdata;
    __atomic_store_n(&finished, true, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&lock);
    write_report(true);
    pthread_mutex_unlock(&lock);
}

/* A game that dies of a signal never reaches the exit callbacks (QEMU runs
 * them on a normal exit only): every SNAPSHOT_NS the JSON report is written
 * as it stands ("complete": false), so a killed game leaves its figures up
 * to the last seconds. Called on syscall return, by one vCPU at a time. */
static void maybe_snapshot(uint64_t now)
{
    uint64_t last = __atomic_load_n(&last_snapshot_ns, __ATOMIC_RELAXED);
    if (!out_path || now - last < SNAPSHOT_NS ||
        !__atomic_compare_exchange_n(&last_snapshot_ns, &last, now, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_RELAXED)) {
        return;
    }
    if (pthread_mutex_trylock(&lock) == 0) { /* else: a translation or the exit is busy */
        if (!__atomic_load_n(&finished, __ATOMIC_SEQ_CST)) {
            write_report(false);
        }
        pthread_mutex_unlock(&lock);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    if (info->system_emulation) {
        fprintf(stderr, "liblorelei-profile.so works with qemu-x86_64 (user mode) only\n");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0 && argv[i][4]) {
            out_path = argv[i] + 4;
        } else if (strncmp(argv[i], "debug_dir=", 10) == 0) {
            /* Empty: read no debug files (only the guest files' own symbols). */
            profile_functions_set_debug_dir(argv[i][10] ? argv[i] + 10 : NULL);
        } else {
            fprintf(stderr,
                    "liblorelei-profile.so: unknown argument '%s' (known: out=FILE, "
                    "debug_dir=DIR)\n",
                    argv[i]);
            return -1;
        }
    }
    int64_t next = 0;
    for (int i = 0; i < LORELEI_N_LIBS; i++) {
        if (lorelei_libs[i].id < MAX_FORWARDED) {
            fn_base[lorelei_libs[i].id] = next;
            fn_count[lorelei_libs[i].id] = lorelei_libs[i].n_functions;
        }
        next += lorelei_libs[i].n_functions;
    }
    started_ns = last_snapshot_ns = now_ns();
    score = qemu_plugin_scoreboard_new(sizeof(struct vcpu_counts));
    qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
    qemu_plugin_register_vcpu_exit_cb(id, on_vcpu_exit);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_vcpu_syscall_ret_cb(id, on_syscall_ret);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
