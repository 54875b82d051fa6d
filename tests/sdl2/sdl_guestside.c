/*
 * The SDL2 functions the stub runs in the guest, called on the same inputs
 * natively (linked against the real libSDL2) and under Lorelei (the stub):
 * run_sdl2.py's "guestside" case compares the two outputs line by line.
 *
 *   sdl_guestside DIR     works in DIR (created files, relative paths)
 *
 * Every line is "key: value". Lines starting with "info " describe the
 * machine (the emulated CPU differs from the host's) and are not compared;
 * the comparable facts about them are printed as ordinary lines. Values
 * that differ from run to run (pointers, thread ids, times) are never
 * printed, only facts about them.
 */
#include <cpuid.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <SDL2/SDL.h>

/* ---- output ------------------------------------------------------------------- */

static void out(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", key);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* A line built step by step, for calls whose order matters: the arguments
 * of one printf are evaluated in no particular order. */
static char pending[8192];
static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
    size_t len = strlen(pending);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pending + len, sizeof(pending) - len, fmt, ap);
    va_end(ap);
}
static void emit(const char *key)
{
    out(key, "%s", pending[0] == ' ' ? pending + 1 : pending);
    pending[0] = '\0';
}

/* A string as C would write it: the outputs stay one line each. */
static const char *quoted(const char *s, size_t n)
{
    static char buf[4][1024];
    static int which;
    char *b = buf[which++ % 4], *p = b;
    if (!s) {
        return "NULL";
    }
    *p++ = '"';
    for (size_t i = 0; i < n && p < b + sizeof(buf[0]) - 8; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *p++ = (char)c;
        } else {
            p += sprintf(p, "\\x%02x", c);
        }
    }
    *p++ = '"';
    *p = '\0';
    return b;
}
static const char *q(const char *s)
{
    return quoted(s, s ? strlen(s) : 0);
}

/* The error SDL reports now, then cleared for the next case. */
static const char *error_text(void)
{
    static char buf[1100];
    snprintf(buf, sizeof(buf), "%s", q(SDL_GetError()));
    SDL_ClearError();
    return buf;
}
static void add_error(void)
{
    add(" %s", error_text());
}

static uint64_t fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)(i * 31 + 7 + (i >> 8));
}

