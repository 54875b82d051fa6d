#include "deb-closure.h"

#include "deb-relation.h"

#include <string.h>

/* Packages whose only job in a dependency chain is installing packages:
 * maintainer scripts call them, nothing loads them. Essential: yes
 * packages (dpkg, bash, coreutils, ...) are left out by their field. */
static const char *const install_only[] = {
    "adduser", /* creates system users in postinst */
    "cdebconf",
    "debconf",     /* configuration questions in maintainer scripts */
    "debconf-2.0", /* (the virtual package debconf provides) */
    "dpkg",
    "install-info",        /* package and info-page registration */
    "init-system-helpers", /* update-rc.d, deb-systemd-helper */
    "lsb-base",            /* /lib/lsb/init-functions for init scripts */
    "sysvinit-utils",      /* (Essential, listed for older suites) */
    "ucf",                 /* configuration file updates in postinst */
    "usr-is-merged",
    "usrmerge", /* the /usr merge of an installed system */
    NULL,
};

void lo_deb_package_free(LoDebPackage *p)
{
    if (p == NULL) {
        return;
    }
    g_free(p->name);
    g_free(p->version);
    g_free(p->arch);
    g_free(p->multi_arch);
    g_free(p->depends);
    g_free(p->pre_depends);
    g_free(p->provides);
    g_free(p->filename);
    g_free(p->sha256);
    g_free(p);
}

struct LoDebUniverse {
    char *target;
    GHashTable *by_name; /* name -> GPtrArray of LoDebPackage* (owned) */
    guint count;
};

static void free_list(gpointer p)
{
    g_ptr_array_unref(p);
}

LoDebUniverse *lo_deb_universe_new(const char *target_arch)
{
    LoDebUniverse *u = g_new0(LoDebUniverse, 1);
    u->target = g_strdup(target_arch);
    u->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_list);
    return u;
}

void lo_deb_universe_free(LoDebUniverse *u)
{
    if (u == NULL) {
        return;
    }
    g_hash_table_unref(u->by_name);
    g_free(u->target);
    g_free(u);
}

gboolean lo_deb_universe_add(LoDebUniverse *u, LoDebPackage *p, const char **why)
{
    GPtrArray *provides = lo_deb_relations_parse(p->provides, why);
    if (provides == NULL) {
        lo_deb_package_free(p);
        return FALSE;
    }
    g_ptr_array_unref(provides);
    GPtrArray *list = g_hash_table_lookup(u->by_name, p->name);
    if (list == NULL) {
        list = g_ptr_array_new_with_free_func((GDestroyNotify)lo_deb_package_free);
        g_hash_table_insert(u->by_name, g_strdup(p->name), list);
    }
    for (guint i = 0; i < list->len; i++) {
        LoDebPackage *old = list->pdata[i];
        if (strcmp(old->arch, p->arch) == 0) {
            if (lo_deb_version_compare(p->version, old->version) > 0) {
                list->pdata[i] = p;
                lo_deb_package_free(old);
            } else {
                lo_deb_package_free(p);
            }
            return TRUE;
        }
    }
    g_ptr_array_add(list, p);
    u->count++;
    return TRUE;
}

guint lo_deb_universe_size(const LoDebUniverse *u)
{
    return u->count;
}

static gboolean in_sysroot(const LoDebUniverse *u, const LoDebPackage *p)
{
    return strcmp(p->arch, u->target) == 0 || strcmp(p->arch, "all") == 0;
}

const LoDebPackage *lo_deb_universe_lookup(const LoDebUniverse *u, const char *name)
{
    GPtrArray *list = g_hash_table_lookup(u->by_name, name);
    for (guint i = 0; list != NULL && i < list->len; i++) {
        if (in_sysroot(u, list->pdata[i])) {
            return list->pdata[i];
        }
    }
    return NULL;
}

gboolean lo_deb_install_only(const LoDebPackage *p)
{
    return p->essential || g_strv_contains(install_only, p->name);
}

void lo_deb_closure_free(LoDebClosure *c)
{
    if (c == NULL) {
        return;
    }
    g_ptr_array_unref(c->picked);
    g_ptr_array_unref(c->left_out);
    g_ptr_array_unref(c->missing);
    g_ptr_array_unref(c->warnings);
    g_free(c);
}

