/*
 * zlib under qemu-lorelei: what zlib's own example.c and minigzip.c do not
 * reach. Run natively and under Lorelei by run_zlib.py, which compares the
 * output line by line, so every line is a value both runs must agree on.
 *
 *   stream   deflate/inflate of 4 MiB through a stream whose zalloc/zfree are
 *            the program's (the host's allocator replaces them: the data must
 *            still round-trip, and inflateEnd must not call the program's)
 *   header   a gzip header read into the program's buffers (inflateGetHeader)
 *   back     inflateBack, whose in/out functions are program callbacks
 *   sums     crc32, adler32 and their combine functions over the same data
 *   errors   what zlib answers for bad input, a missing file and bad modes
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DATA_SIZE (4u << 20)

static unsigned char *make_data(void)
{
    /* Compressible but not trivial: words from a small LCG. */
    unsigned char *d = malloc(DATA_SIZE);
    uint32_t x = 12345;
    static const char *words[] = {"lorelei ", "qemu ", "zlib ", "stream ", "guest ", "host\n"};
    for (size_t i = 0; i < DATA_SIZE;) {
        x = x * 1103515245u + 12345u;
        const char *w = words[(x >> 16) % 6];
        for (size_t k = 0; w[k] && i < DATA_SIZE; k++) {
            d[i++] = (unsigned char)w[k];
        }
    }
    return d;
}

static int guest_allocs, guest_frees;

static voidpf counting_alloc(voidpf opaque, uInt items, uInt size)
{
    (*(int *)opaque)++;
    guest_allocs++;
    return calloc(items, size);
}

static void counting_free(voidpf opaque, voidpf address)
{
    (void)opaque;
    guest_frees++;
    free(address);
}

static void test_stream(const unsigned char *data)
{
    int opaque_calls = 0;
    uLong bound = compressBound(DATA_SIZE);
    unsigned char *packed = malloc(bound), *back = malloc(DATA_SIZE);
    z_stream c = {.zalloc = counting_alloc, .zfree = counting_free, .opaque = &opaque_calls};
    int rc = deflateInit2(&c, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);
    c.next_in = (Bytef *)data;
    c.avail_in = DATA_SIZE;
    c.next_out = packed;
    c.avail_out = (uInt)bound;
    int drc = deflate(&c, Z_FINISH);
    uLong packed_size = c.total_out;
    int erc = deflateEnd(&c);
    printf("stream deflateInit2=%d deflate=%d deflateEnd=%d size=%lu\n", rc, drc, erc, packed_size);

    z_stream d = {.zalloc = counting_alloc, .zfree = counting_free, .opaque = &opaque_calls};
    rc = inflateInit2(&d, 15);
    /* Small output windows: many calls, as a game's loader makes them. */
    d.next_in = packed;
    d.avail_in = (uInt)packed_size;
    int irc = Z_OK;
    while (irc == Z_OK) {
        d.next_out = back + d.total_out;
        d.avail_out = DATA_SIZE - d.total_out < 4096 ? DATA_SIZE - (uInt)d.total_out : 4096;
        irc = inflate(&d, Z_NO_FLUSH);
    }
    int same = d.total_out == DATA_SIZE && memcmp(back, data, DATA_SIZE) == 0;
    erc = inflateEnd(&d);
    printf("stream inflateInit2=%d inflate=%d inflateEnd=%d same=%d\n", rc, irc, erc, same);
    /* Whoever allocated (the program natively, the host under Lorelei), the
     * program's free function saw exactly the blocks its alloc made. */
    printf("stream allocs_balanced=%d\n", guest_allocs == guest_frees);
    free(packed);
    free(back);
}

