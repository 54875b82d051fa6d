/*
 * qemu-lorelei doctor: check every part a run needs and print a table, with
 * a fix for each check that failed.
 *
 * The plugin check runs what `run` would run, on the probe program the guest
 * libraries ship (GUESTLIBS/bin/lorelei-probe): QEMU loads the plugin (which
 * needs the syscall-filter API), the probe's stub libraries say hello through
 * the magic syscall, and the probe prints one line of JSON:
 *   {"abi":1,"guest_base_ok":true,"libs":{"sdl2":"ok","gl":"ok","vulkan":"unavailable: …"}}
 */
#include "commands.h"
#include "elf-check.h"
#include "errors.h"
#include "fsutil.h"
#include "host-probe.h"
#include "host-vm.h"
#include "json-util.h"
#include "paths.h"
#include "sandbox.h"
#include "profile-store.h"
#include "qemu-cmdline.h"
#include "spawn.h"
#include "sync.h"
#include "sysroot-check.h"
#include "sysroot-store.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

extern char **environ;

#define LO_PROBE_ABI         1
#define QEMU_VERSION_TIMEOUT 10000
#define PROBE_TIMEOUT        60000
#define HOST_PROBE_TIMEOUT   30000

typedef enum { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_SKIP } CheckStatus;
static const char *const status_names[] = {"ok", "warn", "FAIL", "skip"};

typedef struct {
    GPtrArray *rows; /* Row* */
} Report;

typedef struct {
    char *name;
    CheckStatus status;
    char *detail;
    char *fix;
} Row;

static void row_free(gpointer p)
{
    Row *r = p;
    g_free(r->name);
    g_free(r->detail);
    g_free(r->fix);
    g_free(r);
}

static void add(Report *rep, const char *name, CheckStatus status, const char *fix, const char *fmt,
                ...) G_GNUC_PRINTF(5, 6);
static void add(Report *rep, const char *name, CheckStatus status, const char *fix, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    Row *r = g_new0(Row, 1);
    r->name = g_strdup(name);
    r->status = status;
    g_autofree char *detail = g_strdup_vprintf(fmt, ap);
    r->detail = lo_printable(detail, 300);
    r->fix = status == CHECK_FAIL || status == CHECK_WARN ? g_strdup(fix) : NULL;
    va_end(ap);
    g_ptr_array_add(rep->rows, r);
}

/* The first line of an error message: the table has one line per check. */
static char *first_line(const char *text)
{
    return g_strndup(text, strcspn(text, "\n"));
}

static const char *const artifact_vars[] = {
    [LO_ARTIFACT_QEMU] = "LORELEI_QEMU",
    [LO_ARTIFACT_PLUGIN] = "LORELEI_PLUGIN",
    [LO_ARTIFACT_PRELOAD] = "LORELEI_PRELOAD",
    [LO_ARTIFACT_GUESTLIBS] = "LORELEI_GUESTLIBS",
};

static char *check_artifact(Report *rep, const char *name, LoArtifact which)
{
    g_autoptr(GError) error = NULL;
    char *path = lo_artifact_find(which, &error);
    /* QEMU, the plugin and the shim run or load on the host: its machine. */
    if (path != NULL && which != LO_ARTIFACT_GUESTLIBS &&
        !lo_elf_check_host_part(path, name, artifact_vars[which], &error)) {
        g_autofree char *what = first_line(error->message);
        const char *fix = strstr(error->message, "fix: ");
        add(rep, name, CHECK_FAIL, fix + 5, "%s", what);
        g_free(path);
        return NULL;
    }
    if (path != NULL) {
        add(rep, name, CHECK_OK, NULL, "%s", path);
        return path;
    }
    g_autofree char *what = first_line(error->message);
    const char *fix = strstr(error->message, "fix: ");
    add(rep, name, CHECK_FAIL, fix != NULL ? fix + 5 : "see qemu-lorelei(1), ENVIRONMENT", "%s",
        what);
    return NULL;
}

