#include "host-probe.h"

#include "json-util.h"
#include "spawn.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

static void answer(int fd, cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    gsize len = strlen(text);
    for (gsize done = 0; done < len;) {
        ssize_t n = write(fd, text + done, len - done);
        if (n <= 0) {
            break;
        }
        done += n;
    }
    cJSON_free(text);
    cJSON_Delete(doc);
}

static cJSON *failure(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static cJSON *failure(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddFalseToObject(doc, "ok");
    cJSON_AddStringToObject(doc, "error", text);
    return doc;
}

static void probe_sdl2(int fd, gpointer data)
{
    (void)data;
    void *lib = dlopen("libSDL2-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        answer(fd, failure("cannot load libSDL2-2.0.so.0: %s", dlerror()));
        return;
    }
    struct {
        unsigned char major, minor, patch;
    } v = {0};
    void (*get_version)(void *) = (void (*)(void *))dlsym(lib, "SDL_GetVersion");
    if (get_version == NULL) {
        answer(fd, failure("libSDL2-2.0.so.0 has no SDL_GetVersion"));
        return;
    }
    get_version(&v);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddTrueToObject(doc, "ok");
    g_autofree char *version = g_strdup_printf("%u.%u.%u", v.major, v.minor, v.patch);
    cJSON_AddStringToObject(doc, "version", version);
    answer(fd, doc);
}

#define EGL_FN(type, name) type name = (type)get_proc(#name)

static void probe_gl(int fd, gpointer data)
{
    (void)data;
    if (dlopen("libGL.so.1", RTLD_NOW | RTLD_LOCAL) == NULL) {
        answer(fd, failure("cannot load libGL.so.1: %s", dlerror()));
        return;
    }
    void *egl = dlopen("libEGL.so.1", RTLD_NOW | RTLD_LOCAL);
    if (egl == NULL) {
        answer(fd, failure("cannot load libEGL.so.1: %s", dlerror()));
        return;
    }
    PFNEGLGETPROCADDRESSPROC get_proc = (PFNEGLGETPROCADDRESSPROC)dlsym(egl, "eglGetProcAddress");
    if (get_proc == NULL) {
        answer(fd, failure("libEGL.so.1 has no eglGetProcAddress"));
        return;
    }
    EGL_FN(PFNEGLGETPLATFORMDISPLAYPROC, eglGetPlatformDisplay);
    EGL_FN(PFNEGLGETDISPLAYPROC, eglGetDisplay);
    EGL_FN(PFNEGLINITIALIZEPROC, eglInitialize);
    EGL_FN(PFNEGLBINDAPIPROC, eglBindAPI);
    EGL_FN(PFNEGLCHOOSECONFIGPROC, eglChooseConfig);
    EGL_FN(PFNEGLCREATECONTEXTPROC, eglCreateContext);
    EGL_FN(PFNEGLMAKECURRENTPROC, eglMakeCurrent);
    EGL_FN(PFNEGLGETERRORPROC, eglGetError);
    const unsigned char *(*gl_get_string)(unsigned) =
        (const unsigned char *(*)(unsigned))get_proc("glGetString");
    if (eglGetDisplay == NULL || eglInitialize == NULL || eglChooseConfig == NULL ||
        eglCreateContext == NULL || eglMakeCurrent == NULL || gl_get_string == NULL) {
        answer(fd, failure("libEGL.so.1 lacks basic EGL 1.4 functions"));
        return;
    }
    /* Surfaceless first: works without a display (Mesa). */
    EGLDisplay dpy = EGL_NO_DISPLAY;
    if (eglGetPlatformDisplay != NULL) {
        dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    }
    EGLint major = 0, minor = 0;
    if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, &major, &minor)) {
        dpy = eglGetDisplay(EGL_DEFAULT_DISPLAY);
        if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, &major, &minor)) {
            answer(fd, failure("EGL could not initialize a display (error 0x%x)",
                               eglGetError != NULL ? eglGetError() : 0));
            return;
        }
    }
    eglBindAPI(EGL_OPENGL_API);
    /* Any surface type: a surfaceless display has no window configurations. */
    const EGLint attrs[] = {EGL_SURFACE_TYPE, 0, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
    EGLConfig config = NULL;
    EGLint n = 0;
    if (!eglChooseConfig(dpy, attrs, &config, 1, &n) || n < 1) {
        answer(fd, failure("EGL offers no OpenGL configuration"));
        return;
    }
    EGLContext ctx = eglCreateContext(dpy, config, EGL_NO_CONTEXT, NULL);
    if (ctx == EGL_NO_CONTEXT || !eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
        answer(fd, failure("EGL could not create an OpenGL context (error 0x%x)",
                           eglGetError != NULL ? eglGetError() : 0));
        return;
    }
    const char *renderer = (const char *)gl_get_string(0x1F01);
    const char *version = (const char *)gl_get_string(0x1F02);
    const char *vendor = (const char *)gl_get_string(0x1F00);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddTrueToObject(doc, "ok");
    cJSON_AddStringToObject(doc, "renderer", renderer != NULL ? renderer : "?");
    cJSON_AddStringToObject(doc, "version", version != NULL ? version : "?");
    cJSON_AddStringToObject(doc, "vendor", vendor != NULL ? vendor : "?");
    answer(fd, doc);
}

