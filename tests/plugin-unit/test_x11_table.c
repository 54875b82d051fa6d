/*
 * Unit test of thunklibs/x11/x11_host.c: the table of host X11 connections
 * standing for the game's. Fake guest Displays (only the public fields the
 * table reads: display_name and fd) on a real X server ($DISPLAY, a private
 * Xvfb from run_with_xvfb.py), more of them than the old table's 64.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>

void *lorelei_x11_host_display(uint64_t guest);
uint64_t lorelei_x11_guest_display(void *host);

/* What x11_host.c needs of the plugin. */
void lorelei_log(const char *fmt, ...);
void lorelei_debug(const char *fmt, ...);
void lorelei_log(const char *fmt, ...)
{
    (void)fmt;
}
void lorelei_debug(const char *fmt, ...)
{
    (void)fmt;
}

enum { N = 100 };
static __typeof__(*(_XPrivDisplay)0) fake[N];
static void *host[N];
static int failures;

static void check(int ok, const char *what, int i)
{
    if (!ok) {
        printf("FAIL %s (display %d)\n", what, i);
        failures++;
    }
}

static uint64_t guest(int i)
{
    return (uint64_t)(uintptr_t)&fake[i];
}

int main(void)
{
    char *name = getenv("DISPLAY");
    if (!name) {
        printf("FAIL no $DISPLAY: run me with run_with_xvfb.py\n");
        return 1;
    }
    for (int i = 0; i < N; i++) {
        fake[i].display_name = name;
        fake[i].fd = 1000 + i;
        host[i] = lorelei_x11_host_display(guest(i));
        check(host[i] != NULL, "a host connection opens", i);
        check(i == 0 || host[i] != host[i - 1], "each guest connection gets its own", i);
    }
    printf("%s %d guest connections mapped\n", failures ? "FAIL" : "ok  ", N);
    int before = failures;
    for (int i = 0; i < N; i++) {
        check(lorelei_x11_host_display(guest(i)) == host[i],
              "asked again, a guest connection gets the same host connection", i);
        check(lorelei_x11_guest_display(host[i]) == guest(i),
              "a host connection maps back to its guest connection", i);
    }
    printf("%s all %d still mapped both ways\n", failures > before ? "FAIL" : "ok  ", N);
    before = failures;

    /* The game closed connection 0 and opened another one that got the same
     * address: another display name (here another name of the same server,
     * with the screen number), another socket. */
    char other[64];
    snprintf(other, sizeof(other), "%s.0", name);
    fake[0].display_name = other;
    fake[0].fd = 3000;
    void *again = lorelei_x11_host_display(guest(0));
    check(again != NULL && again != host[0],
          "a reused guest address with another name and socket gets a new host connection", 0);
    check(lorelei_x11_guest_display(again) == guest(0), "the new one maps back to it", 0);
    check(lorelei_x11_guest_display(host[0]) == guest(0),
          "the old one still maps back (host objects made on it)", 0);
    check(lorelei_x11_host_display(guest(0)) == again, "and the new one is kept", 0);
    /* The same name, another socket: still another connection. */
    fake[1].fd = 3001;
    void *again1 = lorelei_x11_host_display(guest(1));
    check(again1 != NULL && again1 != host[1], "another socket alone is another connection", 1);
    printf("%s reused guest addresses\n", failures > before ? "FAIL" : "ok  ");
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