guint64 lo_deb_closure_bytes(const LoDebClosure *c)
{
    guint64 total = 0;
    for (guint i = 0; i < c->picked->len; i++) {
        total += ((LoDebPick *)c->picked->pdata[i])->package->size;
    }
    return total;
}

static void pick_free(gpointer p)
{
    LoDebPick *k = p;
    g_free(k->why);
    g_free(k);
}

/* A package providing a virtual name, with the version it provides. */
typedef struct {
    const LoDebPackage *package;
    char *version; /* NULL: unversioned */
} Provider;

static void provider_list_free(gpointer p)
{
    GArray *a = p;
    for (guint i = 0; i < a->len; i++) {
        g_free(g_array_index(a, Provider, i).version);
    }
    g_array_unref(a);
}

static int compare_providers(gconstpointer a, gconstpointer b)
{
    return strcmp(((const Provider *)a)->package->name, ((const Provider *)b)->package->name);
}

typedef struct {
    const LoDebUniverse *u;
    GHashTable *providers; /* virtual name -> GArray of Provider, sorted by package name */
    GHashTable *chosen;    /* LoDebPackage* -> LoDebPick* (in the sysroot) */
    GHashTable *left;      /* LoDebPackage* -> LoDebPick* (left out) */
    GQueue queue;          /* LoDebPackage* whose dependencies are still to follow */
    LoDebClosure *out;
} Resolver;

static void index_providers(Resolver *r)
{
    r->providers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, provider_list_free);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, r->u->by_name);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        GPtrArray *list = value;
        for (guint i = 0; i < list->len; i++) {
            const LoDebPackage *p = list->pdata[i];
            const char *why;
            g_autoptr(GPtrArray) groups = lo_deb_relations_parse(p->provides, &why);
            for (guint g = 0; groups != NULL && g < groups->len; g++) {
                const LoDebAtom *a = ((LoDebGroup *)groups->pdata[g])->pdata[0];
                GArray *provs = g_hash_table_lookup(r->providers, a->name);
                if (provs == NULL) {
                    provs = g_array_new(FALSE, FALSE, sizeof(Provider));
                    g_hash_table_insert(r->providers, g_strdup(a->name), provs);
                }
                Provider pv = {p, a->op == LO_DEB_EQ ? g_strdup(a->version) : NULL};
                g_array_append_val(provs, pv);
            }
        }
    }
    g_hash_table_iter_init(&it, r->providers);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        g_array_sort(value, compare_providers);
    }
}

typedef enum {
    NONE,
    IN_SYSROOT, /* goes into the sysroot */
    HOST_TOOL,  /* another architecture's Multi-Arch: foreign package */
} Kind;

/* Whether p (named or providing atom's name) may stand for atom at all,
 * ignoring the version: architecture and Multi-Arch rules. */
static Kind usable_for(const Resolver *r, const LoDebPackage *p, const LoDebAtom *atom)
{
    const char *q = atom->arch;
    if (q != NULL && strcmp(q, "any") != 0 && strcmp(q, "native") != 0) {
        return strcmp(p->arch, q) == 0 && in_sysroot(r->u, p) ? IN_SYSROOT : NONE;
    }
    if (in_sysroot(r->u, p)) {
        return IN_SYSROOT;
    }
    const char *ma = p->multi_arch != NULL ? p->multi_arch : "";
    if (strcmp(ma, "foreign") == 0 || (strcmp(ma, "allowed") == 0 && q != NULL)) {
        return HOST_TOOL;
    }
    return NONE;
}

/* The best real package named atom->name: in the sysroot's architecture
 * first. *version_ok says whether its version satisfies the atom. */
static const LoDebPackage *find_real(const Resolver *r, const LoDebAtom *atom, Kind *kind,
                                     gboolean *version_ok)
{
    GPtrArray *list = g_hash_table_lookup(r->u->by_name, atom->name);
    const LoDebPackage *best = NULL;
    *kind = NONE;
    for (guint i = 0; list != NULL && i < list->len; i++) {
        const LoDebPackage *p = list->pdata[i];
        Kind k = usable_for(r, p, atom);
        gboolean ok = lo_deb_version_satisfies(p->version, atom->op, atom->version);
        /* Rank: usable and satisfying, then in the sysroot over tools. */
        if (k != NONE && (best == NULL || (ok && !*version_ok) ||
                          (ok == *version_ok && k == IN_SYSROOT && *kind != IN_SYSROOT))) {
            best = p;
            *kind = k;
            *version_ok = ok;
        }
    }
    return best;
}

