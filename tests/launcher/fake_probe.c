/*
 * Stands in for thunklibs/bin/lorelei-probe in the doctor tests (the real
 * probe comes with the guest libraries). It prints the JSON line the real
 * one would after a successful handshake, or FAKE_PROBE_OUTPUT when that is
 * set, and exits with FAKE_PROBE_EXIT (default 0).
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const char *out = getenv("FAKE_PROBE_OUTPUT");
    const char *status = getenv("FAKE_PROBE_EXIT");
    puts(out != NULL
             ? out
             : "{\"abi\":1,\"guest_base_ok\":true,"
               "\"libs\":{\"sdl2\":\"ok\",\"gl\":\"ok\",\"vulkan\":\"ok\",\"openal\":\"ok\","
               "\"zlib\":\"ok\",\"vorbisfile\":\"ok\"}}");
    return status != NULL ? atoi(status) : 0;
}
