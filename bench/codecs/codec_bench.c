/*
 * bench/codecs' workloads, an x86_64 guest program linked against libz.so.1
 * and libvorbisfile.so.3: what a game's loading and music decoding cost,
 * timed inside the program (no start-up). Prints one line
 * "WORKLOAD units=N seconds=S error=0x0 check=C".
 *
 *   codec_bench inflate N        N MiB inflated in 16 KiB pieces (a level or
 *                                archive loading)
 *   codec_bench rows N           N thousand inflate calls of 1 KiB each (a
 *                                PNG decoded row by row): the cost per call
 *   codec_bench vorbis N FILE    N seconds of FILE's audio decoded with
 *                                ov_read through callbacks over memory (as
 *                                SDL_RWops), 4 KiB at a time
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vorbis/vorbisfile.h>
#include <zlib.h>

enum { DATA = 4 << 20 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* 4 MiB of words, compressed once (not timed). */
static unsigned char *packed_data(uLong *packed_size)
{
    unsigned char *d = malloc(DATA);
    unsigned x = 1;
    static const char *words[] = {"tile ", "sprite ", "level ", "enemy ", "coin ", "door\n"};
    for (size_t i = 0; i < DATA;) {
        x = x * 1103515245u + 12345u;
        for (const char *w = words[(x >> 16) % 6]; *w && i < DATA; w++) {
            d[i++] = (unsigned char)*w;
        }
    }
    *packed_size = compressBound(DATA);
    unsigned char *p = malloc(*packed_size);
    compress2(p, packed_size, d, DATA, 6);
    free(d);
    return p;
}

/* Inflates the packed data in pieces of `piece` bytes until `total` bytes
 * came out; returns a checksum of the last piece. */
static unsigned long inflate_pieces(const unsigned char *packed, uLong packed_size, size_t piece,
                                    size_t total, int *err)
{
    unsigned char *out = malloc(piece);
    unsigned long check = 0;
    size_t done = 0;
    while (done < total) {
        z_stream s = {0};
        inflateInit(&s);
        s.next_in = (Bytef *)packed;
        s.avail_in = (uInt)packed_size;
        int rc = Z_OK;
        while (rc == Z_OK && done < total) {
            s.next_out = out;
            s.avail_out = (uInt)piece;
            rc = inflate(&s, Z_NO_FLUSH);
            done += piece - s.avail_out;
            check = crc32(check, out, (uInt)(piece - s.avail_out));
        }
        if (rc != Z_OK && rc != Z_STREAM_END) {
            *err = rc;
        }
        inflateEnd(&s);
    }
    free(out);
    return check;
}

struct memsrc {
    const unsigned char *data;
    long size, pos;
};

static size_t mem_read(void *ptr, size_t size, size_t nmemb, void *ds)
{
    struct memsrc *m = ds;
    size_t want = size * nmemb, left = (size_t)(m->size - m->pos);
    size_t n = want < left ? want : left;
    memcpy(ptr, m->data + m->pos, n);
    m->pos += (long)n;
    return n / size;
}

static int mem_seek(void *ds, ogg_int64_t off, int whence)
{
    struct memsrc *m = ds;
    long base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size;
    if (base + off < 0 || base + off > m->size) {
        return -1;
    }
    m->pos = (long)(base + off);
    return 0;
}

static long mem_tell(void *ds)
{
    return ((struct memsrc *)ds)->pos;
}

/* Decodes FILE from the start, again and again, until `seconds` of audio
 * came out; returns the frames decoded. */
static long decode_seconds(const char *path, long seconds, int *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = 1;
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    unsigned char *data = malloc((size_t)size);
    if (fread(data, 1, (size_t)size, f) != (size_t)size) {
        *err = 2;
    }
    fclose(f);
    ov_callbacks cb = {mem_read, mem_seek, NULL, mem_tell};
    long frames = 0, want = 0;
    char buf[4096];
    while (*err == 0 && (want == 0 || frames < want)) {
        struct memsrc m = {data, size, 0};
        OggVorbis_File vf;
        if (ov_open_callbacks(&m, &vf, NULL, 0, cb) != 0) {
            *err = 3;
            break;
        }
        vorbis_info *vi = ov_info(&vf, -1);
        want = seconds * vi->rate;
        int section = 0;
        long n;
        while (frames < want && (n = ov_read(&vf, buf, sizeof(buf), 0, 2, 1, &section)) > 0) {
            frames += n / (2 * vi->channels);
        }
        ov_clear(&vf);
    }
    free(data);
    return frames;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 0;
    if (n <= 0 || (strcmp(argv[1], "vorbis") == 0 && argc < 4)) {
        fprintf(stderr, "usage: codec_bench inflate|rows N, or codec_bench vorbis N FILE\n");
        return 2;
    }
    int err = 0;
    unsigned long check = 0;
    double start = 0, took = 0;
    if (strcmp(argv[1], "vorbis") == 0) {
        start = now();
        check = (unsigned long)decode_seconds(argv[3], n, &err);
        took = now() - start;
    } else {
        uLong packed_size;
        unsigned char *packed = packed_data(&packed_size);
        int rows = strcmp(argv[1], "rows") == 0;
        start = now();
        check = rows ? inflate_pieces(packed, packed_size, 1024, (size_t)n * 1000 * 1024, &err)
                     : inflate_pieces(packed, packed_size, 16384, (size_t)n << 20, &err);
        took = now() - start;
        free(packed);
    }
    printf("%s units=%ld seconds=%.6f error=0x%x check=%lu\n", argv[1], n, took, err, check);
    return err != 0;
}