static const size_t sizes[] = {
    0,  1,   2,   3,    7,    8,    15,   16,   17,   31,    32,    33,    63,      64,
    65, 255, 256, 1023, 1024, 1025, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory --------------------------------------------------------------------- */

static int custom_calls;
static void *SDLCALL custom_malloc(size_t n)
{
    custom_calls++;
    return malloc(n);
}
static void *SDLCALL custom_calloc(size_t n, size_t s)
{
    custom_calls++;
    return calloc(n, s);
}
static void *SDLCALL custom_realloc(void *p, size_t n)
{
    custom_calls++;
    return realloc(p, n);
}
static void SDLCALL custom_free(void *p)
{
    custom_calls++;
    free(p);
}

static void test_memory(void)
{
    int base = SDL_GetNumAllocations();
    void *a = SDL_malloc(0), *b = SDL_calloc(0, 4), *c = SDL_realloc(NULL, 0);
    out("malloc(0), calloc(0,4), realloc(NULL,0)", "%s %s %s, allocations %+d", a ? "ptr" : "NULL",
        b ? "ptr" : "NULL", c ? "ptr" : "NULL", SDL_GetNumAllocations() - base);
    c = SDL_realloc(c, 100);
    out("realloc grows", "%s, allocations %+d", c ? "ptr" : "NULL", SDL_GetNumAllocations() - base);
    SDL_free(a);
    SDL_free(b);
    SDL_free(c);
    SDL_free(NULL);
    out("all freed", "allocations %+d", SDL_GetNumAllocations() - base);
    char *s = SDL_strdup("duplicate me");
    wchar_t *w = SDL_wcsdup(L"wide");
    out("strdup, wcsdup", "%s %s, allocations %+d", q(s),
        w && !wcscmp(w, L"wide") ? "same" : "differs", SDL_GetNumAllocations() - base);
    SDL_free(s);
    SDL_free(w);

    SDL_malloc_func m0, m1;
    SDL_calloc_func c0;
    SDL_realloc_func r0;
    SDL_free_func f0, f1;
    SDL_GetOriginalMemoryFunctions(&m0, &c0, &r0, &f0);
    SDL_GetMemoryFunctions(&m1, NULL, NULL, &f1);
    out("original memory functions are the current ones", "%s",
        m0 == m1 && f0 == f1 ? "yes" : "no");
    void *p = m0(10);
    f0(p);
    out("original functions work", "%s", p ? "yes" : "no");
    int r = SDL_SetMemoryFunctions(NULL, custom_calloc, custom_realloc, custom_free);
    out("SetMemoryFunctions(NULL malloc)", "%d %s", r, error_text());
    r = SDL_SetMemoryFunctions(custom_malloc, custom_calloc, custom_realloc, NULL);
    out("SetMemoryFunctions(NULL free)", "%d %s", r, error_text());
    r = SDL_SetMemoryFunctions(custom_malloc, custom_calloc, custom_realloc, custom_free);
    custom_calls = 0;
    s = SDL_strdup("x");
    void *z = SDL_calloc(2, 2);
    z = SDL_realloc(z, 8);
    SDL_free(z);
    SDL_free(s);
    SDL_GetMemoryFunctions(&m1, NULL, NULL, NULL);
    out("custom memory functions", "set %d, called %d times, reported %s", r, custom_calls,
        m1 == custom_malloc ? "yes" : "no");
    SDL_SetMemoryFunctions(m0, c0, r0, f0);
    out("restored allocations", "%+d", SDL_GetNumAllocations() - base);

    for (size_t i = 0; i < N(sizes); i++) {
        size_t n = sizes[i];
        char key[128];
        snprintf(key, sizeof(key), "SIMDAlloc/Realloc %zu", n);
        size_t align = SDL_SIMDGetAlignment();
        unsigned char *v = SDL_SIMDAlloc(n);
        int aligned = v && ((uintptr_t)v % align) == 0;
        for (size_t k = 0; v && k < n; k++) {
            v[k] = pattern_byte(k);
        }
        v = SDL_SIMDRealloc(v, n + 3);
        int kept = v && ((uintptr_t)v % align) == 0;
        for (size_t k = 0; v && k < n; k++) {
            kept &= v[k] == pattern_byte(k);
        }
        SDL_SIMDFree(v);
        out(key, "aligned %s, realloc keeps data aligned %s", aligned ? "yes" : "no",
            kept ? "yes" : "no");
    }
    SDL_SIMDFree(NULL);
    out("SIMD done, allocations", "%+d", SDL_GetNumAllocations() - base);
}

/* Each size at a few misalignments; what must change changes, nothing else. */
static void test_mem_functions(void)
{
    const size_t guard = 64, max = (1 << 20) + 1 + 2 * guard + 8;
    unsigned char *src = malloc(max), *dst = malloc(max);
    for (size_t i = 0; i < max; i++) {
        src[i] = pattern_byte(i);
    }
    for (size_t i = 0; i < N(sizes); i++) {
        size_t n = sizes[i];
        int set_ok = 1, cpy_ok = 1, move_up = 1, move_down = 1, cmp_ok = 1;
        for (size_t off = 0; off < 4; off++) {
            unsigned char *d = dst + guard + off;
            memset(dst, 0x11, max);
            if (SDL_memset(d, 0xa5, n) != d) {
                set_ok = 0;
            }
            for (size_t k = 0; k < n + 2 * guard && k + off < max; k++) {
                unsigned char want = (k >= guard && k < guard + n) ? 0xa5 : 0x11;
                set_ok &= dst[off + k] == want;
            }
            memset(dst, 0x11, max);
            if (SDL_memcpy(d, src + off, n) != d || memcmp(d, src + off, n) != 0 || d[-1] != 0x11 ||
                d[n] != 0x11) {
                cpy_ok = 0;
            }
            /* Overlapping both ways. */
            memcpy(dst, src, max);
            SDL_memmove(dst + off + 3, dst + off, n);
            move_up &= memcmp(dst + off + 3, src + off, n) == 0;
            memcpy(dst, src, max);
            SDL_memmove(dst + off, dst + off + 3, n);
            move_down &= memcmp(dst + off, src + off + 3, n) == 0;
            memcpy(dst, src, max);
            cmp_ok &= SDL_memcmp(dst + off, src + off, n) == 0;
            if (n) {
                dst[off + n - 1] ^= 0x80;
                int r = SDL_memcmp(dst + off, src + off, n);
                cmp_ok &= (r > 0) == (dst[off + n - 1] > src[off + n - 1]) && r != 0;
            }
        }
        char key[128];
        snprintf(key, sizeof(key), "memset/memcpy/memmove/memcmp %zu", n);
        out(key, "%s %s %s %s %s", set_ok ? "ok" : "BAD", cpy_ok ? "ok" : "BAD",
            move_up ? "ok" : "BAD", move_down ? "ok" : "BAD", cmp_ok ? "ok" : "BAD");
    }
    free(src);
    free(dst);
}

/* ---- formatting ------------------------------------------------------------------- */

/* Full buffer, a 6-byte one (truncation) and NULL/0 (the length only). */
#define SNP(fmt, ...)                                                                              \
    do {                                                                                           \
        char full_[512], small_[6];                                                                \
        int r_ = SDL_snprintf(full_, sizeof(full_), fmt, __VA_ARGS__);                             \
        int t_ = SDL_snprintf(small_, sizeof(small_), fmt, __VA_ARGS__);                           \
        int z_ = SDL_snprintf(NULL, 0, fmt, __VA_ARGS__);                                          \
        out("snprintf " #fmt " " #__VA_ARGS__, "%d %s | %d %s | %d", r_, q(full_), t_, q(small_),  \
            z_);                                                                                   \
    } while (0)

#define SETERR(fmt, ...)                                                                           \
    do {                                                                                           \
        SDL_SetError(fmt, __VA_ARGS__);                                                            \
        const char *e_ = SDL_GetError();                                                           \
        add("length %zu hash %016llx", strlen(e_), (unsigned long long)fnv1a(e_, strlen(e_)));     \
        add_error();                                                                               \
        emit("SetError " #fmt " " #__VA_ARGS__);                                                   \
    } while (0)

static int vasprintf_via_sdl(char **s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = SDL_vasprintf(s, fmt, ap);
    va_end(ap);
    return r;
}

static int vsscanf_via_sdl(const char *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = SDL_vsscanf(text, fmt, ap);
    va_end(ap);
    return r;
}

/* The format checker knows glibc's printf, not SDL's: some cases are SDL's own. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"
static void test_printf(void)
{
    SNP("%d", 42);
    SNP("%d", -42);
    SNP("%i", INT_MIN);
    SNP("%u", 4000000000u);
    SNP("%x", 0xbeefu);
    SNP("%X", 0xbeefu);
    SNP("%x", -1);
    SNP("%o", 8);
    SNP("%#x", 255);
    SNP("%#o", 8);
    SNP("%5d|", 42);
    SNP("%-5d|", 42);
    SNP("%05d", -42);
    SNP("%+d", 42);
    SNP("% d", 42);
    SNP("%.3d", 7);
    SNP("%ld", LONG_MIN);
    SNP("%lu", ULONG_MAX);
    SNP("%lld", LLONG_MIN);
    SNP("%llu", ULLONG_MAX);
    SNP("%llx", 0x123456789abcdefULL);
    SNP("%llX", 0x123456789abcdefULL);
    SNP("%hd", -3);
    SNP("%hhu", 300);
    SNP("%zu", (size_t)12345);
    SNP("%c", 'A');
    SNP("%5c|", 'x');
    SNP("%s", "hello");
    SNP("%s", (char *)NULL);
    SNP("%10s|", "hi");
    SNP("%-10s|", "hi");
    SNP("%.2s", "hello");
    SNP("%*d", 6, 42);
    SNP("%-*d|", 6, 42);
    SNP("%.*s", 3, "abcdef");
    SNP("%p", (void *)0x1234);
    SNP("%p", (void *)NULL);
    SNP("%f", 3.14159);
    SNP("%.2f", 2.675);
    SNP("%10.3f|", -1.5);
    SNP("%-10.3f|", 1.5);
    SNP("%+.1f", 2.0);
    SNP("%f", 1e20);
    SNP("%f", -0.0);
    SNP("%f", 1e-7);
    SNP("%f", (double)INFINITY);
    SNP("%f", (double)-INFINITY);
    SNP("%f", (double)NAN);
    SNP("%.0f", 0.5);
    SNP("%.0f", 1.5);
    SNP("%.10f", 1.0 / 3.0);
    SNP("%lf", 1.25);
    SNP("%e", 12345.678);
    SNP("%E", 12345.678);
    SNP("%g", 0.0001);
    SNP("%g", 123456789.0);
    SNP("%G", 1e-10);
    SNP("%a", 1.0);
    SNP("%%%d%%", 5);
    SNP("%ls", L"wide");
    SNP("%S", L"wide");
    SNP("%u %s %c %x", 1u, "two", '3', 4u);
    SNP("%q", 1);
    SNP("%", 0);
    SNP("abc%", 0);
    SNP("%I64d", 5LL);
    SNP("%jd", (intmax_t)-5);
    SNP("%td", (ptrdiff_t)-6);

    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *buf = malloc(5000);
    int r = SDL_snprintf(buf, 5000, "<%s>", big);
    out("snprintf 3000-char string", "%d, length %zu, hash %016llx", r, strlen(buf),
        (unsigned long long)fnv1a(buf, strlen(buf)));
    r = SDL_snprintf(buf, 1, "%d", 12345);
    out("snprintf into 1 byte", "%d %s", r, q(buf));
    r = SDL_snprintf(buf, 5000, "%s", "");
    out("snprintf empty", "%d %s", r, q(buf));
    r = SDL_snprintf(buf, 5000, NULL, 1);
    out("snprintf NULL format", "%d %s", r, q(buf));
    free(buf);

    char *s = NULL;
    r = SDL_asprintf(&s, "%s-%d-%.1f", "x", 5, 2.5);
    out("asprintf", "%d %s", r, q(s));
    SDL_free(s);
    s = NULL;
    r = vasprintf_via_sdl(&s, "%s|%5d", "va", 7);
    out("vasprintf", "%d %s", r, q(s));
    SDL_free(s);
    s = NULL;
    r = SDL_asprintf(&s, "<%s>", big);
    out("asprintf 3000-char string", "%d, length %zu", r, s ? strlen(s) : 0);
    SDL_free(s);

    /* SDL_SetError and SDL_Log* format in the guest; SDL formats with its own printf. */
    SETERR("%d %s", 42, "text");
    SETERR("%p", (void *)NULL);
    SETERR("%p", (void *)0xabc);
    SETERR("%s", (char *)NULL);
    SETERR("%hhu", 300);
    SETERR("%f %e %g", 1.5, 1.5, 1.5);
    SETERR("%5.1f|%-6s|%06x", 3.25, "ab", 0x1f);
    SETERR("%lld %llu", LLONG_MIN, ULLONG_MAX);
    SETERR("%ls", L"wide");
    SETERR("%s", big);

    int a = 0, b = 0, n = 0;
    unsigned x = 0;
    char w[32] = "", c = 0;
    float f = 0;
    double d = 0;
    long long ll = 0;
    r = SDL_sscanf("12 34", "%d %d", &a, &b);
    out("sscanf \"12 34\" %d %d", "%d %d %d", r, a, b);
    r = SDL_sscanf("0x1F", "%x", &x);
    out("sscanf \"0x1F\" %x", "%d %u", r, x);
    r = SDL_sscanf("abc def", "%s%n", w, &n);
    out("sscanf \"abc def\" %s%n", "%d %s %d", r, q(w), n);
    r = SDL_sscanf("3.5", "%f", &f);
    out("sscanf \"3.5\" %f", "%d %a", r, (double)f);
    r = SDL_sscanf("2.25e3", "%lf", &d);
    out("sscanf \"2.25e3\" %lf", "%d %a", r, d);
    r = SDL_sscanf("-9000000000", "%lld", &ll);
    out("sscanf \"-9000000000\" %lld", "%d %lld", r, ll);
    a = 99;
    r = SDL_sscanf("", "%d", &a);
    out("sscanf \"\" %d", "%d %d", r, a);
    r = SDL_sscanf("x", "%d", &a);
    out("sscanf \"x\" %d", "%d %d", r, a);
    r = SDL_sscanf("7,8", "%d,%d", &a, &b);
    out("sscanf \"7,8\" %d,%d", "%d %d %d", r, a, b);
    r = SDL_sscanf("Q", "%c", &c);
    out("sscanf \"Q\" %c", "%d %c", r, c);
    r = SDL_sscanf("hello123", "%[a-z]", w);
    out("sscanf \"hello123\" %[a-z]", "%d %s", r, q(w));
    r = vsscanf_via_sdl("5 six", "%d %3s", &a, w);
    out("vsscanf \"5 six\" %d %3s", "%d %d %s", r, a, q(w));
}
#pragma GCC diagnostic warning "-Wformat"
#pragma GCC diagnostic warning "-Wformat-extra-args"
#pragma GCC diagnostic warning "-Wformat-overflow"
#pragma GCC diagnostic warning "-Wformat-truncation"

/* ---- strings ---------------------------------------------------------------------- */

static void print_ranges(const char *key, int (*pred)(int))
{
    char buf[1024] = "", *p = buf;
    for (int c = -1; c <= 255; c++) {
        if (pred(c) && !(c > -1 && pred(c - 1))) {
            int e = c;
            while (e < 255 && pred(e + 1)) {
                e++;
            }
            p += sprintf(p, " %d-%d", c, e);
        }
    }
    out(key, "%s", buf);
}

static void print_mapping(const char *key, int (*fn)(int))
{
    uint64_t h = 0xcbf29ce484222325ull;
    int changed = 0;
    for (int c = -1; c <= 255; c++) {
        int r = fn(c);
        changed += r != c;
        h = (h ^ (uint64_t)(unsigned)r) * 0x100000001b3ull;
    }
    out(key, "%d changed, hash %016llx", changed, (unsigned long long)h);
}

static void test_ctype(void)
{
    print_ranges("isalnum", SDL_isalnum);
    print_ranges("isalpha", SDL_isalpha);
    print_ranges("isblank", SDL_isblank);
    print_ranges("iscntrl", SDL_iscntrl);
    print_ranges("isdigit", SDL_isdigit);
    print_ranges("isgraph", SDL_isgraph);
    print_ranges("islower", SDL_islower);
    print_ranges("isprint", SDL_isprint);
    print_ranges("ispunct", SDL_ispunct);
    print_ranges("isspace", SDL_isspace);
    print_ranges("isupper", SDL_isupper);
    print_ranges("isxdigit", SDL_isxdigit);
    print_mapping("toupper", SDL_toupper);
    print_mapping("tolower", SDL_tolower);
    out("abs", "%d %d %d %d", SDL_abs(0), SDL_abs(-5), SDL_abs(5), SDL_abs(INT_MIN + 1));
}

static void test_strings(void)
{
    char buf[64];
    for (size_t n = 0; n <= 7; n++) {
        memset(buf, 'X', sizeof(buf));
        buf[sizeof(buf) - 1] = '\0';
        size_t r = SDL_strlcpy(buf, "hello", n);
        char key[128];
        snprintf(key, sizeof(key), "strlcpy \"hello\" %zu", n);
        out(key, "%zu %s", r, quoted(buf, 8));
    }
    for (size_t n = 0; n <= 8; n++) {
        memset(buf, 'X', sizeof(buf));
        strcpy(buf, "ab");
        size_t r = SDL_strlcat(buf, "cdef", n);
        char key[128];
        snprintf(key, sizeof(key), "strlcat \"ab\"+\"cdef\" %zu", n);
        out(key, "%zu %s", r, quoted(buf, 9));
    }
    /* a (1 byte), e-acute (2), euro (3), an emoji (4), b (1) */
    const char *utf8 = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                       "b";
    for (size_t n = 0; n <= 13; n++) {
        memset(buf, 'X', sizeof(buf));
        size_t r = SDL_utf8strlcpy(buf, utf8, n);
        char key[128];
        snprintf(key, sizeof(key), "utf8strlcpy %zu", n);
        out(key, "%zu %s", r, quoted(buf, 13));
    }
    out("utf8strlen", "%zu %zu %zu", SDL_utf8strlen(utf8), SDL_utf8strlen(""),
        SDL_utf8strlen("\xff\xfe"));
    out("utf8strnlen", "%zu %zu %zu", SDL_utf8strnlen(utf8, 3), SDL_utf8strnlen(utf8, 6),
        SDL_utf8strnlen(utf8, 100));
    out("strlen", "%zu %zu", SDL_strlen(""), SDL_strlen(utf8));
    strcpy(buf, "Hello World \xc3\xa9!");
    out("strrev", "%s", q(SDL_strrev(buf)));
    strcpy(buf, "Hello World \xc3\xa9!");
    out("strupr", "%s", q(SDL_strupr(buf)));
    out("strlwr", "%s", q(SDL_strlwr(buf)));
    const char *hay = "one two three two";
#define POS(p) ((p) ? (long)((p)-hay) : -1L)
    out("strchr/strrchr", "%ld %ld %ld %ld", POS(SDL_strchr(hay, 't')), POS(SDL_strrchr(hay, 't')),
        POS(SDL_strchr(hay, 'z')), POS(SDL_strchr(hay, '\0')));
    out("strstr/strcasestr", "%ld %ld %ld %ld %ld", POS(SDL_strstr(hay, "two")),
        POS(SDL_strstr(hay, "")), POS(SDL_strstr(hay, "four")), POS(SDL_strcasestr(hay, "TWO")),
        POS(SDL_strcasestr(hay, "tHrEe")));
#undef POS
    static const char *const pairs[][2] = {{"abc", "abc"},
                                           {"abc", "abd"},
                                           {"abc", "ab"},
                                           {"a", "B"},
                                           {"A", "b"},
                                           {"", ""},
                                           {"\xc3\xa9", "\xc3\x89"},
                                           {"Zebra", "apple"},
                                           {"ABC", "abc"},
                                           {"x\x80", "x\x7f"}};
    for (size_t i = 0; i < N(pairs); i++) {
        const char *a = pairs[i][0], *b = pairs[i][1];
        char key[128];
        snprintf(key, sizeof(key), "compare %s %s", q(a), q(b));
#define SIGN(x) ((x) < 0 ? -1 : (x) > 0)
        out(key, "strcmp %d strncmp2 %d strcasecmp %d strncasecmp2 %d", SIGN(SDL_strcmp(a, b)),
            SIGN(SDL_strncmp(a, b, 2)), SIGN(SDL_strcasecmp(a, b)), SIGN(SDL_strncasecmp(a, b, 2)));
    }
    char tok[] = "a,b,,c;d";
    char *save = NULL, *t = SDL_strtokr(tok, ",;", &save), list[64] = "";
    while (t) {
        strcat(list, "[");
        strcat(list, t);
        strcat(list, "]");
        t = SDL_strtokr(NULL, ",;", &save);
    }
    out("strtokr \"a,b,,c;d\"", "%s", list);

    static const int radixes[] = {2, 8, 10, 16, 36};
    static const long long values[] = {0, 1, -1, 255, INT_MIN, INT_MAX, LLONG_MIN, LLONG_MAX};
    for (size_t i = 0; i < N(values); i++) {
        for (size_t k = 0; k < N(radixes); k++) {
            char a[80], b[80], c[80], d[80], e[80], f[80], key[128];
            long long v = values[i];
            int r = radixes[k];
            SDL_itoa((int)v, a, r);
            SDL_uitoa((unsigned)v, b, r);
            SDL_ltoa((long)v, c, r);
            SDL_ultoa((unsigned long)v, d, r);
            SDL_lltoa((Sint64)v, e, r);
            SDL_ulltoa((Uint64)v, f, r);
            snprintf(key, sizeof(key), "itoa family %lld radix %d", v, r);
            out(key, "%s %s %s %s %s %s", a, b, c, d, e, f);
        }
    }

    static const char *const numbers[] = {"0",
                                          "  42",
                                          "-42",
                                          "0x1f",
                                          "1f",
                                          "077",
                                          "9223372036854775808",
                                          "-9223372036854775809",
                                          "99999999999999999999",
                                          "abc",
                                          "",
                                          "+7z",
                                          "  -0x",
                                          "4294967296",
                                          "-1",
                                          "z"};
    static const int bases[] = {0, 10, 16, 36};
    for (size_t i = 0; i < N(numbers); i++) {
        for (size_t k = 0; k < N(bases); k++) {
            const char *s = numbers[i];
            char *e1, *e2, *e3, *e4, key[128];
            long l = SDL_strtol(s, &e1, bases[k]);
            unsigned long ul = SDL_strtoul(s, &e2, bases[k]);
            Sint64 ll = SDL_strtoll(s, &e3, bases[k]);
            Uint64 ull = SDL_strtoull(s, &e4, bases[k]);
            snprintf(key, sizeof(key), "strtol family %s base %d", q(s), bases[k]);
            out(key, "%ld@%td %lu@%td %lld@%td %llu@%td", l, e1 - s, ul, e2 - s, (long long)ll,
                e3 - s, (unsigned long long)ull, e4 - s);
        }
        out("atoi", "%s %d", q(numbers[i]), SDL_atoi(numbers[i]));
    }
    static const char *const doubles[] = {"3.14", "1e308", "1e309", "-1e-320", "inf",
                                          "-nan", "0x1p4", "  .5",  "abc",     "1,5",
                                          "-0",   "1e",    ""};
    for (size_t i = 0; i < N(doubles); i++) {
        char *e;
        double v = SDL_strtod(doubles[i], &e);
        char key[128];
        snprintf(key, sizeof(key), "strtod %s", q(doubles[i]));
        out(key, "%a@%td atof %a", v, e - doubles[i], SDL_atof(doubles[i]));
    }

    wchar_t wb[16];
    for (size_t n = 0; n <= 6; n++) {
        wmemset(wb, L'X', 16);
        size_t r = SDL_wcslcpy(wb, L"wide", n);
        char key[128];
        snprintf(key, sizeof(key), "wcslcpy \"wide\" %zu", n);
        out(key, "%zu %ls", r, (wmemset(wb + 15, 0, 1), wb));
    }
    wcscpy(wb, L"ab");
    size_t wr = SDL_wcslcat(wb, L"cdef", 5);
    out("wcslcat", "%zu %ls", wr, wb);
    out("wcslen/wcscmp/wcsncmp", "%zu %d %d %d", SDL_wcslen(L"four"),
        SIGN(SDL_wcscmp(L"abc", L"abd")), SIGN(SDL_wcsncmp(L"abc", L"abd", 2)),
        SIGN(SDL_wcscmp(L"b", L"a")));
    out("wcscasecmp/wcsncasecmp", "%d %d %d", SIGN(SDL_wcscasecmp(L"ABC", L"abc")),
        SIGN(SDL_wcscasecmp(L"a", L"B")), SIGN(SDL_wcsncasecmp(L"abX", L"ABy", 2)));
    const wchar_t *wh = L"needle in haystack";
    const wchar_t *found = SDL_wcsstr(wh, L"hay");
    out("wcsstr", "%td %s", found ? found - wh : -1, SDL_wcsstr(wh, L"straw") ? "found" : "NULL");
#undef SIGN
    out("crc16/crc32", "%04x %08x %04x %08x", SDL_crc16(0, "123456789", 9),
        SDL_crc32(0, "123456789", 9), SDL_crc16(0, "", 0), SDL_crc32(0xffffffffu, "abc", 3));
}

static void hexline(const char *key, const void *data, size_t n)
{
    char buf[512] = "";
    const unsigned char *p = data;
    for (size_t i = 0; i < n && i < 200; i++) {
        sprintf(buf + strlen(buf), "%02x", p[i]);
    }
    out(key, "%zu bytes %s", n, buf);
}

static void test_iconv(void)
{
    static const struct {
        const char *to, *from, *in;
        /* The bytes SDL defines: the converted text (SDL 2.26 does not
         * always terminate it; what follows can be anything). */
        size_t len, out_units;
    } cases[] = {
        {"UTF-16LE", "UTF-8", "h\xc3\xa9llo", 6, 10},
        {"UTF-16BE", "UTF-8", "h\xc3\xa9llo", 6, 10},
        {"UCS-4", "UTF-8", "\xe2\x82\xac", 3, 4},
        {"UTF-8", "ISO-8859-1", "caf\xe9", 4, 5},
        {"ASCII", "UTF-8", "a\xc3\xa9z", 4, 2},
        {"UTF-8", "UTF-8", "\xff\xfeok", 4, 2},
        {"", "", "plain", 5, 5},
        {"UTF-8", "UTF-16LE", "h\0i\0", 4, 2},
        {"NO-SUCH-CODE", "UTF-8", "abc", 3, 3},
        {"UTF-8", "UTF-8", "", 0, 1},
        {"UTF-32LE", "UTF-8", "x\xf0\x9f\x98\x80", 5, 8},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char key[128];
        snprintf(key, sizeof(key), "iconv_string %s <- %s %s", q(cases[i].to), cases[i].from,
                 quoted(cases[i].in, cases[i].len));
        char *r = SDL_iconv_string(cases[i].to, cases[i].from, cases[i].in, cases[i].len);
        if (r) {
            hexline(key, r, cases[i].out_units);
        } else {
            out(key, "NULL %s", error_text());
        }
        SDL_free(r);
    }
    SDL_iconv_t cd = SDL_iconv_open("UTF-16LE", "UTF-8");
    out("iconv_open UTF-16LE", "%s", cd == (SDL_iconv_t)-1 ? "failed" : "ok");
    const char *in = "abcdef";
    size_t inleft = 6, outleft = 4;
    char obuf[16], *op = obuf;
    size_t r = SDL_iconv(cd, &in, &inleft, &op, &outleft);
    out("iconv into a small buffer", "%zd in-left %zu out-left %zu", (ssize_t)r, inleft, outleft);
    outleft = sizeof(obuf) - 4;
    r = SDL_iconv(cd, &in, &inleft, &op, &outleft);
    out("iconv the rest", "%zd in-left %zu out-left %zu", (ssize_t)r, inleft, outleft);
    const char *bad = "\xc3";
    inleft = 1;
    outleft = 8;
    op = obuf;
    r = SDL_iconv(cd, &bad, &inleft, &op, &outleft);
    out("iconv an incomplete sequence", "%zd in-left %zu", (ssize_t)r, inleft);
    const char *ill = "\xff";
    inleft = 1;
    r = SDL_iconv(cd, &ill, &inleft, &op, &outleft);
    out("iconv an illegal sequence", "%zd in-left %zu", (ssize_t)r, inleft);
    out("iconv_close", "%d", SDL_iconv_close(cd));
    cd = SDL_iconv_open("NO-SUCH-CODE", "UTF-8");
    out("iconv_open unknown", "%s %s", cd == (SDL_iconv_t)-1 ? "failed" : "ok", error_text());
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}
struct keyed {
    int key, order;
};
static int cmp_key(const void *a, const void *b)
{
    return cmp_int(&((const struct keyed *)a)->key, &((const struct keyed *)b)->key);
}

static void test_sort(void)
{
    static const size_t counts[] = {0, 1, 2, 3, 7, 16, 100, 1000, 100000};
    uint32_t seed = 12345;
    for (size_t i = 0; i < N(counts); i++) {
        size_t n = counts[i];
        int *v = malloc((n + 1) * sizeof(*v));
        struct keyed *k = malloc((n + 1) * sizeof(*k));
        for (size_t j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            v[j] = (int)(seed >> 8) % 1000 - 500;
            k[j].key = v[j] % 7;
            k[j].order = (int)j;
        }
        SDL_qsort(v, n, sizeof(*v), cmp_int);
        int sorted = 1;
        for (size_t j = 1; j < n; j++) {
            sorted &= v[j - 1] <= v[j];
        }
        /* The order of equal keys shows which algorithm ran. */
        SDL_qsort(k, n, sizeof(*k), cmp_key);
        int want = n ? v[n / 2] : 0, absent = 100000;
        int *hit = n ? SDL_bsearch(&want, v, n, sizeof(*v), cmp_int) : NULL;
        int *miss = SDL_bsearch(&absent, v, n, sizeof(*v), cmp_int);
        char key[128];
        snprintf(key, sizeof(key), "qsort/bsearch %zu", n);
        out(key, "sorted %s, equal keys %016llx, found %s, absent %s", sorted ? "yes" : "no",
            (unsigned long long)fnv1a(k, n * sizeof(*k)),
            !n || (hit && *hit == want) ? "yes" : "no", miss ? "found" : "NULL");
        free(v);
        free(k);
    }
    SDL_qsort(NULL, 0, sizeof(int), cmp_int);
    out("qsort NULL 0", "returned");
}

static void test_math(void)
{
    static const double xs[] = {0.0,   -0.0,   0.5,   1.0,      -1.0, 2.5, -2.5, 3.14159265358979,
                                100.0, 1e-300, 1e300, INFINITY, NAN};
    for (size_t i = 0; i < N(xs); i++) {
        double x = xs[i];
        float f = (float)x;
        char key[128];
        snprintf(key, sizeof(key), "math %a", x);
        out(key,
            "acos %a asin %a atan %a ceil %a cos %a exp %a fabs %a floor %a trunc %a log %a "
            "log10 %a round %a sin %a sqrt %a tan %a lround %ld scalbn %a",
            SDL_acos(x), SDL_asin(x), SDL_atan(x), SDL_ceil(x), SDL_cos(x), SDL_exp(x), SDL_fabs(x),
            SDL_floor(x), SDL_trunc(x), SDL_log(x), SDL_log10(x), SDL_round(x), SDL_sin(x),
            SDL_sqrt(x), SDL_tan(x), isfinite(x) && fabs(x) < 1e15 ? SDL_lround(x) : 0,
            SDL_scalbn(x, 3));
        snprintf(key, sizeof(key), "mathf %a", (double)f);
        out(key,
            "acosf %a asinf %a atanf %a ceilf %a cosf %a expf %a fabsf %a floorf %a truncf %a "
            "logf %a log10f %a roundf %a sinf %a sqrtf %a tanf %a lroundf %ld scalbnf %a",
            (double)SDL_acosf(f), (double)SDL_asinf(f), (double)SDL_atanf(f), (double)SDL_ceilf(f),
            (double)SDL_cosf(f), (double)SDL_expf(f), (double)SDL_fabsf(f), (double)SDL_floorf(f),
            (double)SDL_truncf(f), (double)SDL_logf(f), (double)SDL_log10f(f),
            (double)SDL_roundf(f), (double)SDL_sinf(f), (double)SDL_sqrtf(f), (double)SDL_tanf(f),
            isfinite(f) && fabsf(f) < 1e15f ? SDL_lroundf(f) : 0, (double)SDL_scalbnf(f, 3));
        snprintf(key, sizeof(key), "math2 %a", x);
        out(key, "atan2 %a atan2f %a copysign %a copysignf %a fmod %a fmodf %a pow %a powf %a",
            SDL_atan2(x, 2.0), (double)SDL_atan2f(f, 2.0f), SDL_copysign(3.0, x),
            (double)SDL_copysignf(3.0f, f), SDL_fmod(x, 0.75), (double)SDL_fmodf(f, 0.75f),
            SDL_pow(x, 1.5), (double)SDL_powf(f, 1.5f));
    }
}

/* ---- environment ------------------------------------------------------------------ */

static void test_env(void)
{
    out("getenv(NULL), getenv(\"\")", "%s %s", q(SDL_getenv(NULL)), q(SDL_getenv("")));
    add(" %d", SDL_setenv(NULL, "v", 1));
    add(" %d", SDL_setenv("", "v", 1));
    add(" %d", SDL_setenv("A=B", "v", 1));
    add(" %d", SDL_setenv("LORELEI_T", NULL, 1));
    emit("setenv bad arguments");
    add("%d", SDL_setenv("LORELEI_T", "one", 1));
    add(" %s", q(SDL_getenv("LORELEI_T")));
    emit("setenv");
    add("%d", SDL_setenv("LORELEI_T", "two", 0));
    add(" %s", q(SDL_getenv("LORELEI_T")));
    emit("setenv no overwrite");
    add("%d", SDL_setenv("LORELEI_T", "three", 1));
    add(" %s getenv() %s", q(SDL_getenv("LORELEI_T")), q(getenv("LORELEI_T")));
    emit("setenv overwrite");
    add("%d", SDL_setenv("LORELEI_T", "", 1));
    add(" %s", q(SDL_getenv("LORELEI_T")));
    emit("setenv empty value");
    /* SDL reads hints from its environment: a variable the game set must count. */
    SDL_setenv("SDL_LORELEI_TEST_HINT", "from-setenv", 1);
    out("a hint set with SDL_setenv", "%s", q(SDL_GetHint("SDL_LORELEI_TEST_HINT")));
    setenv("SDL_LORELEI_TEST_HINT2", "from-libc", 1);
    out("getenv sees libc's setenv", "%s", q(SDL_getenv("SDL_LORELEI_TEST_HINT2")));
}

/* ---- RWops -------------------------------------------------------------------------- */

static void write_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < n; i++) {
        fputc(pattern_byte(i), f);
    }
    fclose(f);
}

