/*
 * Guest-side SDL_stdinc.h: memory, strings, conversions, math and iconv run
 * on the guest's C library. Memory must: the game frees what SDL_malloc
 * returned (possibly with free()), and hands buffers to syscalls, which
 * reject host memory. The rest is faster here than one host call each.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <SDL2/SDL.h>

#include "sdl2_guest.h"

/* ---- allocation ------------------------------------------------------------------ */

static struct {
    SDL_malloc_func malloc_func;
    SDL_calloc_func calloc_func;
    SDL_realloc_func realloc_func;
    SDL_free_func free_func;
    atomic_int allocations;
} mem = {malloc, calloc, realloc, free, 0};

SDL_GUEST void *SDL_malloc(size_t size)
{
    void *p = mem.malloc_func(size ? size : 1); /* SDL never returns NULL for 0 */
    if (p) {
        atomic_fetch_add(&mem.allocations, 1);
    }
    return p;
}

SDL_GUEST void *SDL_calloc(size_t nmemb, size_t size)
{
    void *p = (nmemb && size) ? mem.calloc_func(nmemb, size) : mem.calloc_func(1, 1);
    if (p) {
        atomic_fetch_add(&mem.allocations, 1);
    }
    return p;
}

SDL_GUEST void *SDL_realloc(void *ptr, size_t size)
{
    void *p = mem.realloc_func(ptr, size ? size : 1);
    if (p && !ptr) {
        atomic_fetch_add(&mem.allocations, 1);
    }
    return p;
}

SDL_GUEST void SDL_free(void *ptr)
{
    if (ptr) {
        mem.free_func(ptr);
        atomic_fetch_sub(&mem.allocations, 1);
    }
}

SDL_GUEST void SDL_GetOriginalMemoryFunctions(SDL_malloc_func *m, SDL_calloc_func *c,
                                              SDL_realloc_func *r, SDL_free_func *f)
{
    if (m)
        *m = malloc;
    if (c)
        *c = calloc;
    if (r)
        *r = realloc;
    if (f)
        *f = free;
}

SDL_GUEST void SDL_GetMemoryFunctions(SDL_malloc_func *m, SDL_calloc_func *c, SDL_realloc_func *r,
                                      SDL_free_func *f)
{
    if (m)
        *m = mem.malloc_func;
    if (c)
        *c = mem.calloc_func;
    if (r)
        *r = mem.realloc_func;
    if (f)
        *f = mem.free_func;
}

SDL_GUEST int SDL_SetMemoryFunctions(SDL_malloc_func m, SDL_calloc_func c, SDL_realloc_func r,
                                     SDL_free_func f)
{
    if (!m)
        return SDL_InvalidParamError("malloc_func");
    if (!c)
        return SDL_InvalidParamError("calloc_func");
    if (!r)
        return SDL_InvalidParamError("realloc_func");
    if (!f)
        return SDL_InvalidParamError("free_func");
    mem.malloc_func = m;
    mem.calloc_func = c;
    mem.realloc_func = r;
    mem.free_func = f;
    return 0;
}

SDL_GUEST int SDL_GetNumAllocations(void)
{
    return atomic_load(&mem.allocations);
}

SDL_GUEST size_t SDL_SIMDGetAlignment(void)
{
    /* As SDL: the widest vector unit of the (emulated) CPU, at least 16. */
    if (SDL_HasAVX512F())
        return 64;
    if (SDL_HasAVX())
        return 32;
    return 16;
}

/* SDL's layout: [padding][original pointer][aligned block] */
SDL_GUEST void *SDL_SIMDAlloc(size_t len)
{
    return SDL_SIMDRealloc(NULL, len);
}

SDL_GUEST void *SDL_SIMDRealloc(void *mem_, size_t len)
{
    const size_t alignment = SDL_SIMDGetAlignment();
    const size_t padding = (alignment - (len % alignment)) % alignment;
    void *old = mem_ ? ((void **)mem_)[-1] : NULL;
    size_t old_offset = mem_ ? (size_t)((char *)mem_ - (char *)old) : 0;
    char *raw = SDL_realloc(old, len + padding + alignment + sizeof(void *));
    if (!raw) {
        SDL_OutOfMemory();
        return NULL;
    }
    uintptr_t aligned =
        ((uintptr_t)raw + sizeof(void *) + alignment - 1) & ~(uintptr_t)(alignment - 1);
    if (mem_ && old_offset != (size_t)(aligned - (uintptr_t)raw)) {
        /* realloc moved the block to a different alignment: shift the data */
        memmove((void *)aligned, raw + old_offset, len);
    }
    ((void **)aligned)[-1] = raw;
    return (void *)aligned;
}

