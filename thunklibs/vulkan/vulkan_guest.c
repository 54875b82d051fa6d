/*
 * Guest-side functions of libvulkan.so.1's stub (see vulkan.toml).
 *
 * - vkGet{Instance,Device}ProcAddr answer with the stub's own functions,
 *   never a host address, and NULL exactly where the host loader says NULL
 *   (it is asked through the generated thunk; vulkan_host.c).
 * - The extension lists hide [library] unsupported_extensions.
 * - Wayland surfaces are unsupported (vulkan.toml says why).
 */
#define VK_USE_PLATFORM_WAYLAND_KHR
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "lorelei-guest.h"

/* Generated (vulkan_guest.c of the build): name -> the stub's function, and
 * the extensions the stub hides; the thunks the wrappers below wrap. */
void *lorelei_vulkan_lookup(const char *name);
int lorelei_vulkan_unsupported_extension(const char *name);
__typeof__(vkGetInstanceProcAddr) lorelei_thunk_vkGetInstanceProcAddr;
__typeof__(vkGetDeviceProcAddr) lorelei_thunk_vkGetDeviceProcAddr;
__typeof__(vkEnumerateInstanceExtensionProperties)
    lorelei_thunk_vkEnumerateInstanceExtensionProperties;
__typeof__(vkEnumerateDeviceExtensionProperties) lorelei_thunk_vkEnumerateDeviceExtensionProperties;

LORELEI_GUEST_API PFN_vkVoidFunction vkGetInstanceProcAddr(VkInstance instance, const char *pName)
{
    void *stub = pName ? lorelei_vulkan_lookup(pName) : NULL;
    if (!stub || !lorelei_thunk_vkGetInstanceProcAddr(instance, pName)) {
        return NULL;
    }
    return (PFN_vkVoidFunction)stub;
}

LORELEI_GUEST_API PFN_vkVoidFunction vkGetDeviceProcAddr(VkDevice device, const char *pName)
{
    void *stub = pName ? lorelei_vulkan_lookup(pName) : NULL;
    if (!stub || !lorelei_thunk_vkGetDeviceProcAddr(device, pName)) {
        return NULL;
    }
    return (PFN_vkVoidFunction)stub;
}

/* ---- extension lists without the unsupported extensions ------------------- */

static VkResult host_list(VkPhysicalDevice physical_device, const char *layer, uint32_t *n,
                          VkExtensionProperties *props)
{
    if (physical_device) {
        return lorelei_thunk_vkEnumerateDeviceExtensionProperties(physical_device, layer, n, props);
    }
    return lorelei_thunk_vkEnumerateInstanceExtensionProperties(layer, n, props);
}

/* Fetches the host's whole list (which may grow between the two calls),
 * drops the unsupported entries, then answers with Vulkan's two-call idiom. */
static VkResult filtered(VkPhysicalDevice physical_device, const char *layer, uint32_t *count,
                         VkExtensionProperties *out)
{
    VkExtensionProperties *all = NULL;
    uint32_t n = 0;
    VkResult r;
    do {
        r = host_list(physical_device, layer, &n, NULL);
        if (r != VK_SUCCESS) {
            free(all);
            return r;
        }
        VkExtensionProperties *grown = realloc(all, (n ? n : 1) * sizeof(*all));
        if (!grown) {
            free(all);
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        all = grown;
        r = host_list(physical_device, layer, &n, all);
    } while (r == VK_INCOMPLETE);
    if (r != VK_SUCCESS) {
        free(all);
        return r;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!lorelei_vulkan_unsupported_extension(all[i].extensionName)) {
            all[kept++] = all[i];
        }
    }
    if (!out) {
        *count = kept;
    } else {
        uint32_t copied = *count < kept ? *count : kept;
        memcpy(out, all, copied * sizeof(*out));
        *count = copied;
        r = copied < kept ? VK_INCOMPLETE : VK_SUCCESS;
    }
    free(all);
    return r;
}

LORELEI_GUEST_API VkResult vkEnumerateInstanceExtensionProperties(
    const char *pLayerName, uint32_t *pPropertyCount, VkExtensionProperties *pProperties)
{
    return filtered(VK_NULL_HANDLE, pLayerName, pPropertyCount, pProperties);
}

LORELEI_GUEST_API VkResult vkEnumerateDeviceExtensionProperties(VkPhysicalDevice physicalDevice,
                                                                const char *pLayerName,
                                                                uint32_t *pPropertyCount,
                                                                VkExtensionProperties *pProperties)
{
    return filtered(physicalDevice, pLayerName, pPropertyCount, pProperties);
}

/* ---- Wayland ------------------------------------------------------------------ */

static void wayland_unsupported(void)
{
    static int said;
    if (!said) {
        said = 1;
        fprintf(stderr, "qemu-lorelei: the game asked for a Vulkan Wayland surface, which "
                        "qemu-lorelei cannot forward (a Wayland connection cannot be shared with "
                        "the host). Run it on X11: unset WAYLAND_DISPLAY (SDL: "
                        "SDL_VIDEODRIVER=x11)\n");
    }
}

LORELEI_GUEST_API VkResult
vkCreateWaylandSurfaceKHR(VkInstance instance, const VkWaylandSurfaceCreateInfoKHR *pCreateInfo,
                          const VkAllocationCallbacks *pAllocator, VkSurfaceKHR *pSurface)
{
    (void)instance, (void)pCreateInfo, (void)pAllocator;
    wayland_unsupported();
    *pSurface = VK_NULL_HANDLE;
    return VK_ERROR_EXTENSION_NOT_PRESENT;
}

LORELEI_GUEST_API VkBool32 vkGetPhysicalDeviceWaylandPresentationSupportKHR(
    VkPhysicalDevice physicalDevice, uint32_t queueFamilyIndex, struct wl_display *display)
{
    (void)physicalDevice, (void)queueFamilyIndex, (void)display;
    wayland_unsupported();
    return VK_FALSE;
}
