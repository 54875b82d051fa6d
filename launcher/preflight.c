#include "preflight.h"

#include "elf-deps.h"
#include "errors.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The x86_64 loader's own folders, over every distribution's layout. */
static const char *const standard_dirs[] = {
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    NULL,
};

#define MAX_CONF_BYTES     (64 * 1024)
#define MAX_CONF_DEPTH     8
#define MAX_CONF_DIRS      256
#define MAX_CONF_FILES     256 /* includes can nest and repeat: bound the total */
#define MAX_GAME_DIR_FILES 20000
#define MAX_GAME_DIR_DEPTH 3

typedef struct {
    char *guest; /* the path the guest's loader opens */
    char *host;  /* where that is on this machine */
    LoElfDeps deps;
    int parent; /* index of the object that needed it, -1 for the program */
} Object;

typedef struct {
    const LoPreflightInput *in;
    GPtrArray *objects;   /* Object* */
    GHashTable *loaded;   /* names the loader has already: DT_NEEDED name / soname */
    GPtrArray *conf_dirs; /* from ld.so.conf */
    guint conf_files;     /* ld.so.conf files read so far */
    LoPreflightResult *out;
} Ctx;

static void object_free(gpointer p)
{
    Object *o = p;
    g_free(o->guest);
    g_free(o->host);
    lo_elf_deps_clear(&o->deps);
    g_free(o);
}

static void missing_free(gpointer p)
{
    LoMissingLib *m = p;
    g_free(m->name);
    g_free(m->needed_by);
    g_free(m->in_game_dir);
    g_free(m);
}

/* A guest path as qemu-user's -L resolves it: the sysroot's copy when there
 * is one, else the host's own file. */
static char *host_path(const char *sysroot, const char *guest)
{
    if (sysroot != NULL && guest[0] == '/') {
        char *inside = g_build_filename(sysroot, guest, NULL);
        if (access(inside, F_OK) == 0) {
            return inside;
        }
        g_free(inside);
    }
    return g_strdup(guest);
}

/* ---- ld.so.conf ------------------------------------------------------------- */

static void read_conf(Ctx *c, const char *guest, int depth);

static void conf_include(Ctx *c, const char *conf_guest, const char *pattern, int depth)
{
    g_autofree char *conf_dir = g_path_get_dirname(conf_guest);
    g_autofree char *full =
        pattern[0] == '/' ? g_strdup(pattern) : g_build_filename(conf_dir, pattern, NULL);
    g_autofree char *dir = g_path_get_dirname(full);
    g_autofree char *glob = g_path_get_basename(full);
    g_autofree char *host_dir = host_path(c->in->sysroot, dir);
    g_autoptr(GDir) d = g_dir_open(host_dir, 0, NULL);
    if (d == NULL) {
        return;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL && names->len < MAX_CONF_DIRS) {
        if (g_pattern_match_simple(glob, name)) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_ptr_array_sort(names, lo_compare_strings);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_build_filename(dir, names->pdata[i], NULL);
        read_conf(c, file, depth + 1);
    }
}

