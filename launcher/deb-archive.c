#include "deb-archive.h"

#include "deb-cache.h"
#include "deb-relation.h"
#include "deb822.h"
#include "errors.h"
#include "fsutil.h"
#include "json-util.h"
#include "profile-rules.h"
#include "sandbox.h"
#include "spawn.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define GPGV_TIMEOUT_MS (60 * 1000)

void lo_deb_index_free(LoDebIndex *ix)
{
    if (ix == NULL) {
        return;
    }
    lo_release_free(ix->release);
    g_free(ix->signer);
    g_free(ix->fingerprint);
    g_free(ix->packages_path);
    lo_deb_universe_free(ix->universe);
    g_free(ix->first_skipped);
    g_free(ix);
}

gboolean lo_debian_suite_valid(const char *suite)
{
    gsize n = strlen(suite);
    if (n == 0 || n > 64 || !g_ascii_isalnum(suite[0])) {
        return FALSE;
    }
    for (const char *p = suite; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("._-", *p) == NULL) {
            return FALSE;
        }
    }
    return TRUE;
}

char *lo_mirror_normalize(const char *url, GError **error)
{
    g_autofree char *shown = lo_printable(url, 200);
    g_autoptr(GUri) uri = lo_is_line(url, NULL) && strchr(url, ' ') == NULL
                              ? g_uri_parse(url, G_URI_FLAGS_NONE, NULL)
                              : NULL;
    const char *scheme = uri != NULL ? g_uri_get_scheme(uri) : NULL;
    if (scheme == NULL ||
        (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0 &&
         g_ascii_strcasecmp(scheme, "file") != 0)) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "--mirror %s: not an http://, https:// or "
                    "file:// URL",
                    shown);
        lo_error_fix(error, "give the root of a Debian mirror, the folder holding dists/ and "
                            "pool/, e.g. --mirror https://mirror.example.org/debian");
        return NULL;
    }
    if (g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
        g_uri_get_fragment(uri) != NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "--mirror %s: a mirror URL has no user name, password, '?' or '#' part "
                    "(it is kept in the sysroot's metadata)",
                    shown);
        lo_error_fix(error, "give the plain URL of the mirror's root");
        return NULL;
    }
    return g_strconcat(url, g_str_has_suffix(url, "/") ? "" : "/", NULL);
}

char *lo_deb_archive_url(const char *mirror, const char *path)
{
    g_autofree char *escaped = g_uri_escape_string(path, "/+~", FALSE);
    return g_strconcat(mirror, escaped, NULL);
}

/* ---- gpgv ---------------------------------------------------------------- */

static gboolean write_all(const char *path, const void *data, gsize len, GError **error)
{
    return g_file_set_contents(path, data, len, error);
}

/* What the status lines of gpgv say about the signatures. */
typedef struct {
    gboolean good, valid, bad, expired, revoked, unsigned_;
    char *signer, *fingerprint, *missing_key;
} Verdict;

static void read_status(const char *out, Verdict *v)
{
    g_auto(GStrv) lines = g_strsplit(out != NULL ? out : "", "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        if (!g_str_has_prefix(*l, "[GNUPG:] ")) {
            continue;
        }
        g_auto(GStrv) w = g_strsplit(*l + 9, " ", 3);
        if (w[0] == NULL) {
            continue;
        }
        if (strcmp(w[0], "GOODSIG") == 0 && w[1] != NULL) {
            v->good = TRUE;
            if (v->signer == NULL) {
                v->signer = lo_printable(w[2] != NULL ? w[2] : w[1], 120);
            }
        } else if (strcmp(w[0], "VALIDSIG") == 0 && w[1] != NULL) {
            v->valid = TRUE;
            if (v->fingerprint == NULL) {
                v->fingerprint = lo_printable(w[1], 64);
            }
        } else if (strcmp(w[0], "BADSIG") == 0) {
            v->bad = TRUE;
        } else if (strcmp(w[0], "EXPKEYSIG") == 0 || strcmp(w[0], "EXPSIG") == 0) {
            v->expired = TRUE;
        } else if (strcmp(w[0], "REVKEYSIG") == 0) {
            v->revoked = TRUE;
        } else if ((strcmp(w[0], "NO_PUBKEY") == 0 || strcmp(w[0], "ERRSIG") == 0) &&
                   w[1] != NULL && v->missing_key == NULL) {
            v->missing_key = lo_printable(w[1], 40);
        } else if (strcmp(w[0], "NODATA") == 0) {
            v->unsigned_ = TRUE;
        }
    }
}

static void verdict_clear(Verdict *v)
{
    g_free(v->signer);
    g_free(v->fingerprint);
    g_free(v->missing_key);
}

