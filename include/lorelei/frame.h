/*
 * Frames: arguments and results cross the magic syscall in arrays of 8-byte
 * slots, each value copied bit for bit (guest and host are both LP64
 * little-endian, so no value changes meaning on the way). A value of N bytes
 * takes ceil(N / 8) slots. Used by the guest stubs and the host thunks alike.
 */
#ifndef LORELEI_FRAME_H
#define LORELEI_FRAME_H

#include <stdint.h>
#include <string.h>

#define LORELEI_GET(type, frame, slot)                                                             \
    __extension__({                                                                                \
        type lorelei_v_;                                                                           \
        memcpy(&lorelei_v_, &(frame)[slot], sizeof lorelei_v_);                                    \
        lorelei_v_;                                                                                \
    })

#define LORELEI_PUT(frame, slot, value)                                                            \
    do {                                                                                           \
        __typeof__(value) lorelei_v_ = (value);                                                    \
        memcpy(&(frame)[slot], &lorelei_v_, sizeof lorelei_v_);                                    \
    } while (0)

#endif /* LORELEI_FRAME_H */
