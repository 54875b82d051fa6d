/*
 * qemu-lorelei profile report GAME: turn a real run into a tested_on record
 * of the game's profile, in the user layer, ready to submit to the community
 * repository.
 *
 * The record says where the game ran (host architecture, CPU model, GPU
 * renderer and driver from doctor's host probe), with what (qemu-lorelei,
 * QEMU and plugin ABI versions), how fast (the median frame rate the game
 * printed in a `run --log` log, or --fps) and how it went (--result, --notes:
 * the user's verdict). It goes into the user layer's copy of the profile
 * (made from the effective profile when there is none, as `profile edit`
 * does), which is validated whole before it is written.
 */
#include "commands.h"
#include "errors.h"
#include "fps-log.h"
#include "host-probe.h"
#include "json-util.h"
#include "lorelei-config.h"
#include "lorelei/abi.h"
#include "paths.h"
#include "profile-rules.h"
#include "profile-store.h"
#include "profile-validate.h"
#include "run-log.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define HOST_PROBE_TIMEOUT_MS 30000
/* A log bigger than this is read no further: --fps is the way out. */
#define MAX_LOG_BYTES (64 * 1024 * 1024)

/* One line for a record from host text (cpuinfo, a GL string): control
 * characters and runs of white space become one space, invalid UTF-8 is
 * replaced, at most max characters. NULL when nothing is left. */
static char *record_line(const char *raw, glong max)
{
    g_autofree char *valid = g_utf8_make_valid(raw, -1);
    GString *out = g_string_new(NULL);
    glong chars = 0;
    for (const char *p = valid; *p != '\0' && chars < max; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || g_unichar_isspace(c)) {
            if (out->len > 0 && out->str[out->len - 1] != ' ') {
                g_string_append_c(out, ' ');
                chars++;
            }
            continue;
        }
        g_string_append_unichar(out, c);
        chars++;
    }
    while (out->len > 0 && out->str[out->len - 1] == ' ') {
        g_string_truncate(out, out->len - 1);
    }
    if (out->len == 0) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* The value of the first "KEY<tabs/spaces>: value" line of /proc/cpuinfo. */