static void refuse_signature(GError **error, const char *what, const char *keyring,
                             const Verdict *v, const LoSpawnResult *r)
{
    if (v->bad) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s: BAD signature: the file was changed after it was signed (damaged or "
                    "tampered with)",
                    what);
        lo_error_fix(error, "use another mirror (--mirror URL); nothing from this one was used");
    } else if (v->expired || v->revoked) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s is signed with a key that has %s (keyring %s)", what,
                    v->expired ? "expired" : "been revoked", keyring);
        lo_error_fix(error, "update the keyring (sudo apt-get install debian-archive-keyring) "
                            "or use a suite that is still supported");
    } else if (v->missing_key != NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s is signed by key %s, which is not in the keyring %s: it cannot be "
                    "trusted",
                    what, v->missing_key, keyring);
        lo_error_fix(error, "a suite newer than this machine's keyring needs a newer "
                            "debian-archive-keyring; or give the archive's keyring with "
                            "--keyring FILE");
    } else if (v->unsigned_ || !v->good) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s carries no valid signature", what);
        lo_error_fix(error, "use a mirror that serves a signed InRelease (--mirror URL)");
    } else {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s: gpgv did not accept the signature",
                    what);
    }
    g_autofree char *err = lo_printable(r->err != NULL ? g_strstrip(r->err) : "", 400);
    if (err[0] != '\0') {
        lo_error_note(error, "gpgv said: %s", err);
    }
}

GBytes *lo_gpgv_verify(const void *data, gsize len, const char *keyring, const char *what,
                       char **signer, char **fingerprint, GError **error)
{
    g_autofree char *gpgv = g_find_program_in_path("gpgv");
    if (gpgv == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "gpgv not found: it checks the signature of the Debian archive");
        lo_error_fix(error, "%s",
                     lo_sandbox_fix("install it: sudo apt-get install gpgv",
                                    "the Flatpak runtime has no gpgv: make the sysroot from .deb "
                                    "files in ~/Games with --from-debs DIR, or run qemu-lorelei "
                                    "outside the Flatpak"));
        return NULL;
    }
    if (!g_file_test(keyring, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "keyring %s not found", keyring);
        if (strcmp(keyring, LO_DEBIAN_KEYRING) == 0) {
            lo_error_fix(error, "install it: sudo apt-get install debian-archive-keyring, or "
                                "give the archive's keyring with --keyring FILE");
        } else {
            lo_error_fix(error, "give an existing OpenPGP keyring file with --keyring FILE");
        }
        return NULL;
    }
    g_autofree char *tmp = g_dir_make_tmp("lorelei-gpgv-XXXXXX", error);
    if (tmp == NULL) {
        return NULL;
    }
    g_autofree char *home = g_build_filename(tmp, "home", NULL);
    g_autofree char *in = g_build_filename(tmp, "InRelease", NULL);
    g_autofree char *out = g_build_filename(tmp, "Release", NULL);
    GBytes *result = NULL;
    LoSpawnResult r = {0};
    Verdict v = {0};
    if (mkdir(home, 0700) == 0 && write_all(in, data, len, error)) {
        /* An empty home of its own: no user configuration or keys count. */
        const char *argv[] = {gpgv, "--homedir", home,    "--status-fd",
                              "1",  "--keyring", keyring, "--output",
                              out,  in,          NULL};
        if (lo_spawn(argv, NULL, GPGV_TIMEOUT_MS, 1 << 20, &r, error)) {
            read_status(r.out, &v);
            g_autofree char *text = NULL;
            gsize text_len = 0;
            if (!(v.good && v.valid && !v.bad && !v.expired && !v.revoked && r.signal == 0 &&
                  !r.timed_out)) {
                refuse_signature(error, what, keyring, &v, &r);
            } else if (lo_read_file_limited(out, LO_INRELEASE_MAX_BYTES, &text, &text_len, error)) {
                result = g_bytes_new_take(g_steal_pointer(&text), text_len);
                *signer = g_steal_pointer(&v.signer);
                *fingerprint = g_steal_pointer(&v.fingerprint);
            }
        }
    } else if (error != NULL && *error == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", home,
                    g_strerror(errno));
    }
    verdict_clear(&v);
    lo_spawn_result_clear(&r);
    lo_rm_rf(tmp, NULL);
    return result;
}

/* ---- Packages -------------------------------------------------------------- */

typedef struct {
    LoDebUniverse *u;
    guint skipped;
    char *first;
} PackagesParse;

static gboolean all_digits(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12;
}