static void read_conf(Ctx *c, const char *guest, int depth)
{
    /* A sysroot is untrusted: a conf that includes its own folder must not
     * make us read files without end. */
    if (depth > MAX_CONF_DEPTH || c->conf_files >= MAX_CONF_FILES) {
        return;
    }
    c->conf_files++;
    g_autofree char *host = host_path(c->in->sysroot, guest);
    g_autofree char *text = NULL;
    gsize len = 0;
    struct stat st;
    if (stat(host, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_CONF_BYTES ||
        !g_file_get_contents(host, &text, &len, NULL)) {
        return;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL && c->conf_dirs->len < MAX_CONF_DIRS; l++) {
        char *hash = strchr(*l, '#');
        if (hash != NULL) {
            *hash = '\0';
        }
        char *line = g_strstrip(*l);
        if (g_str_has_prefix(line, "include") && g_ascii_isspace(line[7])) {
            g_auto(GStrv) patterns = g_strsplit_set(line + 8, " \t", -1);
            for (char **p = patterns; *p != NULL; p++) {
                if (**p != '\0') {
                    conf_include(c, guest, *p, depth);
                }
            }
        } else if (line[0] == '/') {
            /* "DIR=TYPE" is an old libc5 form: the folder is before '='. */
            line[strcspn(line, "=")] = '\0';
            g_ptr_array_add(c->conf_dirs, g_strdup(g_strstrip(line)));
        }
    }
}

/* ---- search path ------------------------------------------------------------ */

/* Expands $ORIGIN, $LIB and $PLATFORM (also as ${…}) in one search folder;
 * $LIB has two spellings (lib64, and Debian's lib/x86_64-linux-gnu). */
static void expand_into(GPtrArray *dirs, const char *entry, const char *origin)
{
    const char *libs[] = {"lib64", "lib/x86_64-linux-gnu"};
    gboolean has_lib = strstr(entry, "$LIB") != NULL || strstr(entry, "${LIB}") != NULL;
    for (int v = 0; v < (has_lib ? 2 : 1); v++) {
        GString *out = g_string_new(NULL);
        for (const char *p = entry; *p != '\0';) {
            const char *names[] = {"ORIGIN", "LIB", "PLATFORM"};
            const char *values[] = {origin, libs[v], "x86_64"};
            gboolean done = FALSE;
            for (int k = 0; k < 3 && *p == '$'; k++) {
                gsize n = strlen(names[k]);
                if (strncmp(p + 1, names[k], n) == 0 && !g_ascii_isalnum(p[1 + n]) &&
                    p[1 + n] != '_') {
                    g_string_append(out, values[k]);
                    p += 1 + n;
                    done = TRUE;
                } else if (p[1] == '{' && strncmp(p + 2, names[k], n) == 0 && p[2 + n] == '}') {
                    g_string_append(out, values[k]);
                    p += 3 + n;
                    done = TRUE;
                }
            }
            if (!done) {
                g_string_append_c(out, *p++);
            }
        }
        if (out->len > 0 && out->str[0] == '/') {
            g_ptr_array_add(dirs, g_string_free(out, FALSE));
        } else {
            g_string_free(out, TRUE); /* relative entries depend on the cwd: skip */
        }
    }
}

static void add_path_list(GPtrArray *dirs, const char *list, const char *origin)
{
    if (list == NULL) {
        return;
    }
    g_auto(GStrv) parts = g_strsplit(list, ":", -1);
    for (char **p = parts; *p != NULL; p++) {
        if (**p != '\0') {
            expand_into(dirs, *p, origin);
        }
    }
}

/* The folders the loader searches for a library that object i needs. */
static GPtrArray *search_dirs(Ctx *c, int i)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    const Object *o = c->objects->pdata[i];
    g_autofree char *origin = g_path_get_dirname(o->guest);
    if (o->deps.runpath == NULL) {
        /* DT_RPATH of the object, then of those that loaded it. */
        for (int k = i; k >= 0; k = ((Object *)c->objects->pdata[k])->parent) {
            const Object *l = c->objects->pdata[k];
            g_autofree char *l_origin = g_path_get_dirname(l->guest);
            add_path_list(dirs, l->deps.rpath, l_origin);
        }
    }
    for (const char *const *p = c->in->library_path; p != NULL && *p != NULL; p++) {
        if (**p != '\0') {
            g_ptr_array_add(dirs, g_strdup(*p));
        }
    }
    add_path_list(dirs, o->deps.runpath, origin);
    for (guint k = 0; k < c->conf_dirs->len; k++) {
        g_ptr_array_add(dirs, g_strdup(c->conf_dirs->pdata[k]));
    }
    for (const char *const *d = standard_dirs; *d != NULL; d++) {
        g_ptr_array_add(dirs, g_strdup(*d));
    }
    return dirs;
}