static const char *device_type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "CPU (software)";
    default:
        return "other";
    }
}

static void probe_vulkan(int fd, gpointer data)
{
    (void)data;
    void *lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        answer(fd, failure("cannot load libvulkan.so.1: %s", dlerror()));
        return;
    }
    PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
    if (gipa == NULL) {
        answer(fd, failure("libvulkan.so.1 has no vkGetInstanceProcAddr"));
        return;
    }
    PFN_vkEnumerateInstanceVersion eiv =
        (PFN_vkEnumerateInstanceVersion)gipa(NULL, "vkEnumerateInstanceVersion");
    uint32_t api = VK_API_VERSION_1_0;
    if (eiv != NULL) {
        eiv(&api);
    }
    cJSON *doc = cJSON_CreateObject();
    g_autofree char *version =
        g_strdup_printf("%u.%u.%u", VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api),
                        VK_API_VERSION_PATCH(api));
    cJSON_AddStringToObject(doc, "version", version);
    PFN_vkCreateInstance create = (PFN_vkCreateInstance)gipa(NULL, "vkCreateInstance");
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "qemu-lorelei doctor",
                             .apiVersion = VK_API_VERSION_1_0};
    VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                 .pApplicationInfo = &app};
    VkInstance instance = VK_NULL_HANDLE;
    VkResult r = create != NULL ? create(&info, NULL, &instance) : VK_ERROR_INITIALIZATION_FAILED;
    if (r != VK_SUCCESS) {
        cJSON_AddFalseToObject(doc, "ok");
        g_autofree char *text = g_strdup_printf("vkCreateInstance failed (VkResult %d): no "
                                                "Vulkan driver (ICD) installed?",
                                                r);
        cJSON_AddStringToObject(doc, "error", text);
        answer(fd, doc);
        return;
    }
    PFN_vkEnumeratePhysicalDevices enumerate =
        (PFN_vkEnumeratePhysicalDevices)gipa(instance, "vkEnumeratePhysicalDevices");
    PFN_vkGetPhysicalDeviceProperties props =
        (PFN_vkGetPhysicalDeviceProperties)gipa(instance, "vkGetPhysicalDeviceProperties");
    VkPhysicalDevice dev = VK_NULL_HANDLE;
    uint32_t count = 1;
    r = enumerate != NULL ? enumerate(instance, &count, &dev) : VK_ERROR_INITIALIZATION_FAILED;
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || count == 0 || props == NULL) {
        cJSON_AddFalseToObject(doc, "ok");
        cJSON_AddStringToObject(doc, "error", "Vulkan lists no GPU (no driver for it?)");
        answer(fd, doc);
        return;
    }
    VkPhysicalDeviceProperties p;
    props(dev, &p);
    cJSON_AddTrueToObject(doc, "ok");
    cJSON_AddStringToObject(doc, "device", p.deviceName);
    cJSON_AddStringToObject(doc, "device_type", device_type_name(p.deviceType));
    answer(fd, doc);
}

