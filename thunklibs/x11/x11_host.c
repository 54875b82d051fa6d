/*
 * The guest's X11 connections, as the host sees them. A GLX, EGL or Vulkan
 * program passes its own Display* (or xcb_connection_t*) - a connection of
 * the guest's libX11 - to functions that run on the host. The host library
 * needs a host connection to the same server: resource ids (windows,
 * visuals, pixmaps) belong to the server, so they mean the same on both.
 *
 * One host connection is opened per guest connection, by the guest's display
 * name (Xlib's public _XPrivDisplay layout, identical on LP64 hosts), and
 * kept until the process ends. For xcb, whose connection is opaque, the host
 * connects to $DISPLAY. libX11/libxcb are loaded on first use only.
 *
 * The tables grow as needed. A guest Display* is a heap address: after
 * XCloseDisplay the game's next XOpenDisplay may get the same one, for
 * another server. So a Display mapping also records the guest connection's
 * display name and socket, and is used only while both still match; a
 * mapping that no longer matches is retired (its host connection stays open,
 * and host objects made on it still map back to the guest) and a new host
 * connection is opened. An xcb connection is opaque, so only its address is
 * known.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>

#include "internal.h"

struct pair {
    uint64_t guest;
    void *host;
    char *name; /* the guest connection's display name (Displays only) */
    int fd;     /* and its socket */
    bool retired;
};

struct table {
    const char *what;
    struct pair *pairs;
    size_t n, cap;
};

/* Error-checking: see fork_prepare. */
static pthread_mutex_t lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static bool lock_held_for_fork;
static struct table displays = {.what = "X11 Display"}, xcbs = {.what = "xcb connection"};

/* fork() while another thread opens a host connection: the fork waits, so
 * the child does not inherit the lock held by a thread it does not have. */
static void fork_prepare(void)
{
    /* Fails (EDEADLK) instead of waiting forever if the forking thread holds
     * it itself: a host library forking in code run under it. */
    lock_held_for_fork = pthread_mutex_lock(&lock) == 0;
}

static void fork_parent(void)
{
    if (lock_held_for_fork) {
        pthread_mutex_unlock(&lock);
    }
}

/* The child's thread has another thread id than the one that took it, and
 * an error-checking mutex knows its owner by id: made anew, not unlocked. */
static void fork_child(void)
{
    lock = (pthread_mutex_t)PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static bool same_string(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The live mapping of guest connection `guest` (name and fd as it says
 * now), NULL if there is none. One whose name or socket changed stood for a
 * connection the game has closed since: it is retired. */
static void *lookup_host(struct table *t, uint64_t guest, const char *name, int fd)
{
    for (size_t i = 0; i < t->n; i++) {
        struct pair *p = &t->pairs[i];
        if (p->guest != guest || p->retired) {
            continue;
        }
        if (same_string(p->name, name) && p->fd == fd) {
            return p->host;
        }
        lorelei_debug("guest %s %#llx now stands for another connection ('%s', socket %d; "
                      "was '%s', %d): the game closed the old one",
                      t->what, (unsigned long long)guest, name ? name : "", fd,
                      p->name ? p->name : "", p->fd);
        p->retired = true;
    }
    return NULL;
}

/* Retired mappings count too: what a host library made on a retired
 * connection still belongs to the guest connection it was made for. */
static uint64_t lookup_guest(struct table *t, void *host)
{
    uint64_t guest = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < t->n && !guest; i++) {
        if (t->pairs[i].host == host) {
            guest = t->pairs[i].guest;
        }
    }
    pthread_mutex_unlock(&lock);
    return guest;
}

static bool remember(struct table *t, uint64_t guest, void *host, const char *name, int fd)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct pair *grown = realloc(t->pairs, cap * sizeof(*grown));
        if (!grown) {
            return false;
        }
        t->pairs = grown;
        t->cap = cap;
    }
    char *copy = name ? strdup(name) : NULL;
    if (name && !copy) {
        return false;
    }
    t->pairs[t->n++] = (struct pair){guest, host, copy, fd, false};
    return true;
}

