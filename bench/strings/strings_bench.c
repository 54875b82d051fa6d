/*
 * bench/strings' workloads, an x86_64 guest program: glibc's memcpy and
 * memset at the sizes games copy and clear (vertex and texture data, audio
 * buffers, freshly allocated arrays), timed inside the program (no
 * start-up). Which code glibc runs for them depends on the CPUID features
 * the guest sees: with ERMS/FSRM, REP MOVSB/STOSB above a few KiB. Prints
 * one line "WORKLOAD units=N seconds=S error=0x0 check=C".
 *
 *   strings_bench copy SIZE MIB   MIB MiB copied by memcpy calls of SIZE bytes
 *   strings_bench fill SIZE MIB   MIB MiB cleared by memset calls of SIZE bytes
 *   strings_bench span LEN KCALLS KCALLS thousand strcspn and as many strspn
 *                                 calls on words of LEN characters, as a
 *                                 parser splits its input into tokens
 *                                 (glibc has SSE4.2 versions built on
 *                                 PCMPISTRI, which QEMU runs byte by byte)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* LEN-character words of lowercase letters, each ended by one of the
 * reject set's characters: strcspn(word, REJECT) and strspn(word, LETTERS)
 * are LEN for every one. */
#define N_WORDS 64
#define REJECT  " \t,;:=()"
#define LETTERS "abcdefghijklmnopqrstuvwxyz"

static int span(size_t len, unsigned long kcalls)
{
    if (len == 0 || len > 4096 || kcalls == 0) {
        fprintf(stderr, "strings_bench: LEN must be 1 to 4096 and KCALLS at least 1\n");
        return 2;
    }
    char *words[N_WORDS];
    for (int w = 0; w < N_WORDS; w++) {
        words[w] = malloc(len + 2);
        if (words[w] == NULL) {
            fprintf(stderr, "strings_bench: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < len; i++) {
            words[w][i] = LETTERS[(i * 7 + (size_t)w) % 26];
        }
        words[w][len] = REJECT[w % (sizeof(REJECT) - 1)];
        words[w][len + 1] = '\0';
    }
    const unsigned long calls = kcalls * 1000;
    unsigned long check = 0;
    int error = 0;
    const double start = now();
    for (unsigned long k = 0; k < calls; k++) {
        const char *word = words[k % N_WORDS];
        size_t a = strcspn(word, REJECT), b = strspn(word, LETTERS);
        error |= a != len || b != len;
        check += a + b;
    }
    const double seconds = now() - start;
    printf("span units=%lu seconds=%.6f error=0x%x check=%lu\n", kcalls, seconds, error, check);
    for (int w = 0; w < N_WORDS; w++) {
        free(words[w]);
    }
    return error;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "span") == 0) {
        return span(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
    }
    if (argc != 4 || (strcmp(argv[1], "copy") != 0 && strcmp(argv[1], "fill") != 0)) {
        fprintf(stderr, "usage: strings_bench copy|fill SIZE MIB | span LEN KCALLS\n");
        return 2;
    }
    const int copy = strcmp(argv[1], "copy") == 0;
    const size_t size = strtoul(argv[2], NULL, 10);
    const unsigned long mib = strtoul(argv[3], NULL, 10);
    if (size == 0 || size > (64u << 20) || mib == 0) {
        fprintf(stderr, "strings_bench: SIZE must be 1 byte to 64 MiB and MIB at least 1\n");
        return 2;
    }
    unsigned char *src = malloc(size), *dst = malloc(size);
    if (src == NULL || dst == NULL) {
        fprintf(stderr, "strings_bench: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < size; i++) {
        src[i] = (unsigned char)(i * 7u);
    }
    memset(dst, 0, size);
    const unsigned long calls = (unsigned long)(((unsigned long long)mib << 20) / size);
    unsigned long check = 0;
    const double start = now();
    for (unsigned long k = 0; k < calls; k++) {
        if (copy) {
            src[k % size] = (unsigned char)k; /* a copy the compiler cannot hoist */
            memcpy(dst, src, size);
        } else {
            memset(dst, (int)(k & 0xff), size);
        }
        /* The buffer is read after every call, so no call can be dropped. */
        __asm__ volatile("" : : "r"(dst) : "memory");
        check += dst[k % size];
    }
    const double seconds = now() - start;
    /* Every byte of the last call is what it must be. */
    int error = 0;
    for (size_t i = 0; i < size; i++) {
        unsigned char want = copy ? src[i] : (unsigned char)((calls - 1) & 0xff);
        error |= dst[i] != want;
    }
    printf("%s units=%lu seconds=%.6f error=0x%x check=%lu\n", argv[1], mib, seconds, error, check);
    free(src);
    free(dst);
    return error;
}
