/*
 * Hand-written host side of the OpenAL thunks (openal.toml names them with
 * host_impl = "..."; the plugin passes the native function, never NULL).
 *
 * alGetPointerSOFT(AL_EVENT_CALLBACK_FUNCTION_SOFT) answers with the
 * function the library calls events with: for a game's callback that is a
 * host trampoline, which must not reach guest code. It goes back to the
 * game's function. Every other answer (the user parameter, NULL) is a guest
 * value already and passes as it is, so no enum value is needed here.
 */
#include <string.h>
#define AL_ALEXT_PROTOTYPES
#include <AL/al.h>

#include "lorelei-host.h"

extern const struct lorelei_host_lib lorelei_lib_openal;
#define LIB (&lorelei_lib_openal)

static void *to_guest(void *value)
{
    for (uint32_t sig = 0; value && sig < LIB->n_sigs; sig++) {
        uint64_t guest_fn = lorelei_guest_callback(LIB, sig, value);
        if (guest_fn) {
            return (void *)(uintptr_t)guest_fn;
        }
    }
    return value;
}

void *lorelei_al_get_pointer(void *native, ALenum pname)
{
    return to_guest(((void *(*)(ALenum))native)(pname));
}

void lorelei_al_get_pointerv(void *native, ALenum pname, void **values)
{
    ((void (*)(ALenum, void **))native)(pname, values);
    if (values) {
        *values = to_guest(*values);
    }
}
