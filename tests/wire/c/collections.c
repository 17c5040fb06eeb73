/* Values of the map and fixed-length list types of tests/wit/accept/collections.wit
 * (issue 11, A.1 and A.2), built, compared and released by the C compiler's own layout of
 * the generated header, as c/values.c does for typecov: `coll_cases` holds the C type
 * name, sizeof, how many edge values, a builder of value k (owned memory from malloc), an
 * equality and the header's `_release` helper. The entries are the same struct as
 * `wire_case`. */

#include <stdlib.h>
#include <string.h>

#include "collections.h"

#define P(name) test_collections_v1_##name

typedef void (*build_fn)(int k, void *out);
typedef int (*eq_fn)(const void *a, const void *b);
typedef void (*release_fn)(void *v, pp_dealloc_fn dealloc);

typedef struct coll_case {
    const char *type;
    size_t size;
    int cases;
    build_fn build;
    eq_fn eq;
    release_fn release;
} coll_case;

void wire_free(void *ptr, size_t size, size_t align);

static pp_string str(const char *s) {
    pp_string v;
    size_t n = strlen(s);
    char *p = NULL;
    if (n > 0) {
        p = (char *)malloc(n);
        if (p == NULL) {
            abort();
        }
        memcpy(p, s, n);
    }
    v.ptr = p;
    v.len = n;
    return v;
}

static void *entries(size_t n, size_t size) {
    void *p;
    if (n == 0) {
        return NULL;
    }
    p = calloc(n, size);
    if (p == NULL) {
        abort();
    }
    return p;
}

static int str_eq(pp_string a, pp_string b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ---- map<string, u32>: empty; two entries (one with an empty key); a duplicate key ---- */
static void b_counts(int k, void *out) {
    P(map_string_u32) *v = (P(map_string_u32) *)out;
    P(map_string_u32_entry) *e;
    v->len = k == 0 ? 0 : 2;
    e = (P(map_string_u32_entry) *)entries(v->len, sizeof *e);
    if (k >= 1) {
        e[0].key = str("");
        e[0].value = 0;
        e[1].key = str(k == 1 ? "z\xc3\xa9" : "");
        e[1].value = 0xFFFFFFFFu;
    }
    v->ptr = e;
}
static int e_counts(const void *a, const void *b) {
    const P(map_string_u32) *x = (const P(map_string_u32) *)a, *y = (const P(map_string_u32) *)b;
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (!str_eq(x->ptr[i].key, y->ptr[i].key) || x->ptr[i].value != y->ptr[i].value) {
            return 0;
        }
    }
    return 1;
}
static void r_counts(void *v, pp_dealloc_fn d) {
    P(map_string_u32_release)((P(map_string_u32) *)v, d);
}

/* ---- list<u8, 4> ---- */
static void b_quad(int k, void *out) {
    P(array4_u8) *v = (P(array4_u8) *)out;
    int i;
    for (i = 0; i < 4; i++) {
        v->elems[i] = (uint8_t)(k == 0 ? 0 : 255 - i);
    }
}
static int e_quad(const void *a, const void *b) { return memcmp(a, b, sizeof(P(array4_u8))) == 0; }
static void r_none(void *v, pp_dealloc_fn d) {
    (void)v;
    (void)d;
}

/* ---- list<string, 2> ---- */
static void mk_pair(int k, P(array2_string) *v) {
    v->elems[0] = str(k == 0 ? "" : "first");
    v->elems[1] = str(k == 0 ? "" : "\xf0\x9d\x84\x9e");
}
static int eq_pair(const P(array2_string) *x, const P(array2_string) *y) {
    return str_eq(x->elems[0], y->elems[0]) && str_eq(x->elems[1], y->elems[1]);
}
static void b_pair(int k, void *out) { mk_pair(k, (P(array2_string) *)out); }
static int e_pair(const void *a, const void *b) {
    return eq_pair((const P(array2_string) *)a, (const P(array2_string) *)b);
}
static void r_pair(void *v, pp_dealloc_fn d) {
    P(array2_string_release)((P(array2_string) *)v, d);
}

/* ---- record pixel { at: point, rgba: list<u8, 4>, names: list<string, 2> } ---- */
static void mk_pixel(int k, P(kv_pixel) *v) {
    v->at.x = k == 0 ? 0 : -2147483647 - 1;
    v->at.y = k == 0 ? 0 : 2147483647;
    b_quad(k, &v->rgba);
    mk_pair(k, &v->names);
}
static int eq_pixel(const P(kv_pixel) *x, const P(kv_pixel) *y) {
    return x->at.x == y->at.x && x->at.y == y->at.y && e_quad(&x->rgba, &y->rgba) &&
           eq_pair(&x->names, &y->names);
}
static void b_pixel(int k, void *out) { mk_pixel(k, (P(kv_pixel) *)out); }
static int e_pixel(const void *a, const void *b) {
    return eq_pixel((const P(kv_pixel) *)a, (const P(kv_pixel) *)b);
}
static void r_pixel(void *v, pp_dealloc_fn d) { P(kv_pixel_release)((P(kv_pixel) *)v, d); }

/* ---- map<string, pixel>: string keys, record values ---- */
static void b_places(int k, void *out) {
    P(map_string_kv_pixel) *v = (P(map_string_kv_pixel) *)out;
    P(map_string_kv_pixel_entry) *e;
    size_t i;
    v->len = (size_t)k;
    e = (P(map_string_kv_pixel_entry) *)entries(v->len, sizeof *e);
    for (i = 0; i < v->len; i++) {
        e[i].key = str(i == 0 ? "origin" : "far");
        mk_pixel((int)i, &e[i].value);
    }
    v->ptr = e;
}
static int e_places(const void *a, const void *b) {
    const P(map_string_kv_pixel) *x = (const P(map_string_kv_pixel) *)a;
    const P(map_string_kv_pixel) *y = (const P(map_string_kv_pixel) *)b;
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (!str_eq(x->ptr[i].key, y->ptr[i].key) || !eq_pixel(&x->ptr[i].value, &y->ptr[i].value)) {
            return 0;
        }
    }
    return 1;
}
static void r_places(void *v, pp_dealloc_fn d) {
    P(map_string_kv_pixel_release)((P(map_string_kv_pixel) *)v, d);
}

