/* libprofile-spin.so: a guest library the profile must name. */
#include "spin.h"

__attribute__((visibility("default"))) uint64_t spin_in_library(long n)
{
    SPIN_BODY(n);
}