static char *cpuinfo_field(const char *cpuinfo, const char *key)
{
    gsize n = strlen(key);
    for (const char *line = cpuinfo; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        gsize len = end != NULL ? (gsize)(end - line) : strlen(line);
        if (len > n && strncmp(line, key, n) == 0 && strchr(" \t:", line[n]) != NULL) {
            const char *colon = memchr(line, ':', len);
            gboolean only_blanks = colon != NULL;
            for (const char *q = line + n; only_blanks && q < colon; q++) {
                only_blanks = *q == ' ' || *q == '\t';
            }
            if (only_blanks) {
                g_autofree char *value = g_strndup(colon + 1, len - (colon + 1 - line));
                return record_line(value, LO_MAX_RECORD_LINE);
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* The CPU's model name: x86 and some RISC-V and Arm kernels say "model
 * name", Raspberry Pi kernels "Model", RISC-V "uarch"; arm64 kernels
 * usually say none, where the device tree names the board, and failing
 * that the implementer and part numbers identify the core. */
static char *host_cpu_model(void)
{
    g_autofree char *info = NULL;
    if (g_file_get_contents("/proc/cpuinfo", &info, NULL, NULL)) {
        const char *keys[] = {"model name", "Model", "uarch", "Hardware", NULL};
        for (const char *const *k = keys; *k != NULL; k++) {
            char *v = cpuinfo_field(info, *k);
            if (v != NULL) {
                return v;
            }
        }
    }
    g_autofree char *board = NULL;
    if (g_file_get_contents("/sys/firmware/devicetree/base/model", &board, NULL, NULL)) {
        char *v = record_line(board, LO_MAX_RECORD_LINE);
        if (v != NULL) {
            return v;
        }
    }
    if (info != NULL) {
        g_autofree char *implementer = cpuinfo_field(info, "CPU implementer");
        g_autofree char *part = cpuinfo_field(info, "CPU part");
        if (implementer != NULL && part != NULL) {
            g_autofree char *both =
                g_strdup_printf("CPU implementer %s, part %s", implementer, part);
            return record_line(both, LO_MAX_RECORD_LINE);
        }
    }
    return NULL;
}

/* A frame rate given on the command line: a plain decimal number (strtod
 * would also take hex, exponents, inf and nan), above 0. */
static gboolean parse_fps(const char *option, const char *text, double *out, GError **error)
{
    gboolean plain = g_regex_match_simple("^[0-9]{1,6}(\\.[0-9]{1,6})?$", text, 0, 0);
    double d = plain ? g_ascii_strtod(text, NULL) : 0;
    if (!plain || !isfinite(d) || d <= 0 || d > LO_MAX_FPS) {
        g_autofree char *shown = lo_printable(text, 40);
        lo_usage_error(error,
                       "%s '%s' is not a frame rate: give frames per second, a number above 0 "
                       "and at most %d (e.g. %s 59.5)",
                       option, shown, LO_MAX_FPS, option);
        return FALSE;
    }
    *out = d;
    return TRUE;
}

/* What `run` wrote into the log when it chose profile id: looked for in the
 * launcher's part only, which the game's output cannot add to. */
static gboolean log_is_of(const char *text, const char *id)
{
    g_autofree char *needle = g_strdup_printf("\nqemu-lorelei: profile '%s' (", id);
    const char *found = strstr(text, needle);
    const char *output = strstr(text, LO_RUN_LOG_OUTPUT_MARK);
    return found != NULL && (output == NULL || found < output);
}

/* The profile a log's run used, for the message when it is another one. */
static char *log_profile(const char *text)
{
    const char *p = strstr(text, "\nqemu-lorelei: profile '");
    const char *output = strstr(text, LO_RUN_LOG_OUTPUT_MARK);
    if (p == NULL || (output != NULL && p > output)) {
        return NULL;
    }
    p += strlen("\nqemu-lorelei: profile '");
    g_autofree char *raw = g_strndup(p, strcspn(p, "'\n"));
    return lo_printable(raw, 64);
}

static char *read_log(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!lo_read_file_limited(path, MAX_LOG_BYTES, &text, &len, error)) {
        return NULL;
    }
    if (memchr(text, '\0', len) != NULL) {
        g_autofree char *shown = lo_printable(path, 200);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s holds NUL bytes: not a run log", shown);
        return NULL;
    }
    return g_steal_pointer(&text);
}

/* The log given with --log: readable, a run log, of this game. */
static char *given_log(const char *path, const char *id, GError **error)
{
    g_autofree char *shown = lo_printable(path, 200);
    g_autofree char *text = read_log(path, error);
    if (text == NULL) {
        lo_error_fix(error,
                     "give the file `qemu-lorelei run --log=FILE` wrote (or leave --log out to "
                     "use the newest log of %s), or the frame rate you saw with --fps N",
                     id);
        return NULL;
    }
    if (!g_str_has_prefix(text, "qemu-lorelei run log")) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "%s is not a qemu-lorelei run log: it does not start with "
                    "'qemu-lorelei run log'",
                    shown);
        lo_error_fix(error,
                     "run the game with `qemu-lorelei run --log=FILE ...` and give that FILE");
        return NULL;
    }
    if (!log_is_of(text, id)) {
        g_autofree char *other = log_profile(text);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s is a run of %s%s%s, not of profile '%s'",
                    shown, other != NULL ? "profile '" : "a game without a profile",
                    other != NULL ? other : "", other != NULL ? "'" : "", id);
        lo_error_fix(error,
                     "give a log of %s (run it with --log), or report the profile the log "
                     "names",
                     id);
        return NULL;
    }
    return g_steal_pointer(&text);
}