/* ---- map<u64, option<string>> ---- */
static void b_ids(int k, void *out) {
    P(map_u64_option_string) *v = (P(map_u64_option_string) *)out;
    P(map_u64_option_string_entry) *e;
    v->len = k == 0 ? 0 : 3;
    e = (P(map_u64_option_string_entry) *)entries(v->len, sizeof *e);
    if (k == 1) {
        e[0].key = 0;
        e[0].value.is_some = 0;
        e[1].key = 0xFFFFFFFFFFFFFFFFull;
        e[1].value.is_some = 1;
        e[1].value.val = str("max");
        e[2].key = 1;
        e[2].value.is_some = 1;
        e[2].value.val = str("");
    }
    v->ptr = e;
}
static int e_ids(const void *a, const void *b) {
    const P(map_u64_option_string) *x = (const P(map_u64_option_string) *)a;
    const P(map_u64_option_string) *y = (const P(map_u64_option_string) *)b;
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (x->ptr[i].key != y->ptr[i].key ||
            x->ptr[i].value.is_some != y->ptr[i].value.is_some ||
            (x->ptr[i].value.is_some && !str_eq(x->ptr[i].value.val, y->ptr[i].value.val))) {
            return 0;
        }
    }
    return 1;
}
static void r_ids(void *v, pp_dealloc_fn d) {
    P(map_u64_option_string_release)((P(map_u64_option_string) *)v, d);
}

/* ---- map<char, bool> ---- */
static void b_chars(int k, void *out) {
    P(map_char_bool) *v = (P(map_char_bool) *)out;
    P(map_char_bool_entry) *e;
    v->len = (size_t)k;
    e = (P(map_char_bool_entry) *)entries(v->len, sizeof *e);
    if (k == 2) {
        e[0].key = 0x1D11E;
        e[0].value = 1;
        e[1].key = 'a';
        e[1].value = 0;
    }
    v->ptr = e;
}
static int e_chars(const void *a, const void *b) {
    const P(map_char_bool) *x = (const P(map_char_bool) *)a, *y = (const P(map_char_bool) *)b;
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (x->ptr[i].key != y->ptr[i].key || x->ptr[i].value != y->ptr[i].value) {
            return 0;
        }
    }
    return 1;
}
static void r_chars(void *v, pp_dealloc_fn d) {
    P(map_char_bool_release)((P(map_char_bool) *)v, d);
}

/* ---- result<list<f32, 3>, string> ---- */
static void b_floats(int k, void *out) {
    P(result_array3_f32_string) *v = (P(result_array3_f32_string) *)out;
    memset(v, 0, sizeof *v);
    v->is_err = (uint8_t)(k == 1);
    if (k == 1) {
        v->val.err = str("no floats");
    } else {
        v->val.ok.elems[0] = 1.5f;
        v->val.ok.elems[1] = -0.0f;
        v->val.ok.elems[2] = k == 0 ? 3.25f : -1e30f;
    }
}
static int e_floats(const void *a, const void *b) {
    const P(result_array3_f32_string) *x = (const P(result_array3_f32_string) *)a;
    const P(result_array3_f32_string) *y = (const P(result_array3_f32_string) *)b;
    if (x->is_err != y->is_err) {
        return 0;
    }
    return x->is_err ? str_eq(x->val.err, y->val.err)
                     : memcmp(&x->val.ok, &y->val.ok, sizeof x->val.ok) == 0;
}
static void r_floats(void *v, pp_dealloc_fn d) {
    P(result_array3_f32_string_release)((P(result_array3_f32_string) *)v, d);
}

/* ---- list<list<s16, 2>, 3> ---- */
static void b_grid(int k, void *out) {
    P(array3_array2_s16) *v = (P(array3_array2_s16) *)out;
    int i;
    for (i = 0; i < 3; i++) {
        v->elems[i].elems[0] = (int16_t)(k == 0 ? 0 : -32768 + i);
        v->elems[i].elems[1] = (int16_t)(k == 0 ? 0 : 32767 - i);
    }
}
static int e_grid(const void *a, const void *b) {
    return memcmp(a, b, sizeof(P(array3_array2_s16))) == 0;
}

#define CASE(ty, n, b, e, r) {"test_collections_v1_" #ty, sizeof(P(ty)), n, b, e, r}

static const coll_case cases[] = {
    CASE(map_string_u32, 3, b_counts, e_counts, r_counts),
    CASE(array4_u8, 2, b_quad, e_quad, r_none),
    CASE(array2_string, 2, b_pair, e_pair, r_pair),
    CASE(kv_pixel, 2, b_pixel, e_pixel, r_pixel),
    CASE(map_string_kv_pixel, 3, b_places, e_places, r_places),
    CASE(map_u64_option_string, 2, b_ids, e_ids, r_ids),
    CASE(map_char_bool, 3, b_chars, e_chars, r_chars),
    CASE(result_array3_f32_string, 3, b_floats, e_floats, r_floats),
    CASE(array3_array2_s16, 2, b_grid, e_grid, r_none),
};

size_t coll_case_count(void) { return sizeof cases / sizeof cases[0]; }
const coll_case *coll_case_at(size_t i) { return &cases[i]; }
