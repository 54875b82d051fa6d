/*
 * x86_64 guest program: a game that loads SDL2 with dlopen (as engines with
 * optional SDL do), plays sound through a callback, calls SDL_Quit and
 * dlcloses it, several times over. Under qemu-lorelei the library is the
 * stub, and the guest runtime behind it has threads parked in the plugin.
 *
 * After each dlclose the program maps inaccessible memory over whatever the
 * libraries occupied, if they were unloaded: as a game's allocator would
 * reuse the address space, only every time. Code that still runs from an
 * unloaded copy (a thread returning from the plugin, an invoker the plugin
 * kept) then faults at once instead of sometimes.
 *
 *   sdl_reload N     prints "cycles=K of N" and "info reserved=R"
 */
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <SDL2/SDL.h>

/* Not linked with SDL: only what dlsym gives is called. */
static atomic_int calls;

static void SDLCALL fill(void *user, Uint8 *stream, int len)
{
    (void)user;
    memset(stream, 0, (size_t)len);
    atomic_fetch_add(&calls, 1);
}

/* The loaded segments of SDL and of the guest runtime behind its stub. */
enum { MAX_RANGES = 64 };
static struct range {
    uintptr_t start;
    size_t len;
} ranges[MAX_RANGES];
static int n_ranges;

static int note_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (!strstr(info->dlpi_name, "libSDL2") && !strstr(info->dlpi_name, "liblorelei-guest")) {
        return 0;
    }
    uintptr_t page = 4096;
    for (int i = 0; i < info->dlpi_phnum && n_ranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
            uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
            ranges[n_ranges++] = (struct range){start, end - start};
        }
    }
    return 0;
}

/* Maps PROT_NONE over each range nothing occupies any more. */
static int reserve_freed(void)
{
    int reserved = 0;
    for (int i = 0; i < n_ranges; i++) {
        void *p = mmap((void *)ranges[i].start, ranges[i].len, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        reserved += p == (void *)ranges[i].start;
    }
    n_ranges = 0;
    return reserved;
}

#define SYM(name) __typeof__(&name) p_##name = (__typeof__(&name))dlsym(h, #name)

static int cycle(void)
{
    void *h = dlopen("libSDL2-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 0;
    }
    SYM(SDL_Init);
    SYM(SDL_Quit);
    SYM(SDL_GetError);
    SYM(SDL_OpenAudioDevice);
    SYM(SDL_PauseAudioDevice);
    SYM(SDL_Delay);
    if (!p_SDL_Init || !p_SDL_Quit || !p_SDL_GetError || !p_SDL_OpenAudioDevice ||
        !p_SDL_PauseAudioDevice || !p_SDL_Delay) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 0;
    }
    int ok = 0;
    if (p_SDL_Init(SDL_INIT_AUDIO) != 0) {
        fprintf(stderr, "SDL_Init: %s\n", p_SDL_GetError());
    } else {
        SDL_AudioSpec want = {.freq = 48000,
                              .format = AUDIO_S16SYS,
                              .channels = 2,
                              .samples = 256,
                              .callback = fill},
                      have;
        SDL_AudioDeviceID dev = p_SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
        if (dev) {
            int before = atomic_load(&calls);
            p_SDL_PauseAudioDevice(dev, 0);
            for (int i = 0; i < 5000 && atomic_load(&calls) < before + 3; i++) {
                p_SDL_Delay(1);
            }
            ok = atomic_load(&calls) >= before + 3;
        } else {
            fprintf(stderr, "SDL_OpenAudioDevice: %s\n", p_SDL_GetError());
        }
        p_SDL_Quit(); /* closes the device: its host thread ends */
    }
    dl_iterate_phdr(note_ranges, NULL);
    dlclose(h);
    return ok;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10, ok = 0, reserved = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < n; i++) {
        ok += cycle();
        reserved += reserve_freed();
    }
    printf("cycles=%d of %d\n", ok, n);
    printf("info reserved=%d\n", reserved);
    return 0;
}
