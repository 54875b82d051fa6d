/*
 * vk_offscreen [validation]: renders a triangle into an offscreen image and
 * prints a checksum and sample pixels, exercising what qemu-lorelei must
 * translate on the way:
 *   - VkAllocationCallbacks given to instance, device and object creation
 *     (counted; everything allocated must be freed by the end);
 *   - a VkDebugUtilsMessengerCreateInfoEXT chained into VkInstanceCreateInfo
 *     (messages during vkCreateInstance) and a created messenger that gets
 *     messages submitted on purpose from two threads;
 *   - VK_EXT_debug_report the same way;
 *   - with "validation": the Khronos validation layer, given a create-info
 *     it must reject (VUID-VkBufferCreateInfo-size-00912).
 * Run natively and under qemu-lorelei, stdout must be identical. Every
 * callback checks that it runs as guest code when the program does.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

#include "lorelei/abi.h"
#include "triangle_frag.h"
#include "triangle_vert.h"
#include "vk_check.h"

#define SIZE 64

/* ---- callbacks run as guest code ----------------------------------------------- */

static long raw_lorelei(long op)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)LORELEI_SYSCALL_NR), "D"(op), "S"(0L), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}

static int main_under_lorelei;
static atomic_int wrong_context, callbacks_on_other_threads;
static pthread_t main_thread;

static void check_context(void)
{
    if ((raw_lorelei(LORELEI_OP_NOP) == 0) != main_under_lorelei) {
        atomic_fetch_add(&wrong_context, 1);
    }
    if (!pthread_equal(pthread_self(), main_thread)) {
        atomic_fetch_add(&callbacks_on_other_threads, 1);
    }
}

/* Games print what callbacks get, and unbuffered stdio (stderr) hands the
 * string itself to write(): under QEMU that works only for guest memory. */
static int devnull = -1;
static atomic_int strings_checked, strings_unusable;

static void check_string(const char *s)
{
    if (s && *s) {
        atomic_fetch_add(&strings_checked, 1);
        if (write(devnull, s, strlen(s)) != (ssize_t)strlen(s)) {
            atomic_fetch_add(&strings_unusable, 1);
        }
    }
}

/* ---- allocation callbacks ------------------------------------------------------- */

struct alloc_stats {
    atomic_long allocs, reallocs, frees, live, internal, foreign;
};
static struct alloc_stats stats;

/* Each block starts with its size and a mark, padded to the largest
 * alignment asked. The driver must hand back only blocks these callbacks
 * made (docs/ownership.md): others are counted, not freed. */
enum { HEADER = 64 };
static const uint64_t MARK = 0x6c6f72656c656976ull;

static int ours(struct alloc_stats *s, void *mem)
{
    if (((uint64_t *)((char *)mem - HEADER))[1] == MARK) {
        return 1;
    }
    atomic_fetch_add(&s->foreign, 1);
    return 0;
}

static void *VKAPI_CALL count_alloc(void *user, size_t size, size_t align,
                                    VkSystemAllocationScope scope)
{
    (void)scope;
    check_context();
    struct alloc_stats *s = user;
    if (align > HEADER) {
        return NULL;
    }
    char *p = aligned_alloc(HEADER, HEADER + ((size + HEADER - 1) / HEADER) * HEADER);
    if (!p) {
        return NULL;
    }
    *(size_t *)p = size;
    ((uint64_t *)p)[1] = MARK;
    atomic_fetch_add(&s->allocs, 1);
    atomic_fetch_add(&s->live, 1);
    return p + HEADER;
}

static void VKAPI_CALL count_free(void *user, void *mem)
{
    check_context();
    struct alloc_stats *s = user;
    if (mem && ours(s, mem)) {
        atomic_fetch_add(&s->frees, 1);
        atomic_fetch_sub(&s->live, 1);
        ((uint64_t *)((char *)mem - HEADER))[1] = 0;
        free((char *)mem - HEADER);
    }
}

