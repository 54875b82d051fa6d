/*
 * x86_64 guest program: memory that crosses between the game and SDL and is
 * freed, kept or reallocated on the other side (docs/ownership.md). Each
 * case prints what it saw; run_sdl2.py runs it natively and under Lorelei
 * and compares. The game's allocator is a counting one (SDL_SetMemoryFunctions)
 * that recognises its own blocks, so a block from another allocator reaching
 * SDL_free, or a block never freed, shows in the output instead of crashing.
 *
 *   sdl_ownership ttf FONT   SDL2_ttf text surfaces (neverball's menus)
 *   sdl_ownership qoi        SDL2_image loading a QOI image
 *   sdl_ownership surfaces   pixels handed to SDL by clearing SDL_PREALLOC,
 *                            plain, SIMD-aligned, and RLE-encoded by a blit
 *   sdl_ownership results    SDL_GetPrefPath, SDL_LoadWAV_RW + SDL_free /
 *                            SDL_FreeWAV: results the game frees
 *   sdl_ownership rwops      freesrc: SDL closes the game's RWops once
 *   sdl_ownership window     SDL_SetWindowIcon / SDL_CreateColorCursor copy
 *   sdl_ownership drop       a file dropped on the window (XDND, played by this
 *                            program on its own X connection): SDL_DROPFILE's
 *                            file, which the game SDL_frees; and a pushed one
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <SDL2/SDL_syswm.h>
#include <SDL2/SDL_ttf.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>

/* ---- the game's allocator ------------------------------------------------------- */

#define MAGIC 0x4c6f72656c656921ull
struct header {
    uint64_t magic;
    size_t size;
};
static long blocks, foreign;

static void *game_malloc(size_t n)
{
    struct header *h = malloc(sizeof(*h) + n);
    if (!h) {
        return NULL;
    }
    h->magic = MAGIC;
    h->size = n;
    blocks++;
    return h + 1;
}

static void *game_calloc(size_t m, size_t n)
{
    void *p = game_malloc(m * n);
    return p ? memset(p, 0, m * n) : NULL;
}

static int ours(void *p)
{
    if (((struct header *)p)[-1].magic == MAGIC) {
        return 1;
    }
    foreign++; /* not ours: leave it alone rather than crash */
    return 0;
}

static void game_free(void *p)
{
    if (p && ours(p)) {
        struct header *h = (struct header *)p - 1;
        h->magic = 0;
        free(h);
        blocks--;
    }
}

static void *game_realloc(void *p, size_t n)
{
    if (!p) {
        return game_malloc(n);
    }
    if (!ours(p)) {
        return NULL;
    }
    struct header *h = (struct header *)p - 1;
    void *q = game_malloc(n);
    if (q) {
        memcpy(q, p, h->size < n ? h->size : n);
        game_free(p);
    }
    return q;
}

/* Blocks of the game's allocator still live since `before`, and foreign
 * blocks freed since the last report. */
static void report(const char *what, long before)
{
    printf("%s: %ld blocks leaked, %ld foreign blocks freed\n", what, blocks - before, foreign);
    foreign = 0;
}

/* ---- cases --------------------------------------------------------------------------- */