/* Fills *version ("10.0.2") when QEMU answered. */
static gboolean check_qemu(Report *rep, const char *qemu, char **version)
{
    const char *argv[] = {qemu, "--version", NULL};
    LoSpawnResult r;
    g_autoptr(GError) error = NULL;
    if (!lo_spawn(argv, NULL, QEMU_VERSION_TIMEOUT, 4096, &r, &error)) {
        add(rep, "qemu version", CHECK_FAIL, "set LORELEI_QEMU to a working qemu-x86_64", "%s",
            error->message);
        return FALSE;
    }
    gboolean ran = r.exit_status == 0 && r.signal == 0 && !r.timed_out;
    /* The first line must be qemu-x86_64's own: "qemu-x86_64 version 10.0.13
     * (...)". Anything that prints "version" somewhere is not QEMU
     * (/usr/bin/true --version mentions the GPL version 3). */
    g_autofree char *first =
        g_strndup(r.out != NULL ? r.out : "", strcspn(r.out != NULL ? r.out : "", "\n"));
    g_autoptr(GMatchInfo) m = NULL;
    g_autoptr(GRegex) re =
        g_regex_new("^qemu-x86_64 version ([0-9]+\\.[0-9]+(\\.[0-9]+)?)", 0, 0, NULL);
    gboolean ok = ran && g_regex_match(re, first, 0, &m);
    if (ok) {
        *version = g_match_info_fetch(m, 1);
        add(rep, "qemu version", CHECK_OK, NULL, "QEMU %s", *version);
    } else if (ran) {
        add(rep, "qemu version", CHECK_FAIL,
            "set LORELEI_QEMU to the patched qemu-x86_64 (packaging/qemu/build-qemu.sh)",
            "%s is not qemu-x86_64: `--version` says '%s'", qemu, first);
    } else {
        g_autofree char *how = lo_spawn_describe(&r, QEMU_VERSION_TIMEOUT);
        add(rep, "qemu version", CHECK_FAIL,
            "check that it is a qemu-x86_64 built for this host, or set LORELEI_QEMU",
            "`%s --version` failed (%s)", qemu, how);
    }
    lo_spawn_result_clear(&r);
    return ok;
}

static CheckStatus status_of(LoVerdict v)
{
    return v == LO_VERDICT_OK     ? CHECK_OK
           : v == LO_VERDICT_WARN ? CHECK_WARN
           : v == LO_VERDICT_FAIL ? CHECK_FAIL
                                  : CHECK_SKIP;
}

/* The page size and address space the guest gets (host-vm.h). */
static void check_memory(Report *rep, const LoHostVm *vm, const char *qemu_version)
{
    g_autofree char *detail = NULL, *fix = NULL;
    LoVerdict v = lo_page_size_verdict(vm->page_size, qemu_version, &detail, &fix);
    add(rep, "page size", status_of(v), fix, "%s", detail);
    g_clear_pointer(&detail, g_free);
    g_clear_pointer(&fix, g_free);
    v = lo_va_bits_verdict(vm->va_bits, &detail, &fix);
    add(rep, "address space", status_of(v), fix, "%s", detail);
}

static void check_guestlibs(Report *rep, const char *guestlibs, char **probe)
{
    g_autoptr(GString) missing = g_string_new(NULL);
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *dir = g_build_filename(guestlibs, lo_thunk_names[i], NULL);
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            g_string_append_printf(missing, " %s/", lo_thunk_names[i]);
        }
    }
    g_autofree char *castcache = lo_castcache_library(guestlibs);
    if (!g_file_test(castcache, G_FILE_TEST_IS_REGULAR)) {
        g_string_append(missing, " castcache/" LORELEI_CASTCACHE_LIBRARY);
    }
    *probe = g_build_filename(guestlibs, "bin", "lorelei-probe", NULL);
    if (!g_file_test(*probe, G_FILE_TEST_IS_EXECUTABLE)) {
        g_string_append(missing, " bin/lorelei-probe");
        g_clear_pointer(probe, g_free);
    }
    if (missing->len > 0) {
        add(rep, "guest library set", CHECK_FAIL,
            "rebuild the guest libraries (scripts/build.sh build) or point LORELEI_GUESTLIBS "
            "at a complete set",
            "%s lacks%s", guestlibs, missing->str);
    } else {
        g_autoptr(GString) folders = g_string_new(NULL);
        for (int i = 0; i < LO_N_THUNKS; i++) {
            g_string_append_printf(folders, "%s/, ", lo_thunk_names[i]);
        }
        add(rep, "guest library set", CHECK_OK, NULL, "%sthe dynamic_cast cache and the probe",
            folders->str);
    }
}