static void *VKAPI_CALL count_realloc(void *user, void *old, size_t size, size_t align,
                                      VkSystemAllocationScope scope)
{
    check_context();
    struct alloc_stats *s = user;
    atomic_fetch_add(&s->reallocs, 1);
    if (!old) {
        atomic_fetch_sub(&s->allocs, 1); /* counted as a realloc */
        void *p = count_alloc(user, size, align, scope);
        return p;
    }
    if (!ours(s, old)) {
        return NULL;
    }
    if (!size) {
        atomic_fetch_sub(&s->frees, 1);
        count_free(user, old);
        return NULL;
    }
    void *p = count_alloc(user, size, align, scope);
    if (p) {
        size_t old_size = *(size_t *)((char *)old - HEADER);
        memcpy(p, old, old_size < size ? old_size : size);
        atomic_fetch_sub(&s->allocs, 1);
        atomic_fetch_sub(&s->frees, 1);
        count_free(user, old);
    }
    return p;
}

static void VKAPI_CALL count_internal(void *user, size_t size, VkInternalAllocationType type,
                                      VkSystemAllocationScope scope)
{
    (void)size, (void)type, (void)scope;
    check_context();
    atomic_fetch_add(&((struct alloc_stats *)user)->internal, 1);
}

static const VkAllocationCallbacks allocator = {
    .pUserData = &stats,
    .pfnAllocation = count_alloc,
    .pfnReallocation = count_realloc,
    .pfnFree = count_free,
    .pfnInternalAllocation = count_internal,
    .pfnInternalFree = count_internal,
};

/* ---- debug messengers ----------------------------------------------------------- */

struct messages {
    const char *who;
    atomic_int count, submitted, vuid, report;
    char last_submitted[160];
};
static struct messages chained = {.who = "chained"}, created = {.who = "created"};

static VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                      VkDebugUtilsMessageTypeFlagsEXT type,
                                      const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    check_context();
    struct messages *m = user;
    atomic_fetch_add(&m->count, 1);
    const char *id = data->pMessageIdName ? data->pMessageIdName : "";
    check_string(data->pMessageIdName);
    check_string(data->pMessage);
    for (uint32_t i = 0; i < data->objectCount; i++) {
        check_string(data->pObjects[i].pObjectName);
    }
    if (strncmp(id, "lorelei-test", 12) == 0) {
        atomic_fetch_add(&m->submitted, 1);
        snprintf(m->last_submitted, sizeof(m->last_submitted),
                 "id=%s number=%d severity=%#x type=%#x objects=%u labels=%u message=%s", id,
                 data->messageIdNumber, severity, type, data->objectCount, data->cmdBufLabelCount,
                 data->pMessage);
    }
    if (strstr(id, "VUID-VkBufferCreateInfo-size-00912")) {
        atomic_fetch_add(&m->vuid, 1);
    }
    return VK_FALSE;
}

static VkBool32 VKAPI_CALL on_report(VkDebugReportFlagsEXT flags, VkDebugReportObjectTypeEXT type,
                                     uint64_t object, size_t location, int32_t code,
                                     const char *layer, const char *message, void *user)
{
    check_context();
    check_string(layer);
    check_string(message);
    struct messages *m = user;
    if (code == 4242 && strcmp(layer, "lorelei") == 0 && strcmp(message, "report me") == 0 &&
        flags == VK_DEBUG_REPORT_WARNING_BIT_EXT && object == 7 && location == 9 &&
        type == VK_DEBUG_REPORT_OBJECT_TYPE_INSTANCE_EXT) {
        atomic_fetch_add(&m->report, 1);
    }
    return VK_FALSE;
}

static PFN_vkSubmitDebugUtilsMessageEXT submit_message;
static VkInstance instance;

static void submit(int number)
{
    char id[32];
    snprintf(id, sizeof(id), "lorelei-test-%d", number);
    VkDebugUtilsObjectNameInfoEXT object = {.sType =
                                                VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
                                            .objectType = VK_OBJECT_TYPE_INSTANCE,
                                            .objectHandle = (uint64_t)(uintptr_t)instance,
                                            .pObjectName = "the instance"};
    VkDebugUtilsMessengerCallbackDataEXT data = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT,
        .pMessageIdName = id,
        .messageIdNumber = number,
        .pMessage = "hello from the game",
        .objectCount = 1,
        .pObjects = &object};
    submit_message(instance, VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
                   VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT, &data);
}