/* Reads a candidate; NULL when the loader would skip it. */
static Object *try_object(Ctx *c, const char *guest)
{
    g_autofree char *host = host_path(c->in->sysroot, guest);
    struct stat st;
    if (stat(host, &st) != 0 || !S_ISREG(st.st_mode)) {
        return NULL;
    }
    Object *o = g_new0(Object, 1);
    g_autoptr(GError) error = NULL;
    if (!lo_elf_deps_read_file(host, &o->deps, &error) || o->deps.kind != LO_ELF_X86_64) {
        object_free(o);
        return NULL;
    }
    o->guest = g_strdup(guest);
    o->host = g_steal_pointer(&host);
    return o;
}

static Object *find_library(Ctx *c, int needer, const char *name)
{
    if (strchr(name, '/') != NULL) {
        return name[0] == '/' ? try_object(c, name) : NULL;
    }
    g_autoptr(GPtrArray) dirs = search_dirs(c, needer);
    for (guint k = 0; k < dirs->len; k++) {
        g_autofree char *guest = g_build_filename(dirs->pdata[k], name, NULL);
        Object *o = try_object(c, guest);
        if (o != NULL) {
            return o;
        }
    }
    return NULL;
}

/* ---- the game's folder ------------------------------------------------------ */

static void scan_game_dir(const char *dir, int depth, GHashTable *files, guint *count)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL && *count < MAX_GAME_DIR_FILES) {
        (*count)++;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode) && depth < MAX_GAME_DIR_DEPTH) {
            scan_game_dir(path, depth + 1, files, count);
        } else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
                   !g_hash_table_contains(files, name)) {
            g_hash_table_insert(files, g_strdup(name), g_steal_pointer(&path));
        }
    }
}

static void look_in_game_dir(Ctx *c)
{
    if (c->out->missing->len == 0) {
        return;
    }
    g_autofree char *real = realpath(c->in->game, NULL);
    g_autofree char *dir = g_path_get_dirname(real != NULL ? real : c->in->game);
    g_autoptr(GHashTable) files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    guint count = 0;
    scan_game_dir(dir, 0, files, &count);
    for (guint i = 0; i < c->out->missing->len; i++) {
        LoMissingLib *m = c->out->missing->pdata[i];
        const char *path = g_hash_table_lookup(files, m->name);
        m->in_game_dir = g_strdup(path);
    }
}

/* ---- the walk --------------------------------------------------------------- */

static void mark_loaded(Ctx *c, const char *name, const Object *o)
{
    g_hash_table_add(c->loaded, g_strdup(name));
    if (o->deps.soname != NULL) {
        g_hash_table_add(c->loaded, g_strdup(o->deps.soname));
    }
}

gboolean lo_preflight_check(const LoPreflightInput *in, LoPreflightResult *out, GError **error)
{
    memset(out, 0, sizeof(*out));
    out->missing = g_ptr_array_new_with_free_func(missing_free);
    out->searched = g_ptr_array_new_with_free_func(g_free);
    out->found = g_ptr_array_new_with_free_func(g_free);
    Ctx c = {in,
             g_ptr_array_new_with_free_func(object_free),
             g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
             g_ptr_array_new_with_free_func(g_free),
             0,
             out};
    gboolean ok = FALSE;

    Object *game = g_new0(Object, 1);
    g_ptr_array_add(c.objects, game);
    game->parent = -1;
    char *real = realpath(in->game, NULL);
    game->guest = g_strdup(real != NULL ? real : in->game);
    free(real);
    game->host = g_strdup(in->game);
    if (!lo_elf_deps_read_file(in->game, &game->deps, error)) {
        goto out;
    }
    if (game->deps.interp != NULL) {
        g_autofree char *host = host_path(in->sysroot, game->deps.interp);
        g_auto(LoElfDeps) interp = {0};
        if (!lo_elf_deps_read_file(host, &interp, NULL) || interp.kind != LO_ELF_X86_64) {
            out->missing_interp = g_strdup(game->deps.interp);
        }
    }
    read_conf(&c, "/etc/ld.so.conf", 0);
    for (guint k = 0; k < c.conf_dirs->len; k++) {
        g_ptr_array_add(out->searched, g_strdup(c.conf_dirs->pdata[k]));
    }
    for (const char *const *d = standard_dirs; *d != NULL; d++) {
        g_ptr_array_add(out->searched, g_strdup(*d));
    }
    /* Breadth first, as the loader loads: a name met again is already there. */
    for (guint i = 0; i < c.objects->len && i < LO_PREFLIGHT_MAX_OBJECTS; i++) {
        Object *o = c.objects->pdata[i];
        for (guint k = 0; k < o->deps.needed->len; k++) {
            const char *name = o->deps.needed->pdata[k];
            if (g_hash_table_contains(c.loaded, name)) {
                continue;
            }
            Object *lib = find_library(&c, (int)i, name);
            if (lib == NULL) {
                LoMissingLib *m = g_new0(LoMissingLib, 1);
                m->name = g_strdup(name);
                m->needed_by = g_strdup(o->guest);
                g_ptr_array_add(out->missing, m);
                g_hash_table_add(c.loaded, g_strdup(name)); /* report it once */
                continue;
            }
            lib->parent = (int)i;
            g_ptr_array_add(out->found, g_strdup_printf("%s => %s", name, lib->host));
            mark_loaded(&c, name, lib);
            g_ptr_array_add(c.objects, lib);
        }
    }
    out->objects = c.objects->len;
    look_in_game_dir(&c);
    ok = TRUE;
out:
    g_ptr_array_unref(c.objects);
    g_hash_table_unref(c.loaded);
    g_ptr_array_unref(c.conf_dirs);
    return ok;
}

