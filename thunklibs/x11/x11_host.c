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
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>

#include "internal.h"

enum { MAX_CONNECTIONS = 64 };

struct pair {
    uint64_t guest;
    void *host;
};

struct table {
    const char *what;
    struct pair pairs[MAX_CONNECTIONS];
    int n;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct table displays = {.what = "X11 Display"}, xcbs = {.what = "xcb connection"};

static void *lookup_host(struct table *t, uint64_t guest)
{
    for (int i = 0; i < t->n; i++) {
        if (t->pairs[i].guest == guest) {
            return t->pairs[i].host;
        }
    }
    return NULL;
}

static uint64_t lookup_guest(struct table *t, void *host)
{
    uint64_t guest = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < t->n && !guest; i++) {
        if (t->pairs[i].host == host) {
            guest = t->pairs[i].guest;
        }
    }
    pthread_mutex_unlock(&lock);
    return guest;
}

static void remember(struct table *t, uint64_t guest, void *host)
{
    if (t->n == MAX_CONNECTIONS) {
        lorelei_log("more than %d %ss; the oldest mapping is reused", MAX_CONNECTIONS, t->what);
        t->n = 0;
    }
    t->pairs[t->n++] = (struct pair){guest, host};
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
    pthread_mutex_lock(&lock);
    void *host = lookup_host(&displays, guest);
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
        /* guest_base == 0: the guest's Display is readable here. */
        const char *name = ((_XPrivDisplay)(uintptr_t)guest)->display_name;
        host = open_display ? open_display(name) : NULL;
        if (host) {
            remember(&displays, guest, host);
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
    pthread_mutex_lock(&lock);
    void *paired = lookup_host(&displays, guest);
    if (!paired) {
        remember(&displays, guest, host);
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
    void *host = lookup_host(&xcbs, guest);
    if (!host) {
        static void *(*connect)(const char *, int *);
        if (!connect) {
            connect = (void *(*)(const char *, int *))x11_symbol("libxcb.so.1", "xcb_connect");
        }
        host = connect ? connect(NULL, NULL) : NULL;
        if (host) {
            remember(&xcbs, guest, host);
        } else {
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
