/* Shared by the hand-written guest-side parts of the SDL2 stub (the rest of
 * the guest side is SDL's own code, see meson.build). */
#ifndef LORELEI_SDL2_GUEST_H
#define LORELEI_SDL2_GUEST_H

#include <stdio.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_syswm.h>

/* Guest-side functions are exported under SDL's names. */
#define SDL_GUEST __attribute__((visibility("default")))

/* The generated stubs of functions the guest side wraps (sdl2.toml: wrap). */
__typeof__(SDL_Init) lorelei_thunk_SDL_Init;
__typeof__(SDL_InitSubSystem) lorelei_thunk_SDL_InitSubSystem;
__typeof__(SDL_setenv) lorelei_thunk_SDL_setenv;
__typeof__(SDL_GetWindowWMInfo) lorelei_thunk_SDL_GetWindowWMInfo;
__typeof__(SDL_GetPreferredLocales) lorelei_thunk_SDL_GetPreferredLocales;
__typeof__(SDL_GetWindowICCProfile) lorelei_thunk_SDL_GetWindowICCProfile;
__typeof__(SDL_Quit) lorelei_thunk_SDL_Quit;
__typeof__(SDL_QuitSubSystem) lorelei_thunk_SDL_QuitSubSystem;
__typeof__(SDL_PumpEvents) lorelei_thunk_SDL_PumpEvents;
__typeof__(SDL_PollEvent) lorelei_thunk_SDL_PollEvent;
__typeof__(SDL_WaitEvent) lorelei_thunk_SDL_WaitEvent;
__typeof__(SDL_WaitEventTimeout) lorelei_thunk_SDL_WaitEventTimeout;
__typeof__(SDL_PeepEvents) lorelei_thunk_SDL_PeepEvents;
__typeof__(SDL_PushEvent) lorelei_thunk_SDL_PushEvent;

/* sdl2_env.c: the game's SDL_* variables for the host's SDL, before SDL_Init. */
void lorelei_sdl2_sync_environment(void);

/* What SDL's own code calls instead of setenv, fread and fwrite
 * (merge_sdl_objects.py --redirect): sdl2_env.c, sdl2_rwops.c. */
int lorelei_sdl2_setenv(const char *name, const char *value, int overwrite);
size_t lorelei_sdl2_fread(void *ptr, size_t size, size_t n, FILE *fp);
size_t lorelei_sdl2_fwrite(const void *ptr, size_t size, size_t n, FILE *fp);

/* sdl2_signals.c: SIGINT/SIGTERM as SDL_QUIT, as SDL does natively. */
void lorelei_sdl2_install_quit_handlers(Uint32 flags);
void lorelei_sdl2_remove_quit_handlers(Uint32 flags);

/* sdl2_events.c: strings in events the game frees (drop.file...) become
 * guest copies when the game takes the events; its own pushed ones stay. */
void lorelei_sdl2_events_from_game(SDL_Event *events, int n);
void lorelei_sdl2_events_to_game(SDL_Event *events, int n);

/* Frees host memory (the host's SDL_free) after copying it into the guest. */
void lorelei_sdl2_host_free(void *p);
/* name -> this stub's own function (generated). */
void *lorelei_sdl2_lookup(const char *name);

#endif
