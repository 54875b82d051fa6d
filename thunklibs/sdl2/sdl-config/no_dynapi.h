/*
 * Force-included in the SDL source files compiled into the guest stub: their
 * functions are the stub's own exports, never a jump table's, so SDL's
 * dynamic API is off (SDL_DYNAMIC_API 0). SDL's src/dynapi/SDL_dynapi.h turns
 * it on unless its own platform tests say otherwise, and refuses a definition
 * on the command line; defining its include guard first skips it.
 */
#define SDL_dynapi_h_
#define SDL_DYNAMIC_API 0