static void *x11_symbol(const char *lib, const char *name)
{
    void *handle = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    void *sym = handle ? dlsym(handle, name) : NULL;
    if (!sym) {
        lorelei_log("cannot use the host's %s (%s): install it to run X11 games", lib,
                    handle ? name : dlerror());
    }
    return sym;
}

void *lorelei_x11_host_display(uint64_t guest);
void *lorelei_x11_host_display(uint64_t guest)
{
    if (!guest) {
        return NULL;
    }
    /* guest_base == 0: the guest's Display is readable here. */
    const _XPrivDisplay dpy = (_XPrivDisplay)(uintptr_t)guest;
    const char *name = dpy->display_name;
    pthread_mutex_lock(&lock);
    void *host = lookup_host(&displays, guest, name, dpy->fd);
    if (!host) {
        static Status (*init_threads)(void);
        static Display *(*open_display)(const char *);
        if (!open_display) {
            init_threads = (Status(*)(void))x11_symbol("libX11.so.6", "XInitThreads");
            open_display = (Display * (*)(const char *)) x11_symbol("libX11.so.6", "XOpenDisplay");
            /* Host libraries (Mesa) use the connection from several threads. */
            if (init_threads) {
                init_threads();
            }
        }
        host = open_display ? open_display(name) : NULL;
        if (host && !remember(&displays, guest, host, name, dpy->fd)) {
            lorelei_log("out of memory for the game's X11 connections");
            abort();
        }
        if (host) {
            lorelei_debug("guest Display %#llx (%s) -> host Display %p", (unsigned long long)guest,
                          name, host);
        } else {
            lorelei_log("cannot open X display '%s' on the host for the game's connection",
                        name ? name : "(null)");
        }
    }
    pthread_mutex_unlock(&lock);
    return host;
}

uint64_t lorelei_x11_guest_display(void *host);
uint64_t lorelei_x11_guest_display(void *host)
{
    return host ? lookup_guest(&displays, host) : 0;
}

/* The other way round: a connection a host library opened itself (the
 * host's SDL, for its GL context) gets a guest connection standing for it,
 * which the guest opened for that purpose. Returns 1 once they are paired,
 * 0 if that guest connection already stands for another host one. */
int lorelei_x11_stand_in(uint64_t guest, void *host);
int lorelei_x11_stand_in(uint64_t guest, void *host)
{
    /* guest_base == 0: the guest's Display is readable here. Its name and
     * socket identify the connection as for any other guest Display. */
    const _XPrivDisplay dpy = (_XPrivDisplay)(uintptr_t)guest;
    pthread_mutex_lock(&lock);
    void *paired = lookup_host(&displays, guest, dpy->display_name, dpy->fd);
    if (!paired && !remember(&displays, guest, host, dpy->display_name, dpy->fd)) {
        lorelei_log("out of memory for the game's X11 connections");
        abort();
    }
    if (!paired) {
        lorelei_debug("guest Display %#llx stands for a host library's Display %p",
                      (unsigned long long)guest, host);
    }
    pthread_mutex_unlock(&lock);
    return !paired || paired == host;
}

void *lorelei_xcb_host_connection(uint64_t guest);
void *lorelei_xcb_host_connection(uint64_t guest)
{
    if (!guest) {
        return NULL;
    }
    pthread_mutex_lock(&lock);
    void *host = lookup_host(&xcbs, guest, NULL, -1);
    if (!host) {
        static void *(*connect)(const char *, int *);
        if (!connect) {
            connect = (void *(*)(const char *, int *))x11_symbol("libxcb.so.1", "xcb_connect");
        }
        host = connect ? connect(NULL, NULL) : NULL;
        if (host && !remember(&xcbs, guest, host, NULL, -1)) {
            lorelei_log("out of memory for the game's xcb connections");
            abort();
        }
        if (!host) {
            lorelei_log("cannot connect to the X server ($DISPLAY) on the host with xcb");
        }
    }
    pthread_mutex_unlock(&lock);
    return host;
}

uint64_t lorelei_xcb_guest_connection(void *host);
uint64_t lorelei_xcb_guest_connection(void *host)
{
    return host ? lookup_guest(&xcbs, host) : 0;
}