/* The first provider (by name) of atom->name that satisfies it. */
static const LoDebPackage *find_provider(const Resolver *r, const LoDebAtom *atom, Kind *kind)
{
    GArray *provs = g_hash_table_lookup(r->providers, atom->name);
    for (guint i = 0; provs != NULL && i < provs->len; i++) {
        const Provider *pv = &g_array_index(provs, Provider, i);
        Kind k = usable_for(r, pv->package, atom);
        gboolean ok =
            atom->op == LO_DEB_ANY ||
            (pv->version != NULL && lo_deb_version_satisfies(pv->version, atom->op, atom->version));
        if (k != NONE && ok) {
            *kind = k;
            return pv->package;
        }
    }
    *kind = NONE;
    return NULL;
}

static gboolean taken(const Resolver *r, const LoDebPackage *p)
{
    return g_hash_table_contains(r->chosen, p) || g_hash_table_contains(r->left, p);
}

/* Whether a package already chosen (or left out on purpose) meets atom. */
static gboolean already_met(const Resolver *r, const LoDebAtom *atom)
{
    GPtrArray *list = g_hash_table_lookup(r->u->by_name, atom->name);
    for (guint i = 0; list != NULL && i < list->len; i++) {
        const LoDebPackage *p = list->pdata[i];
        if (taken(r, p) && usable_for(r, p, atom) != NONE &&
            lo_deb_version_satisfies(p->version, atom->op, atom->version)) {
            return TRUE;
        }
    }
    GArray *provs = g_hash_table_lookup(r->providers, atom->name);
    for (guint i = 0; provs != NULL && i < provs->len; i++) {
        const Provider *pv = &g_array_index(provs, Provider, i);
        if (taken(r, pv->package) && usable_for(r, pv->package, atom) != NONE &&
            (atom->op == LO_DEB_ANY ||
             (pv->version != NULL &&
              lo_deb_version_satisfies(pv->version, atom->op, atom->version)))) {
            return TRUE;
        }
    }
    return FALSE;
}

static void take(Resolver *r, const LoDebPackage *p, Kind kind, gboolean requested, const char *why)
{
    if (kind == HOST_TOOL || (!requested && lo_deb_install_only(p))) {
        LoDebPick *k = g_hash_table_lookup(r->left, p);
        if (k == NULL) {
            k = g_new0(LoDebPick, 1);
            k->package = p;
            k->why =
                g_strdup_printf("%s; %s", why,
                                kind == HOST_TOOL ? "a tool of this system (Multi-Arch: foreign)"
                                                  : "only used while installing packages");
            g_hash_table_insert(r->left, (gpointer)p, k);
        }
        return;
    }
    if (g_hash_table_contains(r->chosen, p)) {
        return;
    }
    LoDebPick *k = g_new0(LoDebPick, 1);
    k->package = p;
    k->why = g_strdup(why);
    g_hash_table_insert(r->chosen, (gpointer)p, k);
    g_queue_push_tail(&r->queue, (gpointer)p);
}

static char *group_to_string(const LoDebGroup *g)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < g->len; i++) {
        g_autofree char *a = lo_deb_atom_to_string(g->pdata[i]);
        g_string_append_printf(s, "%s%s", i ? " | " : "", a);
    }
    return g_string_free(s, FALSE);
}