static gboolean unix_connect(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        return FALSE;
    }
    strcpy(addr.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gboolean ok = s >= 0 && connect(s, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    if (s >= 0) {
        close(s);
    }
    return ok;
}

static void probe_display(int fd, gpointer data)
{
    (void)data;
    const char *x11 = g_getenv("DISPLAY");
    const char *wayland = g_getenv("WAYLAND_DISPLAY");
    cJSON *doc = cJSON_CreateObject();
    if (wayland != NULL && wayland[0] != '\0') {
        g_autofree char *path = wayland[0] == '/'
                                    ? g_strdup(wayland)
                                    : g_build_filename(g_get_user_runtime_dir(), wayland, NULL);
        if (unix_connect(path)) {
            cJSON_AddTrueToObject(doc, "ok");
            cJSON_AddStringToObject(doc, "kind", "Wayland");
            cJSON_AddStringToObject(doc, "name", wayland);
            answer(fd, doc);
            return;
        }
        cJSON_AddStringToObject(doc, "wayland_error", "cannot connect to the Wayland socket");
    }
    if (x11 != NULL && x11[0] != '\0') {
        void *xcb = dlopen("libxcb.so.1", RTLD_NOW | RTLD_LOCAL);
        void *(*xcb_connect)(const char *, int *) =
            xcb != NULL ? (void *(*)(const char *, int *))dlsym(xcb, "xcb_connect") : NULL;
        int (*has_error)(void *) =
            xcb != NULL ? (int (*)(void *))dlsym(xcb, "xcb_connection_has_error") : NULL;
        void *conn = xcb_connect != NULL && has_error != NULL ? xcb_connect(NULL, NULL) : NULL;
        cJSON_AddStringToObject(doc, "kind", "X11");
        cJSON_AddStringToObject(doc, "name", x11);
        if (conn != NULL && has_error(conn) == 0) {
            cJSON_AddTrueToObject(doc, "ok");
        } else {
            cJSON_AddFalseToObject(doc, "ok");
            cJSON_AddStringToObject(doc, "error",
                                    xcb == NULL ? "cannot load libxcb.so.1"
                                                : "cannot connect to the X server");
        }
        answer(fd, doc);
        return;
    }
    cJSON_AddFalseToObject(doc, "ok");
    cJSON_AddStringToObject(doc, "error",
                            wayland != NULL && wayland[0] != '\0'
                                ? "cannot connect to the Wayland display"
                                : "neither DISPLAY nor WAYLAND_DISPLAY is set");
    answer(fd, doc);
}

/* dlopen of a host library a probe asks for its version; NULL (and the
 * failure answered) when it cannot be loaded. */
static void *open_library(int fd, const char *soname)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        answer(fd, failure("cannot load %s: %s", soname, dlerror()));
    }
    return lib;
}

static void answer_version(int fd, const char *version)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddTrueToObject(doc, "ok");
    cJSON_AddStringToObject(doc, "version", version);
    answer(fd, doc);
}

/* OpenAL Soft's version without opening an audio device (which may wait for
 * a sound server): the library's own version string, or the ALC version of
 * another implementation. */
static void probe_openal(int fd, gpointer data)
{
    (void)data;
    void *lib = open_library(fd, "libopenal.so.1");
    if (lib == NULL) {
        return;
    }
    const char *(*soft_version)(void) = (const char *(*)(void))dlsym(lib, "alsoft_get_version");
    void (*get_integerv)(void *, int, int, int *) =
        (void (*)(void *, int, int, int *))dlsym(lib, "alcGetIntegerv");
    if (get_integerv == NULL) {
        answer(fd, failure("libopenal.so.1 has no alcGetIntegerv"));
        return;
    }
    enum { ALC_MAJOR_VERSION = 0x1000, ALC_MINOR_VERSION = 0x1001 };
    int major = 0, minor = 0;
    get_integerv(NULL, ALC_MAJOR_VERSION, 1, &major);
    get_integerv(NULL, ALC_MINOR_VERSION, 1, &minor);
    const char *soft = soft_version != NULL ? soft_version() : NULL;
    g_autofree char *version = soft != NULL ? g_strdup_printf("OpenAL Soft %s", soft)
                                            : g_strdup_printf("ALC %d.%d", major, minor);
    answer_version(fd, version);
}