SDL_GUEST void SDL_SIMDFree(void *ptr)
{
    if (ptr) {
        SDL_free(((void **)ptr)[-1]);
    }
}

SDL_GUEST char *SDL_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *r = SDL_malloc(len);
    if (r)
        memcpy(r, s, len);
    return r;
}

SDL_GUEST wchar_t *SDL_wcsdup(const wchar_t *s)
{
    size_t len = (wcslen(s) + 1) * sizeof(wchar_t);
    wchar_t *r = SDL_malloc(len);
    if (r)
        memcpy(r, s, len);
    return r;
}

/* ---- environment: the guest's, mirrored to the host's for SDL itself ------------ */

SDL_GUEST char *SDL_getenv(const char *name)
{
    return (name && *name) ? getenv(name) : NULL;
}

SDL_GUEST int SDL_setenv(const char *name, const char *value, int overwrite)
{
    if (!name || !*name || strchr(name, '=') || !value) {
        return -1;
    }
    int r = setenv(name, value, overwrite);
    if (r == 0) {
        lorelei_thunk_SDL_setenv(name, getenv(name), 1);
    }
    return r;
}

/* ---- searching and sorting ------------------------------------------------------------ */

SDL_GUEST void SDL_qsort(void *base, size_t nmemb, size_t size,
                         int (*compare)(const void *, const void *))
{
    if (base && nmemb && size)
        qsort(base, nmemb, size, compare);
}

SDL_GUEST void *SDL_bsearch(const void *key, const void *base, size_t nmemb, size_t size,
                            int (*compare)(const void *, const void *))
{
    return bsearch(key, base, nmemb, size, compare);
}

/* ---- characters, memory, strings --------------------------------------------------------- */

SDL_GUEST int SDL_abs(int x)
{
    return x < 0 ? -x : x;
}
SDL_GUEST int SDL_isalnum(int x)
{
    return isalnum(x);
}
SDL_GUEST int SDL_isalpha(int x)
{
    return isalpha(x);
}
SDL_GUEST int SDL_isblank(int x)
{
    return isblank(x);
}
SDL_GUEST int SDL_iscntrl(int x)
{
    return iscntrl(x);
}
SDL_GUEST int SDL_isdigit(int x)
{
    return isdigit(x);
}
SDL_GUEST int SDL_isgraph(int x)
{
    return isgraph(x);
}
SDL_GUEST int SDL_islower(int x)
{
    return islower(x);
}
SDL_GUEST int SDL_isprint(int x)
{
    return isprint(x);
}
SDL_GUEST int SDL_ispunct(int x)
{
    return ispunct(x);
}
SDL_GUEST int SDL_isspace(int x)
{
    return isspace(x);
}
SDL_GUEST int SDL_isupper(int x)
{
    return isupper(x);
}
SDL_GUEST int SDL_isxdigit(int x)
{
    return isxdigit(x);
}
SDL_GUEST int SDL_toupper(int x)
{
    return toupper(x);
}
SDL_GUEST int SDL_tolower(int x)
{
    return tolower(x);
}

SDL_GUEST void *SDL_memset(void *dst, int c, size_t len)
{
    return memset(dst, c, len);
}
SDL_GUEST void *SDL_memcpy(void *dst, const void *src, size_t len)
{
    return memcpy(dst, src, len);
}
SDL_GUEST void *SDL_memmove(void *dst, const void *src, size_t len)
{
    return memmove(dst, src, len);
}
SDL_GUEST int SDL_memcmp(const void *a, const void *b, size_t len)
{
    return memcmp(a, b, len);
}
SDL_GUEST size_t SDL_strlen(const char *s)
{
    return strlen(s);
}
SDL_GUEST size_t SDL_wcslen(const wchar_t *s)
{
    return wcslen(s);
}
SDL_GUEST char *SDL_strchr(const char *s, int c)
{
    return strchr(s, c);
}
SDL_GUEST char *SDL_strrchr(const char *s, int c)
{
    return strrchr(s, c);
}
SDL_GUEST char *SDL_strstr(const char *h, const char *n)
{
    return strstr(h, n);
}
SDL_GUEST wchar_t *SDL_wcsstr(const wchar_t *h, const wchar_t *n)
{
    return wcsstr(h, n);
}
SDL_GUEST int SDL_strcmp(const char *a, const char *b)
{
    return strcmp(a, b);
}
SDL_GUEST int SDL_strncmp(const char *a, const char *b, size_t n)
{
    return strncmp(a, b, n);
}
SDL_GUEST int SDL_wcscmp(const wchar_t *a, const wchar_t *b)
{
    return wcscmp(a, b);
}
SDL_GUEST int SDL_wcsncmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    return wcsncmp(a, b, n);
}

