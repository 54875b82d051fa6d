/*
 * x86_64 guest program for the input test: opens a window and prints the
 * keyboard, mouse and window events it gets, one normalized line each, until
 * it sees the key 'q' (or 20 s pass). run_sdl2.py drives it with xdotool
 * natively and under qemu-lorelei and compares the two logs.
 *
 *   sdl_events        waits with SDL_WaitEventTimeout (the signal test)
 *   sdl_events poll   polls: SDL 2.26's X11 wake-up of a waiting thread can
 *                     hit the window after it is destroyed (BadWindow), natively
 */
#include <stdio.h>

#include <SDL2/SDL.h>

int main(int argc, char **argv)
{
    int poll = argc > 1 && SDL_strcmp(argv[1], "poll") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    SDL_Window *w = SDL_CreateWindow("lorelei-events", 100, 100, 320, 240, SDL_WINDOW_SHOWN);
    if (!w) {
        fprintf(stderr, "SDL_CreateWindow: %s\n", SDL_GetError());
        return 1;
    }
    printf("ready\n");
    Uint32 deadline = SDL_GetTicks() + 20000;
    SDL_Event e;
    int done = 0;
    while (!done && !SDL_TICKS_PASSED(SDL_GetTicks(), deadline)) {
        if (poll ? !SDL_PollEvent(&e) : !SDL_WaitEventTimeout(&e, 100)) {
            if (poll) {
                SDL_Delay(5);
            }
            continue;
        }
        switch (e.type) {
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            printf("key %s %s repeat=%d\n", e.type == SDL_KEYDOWN ? "down" : "up",
                   SDL_GetKeyName(e.key.keysym.sym), e.key.repeat);
            if (e.type == SDL_KEYUP && e.key.keysym.sym == SDLK_q) {
                done = 1;
            }
            break;
        case SDL_TEXTINPUT:
            printf("text %s\n", e.text.text);
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP:
            printf("button %s %d at %d,%d\n", e.type == SDL_MOUSEBUTTONDOWN ? "down" : "up",
                   e.button.button, e.button.x, e.button.y);
            break;
        case SDL_MOUSEWHEEL:
            printf("wheel %d\n", e.wheel.y);
            break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_RESIZED) {
                printf("window resized %dx%d\n", e.window.data1, e.window.data2);
            } else if (e.window.event == SDL_WINDOWEVENT_FOCUS_GAINED) {
                printf("window focus\n");
            }
            break;
        case SDL_QUIT:
            printf("quit\n");
            done = 1;
            break;
        }
    }
    int x, y;
    SDL_GetMouseState(&x, &y);
    printf("mouse at %d,%d\n", x, y);
    SDL_DestroyWindow(w);
    SDL_Quit();
    printf("bye\n");
    return 0;
}