/* Runs the probe under QEMU with the plugin, exactly as `run` would. */
static void check_probe(Report *rep, const char *qemu, const char *plugin, const char *preload,
                        const char *guestlibs, const char *probe, const LoHostVm *vm)
{
    g_autoptr(cJSON) empty = cJSON_CreateObject();
    g_autoptr(LoRunSettings) settings = lo_run_settings_from_profile(empty);
    LoCommandInput in = {.qemu = qemu,
                         .plugin = plugin,
                         .preload = preload,
                         .guestlibs = guestlibs,
                         .game = probe,
                         .settings = settings,
                         .environ = (const char *const *)environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    const char *names[] = {"plugin loads", "filter API", "guest_base 0"};
    if (!lo_command_build(&in, &cmd, &error)) {
        g_autofree char *what = first_line(error->message);
        add(rep, names[0], CHECK_FAIL, "see the guest library check", "%s", what);
        return;
    }
    LoSpawnResult r;
    if (!lo_spawn((const char *const *)cmd.argv->pdata, (const char *const *)cmd.envp->pdata,
                  PROBE_TIMEOUT, 65536, &r, &error)) {
        add(rep, names[0], CHECK_FAIL, "check the QEMU check above", "%s", error->message);
        return;
    }
    g_auto(GStrv) lines = g_strsplit(g_strstrip(r.out), "\n", -1);
    guint n = g_strv_length(lines);
    g_autoptr(cJSON) doc =
        n > 0 ? lo_json_parse_strict(lines[n - 1], strlen(lines[n - 1]), NULL) : NULL;
    g_autofree char *how = lo_spawn_describe(&r, PROBE_TIMEOUT);
    g_autofree char *err_text = g_strstrip(g_strdup(r.err != NULL ? r.err : ""));
    g_autofree char *err_line = first_line(err_text);
    lo_spawn_result_clear(&r);
    if (strstr(err_text, "qemu_plugin_register_vcpu_syscall_filter_cb") != NULL) {
        add(rep, names[0], CHECK_FAIL,
            "use the patched QEMU (packaging/qemu/build-qemu.sh) or QEMU >= 11.1",
            "the plugin needs the syscall-filter API");
        add(rep, names[1], CHECK_FAIL,
            "use the patched QEMU (packaging/qemu/build-qemu.sh) or QEMU >= 11.1",
            "this QEMU lacks qemu_plugin_register_vcpu_syscall_filter_cb");
        return;
    }
    if (doc == NULL || !cJSON_IsObject(doc)) {
        add(rep, names[0], CHECK_FAIL,
            "run the probe by hand to see more: qemu-lorelei run --verbose "
            "GUESTLIBS/bin/lorelei-probe",
            "the probe under QEMU printed no JSON (%s)%s%s", how, err_line[0] ? ": " : "",
            err_line);
        add(rep, names[1], CHECK_SKIP, NULL, "needs a working probe");
        return;
    }
    add(rep, names[0], CHECK_OK, NULL, "QEMU loaded %s", plugin);
    const cJSON *abi = cJSON_GetObjectItemCaseSensitive(doc, "abi");
    if (!cJSON_IsNumber(abi) || abi->valuedouble != LO_PROBE_ABI) {
        add(rep, names[1], CHECK_FAIL,
            "rebuild so the plugin, guest libraries and launcher come from the same version",
            "the probe speaks ABI %g, this launcher expects %d",
            cJSON_IsNumber(abi) ? abi->valuedouble : -1, LO_PROBE_ABI);
        return;
    }
    const cJSON *gb = cJSON_GetObjectItemCaseSensitive(doc, "guest_base_ok");
    gboolean handshake = r.exit_status == 0;
    add(rep, names[1], handshake ? CHECK_OK : CHECK_FAIL,
        "see the plugin's message: qemu-lorelei run --verbose GUESTLIBS/bin/lorelei-probe",
        handshake ? "the guest reached the plugin (ABI %d)" : "the handshake failed (ABI %d)",
        LO_PROBE_ABI);
    if (cJSON_IsTrue(gb)) {
        add(rep, names[2], CHECK_OK, NULL, "guest and host share addresses");
    } else {
        g_autofree char *fix = g_strdup_printf(
            "do not run QEMU with -B/-R or QEMU_GUEST_BASE/QEMU_RESERVED_VA (qemu-lorelei run "
            "never does); otherwise the probe's fixed load addresses were taken%s: see the "
            "plugin's message (qemu-lorelei run --verbose GUESTLIBS/bin/lorelei-probe)",
            vm->va_bits > 30 && vm->va_bits < 47 ? " or beyond this host's smaller address "
                                                   "space (see 'address space')"
                                                 : "");
        add(rep, names[2], CHECK_FAIL, fix,
            "QEMU did not place the guest at guest_base 0, so host pointers are not guest "
            "pointers");
    }
    const cJSON *libs = cJSON_GetObjectItemCaseSensitive(doc, "libs");
    for (int i = 0; i < LO_N_THUNKS; i++) {
        const char *state = lo_json_string(libs, lo_thunk_names[i]);
        g_autofree char *name = g_strdup_printf("thunk %s", lo_thunk_names[i]);
        g_autofree char *fix = g_strdup_printf(
            "install the host's native %s library (see the host check below), or run games "
            "with --no-thunk %s",
            lo_thunk_names[i], lo_thunk_names[i]);
        if (state != NULL && strcmp(state, "ok") == 0) {
            add(rep, name, CHECK_OK, NULL, "forwarded to the host");
        } else {
            add(rep, name, CHECK_FAIL, fix, "%s", state != NULL ? state : "not reported");
        }
    }
}

static gboolean is_software(const char *renderer)
{
    return renderer != NULL &&
           (strstr(renderer, "llvmpipe") != NULL || strstr(renderer, "softpipe") != NULL ||
            strstr(renderer, "lavapipe") != NULL || strstr(renderer, "SwiftShader") != NULL);
}

/* The row "host TITLE" of a forwarded library whose probe only loads it
 * (host-probe.c): its version, or what failed and how to get LIBRARY (the
 * Debian PACKAGE) or do without it. */
static void check_host_library(Report *rep, const cJSON *host, const char *thunk, const char *title,
                               const char *library, const char *soname, const char *package)
{
    const cJSON *probe = cJSON_GetObjectItemCaseSensitive(host, thunk);
    g_autofree char *name = g_strdup_printf("host %s", title);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(probe, "ok"))) {
        add(rep, name, CHECK_OK, NULL, "%s, %s", soname, lo_json_string(probe, "version"));
        return;
    }
    g_autofree char *host_fix = g_strdup_printf(
        "install the host's %s (Debian/Ubuntu: apt install %s), or run games with --no-thunk %s",
        library, package, thunk);
    g_autofree char *flatpak_fix =
        g_strdup_printf(LO_FLATPAK_RUNTIME_FIX ", or run games with --no-thunk %s", thunk);
    add(rep, name, CHECK_FAIL, lo_sandbox_fix(host_fix, flatpak_fix), "%s",
        lo_json_string(probe, "error"));
}