/* The newest log in the log folder of a run of id, or NULL. */
static char *newest_log_of(const char *id, char **path)
{
    g_autoptr(GPtrArray) logs = lo_log_all();
    for (guint i = 0; i < logs->len; i++) {
        g_autofree char *text = read_log(logs->pdata[i], NULL);
        if (text != NULL && log_is_of(text, id)) {
            *path = g_strdup(logs->pdata[i]);
            return g_steal_pointer(&text);
        }
    }
    return NULL;
}

typedef struct {
    gboolean have_fps;
    double fps;
    char *how; /* where the frame rate came from, for the summary */
} FrameRate;

/* The frame rate from --fps, --log or the newest log of the game. A broken
 * game may have none; a working one must. */
static gboolean frame_rate(const char *id, const char *fps_text, const char *log_path,
                           gboolean broken, FrameRate *fr, GError **error)
{
    if (fps_text != NULL) {
        fr->have_fps = parse_fps("--fps", fps_text, &fr->fps, error);
        fr->how = g_strdup("given with --fps");
        return fr->have_fps;
    }
    g_autofree char *path = log_path != NULL ? g_strdup(log_path) : NULL;
    g_autofree char *text =
        log_path != NULL ? given_log(log_path, id, error) : newest_log_of(id, &path);
    if (text == NULL && log_path != NULL) {
        return FALSE;
    }
    if (text == NULL) {
        if (broken) {
            fr->how = g_strdup("none (no run log of the game; none needed for a broken game)");
            return TRUE;
        }
        g_autofree char *dir = lo_log_dir();
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "no run log of %s in %s", id, dir);
        lo_error_note(error, "the frame rate comes from a run of the game with --log (or --fps)");
        lo_error_fix(error,
                     "run it once with a log: qemu-lorelei run --log --profile %s GAME, then "
                     "report again; or give the frame rate you saw: --fps N",
                     id);
        return FALSE;
    }
    g_autofree char *shown = lo_printable(path, 200);
    LoFrameRate rate;
    g_autoptr(GError) local = NULL;
    if (!lo_log_frame_rate(text, &rate, &local)) {
        if (broken) {
            fr->how = g_strdup_printf("none (%s: %s)", shown, local->message);
            return TRUE;
        }
        g_set_error(error, LO_ERROR, local->code, "no frame rate in %s: %s", shown, local->message);
        lo_error_fix(error, "give the frame rate you saw with --fps N (the game's own counter, "
                            "or an overlay's such as GALLIUM_HUD=fps)");
        return FALSE;
    }
    fr->have_fps = TRUE;
    fr->fps = rate.median;
    fr->how = g_strdup_printf("the median of %u sample%s (%.1f to %.1f fps) in %s", rate.samples,
                              rate.samples == 1 ? "" : "s", rate.min, rate.max, shown);
    return TRUE;
}

/* Rounded to 0.1: the samples are not more precise than that. */
static double round_fps(double fps)
{
    double r = round(fps * 10) / 10;
    return r > 0 ? r : fps;
}

static void add_line(cJSON *record, const char *key, const char *raw)
{
    g_autofree char *line = raw != NULL ? record_line(raw, LO_MAX_RECORD_LINE) : NULL;
    if (line != NULL) {
        cJSON_AddStringToObject(record, key, line);
    }
}

