/* A C plugin of test:collections (tests/wit/accept/collections.wit): maps and fixed-length
 * lists (docs/abi.md section 3, "Maps" and "Fixed-length lists") across dlopen.
 *
 * Every slot is wrapped in its validating trampoline. Results are owned by the host and
 * released with plugin_dealloc (free). `counts` answers a map with a duplicate key when
 * asked (key "dup"): C sends pairs as they are, and a receiver whose language type is a
 * map must refuse it. Counters alive are counted for the host (live_objects). */
#include <stdlib.h>
#include <string.h>

#include "collections.h"

#define TABLE_VERSION 0x00010000u /* test:collections@1.0.0 */
#define P(name) test_collections_v1_##name

/* Not atomic: the test calls from one thread. */
static size_t g_live;

static size_t live(void) {
    return g_live;
}

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* An owned copy of `len` bytes at `text` into *out (nothing to allocate for len 0). */
static int copy(const char *text, size_t len, pp_string *out) {
    char *p = NULL;
    if (len > 0) {
        p = (char *)malloc(len);
        if (p == NULL) {
            return 0;
        }
        memcpy(p, text, len);
    }
    out->ptr = p;
    out->len = len;
    return 1;
}

static pp_status oom(pp_string *err) {
    static const char msg[] = "out of memory";
    copy(msg, sizeof msg - 1, err);
    return PP_ERR_PANIC;
}

/* `n` zeroed elements of `size` bytes, or NULL for none (an empty list owns nothing). */
static void *elements(size_t n, size_t size) {
    return n == 0 ? NULL : calloc(n, size);
}