static void follow_group(Resolver *r, const LoDebPackage *from, const LoDebGroup *g)
{
    for (guint i = 0; i < g->len; i++) {
        if (already_met(r, g->pdata[i])) {
            return;
        }
    }
    g_autofree char *why = g_strdup_printf("needed by %s", from->name);
    /* The first alternative that exists and satisfies its constraint. */
    for (guint i = 0; i < g->len; i++) {
        const LoDebAtom *atom = g->pdata[i];
        Kind kind;
        gboolean version_ok = FALSE;
        const LoDebPackage *p = find_real(r, atom, &kind, &version_ok);
        if (p != NULL && version_ok) {
            take(r, p, kind, FALSE, why);
            return;
        }
        if ((p = find_provider(r, atom, &kind)) != NULL) {
            g_autofree char *via = g_strdup_printf("%s (provides %s)", why, atom->name);
            take(r, p, kind, FALSE, via);
            return;
        }
    }
    /* None satisfies its constraint: the first that exists in another
     * version is the best this set of packages offers. */
    g_autofree char *wanted = group_to_string(g);
    for (guint i = 0; i < g->len; i++) {
        Kind kind;
        gboolean version_ok = FALSE;
        const LoDebPackage *p = find_real(r, g->pdata[i], &kind, &version_ok);
        if (p != NULL) {
            g_ptr_array_add(r->out->warnings,
                            g_strdup_printf("%s %s needs %s, but only %s %s is available: "
                                            "taken anyway",
                                            from->name, from->version, wanted, p->name,
                                            p->version));
            take(r, p, kind, FALSE, why);
            return;
        }
    }
    g_ptr_array_add(r->out->warnings, g_strdup_printf("%s %s needs %s, and none of it is available",
                                                      from->name, from->version, wanted));
}

static void follow(Resolver *r, const LoDebPackage *p)
{
    const char *fields[] = {p->pre_depends, p->depends};
    const char *names[] = {"Pre-Depends", "Depends"};
    for (gsize f = 0; f < G_N_ELEMENTS(fields); f++) {
        const char *why = NULL;
        g_autoptr(GPtrArray) groups = lo_deb_relations_parse(fields[f], &why);
        if (groups == NULL) {
            g_ptr_array_add(r->out->warnings,
                            g_strdup_printf("%s %s: its %s field cannot be read (%s): those "
                                            "dependencies were not followed",
                                            p->name, p->version, names[f], why));
            continue;
        }
        for (guint i = 0; i < groups->len; i++) {
            follow_group(r, p, groups->pdata[i]);
        }
    }
}

static int compare_picks(gconstpointer a, gconstpointer b)
{
    const LoDebPick *x = *(LoDebPick *const *)a, *y = *(LoDebPick *const *)b;
    int c = strcmp(x->package->name, y->package->name);
    return c != 0 ? c : strcmp(x->package->arch, y->package->arch);
}

static GPtrArray *sorted_picks(GHashTable *t)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(pick_free);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        g_ptr_array_add(out, value);
    }
    g_ptr_array_sort(out, compare_picks);
    return out;
}

LoDebClosure *lo_deb_closure_resolve(const LoDebUniverse *u, const char *const *requested)
{
    LoDebClosure *out = g_new0(LoDebClosure, 1);
    out->missing = g_ptr_array_new_with_free_func(g_free);
    out->warnings = g_ptr_array_new_with_free_func(g_free);
    Resolver r = {
        .u = u,
        .chosen = g_hash_table_new(g_direct_hash, g_direct_equal),
        .left = g_hash_table_new(g_direct_hash, g_direct_equal),
        .out = out,
    };
    g_queue_init(&r.queue);
    index_providers(&r);
    for (const char *const *name = requested; name != NULL && *name != NULL; name++) {
        LoDebAtom atom = {(char *)*name, NULL, LO_DEB_ANY, NULL};
        Kind kind;
        gboolean version_ok = FALSE;
        const LoDebPackage *p = find_real(&r, &atom, &kind, &version_ok);
        const char *why = "requested";
        g_autofree char *via = NULL;
        if (p == NULL || kind != IN_SYSROOT) {
            p = find_provider(&r, &atom, &kind);
            via = g_strdup_printf("requested (provides %s)", *name);
            why = via;
        }
        if (p == NULL || kind != IN_SYSROOT) {
            if (!g_ptr_array_find_with_equal_func(out->missing, *name, g_str_equal, NULL)) {
                g_ptr_array_add(out->missing, g_strdup(*name));
            }
            continue;
        }
        take(&r, p, kind, TRUE, why);
    }
    const LoDebPackage *p;
    while ((p = g_queue_pop_head(&r.queue)) != NULL) {
        follow(&r, p);
    }
    out->picked = sorted_picks(r.chosen);
    out->left_out = sorted_picks(r.left);
    g_hash_table_unref(r.chosen);
    g_hash_table_unref(r.left);
    g_hash_table_unref(r.providers);
    return out;
}
