/* The baselines of the C++ benchmark (bench.cpp), compiled as C99 -O2:
 *  - raw_add_loop: the bench C plugin's `add` slot called straight through its function
 *    pointer from C, n times (no checks: the floor for a call through a table);
 *  - checked_add_loop: the same through the header's checked caller
 *    bench_calls_v1_calls_call_add (docs/abi.md section 11), from C;
 *  - checked_string_loop: make_string(64) through the checked caller, released with
 *    pp_string_release and the table's dealloc, from C;
 *  - malloc_copy_free_loop: n times malloc(len) + memcpy + free, what receiving an owned
 *    64-byte string costs at least when it is copied into memory of one's own;
 *  - raw_string_loop: make_string(64) through the raw slot, released through the table's
 *    dealloc, with no check at all: the callee's own work (its malloc and fill, the free
 *    behind its dealloc) and the two indirect calls, i.e. everything but plugport's
 *    checks. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

uint64_t raw_add_loop(const bench_calls_v1_calls_table *t, uint64_t n) {
    uint64_t sum = 0, i;
    for (i = 0; i < n; i++) {
        uint64_t ret = 0;
        pp_string err = {NULL, 0};
        if (t->add(i, 1, &ret, &err) == PP_OK) {
            sum += ret;
        }
    }
    return sum;
}

uint64_t raw_string_loop(const bench_calls_v1_calls_table *t, uint64_t n) {
    uint64_t sum = 0, i;
    for (i = 0; i < n; i++) {
        pp_string s = {NULL, 0};
        pp_string err = {NULL, 0};
        if (t->make_string(64, &s, &err) == PP_OK) {
            sum += (unsigned char)s.ptr[63];
            t->header.dealloc((void *)(uintptr_t)s.ptr, s.len, 1);
        }
    }
    return sum;
}

uint64_t malloc_copy_free_loop(const char *src, size_t len, uint64_t n) {
    uint64_t sum = 0, i;
    for (i = 0; i < n; i++) {
        char *volatile p = (char *)malloc(len);
        if (p == NULL) {
            return 0;
        }
        memcpy(p, src, len);
        sum += (unsigned char)p[len - 1];
        free(p);
    }
    return sum;
}

uint64_t checked_add_loop(const bench_calls_v1_calls_table *t, uint64_t n) {
    uint64_t sum = 0, i;
    for (i = 0; i < n; i++) {
        uint64_t ret;
        pp_error err;
        if (bench_calls_v1_calls_call_add(t, i, 1, &ret, &err) == PP_OK) {
            sum += ret;
        } else {
            pp_error_release(&err);
        }
    }
    return sum;
}

uint64_t checked_string_loop(const bench_calls_v1_calls_table *t, uint64_t n) {
    uint64_t sum = 0, i;
    for (i = 0; i < n; i++) {
        pp_string s;
        pp_error err;
        if (bench_calls_v1_calls_call_make_string(t, 64, &s, &err) == PP_OK) {
            if (s.len == 64) {
                sum += (unsigned char)s.ptr[63];
            }
            pp_string_release(&s, t->header.dealloc);
        } else {
            pp_error_release(&err);
        }
    }
    return sum;
}