static void check_host(Report *rep)
{
    g_autoptr(cJSON) host = lo_probe_host(HOST_PROBE_TIMEOUT);
    const cJSON *sdl2 = cJSON_GetObjectItemCaseSensitive(host, "sdl2");
    const cJSON *gl = cJSON_GetObjectItemCaseSensitive(host, "gl");
    const cJSON *vk = cJSON_GetObjectItemCaseSensitive(host, "vulkan");
    const cJSON *display = cJSON_GetObjectItemCaseSensitive(host, "display");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sdl2, "ok"))) {
        add(rep, "host SDL2", CHECK_OK, NULL, "libSDL2-2.0.so.0 %s",
            lo_json_string(sdl2, "version"));
    } else {
        add(rep, "host SDL2", CHECK_FAIL,
            lo_sandbox_fix("install the host's SDL2 (Debian/Ubuntu: apt install libsdl2-2.0-0)",
                           LO_FLATPAK_RUNTIME_FIX),
            "%s", lo_json_string(sdl2, "error"));
    }
    const char *renderer = lo_json_string(gl, "renderer");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gl, "ok"))) {
        add(rep, "host OpenGL", CHECK_OK, NULL, "%s", lo_json_string(gl, "version"));
    } else {
        add(rep, "host OpenGL", CHECK_FAIL,
            lo_sandbox_fix("install the host's GL libraries and driver (Debian/Ubuntu: apt install "
                           "libgl1 libegl1 libgl1-mesa-dri)",
                           LO_FLATPAK_GL_FIX),
            "%s", lo_json_string(gl, "error"));
    }
    const char *device = lo_json_string(vk, "device");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(vk, "ok"))) {
        add(rep, "host Vulkan", CHECK_OK, NULL, "loader %s, %s (%s)", lo_json_string(vk, "version"),
            device, lo_json_string(vk, "device_type"));
    } else {
        add(rep, "host Vulkan", CHECK_FAIL,
            lo_sandbox_fix("install the Vulkan loader and a driver (Debian/Ubuntu: apt install "
                           "libvulkan1 mesa-vulkan-drivers), or run games with --no-thunk vulkan",
                           LO_FLATPAK_GL_FIX ", or run games with --no-thunk vulkan"),
            "%s", lo_json_string(vk, "error"));
    }
    check_host_library(rep, host, "openal", "OpenAL", "OpenAL", "libopenal.so.1", "libopenal1");
    check_host_library(rep, host, "zlib", "zlib", "zlib", "libz.so.1", "zlib1g");
    check_host_library(rep, host, "vorbisfile", "vorbisfile", "libvorbisfile", "libvorbisfile.so.3",
                       "libvorbisfile3");
    if (renderer == NULL && device == NULL) {
        add(rep, "GPU driver", CHECK_SKIP, NULL, "no GL or Vulkan driver answered");
    } else if ((renderer == NULL || is_software(renderer)) &&
               (device == NULL || is_software(device))) {
        add(rep, "GPU driver", CHECK_WARN,
            lo_sandbox_fix("install the Mesa or vendor driver for your GPU for full speed",
                           LO_FLATPAK_GL_FIX),
            "software rendering: %s%s%s", renderer != NULL ? renderer : "",
            device != NULL ? " / " : "", device != NULL ? device : "");
    } else {
        add(rep, "GPU driver", CHECK_OK, NULL, "%s%s%s", renderer != NULL ? renderer : "",
            device != NULL && renderer != NULL ? " / " : "", device != NULL ? device : "");
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(display, "ok"))) {
        add(rep, "display", CHECK_OK, NULL, "%s %s", lo_json_string(display, "kind"),
            lo_json_string(display, "name"));
    } else {
        add(rep, "display", CHECK_FAIL,
            lo_sandbox_fix(
                "start games from a desktop session (DISPLAY or WAYLAND_DISPLAY set), or "
                "under xvfb-run for tests",
                "start games from a desktop session, and check on the host that "
                "`flatpak override --user --show` for this app does not remove the "
                "x11 or wayland socket"),
            "%s", lo_json_string(display, "error"));
    }
}

