/*
 * vk_procs NAMES_FILE SKIP_EXTENSIONS: for every command the registry
 * defines (one name a line in NAMES_FILE, all platforms), prints whether
 * vkGetInstanceProcAddr(NULL / instance) and vkGetDeviceProcAddr(device)
 * answer NULL, with every extension the implementation offers enabled
 * (except the comma-separated SKIP_EXTENSIONS). Run natively against the
 * host loader and under qemu-lorelei against the stub, the outputs must be
 * identical. Under qemu-lorelei it also checks that every answer is a
 * function of the stub itself (never a host address), and calls a few
 * commands through those pointers.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

static const char *skip;

static int skipped(const char *ext)
{
    size_t n = strlen(ext);
    for (const char *p = skip; p && (p = strstr(p, ext)); p += n) {
        if ((p == skip || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) {
            return 1;
        }
    }
    return 0;
}

static const char **offered(uint32_t *n, VkExtensionProperties *props, uint32_t count)
{
    const char **names = calloc(count + 1, sizeof(*names));
    *n = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (!skipped(props[i].extensionName)) {
            names[(*n)++] = props[i].extensionName;
        }
    }
    return names;
}

/* The object file holding `fn`, as the guest's dynamic linker sees it. */
static const char *object_of(const void *fn)
{
    Dl_info info;
    return dladdr(fn, &info) && info.dli_fname ? info.dli_fname : "?";
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: vk_procs NAMES_FILE [SKIP_EXTENSIONS]\n");
        return 2;
    }
    skip = argc > 2 ? argv[2] : "";
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    uint32_t count = 0;
    vkEnumerateInstanceExtensionProperties(NULL, &count, NULL);
    VkExtensionProperties *iprops = calloc(count, sizeof(*iprops));
    vkEnumerateInstanceExtensionProperties(NULL, &count, iprops);
    uint32_t n_iext;
    const char **iext = offered(&n_iext, iprops, count);
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_3};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app,
                                .enabledExtensionCount = n_iext,
                                .ppEnabledExtensionNames = iext};
    VkInstance instance;
    VkResult r = vkCreateInstance(&ici, NULL, &instance);
    printf("instance extensions=%u create=%d\n", n_iext, r);
    if (r != VK_SUCCESS) {
        return 1;
    }
    uint32_t n_pd = 1;
    VkPhysicalDevice pd;
    vkEnumeratePhysicalDevices(instance, &n_pd, &pd);
    count = 0;
    vkEnumerateDeviceExtensionProperties(pd, NULL, &count, NULL);
    VkExtensionProperties *dprops = calloc(count, sizeof(*dprops));
    vkEnumerateDeviceExtensionProperties(pd, NULL, &count, dprops);
    uint32_t n_dext;
    const char **dext = offered(&n_dext, dprops, count);
    float prio = 1;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = n_dext,
                              .ppEnabledExtensionNames = dext};
    VkDevice device;
    r = vkCreateDevice(pd, &dci, NULL, &device);
    printf("device extensions=%u create=%d\n", n_dext, r);
    if (r != VK_SUCCESS) {
        return 1;
    }

    const char *stub = object_of((void *)vkGetInstanceProcAddr);
    char name[256];
    int n_names = 0, n_global = 0, n_inst = 0, n_dev = 0, outside = 0;
    while (fscanf(f, "%255s", name) == 1) {
        PFN_vkVoidFunction g = vkGetInstanceProcAddr(VK_NULL_HANDLE, name);
        PFN_vkVoidFunction i = vkGetInstanceProcAddr(instance, name);
        PFN_vkVoidFunction d = vkGetDeviceProcAddr(device, name);
        printf("%s global=%d instance=%d device=%d\n", name, !!g, !!i, !!d);
        n_names++;
        n_global += !!g, n_inst += !!i, n_dev += !!d;
        PFN_vkVoidFunction all[] = {g, i, d};
        for (int k = 0; k < 3; k++) {
            if (all[k] && strcmp(object_of((void *)all[k]), stub) != 0) {
                outside++;
                fprintf(stderr, "%s: answer %d lives in %s, not in %s\n", name, k,
                        object_of((void *)all[k]), stub);
            }
        }
    }
    fclose(f);
    /* Calls through looked-up pointers: a device command and an extension. */
    PFN_vkGetDeviceQueue get_queue =
        (PFN_vkGetDeviceQueue)vkGetDeviceProcAddr(device, "vkGetDeviceQueue");
    VkQueue queue = VK_NULL_HANDLE;
    get_queue(device, 0, 0, &queue);
    PFN_vkGetPhysicalDeviceProperties2KHR props2 =
        (PFN_vkGetPhysicalDeviceProperties2KHR)vkGetInstanceProcAddr(
            instance, "vkGetPhysicalDeviceProperties2KHR");
    VkPhysicalDeviceDriverProperties driver = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &driver};
    props2(pd, &p2);
    printf("queue=%d device=%s driver=%s\n", queue != VK_NULL_HANDLE, p2.properties.deviceName,
           driver.driverName);
    printf("names=%d global=%d instance=%d device=%d\n", n_names, n_global, n_inst, n_dev);
    fprintf(stderr, "answers_outside_the_loader_object=%d\n", outside);
    vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    return 0;
}