static gboolean sha256_form(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* Why a stanza cannot be used, or NULL. */
static const char *stanza_problem(const LoDeb822Stanza *s)
{
    const char *name = lo_deb822_get(s, "Package");
    const char *version = lo_deb822_get(s, "Version");
    const char *filename = lo_deb822_get(s, "Filename");
    const char *size = lo_deb822_get(s, "Size");
    const char *sha = lo_deb822_get(s, "SHA256");
    const char *ma = lo_deb822_get(s, "Multi-Arch");
    if (name == NULL || !lo_deb_name_valid(name)) {
        return "no valid Package field";
    }
    if (version == NULL || !lo_deb_version_valid(version)) {
        return "no valid Version field";
    }
    if (filename == NULL || !lo_mirror_path_safe(filename) || !g_str_has_suffix(filename, ".deb")) {
        return "no Filename field, or one that is not a plain path to a .deb";
    }
    if (size == NULL || !all_digits(size)) {
        return "no valid Size field";
    }
    if (sha == NULL || !sha256_form(sha)) {
        return "no valid SHA256 field";
    }
    if (ma != NULL && strcmp(ma, "same") != 0 && strcmp(ma, "foreign") != 0 &&
        strcmp(ma, "allowed") != 0 && strcmp(ma, "no") != 0) {
        return "a Multi-Arch field that is not same, foreign, allowed or no";
    }
    return NULL;
}

static void skip(PackagesParse *pp, const LoDeb822Stanza *s, const char *why)
{
    if (pp->skipped++ == 0) {
        pp->first = g_strdup_printf("the stanza at line %u: %s", s->line, why);
    }
}

static char *dup_field(const LoDeb822Stanza *s, const char *name)
{
    return g_strdup(lo_deb822_get(s, name));
}

static gboolean on_package(const LoDeb822Stanza *s, gpointer data, GError **error)
{
    (void)error;
    PackagesParse *pp = data;
    const char *arch = lo_deb822_get(s, "Architecture");
    if (arch == NULL || (strcmp(arch, "amd64") != 0 && strcmp(arch, "all") != 0)) {
        return TRUE; /* not for this sysroot (or no architecture at all) */
    }
    const char *why = stanza_problem(s);
    if (why != NULL) {
        skip(pp, s, why);
        return TRUE;
    }
    LoDebPackage *p = g_new0(LoDebPackage, 1);
    p->name = dup_field(s, "Package");
    p->version = dup_field(s, "Version");
    p->arch = g_strdup(arch);
    p->multi_arch = dup_field(s, "Multi-Arch");
    p->depends = dup_field(s, "Depends");
    p->pre_depends = dup_field(s, "Pre-Depends");
    p->provides = dup_field(s, "Provides");
    const char *essential = lo_deb822_get(s, "Essential");
    p->essential = essential != NULL && strcmp(essential, "yes") == 0;
    p->filename = dup_field(s, "Filename");
    p->size = g_ascii_strtoull(lo_deb822_get(s, "Size"), NULL, 10);
    p->sha256 = dup_field(s, "SHA256");
    if (!lo_deb_universe_add(pp->u, p, &why)) {
        skip(pp, s, "a Provides field that cannot be read");
    }
    return TRUE;
}

gboolean lo_deb_packages_parse(const char *text, gsize len, const char *what, LoDebUniverse *u,
                               guint *skipped, char **first, GError **error)
{
    const LoDeb822Limits limits = {LO_PACKAGES_MAX_BYTES, 1000000, 256, 1 << 20, FALSE};
    PackagesParse pp = {u, 0, NULL};
    gboolean ok = lo_deb822_parse(text, len, &limits, what, on_package, &pp, error);
    *skipped = pp.skipped;
    *first = pp.first;
    return ok;
}

/* Decompresses a .xz/.gz (or plain) file into memory, up to limit bytes. */
static GBytes *decompress(const char *path, const char *what, guint64 limit, GError **error)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_xz(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
    struct archive_entry *e;
    GByteArray *out = g_byte_array_new();
    gboolean ok = archive_read_open_filename(a, path, 65536) == ARCHIVE_OK &&
                  archive_read_next_header(a, &e) == ARCHIVE_OK;
    char buf[65536];
    while (ok) {
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
        if (n == 0) {
            break;
        }
        if (n < 0 || lo_interrupted()) {
            ok = FALSE;
            break;
        }
        if (out->len + (guint64)n > limit) {
            g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                        "%s expands to more than %" G_GUINT64_FORMAT " bytes, the limit", what,
                        limit);
            g_byte_array_unref(out);
            archive_read_free(a);
            return NULL;
        }
        g_byte_array_append(out, (const guint8 *)buf, n);
    }
    if (!ok) {
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was created");
        } else {
            const char *msg = archive_error_string(a);
            g_autofree char *shown = lo_printable(msg != NULL ? msg : "unknown error", 200);
            g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s cannot be decompressed: %s", what,
                        shown);
        }
        g_byte_array_unref(out);
        archive_read_free(a);
        return NULL;
    }
    archive_read_free(a);
    return g_byte_array_free_to_bytes(out);
}

/* ---- the archive ----------------------------------------------------------- */