static void check_sysroots(Report *rep)
{
    g_autoptr(GPtrArray) all = lo_sysroot_list();
    g_autoptr(GString) names = g_string_new(NULL);
    gboolean has_default = FALSE;
    for (guint i = 0; i < all->len; i++) {
        const LoSysrootInfo *info = all->pdata[i];
        g_string_append_printf(names, "%s%s", i ? ", " : "", info->name);
        /* Made from packages: say which, so an old suite stands out. */
        const char *kind = lo_json_string(info->source, "kind");
        const cJSON *packages = cJSON_GetObjectItemCaseSensitive(info->source, "packages");
        if (kind != NULL && cJSON_IsArray(packages)) {
            const char *suite = lo_json_string(info->source, "suite");
            g_string_append_printf(names, " (%s%s%s, %d packages)", kind, suite != NULL ? " " : "",
                                   suite != NULL ? suite : "", cJSON_GetArraySize(packages));
        }
        has_default |= strcmp(info->name, LO_DEFAULT_SYSROOT) == 0;
    }
    /* A sysroot that cannot serve x86_64 programs fails every game it is
     * used for, inside QEMU, long after this could have said so. */
    for (guint i = 0; i < all->len; i++) {
        const LoSysrootInfo *info = all->pdata[i];
        g_autofree char *problem = lo_sysroot_problem(info->path);
        if (problem != NULL) {
            g_autofree char *fix = g_strdup_printf(
                "remove it (qemu-lorelei sysroot remove %s) and create it again from an x86_64 "
                "(amd64) root file system or amd64 packages",
                info->name);
            add(rep, "sysroots", CHECK_FAIL, fix, "'%s': %s", info->name, problem);
            return;
        }
    }
    if (all->len > 0 && !has_default && !lo_effective_host_is_x86_64()) {
        /* run falls back to "default" for every game whose profile names no
         * sysroot; off x86_64 there is nothing else to fall back to. */
        add(rep, "sysroots", CHECK_FAIL,
            "create it: qemu-lorelei sysroot create default --from-archive ROOTFS.tar.xz (or "
            "--from-dir with an x86_64 root file system)",
            "no sysroot named 'default' (there are: %s): on this %s host every game whose "
            "profile names none needs it",
            names->str, lo_effective_host_arch());
    } else if (all->len > 0) {
        add(rep, "sysroots", CHECK_OK, NULL, "%u: %s", all->len, names->str);
    } else if (lo_effective_host_is_x86_64()) {
        add(rep, "sysroots", CHECK_OK, NULL, "none (this x86_64 host's libraries serve games)");
    } else {
        g_autofree char *suite = lo_sysroot_suggested_suite();
        g_autofree char *fix = g_strdup_printf(
            "qemu-lorelei sysroot create default --from-debian %s (downloads the x86_64 "
            "libraries games use; --from-multiarch takes installed amd64 packages instead)",
            suite);
        add(rep, "sysroots", CHECK_FAIL, fix, "none, and this %s host needs an x86_64 one",
            lo_effective_host_arch());
    }
}

