/*
 * lorelei-probe: a static x86_64 program `qemu-lorelei doctor` runs under
 * QEMU + the plugin. It performs the handshake and opens every thunk library
 * of this build, then prints one line of JSON:
 *   {"abi":1,"guest_base_ok":true,"libs":{"sdl2":"ok","gl":"unavailable: ..."}}
 * Exit status: 0 handshake done (libraries may still be unavailable),
 * 2 no plugin, 3 guest_base != 0, 4 the plugin refused the handshake.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lorelei-libs.h"
#include "lorelei/abi.h"

static int64_t lorelei(uint64_t op, uint64_t a2)
{
    int64_t ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((uint64_t)LORELEI_SYSCALL_NR), "D"(op), "S"(a2), "d"(0)
                     : "rcx", "r11", "memory");
    return ret;
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

int main(void)
{
    static struct lorelei_hello hello;
    static volatile uint64_t probe = 0x70726f6265ull;
    hello.abi_version = LORELEI_ABI_VERSION;
    hello.probe_addr = (uint64_t)(uintptr_t)&probe;
    hello.probe_value = probe;
    int64_t r = lorelei(LORELEI_OP_HELLO, (uint64_t)(uintptr_t)&hello);
    if (r == -LORELEI_ENOSYS) {
        fprintf(stderr, "lorelei-probe: no qemu-lorelei plugin answered (not running under "
                        "qemu-x86_64 -plugin liblorelei-plugin.so)\n");
        return 2;
    }
    if (r == -LORELEI_EFAULT) {
        printf("{\"abi\":%d,\"guest_base_ok\":false,\"libs\":{}}\n", LORELEI_ABI_VERSION);
        return 3;
    }
    if (r != 0) {
        fprintf(stderr, "lorelei-probe: the plugin refused the handshake: %s\n", hello.message);
        return 4;
    }
    printf("{\"abi\":%d,\"guest_base_ok\":true,\"libs\":{", LORELEI_ABI_VERSION);
    static uint64_t no_invokers[256];
    for (int i = 0; i < LORELEI_N_LIBS; i++) {
        const struct lorelei_lib_info *lib = &lorelei_libs[i];
        struct lorelei_lib_open req = {.lib_id = lib->id,
                                       .n_functions = lib->n_functions,
                                       .api_hash = lib->api_hash,
                                       .invokers = (uint64_t)(uintptr_t)no_invokers,
                                       .n_invokers = lib->n_sigs};
        r = lorelei(LORELEI_OP_LIB_OPEN, (uint64_t)(uintptr_t)&req);
        printf("%s\"%s\":", i ? "," : "", lib->name);
        if (r == 0) {
            json_string("ok");
        } else {
            char msg[LORELEI_MESSAGE_SIZE + 32];
            snprintf(msg, sizeof(msg), "unavailable: %s", req.message);
            json_string(msg);
        }
    }
    printf("}}\n");
    return 0;
}
