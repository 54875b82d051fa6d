/*
 * Hand-written host side of the Vulkan thunks (vulkan.toml names them with
 * host_impl = "..."; the plugin passes the native function, never NULL):
 * how each command finds its native function.
 *
 * - Commands the host loader exports are resolved at LIB_OPEN (dlsym). They
 *   are the loader's trampolines, which dispatch through the object passed
 *   (instance, device, command buffer...), so one pointer serves every
 *   instance and device. The hot paths (vkCmd*, vkQueueSubmit,
 *   vkAcquireNextImageKHR, vkQueuePresentKHR) are all among them.
 * - Every other command (extensions) can only be reached through
 *   vkGet{Instance,Device}ProcAddr, natively and under qemu-lorelei alike.
 *   When the host answers such a lookup, its thunk is resolved once: with
 *   the loader's vkGetInstanceProcAddr, whose trampolines dispatch for any
 *   instance and device. vkGetDeviceProcAddr's answer is device-specific
 *   (a layer's or driver's own function), so for device lookups the
 *   dispatching pointer is fetched from vkGetInstanceProcAddr of a live
 *   instance instead.
 *
 * Locking: natives[] entries are written once (compare-and-swap from NULL)
 * and read without a lock by the thunks; the instance list has a mutex.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "lorelei-host.h"

extern const struct lorelei_host_lib lorelei_lib_vulkan;
#define LIB (&lorelei_lib_vulkan)

/* The thunk table is sorted by name (thunkgen): find a command's entry. */
static long index_of(const char *name)
{
    size_t lo = 0, hi = LIB->n_fns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, LIB->fns[mid].name);
        if (c == 0) {
            return (long)mid;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return -1;
}

static void resolve_once(long index, PFN_vkVoidFunction fn)
{
    void *expected = NULL;
    if (index >= 0 && fn) {
        __atomic_compare_exchange_n(&LIB->natives[index], &expected, (void *)fn, false,
                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    }
}

/* ---- live instances -------------------------------------------------------- */

enum { MAX_INSTANCES = 16 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static VkInstance instances[MAX_INSTANCES];

static VkInstance any_instance(void)
{
    VkInstance found = VK_NULL_HANDLE;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_INSTANCES && !found; i++) {
        found = instances[i];
    }
    pthread_mutex_unlock(&lock);
    return found;
}

VkResult lorelei_vk_create_instance(void *native, const VkInstanceCreateInfo *info,
                                    const VkAllocationCallbacks *allocator, VkInstance *instance);
VkResult lorelei_vk_create_instance(void *native, const VkInstanceCreateInfo *info,
                                    const VkAllocationCallbacks *allocator, VkInstance *instance)
{
    VkResult r = ((PFN_vkCreateInstance)native)(info, allocator, instance);
    if (r == VK_SUCCESS) {
        pthread_mutex_lock(&lock);
        for (int i = 0; i < MAX_INSTANCES; i++) {
            if (!instances[i]) {
                instances[i] = *instance;
                break;
            }
        }
        pthread_mutex_unlock(&lock);
    }
    return r;
}

void lorelei_vk_destroy_instance(void *native, VkInstance instance,
                                 const VkAllocationCallbacks *allocator);
void lorelei_vk_destroy_instance(void *native, VkInstance instance,
                                 const VkAllocationCallbacks *allocator)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_INSTANCES; i++) {
        if (instances[i] == instance) {
            instances[i] = VK_NULL_HANDLE;
        }
    }
    pthread_mutex_unlock(&lock);
    ((PFN_vkDestroyInstance)native)(instance, allocator);
}

/* ---- procedure lookups -------------------------------------------------------- */

/* The guest learns only whether the host has the command: a host function
 * pointer must never reach guest code. The guest stub then hands the game
 * its own function (thunklibs/vulkan/vulkan_guest.c). */
#define HOST_HAS_IT ((PFN_vkVoidFunction)(uintptr_t)1)
PFN_vkVoidFunction lorelei_vk_get_instance_proc_addr(void *native, VkInstance instance,
                                                     const char *name);
PFN_vkVoidFunction lorelei_vk_get_instance_proc_addr(void *native, VkInstance instance,
                                                     const char *name)
{
    PFN_vkVoidFunction fn = name ? ((PFN_vkGetInstanceProcAddr)native)(instance, name) : NULL;
    if (fn) {
        resolve_once(index_of(name), fn);
    }
    return fn ? HOST_HAS_IT : NULL;
}

PFN_vkVoidFunction lorelei_vk_get_device_proc_addr(void *native, VkDevice device, const char *name);
PFN_vkVoidFunction lorelei_vk_get_device_proc_addr(void *native, VkDevice device, const char *name)
{
    PFN_vkVoidFunction fn = name ? ((PFN_vkGetDeviceProcAddr)native)(device, name) : NULL;
    long index = fn ? index_of(name) : -1;
    if (index >= 0 && !__atomic_load_n(&LIB->natives[index], __ATOMIC_ACQUIRE)) {
        PFN_vkGetInstanceProcAddr gipa =
            (PFN_vkGetInstanceProcAddr)LIB->natives[index_of("vkGetInstanceProcAddr")];
        VkInstance instance = any_instance();
        PFN_vkVoidFunction dispatching = gipa && instance ? gipa(instance, name) : NULL;
        /* Without a dispatching pointer, the device's own one is right for
         * every device of the same driver and layers (the common case). */
        resolve_once(index, dispatching ? dispatching : fn);
    }
    return fn ? HOST_HAS_IT : NULL;
}
