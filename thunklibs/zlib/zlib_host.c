/*
 * Host side of the zlib thunks: the z_stream hook named in zlib.toml.
 *
 * A stream's zalloc/zfree are guest functions (or NULL for zlib's default).
 * Calling the guest for each of zlib's allocations would cost a round trip
 * each, and the memory would be guest heap the host's zlib then owns. The
 * host's allocator goes there instead, before every call that takes the
 * stream: zlib reads the hooks only while one of its functions runs, and
 * they stay the host's from the first call on, so a stream's memory is
 * allocated and freed on the host. The game never frees zlib's state itself
 * (inflateEnd does), so whose allocator made it is not the game's concern.
 */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "lorelei-host.h"

static voidpf host_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return calloc(items, size);
}

static void host_free(voidpf opaque, voidpf address)
{
    (void)opaque;
    free(address);
}

void *lorelei_zlib_stream(uint64_t guest_value)
{
    z_streamp strm = (z_streamp)(uintptr_t)guest_value;
    if (strm != NULL) {
        strm->zalloc = host_alloc;
        strm->zfree = host_free;
    }
    return strm;
}
