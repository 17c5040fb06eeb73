/* Values of every compound type of tests/wit/typecov.wit, built, compared and released by
 * the C compiler's own layout of the generated header (tests/wire/build.rs compiles this
 * with the header of the typecov world).
 *
 * For each type, `wire_cases` holds: the C type name, sizeof, how many edge-case values
 * there are, a builder of value k (owned memory from malloc), a field-by-field equality
 * (floats compared by bits, so NaN payloads count), and the header's `_release` helper.
 * The tests encode each value with the runtime's codec, decode it into fresh memory and
 * compare the two here. */

#include <stdlib.h>
#include <string.h>

#include "typecov.h"

#define P(name) test_typecov_v1_##name

typedef void (*build_fn)(int k, void *out);
typedef int (*eq_fn)(const void *a, const void *b);
typedef void (*release_fn)(void *v, pp_dealloc_fn dealloc);

typedef struct wire_case {
    const char *type;
    size_t size;
    int cases;
    build_fn build;
    eq_fn eq;
    release_fn release;
} wire_case;

/* ---- helpers ---- */

static void *dup_bytes(const void *src, size_t n) {
    void *p;
    if (n == 0) {
        return NULL;
    }
    p = malloc(n);
    if (p == NULL) {
        abort();
    }
    memcpy(p, src, n);
    return p;
}

static pp_string strn(const char *s, size_t n) {
    pp_string v;
    v.ptr = (const char *)dup_bytes(s, n);
    v.len = n;
    return v;
}

static pp_string str(const char *s) { return strn(s, strlen(s)); }