/* The record, in the schema's key order. */
static cJSON *make_record(const char *result, const char *notes, const FrameRate *fr,
                          gboolean have_native, double native_fps)
{
    cJSON *record = cJSON_CreateObject();
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *date = g_date_time_format(now, "%Y-%m-%d");
    cJSON_AddStringToObject(record, "date", date);
    cJSON_AddStringToObject(record, "host_arch", lo_host_arch());
    g_autofree char *cpu = host_cpu_model();
    if (cpu != NULL) {
        cJSON_AddStringToObject(record, "cpu", cpu);
    } else {
        g_printerr("qemu-lorelei: the CPU's model name is unknown (/proc/cpuinfo names none): "
                   "left out of the record\n");
    }
    /* doctor's probe: GL first (what most games use), else the Vulkan device. */
    g_autoptr(cJSON) host = lo_probe_host(HOST_PROBE_TIMEOUT_MS);
    const cJSON *gl = cJSON_GetObjectItemCaseSensitive(host, "gl");
    const cJSON *vk = cJSON_GetObjectItemCaseSensitive(host, "vulkan");
    gboolean gl_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(gl, "ok"));
    gboolean vk_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(vk, "ok"));
    if (gl_ok) {
        add_line(record, "gpu_renderer", lo_json_string(gl, "renderer"));
        add_line(record, "gpu_driver", lo_json_string(gl, "version"));
    } else if (vk_ok) {
        add_line(record, "gpu_renderer", lo_json_string(vk, "device"));
        g_autofree char *loader = g_strdup_printf("Vulkan %s", lo_json_string(vk, "version"));
        add_line(record, "gpu_driver", loader);
    } else {
        g_printerr("qemu-lorelei: neither OpenGL nor Vulkan answered the host probe "
                   "(`qemu-lorelei doctor` says why): GPU left out of the record\n");
    }
    cJSON_AddStringToObject(record, "lorelei_version", LO_VERSION);
    g_autoptr(GError) qemu_error = NULL;
    g_autofree char *qemu = lo_qemu_version_number(&qemu_error);
    if (qemu != NULL && lo_pattern_match(LO_PAT_VERSION, qemu)) {
        cJSON_AddStringToObject(record, "qemu_version", qemu);
    } else {
        g_autofree char *why =
            qemu_error != NULL ? lo_printable_text(qemu_error->message) : g_strdup(qemu);
        g_printerr("qemu-lorelei: QEMU's version is unknown (%s): left out of the record\n", why);
    }
    cJSON_AddNumberToObject(record, "plugin_abi", LORELEI_ABI_VERSION);
    if (fr->have_fps) {
        cJSON_AddNumberToObject(record, "fps", round_fps(fr->fps));
    }
    if (have_native) {
        cJSON_AddNumberToObject(record, "native_fps", round_fps(native_fps));
    }
    cJSON_AddStringToObject(record, "result", result);
    if (notes != NULL && notes[0] != '\0') {
        cJSON_AddStringToObject(record, "notes", notes);
    }
    return record;
}

/* The user layer's profile id to add the record to: the file as it is, or
 * a new copy of the effective profile. */
static cJSON *user_profile(LoProfileStore *store, const char *id, const char *file,
                           gboolean *copied, GError **error)
{
    *copied = !g_file_test(file, G_FILE_TEST_EXISTS);
    if (*copied) {
        return lo_profile_user_copy(store, id, error);
    }
    cJSON *doc = lo_profile_load_file(file, error);
    if (doc == NULL) {
        lo_error_fix(error,
                     "correct your copy first (`qemu-lorelei profile edit %s`), or delete it "
                     "(`qemu-lorelei profile remove %s`) to start from the effective profile",
                     id, id);
    }
    return doc;
}

