/*
 * x86_64 guest program exercising OpenAL the way games do. Linked against
 * libopenal.so.1 it runs natively with the host's OpenAL Soft; under
 * qemu-lorelei the stub takes its place. run_openal.py compares the two
 * runs' output line for line: every value printed is deterministic.
 *
 *   al_test all     devices, strings, buffers, sources, queueing, EFX,
 *                   procedure lookups, events, and loopback rendering
 *                   (checksums of the mixed samples)
 */
#define AL_ALEXT_PROTOTYPES
#include <AL/al.h>
#include <AL/alc.h>
#include <AL/alext.h>
#include <AL/efx.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* OpenAL Soft 1.19 exports these (AL_SOFTX_events) without declaring them. */
typedef void (*event_proc)(ALenum type, ALuint object, ALuint param, ALsizei length,
                           const ALchar *message, void *user);
void alEventControlSOFT(ALsizei count, const ALenum *types, ALboolean enable);
void alEventCallbackSOFT(event_proc callback, void *user);
void *alGetPointerSOFT(ALenum pname);

enum { RATE = 44100 };

static int check_al(const char *what)
{
    ALenum e = alGetError();
    if (e != AL_NO_ERROR) {
        printf("al_error %s=0x%x\n", what, e);
    }
    return e == AL_NO_ERROR;
}

static void print_list(const char *name, const ALCchar *list)
{
    printf("%s:", name);
    for (const ALCchar *p = list; p && *p; p += strlen(p) + 1) {
        printf(" [%s]", p);
    }
    printf("\n");
}

/* A sine tone with a harmonic, 16-bit mono. */
static short *tone(double hz, int frames)
{
    short *s = malloc(sizeof(short) * (size_t)frames);
    for (int i = 0; i < frames; i++) {
        double t = (double)i / RATE;
        s[i] = (short)(12000 * sin(2 * M_PI * hz * t) + 3000 * sin(2 * M_PI * 3 * hz * t));
    }
    return s;
}

static ALuint make_buffer(double hz, int frames)
{
    short *s = tone(hz, frames);
    ALuint b = 0;
    alGenBuffers(1, &b);
    alBufferData(b, AL_FORMAT_MONO16, s, frames * (int)sizeof(short), RATE);
    free(s);
    return b;
}

