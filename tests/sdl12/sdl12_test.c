/*
 * An SDL 1.2 program for tests/sdl12: run natively with sdl12-compat over
 * the host's SDL2, and under qemu-lorelei with sdl12-compat over the
 * forwarded SDL2, it must print the same lines. It uses what SDL 1.2 games
 * use: a software screen surface whose pixels the program writes itself,
 * blits with colour keys, per-surface alpha and palettes, BMP files read
 * back through SDL's RWops, events, a timer and an audio callback (both
 * called from SDL2's threads, through sdl12-compat, into this program).
 *
 * Every line is deterministic: checksums of pixels, never times.
 */
#include <SDL.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("FAILED: %s (%s)\n", what, SDL_GetError());
        failures++;
    }
}

/* Where the half-transparent blit lands: blending rounds differently in
 * each SDL2 build (SIMD or C, x86_64 or arm64), so it has a check of its
 * own and the checksum leaves it out. */
static const SDL_Rect alpha_area = {200, 150, 30, 20};

static int in_alpha_area(int x, int y)
{
    return x >= alpha_area.x && x < alpha_area.x + alpha_area.w && y >= alpha_area.y &&
           y < alpha_area.y + alpha_area.h;
}

static Uint32 pixel_at(SDL_Surface *s, int x, int y)
{
    const uint8_t *p =
        (const uint8_t *)s->pixels + (size_t)y * s->pitch + (size_t)x * s->format->BytesPerPixel;
    switch (s->format->BytesPerPixel) {
    case 1:
        return *p;
    case 2:
        return *(const Uint16 *)p;
    default:
        return *(const Uint32 *)p;
    }
}

/* FNV-1a over the colours of a surface's pixels (SDL_GetRGB: never the
 * unused byte of a 32-bit pixel, which blitters fill as they like). */
static uint32_t surface_sum(SDL_Surface *s)
{
    uint32_t h = 2166136261u;
    SDL_LockSurface(s);
    for (int y = 0; y < s->h; y++) {
        for (int x = 0; x < s->w; x++) {
            Uint8 rgb[3];
            if (s->w == 320 && in_alpha_area(x, y)) {
                continue;
            }
            SDL_GetRGB(pixel_at(s, x, y), s->format, &rgb[0], &rgb[1], &rgb[2]);
            for (int i = 0; i < 3; i++) {
                h = (h ^ rgb[i]) * 16777619u;
            }
        }
    }
    SDL_UnlockSurface(s);
    return h;
}

/* The blended area's mean colour, to within 2 of 255. */
static void print_alpha_area(SDL_Surface *s)
{
    unsigned long sum[3] = {0, 0, 0};
    SDL_LockSurface(s);
    for (int y = alpha_area.y; y < alpha_area.y + alpha_area.h; y++) {
        for (int x = alpha_area.x; x < alpha_area.x + alpha_area.w; x++) {
            Uint8 rgb[3];
            SDL_GetRGB(pixel_at(s, x, y), s->format, &rgb[0], &rgb[1], &rgb[2]);
            for (int i = 0; i < 3; i++) {
                sum[i] += rgb[i];
            }
        }
    }
    SDL_UnlockSurface(s);
    unsigned long n = (unsigned long)alpha_area.w * alpha_area.h;
    printf("alpha area mean/4 r=%lu g=%lu b=%lu\n", sum[0] / n / 4, sum[1] / n / 4, sum[2] / n / 4);
}

static SDL_Surface *sprite(Uint32 flags)
{
    SDL_Surface *s = SDL_CreateRGBSurface(flags, 48, 40, 32, 0x00ff0000, 0x0000ff00, 0x000000ff, 0);
    expect(s != NULL, "SDL_CreateRGBSurface");
    SDL_FillRect(s, NULL, SDL_MapRGB(s->format, 255, 0, 255)); /* the colour key */
    for (int i = 0; i < 8; i++) {
        SDL_Rect r = {(Sint16)(i * 5), (Sint16)(i * 4), (Uint16)(20 + i), 12};
        SDL_FillRect(s, &r, SDL_MapRGB(s->format, (Uint8)(30 * i), (Uint8)(200 - 20 * i), 90));
    }
    return s;
}