static gboolean check_user_input(const char *id, const char *result, const char *notes,
                                 const char *fps, const char *log, GError **error)
{
    if (!lo_is_line(id, NULL) || !lo_pattern_match(LO_PAT_ID, id)) {
        g_autofree char *shown = lo_printable(id, 80);
        lo_usage_error(error,
                       "'%s' is not a profile id (lowercase letters, digits, '.', '_', '-'; "
                       "`qemu-lorelei profile list` shows them)",
                       shown);
        return FALSE;
    }
    if (result == NULL) {
        lo_usage_error(error, "--result is required: how did the game work? playable (to the "
                              "end, no problems that matter), runs (starts, with problems) or "
                              "broken");
        return FALSE;
    }
    if (!g_strv_contains(lo_status_names, result)) {
        g_autofree char *shown = lo_printable(result, 40);
        lo_usage_error(error, "--result '%s' is not one of playable, runs, broken", shown);
        return FALSE;
    }
    gunichar bad;
    if (notes != NULL && !lo_is_text(notes, &bad)) {
        lo_usage_error(error,
                       "--notes holds the control character U+%04X: only text, tabs and "
                       "newlines",
                       bad);
        return FALSE;
    }
    if (notes != NULL && g_utf8_strlen(notes, -1) > LO_MAX_RECORD_NOTES) {
        lo_usage_error(error, "--notes is %ld characters long; a record's notes are at most %d",
                       g_utf8_strlen(notes, -1), LO_MAX_RECORD_NOTES);
        return FALSE;
    }
    if (fps != NULL && log != NULL) {
        lo_usage_error(error, "give --fps or --log, not both: the frame rate comes from one");
        return FALSE;
    }
    return TRUE;
}

static void print_summary(const char *file, gboolean copied, const cJSON *record,
                          const FrameRate *fr, const char *id)
{
    g_autofree char *text = lo_json_to_string(record);
    char *compact_raw = cJSON_PrintUnformatted(record);
    printf("%s %s: added this tested_on record:\n%s", copied ? "wrote your copy" : "updated", file,
           text);
    printf("frame rate: %s\n", fr->how);
    const cJSON *fps = cJSON_GetObjectItemCaseSensitive(record, "fps");
    const cJSON *native = cJSON_GetObjectItemCaseSensitive(record, "native_fps");
    if (fps != NULL && native != NULL) {
        printf("ratio to native: %.2f\n", fps->valuedouble / native->valuedouble);
    }
    printf("\nTo submit it to the community repository (%s):\n", LO_PROFILE_SUBMIT_URL);
    printf("  1. qemu-lorelei profile validate %s\n", file);
    printf("  2. fork %s and clone your fork\n", LO_PROFILE_SUBMIT_URL);
    printf("  3. in the clone: add the record above to %s.json's \"tested_on\" list (or, "
           "when there is no %s.json yet, copy %s there)\n",
           id, id, file);
    printf("  4. qemu-lorelei profile index .   # updates index.json\n");
    printf("  5. commit both files and open a pull request; or paste the record into an "
           "issue there:\n     %s\n",
           compact_raw);
    cJSON_free(compact_raw);
}