static int is_pattern(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pattern_byte(i)) {
            return 0;
        }
    }
    return 1;
}

/* A stream that does not know its size and hands out data in uneven pieces. */
struct trickle {
    size_t total, pos;
    int closed;
};
static Sint64 SDLCALL trickle_size(SDL_RWops *rw)
{
    (void)rw;
    return -1;
}
static Sint64 SDLCALL trickle_seek(SDL_RWops *rw, Sint64 off, int whence)
{
    (void)rw, (void)off, (void)whence;
    return SDL_SetError("trickle: no seeking");
}
static size_t SDLCALL trickle_read(SDL_RWops *rw, void *ptr, size_t size, size_t n)
{
    struct trickle *t = rw->hidden.unknown.data1;
    size_t want = size * n, piece = 1 + (t->pos * 7) % 700;
    if (want > piece) {
        want = piece;
    }
    if (want > t->total - t->pos) {
        want = t->total - t->pos;
    }
    for (size_t i = 0; i < want; i++) {
        ((unsigned char *)ptr)[i] = pattern_byte(t->pos + i);
    }
    t->pos += want;
    return want / size;
}
static size_t SDLCALL trickle_write(SDL_RWops *rw, const void *p, size_t s, size_t n)
{
    (void)rw, (void)p, (void)s, (void)n;
    return 0;
}
static int SDLCALL trickle_close(SDL_RWops *rw)
{
    ((struct trickle *)rw->hidden.unknown.data1)->closed = 1;
    SDL_FreeRW(rw);
    return 0;
}