/* SDL compares case-insensitively by ASCII rules, whatever the locale. */
static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

SDL_GUEST int SDL_strcasecmp(const char *a, const char *b)
{
    return SDL_strncasecmp(a, b, (size_t)-1);
}

SDL_GUEST int SDL_strncasecmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        int x = ascii_lower((unsigned char)*a), y = ascii_lower((unsigned char)*b);
        if (x != y || !x)
            return x - y;
    }
    return 0;
}

SDL_GUEST int SDL_atoi(const char *s)
{
    return (int)SDL_strtol(s, NULL, 10);
}
SDL_GUEST double SDL_atof(const char *s)
{
    return SDL_strtod(s, NULL);
}
SDL_GUEST long SDL_strtol(const char *s, char **end, int base)
{
    return strtol(s, end, base);
}
SDL_GUEST unsigned long SDL_strtoul(const char *s, char **end, int base)
{
    return strtoul(s, end, base);
}
SDL_GUEST Sint64 SDL_strtoll(const char *s, char **end, int base)
{
    return strtoll(s, end, base);
}
SDL_GUEST Uint64 SDL_strtoull(const char *s, char **end, int base)
{
    return strtoull(s, end, base);
}
SDL_GUEST double SDL_strtod(const char *s, char **end)
{
    return strtod(s, end);
}

/* ---- formatting: the guest's printf family, allocations from SDL_malloc ---------------- */

SDL_GUEST int SDL_vsnprintf(char *text, size_t maxlen, const char *fmt, va_list ap)
{
    return vsnprintf(text, maxlen, fmt ? fmt : "", ap);
}

SDL_GUEST int SDL_snprintf(char *text, size_t maxlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = SDL_vsnprintf(text, maxlen, fmt, ap);
    va_end(ap);
    return r;
}

SDL_GUEST int SDL_vasprintf(char **strp, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int len = vsnprintf(NULL, 0, fmt ? fmt : "", copy);
    va_end(copy);
    *strp = NULL;
    if (len < 0)
        return -1;
    char *s = SDL_malloc((size_t)len + 1);
    if (!s)
        return -1;
    vsnprintf(s, (size_t)len + 1, fmt ? fmt : "", ap);
    *strp = s;
    return len;
}

SDL_GUEST int SDL_asprintf(char **strp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = SDL_vasprintf(strp, fmt, ap);
    va_end(ap);
    return r;
}

SDL_GUEST int SDL_vsscanf(const char *text, const char *fmt, va_list ap)
{
    return vsscanf(text, fmt, ap);
}