static void *submit_thread(void *arg)
{
    (void)arg;
    submit(2);
    return NULL;
}

/* ---- rendering --------------------------------------------------------------------- */

static uint32_t memory_type(VkPhysicalDevice pd, uint32_t bits, VkMemoryPropertyFlags want)
{
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
        if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) {
            return i;
        }
    }
    printf("FAILED: no memory type %#x\n", want);
    exit(1);
}

static VkShaderModule shader(VkDevice dev, const uint32_t *code, size_t size)
{
    VkShaderModuleCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = size, .pCode = code};
    VkShaderModule m;
    CHECK(vkCreateShaderModule(dev, &ci, &allocator, &m));
    return m;
}

static void render(VkPhysicalDevice pd, VkDevice dev, VkQueue queue, int validation)
{
    const VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
    VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                             .imageType = VK_IMAGE_TYPE_2D,
                             .format = format,
                             .extent = {SIZE, SIZE, 1},
                             .mipLevels = 1,
                             .arrayLayers = 1,
                             .samples = VK_SAMPLE_COUNT_1_BIT,
                             .tiling = VK_IMAGE_TILING_OPTIMAL,
                             .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                      VK_IMAGE_USAGE_TRANSFER_SRC_BIT};
    VkImage image;
    CHECK(vkCreateImage(dev, &ici, &allocator, &image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(dev, image, &req);
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = memory_type(pd, req.memoryTypeBits, 0)};
    VkDeviceMemory image_mem;
    CHECK(vkAllocateMemory(dev, &mai, &allocator, &image_mem));
    CHECK(vkBindImageMemory(dev, image, image_mem, 0));

    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = SIZE * SIZE * 4,
                              .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    VkBuffer buffer;
    CHECK(vkCreateBuffer(dev, &bci, &allocator, &buffer));
    if (validation) {
        /* Invalid on purpose: size 0. The layer must say so (and we must not
         * use the result). */
        VkBufferCreateInfo bad = bci;
        bad.size = 0;
        VkBuffer ignored = VK_NULL_HANDLE;
        vkCreateBuffer(dev, &bad, NULL, &ignored);
        if (ignored) {
            vkDestroyBuffer(dev, ignored, NULL);
        }
    }
    vkGetBufferMemoryRequirements(dev, buffer, &req);
    mai.allocationSize = req.size;
    mai.memoryTypeIndex =
        memory_type(pd, req.memoryTypeBits,
                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory buffer_mem;
    CHECK(vkAllocateMemory(dev, &mai, &allocator, &buffer_mem));
    CHECK(vkBindBufferMemory(dev, buffer, buffer_mem, 0));

    VkImageViewCreateInfo vci = {.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                 .image = image,
                                 .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                 .format = format,
                                 .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    VkImageView view;
    CHECK(vkCreateImageView(dev, &vci, &allocator, &view));
    VkAttachmentDescription att = {.format = format,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                   .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                   .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                   .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                   .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                   .finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL};
    VkAttachmentReference ref = {0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription sub = {.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                .colorAttachmentCount = 1,
                                .pColorAttachments = &ref};
    VkRenderPassCreateInfo rpci = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                   .attachmentCount = 1,
                                   .pAttachments = &att,
                                   .subpassCount = 1,
                                   .pSubpasses = &sub};
    VkRenderPass pass;
    CHECK(vkCreateRenderPass(dev, &rpci, &allocator, &pass));
    VkFramebufferCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                   .renderPass = pass,
                                   .attachmentCount = 1,
                                   .pAttachments = &view,
                                   .width = SIZE,
                                   .height = SIZE,
                                   .layers = 1};
    VkFramebuffer fb;
    CHECK(vkCreateFramebuffer(dev, &fci, &allocator, &fb));

    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    VkPipelineLayout layout;
    CHECK(vkCreatePipelineLayout(dev, &plci, &allocator, &layout));
    VkShaderModule vs = shader(dev, triangle_vert, sizeof(triangle_vert));
    VkShaderModule fs = shader(dev, triangle_frag, sizeof(triangle_frag));
    VkPipelineShaderStageCreateInfo stages[2] = {
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_VERTEX_BIT,
         .module = vs,
         .pName = "main"},
        {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
         .module = fs,
         .pName = "main"}};
    VkPipelineVertexInputStateCreateInfo vin = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    VkPipelineInputAssemblyStateCreateInfo ia = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
        .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST};
    VkViewport viewport = {0, 0, SIZE, SIZE, 0, 1};
    VkRect2D scissor = {{0, 0}, {SIZE, SIZE}};
    VkPipelineViewportStateCreateInfo vp = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
        .viewportCount = 1,
        .pViewports = &viewport,
        .scissorCount = 1,
        .pScissors = &scissor};
    VkPipelineRasterizationStateCreateInfo rs = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
        .polygonMode = VK_POLYGON_MODE_FILL,
        .cullMode = VK_CULL_MODE_NONE,
        .lineWidth = 1};
    VkPipelineMultisampleStateCreateInfo ms = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
        .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT};
    VkPipelineColorBlendAttachmentState blend = {.colorWriteMask = 0xf};
    VkPipelineColorBlendStateCreateInfo cb = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
        .attachmentCount = 1,
        .pAttachments = &blend};
    VkGraphicsPipelineCreateInfo gpci = {.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                         .stageCount = 2,
                                         .pStages = stages,
                                         .pVertexInputState = &vin,
                                         .pInputAssemblyState = &ia,
                                         .pViewportState = &vp,
                                         .pRasterizationState = &rs,
                                         .pMultisampleState = &ms,
                                         .pColorBlendState = &cb,
                                         .layout = layout,
                                         .renderPass = pass};
    VkPipeline pipeline;
    CHECK(vkCreateGraphicsPipelines(dev, VK_NULL_HANDLE, 1, &gpci, &allocator, &pipeline));

    VkCommandPoolCreateInfo cpci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool;
    CHECK(vkCreateCommandPool(dev, &cpci, &allocator, &pool));
    VkCommandBufferAllocateInfo cbai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                        .commandPool = pool,
                                        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                        .commandBufferCount = 1};
    VkCommandBuffer cmd;
    CHECK(vkAllocateCommandBuffers(dev, &cbai, &cmd));
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    CHECK(vkBeginCommandBuffer(cmd, &begin));
    VkClearValue clear = {.color = {.float32 = {0.1f, 0.2f, 0.3f, 1.0f}}};
    VkRenderPassBeginInfo rpbi = {.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                  .renderPass = pass,
                                  .framebuffer = fb,
                                  .renderArea = scissor,
                                  .clearValueCount = 1,
                                  .pClearValues = &clear};
    vkCmdBeginRenderPass(cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
    vkCmdDraw(cmd, 3, 1, 0, 0);
    vkCmdEndRenderPass(cmd);
    VkBufferImageCopy copy = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                              .imageExtent = {SIZE, SIZE, 1}};
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &copy);
    CHECK(vkEndCommandBuffer(cmd));
    VkFenceCreateInfo fnci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    CHECK(vkCreateFence(dev, &fnci, &allocator, &fence));
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    CHECK(vkQueueSubmit(queue, 1, &si, fence));
    CHECK(vkWaitForFences(dev, 1, &fence, VK_TRUE, UINT64_MAX));

    /* Host-visible memory the driver mapped: the guest reads it directly. */
    const uint8_t *px;
    CHECK(vkMapMemory(dev, buffer_mem, 0, VK_WHOLE_SIZE, 0, (void **)&px));
    uint32_t hash = 2166136261u;
    int colours[4] = {0};
    for (int i = 0; i < SIZE * SIZE * 4; i++) {
        hash = (hash ^ px[i]) * 16777619u;
    }
    for (int i = 0; i < SIZE * SIZE; i++) {
        const uint8_t *p = px + 4 * i;
        colours[p[0] > p[1] && p[0] > p[2] ? 0 : p[1] > p[2] ? 1 : p[2] > 200 ? 2 : 3]++;
    }
    printf("pixels: fnv1a=%08x reddish=%d greenish=%d blueish=%d other=%d\n", hash, colours[0],
           colours[1], colours[2], colours[3]);
    const int at[][2] = {{0, 0}, {32, 32}, {32, 10}, {50, 50}, {12, 48}};
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        const uint8_t *p = px + 4 * (at[k][1] * SIZE + at[k][0]);
        printf("pixel %d,%d = %u %u %u %u\n", at[k][0], at[k][1], p[0], p[1], p[2], p[3]);
    }
    vkUnmapMemory(dev, buffer_mem);

    vkDestroyFence(dev, fence, &allocator);
    vkFreeCommandBuffers(dev, pool, 1, &cmd);
    vkDestroyCommandPool(dev, pool, &allocator);
    vkDestroyPipeline(dev, pipeline, &allocator);
    vkDestroyShaderModule(dev, vs, &allocator);
    vkDestroyShaderModule(dev, fs, &allocator);
    vkDestroyPipelineLayout(dev, layout, &allocator);
    vkDestroyFramebuffer(dev, fb, &allocator);
    vkDestroyRenderPass(dev, pass, &allocator);
    vkDestroyImageView(dev, view, &allocator);
    vkDestroyBuffer(dev, buffer, &allocator);
    vkFreeMemory(dev, buffer_mem, &allocator);
    vkDestroyImage(dev, image, &allocator);
    vkFreeMemory(dev, image_mem, &allocator);
}