gboolean lo_cmd_profile_report(int argc, char **argv, GError **error)
{
    g_autofree char *result = NULL, *notes = NULL, *log = NULL, *fps = NULL, *native = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"result", 0, 0, G_OPTION_ARG_STRING, &result,
         "How it worked (required): playable, runs (with problems) or broken", "RESULT"},
        {"notes", 0, 0, G_OPTION_ARG_STRING, &notes,
         "What worked and what did not (at most 1024 characters)", "TEXT"},
        {"log", 0, 0, G_OPTION_ARG_FILENAME, &log,
         "Take the frame rate from this `run --log` log (default: the newest log of GAME)", "FILE"},
        {"fps", 0, 0, G_OPTION_ARG_STRING, &fps,
         "The frame rate you saw, instead of one from a log", "N"},
        {"native-fps", 0, 0, G_OPTION_ARG_STRING, &native,
         "The same scene's frame rate natively on x86_64, for the ratio", "N"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the file and the record as JSON", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "GAME",
        "Add a tested_on record for profile GAME to your copy of it\n"
        "($XDG_CONFIG_HOME/qemu-lorelei/profiles/GAME.json, made from the effective profile\n"
        "when you have none), ready to submit to the community repository: the host\n"
        "architecture, CPU model, GPU renderer and driver (as `doctor` finds them), the\n"
        "qemu-lorelei, QEMU and plugin ABI versions, the frame rate (the median of the rates\n"
        "the game printed in the newest `run --log` log of GAME, or --log FILE, or --fps N),\n"
        "and your verdict (--result, --notes). Prints the steps to submit it.",
        "Examples:\n"
        "  qemu-lorelei run --log ./supertux2     # play, then quit\n"
        "  qemu-lorelei profile report supertux --result playable --notes \"all of world 1\"\n"
        "  qemu-lorelei profile report glxgears --result playable --log glxgears.log \\\n"
        "      --native-fps 1450\n"
        "  qemu-lorelei profile report mygame --result runs --fps 24 --notes \"no music\"\n"
        "  qemu-lorelei profile report mygame --result broken --notes \"crashes on start\"",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no game given: the id of its profile (`qemu-lorelei profile "
                              "list` shows them)");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error) ||
        !check_user_input(argv[1], result, notes, fps, log, error)) {
        return FALSE;
    }
    const char *id = argv[1];
    double native_fps = 0;
    if (native != NULL && !parse_fps("--native-fps", native, &native_fps, error)) {
        return FALSE;
    }
    g_autoptr(LoProfileStore) store = lo_profile_store_load(error);
    if (store == NULL) {
        return FALSE;
    }
    lo_profile_store_warn(store);
    g_autoptr(LoResolved) resolved = lo_profile_resolve(store, id, NULL, error);
    if (resolved == NULL) {
        lo_error_note(error, "a report adds to an existing profile");
        return FALSE;
    }
    FrameRate fr = {0};
    if (!frame_rate(id, fps, log, strcmp(result, "broken") == 0, &fr, error)) {
        g_free(fr.how);
        return FALSE;
    }
    g_autoptr(cJSON) record = make_record(result, notes, &fr, native != NULL, native_fps);
    g_autofree char *dir = lo_user_profiles_dir();
    g_autofree char *name = g_strconcat(id, ".json", NULL);
    g_autofree char *file = g_build_filename(dir, name, NULL);
    gboolean copied = FALSE;
    g_autoptr(cJSON) doc = user_profile(store, id, file, &copied, error);
    if (doc == NULL) {
        g_free(fr.how);
        return FALSE;
    }
    cJSON *tested = cJSON_GetObjectItemCaseSensitive(doc, "tested_on");
    if (tested == NULL) {
        tested = cJSON_AddArrayToObject(doc, "tested_on");
    }
    if (cJSON_GetArraySize(tested) >= LO_MAX_TESTED_ON) {
        g_printerr("qemu-lorelei: %s already has %d tested_on records: the oldest one is "
                   "dropped\n",
                   file, LO_MAX_TESTED_ON);
        cJSON_DeleteItemFromArray(tested, 0);
    }
    cJSON_AddItemToArray(tested, cJSON_Duplicate(record, TRUE));
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    if (!lo_profile_validate(doc, problems)) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "the record would make profile '%s' invalid; nothing was written", id);
        lo_error_add_problems(error, problems);
        lo_error_fix(error, "check --notes; otherwise this is a bug of qemu-lorelei: "
                            "`qemu-lorelei report` writes a bug report");
        g_free(fr.how);
        return FALSE;
    }
    g_autofree char *text = lo_json_to_string(doc);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", dir,
                    g_strerror(errno));
        g_free(fr.how);
        return FALSE;
    }
    if (!g_file_set_contents(file, text, -1, error)) {
        g_free(fr.how);
        return FALSE;
    }
    if (json) {
        g_autoptr(cJSON) out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "file", file);
        cJSON_AddBoolToObject(out, "copied", copied);
        cJSON_AddStringToObject(out, "frame_rate_from", fr.how);
        cJSON_AddItemToObject(out, "record", cJSON_Duplicate(record, TRUE));
        cJSON_AddStringToObject(out, "submit_url", LO_PROFILE_SUBMIT_URL);
        lo_print_json(out);
    } else {
        print_summary(file, copied, record, &fr, id);
    }
    g_free(fr.how);
    return TRUE;
}