static void test_loadfile(void)
{
    static const size_t file_sizes[] = {0,    1,     1023,    1024,         1025,
                                        4096, 65537, 1 << 20, (1 << 20) + 1};
    for (size_t i = 0; i < N(file_sizes); i++) {
        size_t n = file_sizes[i], got = 12345;
        char path[32], key[48];
        snprintf(path, sizeof(path), "load-%zu.bin", n);
        write_file(path, n);
        int base = SDL_GetNumAllocations();
        unsigned char *data = SDL_LoadFile(path, &got);
        snprintf(key, sizeof(key), "LoadFile %zu bytes", n);
        out(key, "%s size %zu content %s terminated %s allocations %+d", data ? "ok" : "NULL", got,
            data && is_pattern(data, got) ? "ok" : "BAD", data && data[got] == 0 ? "yes" : "no",
            SDL_GetNumAllocations() - base);
        SDL_free(data);

        unsigned char *mem = malloc(n + 1);
        for (size_t k = 0; k < n; k++) {
            mem[k] = pattern_byte(k);
        }
        SDL_RWops *rw = SDL_RWFromConstMem(mem, (int)n);
        snprintf(key, sizeof(key), "LoadFile_RW const mem %zu", n);
        if (!rw) {
            out(key, "no RWops %s", error_text());
        } else {
            got = 12345;
            data = SDL_LoadFile_RW(rw, &got, 0);
            out(key, "%s size %zu content %s, RWtell %lld", data ? "ok" : "NULL", got,
                data && is_pattern(data, got) ? "ok" : "BAD", (long long)SDL_RWtell(rw));
            SDL_free(data);
            SDL_RWclose(rw);
        }
        free(mem);

        struct trickle t = {n, 0, 0};
        rw = SDL_AllocRW();
        rw->size = trickle_size;
        rw->seek = trickle_seek;
        rw->read = trickle_read;
        rw->write = trickle_write;
        rw->close = trickle_close;
        rw->hidden.unknown.data1 = &t;
        data = SDL_LoadFile_RW(rw, NULL, 1);
        snprintf(key, sizeof(key), "LoadFile_RW unknown size %zu", n);
        out(key, "%s content %s terminated %s closed %d", data ? "ok" : "NULL",
            data && is_pattern(data, n) ? "ok" : "BAD", data && data[n] == 0 ? "yes" : "no",
            t.closed);
        SDL_free(data);
    }
    size_t got = 777;
    void *data = SDL_LoadFile("no-such-file.bin", &got);
    out("LoadFile missing file", "%s size %zu %s", data ? "data" : "NULL", got, error_text());
    data = SDL_LoadFile_RW(NULL, &got, 1);
    out("LoadFile_RW(NULL)", "%s size %zu %s", data ? "data" : "NULL", got, error_text());
    /* (Not a directory: SDL 2.26 reads into a failed allocation there, natively too.) */
}