static int case_ttf(const char *font_path)
{
    if (TTF_Init() != 0) {
        printf("TTF_Init: %s\n", TTF_GetError());
        return 1;
    }
    TTF_Font *font = TTF_OpenFont(font_path, 24);
    if (!font) {
        printf("TTF_OpenFont: %s\n", TTF_GetError());
        return 1;
    }
    SDL_Surface *screen = SDL_CreateRGBSurfaceWithFormat(0, 400, 100, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Color white = {255, 255, 255, 255}, black = {0, 0, 0, 255};
    int drawn = 0;
    long before = 0;
    for (int i = 0; i < 51; i++) {
        if (i == 1) {
            before = blocks; /* after the first round filled the glyph cache */
            drawn = 0;
        }
        /* neverball renders its menu labels with the blended variant */
        SDL_Surface *t[3] = {TTF_RenderUTF8_Blended(font, "Neverball", white),
                             TTF_RenderUTF8_Solid(font, "Level 1", white),
                             TTF_RenderUTF8_Shaded(font, "Options", white, black)};
        for (int k = 0; k < 3; k++) {
            if (t[k] && SDL_BlitSurface(t[k], NULL, screen, NULL) == 0) {
                drawn++;
            }
            SDL_FreeSurface(t[k]);
        }
    }
    printf("ttf: %d text surfaces drawn\n", drawn);
    report("ttf", before);
    SDL_FreeSurface(screen);
    TTF_CloseFont(font);
    TTF_Quit();
    return 0;
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static int case_qoi(void)
{
    /* A 4x2 QOI image: every pixel an explicit RGBA chunk. */
    enum { W = 4, H = 2 };
    unsigned char qoi[14 + W * H * 5 + 8] = "qoif";
    be32(qoi + 4, W);
    be32(qoi + 8, H);
    qoi[12] = 4, qoi[13] = 0;
    for (int i = 0; i < W * H; i++) {
        unsigned char *c = qoi + 14 + i * 5;
        c[0] = 0xff, c[1] = (unsigned char)(i * 30), c[2] = 0x40, c[3] = 0x80, c[4] = 0xff;
    }
    qoi[sizeof(qoi) - 1] = 1;
    long before = blocks;
    int ok = 0;
    for (int round = 0; round < 20; round++) {
        SDL_Surface *s = IMG_Load_RW(SDL_RWFromConstMem(qoi, sizeof(qoi)), 1);
        if (!s) {
            printf("IMG_Load_RW: %s\n", IMG_GetError());
            return 1;
        }
        const unsigned char *px = s->pixels;
        ok += s->w == W && s->h == H && px[3 * 4] == 90 && px[3 * 4 + 1] == 0x40;
        SDL_FreeSurface(s);
    }
    printf("qoi: %d of 20 images right\n", ok);
    report("qoi", before);
    return 0;
}

/* A surface over pixels the game allocated and then handed to SDL. */
static SDL_Surface *handed_over(int simd)
{
    enum { W = 16, H = 16 };
    Uint32 *px = simd ? SDL_SIMDAlloc(W * H * 4) : SDL_malloc(W * H * 4);
    for (int i = 0; i < W * H; i++) {
        px[i] = (i % 3) ? 0x102030u : 0; /* black is the colour key below */
    }
    SDL_Surface *s =
        SDL_CreateRGBSurfaceWithFormatFrom(px, W, H, 32, W * 4, SDL_PIXELFORMAT_RGB888);
    s->flags &= ~SDL_PREALLOC; /* "SDL frees the pixels now" */
    if (simd) {
        s->flags |= SDL_SIMD_ALIGNED; /* as SDL2_ttf does */
    }
    return s;
}

static int case_surfaces(void)
{
    SDL_Surface *dst = SDL_CreateRGBSurfaceWithFormat(0, 64, 64, 32, SDL_PIXELFORMAT_ARGB8888);
    long before = blocks;
    for (int i = 0; i < 20; i++) {
        SDL_FreeSurface(handed_over(0));
    }
    report("plain", before);

    before = blocks;
    for (int i = 0; i < 20; i++) {
        SDL_FreeSurface(handed_over(1));
    }
    report("simd", before);

    /* RLE: the first blit encodes the surface and SDL frees the original
     * pixels; locking decodes it into new ones. */
    before = blocks;
    int right = 0;
    for (int i = 0; i < 20; i++) {
        SDL_Surface *s = handed_over(i & 1);
        SDL_SetColorKey(s, SDL_TRUE | SDL_RLEACCEL, 0);
        SDL_FillRect(dst, NULL, 0xffffffffu);
        SDL_BlitSurface(s, NULL, dst, NULL);
        Uint32 keyed = ((Uint32 *)dst->pixels)[0], drawn = ((Uint32 *)dst->pixels)[1];
        SDL_LockSurface(s);
        Uint32 back = ((Uint32 *)s->pixels)[1];
        SDL_UnlockSurface(s);
        right += keyed == 0xffffffffu && drawn == 0xff102030u && (back & 0xffffff) == 0x102030u;
        SDL_FreeSurface(s);
    }
    printf("rle: %d of 20 blits right\n", right);
    report("rle", before);
    SDL_FreeSurface(dst);
    return 0;
}

/* A mono 16-bit WAV of n samples. */
static size_t make_wav(unsigned char *w, int n)
{
    size_t data = (size_t)n * 2;
    memcpy(w, "RIFF\0\0\0\0WAVEfmt ", 16);
    uint32_t riff = (uint32_t)(36 + data);
    memcpy(w + 4, &riff, 4);
    const uint32_t fmt_size = 16, rate = 22050, bytes = 44100, data32 = (uint32_t)data;
    const uint16_t pcm = 1, channels = 1, align = 2, bits = 16;
    memcpy(w + 16, &fmt_size, 4), memcpy(w + 20, &pcm, 2), memcpy(w + 22, &channels, 2);
    memcpy(w + 24, &rate, 4), memcpy(w + 28, &bytes, 4), memcpy(w + 32, &align, 2);
    memcpy(w + 34, &bits, 2), memcpy(w + 36, "data", 4), memcpy(w + 40, &data32, 4);
    for (int i = 0; i < n; i++) {
        int16_t v = (int16_t)(i * 100);
        memcpy(w + 44 + i * 2, &v, 2);
    }
    return 44 + data;
}

static int case_results(void)
{
    long before = blocks;
    char *pref = SDL_GetPrefPath("lorelei", "ownership");
    printf("SDL_GetPrefPath: %s\n", pref ? "a path" : SDL_GetError());
    SDL_free(pref);
    report("SDL_GetPrefPath + SDL_free", before);

    static unsigned char wav[44 + 2000];
    size_t size = make_wav(wav, 1000);
    for (int freewav = 0; freewav < 2; freewav++) {
        before = blocks;
        SDL_AudioSpec spec;
        Uint8 *buf = NULL;
        Uint32 len = 0;
        if (!SDL_LoadWAV_RW(SDL_RWFromConstMem(wav, (int)size), 1, &spec, &buf, &len)) {
            printf("SDL_LoadWAV_RW: %s\n", SDL_GetError());
            return 1;
        }
        int16_t last;
        memcpy(&last, buf + len - 2, 2);
        printf("wav: %u bytes at %d Hz, last sample %d\n", len, spec.freq, last);
        if (freewav) {
            SDL_FreeWAV(buf);
        } else {
            SDL_free(buf); /* as SDL_mixer's Mix_FreeChunk does */
        }
        report(freewav ? "SDL_LoadWAV_RW + SDL_FreeWAV" : "SDL_LoadWAV_RW + SDL_free", before);
    }
    return 0;
}

/* ---- a RWops of the game's own, counting its closes ---------------------------- */

struct game_rw {
    const unsigned char *data;
    size_t size, pos;
};
static int closes, rw_alive;

static Sint64 SDLCALL rw_size(SDL_RWops *rw)
{
    return (Sint64)((struct game_rw *)rw->hidden.unknown.data1)->size;
}
static Sint64 SDLCALL rw_seek(SDL_RWops *rw, Sint64 off, int whence)
{
    struct game_rw *g = rw->hidden.unknown.data1;
    Sint64 base = whence == RW_SEEK_SET   ? 0
                  : whence == RW_SEEK_CUR ? (Sint64)g->pos
                                          : (Sint64)g->size;
    if (g->data && (base + off < 0 || base + off > (Sint64)g->size)) {
        return -1;
    }
    g->pos = (size_t)(base + off);
    return (Sint64)g->pos;
}
static size_t SDLCALL rw_read(SDL_RWops *rw, void *p, size_t size, size_t n)
{
    struct game_rw *g = rw->hidden.unknown.data1;
    size_t want = size * n, left = g->size - g->pos;
    want = want < left ? want : left;
    memcpy(p, g->data + g->pos, want);
    g->pos += want;
    return size ? want / size : 0;
}
static size_t SDLCALL rw_write(SDL_RWops *rw, const void *p, size_t size, size_t n)
{
    (void)rw, (void)p;
    return size && n ? n : 0; /* a sink */
}
static int SDLCALL rw_close(SDL_RWops *rw)
{
    closes++;
    rw_alive--;
    SDL_free(rw->hidden.unknown.data1);
    SDL_FreeRW(rw);
    return 0;
}

static SDL_RWops *game_rwops(const void *data, size_t size)
{
    SDL_RWops *rw = SDL_AllocRW();
    struct game_rw *g = SDL_malloc(sizeof(*g));
    *g = (struct game_rw){data, size, 0};
    rw_alive++;
    rw->size = rw_size, rw->seek = rw_seek, rw->read = rw_read, rw->write = rw_write;
    rw->close = rw_close;
    rw->hidden.unknown.data1 = g;
    return rw;
}

static int case_rwops(void)
{
    static unsigned char wav[44 + 200];
    size_t wav_size = make_wav(wav, 100);
    static const char mapping[] =
        "03000000de280000ff11000001000000,Lorelei Pad,a:b0,b:b1,platform:Linux,\n";
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 8, 8, 32, SDL_PIXELFORMAT_ARGB8888);
    for (int freesrc = 1; freesrc >= 0; freesrc--) {
        closes = 0;
        SDL_AudioSpec spec;
        Uint8 *buf;
        Uint32 len;
        SDL_RWops *rw[3] = {game_rwops(wav, wav_size), game_rwops(mapping, sizeof(mapping) - 1),
                            game_rwops(NULL, 0)};
        if (SDL_LoadWAV_RW(rw[0], freesrc, &spec, &buf, &len)) {
            SDL_FreeWAV(buf);
        }
        int added = SDL_GameControllerAddMappingsFromRW(rw[1], freesrc);
        int saved = SDL_SaveBMP_RW(s, rw[2], freesrc);
        printf("freesrc=%d: mappings added %d, BMP saved %d, SDL closed %d of 3\n", freesrc, added,
               saved, closes);
        if (!freesrc) {
            for (int i = 0; i < 3; i++) {
                SDL_RWclose(rw[i]);
            }
        }
        printf("freesrc=%d: %d of the game's RWops left, %ld foreign blocks freed\n", freesrc,
               rw_alive, foreign);
    }
    SDL_FreeSurface(s);
    return 0;
}

static int case_window(void)
{
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        printf("SDL_InitSubSystem: %s\n", SDL_GetError());
        return 1;
    }
    SDL_Window *w = SDL_CreateWindow("lorelei-ownership", 0, 0, 64, 64, 0);
    SDL_Surface *icon = handed_over(0);
    icon->flags |= SDL_PREALLOC; /* the game keeps the pixels... */
    SDL_SetWindowIcon(w, icon);
    void *px = icon->pixels;
    SDL_FreeSurface(icon);
    memset(px, 0x55, 16 * 16 * 4); /* ...and reuses them: SDL copied the icon */
    SDL_free(px);
    SDL_Surface *shape = handed_over(1);
    SDL_Cursor *cursor = SDL_CreateColorCursor(shape, 0, 0);
    SDL_FreeSurface(shape); /* SDL copied the cursor image too */
    SDL_SetCursor(cursor);
    SDL_PumpEvents();
    printf("window: icon set, cursor %s\n", cursor ? "made" : SDL_GetError());
    SDL_FreeCursor(cursor);
    SDL_DestroyWindow(w);
    printf("window: %ld foreign blocks freed\n", foreign);
    return 0;
}