gboolean lo_preflight_ok(const LoPreflightResult *r)
{
    return r->missing_interp == NULL && r->missing->len == 0;
}

void lo_preflight_result_clear(LoPreflightResult *r)
{
    g_clear_pointer(&r->missing_interp, g_free);
    g_clear_pointer(&r->missing, g_ptr_array_unref);
    g_clear_pointer(&r->searched, g_ptr_array_unref);
    g_clear_pointer(&r->found, g_ptr_array_unref);
}

/* ---- Debian package names --------------------------------------------------- */

/* Libraries whose package does not follow the naming rule. */
static const char *const known_packages[][2] = {
    {"ld-linux-x86-64.so.2", "libc6"},
    {"libm.so.6", "libc6"},
    {"libdl.so.2", "libc6"},
    {"libpthread.so.0", "libc6"},
    {"librt.so.1", "libc6"},
    {"libresolv.so.2", "libc6"},
    {"libutil.so.1", "libc6"},
    {"libanl.so.1", "libc6"},
    {"libz.so.1", "zlib1g"},
    {"libGLU.so.1", "libglu1-mesa"},
    {"libGLX_mesa.so.0", "libglx-mesa0"},
    {"libcrypto.so.3", "libssl3"},
    {"libcrypto.so.1.1", "libssl1.1"},
    {"libcurl-gnutls.so.4", "libcurl3-gnutls"},
    {"libjpeg.so.62", "libjpeg62-turbo"},
    {"libpulse-simple.so.0", "libpulse0"},
    {"libgobject-2.0.so.0", "libglib2.0-0"},
    {"libgio-2.0.so.0", "libglib2.0-0"},
    {"libgmodule-2.0.so.0", "libglib2.0-0"},
    {"libgthread-2.0.so.0", "libglib2.0-0"},
    {"libgdk-3.so.0", "libgtk-3-0"},
    {"libgdk-x11-2.0.so.0", "libgtk2.0-0"},
    {"libgtk-x11-2.0.so.0", "libgtk2.0-0"},
    {"libvorbis.so.0", "libvorbis0a"},
    {"libvorbisfile.so.3", "libvorbisfile3"},
    {"libbz2.so.1.0", "libbz2-1.0"},
    {"libncurses.so.6", "libncurses6"},
    {"libtinfo.so.5", "libtinfo5"},
    {"libFLAC.so.12", "libflac12"},
    {"libsteam_api.so", NULL},
};