static void show_rw(const char *key, SDL_RWops *rw)
{
    out(key, "%s type %u %s", rw ? "RWops" : "NULL", rw ? rw->type : 0, error_text());
}

static void test_rwops_file(void)
{
    SDL_RWops *rw;
    char buf[64] = "";
    show_rw("RWFromFile(NULL, rb)", SDL_RWFromFile(NULL, "rb"));
    show_rw("RWFromFile(x, NULL)", SDL_RWFromFile("x", NULL));
    show_rw("RWFromFile(\"\", rb)", SDL_RWFromFile("", "rb"));
    show_rw("RWFromFile(missing, rb)", SDL_RWFromFile("missing.bin", "rb"));
    show_rw("RWFromFile(no-dir/x, wb)", SDL_RWFromFile("no-dir/x.bin", "wb"));
    show_rw("RWFromFile(x, bad mode q)", SDL_RWFromFile("rw.bin", "q"));

    rw = SDL_RWFromFile("rw.bin", "wb");
    show_rw("RWFromFile(rw.bin, wb)", rw);
    add("%zu", SDL_RWwrite(rw, "0123456789abcdef", 4, 4));
    emit("write 4x4");
    add("%zu", SDL_RWwrite(rw, "x", 0, 4));
    add(" %zu", SDL_RWwrite(rw, "x", 4, 0));
    emit("write 0-size");
    add("%lld", (long long)SDL_RWsize(rw));
    add(" %lld", (long long)SDL_RWtell(rw));
    emit("size, tell");
    add("%zu", SDL_RWread(rw, buf, 1, 4));
    add_error();
    emit("read from a write-only file");
    add("%zu", SDL_WriteU8(rw, 0x81));
    add(" %zu", SDL_WriteLE16(rw, 0x1234));
    add(" %zu", SDL_WriteBE16(rw, 0x1234));
    add(" %zu", SDL_WriteLE32(rw, 0x89abcdefu));
    add(" %zu", SDL_WriteBE32(rw, 0x89abcdefu));
    add(" %zu", SDL_WriteLE64(rw, 0x0102030405060708ull));
    add(" %zu", SDL_WriteBE64(rw, 0x0102030405060708ull));
    emit("endian writes");
    add("%d", SDL_RWclose(rw));
    add_error();
    emit("close");

    rw = SDL_RWFromFile("rw.bin", "rb");
    add("%lld", (long long)SDL_RWsize(rw));
    emit("rb size");
    add("%lld", (long long)SDL_RWseek(rw, 4, RW_SEEK_SET));
    add(" %lld", (long long)SDL_RWseek(rw, 2, RW_SEEK_CUR));
    add(" %lld", (long long)SDL_RWseek(rw, -3, RW_SEEK_END));
    add(" %lld", (long long)SDL_RWseek(rw, 0, RW_SEEK_CUR));
    emit("seek SET 4, CUR 2, END -3, CUR 0");
    add("%lld", (long long)SDL_RWseek(rw, -100, RW_SEEK_SET));
    add_error();
    add(" tell %lld", (long long)SDL_RWtell(rw));
    emit("seek before the start");
    add("%lld", (long long)SDL_RWseek(rw, 100, RW_SEEK_END));
    emit("seek past the end");
    add("%lld", (long long)SDL_RWseek(rw, 0, 42));
    add_error();
    emit("seek bad whence");
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    add("%zu", SDL_RWread(rw, buf, 5, 3));
    add(" %s tell %lld", quoted(buf, 15), (long long)SDL_RWtell(rw));
    emit("read 3x5 (whole objects)");
    add("%zu", SDL_RWread(rw, buf, 0, 3));
    add(" %zu", SDL_RWread(rw, buf, 3, 0));
    emit("read 0");
    SDL_RWseek(rw, 16, RW_SEEK_SET);
    add("%02x", SDL_ReadU8(rw));
    add(" %04x", SDL_ReadLE16(rw));
    add(" %04x", SDL_ReadBE16(rw));
    add(" %08x", SDL_ReadLE32(rw));
    add(" %08x", SDL_ReadBE32(rw));
    add(" %016llx", (unsigned long long)SDL_ReadLE64(rw));
    add(" %016llx", (unsigned long long)SDL_ReadBE64(rw));
    emit("read U8 LE16 BE16 LE32 BE32 LE64 BE64");
    add("%zu", SDL_RWread(rw, buf, 1, 4));
    add(" %02x", SDL_ReadU8(rw));
    add(" %04x", SDL_ReadLE16(rw));
    add(" %08x", SDL_ReadBE32(rw));
    add(" %016llx", (unsigned long long)SDL_ReadLE64(rw));
    add_error();
    emit("read at EOF");
    SDL_RWseek(rw, -5, RW_SEEK_END);
    add("%zu", SDL_RWread(rw, buf, 4, 2));
    add(" tell %lld", (long long)SDL_RWtell(rw));
    emit("partial read 4x2 of 5 bytes");
    add("%zu", SDL_RWwrite(rw, "x", 1, 1));
    add_error();
    emit("write to a read-only file");
    add("%d", SDL_RWclose(rw));
    emit("close");

    rw = SDL_RWFromFile("rw.bin", "ab");
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    add("%zu", SDL_RWwrite(rw, "END", 1, 3));
    emit("append after seek 0");
    SDL_RWclose(rw);
    rw = SDL_RWFromFile("rw.bin", "r+b");
    add("%lld", (long long)SDL_RWsize(rw));
    emit("r+b size after append");
    SDL_RWwrite(rw, "AB", 1, 2);
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    memset(buf, 0, sizeof(buf));
    SDL_RWread(rw, buf, 1, 6);
    SDL_RWseek(rw, -3, RW_SEEK_END);
    SDL_RWread(rw, buf + 6, 1, 3);
    add("%s", q(buf));
    emit("r+b overwrite, then the end");
    SDL_RWclose(rw);

    /* Large transfers: more than any buffer in between. */
    size_t big = (3 << 20) + 5;
    unsigned char *data = malloc(big), *back = malloc(big);
    for (size_t i = 0; i < big; i++) {
        data[i] = pattern_byte(i);
    }
    rw = SDL_RWFromFile("big.bin", "w+b");
    add("%zu", SDL_RWwrite(rw, data, 1, big));
    emit("write 3 MiB");
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    add("%zu", SDL_RWread(rw, back, 1, big));
    add(" same %s", memcmp(data, back, big) ? "no" : "yes");
    emit("read 3 MiB back");
    SDL_RWseek(rw, 1, RW_SEEK_SET);
    memset(back, 0, big);
    add("%zu", SDL_RWread(rw, back, 1000, big / 1000));
    add(" same %s", memcmp(data + 1, back, big - 5) ? "no" : "yes");
    add(" tell %lld", (long long)SDL_RWtell(rw));
    emit("read 1000-byte objects from offset 1");
    SDL_RWclose(rw);
    free(data);
    free(back);

    FILE *fp = fopen("fp.bin", "w+b");
    rw = SDL_RWFromFP(fp, SDL_FALSE);
    show_rw("RWFromFP", rw);
    add("%zu", SDL_RWwrite(rw, "hello", 1, 5));
    add(" %lld", (long long)SDL_RWseek(rw, 1, RW_SEEK_SET));
    memset(buf, 0, sizeof(buf));
    add(" %zu", SDL_RWread(rw, buf, 1, 10));
    add(" %s", q(buf));
    emit("FP write, seek, read");
    add("%d", SDL_RWclose(rw));
    add(", file still usable %s", fseek(fp, 0, SEEK_SET) == 0 && fgetc(fp) == 'h' ? "yes" : "no");
    emit("FP close without autoclose");
    fclose(fp);
    rw = SDL_RWFromFP(fopen("fp.bin", "rb"), SDL_TRUE);
    add("%lld", (long long)SDL_RWsize(rw));
    add(" close %d", SDL_RWclose(rw));
    emit("FP size with autoclose");
}