static void *alloc_array(size_t n, size_t size) {
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

static int f64_eq(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static double f64_bits(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* A `pp_dealloc_fn` for what the builders allocated. */
void wire_free(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* ---- list<u8> ---- */

static void b_list_u8(int k, void *out) {
    P(list_u8) *v = (P(list_u8) *)out;
    static const uint8_t empty[1] = {0};
    uint8_t *buf;
    size_t i;
    switch (k) {
    case 0: v->ptr = NULL; v->len = 0; break;
    case 1: v->ptr = empty; v->len = 0; break; /* non-NULL, empty: owns nothing */
    case 2: {
        static const uint8_t three[3] = {0x00, 0xff, 0x80};
        v->ptr = (const uint8_t *)dup_bytes(three, 3);
        v->len = 3;
        break;
    }
    default:
        buf = (uint8_t *)alloc_array(1000, 1);
        for (i = 0; i < 1000; i++) {
            buf[i] = (uint8_t)(i * 7);
        }
        v->ptr = buf;
        v->len = 1000;
    }
}
static int e_list_u8(const void *a, const void *b) {
    const P(list_u8) *x = (const P(list_u8) *)a, *y = (const P(list_u8) *)b;
    return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
}
static void r_list_u8(void *v, pp_dealloc_fn d) { P(list_u8_release)((P(list_u8) *)v, d); }

/* ---- list<string> ---- */

static void b_list_string(int k, void *out) {
    P(list_string) *v = (P(list_string) *)out;
    pp_string *s;
    char big[300];
    if (k == 0) {
        v->ptr = NULL;
        v->len = 0;
        return;
    }
    memset(big, 'z', sizeof big);
    s = (pp_string *)alloc_array(3, sizeof(pp_string));
    s[0] = str("");
    s[1] = str("h\xc3\xa9llo");
    s[2] = strn(big, sizeof big);
    v->ptr = s;
    v->len = 3;
}
static int e_list_string(const void *a, const void *b) {
    const P(list_string) *x = (const P(list_string) *)a, *y = (const P(list_string) *)b;
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (!str_eq(x->ptr[i], y->ptr[i])) {
            return 0;
        }
    }
    return 1;
}
static void r_list_string(void *v, pp_dealloc_fn d) {
    P(list_string_release)((P(list_string) *)v, d);
}

/* ---- option<string> ---- */

static void b_option_string(int k, void *out) {
    P(option_string) *v = (P(option_string) *)out;
    v->is_some = (uint8_t)(k != 0);
    v->val = k == 0 ? strn("", 0) : k == 1 ? str("") : strn("a\0b", 3);
}
static int e_option_string(const void *a, const void *b) {
    const P(option_string) *x = (const P(option_string) *)a, *y = (const P(option_string) *)b;
    return x->is_some == y->is_some && (!x->is_some || str_eq(x->val, y->val));
}
static void r_option_string(void *v, pp_dealloc_fn d) {
    P(option_string_release)((P(option_string) *)v, d);
}

/* ---- result<u32, string> ---- */

static void b_result_u32_string(int k, void *out) {
    P(result_u32_string) *v = (P(result_u32_string) *)out;
    v->is_err = (uint8_t)(k % 2);
    if (k == 0) {
        v->val.ok = UINT32_MAX;
    } else if (k == 1) {
        v->val.err = str("bad");
    } else if (k == 2) {
        v->val.ok = 0;
    } else {
        v->val.err = str("");
    }
}
static int e_result_u32_string(const void *a, const void *b) {
    const P(result_u32_string) *x = (const P(result_u32_string) *)a;
    const P(result_u32_string) *y = (const P(result_u32_string) *)b;
    if (x->is_err != y->is_err) {
        return 0;
    }
    return x->is_err ? str_eq(x->val.err, y->val.err) : x->val.ok == y->val.ok;
}
static void r_result_u32_string(void *v, pp_dealloc_fn d) {
    P(result_u32_string_release)((P(result_u32_string) *)v, d);
}

/* ---- failure, result<_, failure> ---- */

static void mk_failure(int k, P(types_failure) *v) {
    if (k == 0) {
        v->tag = TEST_TYPECOV_V1_TYPES_FAILURE_CODE;
        v->val.code = 7;
    } else {
        v->tag = TEST_TYPECOV_V1_TYPES_FAILURE_MESSAGE;
        v->val.message = str("\xf0\x9f\xa6\x80 crab");
    }
}
static int eq_failure(const P(types_failure) *x, const P(types_failure) *y) {
    if (x->tag != y->tag) {
        return 0;
    }
    return x->tag == TEST_TYPECOV_V1_TYPES_FAILURE_CODE ? x->val.code == y->val.code
                                                         : str_eq(x->val.message, y->val.message);
}
static void b_failure(int k, void *out) { mk_failure(k, (P(types_failure) *)out); }
static int e_failure(const void *a, const void *b) {
    return eq_failure((const P(types_failure) *)a, (const P(types_failure) *)b);
}
static void r_failure(void *v, pp_dealloc_fn d) {
    P(types_failure_release)((P(types_failure) *)v, d);
}

static void b_result_void_failure(int k, void *out) {
    P(result_void_types_failure) *v = (P(result_void_types_failure) *)out;
    v->is_err = (uint8_t)(k != 0);
    if (k != 0) {
        mk_failure(k - 1, &v->val.err);
    }
}
static int e_result_void_failure(const void *a, const void *b) {
    const P(result_void_types_failure) *x = (const P(result_void_types_failure) *)a;
    const P(result_void_types_failure) *y = (const P(result_void_types_failure) *)b;
    return x->is_err == y->is_err && (!x->is_err || eq_failure(&x->val.err, &y->val.err));
}
static void r_result_void_failure(void *v, pp_dealloc_fn d) {
    P(result_void_types_failure_release)((P(result_void_types_failure) *)v, d);
}

/* ---- tuple<u8, string, f64> ---- */

static void b_tuple(int k, void *out) {
    P(tuple3_u8_string_f64) *v = (P(tuple3_u8_string_f64) *)out;
    if (k == 0) {
        v->f0 = 255;
        v->f1 = str("t");
        v->f2 = f64_bits(0x7ff8deadbeef0001ULL); /* quiet NaN with a payload */
    } else if (k == 1) {
        v->f0 = 0;
        v->f1 = strn("", 0);
        v->f2 = f64_bits(0x8000000000000000ULL); /* -0.0 */
    } else {
        v->f0 = 1;
        v->f1 = str("\xe2\x88\x9e");
        v->f2 = f64_bits(0x7ff0000000000001ULL); /* signalling NaN */
    }
}
static int e_tuple(const void *a, const void *b) {
    const P(tuple3_u8_string_f64) *x = (const P(tuple3_u8_string_f64) *)a;
    const P(tuple3_u8_string_f64) *y = (const P(tuple3_u8_string_f64) *)b;
    return x->f0 == y->f0 && str_eq(x->f1, y->f1) && f64_eq(x->f2, y->f2);
}
static void r_tuple(void *v, pp_dealloc_fn d) {
    P(tuple3_u8_string_f64_release)((P(tuple3_u8_string_f64) *)v, d);
}

/* ---- point, option<point> ---- */

static void b_point(int k, void *out) {
    P(types_point) *v = (P(types_point) *)out;
    v->x = k == 0 ? INT32_MIN : k == 1 ? 0 : -1;
    v->y = k == 0 ? INT32_MAX : k == 1 ? 0 : 1;
}
static int eq_point(const P(types_point) *x, const P(types_point) *y) {
    return x->x == y->x && x->y == y->y;
}
static int e_point(const void *a, const void *b) {
    return eq_point((const P(types_point) *)a, (const P(types_point) *)b);
}
static void r_none(void *v, pp_dealloc_fn d) {
    (void)v;
    (void)d;
}

static void b_option_point(int k, void *out) {
    P(option_types_point) *v = (P(option_types_point) *)out;
    v->is_some = (uint8_t)(k != 0);
    if (k != 0) {
        b_point(2, &v->val);
    }
}
static int e_option_point(const void *a, const void *b) {
    const P(option_types_point) *x = (const P(option_types_point) *)a;
    const P(option_types_point) *y = (const P(option_types_point) *)b;
    return x->is_some == y->is_some && (!x->is_some || eq_point(&x->val, &y->val));
}

/* ---- person, list<person> ---- */

static void mk_person(int k, P(types_person) *v) {
    pp_string *tags;
    if (k == 0) {
        v->name = str("Ada");
        v->age = 255;
        tags = (pp_string *)alloc_array(2, sizeof(pp_string));
        tags[0] = str("a");
        tags[1] = strn("", 0);
        v->tags.ptr = tags;
        v->tags.len = 2;
        v->home.is_some = 1;
        b_point(0, &v->home.val);
    } else {
        v->name = strn("", 0);
        v->age = 0;
        v->tags.ptr = NULL;
        v->tags.len = 0;
        v->home.is_some = 0;
    }
}
static int eq_person(const P(types_person) *x, const P(types_person) *y) {
    return str_eq(x->name, y->name) && x->age == y->age &&
           e_list_string(&x->tags, &y->tags) && e_option_point(&x->home, &y->home);
}
static void b_person(int k, void *out) { mk_person(k, (P(types_person) *)out); }
static int e_person(const void *a, const void *b) {
    return eq_person((const P(types_person) *)a, (const P(types_person) *)b);
}
static void r_person(void *v, pp_dealloc_fn d) {
    P(types_person_release)((P(types_person) *)v, d);
}

static void mk_people(int n, P(list_types_person) *v) {
    P(types_person) *p = (P(types_person) *)alloc_array((size_t)n, sizeof(P(types_person)));
    int i;
    for (i = 0; i < n; i++) {
        mk_person(i % 2, &p[i]);
    }
    v->ptr = p;
    v->len = (size_t)n;
}
static int eq_people(const P(list_types_person) *x, const P(list_types_person) *y) {
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (!eq_person(&x->ptr[i], &y->ptr[i])) {
            return 0;
        }
    }
    return 1;
}
static void b_people(int k, void *out) { mk_people(k == 0 ? 0 : 3, (P(list_types_person) *)out); }
static int e_people(const void *a, const void *b) {
    return eq_people((const P(list_types_person) *)a, (const P(list_types_person) *)b);
}
static void r_people(void *v, pp_dealloc_fn d) {
    P(list_types_person_release)((P(list_types_person) *)v, d);
}

/* ---- enums and flags ---- */

static void b_color(int k, void *out) { *(P(types_color) *)out = (P(types_color))k; }
static int e_u8(const void *a, const void *b) { return *(const uint8_t *)a == *(const uint8_t *)b; }
static void b_perms(int k, void *out) {
    static const uint8_t v[3] = {0, 7, 5};
    *(P(types_perms) *)out = v[k];
}
static void b_wide(int k, void *out) {
    static const uint32_t v[3] = {0, UINT32_MAX, 0x80000001u};
    *(P(types_wide) *)out = v[k];
}
static int e_u32(const void *a, const void *b) {
    return *(const uint32_t *)a == *(const uint32_t *)b;
}

/* ---- shape ---- */

static void mk_shape(int k, P(types_shape) *v) {
    v->tag = (uint8_t)k;
    switch (k) {
    case TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE: v->val.circle = f64_bits(0xfff0000000000abcULL); break;
    case TEST_TYPECOV_V1_TYPES_SHAPE_RECT: b_point(0, &v->val.rect); break;
    case TEST_TYPECOV_V1_TYPES_SHAPE_NAMED: v->val.named = str("shape"); break;
    default: break;
    }
}
static int eq_shape(const P(types_shape) *x, const P(types_shape) *y) {
    if (x->tag != y->tag) {
        return 0;
    }
    switch (x->tag) {
    case TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE: return f64_eq(x->val.circle, y->val.circle);
    case TEST_TYPECOV_V1_TYPES_SHAPE_RECT: return eq_point(&x->val.rect, &y->val.rect);
    case TEST_TYPECOV_V1_TYPES_SHAPE_NAMED: return str_eq(x->val.named, y->val.named);
    default: return 1;
    }
}
static void b_shape(int k, void *out) { mk_shape(k, (P(types_shape) *)out); }
static int e_shape(const void *a, const void *b) {
    return eq_shape((const P(types_shape) *)a, (const P(types_shape) *)b);
}
static void r_shape(void *v, pp_dealloc_fn d) { P(types_shape_release)((P(types_shape) *)v, d); }

/* ---- list<point> and its alias point-list ---- */

static void b_points(int k, void *out) {
    P(list_types_point) *v = (P(list_types_point) *)out;
    P(types_point) *p;
    int i;
    if (k == 0) {
        v->ptr = NULL;
        v->len = 0;
        return;
    }
    p = (P(types_point) *)alloc_array(3, sizeof(P(types_point)));
    for (i = 0; i < 3; i++) {
        b_point(i, &p[i]);
    }
    v->ptr = p;
    v->len = 3;
}
static int e_points(const void *a, const void *b) {
    const P(list_types_point) *x = (const P(list_types_point) *)a;
    const P(list_types_point) *y = (const P(list_types_point) *)b;
    size_t i;
    if (x->len != y->len) {
        return 0;
    }
    for (i = 0; i < x->len; i++) {
        if (!eq_point(&x->ptr[i], &y->ptr[i])) {
            return 0;
        }
    }
    return 1;
}
static void r_points(void *v, pp_dealloc_fn d) {
    P(list_types_point_release)((P(list_types_point) *)v, d);
}
static void r_point_list(void *v, pp_dealloc_fn d) {
    P(types_point_list_release)((P(types_point_list) *)v, d);
}

/* ---- result<list<person>, shape>, option<result<list<person>, shape>> ---- */

typedef P(result_list_types_person_types_shape) res_t;
typedef P(option_result_list_types_person_types_shape) nested_t;

static void mk_res(int k, res_t *v) {
    v->is_err = (uint8_t)(k == 2 || k == 3);
    if (k == 0) {
        mk_people(0, &v->val.ok);
    } else if (k == 1) {
        mk_people(2, &v->val.ok);
    } else {
        mk_shape(k == 2 ? TEST_TYPECOV_V1_TYPES_SHAPE_NAMED : TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE,
                 &v->val.err);
    }
}
static int eq_res(const res_t *x, const res_t *y) {
    if (x->is_err != y->is_err) {
        return 0;
    }
    return x->is_err ? eq_shape(&x->val.err, &y->val.err) : eq_people(&x->val.ok, &y->val.ok);
}
static void b_res(int k, void *out) { mk_res(k, (res_t *)out); }
static int e_res(const void *a, const void *b) { return eq_res((const res_t *)a, (const res_t *)b); }
static void r_res(void *v, pp_dealloc_fn d) {
    P(result_list_types_person_types_shape_release)((res_t *)v, d);
}

static void b_nested(int k, void *out) {
    nested_t *v = (nested_t *)out;
    v->is_some = (uint8_t)(k != 0);
    if (k != 0) {
        mk_res(k - 1, &v->val);
    }
}
static int e_nested(const void *a, const void *b) {
    const nested_t *x = (const nested_t *)a, *y = (const nested_t *)b;
    return x->is_some == y->is_some && (!x->is_some || eq_res(&x->val, &y->val));
}
static void r_nested(void *v, pp_dealloc_fn d) {
    P(option_result_list_types_person_types_shape_release)((nested_t *)v, d);
}

/* ---- list<u64> ---- */

static void b_list_u64(int k, void *out) {
    P(list_u64) *v = (P(list_u64) *)out;
    static const uint64_t vals[4] = {0, UINT64_MAX, (uint64_t)1 << 63, 300};
    if (k == 0) {
        v->ptr = NULL;
        v->len = 0;
        return;
    }
    v->ptr = (const uint64_t *)dup_bytes(vals, sizeof vals);
    v->len = 4;
}
static int e_list_u64(const void *a, const void *b) {
    const P(list_u64) *x = (const P(list_u64) *)a, *y = (const P(list_u64) *)b;
    return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len * 8) == 0);
}
static void r_list_u64(void *v, pp_dealloc_fn d) { P(list_u64_release)((P(list_u64) *)v, d); }