SDL_GUEST int SDL_sscanf(const char *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsscanf(text, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- math ------------------------------------------------------------------------------ */

#define MATH1(name, type)                                                                          \
    SDL_GUEST type SDL_##name(type x)                                                              \
    {                                                                                              \
        return name(x);                                                                            \
    }
#define MATH2(name, type)                                                                          \
    SDL_GUEST type SDL_##name(type x, type y)                                                      \
    {                                                                                              \
        return name(x, y);                                                                         \
    }
MATH1(acos, double)
MATH1(acosf, float)
MATH1(asin, double)
MATH1(asinf, float)
MATH1(atan, double)
MATH1(atanf, float)
MATH2(atan2, double)
MATH2(atan2f, float)
MATH1(ceil, double)
MATH1(ceilf, float)
MATH2(copysign, double)
MATH2(copysignf, float)
MATH1(cos, double)
MATH1(cosf, float)
MATH1(exp, double)
MATH1(expf, float)
MATH1(fabs, double)
MATH1(fabsf, float)
MATH1(floor, double)
MATH1(floorf, float)
MATH1(trunc, double)
MATH1(truncf, float)
MATH2(fmod, double)
MATH2(fmodf, float)
MATH1(log, double)
MATH1(logf, float)
MATH1(log10, double)
MATH1(log10f, float)
MATH2(pow, double)
MATH2(powf, float)
MATH1(round, double)
MATH1(roundf, float)
MATH1(sin, double)
MATH1(sinf, float)
MATH1(sqrt, double)
MATH1(sqrtf, float)
MATH1(tan, double)
MATH1(tanf, float)
SDL_GUEST long SDL_lround(double x)
{
    return lround(x);
}
SDL_GUEST long SDL_lroundf(float x)
{
    return lroundf(x);
}
SDL_GUEST double SDL_scalbn(double x, int n)
{
    return scalbn(x, n);
}
SDL_GUEST float SDL_scalbnf(float x, int n)
{
    return scalbnf(x, n);
}

/* ---- iconv: the guest's, with SDL's error codes ---------------------------------------- */

SDL_GUEST SDL_iconv_t SDL_iconv_open(const char *tocode, const char *fromcode)
{
    iconv_t cd = iconv_open(tocode, fromcode);
    return cd == (iconv_t)-1 ? (SDL_iconv_t)-1 : (SDL_iconv_t)cd;
}

SDL_GUEST int SDL_iconv_close(SDL_iconv_t cd)
{
    return iconv_close((iconv_t)cd);
}

SDL_GUEST size_t SDL_iconv(SDL_iconv_t cd, const char **inbuf, size_t *inbytesleft, char **outbuf,
                           size_t *outbytesleft)
{
    size_t r = iconv((iconv_t)cd, (char **)inbuf, inbytesleft, outbuf, outbytesleft);
    if (r != (size_t)-1)
        return r;
    switch (errno) {
    case E2BIG:
        return SDL_ICONV_E2BIG;
    case EILSEQ:
        return SDL_ICONV_EILSEQ;
    case EINVAL:
        return SDL_ICONV_EINVAL;
    default:
        return SDL_ICONV_ERROR;
    }
}

/* SDL's algorithm: convert, growing the output; empty codes mean UTF-8; an
 * illegal sequence is skipped one byte at a time; four NULs terminate. */
SDL_GUEST char *SDL_iconv_string(const char *tocode, const char *fromcode, const char *inbuf,
                                 size_t inbytesleft)
{
    SDL_iconv_t cd = SDL_iconv_open(tocode && *tocode ? tocode : "UTF-8",
                                    fromcode && *fromcode ? fromcode : "UTF-8");
    if (cd == (SDL_iconv_t)-1) {
        cd = SDL_iconv_open("ASCII", "ASCII");
        if (cd == (SDL_iconv_t)-1)
            return NULL;
    }
    size_t stringsize = inbytesleft > 4 ? inbytesleft : 4;
    char *string = SDL_malloc(stringsize + 4);
    if (!string) {
        SDL_iconv_close(cd);
        return NULL;
    }
    char *outbuf = string;
    size_t outbytesleft = stringsize;
    memset(outbuf, 0, 4);
    while (inbytesleft > 0) {
        size_t oldinbytesleft = inbytesleft;
        size_t r = SDL_iconv(cd, &inbuf, &inbytesleft, &outbuf, &outbytesleft);
        if (r == SDL_ICONV_E2BIG) {
            ptrdiff_t used = outbuf - string;
            char *bigger = SDL_realloc(string, stringsize * 2 + 4);
            if (!bigger) {
                SDL_free(string);
                SDL_iconv_close(cd);
                return NULL;
            }
            string = bigger;
            outbuf = string + used;
            outbytesleft += stringsize;
            stringsize *= 2;
            memset(outbuf, 0, 4);
        } else if (r == SDL_ICONV_EILSEQ) {
            inbuf++;
            inbytesleft--;
        } else if (r == SDL_ICONV_EINVAL || r == SDL_ICONV_ERROR) {
            inbytesleft = 0;
        }
        if (inbytesleft == oldinbytesleft)
            break; /* no progress */
    }
    memset(outbuf, 0, 4);
    SDL_iconv_close(cd);
    return string;
}