static void test_rwops_mem(void)
{
    char mem[16], buf[32] = "";
    memcpy(mem, "0123456789abcdef", 16);
    show_rw("RWFromMem(NULL, 10)", SDL_RWFromMem(NULL, 10));
    show_rw("RWFromMem(buf, 0)", SDL_RWFromMem(mem, 0));
    show_rw("RWFromConstMem(NULL, 10)", SDL_RWFromConstMem(NULL, 10));
    show_rw("RWFromConstMem(buf, 0)", SDL_RWFromConstMem(mem, 0));
    SDL_RWops *rw = SDL_RWFromMem(mem, 16);
    show_rw("RWFromMem(buf, 16)", rw);
    add("%lld", (long long)SDL_RWsize(rw));
    add(" %zu", SDL_RWread(rw, buf, 5, 2));
    add(" %s tell %lld", q(buf), (long long)SDL_RWtell(rw));
    emit("size, read 5x2, tell");
    add("%zu", SDL_RWread(rw, buf, 4, 2));
    add(" tell %lld", (long long)SDL_RWtell(rw));
    emit("read 4x2 at 10");
    add("%zu", SDL_RWread(rw, buf, 1, 1));
    emit("read at the end");
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    add("%zu", SDL_RWread(rw, buf, SIZE_MAX / 2 + 1, 2));
    add(" tell %lld", (long long)SDL_RWtell(rw));
    emit("read overflowing size*n");
    add("%lld", (long long)SDL_RWseek(rw, -5, RW_SEEK_SET));
    add(" %lld", (long long)SDL_RWseek(rw, 100, RW_SEEK_CUR));
    add(" %lld", (long long)SDL_RWseek(rw, -3, RW_SEEK_END));
    add(" %lld", (long long)SDL_RWseek(rw, 7, RW_SEEK_SET));
    emit("seek -5 SET, 100 CUR, -3 END, 7 SET");
    add("%lld", (long long)SDL_RWseek(rw, 0, 9));
    add_error();
    emit("seek bad whence");
    add("%zu", SDL_RWwrite(rw, "ABCDEFGHI", 3, 3));
    add(" %s", quoted(mem, 16));
    emit("write 3x3 at 7");
    add("%zu", SDL_RWwrite(rw, "WXYZwxyz", 4, 2));
    emit("write 4x2 at 16 (full)");
    SDL_RWseek(rw, 14, RW_SEEK_SET);
    add("%zu", SDL_RWwrite(rw, "WXYZ", 4, 1));
    add(" %s", quoted(mem, 16));
    emit("write 4x1 at 14 (2 bytes left)");
    SDL_RWseek(rw, 14, RW_SEEK_SET);
    add("%zu", SDL_RWwrite(rw, "WXYZ", 1, 4));
    add(" %s", quoted(mem, 16));
    emit("write 1x4 at 14");
    add("%d", SDL_RWclose(rw));
    emit("close");

    rw = SDL_RWFromConstMem(mem, 16);
    show_rw("RWFromConstMem(buf, 16)", rw);
    add("%zu", SDL_RWwrite(rw, "x", 1, 1));
    add_error();
    emit("write to const memory");
    add("%zu", SDL_RWread(rw, buf, 1, 32));
    emit("const read");
    SDL_RWclose(rw);

    char endian[32];
    memset(endian, 0, sizeof(endian));
    rw = SDL_RWFromMem(endian, sizeof(endian));
    SDL_WriteU8(rw, 0xfe);
    SDL_WriteLE16(rw, 0xa1b2);
    SDL_WriteBE16(rw, 0xa1b2);
    SDL_WriteLE32(rw, 0x01020304u);
    SDL_WriteBE32(rw, 0x01020304u);
    SDL_WriteLE64(rw, 0x1122334455667788ull);
    add("%zu", SDL_WriteBE64(rw, 0x1122334455667788ull));
    emit("endian writes to memory, the last one full");
    hexline("endian bytes", endian, sizeof(endian));
    SDL_RWseek(rw, 0, RW_SEEK_SET);
    add("%02x", SDL_ReadU8(rw));
    add(" %04x", SDL_ReadLE16(rw));
    add(" %04x", SDL_ReadBE16(rw));
    add(" %08x", SDL_ReadLE32(rw));
    add(" %08x", SDL_ReadBE32(rw));
    add(" %016llx", (unsigned long long)SDL_ReadLE64(rw));
    add(" %016llx", (unsigned long long)SDL_ReadBE64(rw));
    emit("endian reads from memory");
    SDL_RWclose(rw);

    rw = SDL_AllocRW();
    out("AllocRW", "%s type %u", rw ? "RWops" : "NULL", rw ? rw->type : 99);
    SDL_FreeRW(rw);
}

/* ---- threads and synchronisation -------------------------------------------------------- */

static SDL_TLSID tls_id;
static SDL_atomic_t destructor_calls;
static void SDLCALL tls_destructor(void *p)
{
    (void)p;
    SDL_AtomicAdd(&destructor_calls, 1);
}

struct thread_arg {
    SDL_atomic_t ran;
    SDL_threadID seen_id;
    void *tls_before;
    int tls_after_set;
    char name[64];
};

static int SDLCALL thread_fn(void *data)
{
    struct thread_arg *a = data;
    a->seen_id = SDL_ThreadID();
    a->tls_before = SDL_TLSGet(tls_id);
    SDL_TLSSet(tls_id, "thread", tls_destructor);
    a->tls_after_set = SDL_TLSGet(tls_id) != NULL;
    SDL_AtomicSet(&a->ran, 1);
    return 42;
}

static SDL_mutex *shared_mutex;
static SDL_sem *shared_sem;
static SDL_cond *shared_cond;
static int shared_flag;
static SDL_atomic_t counter;
static SDL_SpinLock spin;
static int spin_counter;

static int SDLCALL trylock_fn(void *data)
{
    (void)data;
    int r = SDL_TryLockMutex(shared_mutex);
    if (r == 0) {
        SDL_UnlockMutex(shared_mutex);
    }
    return r;
}

static int SDLCALL adder_fn(void *data)
{
    (void)data;
    for (int i = 0; i < 20000; i++) {
        SDL_AtomicAdd(&counter, 1);
        SDL_AtomicLock(&spin);
        spin_counter++;
        SDL_AtomicUnlock(&spin);
    }
    return 0;
}

static int SDLCALL signal_fn(void *data)
{
    (void)data;
    SDL_Delay(30);
    SDL_LockMutex(shared_mutex);
    shared_flag = 1;
    SDL_CondSignal(shared_cond);
    SDL_UnlockMutex(shared_mutex);
    SDL_SemPost(shared_sem);
    return 0;
}