/* ---- XDND: this program drags a file onto its own SDL window ---------------------- */

static void xdnd_send(Display *dpy, Window to, Atom type, long l0, long l1, long l2, long l3,
                      long l4)
{
    XEvent e = {0};
    e.xclient.type = ClientMessage;
    e.xclient.window = to;
    e.xclient.message_type = type;
    e.xclient.format = 32;
    long l[5] = {l0, l1, l2, l3, l4};
    memcpy(e.xclient.data.l, l, sizeof(l));
    XSendEvent(dpy, to, False, NoEventMask, &e);
    XFlush(dpy);
}

/* Answers SDL's request for the dropped data (text/uri-list). */
static void xdnd_serve(Display *dpy, const char *uri)
{
    while (XPending(dpy)) {
        XEvent e;
        XNextEvent(dpy, &e);
        if (e.type != SelectionRequest) {
            continue;
        }
        XSelectionRequestEvent *r = &e.xselectionrequest;
        XChangeProperty(dpy, r->requestor, r->property, r->target, 8, PropModeReplace,
                        (const unsigned char *)uri, (int)strlen(uri));
        XEvent n = {0};
        n.xselection.type = SelectionNotify;
        n.xselection.requestor = r->requestor;
        n.xselection.selection = r->selection;
        n.xselection.target = r->target;
        n.xselection.property = r->property;
        n.xselection.time = r->time;
        XSendEvent(dpy, r->requestor, False, NoEventMask, &n);
        XFlush(dpy);
    }
}

