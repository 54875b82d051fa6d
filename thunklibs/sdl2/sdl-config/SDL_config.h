/*
 * The configuration of the SDL source files compiled into the guest stub
 * (meson.build: sdl2_from_source_files): Debian's own, the one the host's
 * libSDL2 of the same version was built with for x86_64 (found in the guest
 * compiler's multiarch include directory). SDL's internal headers include
 * "SDL_config.h" and find this one first.
 */
#include <SDL2/_real_SDL_config.h>

/* Only core/linux/SDL_dbus.h's declarations would need D-Bus's headers, and
 * nothing compiled here talks to D-Bus: the thread priority (rtkit) is the
 * host SDL's SDL_LinuxSetThreadPriorityAndPolicy, a forwarded call. */
#undef HAVE_DBUS_DBUS_H