static void draw_screen(SDL_Surface *screen)
{
    SDL_FillRect(screen, NULL, SDL_MapRGB(screen->format, 10, 20, 40));
    /* The program's own pixel writes, as a software renderer makes them. */
    SDL_LockSurface(screen);
    for (int y = 0; y < screen->h; y += 3) {
        Uint32 *row = (Uint32 *)((Uint8 *)screen->pixels + (size_t)y * screen->pitch);
        for (int x = 0; x < screen->w; x += 2) {
            row[x] = SDL_MapRGB(screen->format, (Uint8)x, (Uint8)y, (Uint8)(x ^ y));
        }
    }
    SDL_UnlockSurface(screen);

    SDL_Surface *keyed = sprite(SDL_SWSURFACE);
    SDL_SetColorKey(keyed, SDL_SRCCOLORKEY, SDL_MapRGB(keyed->format, 255, 0, 255));
    for (int i = 0; i < 12; i++) {
        SDL_Rect at = {(Sint16)(i * 23 - 10), (Sint16)(i * 17 - 5), 0, 0};
        expect(SDL_BlitSurface(keyed, NULL, screen, &at) == 0, "colour-keyed blit");
    }
    SDL_Surface *faded = sprite(SDL_SWSURFACE);
    SDL_SetAlpha(faded, SDL_SRCALPHA, 128);
    SDL_Rect part = {4, 4, 30, 20};
    SDL_Rect at = {alpha_area.x, alpha_area.y, 0, 0};
    expect(SDL_BlitSurface(faded, &part, screen, &at) == 0, "blit with surface alpha");

    /* An 8-bit surface with its own palette, as old games draw. */
    SDL_Surface *indexed = SDL_CreateRGBSurface(SDL_SWSURFACE, 32, 32, 8, 0, 0, 0, 0);
    expect(indexed != NULL, "8-bit surface");
    SDL_Color colours[4] = {{0, 0, 0, 0}, {255, 64, 0, 0}, {0, 255, 64, 0}, {64, 0, 255, 0}};
    SDL_SetColors(indexed, colours, 0, 4);
    SDL_LockSurface(indexed);
    for (int y = 0; y < 32; y++) {
        memset((Uint8 *)indexed->pixels + y * indexed->pitch, y % 4, 32);
    }
    SDL_UnlockSurface(indexed);
    SDL_Surface *converted = SDL_DisplayFormat(indexed);
    expect(converted != NULL, "SDL_DisplayFormat");
    at = (SDL_Rect){280, 10, 0, 0};
    SDL_BlitSurface(converted, NULL, screen, &at);
    printf("indexed sum=%08x converted bpp=%d\n", surface_sum(indexed),
           converted ? converted->format->BitsPerPixel : 0);
    SDL_FreeSurface(converted);
    SDL_FreeSurface(indexed);
    SDL_FreeSurface(faded);
    SDL_FreeSurface(keyed);
    SDL_UpdateRect(screen, 0, 0, 0, 0);
    SDL_Flip(screen);
}

static Uint32 timer_calls;
static Uint32 on_timer(Uint32 interval, void *param)
{
    (void)param;
    timer_calls++;
    return interval;
}

static int audio_calls;
static Uint32 audio_phase;
static void on_audio(void *userdata, Uint8 *stream, int len)
{
    (void)userdata;
    Sint16 *out = (Sint16 *)stream;
    for (int i = 0; i < len / 2; i++, audio_phase++) {
        out[i] = (audio_phase / 50) % 2 ? 6000 : -6000;
    }
    audio_calls++;
}

int main(int argc, char **argv)
{
    /* Line by line, so that a run that dies shows how far it got (the
     * test reads this through a pipe, which would hold it all back). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *bmp = argc > 1 ? argv[1] : "sdl12_test.bmp";
    expect(SDL_Init(SDL_INIT_VIDEO | SDL_INIT_AUDIO | SDL_INIT_TIMER) == 0, "SDL_Init");
    const SDL_version *v = SDL_Linked_Version();
    printf("linked SDL %d.%d (1.2: %s)\n", v->major, v->minor,
           v->major == 1 && v->minor == 2 ? "yes" : "no");
    SDL_WM_SetCaption("sdl12_test", "sdl12_test");
    SDL_Surface *screen = SDL_SetVideoMode(320, 240, 32, SDL_SWSURFACE);
    expect(screen != NULL, "SDL_SetVideoMode");
    if (screen == NULL) {
        return 1;
    }
    printf("screen %dx%d bpp=%d\n", screen->w, screen->h, screen->format->BitsPerPixel);

    draw_screen(screen);
    printf("screen sum=%08x\n", surface_sum(screen));
    print_alpha_area(screen);

    /* Written and read back through SDL's RWops: the file's bytes, then
     * the picture they hold. */
    expect(SDL_SaveBMP(screen, bmp) == 0, "SDL_SaveBMP");
    SDL_Surface *back = SDL_LoadBMP(bmp);
    expect(back != NULL, "SDL_LoadBMP");
    if (back != NULL) {
        SDL_Surface *same = SDL_ConvertSurface(back, screen->format, SDL_SWSURFACE);
        printf("bmp %dx%d read back equal=%d\n", back->w, back->h,
               same != NULL && surface_sum(same) == surface_sum(screen));
        SDL_FreeSurface(same);
        SDL_FreeSurface(back);
    }

    SDL_Event ev = {0};
    ev.type = SDL_USEREVENT;
    ev.user.code = 42;
    expect(SDL_PushEvent(&ev) == 0, "SDL_PushEvent");
    int user_code = -1;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_USEREVENT) {
            user_code = ev.user.code;
        }
    }
    printf("user event code=%d\n", user_code);

    SDL_TimerID timer = SDL_AddTimer(10, on_timer, NULL);
    expect(timer != NULL, "SDL_AddTimer");

    SDL_AudioSpec want = {0}, got = {0};
    want.freq = 22050;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = 512;
    want.callback = on_audio;
    expect(SDL_OpenAudio(&want, &got) == 0, "SDL_OpenAudio");
    printf("audio freq=%d channels=%d\n", got.freq, got.channels);
    SDL_PauseAudio(0);
    Uint32 start = SDL_GetTicks();
    while (SDL_GetTicks() - start < 3000 && (audio_calls < 4 || timer_calls < 4)) {
        SDL_Delay(10);
    }
    SDL_PauseAudio(1);
    SDL_CloseAudio();
    SDL_RemoveTimer(timer);
    printf("audio callback ran=%d timer ran=%d\n", audio_calls >= 4, timer_calls >= 4);

    SDL_Quit();
    printf("failures=%d\n", failures);
    return failures != 0;
}
