#include "match-index.h"

#include "errors.h"
#include "profile-rules.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER     "qemu-lorelei match index 1\n"
#define HEADER_LEN (sizeof(HEADER) - 1)
#define KEY_LEN    64
#define ID_WIDTH   64
#define RECORD_LEN (KEY_LEN + 1 + 1 + 1 + ID_WIDTH + 1)
/* No more than a full repository can produce: every profile with every name
 * and sha256 it may list, and its sha256-only record. */
#define MAX_RECORDS ((gsize)4096 * (LO_MAX_EXE_NAMES + LO_MAX_SHA256 + 1))

struct LoMatchIndex {
    const char *records; /* after the header */
    gsize count;
    void *map; /* when mapped from a file */
    gsize map_size;
};

/* The fixed-length key of a name or sha256 (value NULL: the kind alone). */
static char *key_of(const char *kind, const char *value)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, (const guchar *)kind, (gssize)strlen(kind) + 1);
    if (value != NULL) {
        g_checksum_update(sum, (const guchar *)value, (gssize)strlen(value));
    }
    return g_strdup(g_checksum_get_string(sum));
}

static void add_record(GPtrArray *records, const char *key, char kind, const char *id)
{
    g_ptr_array_add(records, g_strdup_printf("%s %c %-64s\n", key, kind, id));
}

GBytes *lo_match_index_build(GPtrArray *profiles)
{
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < profiles->len; i++) {
        const cJSON *doc = profiles->pdata[i];
        const char *id = lo_json_string(doc, "id");
        if (id == NULL || strlen(id) > ID_WIDTH) {
            continue;
        }
        const cJSON *match = cJSON_GetObjectItemCaseSensitive(doc, "match");
        const cJSON *exe = cJSON_GetObjectItemCaseSensitive(match, "exe");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(match, "sha256");
        gboolean has_sha = cJSON_GetArraySize(sha) > 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, exe)
        {
            if (!cJSON_IsString(item)) {
                continue;
            }
            g_autofree char *key = key_of("exe", item->valuestring);
            add_record(records, key, has_sha ? 'S' : '-', id);
        }
        cJSON_ArrayForEach(item, sha)
        {
            if (!cJSON_IsString(item)) {
                continue;
            }
            g_autofree char *key = key_of("sha256", item->valuestring);
            add_record(records, key, 's', id);
        }
        if (has_sha && cJSON_GetArraySize(exe) == 0) {
            g_autofree char *key = key_of("sha256-only", NULL);
            add_record(records, key, 'S', id);
        }
    }
    g_ptr_array_sort(records, lo_compare_strings);
    GString *out = g_string_new(HEADER);
    for (guint i = 0; i < records->len; i++) {
        g_string_append(out, records->pdata[i]);
    }
    return g_string_free_to_bytes(out);
}

LoMatchIndex *lo_match_index_new(const void *data, gsize size, GError **error)
{
    if (size < HEADER_LEN || memcmp(data, HEADER, HEADER_LEN) != 0 ||
        (size - HEADER_LEN) % RECORD_LEN != 0 || (size - HEADER_LEN) / RECORD_LEN > MAX_RECORDS) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "not a match index of this qemu-lorelei");
        return NULL;
    }
    LoMatchIndex *index = g_new0(LoMatchIndex, 1);
    index->records = (const char *)data + HEADER_LEN;
    index->count = (size - HEADER_LEN) / RECORD_LEN;
    return index;
}

LoMatchIndex *lo_match_index_open(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, LO_MATCH_INDEX_FILE, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot open %s: %s", path,
                    g_strerror(saved));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s is not a match index", path);
        return NULL;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot map %s: %s", path, g_strerror(errno));
        return NULL;
    }
    LoMatchIndex *index = lo_match_index_new(map, (gsize)st.st_size, error);
    if (index == NULL) {
        munmap(map, (size_t)st.st_size);
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    index->map = map;
    index->map_size = (gsize)st.st_size;
    return index;
}

void lo_match_index_free(LoMatchIndex *index)
{
    if (index == NULL) {
        return;
    }
    if (index->map != NULL) {
        munmap(index->map, index->map_size);
    }
    g_free(index);
}

static const char *record(const LoMatchIndex *index, gsize i)
{
    return index->records + i * RECORD_LEN;
}

/* Whether record r is well formed; its id goes to id (ID_WIDTH + 1 bytes). */
static gboolean parse_record(const char *r, char *kind, char *id)
{
    for (int i = 0; i < KEY_LEN; i++) {
        if (!g_ascii_isxdigit(r[i]) || g_ascii_isupper(r[i])) {
            return FALSE;
        }
    }
    if (r[KEY_LEN] != ' ' || strchr("Ss-", r[KEY_LEN + 1]) == NULL || r[KEY_LEN + 1] == '\0' ||
        r[KEY_LEN + 2] != ' ' || r[RECORD_LEN - 1] != '\n') {
        return FALSE;
    }
    *kind = r[KEY_LEN + 1];
    const char *start = r + KEY_LEN + 3;
    gsize len = 0;
    while (len < ID_WIDTH && start[len] != ' ') {
        len++;
    }
    for (gsize i = len; i < ID_WIDTH; i++) {
        if (start[i] != ' ') {
            return FALSE;
        }
    }
    memcpy(id, start, len);
    id[len] = '\0';
    return len > 0 && lo_pattern_match(LO_PAT_ID, id);
}

/* Appends the ids of the records with this key; kinds gets their kinds. */
static gboolean lookup(LoMatchIndex *index, const char *key, GPtrArray *ids, GString *kinds)
{
    gsize lo = 0, hi = index->count;
    while (lo < hi) {
        gsize mid = lo + (hi - lo) / 2;
        if (memcmp(record(index, mid), key, KEY_LEN) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (gsize i = lo; i < index->count && memcmp(record(index, i), key, KEY_LEN) == 0; i++) {
        char kind, id[ID_WIDTH + 1];
        if (!parse_record(record(index, i), &kind, id)) {
            return FALSE;
        }
        g_ptr_array_add(ids, g_strdup(id));
        g_string_append_c(kinds, kind);
    }
    /* A record out of order before the range would have hidden matches. */
    return lo == 0 || memcmp(record(index, lo - 1), key, KEY_LEN) < 0;
}

gboolean lo_match_index_exe(LoMatchIndex *index, const char *name, GPtrArray *ids,
                            gboolean *lists_sha256)
{
    g_autofree char *key = key_of("exe", name);
    g_autoptr(GString) kinds = g_string_new(NULL);
    gboolean ok = lookup(index, key, ids, kinds);
    *lists_sha256 = *lists_sha256 || strchr(kinds->str, 'S') != NULL;
    return ok && strspn(kinds->str, "S-") == kinds->len;
}

gboolean lo_match_index_sha256(LoMatchIndex *index, const char *sha256, GPtrArray *ids)
{
    g_autofree char *key = key_of("sha256", sha256);
    g_autoptr(GString) kinds = g_string_new(NULL);
    return lookup(index, key, ids, kinds) && strspn(kinds->str, "s") == kinds->len;
}

gboolean lo_match_index_sha256_only(LoMatchIndex *index, gboolean *any)
{
    g_autofree char *key = key_of("sha256-only", NULL);
    g_autoptr(GString) kinds = g_string_new(NULL);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = lookup(index, key, ids, kinds) && strspn(kinds->str, "S") == kinds->len;
    *any = ids->len > 0;
    return ok;
}