static int case_drop(void)
{
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        printf("SDL_InitSubSystem: %s\n", SDL_GetError());
        return 1;
    }
    SDL_Window *w = SDL_CreateWindow("lorelei-drop", 0, 0, 200, 200, SDL_WINDOW_SHOWN);
    SDL_SysWMinfo info;
    SDL_VERSION(&info.version);
    Display *dpy = XOpenDisplay(NULL);
    if (!w || !SDL_GetWindowWMInfo(w, &info) || info.subsystem != SDL_SYSWM_X11 || !dpy) {
        printf("no X11 window: %s\n", SDL_GetError());
        return 1;
    }
    Window target = info.info.x11.window;
    Window source = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 1, 1, 0, 0, 0);
    Atom enter = XInternAtom(dpy, "XdndEnter", False);
    Atom position = XInternAtom(dpy, "XdndPosition", False);
    Atom drop = XInternAtom(dpy, "XdndDrop", False);
    Atom selection = XInternAtom(dpy, "XdndSelection", False);
    Atom copy = XInternAtom(dpy, "XdndActionCopy", False);
    Atom uri_list = XInternAtom(dpy, "text/uri-list", False);
    XSetSelectionOwner(dpy, selection, source, CurrentTime);
    SDL_Event e;
    for (int i = 0; i < 20; i++) { /* the window is up and SDL saw it mapped */
        SDL_PumpEvents();
        SDL_Delay(10);
    }
    while (SDL_PollEvent(&e)) {
    }

    long before = blocks;
    xdnd_send(dpy, target, enter, (long)source, 5L << 24, (long)uri_list, None, None);
    xdnd_send(dpy, target, position, (long)source, 0, (50L << 16) | 50, CurrentTime, (long)copy);
    xdnd_send(dpy, target, drop, (long)source, 0, CurrentTime, 0, 0);
    int files = 0;
    Uint32 deadline = SDL_GetTicks() + 10000;
    while (!files && !SDL_TICKS_PASSED(SDL_GetTicks(), deadline)) {
        xdnd_serve(dpy, "file:///tmp/lorelei-dropped.txt\r\n");
        while (SDL_PollEvent(&e)) {
            if (e.type == SDL_DROPFILE) {
                printf("dropped: %s\n", e.drop.file);
                SDL_free(e.drop.file); /* as SDL asks */
                files++;
            }
        }
        SDL_Delay(5);
    }
    report("SDL_DROPFILE + SDL_free", before);

    /* An event the game pushes with a string of its own comes back as it is. */
    before = blocks;
    SDL_Event mine = {.drop = {.type = SDL_DROPTEXT, .file = SDL_strdup("the game's own")}};
    SDL_PushEvent(&mine);
    while (SDL_PollEvent(&e)) {
        if (e.type == SDL_DROPTEXT) {
            printf("pushed: %s, same pointer: %s\n", e.drop.file,
                   e.drop.file == mine.drop.file ? "yes" : "no");
            SDL_free(e.drop.file);
        }
    }
    report("pushed SDL_DROPTEXT + SDL_free", before);
    XDestroyWindow(dpy, source);
    XCloseDisplay(dpy);
    SDL_DestroyWindow(w);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* First, as SDL requires: every block SDL hands the game comes from here. */
    if (SDL_SetMemoryFunctions(game_malloc, game_calloc, game_realloc, game_free) != 0) {
        printf("SDL_SetMemoryFunctions: %s\n", SDL_GetError());
        return 1;
    }
    if (SDL_Init(0) != 0) {
        printf("SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    const char *c = argc > 1 ? argv[1] : "";
    int r = !strcmp(c, "ttf") && argc > 2 ? case_ttf(argv[2])
            : !strcmp(c, "qoi")           ? case_qoi()
            : !strcmp(c, "surfaces")      ? case_surfaces()
            : !strcmp(c, "results")       ? case_results()
            : !strcmp(c, "rwops")         ? case_rwops()
            : !strcmp(c, "window")        ? case_window()
            : !strcmp(c, "drop")          ? case_drop()
                                          : (printf("unknown case '%s'\n", c), 2);
    SDL_Quit();
    printf("done\n");
    return r;
}