static int SDLCALL priority_fn(void *data)
{
    (void)data;
    char line[256] = "";
    static const SDL_ThreadPriority prios[] = {SDL_THREAD_PRIORITY_LOW, SDL_THREAD_PRIORITY_NORMAL,
                                               SDL_THREAD_PRIORITY_HIGH,
                                               SDL_THREAD_PRIORITY_TIME_CRITICAL};
    for (size_t i = 0; i < N(prios); i++) {
        int r = SDL_SetThreadPriority(prios[i]);
        sprintf(line + strlen(line), " %d", r);
    }
    out("SetThreadPriority LOW NORMAL HIGH TIME_CRITICAL", "%s %s", line, error_text());
    return 0;
}

static Uint32 elapsed_since(Uint64 start)
{
    return (Uint32)(SDL_GetTicks64() - start);
}

static void test_threads(void)
{
    tls_id = SDL_TLSCreate();
    SDL_TLSID second = SDL_TLSCreate();
    out("TLSCreate", "nonzero %s, distinct %s", tls_id && second ? "yes" : "no",
        tls_id != second ? "yes" : "no");
    out("TLSGet unset, TLSGet(0)", "%s %s", SDL_TLSGet(second) ? "value" : "NULL",
        SDL_TLSGet(0) ? "value" : "NULL");
    add("%d", SDL_TLSSet(0, "x", NULL));
    add_error();
    emit("TLSSet(0)");
    add("%d", SDL_TLSSet(tls_id, "main", NULL));
    add(" %s", q(SDL_TLSGet(tls_id)));
    emit("TLSSet, TLSGet");

    struct thread_arg a = {0};
    SDL_Thread *t = SDL_CreateThread(thread_fn, "lorelei-thread", &a);
    out("CreateThread", "%s name %s", t ? "thread" : "NULL", q(SDL_GetThreadName(t)));
    while (!SDL_AtomicGet(&a.ran)) {
        SDL_Delay(1);
    }
    SDL_threadID tid = SDL_GetThreadID(t); /* known once the thread runs */
    int status = -1;
    SDL_WaitThread(t, &status);
    out("WaitThread", "status %d, its own ID matches %s, differs from main %s", status,
        a.seen_id == tid ? "yes" : "no", tid != SDL_ThreadID() ? "yes" : "no");
    out("TLS in the thread", "before %s, after set %d, main keeps %s, destructor calls %d",
        a.tls_before ? "value" : "NULL", a.tls_after_set, q(SDL_TLSGet(tls_id)),
        SDL_AtomicGet(&destructor_calls));
    out("GetThreadID(NULL) is ThreadID()", "%s",
        SDL_GetThreadID(NULL) == SDL_ThreadID() ? "yes" : "no");
    out("GetThreadName(NULL)", "%s", q(SDL_GetThreadName(NULL)));
    SDL_WaitThread(NULL, &status);
    SDL_DetachThread(NULL);

    t = SDL_CreateThreadWithStackSize(thread_fn, NULL, 256 * 1024, &a);
    out("CreateThreadWithStackSize unnamed", "%s name %s", t ? "thread" : "NULL",
        q(SDL_GetThreadName(t)));
    SDL_WaitThread(t, &status);
    out("its status", "%d", status);
    t = SDL_CreateThread(thread_fn, "detached", &a);
    SDL_DetachThread(t);
    for (int waited = 0; waited < 10000 && SDL_AtomicGet(&destructor_calls) < 3; waited += 10) {
        SDL_Delay(10);
    }
    out("detached thread ran", "destructor calls %d", SDL_AtomicGet(&destructor_calls));
    t = SDL_CreateThread(priority_fn, "priorities", NULL);
    SDL_WaitThread(t, NULL);

    shared_mutex = SDL_CreateMutex();
    out("CreateMutex", "%s", shared_mutex ? "mutex" : "NULL");
    add("%d", SDL_LockMutex(shared_mutex));
    add(" %d", SDL_LockMutex(shared_mutex));
    add(" %d", SDL_TryLockMutex(shared_mutex));
    emit("lock twice (recursive), trylock");
    t = SDL_CreateThread(trylock_fn, "trylock", NULL);
    SDL_WaitThread(t, &status);
    out("trylock from another thread while held", "%d", status);
    add("%d", SDL_UnlockMutex(shared_mutex));
    add(" %d", SDL_UnlockMutex(shared_mutex));
    add(" %d", SDL_UnlockMutex(shared_mutex));
    emit("unlock thrice");
    t = SDL_CreateThread(trylock_fn, "trylock", NULL);
    SDL_WaitThread(t, &status);
    out("trylock from another thread when free", "%d", status);
    add("%d", SDL_LockMutex(NULL));
    add(" %d", SDL_TryLockMutex(NULL));
    add(" %d", SDL_UnlockMutex(NULL));
    add_error();
    emit("NULL mutex lock, trylock, unlock");

    shared_sem = SDL_CreateSemaphore(0);
    add("%u", SDL_SemValue(shared_sem));
    add(" %d", SDL_SemTryWait(shared_sem));
    emit("semaphore value, trywait");
    Uint64 start = SDL_GetTicks64();
    int r = SDL_SemWaitTimeout(shared_sem, 50);
    out("SemWaitTimeout 50 ms on 0", "%d waited >= 40 ms %s", r,
        elapsed_since(start) >= 40 ? "yes" : "no");
    out("SemWaitTimeout 0", "%d", SDL_SemWaitTimeout(shared_sem, 0));
    add("%d", SDL_SemPost(shared_sem));
    add(" %d", SDL_SemPost(shared_sem));
    add(" %d", SDL_SemPost(shared_sem));
    add(" %u", SDL_SemValue(shared_sem));
    add(" %d", SDL_SemWait(shared_sem));
    add(" %u", SDL_SemValue(shared_sem));
    emit("post 3x, value, wait, value");
    SDL_SemWait(shared_sem);
    SDL_SemWait(shared_sem);
    add("wait %d", SDL_SemWait(NULL));
    add_error();
    add(" trywait %d", SDL_SemTryWait(NULL));
    add_error();
    add(" waittimeout %d", SDL_SemWaitTimeout(NULL, 10));
    add_error();
    add(" post %d", SDL_SemPost(NULL));
    add_error();
    add(" value %u", SDL_SemValue(NULL));
    add_error();
    emit("NULL semaphore");

    shared_cond = SDL_CreateCond();
    SDL_LockMutex(shared_mutex);
    start = SDL_GetTicks64();
    r = SDL_CondWaitTimeout(shared_cond, shared_mutex, 50);
    out("CondWaitTimeout 50 ms unsignalled", "%d waited >= 40 ms %s", r,
        elapsed_since(start) >= 40 ? "yes" : "no");
    t = SDL_CreateThread(signal_fn, "signaller", NULL);
    while (!shared_flag) {
        r = SDL_CondWaitTimeout(shared_cond, shared_mutex, 5000);
        if (r != 0) {
            break;
        }
    }
    SDL_UnlockMutex(shared_mutex);
    out("CondWaitTimeout signalled", "%d flag %d", r, shared_flag);
    out("SemWaitTimeout posted by the thread", "%d", SDL_SemWaitTimeout(shared_sem, 5000));
    SDL_WaitThread(t, NULL);
    add("%d", SDL_CondSignal(shared_cond));
    add(" %d", SDL_CondBroadcast(shared_cond));
    emit("CondSignal, CondBroadcast without waiters");
    add("signal %d", SDL_CondSignal(NULL));
    add_error();
    add(" broadcast %d", SDL_CondBroadcast(NULL));
    add_error();
    add(" wait %d", SDL_CondWait(NULL, shared_mutex));
    add_error();
    add(" waittimeout %d", SDL_CondWaitTimeout(NULL, shared_mutex, 1));
    add_error();
    emit("NULL cond");
    /* (Not with a NULL mutex: SDL 2.26 dereferences it, natively too.) */
    SDL_DestroyCond(shared_cond);
    SDL_DestroySemaphore(shared_sem);
    SDL_DestroyMutex(shared_mutex);
    SDL_DestroyCond(NULL);
    SDL_DestroySemaphore(NULL);
    SDL_DestroyMutex(NULL);

    SDL_atomic_t at = {5};
    add("%d", SDL_AtomicCAS(&at, 5, 6));
    add(" %d", SDL_AtomicCAS(&at, 5, 7));
    add(" value %d", SDL_AtomicGet(&at));
    emit("AtomicCAS");
    add("%d", SDL_AtomicSet(&at, 10));
    add(" %d", SDL_AtomicAdd(&at, -3));
    add(" value %d", SDL_AtomicGet(&at));
    emit("AtomicSet, AtomicAdd");
    add("%d", SDL_AtomicIncRef(&at));
    add(" %d", SDL_AtomicDecRef(&at));
    add(" %d", SDL_AtomicDecRef(&at));
    add(" value %d", SDL_AtomicGet(&at));
    emit("AtomicIncRef, AtomicDecRef twice");
    void *ptr = &at, *other = &a;
    add("%d", SDL_AtomicCASPtr(&ptr, &at, other));
    add(" %d", SDL_AtomicCASPtr(&ptr, &at, NULL));
    add(" same %s", ptr == other ? "yes" : "no");
    emit("AtomicCASPtr");
    add("%s", SDL_AtomicSetPtr(&ptr, NULL) == other ? "old" : "?");
    add(" %s", SDL_AtomicGetPtr(&ptr) ? "value" : "NULL");
    emit("AtomicSetPtr, AtomicGetPtr");
    SDL_SpinLock lock = 0;
    add("%d", SDL_AtomicTryLock(&lock));
    add(" %d", SDL_AtomicTryLock(&lock));
    emit("AtomicTryLock twice");
    SDL_AtomicUnlock(&lock);
    out("AtomicTryLock after unlock", "%d", SDL_AtomicTryLock(&lock));
    SDL_AtomicUnlock(&lock);
    SDL_MemoryBarrierReleaseFunction();
    SDL_MemoryBarrierAcquireFunction();
    SDL_Thread *adders[4];
    for (int i = 0; i < 4; i++) {
        adders[i] = SDL_CreateThread(adder_fn, "adder", NULL);
    }
    for (int i = 0; i < 4; i++) {
        SDL_WaitThread(adders[i], NULL);
    }
    out("4 threads x 20000: atomic adds, spinlocked increments", "%d %d", SDL_AtomicGet(&counter),
        spin_counter);
}