/* The version the host's zlib reports about itself (zlibVersion: "1.2.13"). */
static void probe_zlib(int fd, gpointer data)
{
    (void)data;
    void *lib = open_library(fd, "libz.so.1");
    if (lib == NULL) {
        return;
    }
    const char *(*zlib_version)(void) = (const char *(*)(void))dlsym(lib, "zlibVersion");
    const char *number = zlib_version != NULL ? zlib_version() : NULL;
    if (number == NULL) {
        answer(fd, failure("libz.so.1 has no zlibVersion"));
        return;
    }
    g_autofree char *version = g_strdup_printf("zlib %s", number);
    answer_version(fd, version);
}

/* libvorbisfile has no version function of its own: the file the soname
 * resolved to ("/usr/lib/x86_64-linux-gnu/libvorbisfile.so.3.3.8" names its
 * version), then libVorbis's own string when its vorbis_version_string is
 * reachable through it (libvorbisfile links libvorbis). ov_open_callbacks is
 * what the stub cannot do without. */
static void probe_vorbisfile(int fd, gpointer data)
{
    (void)data;
    void *lib = open_library(fd, "libvorbisfile.so.3");
    if (lib == NULL) {
        return;
    }
    void *open_callbacks = dlsym(lib, "ov_open_callbacks");
    if (open_callbacks == NULL) {
        answer(fd, failure("libvorbisfile.so.3 has no ov_open_callbacks"));
        return;
    }
    Dl_info info;
    g_autofree char *path = NULL;
    if (dladdr(open_callbacks, &info) != 0 && info.dli_fname != NULL) {
        path = realpath(info.dli_fname, NULL);
        if (path == NULL) {
            path = g_strdup(info.dli_fname);
        }
    }
    const char *(*vorbis_version)(void) =
        (const char *(*)(void))dlsym(lib, "vorbis_version_string");
    const char *vorbis = vorbis_version != NULL ? vorbis_version() : NULL;
    g_autofree char *version =
        g_strdup_printf("%s%s%s", path != NULL ? path : "libvorbisfile.so.3",
                        vorbis != NULL ? ", " : "", vorbis != NULL ? vorbis : "");
    answer_version(fd, version);
}

static cJSON *run_probe(void (*fn)(int, gpointer), int timeout_ms)
{
    LoSpawnResult r;
    g_autoptr(GError) error = NULL;
    if (!lo_spawn_function(fn, NULL, timeout_ms, &r, &error)) {
        return failure("%s", error->message);
    }
    cJSON *doc = r.out != NULL && r.out[0] != '\0' ? cJSON_Parse(r.out) : NULL;
    if (doc == NULL) {
        g_autofree char *how = lo_spawn_describe(&r, timeout_ms);
        doc = failure("the probe failed (%s)", how);
    }
    lo_spawn_result_clear(&r);
    return doc;
}

cJSON *lo_probe_host(int timeout_ms)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "sdl2", run_probe(probe_sdl2, timeout_ms));
    cJSON_AddItemToObject(doc, "gl", run_probe(probe_gl, timeout_ms));
    cJSON_AddItemToObject(doc, "vulkan", run_probe(probe_vulkan, timeout_ms));
    cJSON_AddItemToObject(doc, "openal", run_probe(probe_openal, timeout_ms));
    cJSON_AddItemToObject(doc, "zlib", run_probe(probe_zlib, timeout_ms));
    cJSON_AddItemToObject(doc, "vorbisfile", run_probe(probe_vorbisfile, timeout_ms));
    cJSON_AddItemToObject(doc, "display", run_probe(probe_display, timeout_ms));
    return doc;
}