char *lo_debian_package_guess(const char *soname)
{
    for (gsize i = 0; i < G_N_ELEMENTS(known_packages); i++) {
        if (strcmp(known_packages[i][0], soname) == 0) {
            return g_strdup(known_packages[i][1]);
        }
    }
    /* Debian policy 8.1: the soname without ".so.", with a '-' before the
     * version when the name ends in a digit; lowercase, '_' becomes '-'. */
    const char *so = strstr(soname, ".so.");
    if (so == NULL || so == soname || so[4] == '\0' || !g_str_has_prefix(soname, "lib")) {
        return NULL;
    }
    for (const char *p = so + 4; *p != '\0'; p++) {
        if (!g_ascii_isdigit(*p) && *p != '.') {
            return NULL;
        }
    }
    g_autofree char *base = g_ascii_strdown(soname, so - soname);
    g_strdelimit(base, "_", '-');
    gboolean digit = g_ascii_isdigit(base[strlen(base) - 1]);
    return g_strdup_printf("%s%s%s", base, digit ? "-" : "", so + 4);
}

/* ---- the message ------------------------------------------------------------ */

static char *shown_dirs(const LoPreflightInput *in, const LoPreflightResult *r)
{
    GString *s = g_string_new(NULL);
    for (const char *const *p = in->library_path; p != NULL && *p != NULL; p++) {
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", *p);
    }
    for (guint i = 0; i < r->searched->len; i++) {
        g_string_append_printf(s, "%s%s", s->len ? ", " : "", (char *)r->searched->pdata[i]);
    }
    return g_string_free(s, FALSE);
}

void lo_preflight_set_error(const LoPreflightInput *in, const LoPreflightResult *r,
                            const char *sysroot_name, GError **error)
{
    g_autofree char *game = lo_printable(in->game, 120);
    const char *where_to = sysroot_name != NULL ? "the sysroot" : "this host";
    if (r->missing_interp != NULL) {
        g_autofree char *interp = lo_printable(r->missing_interp, 120);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "the game cannot start: its x86_64 loader %s is not in %s", interp,
                    sysroot_name != NULL ? "the sysroot" : "this host's root");
    } else {
        LoMissingLib *first = r->missing->pdata[0];
        g_autofree char *name = lo_printable(first->name, 120);
        g_autofree char *by = lo_printable(first->needed_by, 120);
        if (r->missing->len == 1) {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                        "the game cannot start: the x86_64 library %s is missing (needed by %s)",
                        name, by);
        } else {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                        "the game cannot start: %u x86_64 libraries are missing", r->missing->len);
        }
    }
    if (r->missing->len > 1) {
        for (guint i = 0; i < r->missing->len && i < 20; i++) {
            LoMissingLib *m = r->missing->pdata[i];
            g_autofree char *name = lo_printable(m->name, 120);
            g_autofree char *by = lo_printable(m->needed_by, 120);
            lo_error_note(error, "missing: %s (needed by %s)", name, by);
        }
    }
    if (sysroot_name != NULL) {
        lo_error_note(error,
                      "looked in sysroot '%s' (%s), then the host, in the order of the "
                      "x86_64 loader:",
                      sysroot_name, in->sysroot);
    } else {
        lo_error_note(error, "looked on this host (no sysroot), in the order of the x86_64 "
                             "loader:");
    }
    g_autofree char *dirs = shown_dirs(in, r);
    lo_error_note(error, "  %s", dirs);
    g_autoptr(GPtrArray) packages = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) unknown = g_ptr_array_new_with_free_func(g_free);
    if (r->missing_interp != NULL) {
        g_ptr_array_add(packages, g_strdup("libc6"));
    }
    for (guint i = 0; i < r->missing->len; i++) {
        LoMissingLib *m = r->missing->pdata[i];
        if (m->in_game_dir != NULL) {
            g_autofree char *at = lo_printable(m->in_game_dir, 160);
            g_autofree char *folder = g_path_get_dirname(m->in_game_dir);
            g_autofree char *folder_shown = lo_printable(folder, 160);
            lo_error_note(error,
                          "%s is in the game's folder (%s), where the loader does not look: the "
                          "game's own launch script (start.sh or similar) usually adds that "
                          "folder to LD_LIBRARY_PATH",
                          m->name, at);
            lo_error_fix(error,
                         "run the game's launch script instead (with `qemu-lorelei binfmt "
                         "enable`), or add the folder: qemu-lorelei run --library-path %s …",
                         folder_shown);
            continue;
        }
        char *pkg = lo_debian_package_guess(m->name);
        if (pkg != NULL && !g_ptr_array_find_with_equal_func(packages, pkg, g_str_equal, NULL)) {
            g_ptr_array_add(packages, pkg);
        } else if (pkg == NULL) {
            g_ptr_array_add(unknown, g_strdup(m->name));
        } else {
            g_free(pkg);
        }
    }
    if (packages->len > 0) {
        g_ptr_array_add(packages, NULL);
        g_autofree char *list = g_strjoinv(" ", (char **)packages->pdata);
        g_autofree char *amd64 = g_strjoinv(":amd64 ", (char **)packages->pdata);
        lo_error_note(error, "Debian's package name, guessed from the library's name: %s", list);
        if (sysroot_name != NULL) {
            lo_error_fix(error,
                         "add it to %s: `apt-get download %s:amd64` (on a Debian or Ubuntu "
                         "machine), then `qemu-lorelei sysroot import %s *.deb`",
                         where_to, amd64, sysroot_name);
        } else {
            lo_error_fix(error,
                         "install it on this x86_64 host (`sudo apt-get install %s`), or make "
                         "a sysroot that has it (`qemu-lorelei sysroot create default "
                         "--from-debs DIR`)",
                         list);
        }
    }
    if (unknown->len > 0) {
        g_ptr_array_add(unknown, NULL);
        g_autofree char *list = g_strjoinv(", ", (char **)unknown->pdata);
        lo_error_fix(error,
                     "%s: no package known; games usually ship such libraries: check that the "
                     "game's files are complete",
                     list);
    }
    lo_error_fix(error,
                 "start it anyway with `qemu-lorelei run --no-check %s` when the check is "
                 "wrong (e.g. the game sets LD_LIBRARY_PATH itself)",
                 game);
}