static void test_header(void)
{
    static const char text[] = "a gzip member with a name and a comment\n";
    unsigned char packed[512], out[128];
    z_stream c = {0};
    deflateInit2(&c, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    gz_header h = {.text = 1,
                   .time = 1234567890,
                   .os = 3,
                   .name = (Bytef *)"level1.map",
                   .comment = (Bytef *)"made by zlib_test",
                   .hcrc = 1};
    int src = deflateSetHeader(&c, &h);
    c.next_in = (Bytef *)text;
    c.avail_in = sizeof(text) - 1;
    c.next_out = packed;
    c.avail_out = sizeof(packed);
    deflate(&c, Z_FINISH);
    uLong n = c.total_out;
    deflateEnd(&c);

    char name[32] = {0}, comment[32] = {0};
    gz_header got = {.name = (Bytef *)name,
                     .name_max = sizeof(name),
                     .comment = (Bytef *)comment,
                     .comm_max = sizeof(comment)};
    z_stream d = {0};
    inflateInit2(&d, 15 + 16);
    int grc = inflateGetHeader(&d, &got);
    d.next_in = packed;
    d.avail_in = (uInt)n;
    d.next_out = out;
    d.avail_out = sizeof(out);
    int irc = inflate(&d, Z_FINISH);
    printf("header set=%d get=%d inflate=%d done=%d text=%d time=%lu os=%d name=%s comment=%s "
           "hcrc=%d data_ok=%d\n",
           src, grc, irc, got.done, got.text, (unsigned long)got.time, got.os, name, comment,
           got.hcrc, d.total_out == sizeof(text) - 1 && memcmp(out, text, d.total_out) == 0);
    inflateEnd(&d);
}

struct back_io {
    const unsigned char *in;
    unsigned in_left, in_chunk;
    unsigned char *out;
    size_t out_len, out_calls, in_calls;
};

static unsigned back_in(void *desc, z_const unsigned char **buf)
{
    struct back_io *io = desc;
    io->in_calls++;
    unsigned n = io->in_left < io->in_chunk ? io->in_left : io->in_chunk;
    *buf = (z_const unsigned char *)io->in;
    io->in += n;
    io->in_left -= n;
    return n;
}

static int back_out(void *desc, unsigned char *buf, unsigned len)
{
    struct back_io *io = desc;
    io->out_calls++;
    memcpy(io->out + io->out_len, buf, len);
    io->out_len += len;
    return 0;
}

static void test_back(const unsigned char *data)
{
    /* inflateBack reads raw deflate data. */
    enum { SIZE = 256 * 1024 };
    unsigned char *packed = malloc(compressBound(SIZE)), *out = malloc(SIZE);
    z_stream c = {0};
    deflateInit2(&c, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    c.next_in = (Bytef *)data;
    c.avail_in = SIZE;
    c.next_out = packed;
    c.avail_out = (uInt)compressBound(SIZE);
    deflate(&c, Z_FINISH);
    unsigned n = (unsigned)c.total_out;
    deflateEnd(&c);

    static unsigned char window[1u << 15];
    z_stream d = {0};
    int irc = inflateBackInit(&d, 15, window);
    struct back_io io = {.in = packed, .in_left = n, .in_chunk = 1000, .out = out};
    int brc = inflateBack(&d, back_in, &io, back_out, &io);
    int erc = inflateBackEnd(&d);
    printf("back init=%d inflateBack=%d end=%d in_calls=%zu out_calls=%zu same=%d\n", irc, brc, erc,
           io.in_calls, io.out_calls, io.out_len == SIZE && memcmp(out, data, SIZE) == 0);
    free(packed);
    free(out);
}

static void test_sums(const unsigned char *data)
{
    uLong half = DATA_SIZE / 2;
    uLong c1 = crc32(0, data, (uInt)half), c2 = crc32(0, data + half, (uInt)half);
    uLong a1 = adler32(1, data, (uInt)half), a2 = adler32(1, data + half, (uInt)half);
    printf("sums crc32=%08lx combined=%08lx adler32=%08lx combined=%08lx crc32_z=%08lx "
           "table0=%08lx\n",
           crc32(0, data, DATA_SIZE), crc32_combine(c1, c2, (z_off_t)half),
           adler32(1, data, DATA_SIZE), adler32_combine(a1, a2, (z_off_t)half),
           crc32_z(0, data, DATA_SIZE), (unsigned long)get_crc_table()[1]);
}

static void test_errors(void)
{
    unsigned char garbage[64], out[64];
    memset(garbage, 0x5a, sizeof(garbage));
    uLongf out_len = sizeof(out);
    int urc = uncompress(out, &out_len, garbage, sizeof(garbage));
    z_stream d = {0};
    inflateInit(&d);
    d.next_in = garbage;
    d.avail_in = sizeof(garbage);
    d.next_out = out;
    d.avail_out = sizeof(out);
    int irc = inflate(&d, Z_NO_FLUSH);
    /* msg is the library's own string: readable, and printable. */
    printf("errors uncompress=%d inflate=%d msg=%s zError=%s\n", urc, irc, d.msg ? d.msg : "(none)",
           zError(Z_DATA_ERROR));
    inflateEnd(&d);
    z_stream never = {0};
    printf("errors inflate_uninitialised=%d\n", inflate(&never, Z_NO_FLUSH));

    errno = 0;
    gzFile missing = gzopen("/nonexistent/lorelei.gz", "rb");
    printf("errors gzopen_missing=%s errno=%s\n", missing ? "opened" : "NULL",
           errno == ENOENT ? "ENOENT" : "other");
    printf("errors gzopen_plus=%s gzopen_nomode=%s\n",
           gzopen("zlib_test.gz", "r+") ? "opened" : "NULL",
           gzopen("zlib_test.gz", "6") ? "opened" : "NULL");
    gzFile w = gzopen("zlib_test.gz", "wb9");
    int put = gzprintf(w, "%s %d %.2f\n", "printf", 42, 3.5);
    int close_w = gzclose(w);
    gzFile r = gzopen("zlib_test.gz", "rb");
    char line[64] = {0};
    gzgets(r, line, sizeof(line));
    int eof_getc = gzgetc(r);
    int close_r = gzclose(r);
    printf("errors gzprintf=%d close=%d line=%s getc_at_end=%d close=%d\n", put, close_w,
           strtok(line, "\n"), eof_getc, close_r);
    remove("zlib_test.gz");
}

int main(void)
{
    unsigned char *data = make_data();
    printf("zlib %s\n", zlibVersion());
    test_stream(data);
    test_header();
    test_back(data);
    test_sums(data);
    test_errors();
    free(data);
    return 0;
}