static int is(pp_string s, const char *text) {
    return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

/* ---- counter ---- */
static void counter_drop(void *self) {
    free(self);
    g_live--;
}

static pp_status counter_value(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = *(uint32_t *)self;
    return PP_OK;
}

static const P(kv_counter_vtable) COUNTER_VT = {
    {sizeof(P(kv_counter_vtable)), TABLE_VERSION, plugin_dealloc},
    counter_drop,
    counter_value,
};

static int make_counter(uint32_t value, P(kv_counter) *out) {
    uint32_t *v = (uint32_t *)malloc(sizeof *v);
    if (v == NULL) {
        return 0;
    }
    *v = value;
    g_live++;
    out->self = v;
    out->vtable = &COUNTER_VT;
    return 1;
}

/* ---- counts: each value plus one; key "dup" answers {"a": 1, "a": 2} ---- */
static pp_status counts(P(map_string_u32) m, P(map_string_u32) *ret, pp_string *err) {
    P(map_string_u32_entry) *out;
    size_t i;
    for (i = 0; i < m.len; i++) {
        if (is(m.ptr[i].key, "dup")) {
            out = (P(map_string_u32_entry) *)elements(2, sizeof *out);
            if (out == NULL || !copy("a", 1, &out[0].key) || !copy("a", 1, &out[1].key)) {
                return oom(err);
            }
            out[0].value = 1;
            out[1].value = 2;
            ret->ptr = out;
            ret->len = 2;
            return PP_OK;
        }
    }
    out = (P(map_string_u32_entry) *)elements(m.len, sizeof *out);
    if (m.len > 0 && out == NULL) {
        return oom(err);
    }
    for (i = 0; i < m.len; i++) {
        if (!copy(m.ptr[i].key.ptr, m.ptr[i].key.len, &out[i].key)) {
            return oom(err);
        }
        out[i].value = m.ptr[i].value + 1;
    }
    ret->ptr = out;
    ret->len = m.len;
    return PP_OK;
}

/* ---- places: an owned copy of the map ---- */
static int copy_pixel(const P(kv_pixel) *src, P(kv_pixel) *dst) {
    *dst = *src;
    return copy(src->names.elems[0].ptr, src->names.elems[0].len, &dst->names.elems[0]) &&
           copy(src->names.elems[1].ptr, src->names.elems[1].len, &dst->names.elems[1]);
}

static pp_status places(P(map_string_kv_pixel) m, P(map_string_kv_pixel) *ret,
                        pp_string *err) {
    P(map_string_kv_pixel_entry) *out =
        (P(map_string_kv_pixel_entry) *)elements(m.len, sizeof *out);
    size_t i;
    if (m.len > 0 && out == NULL) {
        return oom(err);
    }
    for (i = 0; i < m.len; i++) {
        if (!copy(m.ptr[i].key.ptr, m.ptr[i].key.len, &out[i].key) ||
            !copy_pixel(&m.ptr[i].value, &out[i].value)) {
            return oom(err);
        }
    }
    ret->ptr = out;
    ret->len = m.len;
    return PP_OK;
}

/* ---- by-id: an owned copy of the map ---- */
static pp_status by_id(P(map_u64_option_string) m, P(map_u64_option_string) *ret,
                       pp_string *err) {
    P(map_u64_option_string_entry) *out =
        (P(map_u64_option_string_entry) *)elements(m.len, sizeof *out);
    size_t i;
    if (m.len > 0 && out == NULL) {
        return oom(err);
    }
    for (i = 0; i < m.len; i++) {
        out[i].key = m.ptr[i].key;
        out[i].value.is_some = m.ptr[i].value.is_some;
        if (m.ptr[i].value.is_some &&
            !copy(m.ptr[i].value.val.ptr, m.ptr[i].value.val.len, &out[i].value.val)) {
            return oom(err);
        }
    }
    ret->ptr = out;
    ret->len = m.len;
    return PP_OK;
}

/* ---- by-char: how many values are true, plus 1000 per key above U+FFFF ---- */
static pp_status by_char(P(map_char_bool) m, uint32_t *ret, pp_string *err) {
    size_t i;
    (void)err;
    *ret = 0;
    for (i = 0; i < m.len; i++) {
        *ret += m.ptr[i].value ? 1u : 0u;
        *ret += m.ptr[i].key > 0xFFFFu ? 1000u : 0u;
    }
    return PP_OK;
}

/* ---- quad: reversed ---- */
static pp_status quad(P(array4_u8) v, P(array4_u8) *ret, pp_string *err) {
    size_t i;
    (void)err;
    for (i = 0; i < 4; i++) {
        ret->elems[i] = v.elems[3 - i];
    }
    return PP_OK;
}

/* ---- pair: swapped (owned copies) ---- */
static pp_status pair(P(array2_string) v, P(array2_string) *ret, pp_string *err) {
    if (!copy(v.elems[1].ptr, v.elems[1].len, &ret->elems[0]) ||
        !copy(v.elems[0].ptr, v.elems[0].len, &ret->elems[1])) {
        return oom(err);
    }
    return PP_OK;
}

/* ---- floats: [1.5, -0.0, 3.25] or the error "no floats" ---- */
static pp_status floats(uint8_t ok, P(result_array3_f32_string) *ret, pp_string *err) {
    if (ok) {
        ret->is_err = 0;
        ret->val.ok.elems[0] = 1.5f;
        ret->val.ok.elems[1] = -0.0f;
        ret->val.ok.elems[2] = 3.25f;
        return PP_OK;
    }
    ret->is_err = 1;
    return copy("no floats", 9, &ret->val.err) ? PP_OK : oom(err);
}

/* ---- grid: every element negated ---- */
static pp_status grid(P(array3_array2_s16) g, P(array3_array2_s16) *ret, pp_string *err) {
    size_t i, j;
    (void)err;
    for (i = 0; i < 3; i++) {
        for (j = 0; j < 2; j++) {
            ret->elems[i].elems[j] = (int16_t)-g.elems[i].elems[j];
        }
    }
    return PP_OK;
}

/* ---- counters: drops the received counters (own handles), answers two new ones whose
 * values are how many it received and the sum of their values ---- */
static pp_status counters(P(map_string_kv_counter) m, P(array2_kv_counter) *ret,
                          pp_string *err) {
    uint32_t sum = 0;
    size_t i;
    for (i = 0; i < m.len; i++) {
        P(kv_counter) h = m.ptr[i].value;
        uint32_t v = 0;
        if (h.vtable->value(h.self, &v, err) != PP_OK) {
            return PP_ERR_PANIC;
        }
        sum += v;
        P(kv_counter_release)(&h, NULL);
    }
    if (!make_counter((uint32_t)m.len, &ret->elems[0])) {
        return oom(err);
    }
    if (!make_counter(sum, &ret->elems[1])) {
        P(kv_counter_release)(&ret->elems[0], NULL);
        return oom(err);
    }
    return PP_OK;
}

TEST_COLLECTIONS_V1_KV_COUNTS_TRAMPOLINE(counts_checked, counts)
TEST_COLLECTIONS_V1_KV_PLACES_TRAMPOLINE(places_checked, places)
TEST_COLLECTIONS_V1_KV_BY_ID_TRAMPOLINE(by_id_checked, by_id)
TEST_COLLECTIONS_V1_KV_BY_CHAR_TRAMPOLINE(by_char_checked, by_char)
TEST_COLLECTIONS_V1_KV_QUAD_TRAMPOLINE(quad_checked, quad)
TEST_COLLECTIONS_V1_KV_PAIR_TRAMPOLINE(pair_checked, pair)
TEST_COLLECTIONS_V1_KV_FLOATS_TRAMPOLINE(floats_checked, floats)
TEST_COLLECTIONS_V1_KV_GRID_TRAMPOLINE(grid_checked, grid)
TEST_COLLECTIONS_V1_KV_COUNTERS_TRAMPOLINE(counters_checked, counters)

static const P(kv_table) KV = {
    {sizeof(P(kv_table)), TABLE_VERSION, plugin_dealloc},
    counts_checked,
    places_checked,
    by_id_checked,
    by_char_checked,
    quad_checked,
    pair_checked,
    floats_checked,
    grid_checked,
    counters_checked,
};

static const P(collections_exports) EXPORTS = {
    {sizeof(P(collections_exports)), TABLE_VERSION, plugin_dealloc},
    &KV,
};

static pp_status init(const P(collections_imports) *imports,
                      const P(collections_exports) **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_COLLECTIONS_V1_COLLECTIONS_EXPORT("collections-c", "1.0.0", init)
TEST_COLLECTIONS_V1_COLLECTIONS_LIVE_OBJECTS(live)
