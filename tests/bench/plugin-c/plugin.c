/* The bench world in C: the "raw C vtable call through dlopen" baseline of
 * docs/performance.md. No validation beyond the ABI's, no allocation on scalar paths. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

static pp_status c_add(uint64_t a, uint64_t b, uint64_t *ret, pp_string *err) {
    (void)err;
    *ret = a + b;
    return PP_OK;
}

static pp_status c_str_len(pp_string s, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = (uint32_t)s.len;
    return PP_OK;
}

static pp_status c_make_string(uint32_t n, pp_string *ret, pp_string *err) {
    char *p = NULL;
    (void)err;
    if (n > 0) {
        p = (char *)malloc(n);
        if (p == NULL) {
            return PP_ERR_PANIC;
        }
        memset(p, 'x', n);
    }
    ret->ptr = p;
    ret->len = n;
    return PP_OK;
}

static pp_status c_sum_bytes(bench_calls_v1_list_u8 data, uint64_t *ret, pp_string *err) {
    uint64_t s = 0;
    size_t i;
    (void)err;
    for (i = 0; i < data.len; i++) {
        s += data.ptr[i];
    }
    *ret = s;
    return PP_OK;
}

static void acc_drop(void *self) { free(self); }

static pp_status acc_add(void *self, uint64_t v, uint64_t *ret, pp_string *err) {
    uint64_t *acc = (uint64_t *)self;
    (void)err;
    *acc += v;
    *ret = *acc;
    return PP_OK;
}

static const bench_calls_v1_calls_acc_vtable ACC = {
    {sizeof(bench_calls_v1_calls_acc_vtable), 0x00010000u, plugin_dealloc},
    acc_drop,
    acc_add,
};

static pp_status c_acc_new(bench_calls_v1_calls_acc *ret, pp_string *err) {
    uint64_t *acc = (uint64_t *)calloc(1, sizeof(uint64_t));
    (void)err;
    if (acc == NULL) {
        return PP_ERR_PANIC;
    }
    ret->self = acc;
    ret->vtable = &ACC;
    return PP_OK;
}

static const bench_calls_v1_calls_table CALLS = {
    {sizeof(bench_calls_v1_calls_table), 0x00010000u, plugin_dealloc},
    c_add,
    c_str_len,
    c_make_string,
    c_sum_bytes,
    c_acc_new,
};

static const bench_calls_v1_bench_exports EXPORTS = {
    {sizeof(bench_calls_v1_bench_exports), 0x00010000u, plugin_dealloc},
    &CALLS,
};

static pp_status init(const bench_calls_v1_bench_imports *imports, const bench_calls_v1_bench_exports **exports,
                      pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

BENCH_CALLS_V1_BENCH_EXPORT("bench-c", "1.0.0", init)
