/*
 * libvorbisfile under qemu-lorelei, the way games use it: run natively and
 * under Lorelei by run_vorbisfile.py, which compares the printed lines and
 * the decoded samples (written to files, since an aarch64 host's float
 * decoding may differ from x86_64's by a rounding step).
 *
 *   usage: vf_test FILE.ogg OUTDIR
 *
 *   memory   a game's own source: callbacks over a buffer in memory (as
 *            SDL_RWops or a PhysFS file), the whole stream decoded
 *   fd       callbacks that read(2) straight into the buffer vorbisfile
 *            hands them (the host's under Lorelei), then a seek back and a
 *            second decode from there
 *   stream   no seek callback: an unseekable stream, as from a pipe
 *   test     ov_test_callbacks, then ov_test_open
 *   file     ov_fopen and ov_open (the guest's stdio), ov_read_float
 *   errors   data that is not Vorbis, a missing file
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vorbis/vorbisfile.h>

static const char *outdir;

struct memsrc {
    const unsigned char *data;
    long size, pos;
    int closed;
};

static size_t mem_read(void *ptr, size_t size, size_t nmemb, void *ds)
{
    struct memsrc *m = ds;
    size_t want = size * nmemb, left = (size_t)(m->size - m->pos);
    size_t n = want < left ? want : left;
    memcpy(ptr, m->data + m->pos, n);
    m->pos += (long)n;
    return size ? n / size : 0;
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

static int mem_close(void *ds)
{
    ((struct memsrc *)ds)->closed++;
    return 0;
}

/* Decodes what is left of vf into OUTDIR/NAME.raw; returns the bytes. */
static long decode(OggVorbis_File *vf, const char *name, int *errors)
{
    char path[512], buf[4096];
    snprintf(path, sizeof(path), "%s/%s.raw", outdir, name);
    FILE *out = fopen(path, "wb");
    long total = 0;
    int section = 0;
    for (;;) {
        long n = ov_read(vf, buf, sizeof(buf), 0, 2, 1, &section);
        if (n == OV_HOLE) {
            continue;
        }
        if (n < 0) {
            (*errors)++;
            break;
        }
        if (n == 0) {
            break;
        }
        fwrite(buf, 1, (size_t)n, out);
        total += n;
    }
    fclose(out);
    return total;
}

static void describe(OggVorbis_File *vf, const char *what)
{
    vorbis_info *vi = ov_info(vf, -1);
    vorbis_comment *vc = ov_comment(vf, -1);
    printf("%s channels=%d rate=%ld streams=%ld seekable=%ld pcm_total=%lld time_total=%.3f "
           "vendor=%s comments=%d",
           what, vi ? vi->channels : -1, vi ? vi->rate : -1, ov_streams(vf), ov_seekable(vf),
           (long long)ov_pcm_total(vf, -1), ov_time_total(vf, -1),
           vc && vc->vendor ? vc->vendor : "(none)", vc ? vc->comments : -1);
    for (int i = 0; vc && i < vc->comments; i++) {
        printf(" [%s]", vc->user_comments[i]);
    }
    printf("\n");
}

static unsigned char *slurp(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    rewind(f);
    unsigned char *d = malloc((size_t)*size);
    if (fread(d, 1, (size_t)*size, f) != (size_t)*size) {
        exit(1);
    }
    fclose(f);
    return d;
}

static void test_memory(const unsigned char *data, long size)
{
    struct memsrc m = {data, size, 0, 0};
    ov_callbacks cb = {mem_read, mem_seek, mem_close, mem_tell};
    OggVorbis_File vf;
    int rc = ov_open_callbacks(&m, &vf, NULL, 0, cb);
    printf("memory open=%d\n", rc);
    describe(&vf, "memory");
    int errors = 0;
    long bytes = decode(&vf, "memory", &errors);
    printf("memory decoded=%ld errors=%d pcm_tell=%lld\n", bytes, errors,
           (long long)ov_pcm_tell(&vf));
    int cleared = ov_clear(&vf);
    printf("memory clear=%d closed=%d\n", cleared, m.closed);
}

static size_t fd_read(void *ptr, size_t size, size_t nmemb, void *ds)
{
    ssize_t n = read(*(int *)ds, ptr, size * nmemb);
    return n > 0 ? (size_t)n / size : 0;
}

static int fd_seek(void *ds, ogg_int64_t off, int whence)
{
    return lseek(*(int *)ds, (off_t)off, whence) < 0 ? -1 : 0;
}

static long fd_tell(void *ds)
{
    return (long)lseek(*(int *)ds, 0, SEEK_CUR);
}

static int fd_close(void *ds)
{
    return close(*(int *)ds);
}