/* ---- the CPU: the emulated one under Lorelei ------------------------------------------------ */

static unsigned cpuid_reg(unsigned leaf, int reg)
{
    unsigned r[4] = {0};
    if (__get_cpuid_max(leaf & 0x80000000u, NULL) < leaf) {
        return 0;
    }
    __cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
    return r[reg];
}

static unsigned xcr0(void)
{
    if (!(cpuid_reg(1, 2) & bit_OSXSAVE)) {
        return 0;
    }
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo;
}

static void test_cpu(void)
{
    unsigned ecx1 = cpuid_reg(1, 2), edx1 = cpuid_reg(1, 3), ebx7 = cpuid_reg(7, 1);
    unsigned edx_ext = cpuid_reg(0x80000001u, 3), x = xcr0();
    int ymm = (x & 6) == 6, zmm = ymm && (x & 0xe0) == 0xe0;
    static const char *const names[] = {"RDTSC", "MMX",   "3DNow", "SSE",  "SSE2",   "SSE3",
                                        "SSE41", "SSE42", "AVX",   "AVX2", "AVX512F"};
    const SDL_bool has[] = {SDL_HasRDTSC(), SDL_HasMMX(),  SDL_Has3DNow(),  SDL_HasSSE(),
                            SDL_HasSSE2(),  SDL_HasSSE3(), SDL_HasSSE41(),  SDL_HasSSE42(),
                            SDL_HasAVX(),   SDL_HasAVX2(), SDL_HasAVX512F()};
    const int want[] = {!!(edx1 & (1u << 4)), /* TSC: <cpuid.h> has no name for it */
                        !!(edx1 & bit_MMX),       !!(edx_ext & bit_3DNOW),
                        !!(edx1 & bit_SSE),       !!(edx1 & bit_SSE2),
                        !!(ecx1 & bit_SSE3),      !!(ecx1 & bit_SSE4_1),
                        !!(ecx1 & bit_SSE4_2),    (ecx1 & bit_AVX) && ymm,
                        (ebx7 & bit_AVX2) && ymm, (ebx7 & bit_AVX512F) && zmm};
    char info[256] = "";
    for (size_t i = 0; i < N(names); i++) {
        char key[128];
        snprintf(key, sizeof(key), "Has%s agrees with this CPU's CPUID", names[i]);
        out(key, "%s", (int)has[i] == want[i] ? "yes" : "no");
        if (has[i]) {
            sprintf(info + strlen(info), " %s", names[i]);
        }
    }
    printf("info CPU features SDL reports:%s\n", info);
    out("HasAltiVec HasARMSIMD HasNEON HasLSX HasLASX", "%d %d %d %d %d", SDL_HasAltiVec(),
        SDL_HasARMSIMD(), SDL_HasNEON(), SDL_HasLSX(), SDL_HasLASX());
    out("baseline x86_64: MMX SSE SSE2", "%d %d %d", SDL_HasMMX(), SDL_HasSSE(), SDL_HasSSE2());
    size_t align = SDL_SIMDGetAlignment();
    size_t want_align = SDL_HasAVX512F() ? 64 : SDL_HasAVX() ? 32 : 16;
    out("SIMDGetAlignment fits the features", "%s", align == want_align ? "yes" : "no");
    printf("info SIMDGetAlignment: %zu\n", align);
    /* SDL's rule: CLFLUSH size on Intel, the L1 line size on AMD, else a guess. */
    unsigned vendor[4] = {cpuid_reg(0, 1), cpuid_reg(0, 3), cpuid_reg(0, 2), 0};
    const char *v = (const char *)vendor;
    int want_line =
        !strcmp(v, "GenuineIntel") || !strcmp(v, "CentaurHauls") || !strcmp(v, "  Shanghai  ")
            ? (int)((cpuid_reg(1, 1) >> 8) & 0xff) * 8
        : !strcmp(v, "AuthenticAMD") || !strcmp(v, "HygonGenuine")
            ? (int)(cpuid_reg(0x80000005u, 2) & 0xff)
            : SDL_CACHELINE_SIZE;
    int line = SDL_GetCPUCacheLineSize();
    out("GetCPUCacheLineSize agrees with this CPU's vendor and CPUID", "%s",
        line == want_line ? "yes" : "no");
    printf("info CPU vendor %s, GetCPUCacheLineSize: %d\n", v, line);
    out("GetCPUCount is the online CPUs", "%s",
        SDL_GetCPUCount() == (int)sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
    out("GetSystemRAM", "%d", SDL_GetSystemRAM());
}

/* ---- objects ------------------------------------------------------------------------------ */

static void test_objects(void)
{
    void *h = SDL_LoadObject("libno-such-library.so");
    out("LoadObject missing", "%s %s", h ? "handle" : "NULL", error_text());
    h = SDL_LoadObject("libm.so.6");
    out("LoadObject libm.so.6", "%s %s", h ? "handle" : "NULL", error_text());
    double (*cosine)(double) = (double (*)(double))SDL_LoadFunction(h, "cos");
    out("LoadFunction cos", "%s cos(0) = %g", cosine ? "found" : "NULL", cosine ? cosine(0) : -1);
    void *missing = SDL_LoadFunction(h, "no_such_function");
    out("LoadFunction missing", "%s %s", missing ? "found" : "NULL", error_text());
    SDL_UnloadObject(h);
    SDL_UnloadObject(NULL);
    h = SDL_LoadObject(NULL);
    out("LoadObject(NULL)", "%s %s", h ? "handle" : "NULL", error_text());
    if (h) {
        out("LoadFunction(program, main)", "%s", SDL_LoadFunction(h, "main") ? "found" : "NULL");
    }
}

static void test_paths(void)
{
    char *base = SDL_GetBasePath();
    char exe[4096] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
        slash[1] = '\0';
    }
    out("GetBasePath is this program's directory", "%s", base && !strcmp(base, exe) ? "yes" : "no");
    int base_allocs = SDL_GetNumAllocations();
    SDL_free(base);
    out("GetBasePath's result is SDL_free'd", "allocations %+d",
        SDL_GetNumAllocations() - base_allocs);

    /* A forwarded function whose result the game SDL_frees: a guest copy
     * made with SDL_malloc (counted, and through the game's allocator). */
    char cwd[4096], want[4200];
    if (!getcwd(cwd, sizeof(cwd))) {
        strcpy(cwd, "?");
    }
    snprintf(want, sizeof(want), "%s/lorelei/guestside/", cwd);
    SDL_setenv("XDG_DATA_HOME", cwd, 1);
    int before = SDL_GetNumAllocations();
    char *pref = SDL_GetPrefPath("lorelei", "guestside");
    add("%s", pref && !strcmp(pref, want) ? "in XDG_DATA_HOME" : q(pref));
    add(" allocations %+d", SDL_GetNumAllocations() - before);
    SDL_free(pref);
    add(", after SDL_free %+d", SDL_GetNumAllocations() - before);
    emit("GetPrefPath set through SDL_setenv");
    SDL_malloc_func m;
    SDL_calloc_func c;
    SDL_realloc_func r;
    SDL_free_func f;
    SDL_GetMemoryFunctions(&m, &c, &r, &f);
    SDL_SetMemoryFunctions(custom_malloc, custom_calloc, custom_realloc, custom_free);
    custom_calls = 0;
    pref = SDL_GetPrefPath("lorelei", "guestside");
    SDL_free(pref);
    SDL_SetMemoryFunctions(m, c, r, f);
    out("GetPrefPath with the game's memory functions", "%d calls", custom_calls);
}

int main(int argc, char **argv)
{
    if (argc != 2 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: sdl_guestside DIR (an existing directory to work in)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The first error of a thread makes SDL allocate its error buffer:
     * counted natively, on the host under Lorelei. Done before any count. */
    SDL_SetError("warm-up");
    SDL_ClearError();
    SDL_version v;
    SDL_GetVersion(&v);
    out("SDL version", "%d.%d.%d", v.major, v.minor, v.patch);
    test_memory();
    test_mem_functions();
    test_printf();
    test_ctype();
    test_strings();
    test_iconv();
    test_sort();
    test_math();
    test_env();
    test_loadfile();
    test_rwops_file();
    test_rwops_mem();
    test_threads();
    test_cpu();
    test_objects();
    test_paths();
    out("end", "all sections ran");
    return 0;
}