/* SDL 1.2 games run fast only through sdl12-compat in the guest's root:
 * the default sysroot, else (x86_64 hosts) this machine's own root, as run
 * chooses them for a game whose profile names no sysroot. */
static void check_sdl12_compat(Report *rep)
{
    g_autofree char *root = lo_sysroot_path(LO_DEFAULT_SYSROOT);
    if (!g_file_test(root, G_FILE_TEST_IS_DIR)) {
        g_clear_pointer(&root, g_free);
    }
    if (root == NULL && !lo_effective_host_is_x86_64()) {
        add(rep, "SDL 1.2 games", CHECK_SKIP, NULL, "no default sysroot to look in");
        return;
    }
    g_autofree char *lib = lo_sdl12_compat_library(root);
    if (g_file_test(lib, G_FILE_TEST_EXISTS)) {
        add(rep, "SDL 1.2 games", CHECK_OK, NULL,
            "through sdl12-compat over the forwarded SDL2 (%s)", lib);
        return;
    }
    add(rep, "SDL 1.2 games", CHECK_WARN,
        root != NULL ? "create the default sysroot again (its packages include libsdl1.2-compat "
                       "now), or with --package libsdl1.2-compat"
                     : "install it: apt-get install libsdl1.2-compat (or libsdl1.2-compat:amd64)",
        "their SDL 1.2 runs emulated (slow blits): %s is missing", lib);
}

