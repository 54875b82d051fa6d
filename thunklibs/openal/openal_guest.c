/*
 * Guest-side functions of libopenal.so.1's stub (see openal.toml).
 *
 * alGetProcAddress and alcGetProcAddress answer with the stub's own
 * functions, never a host address, and NULL exactly where the host library
 * says NULL (it is asked through the generated thunk).
 */
#define AL_ALEXT_PROTOTYPES
#include <AL/al.h>
#include <AL/alc.h>
#include <stdio.h>

#include "lorelei-guest.h"

/* Generated (openal_guest_gen.c of the build): name -> the stub's function,
 * and the thunks the wrappers below wrap. */
void *lorelei_openal_lookup(const char *name);
__typeof__(alGetProcAddress) lorelei_thunk_alGetProcAddress;
__typeof__(alcGetProcAddress) lorelei_thunk_alcGetProcAddress;

/* The stub's function for a name the host library knows. The host may know
 * functions this stub does not have (a newer OpenAL Soft than the one the
 * stub was generated from): the game gets NULL, as from a library without
 * the extension, and the user a line saying why. */
static void *own_function(const char *name, void *host_answer)
{
    if (!host_answer) {
        return NULL;
    }
    void *stub = lorelei_openal_lookup(name);
    if (!stub) {
        fprintf(stderr,
                "qemu-lorelei: OpenAL: the host's library has %s, but this build of the "
                "stub does not: the game is told it is missing (rebuild qemu-lorelei "
                "against the host's OpenAL to forward it)\n",
                name);
    }
    return stub;
}

LORELEI_GUEST_API void *alGetProcAddress(const ALchar *fname)
{
    return fname ? own_function(fname, lorelei_thunk_alGetProcAddress(fname)) : NULL;
}

LORELEI_GUEST_API void *alcGetProcAddress(ALCdevice *device, const ALCchar *funcname)
{
    return funcname ? own_function(funcname, lorelei_thunk_alcGetProcAddress(device, funcname))
                    : NULL;
}