char **lo_preflight_library_path_from_argv(const char *const *argv)
{
    static const char key[] = "LD_LIBRARY_PATH=";
    /* qemu-cmdline.c ends QEMU's options with "-U LD_PRELOAD": what follows
     * is the game's. */
    for (const char *const *a = argv; a != NULL && *a != NULL && a[1] != NULL; a++) {
        if (strcmp(*a, "-U") == 0 && strcmp(a[1], "LD_PRELOAD") == 0) {
            break;
        }
        if (strcmp(*a, "-E") == 0 && g_str_has_prefix(a[1], key)) {
            return g_strsplit(a[1] + strlen(key), ":", -1);
        }
    }
    return g_new0(char *, 1);
}

gboolean lo_preflight_for_run(const char *game, const char *sysroot, const char *sysroot_name,
                              const char *const *qemu_argv, gboolean verbose, gboolean dry_run,
                              GError **error)
{
    g_auto(GStrv) libpath = lo_preflight_library_path_from_argv(qemu_argv);
    LoPreflightInput in = {game, sysroot, (const char *const *)libpath};
    g_auto(LoPreflightResult) r = {0};
    if (!lo_preflight_check(&in, &r, error)) {
        g_prefix_error(error, "cannot check the game's libraries: ");
        lo_error_fix(error, "reinstall the game, or skip the check with `run --no-check`");
        return FALSE;
    }
    if (verbose) {
        for (guint i = 0; i < r.found->len; i++) {
            g_printerr("qemu-lorelei: library %s\n", (char *)r.found->pdata[i]);
        }
        g_printerr("qemu-lorelei: checked %u files: %s\n", r.objects,
                   lo_preflight_ok(&r) ? "every library is there" : "something is missing");
    }
    if (lo_preflight_ok(&r)) {
        return TRUE;
    }
    lo_preflight_set_error(&in, &r, sysroot_name, error);
    if (dry_run) {
        /* A dry run shows the command whatever happens; the problem is a warning. */
        g_printerr("warning: %s\n", (*error)->message);
        g_clear_error(error);
        return TRUE;
    }
    return FALSE;
}