/* Temporary folders of sysroots no running command holds: a killed or
 * interrupted remove can leave gigabytes there, out of sight of the list. */
static void check_sysroot_leftovers(Report *rep)
{
    g_autoptr(GPtrArray) left = lo_sysroot_leftovers();
    if (left->len == 0) {
        return;
    }
    g_autoptr(GString) detail = g_string_new(NULL);
    g_autoptr(GString) fix = g_string_new("the next sysroot create, import or remove deletes "
                                          "them; or now: rm -rf --");
    for (guint i = 0; i < left->len; i++) {
        g_autofree char *size = lo_human_size(lo_tree_size(left->pdata[i]));
        g_autofree char *quoted = lo_shell_quote(left->pdata[i]);
        g_string_append_printf(detail, "%s%s (%s)", i ? ", " : "", (const char *)left->pdata[i],
                               size);
        g_string_append_printf(fix, " %s", quoted);
    }
    add(rep, "sysroot leftovers", CHECK_WARN, fix->str,
        "%s: left by an interrupted or killed sysroot command", detail->str);
}

static void check_profiles(Report *rep)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(LoProfileStore) store = lo_profile_store_load(&error);
    if (store == NULL) {
        g_autofree char *what = first_line(error->message);
        add(rep, "profiles", CHECK_FAIL, "unset LORELEI_PROFILES_DIR or fix its path", "%s", what);
        return;
    }
    g_autoptr(GPtrArray) ids = lo_profile_store_ids(store);
    if (store->problems->len > 0) {
        g_autofree char *what = first_line(store->problems->pdata[0]);
        add(rep, "profiles", CHECK_WARN,
            "correct or remove the file; `qemu-lorelei profile validate FILE` explains",
            "%u usable, %u skipped: %s", ids->len, store->problems->len, what);
    } else {
        add(rep, "profiles", CHECK_OK, NULL, "%u", ids->len);
    }
}

/* The community repository: where `profile sync` goes without a URL, and
 * when the local copy was last synced (its .sync.json). Never synced is not a
 * problem (the built-in profiles serve), so that row stays ok. */
static void check_community(Report *rep)
{
    LoSyncUrlSource from;
    const char *url = lo_sync_default_url(&from);
    g_autofree char *dir = lo_community_dir();
    g_autofree char *last_url = NULL, *when = NULL;
    g_autofree char *last = lo_sync_last(dir, &last_url, &when)
                                ? g_strdup_printf("last synced %s from %s", when, last_url)
                                : g_strdup("never synced (qemu-lorelei profile sync)");
    if (url == NULL) {
        add(rep, "community repo", CHECK_WARN,
            "give one: qemu-lorelei profile sync URL, or set LORELEI_SYNC_URL",
            "no default repository (this build has none and LORELEI_SYNC_URL is unset); %s", last);
        return;
    }
    const char *origin =
        from == LO_SYNC_URL_ENV ? "from LORELEI_SYNC_URL" : "configured at build time";
    g_autoptr(GError) refused = NULL;
    g_autofree char *index = lo_sync_index_url(url, &refused);
    if (index == NULL) {
        /* sync would refuse it: say so now rather than at the next sync. */
        g_autofree char *what = first_line(refused->message);
        add(rep, "community repo", CHECK_WARN,
            from == LO_SYNC_URL_ENV ? "set LORELEI_SYNC_URL to the repository's https:// URL, or "
                                      "unset it"
                                    : "build with -Dprofile_sync_url set to an https:// URL",
            "%s (%s); %s", what, origin, last);
        return;
    }
    add(rep, "community repo", CHECK_OK, NULL, "%s (%s); %s", url, origin, last);
}