/* ---- own<counter>: a handle with a real vtable whose drop counts ---- */

static int counter_drops;
static void counter_drop(void *self) {
    (void)self;
    counter_drops++;
}
static const P(store_counter_vtable) counter_vtable = {
    {sizeof(P(store_counter_vtable)), 1u << 16, wire_free}, counter_drop, NULL, NULL};
static int counter_objects[2];

static void b_counter(int k, void *out) {
    P(store_counter) *v = (P(store_counter) *)out;
    v->self = &counter_objects[k];
    v->vtable = &counter_vtable;
}
static int e_counter(const void *a, const void *b) {
    const P(store_counter) *x = (const P(store_counter) *)a, *y = (const P(store_counter) *)b;
    return x->self == y->self && x->vtable == y->vtable;
}
static void r_counter(void *v, pp_dealloc_fn d) {
    P(store_counter_release)((P(store_counter) *)v, d);
}

int wire_counter_drops(void) { return counter_drops; }

#define CASE(ty, n, b, e, r) {"test_typecov_v1_" #ty, sizeof(P(ty)), n, b, e, r}

static const wire_case cases[] = {
    CASE(list_u8, 4, b_list_u8, e_list_u8, r_list_u8),
    CASE(list_string, 2, b_list_string, e_list_string, r_list_string),
    CASE(option_string, 3, b_option_string, e_option_string, r_option_string),
    CASE(result_u32_string, 4, b_result_u32_string, e_result_u32_string, r_result_u32_string),
    CASE(types_failure, 2, b_failure, e_failure, r_failure),
    CASE(result_void_types_failure, 3, b_result_void_failure, e_result_void_failure,
         r_result_void_failure),
    CASE(tuple3_u8_string_f64, 3, b_tuple, e_tuple, r_tuple),
    CASE(types_point, 3, b_point, e_point, r_none),
    CASE(option_types_point, 2, b_option_point, e_option_point, r_none),
    CASE(types_person, 2, b_person, e_person, r_person),
    CASE(types_color, 3, b_color, e_u8, r_none),
    CASE(types_perms, 3, b_perms, e_u8, r_none),
    CASE(types_wide, 3, b_wide, e_u32, r_none),
    CASE(types_shape, 4, b_shape, e_shape, r_shape),
    CASE(list_types_point, 2, b_points, e_points, r_points),
    CASE(types_point_list, 2, b_points, e_points, r_point_list),
    CASE(list_types_person, 2, b_people, e_people, r_people),
    CASE(result_list_types_person_types_shape, 4, b_res, e_res, r_res),
    CASE(option_result_list_types_person_types_shape, 5, b_nested, e_nested, r_nested),
    CASE(list_u64, 2, b_list_u64, e_list_u64, r_list_u64),
    CASE(store_counter, 2, b_counter, e_counter, r_counter),
};

size_t wire_case_count(void) { return sizeof cases / sizeof cases[0]; }
const wire_case *wire_case_at(size_t i) { return &cases[i]; }