static const LoReleaseFile *pick_packages(const LoRelease *r)
{
    static const char *const candidates[] = {"main/binary-amd64/Packages.xz",
                                             "main/binary-amd64/Packages.gz",
                                             "main/binary-amd64/Packages"};
    for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
        const LoReleaseFile *f = lo_release_find(r, candidates[i]);
        if (f != NULL) {
            return f;
        }
    }
    return NULL;
}

static GBytes *fetch_inrelease(const LoDebArchive *a, const char *url, const char *what,
                               GError **error)
{
    LoDownload d = a->net;
    d.url = url;
    d.what = what;
    g_autoptr(GError) local = NULL;
    g_autoptr(GByteArray) data = lo_download_memory(&d, LO_INRELEASE_MAX_BYTES, &local);
    if (data == NULL) {
        gboolean not_there = g_str_has_suffix(local->message, "answered HTTP 404") ||
                             strstr(local->message, "Couldn't open file") != NULL;
        g_propagate_error(error, g_steal_pointer(&local));
        if (not_there) {
            lo_error_fix(error,
                         "check the suite (bookworm, trixie, stable, ...) and that %s is a Debian "
                         "mirror (the folder holding dists/ and pool/)",
                         a->mirror);
        } else if ((*error)->code == LO_EXIT_DOWNLOAD) {
            lo_error_fix(error, "check the network connection, or use another mirror "
                                "(--mirror URL)");
        }
        return NULL;
    }
    return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

LoDebIndex *lo_deb_archive_open(const LoDebArchive *a, GError **error)
{
    g_autofree char *rel_path = g_strdup_printf("dists/%s/InRelease", a->suite);
    g_autofree char *url = lo_deb_archive_url(a->mirror, rel_path);
    g_autoptr(GBytes) signed_file = fetch_inrelease(a, url, rel_path, error);
    if (signed_file == NULL) {
        return NULL;
    }
    g_autoptr(LoDebIndex) ix = g_new0(LoDebIndex, 1);
    g_autofree char *what = g_strdup_printf("%s (%s)", rel_path, url);
    g_autoptr(GBytes) text =
        lo_gpgv_verify(g_bytes_get_data(signed_file, NULL), g_bytes_get_size(signed_file),
                       a->keyring, what, &ix->signer, &ix->fingerprint, error);
    if (text == NULL) {
        return NULL;
    }
    ix->release =
        lo_release_parse(g_bytes_get_data(text, NULL), g_bytes_get_size(text), what, error);
    if (ix->release == NULL) {
        if (error != NULL && *error != NULL) {
            (*error)->code = LO_EXIT_DOWNLOAD;
        }
        lo_error_fix(error, "the signed Release cannot be read: use another mirror "
                            "(--mirror URL)");
        return NULL;
    }
    if (!lo_release_check(ix->release, a->suite, (gint64)time(NULL), what, error)) {
        return NULL;
    }
    const LoReleaseFile *pf = pick_packages(ix->release);
    if (pf == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s lists no main/binary-amd64/Packages index", what);
        lo_error_fix(error, "use a mirror that carries amd64 packages (--mirror URL)");
        return NULL;
    }
    ix->packages_path = g_strdup(pf->path);
    g_autofree char *dir = g_path_get_dirname(pf->path);
    g_autofree char *file_path =
        ix->release->by_hash
            ? g_strdup_printf("dists/%s/%s/by-hash/SHA256/%s", a->suite, dir, pf->sha256)
            : g_strdup_printf("dists/%s/%s", a->suite, pf->path);
    g_autofree char *file_url = lo_deb_archive_url(a->mirror, file_path);
    g_autofree char *file_what = g_strdup_printf("dists/%s/%s", a->suite, pf->path);
    LoCacheItem item = {file_url, file_what, "the signed Release", pf->size, pf->sha256};
    LoCacheHow how;
    LoDownload net = a->net;
    g_autofree char *cached = lo_cache_get(a->cache_dir, &item, &net, &how, error);
    if (cached == NULL) {
        return NULL;
    }
    g_autoptr(GBytes) packages = decompress(cached, file_what, LO_PACKAGES_MAX_BYTES, error);
    if (packages == NULL) {
        return NULL;
    }
    ix->universe = lo_deb_universe_new("amd64");
    if (!lo_deb_packages_parse(g_bytes_get_data(packages, NULL), g_bytes_get_size(packages),
                               file_what, ix->universe, &ix->skipped, &ix->first_skipped, error)) {
        if (error != NULL && *error != NULL) {
            (*error)->code = LO_EXIT_DOWNLOAD;
        }
        lo_error_fix(error, "the mirror's index cannot be read: use another mirror (--mirror "
                            "URL)");
        return NULL;
    }
    return g_steal_pointer(&ix);
}
