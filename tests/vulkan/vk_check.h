/* CHECK(call): the test programs' way to stop at the first Vulkan call that
 * does not return VK_SUCCESS, naming the call and its result. */
#ifndef VK_CHECK_H
#define VK_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <vulkan/vulkan.h>

#define CHECK(call)                                                                                \
    do {                                                                                           \
        VkResult r_ = (call);                                                                      \
        if (r_ != VK_SUCCESS) {                                                                    \
            printf("FAILED: %s = %d\n", #call, r_);                                                \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#endif