static void print_report(const Report *rep, gboolean json)
{
    if (json) {
        g_autoptr(cJSON) doc = cJSON_CreateObject();
        cJSON *checks = cJSON_AddArrayToObject(doc, "checks");
        int failed = 0;
        for (guint i = 0; i < rep->rows->len; i++) {
            const Row *r = rep->rows->pdata[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "check", r->name);
            cJSON_AddStringToObject(o, "status",
                                    r->status == CHECK_FAIL ? "fail" : status_names[r->status]);
            cJSON_AddStringToObject(o, "detail", r->detail);
            if (r->fix != NULL) {
                cJSON_AddStringToObject(o, "fix", r->fix);
            } else {
                cJSON_AddNullToObject(o, "fix");
            }
            cJSON_AddItemToArray(checks, o);
            failed += r->status == CHECK_FAIL;
        }
        cJSON_AddNumberToObject(doc, "failed", failed);
        lo_print_json(doc);
        return;
    }
    printf("%-18s %-6s %s\n", "CHECK", "STATUS", "DETAILS");
    for (guint i = 0; i < rep->rows->len; i++) {
        const Row *r = rep->rows->pdata[i];
        printf("%-18s %-6s %s\n", r->name, status_names[r->status], r->detail);
    }
    gboolean header = FALSE;
    for (guint i = 0; i < rep->rows->len; i++) {
        const Row *r = rep->rows->pdata[i];
        if (r->fix == NULL) {
            continue;
        }
        if (!header) {
            printf("\nTo fix:\n");
            header = TRUE;
        }
        g_autofree char *fix = lo_printable_text(r->fix);
        printf("  %-16s %s\n", r->name, fix);
    }
}

gboolean lo_cmd_doctor(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the checks as JSON", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "Check what running a game needs: QEMU, the host's page size and address space, the\n"
        "plugin (it loads, the syscall-filter API is there, guest_base is 0), the guest\n"
        "libraries, the host's SDL2, OpenGL, Vulkan, OpenAL, zlib and libvorbisfile and their\n"
        "versions, the GPU driver, the display, sysroots, profiles and the community repository\n"
        "(its URL, when it was last synced). Prints a table and a fix for every check that\n"
        "failed or warns; the exit status is 6 when one failed.",
        "Examples:\n  qemu-lorelei doctor\n  qemu-lorelei doctor --json | jq '.checks[] | "
        "select(.status == \"fail\")'",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    Report rep = {g_ptr_array_new_with_free_func(row_free)};
    g_autofree char *qemu = check_artifact(&rep, "qemu", LO_ARTIFACT_QEMU);
    g_autofree char *qemu_version = NULL;
    gboolean qemu_ok = qemu != NULL && check_qemu(&rep, qemu, &qemu_version);
    LoHostVm vm = lo_host_vm();
    check_memory(&rep, &vm, qemu_version);
    g_autofree char *plugin = check_artifact(&rep, "plugin", LO_ARTIFACT_PLUGIN);
    g_autofree char *preload = check_artifact(&rep, "preload shim", LO_ARTIFACT_PRELOAD);
    g_autofree char *guestlibs = check_artifact(&rep, "guest libraries", LO_ARTIFACT_GUESTLIBS);
    g_autofree char *probe = NULL;
    if (guestlibs != NULL) {
        check_guestlibs(&rep, guestlibs, &probe);
    }
    if (qemu_ok && plugin != NULL && preload != NULL && probe != NULL) {
        check_probe(&rep, qemu, plugin, preload, guestlibs, probe, &vm);
    } else {
        add(&rep, "plugin loads", CHECK_SKIP, NULL,
            "needs QEMU, the plugin, the preload shim and the guest libraries (above)");
    }
    check_host(&rep);
    check_sysroots(&rep);
    check_sdl12_compat(&rep);
    check_sysroot_leftovers(&rep);
    check_profiles(&rep);
    check_community(&rep);
    print_report(&rep, json);
    int failed = 0;
    for (guint i = 0; i < rep.rows->len; i++) {
        failed += ((Row *)rep.rows->pdata[i])->status == CHECK_FAIL;
    }
    int total = rep.rows->len;
    g_ptr_array_unref(rep.rows);
    if (failed > 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_CHECKS_FAILED, "%d of %d checks failed", failed,
                    total);
        lo_error_fix(error, "follow the fixes listed %s, then run `qemu-lorelei doctor` again",
                     json ? "in the \"fix\" fields" : "above");
        return FALSE;
    }
    return TRUE;
}