static uint64_t fnv(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

/* ---- device and context queries ---------------------------------------------- */

static void devices(void)
{
    printf("enumeration=%d enumerate_all=%d\n", alcIsExtensionPresent(NULL, "ALC_ENUMERATION_EXT"),
           alcIsExtensionPresent(NULL, "ALC_ENUMERATE_ALL_EXT"));
    print_list("devices", alcGetString(NULL, ALC_DEVICE_SPECIFIER));
    print_list("all_devices", alcGetString(NULL, ALC_ALL_DEVICES_SPECIFIER));
    print_list("capture_devices", alcGetString(NULL, ALC_CAPTURE_DEVICE_SPECIFIER));
    const ALCchar *def = alcGetString(NULL, ALC_DEFAULT_DEVICE_SPECIFIER);
    printf("default_device=%s\n", def ? def : "(null)");
    /* A syscall reads the whole list: it must be guest memory. */
    const ALCchar *list = alcGetString(NULL, ALC_ALL_DEVICES_SPECIFIER);
    size_t len = 0;
    while (list && list[len]) {
        len += strlen(list + len) + 1;
    }
    FILE *null = fopen("/dev/null", "w");
    long written = list && null ? (long)write(fileno(null), list, len + 1) : -1;
    if (null) {
        fclose(null);
    }
    printf("device_list_written=%d\n", written == (long)len + 1);
}

static void strings_and_state(ALCdevice *dev)
{
    ALCint major = 0, minor = 0;
    alcGetIntegerv(dev, ALC_MAJOR_VERSION, 1, &major);
    alcGetIntegerv(dev, ALC_MINOR_VERSION, 1, &minor);
    printf("alc_version=%d.%d\n", major, minor);
    printf("device_name=%s\n", alcGetString(dev, ALC_ALL_DEVICES_SPECIFIER));
    printf("alc_extensions=%s\n", alcGetString(dev, ALC_EXTENSIONS));
    printf("vendor=%s renderer=%s version=%s\n", alGetString(AL_VENDOR), alGetString(AL_RENDERER),
           alGetString(AL_VERSION));
    printf("extensions=%s\n", alGetString(AL_EXTENSIONS));
    printf("efx=%d loopback=%d float32=%d\n", alcIsExtensionPresent(dev, "ALC_EXT_EFX"),
           alcIsExtensionPresent(dev, "ALC_SOFT_loopback"), alIsExtensionPresent("AL_EXT_FLOAT32"));
    printf("enum AL_FORMAT_MONO16=0x%x ALC_FREQUENCY=0x%x\n", alGetEnumValue("AL_FORMAT_MONO16"),
           alcGetEnumValue(dev, "ALC_FREQUENCY"));
    printf("error_string=%s\n", alGetString(AL_INVALID_VALUE));
    alDistanceModel(AL_LINEAR_DISTANCE_CLAMPED);
    alDopplerFactor(0.5f);
    alSpeedOfSound(300.0f);
    printf("distance_model=0x%x doppler=%.2f speed=%.1f\n", alGetInteger(AL_DISTANCE_MODEL),
           alGetFloat(AL_DOPPLER_FACTOR), alGetFloat(AL_SPEED_OF_SOUND));
    alDistanceModel(AL_INVERSE_DISTANCE_CLAMPED);
    /* A bad enum sets an error: AL_INVALID_ENUM. */
    alGetInteger(0x7fff);
    ALenum first = alGetError(), then = alGetError();
    printf("bad_enum_error=0x%x then=0x%x\n", first, then);
    check_al("state");
}

/* ---- buffers, sources, queues ---------------------------------------------------- */

static void buffers_and_sources(void)
{
    ALuint b = make_buffer(440.0, RATE / 2);
    ALint size = 0, freq = 0, bits = 0, channels = 0;
    alGetBufferi(b, AL_SIZE, &size);
    alGetBufferi(b, AL_FREQUENCY, &freq);
    alGetBufferi(b, AL_BITS, &bits);
    alGetBufferi(b, AL_CHANNELS, &channels);
    printf("buffer is=%d size=%d freq=%d bits=%d channels=%d\n", alIsBuffer(b), size, freq, bits,
           channels);

    ALuint src[4];
    alGenSources(4, src);
    alSource3f(src[0], AL_POSITION, 1.0f, 2.0f, -3.0f);
    ALfloat vel[3] = {0.5f, 0.0f, -0.25f};
    alSourcefv(src[0], AL_VELOCITY, vel);
    alSourcef(src[0], AL_GAIN, 0.75f);
    alSourcef(src[0], AL_PITCH, 1.5f);
    alSourcei(src[0], AL_LOOPING, AL_TRUE);
    alSourcei(src[0], AL_BUFFER, (ALint)b);
    ALfloat pos[3] = {0}, got_vel[3] = {0}, gain = 0, pitch = 0;
    ALint looping = 0, buffer = 0, type = 0;
    alGetSource3f(src[0], AL_POSITION, &pos[0], &pos[1], &pos[2]);
    alGetSourcefv(src[0], AL_VELOCITY, got_vel);
    alGetSourcef(src[0], AL_GAIN, &gain);
    alGetSourcef(src[0], AL_PITCH, &pitch);
    alGetSourcei(src[0], AL_LOOPING, &looping);
    alGetSourcei(src[0], AL_BUFFER, &buffer);
    alGetSourcei(src[0], AL_SOURCE_TYPE, &type);
    printf("source pos=%.2f,%.2f,%.2f vel=%.2f,%.2f,%.2f gain=%.2f pitch=%.2f looping=%d "
           "buffer_ok=%d type=0x%x\n",
           pos[0], pos[1], pos[2], got_vel[0], got_vel[1], got_vel[2], gain, pitch, looping,
           buffer == (ALint)b, type);
    ALdouble dpos[3] = {0};
    alSource3dSOFT(src[0], AL_POSITION, 0.125, 0.25, 0.5);
    alGetSourcedvSOFT(src[0], AL_POSITION, dpos);
    printf("source_d pos=%.3f,%.3f,%.3f\n", dpos[0], dpos[1], dpos[2]);

    alListener3f(AL_POSITION, 0.0f, 0.0f, 1.0f);
    ALfloat orient[6] = {0, 0, -1, 0, 1, 0}, got_orient[6] = {0};
    alListenerfv(AL_ORIENTATION, orient);
    alGetListenerfv(AL_ORIENTATION, got_orient);
    printf("listener orientation=%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n", got_orient[0], got_orient[1],
           got_orient[2], got_orient[3], got_orient[4], got_orient[5]);

    ALint state = 0;
    alSourcePlay(src[0]);
    alGetSourcei(src[0], AL_SOURCE_STATE, &state);
    printf("state_after_play=0x%x\n", state);
    alSourcePause(src[0]);
    alGetSourcei(src[0], AL_SOURCE_STATE, &state);
    printf("state_after_pause=0x%x\n", state);
    alSourceStopv(1, src);
    alGetSourcei(src[0], AL_SOURCE_STATE, &state);
    printf("state_after_stop=0x%x\n", state);
    alSourceRewind(src[0]);
    alGetSourcei(src[0], AL_SOURCE_STATE, &state);
    printf("state_after_rewind=0x%x\n", state);

    /* Streaming: queue three buffers, unqueue them again. */
    ALuint q[3] = {make_buffer(220.0, 4096), make_buffer(330.0, 4096), make_buffer(550.0, 4096)};
    alSourceQueueBuffers(src[1], 3, q);
    ALint queued = 0, processed = 0;
    alGetSourcei(src[1], AL_BUFFERS_QUEUED, &queued);
    alSourcePlay(src[1]);
    alSourceStop(src[1]); /* a stopped source has processed all it had queued */
    alGetSourcei(src[1], AL_BUFFERS_PROCESSED, &processed);
    ALuint back[3] = {0};
    alSourceUnqueueBuffers(src[1], 3, back);
    printf("queued=%d processed=%d unqueued_in_order=%d\n", queued, processed,
           back[0] == q[0] && back[1] == q[1] && back[2] == q[2]);
    check_al("sources");

    alDeleteSources(4, src);
    alDeleteBuffers(3, q);
    alDeleteBuffers(1, &b);
    printf("deleted is_source=%d is_buffer=%d\n", alIsSource(src[0]), alIsBuffer(b));
    check_al("delete");
}

/* ---- procedure lookups ------------------------------------------------------------ */

static void lookups(ALCdevice *dev)
{
    printf("proc alGenSources_is_own=%d alcLoopback_is_own=%d efx_is_own=%d unknown=%d "
           "unknown_alc=%d\n",
           alGetProcAddress("alGenSources") == (void *)alGenSources,
           alcGetProcAddress(dev, "alcLoopbackOpenDeviceSOFT") == (void *)alcLoopbackOpenDeviceSOFT,
           alGetProcAddress("alGenEffects") == (void *)alGenEffects,
           alGetProcAddress("alNoSuchFunction") == NULL,
           alcGetProcAddress(dev, "alcNoSuchFunction") == NULL);
    /* A game calls through what it got. */
    LPALGENBUFFERS gen = (LPALGENBUFFERS)alGetProcAddress("alGenBuffers");
    LPALDELETEBUFFERS del = (LPALDELETEBUFFERS)alGetProcAddress("alDeleteBuffers");
    ALuint b = 0;
    gen(1, &b);
    printf("proc_call is_buffer=%d\n", alIsBuffer(b));
    del(1, &b);
}

/* ---- rendering through the loopback device ----------------------------------------- */

static atomic_int events_seen;
static atomic_uint event_object;
static atomic_int events_user_ok;

static void on_event(ALenum type, ALuint object, ALuint param, ALsizei length,
                     const ALchar *message, void *user)
{
    (void)type, (void)param, (void)length, (void)message;
    atomic_store(&event_object, object);
    atomic_store(&events_user_ok, user == (void *)&events_seen);
    atomic_fetch_add(&events_seen, 1);
}

static ALCdevice *open_loopback(ALCenum channels, ALCenum type, ALCcontext **ctx)
{
    ALCdevice *dev = alcLoopbackOpenDeviceSOFT(NULL);
    if (!dev) {
        printf("loopback: no device\n");
        return NULL;
    }
    printf("loopback supported=%d\n", alcIsRenderFormatSupportedSOFT(dev, RATE, channels, type));
    ALCint attrs[] = {ALC_FORMAT_CHANNELS_SOFT,
                      channels,
                      ALC_FORMAT_TYPE_SOFT,
                      type,
                      ALC_FREQUENCY,
                      RATE,
                      ALC_HRTF_SOFT,
                      ALC_FALSE,
                      0};
    *ctx = alcCreateContext(dev, attrs);
    alcMakeContextCurrent(*ctx);
    printf("loopback current=%d device_matches=%d\n", alcGetCurrentContext() == *ctx,
           alcGetContextsDevice(*ctx) == dev);
    return dev;
}

static void close_loopback(ALCdevice *dev, ALCcontext *ctx)
{
    alcMakeContextCurrent(NULL);
    alcDestroyContext(ctx);
    printf("loopback closed=%d\n", alcCloseDevice(dev));
}

/* Two tones on either side, a third moving, rendered in chunks. */
static void render_scene(ALCdevice *dev, int frames, int frame_bytes, const char *what)
{
    ALuint b[3] = {make_buffer(440.0, RATE), make_buffer(660.0, RATE),
                   make_buffer(880.0, RATE / 4)};
    ALuint s[3];
    alGenSources(3, s);
    for (int i = 0; i < 3; i++) {
        alSourcei(s[i], AL_BUFFER, (ALint)b[i]);
        alSource3f(s[i], AL_POSITION, (float)i - 1.0f, 0.0f, -1.0f);
    }
    alSourcef(s[1], AL_GAIN, 0.5f);
    alSourcePlayv(3, s);
    enum { CHUNK = 1024 };
    unsigned char *buf = malloc((size_t)CHUNK * (size_t)frame_bytes);
    uint64_t hash = 0xcbf29ce484222325ull;
    for (int done = 0; done < frames; done += CHUNK) {
        alSource3f(s[2], AL_POSITION, -1.0f + 2.0f * (float)done / (float)frames, 0.0f, -1.0f);
        alcRenderSamplesSOFT(dev, buf, CHUNK);
        hash = fnv(buf, (size_t)CHUNK * (size_t)frame_bytes, hash);
    }
    ALint state = 0;
    alGetSourcei(s[2], AL_SOURCE_STATE, &state);
    printf("render %s frames=%d hash=%016llx short_source_state=0x%x\n", what, frames,
           (unsigned long long)hash, state);
    free(buf);
    alDeleteSources(3, s);
    alDeleteBuffers(3, b);
    check_al(what);
}

static void loopback(void)
{
    ALCcontext *ctx = NULL;
    ALCdevice *dev = open_loopback(ALC_STEREO_SOFT, ALC_SHORT_SOFT, &ctx);
    if (!dev) {
        return;
    }
    ALCint hrtfs = 0;
    alcGetIntegerv(dev, ALC_NUM_HRTF_SPECIFIERS_SOFT, 1, &hrtfs);
    printf("hrtfs=%d", hrtfs);
    for (int i = 0; i < hrtfs; i++) {
        printf(" [%s]", alcGetStringiSOFT(dev, ALC_HRTF_SPECIFIER_SOFT, i));
    }
    printf("\n");
    lookups(dev);
    render_scene(dev, RATE, 4, "stereo16");

    /* EFX: a reverb on an auxiliary slot, fed by one source. */
    ALuint effect = 0, slot = 0, filter = 0;
    alGenEffects(1, &effect);
    alEffecti(effect, AL_EFFECT_TYPE, AL_EFFECT_REVERB);
    alEffectf(effect, AL_REVERB_DECAY_TIME, 2.5f);
    alGenAuxiliaryEffectSlots(1, &slot);
    alAuxiliaryEffectSloti(slot, AL_EFFECTSLOT_EFFECT, (ALint)effect);
    alGenFilters(1, &filter);
    alFilteri(filter, AL_FILTER_TYPE, AL_FILTER_LOWPASS);
    alFilterf(filter, AL_LOWPASS_GAINHF, 0.3f);
    ALint etype = 0;
    ALfloat decay = 0;
    alGetEffecti(effect, AL_EFFECT_TYPE, &etype);
    alGetEffectf(effect, AL_REVERB_DECAY_TIME, &decay);
    printf("efx effect_type=0x%x decay=%.2f is_slot=%d is_filter=%d\n", etype, decay,
           alIsAuxiliaryEffectSlot(slot), alIsFilter(filter));
    ALuint b = make_buffer(500.0, RATE / 2), s = 0;
    alGenSources(1, &s);
    alSourcei(s, AL_BUFFER, (ALint)b);
    alSourcei(s, AL_DIRECT_FILTER, (ALint)filter);
    alSource3i(s, AL_AUXILIARY_SEND_FILTER, (ALint)slot, 0, AL_FILTER_NULL);
    alSourcePlay(s);
    short *out = malloc(sizeof(short) * 2 * RATE);
    alcRenderSamplesSOFT(dev, out, RATE);
    printf("render reverb hash=%016llx\n",
           (unsigned long long)fnv(out, sizeof(short) * 2 * RATE, 0xcbf29ce484222325ull));
    free(out);
    alDeleteSources(1, &s);
    alDeleteBuffers(1, &b);
    alDeleteAuxiliaryEffectSlots(1, &slot);
    alDeleteEffects(1, &effect);
    alDeleteFilters(1, &filter);
    check_al("efx");

    /* Events: OpenAL calls the game back from a thread of its own. */
    ALenum changed = alGetEnumValue("AL_EVENT_TYPE_SOURCE_STATE_CHANGED_SOFT");
    ALenum fn_enum = alGetEnumValue("AL_EVENT_CALLBACK_FUNCTION_SOFT");
    ALenum user_enum = alGetEnumValue("AL_EVENT_CALLBACK_USER_PARAM_SOFT");
    printf("events extension=%d enums_known=%d\n", alIsExtensionPresent("AL_SOFTX_events"),
           changed != 0 && fn_enum != 0 && user_enum != 0);
    if (changed && fn_enum && user_enum) {
        alEventControlSOFT(1, &changed, AL_TRUE);
        alEventCallbackSOFT(on_event, &events_seen);
        printf("event callback_roundtrip=%d user_roundtrip=%d\n",
               alGetPointerSOFT(fn_enum) == (void *)on_event,
               alGetPointerSOFT(user_enum) == (void *)&events_seen);
        ALuint eb = make_buffer(300.0, 2048), es = 0;
        alGenSources(1, &es);
        alSourcei(es, AL_BUFFER, (ALint)eb);
        alSourcePlay(es);
        short *chunk = malloc(sizeof(short) * 2 * 4096);
        alcRenderSamplesSOFT(dev, chunk, 4096); /* plays it to the end: stopped */
        free(chunk);
        struct timespec tick = {0, 10 * 1000 * 1000};
        for (int i = 0; i < 1000 && atomic_load(&events_seen) == 0; i++) {
            nanosleep(&tick, NULL);
        }
        ALint state = 0;
        alGetSourcei(es, AL_SOURCE_STATE, &state);
        printf("event seen=%d object_ok=%d user_ok=%d state=0x%x\n", atomic_load(&events_seen) > 0,
               atomic_load(&event_object) == es, atomic_load(&events_user_ok), state);
        alEventCallbackSOFT(NULL, NULL);
        alDeleteSources(1, &es);
        alDeleteBuffers(1, &eb);
        check_al("events");
    }
    close_loopback(dev, ctx);

    /* Float output, 5.1. */
    dev = open_loopback(ALC_5POINT1_SOFT, ALC_FLOAT_SOFT, &ctx);
    if (dev) {
        render_scene(dev, RATE / 2, 6 * 4, "5.1float");
        close_loopback(dev, ctx);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "all") != 0) {
        fprintf(stderr, "usage: %s all\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    devices();
    ALCdevice *dev = alcOpenDevice(NULL);
    if (!dev) {
        printf("no default device (set ALSOFT_DRIVERS=null)\n");
        return 1;
    }
    ALCcontext *ctx = alcCreateContext(dev, NULL);
    printf("context made_current=%d\n", alcMakeContextCurrent(ctx));
    strings_and_state(dev);
    buffers_and_sources();
    alcMakeContextCurrent(NULL);
    alcDestroyContext(ctx);
    printf("closed=%d\n", alcCloseDevice(dev));
    loopback();
    printf("no_context version_is_null=%d\n", alGetString(AL_VERSION) == NULL);
    return 0;
}
