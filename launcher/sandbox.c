#include "sandbox.h"

#include "errors.h"
#include "util.h"

#define FLATPAK_INFO "/.flatpak-info"

const char *lo_flatpak_id(void)
{
    static char *id;
    static gboolean checked;
    if (!checked) {
        checked = TRUE;
        const char *env = g_getenv("FLATPAK_ID");
        if (env != NULL && env[0] != '\0') {
            id = g_strdup(env);
        } else if (g_file_test(FLATPAK_INFO, G_FILE_TEST_EXISTS)) {
            g_autoptr(GKeyFile) info = g_key_file_new();
            if (g_key_file_load_from_file(info, FLATPAK_INFO, G_KEY_FILE_NONE, NULL)) {
                id = g_key_file_get_string(info, "Application", "name", NULL);
            }
            if (id == NULL) {
                id = g_strdup("APP-ID");
            }
        }
    }
    return id;
}

const char *lo_sandbox_fix(const char *host_fix, const char *flatpak_fix)
{
    return lo_flatpak_id() != NULL ? flatpak_fix : host_fix;
}

void lo_error_fix_sandbox_path(GError **error, const char *path, gboolean is_dir)
{
    const char *id = lo_flatpak_id();
    if (error == NULL || *error == NULL || id == NULL || path == NULL || path[0] == '\0') {
        return;
    }
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *abs = g_canonicalize_filename(path, cwd);
    g_autofree char *folder = is_dir ? g_strdup(abs) : g_path_get_dirname(abs);
    g_autofree char *quoted = lo_shell_quote(folder);
    g_autofree char *shown_id = lo_shell_quote(id);
    lo_error_note(error, "qemu-lorelei runs in a Flatpak sandbox, which sees only ~/Games, its own "
                         "data folder and the folders you grant it");
    lo_error_fix(error,
                 "if %s exists on your computer, grant access to it once (on the host, "
                 "not inside the sandbox): flatpak override --user --filesystem=%s %s",
                 quoted, quoted, shown_id);
    lo_error_fix(error, "or move it under ~/Games, which the sandbox always sees");
}