int main(int argc, char **argv)
{
    int validation = argc > 1 && strcmp(argv[1], "validation") == 0;
    main_under_lorelei = raw_lorelei(LORELEI_OP_NOP) == 0;
    main_thread = pthread_self();
    devnull = open("/dev/null", O_WRONLY);
    fprintf(stderr, "%s\n", main_under_lorelei ? "running under qemu-lorelei" : "running natively");

    VkDebugUtilsMessengerCreateInfoEXT chained_ci = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = 0x1111, /* every severity */
        .messageType = 0x7,
        .pfnUserCallback = on_message,
        .pUserData = &chained};
    VkValidationFeatureEnableEXT sync_validation = VK_VALIDATION_FEATURE_ENABLE_BEST_PRACTICES_EXT;
    VkValidationFeaturesEXT features = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                        .pNext = &chained_ci,
                                        .enabledValidationFeatureCount = 1,
                                        .pEnabledValidationFeatures = &sync_validation};
    const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
    const char *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME, VK_EXT_DEBUG_REPORT_EXTENSION_NAME,
                          VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME};
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "vk_offscreen",
                             .apiVersion = VK_API_VERSION_1_1};
    /* The chain: validation features (a plain node) -> the messenger (a
     * node with a function pointer): the host must copy both. */
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pNext = validation ? (const void *)&features : &chained_ci,
                               .pApplicationInfo = &app,
                               .enabledLayerCount = validation ? 1 : 0,
                               .ppEnabledLayerNames = layers,
                               .enabledExtensionCount = validation ? 3 : 2,
                               .ppEnabledExtensionNames = exts};
    CHECK(vkCreateInstance(&ci, &allocator, &instance));
    printf("validation=%s\n", validation ? "on" : "off");
    printf("instance created; allocation callbacks used: %s\n",
           atomic_load(&stats.allocs) > 0 ? "yes" : "no");
    printf("chained messenger saw messages during vkCreateInstance: %s\n",
           atomic_load(&chained.count) > 0 ? "yes" : "no");

    PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
        (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance,
                                                                  "vkCreateDebugUtilsMessengerEXT");
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
        (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
            instance, "vkDestroyDebugUtilsMessengerEXT");
    submit_message = (PFN_vkSubmitDebugUtilsMessageEXT)vkGetInstanceProcAddr(
        instance, "vkSubmitDebugUtilsMessageEXT");
    VkDebugUtilsMessengerCreateInfoEXT mci = chained_ci;
    mci.pUserData = &created;
    VkDebugUtilsMessengerEXT messenger;
    CHECK(create_messenger(instance, &mci, &allocator, &messenger));
    submit(1);
    printf("created messenger: %d submitted message(s): %s\n", atomic_load(&created.submitted),
           created.last_submitted);
    pthread_t thread;
    pthread_create(&thread, NULL, submit_thread, NULL);
    pthread_join(thread, NULL);
    printf("from a second thread: %d submitted message(s): %s\n", atomic_load(&created.submitted),
           created.last_submitted);

    PFN_vkCreateDebugReportCallbackEXT create_report =
        (PFN_vkCreateDebugReportCallbackEXT)vkGetInstanceProcAddr(instance,
                                                                  "vkCreateDebugReportCallbackEXT");
    PFN_vkDestroyDebugReportCallbackEXT destroy_report =
        (PFN_vkDestroyDebugReportCallbackEXT)vkGetInstanceProcAddr(
            instance, "vkDestroyDebugReportCallbackEXT");
    PFN_vkDebugReportMessageEXT report_message =
        (PFN_vkDebugReportMessageEXT)vkGetInstanceProcAddr(instance, "vkDebugReportMessageEXT");
    VkDebugReportCallbackCreateInfoEXT rci = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_REPORT_CALLBACK_CREATE_INFO_EXT,
        .flags = VK_DEBUG_REPORT_WARNING_BIT_EXT,
        .pfnCallback = on_report,
        .pUserData = &created};
    VkDebugReportCallbackEXT report;
    CHECK(create_report(instance, &rci, NULL, &report));
    report_message(instance, VK_DEBUG_REPORT_WARNING_BIT_EXT,
                   VK_DEBUG_REPORT_OBJECT_TYPE_INSTANCE_EXT, 7, 9, 4242, "lorelei", "report me");
    printf("debug report callback got the report: %d\n", atomic_load(&created.report));
    destroy_report(instance, report, NULL);

    uint32_t n = 1;
    VkPhysicalDevice pd;
    vkEnumeratePhysicalDevices(instance, &n, &pd);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(pd, &props);
    printf("device: %s\n", props.deviceName);
    float prio = 1;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice dev;
    CHECK(vkCreateDevice(pd, &dci, &allocator, &dev));
    VkQueue queue;
    vkGetDeviceQueue(dev, 0, 0, &queue);
    render(pd, dev, queue, validation);
    vkDestroyDevice(dev, &allocator);
    if (validation) {
        printf("validation layer reported the invalid buffer: %s\n",
               atomic_load(&created.vuid) > 0 ? "yes" : "no");
    }
    destroy_messenger(instance, messenger, &allocator);
    vkDestroyInstance(instance, &allocator);
    printf("allocations: used=%s all_freed=%s foreign_blocks=%ld\n",
           atomic_load(&stats.allocs) + atomic_load(&stats.reallocs) > 0 ? "yes" : "no",
           atomic_load(&stats.live) == 0 ? "yes" : "no", atomic_load(&stats.foreign));
    printf("callbacks_in_wrong_context=%d\n", atomic_load(&wrong_context));
    printf("callback strings usable in system calls: %s\n",
           atomic_load(&strings_checked) > 0 && atomic_load(&strings_unusable) == 0 ? "yes" : "no");
    fprintf(stderr,
            "allocs=%ld reallocs=%ld frees=%ld live=%ld internal=%ld messages=%d/%d "
            "callbacks_on_other_threads=%d strings=%d unusable=%d\n",
            atomic_load(&stats.allocs), atomic_load(&stats.reallocs), atomic_load(&stats.frees),
            atomic_load(&stats.live), atomic_load(&stats.internal), atomic_load(&chained.count),
            atomic_load(&created.count), atomic_load(&callbacks_on_other_threads),
            atomic_load(&strings_checked), atomic_load(&strings_unusable));
    return 0;
}