static void test_fd(const char *path)
{
    int fd = open(path, O_RDONLY);
    ov_callbacks cb = {fd_read, fd_seek, fd_close, fd_tell};
    OggVorbis_File vf;
    int rc = ov_open_callbacks(&fd, &vf, NULL, 0, cb);
    printf("fd open=%d\n", rc);
    int errors = 0;
    long bytes = decode(&vf, "fd", &errors);
    ogg_int64_t half = ov_pcm_total(&vf, -1) / 2;
    int seek = ov_pcm_seek(&vf, half);
    printf("fd decoded=%ld errors=%d pcm_seek=%d pcm_tell=%lld\n", bytes, errors, seek,
           (long long)ov_pcm_tell(&vf));
    long rest = decode(&vf, "fd-second-half", &errors);
    int time_seek = ov_time_seek(&vf, 1.0);
    printf("fd second_half=%ld errors=%d time_seek=%d time_tell=%.3f raw_total=%lld\n", rest,
           errors, time_seek, ov_time_tell(&vf), (long long)ov_raw_total(&vf, -1));
    int cleared = ov_clear(&vf);
    printf("fd clear=%d fd_closed=%d\n", cleared, fcntl(fd, F_GETFD) == -1 && errno == EBADF);
}

static void test_stream(const unsigned char *data, long size)
{
    struct memsrc m = {data, size, 0, 0};
    ov_callbacks cb = {mem_read, NULL, mem_close, NULL};
    OggVorbis_File vf;
    int rc = ov_open_callbacks(&m, &vf, NULL, 0, cb);
    printf("stream open=%d seekable=%ld pcm_seek=%d\n", rc, ov_seekable(&vf),
           ov_pcm_seek(&vf, 1000));
    int errors = 0;
    long bytes = decode(&vf, "stream", &errors);
    int cleared = ov_clear(&vf);
    printf("stream decoded=%ld errors=%d clear=%d closed=%d\n", bytes, errors, cleared, m.closed);
}

static void test_test(const unsigned char *data, long size)
{
    struct memsrc m = {data, size, 0, 0};
    ov_callbacks cb = {mem_read, mem_seek, mem_close, mem_tell};
    OggVorbis_File vf;
    int rc = ov_test_callbacks(&m, &vf, NULL, 0, cb);
    int open = ov_test_open(&vf);
    int again = ov_test_open(&vf); /* already open: OV_EINVAL, the stream stays */
    int errors = 0;
    long bytes = decode(&vf, "test", &errors);
    int cleared = ov_clear(&vf);
    printf("test test=%d test_open=%d again=%d decoded=%ld errors=%d clear=%d closed=%d\n", rc,
           open, again, bytes, errors, cleared, m.closed);
}

static void test_file(const char *path)
{
    OggVorbis_File vf;
    int rc = ov_fopen(path, &vf);
    float **pcm;
    int section = 0;
    long frames = 0;
    double sum = 0;
    for (;;) {
        long n = ov_read_float(&vf, &pcm, 1024, &section);
        if (n <= 0) {
            break;
        }
        frames += n;
        for (long i = 0; i < n; i++) {
            sum += pcm[0][i] < 0 ? -pcm[0][i] : pcm[0][i];
        }
    }
    /* The mean level to 3 digits: equal across hosts whose float rounding
     * differs in the last bit. */
    printf("file fopen=%d float_frames=%ld mean_level=%.3f clear=%d\n", rc, frames,
           frames ? sum / (double)frames : 0.0, ov_clear(&vf));
    FILE *f = fopen(path, "rb");
    rc = ov_open(f, &vf, NULL, 0);
    int errors = 0;
    long bytes = decode(&vf, "file", &errors);
    printf("file open=%d decoded=%ld errors=%d clear=%d\n", rc, bytes, errors, ov_clear(&vf));
}

static void test_errors(void)
{
    static unsigned char garbage[8192];
    for (size_t i = 0; i < sizeof(garbage); i++) {
        garbage[i] = (unsigned char)(i * 37 + 11);
    }
    struct memsrc m = {garbage, sizeof(garbage), 0, 0};
    ov_callbacks cb = {mem_read, mem_seek, mem_close, mem_tell};
    OggVorbis_File vf;
    int rc = ov_open_callbacks(&m, &vf, NULL, 0, cb);
    printf("errors garbage=%d (OV_ENOTVORBIS=%d) closed=%d\n", rc, OV_ENOTVORBIS, m.closed);
    printf("errors fopen_missing=%d\n", ov_fopen("/nonexistent/lorelei.ogg", &vf));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vf_test FILE.ogg OUTDIR\n");
        return 2;
    }
    outdir = argv[2];
    long size;
    unsigned char *data = slurp(argv[1], &size);
    test_memory(data, size);
    test_fd(argv[1]);
    test_stream(data, size);
    test_test(data, size);
    test_file(argv[1]);
    test_errors();
    free(data);
    return 0;
}
