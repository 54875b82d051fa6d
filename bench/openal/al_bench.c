/*
 * bench/openal's workload, an x86_64 guest program linked against
 * libopenal.so.1: what a game's audio costs, timed inside the program (no
 * start-up). Prints one line "WORKLOAD units=N seconds=S".
 *
 *   al_bench calls N   N rounds of a game's per-frame source updates: 32
 *                      sources each get a position, gain and pitch and are
 *                      asked for their state and offset (5 calls a source)
 *   al_bench mix N     N seconds of 44.1 kHz stereo float audio mixed from
 *                      32 looping sources with different pitches through the
 *                      loopback device (alcRenderSamplesSOFT), as fast as it
 *                      goes: OpenAL's mixer, the part that runs emulated
 *                      when OpenAL is not forwarded
 */
#define AL_ALEXT_PROTOTYPES
#include <AL/al.h>
#include <AL/alc.h>
#include <AL/alext.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RATE = 44100, SOURCES = 32, CHUNK = 1024 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static ALuint tone_buffer(void)
{
    short *s = malloc(sizeof(short) * RATE);
    for (int i = 0; i < RATE; i++) {
        s[i] = (short)(10000 * sin(2 * M_PI * 440.0 * i / RATE));
    }
    ALuint b = 0;
    alGenBuffers(1, &b);
    alBufferData(b, AL_FORMAT_MONO16, s, RATE * (int)sizeof(short), RATE);
    free(s);
    return b;
}

static void start_sources(ALuint *src, ALuint buffer)
{
    alGenSources(SOURCES, src);
    for (int i = 0; i < SOURCES; i++) {
        alSourcei(src[i], AL_BUFFER, (ALint)buffer);
        alSourcei(src[i], AL_LOOPING, AL_TRUE);
        alSourcef(src[i], AL_PITCH, 0.5f + (float)i / SOURCES);
        alSource3f(src[i], AL_POSITION, sinf((float)i), 0.0f, cosf((float)i));
    }
    alSourcePlayv(SOURCES, src);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "calls") != 0 && strcmp(argv[1], "mix") != 0)) {
        fprintf(stderr, "usage: %s calls|mix N\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    ALCdevice *dev = alcLoopbackOpenDeviceSOFT(NULL);
    ALCint attrs[] = {ALC_FORMAT_CHANNELS_SOFT,
                      ALC_STEREO_SOFT,
                      ALC_FORMAT_TYPE_SOFT,
                      ALC_FLOAT_SOFT,
                      ALC_FREQUENCY,
                      RATE,
                      0};
    ALCcontext *ctx = dev ? alcCreateContext(dev, attrs) : NULL;
    if (!ctx || !alcMakeContextCurrent(ctx)) {
        fprintf(stderr, "al_bench: no OpenAL loopback device\n");
        return 1;
    }
    ALuint buffer = tone_buffer(), src[SOURCES];
    start_sources(src, buffer);
    double start = now();
    float check = 0;
    if (strcmp(argv[1], "calls") == 0) {
        for (long r = 0; r < n; r++) {
            for (int i = 0; i < SOURCES; i++) {
                float t = (float)(r + i) * 0.01f;
                ALint state = 0;
                ALfloat offset = 0;
                alSource3f(src[i], AL_POSITION, sinf(t), 0.0f, cosf(t));
                alSourcef(src[i], AL_GAIN, 0.5f + 0.5f * sinf(t));
                alSourcef(src[i], AL_PITCH, 1.0f + 0.1f * cosf(t));
                alGetSourcei(src[i], AL_SOURCE_STATE, &state);
                alGetSourcef(src[i], AL_SEC_OFFSET, &offset);
                check += (float)state + offset;
            }
        }
    } else {
        float *out = malloc(sizeof(float) * 2 * CHUNK);
        for (long done = 0; done < n * RATE; done += CHUNK) {
            alcRenderSamplesSOFT(dev, out, CHUNK);
            check += out[done % (2 * CHUNK)];
        }
        free(out);
    }
    double took = now() - start;
    ALenum err = alGetError();
    printf("%s units=%ld seconds=%.6f error=0x%x check=%d\n", argv[1], n, took, err,
           check != check); /* check: keeps the work from being optimized out */
    alDeleteSources(SOURCES, src);
    alDeleteBuffers(1, &buffer);
    alcMakeContextCurrent(NULL);
    alcDestroyContext(ctx);
    alcCloseDevice(dev);
    return err == AL_NO_ERROR ? 0 : 1;
}
