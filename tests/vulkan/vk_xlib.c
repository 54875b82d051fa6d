/*
 * vk_xlib: presents one frame to an X11 window through VK_KHR_xlib_surface
 * and reads it back with XGetImage on the program's own connection.
 * Natively the loader gets the program's Display*; under qemu-lorelei the
 * guest's Display* - in vkGetPhysicalDeviceXlibPresentationSupportKHR's
 * parameters and inside VkXlibSurfaceCreateInfoKHR - must become a host
 * connection to the same server (thunklibs/x11/x11_host.c), after the guest's requests
 * (the window it just created) reached the server. Prints what it sees;
 * both runs must print the same.
 */
#define VK_USE_PLATFORM_XLIB_KHR
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <vulkan/vulkan.h>

#include "vk_check.h"

#define W 96
#define H 64

int main(void)
{
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "cannot open display\n");
        return 1;
    }
    int screen = DefaultScreen(dpy);
    Window win = XCreateSimpleWindow(dpy, RootWindow(dpy, screen), 10, 10, W, H, 0, 0, 0);
    XMapWindow(dpy, win);
    /* Not synced on purpose: the window must reach the server before the
     * host uses it, and that is the stub's job (it flushes). */

    const char *exts[] = {VK_KHR_SURFACE_EXTENSION_NAME, VK_KHR_XLIB_SURFACE_EXTENSION_NAME};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .enabledExtensionCount = 2,
                                .ppEnabledExtensionNames = exts};
    VkInstance instance;
    CHECK(vkCreateInstance(&ici, NULL, &instance));
    uint32_t n = 1;
    VkPhysicalDevice pd;
    vkEnumeratePhysicalDevices(instance, &n, &pd);
    VisualID visual = XVisualIDFromVisual(DefaultVisual(dpy, screen));
    printf("xlib presentation support: %u\n",
           vkGetPhysicalDeviceXlibPresentationSupportKHR(pd, 0, dpy, visual));

    VkXlibSurfaceCreateInfoKHR sci = {
        .sType = VK_STRUCTURE_TYPE_XLIB_SURFACE_CREATE_INFO_KHR, .dpy = dpy, .window = win};
    VkSurfaceKHR surface;
    CHECK(vkCreateXlibSurfaceKHR(instance, &sci, NULL, &surface));
    VkBool32 supported = VK_FALSE;
    CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(pd, 0, surface, &supported));
    VkSurfaceCapabilitiesKHR caps;
    CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(pd, surface, &caps));
    printf("surface: supported=%u extent=%ux%u\n", supported, caps.currentExtent.width,
           caps.currentExtent.height);
    uint32_t n_formats = 0;
    CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(pd, surface, &n_formats, NULL));
    VkSurfaceFormatKHR formats[32];
    n_formats = n_formats > 32 ? 32 : n_formats;
    CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(pd, surface, &n_formats, formats));
    VkSurfaceFormatKHR format = formats[0];
    for (uint32_t i = 0; i < n_formats; i++) {
        if (formats[i].format == VK_FORMAT_B8G8R8A8_UNORM) {
            format = formats[i];
        }
    }
    printf("format: %d\n", format.format);

    float prio = 1;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    const char *dexts[] = {VK_KHR_SWAPCHAIN_EXTENSION_NAME};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = 1,
                              .ppEnabledExtensionNames = dexts};
    VkDevice dev;
    CHECK(vkCreateDevice(pd, &dci, NULL, &dev));
    VkQueue queue;
    vkGetDeviceQueue(dev, 0, 0, &queue);
    VkSwapchainCreateInfoKHR swci = {.sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
                                     .surface = surface,
                                     .minImageCount = caps.minImageCount,
                                     .imageFormat = format.format,
                                     .imageColorSpace = format.colorSpace,
                                     .imageExtent = caps.currentExtent,
                                     .imageArrayLayers = 1,
                                     .imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                                     .preTransform = caps.currentTransform,
                                     .compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR,
                                     .presentMode = VK_PRESENT_MODE_FIFO_KHR,
                                     .clipped = VK_TRUE};
    VkSwapchainKHR swapchain;
    CHECK(vkCreateSwapchainKHR(dev, &swci, NULL, &swapchain));
    uint32_t n_images = 0;
    CHECK(vkGetSwapchainImagesKHR(dev, swapchain, &n_images, NULL));
    VkImage images[8];
    n_images = n_images > 8 ? 8 : n_images;
    CHECK(vkGetSwapchainImagesKHR(dev, swapchain, &n_images, images));

    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence acquired;
    CHECK(vkCreateFence(dev, &fci, NULL, &acquired));
    uint32_t index;
    CHECK(vkAcquireNextImageKHR(dev, swapchain, UINT64_MAX, VK_NULL_HANDLE, acquired, &index));
    CHECK(vkWaitForFences(dev, 1, &acquired, VK_TRUE, UINT64_MAX));

    VkCommandPoolCreateInfo cpci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool;
    CHECK(vkCreateCommandPool(dev, &cpci, NULL, &pool));
    VkCommandBufferAllocateInfo cbai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = pool,
                                        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(dev, &cbai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageMemoryBarrier to_dst = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                   .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                   .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                   .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                   .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                   .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                   .image = images[index],
                                   .subresourceRange = range};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                         0, NULL, 0, NULL, 1, &to_dst);
    VkClearColorValue colour = {.float32 = {0.25f, 0.5f, 0.75f, 1.0f}};
    vkCmdClearColorImage(cmd, images[index], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colour, 1,
                         &range);
    VkImageMemoryBarrier to_present = to_dst;
    to_present.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_present.dstAccessMask = 0;
    to_present.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_present.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                         0, 0, NULL, 0, NULL, 1, &to_present);
    CHECK(vkEndCommandBuffer(cmd));
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    CHECK(vkQueueSubmit(queue, 1, &si, VK_NULL_HANDLE));
    VkPresentInfoKHR pi = {.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                           .swapchainCount = 1,
                           .pSwapchains = &swapchain,
                           .pImageIndices = &index};
    CHECK(vkQueuePresentKHR(queue, &pi));
    CHECK(vkQueueWaitIdle(queue));

    /* What the server shows, through the program's own connection. */
    unsigned long pixel = 0;
    for (int tries = 0; tries < 100; tries++) {
        XImage *img = XGetImage(dpy, win, W / 2, H / 2, 1, 1, AllPlanes, ZPixmap);
        pixel = img ? XGetPixel(img, 0, 0) : 0;
        if (img) {
            XDestroyImage(img);
        }
        if (pixel) {
            break;
        }
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    printf("window centre: %06lx\n", pixel & 0xffffff);

    vkDestroyCommandPool(dev, pool, NULL);
    vkDestroyFence(dev, acquired, NULL);
    vkDestroySwapchainKHR(dev, swapchain, NULL);
    vkDestroyDevice(dev, NULL);
    vkDestroySurfaceKHR(instance, surface, NULL);
    vkDestroyInstance(instance, NULL);
    XDestroyWindow(dpy, win);
    XCloseDisplay(dpy);
    return 0;
}
