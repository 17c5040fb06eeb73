/* The type-coverage host in C: loads a test:typecov@1.0.0 plugin through the plugport
 * runtime (headers/plugport.h) and the generated header typecov.h, and checks
 *  - a round trip of edge values through every echo function, called through the
 *    header's checked callers (docs/abi.md section 11: they validate each result and
 *    refuse one that points into the argument's memory); owned results are released
 *    with the generated _release helpers and the table's header.dealloc;
 *  - the counter resource: constructor, methods, static, borrow, move, drop, `live`;
 *  - `boom`: PP_ERR_PANIC with the message, and the plugin still works afterwards;
 *  - arguments a C caller can get wrong, sent through the RAW table (the checked callers
 *    pass arguments on unchecked): each must be refused with PP_ERR_INVALID_ARGUMENT and
 *    a message, never crash.
 *
 * One line per check, then "N passed, M failed"; the exit status is 0 only when every
 * check passed.
 *
 *   usage: typecov-host-c <plugin.so>
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugport.h"
#include "typecov.h"

typedef test_typecov_v1_types_point point_t;
typedef test_typecov_v1_types_person person_t;
typedef test_typecov_v1_types_shape shape_t;
typedef test_typecov_v1_types_failure failure_t;
typedef test_typecov_v1_types_point_list point_list_t;
typedef test_typecov_v1_list_u8 list_u8_t;
typedef test_typecov_v1_list_u64 list_u64_t;
typedef test_typecov_v1_list_string list_string_t;
typedef test_typecov_v1_list_types_person list_person_t;
typedef test_typecov_v1_option_string option_string_t;
typedef test_typecov_v1_result_u32_string result_u32_string_t;
typedef test_typecov_v1_result_void_types_failure result_unit_t;
typedef test_typecov_v1_tuple3_u8_string_f64 tuple_t;
typedef test_typecov_v1_option_result_list_types_person_types_shape nested_t;
typedef test_typecov_v1_store_counter counter_t;

#define MIB ((size_t)1 << 20)

static const test_typecov_v1_typecov_exports *X;
static const test_typecov_v1_echo_table *E;
static const test_typecov_v1_store_table *S;
static pp_dealloc_fn XD, ED, SD; /* each table's dealloc */
static int passed, failed;

/* ---------------------------------------------------------------------------------- */
/* Reporting                                                                          */

static int check(int ok, const char *what) {
    if (ok) {
        passed++;
        printf("ok   %s\n", what);
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
    return ok;
}

static int shown_len(const pp_string *s) {
    return s->ptr == NULL ? 0 : (int)(s->len > 200 ? 200 : s->len);
}

/* A call through a generated checked caller, expected to succeed. When it does not,
 * that is one failed check: prints the status and message, and releases the message.
 * (The checked callers validate every result, rule 5, and refuse one that points into
 * the argument, rule 1: a result that arrives with PP_OK is well-formed and owned.) */
static int called(pp_status st, pp_error *err, const char *what) {
    if (st == PP_OK) {
        return 1;
    }
    failed++;
    printf("FAIL %s: status %d: %.*s\n", what, (int)st, shown_len(&err->message),
           err->message.ptr ? err->message.ptr : "");
    pp_error_release(err);
    return 0;
}

/* A call expected to be refused with PP_ERR_INVALID_ARGUMENT and a message. Returns 1
 * when the callee (wrongly) returned PP_OK, so the caller can release the result. */
static int refused(pp_status st, pp_string *err, pp_dealloc_fn dealloc, const char *what) {
    char line[400];
    int ok = st == PP_ERR_INVALID_ARGUMENT && err->len > 0 && err->ptr != NULL;
    snprintf(line, sizeof line, "%s -> PP_ERR_INVALID_ARGUMENT (got %d: \"%.*s\")", what, (int)st,
             shown_len(err), err->ptr ? err->ptr : "");
    check(ok, line);
    if (st != PP_OK) {
        pp_string_release(err, dealloc);
    }
    return st == PP_OK;
}

/* ---------------------------------------------------------------------------------- */
/* Values and comparisons                                                             */

static pp_string str(const char *s) {
    pp_string v;
    v.ptr = s;
    v.len = strlen(s);
    return v;
}

static pp_string strn(const char *s, size_t n) {
    pp_string v;
    v.ptr = s;
    v.len = n;
    return v;
}

static float f32_of(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t bits_f32(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static double f64_of(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static uint64_t bits_f64(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* Same bytes, and an owned copy: never the argument's memory, never NULL when len > 0. */
static int owned_bytes(const void *r, size_t rlen, const void *v, size_t vlen, size_t elem) {
    if (rlen != vlen) {
        return 0;
    }
    if (vlen == 0) {
        return 1;
    }
    return r != NULL && r != v && memcmp(r, v, vlen * elem) == 0;
}

static int str_copy(pp_string r, pp_string v) {
    return owned_bytes(r.ptr, r.len, v.ptr, v.len, 1);
}

static int list_string_copy(list_string_t r, list_string_t v) {
    size_t i;
    if (r.len != v.len || (v.len > 0 && (r.ptr == NULL || r.ptr == v.ptr))) {
        return 0;
    }
    for (i = 0; i < v.len; i++) {
        if (!str_copy(r.ptr[i], v.ptr[i])) {
            return 0;
        }
    }
    return 1;
}

static int point_eq(point_t a, point_t b) {
    return a.x == b.x && a.y == b.y;
}

static int person_copy(const person_t *r, const person_t *v) {
    return str_copy(r->name, v->name) && r->age == v->age && list_string_copy(r->tags, v->tags) &&
           r->home.is_some == v->home.is_some && (!v->home.is_some || point_eq(r->home.val, v->home.val));
}

static int shape_copy(const shape_t *r, const shape_t *v) {
    if (r->tag != v->tag) {
        return 0;
    }
    switch (v->tag) {
    case TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE:
        return bits_f64(r->val.circle) == bits_f64(v->val.circle);
    case TEST_TYPECOV_V1_TYPES_SHAPE_RECT:
        return point_eq(r->val.rect, v->val.rect);
    case TEST_TYPECOV_V1_TYPES_SHAPE_NAMED:
        return str_copy(r->val.named, v->val.named);
    default:
        return 1;
    }
}

static int nested_copy(const nested_t *r, const nested_t *v) {
    size_t i;
    if (r->is_some != v->is_some) {
        return 0;
    }
    if (!v->is_some) {
        return 1;
    }
    if (r->val.is_err != v->val.is_err) {
        return 0;
    }
    if (v->val.is_err) {
        return shape_copy(&r->val.val.err, &v->val.val.err);
    }
    if (r->val.val.ok.len != v->val.val.ok.len) {
        return 0;
    }
    if (v->val.val.ok.len > 0 && (r->val.val.ok.ptr == NULL || r->val.val.ok.ptr == v->val.val.ok.ptr)) {
        return 0;
    }
    for (i = 0; i < v->val.val.ok.len; i++) {
        if (!person_copy(&r->val.val.ok.ptr[i], &v->val.val.ok.ptr[i])) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------------------------- */
/* Scalars                                                                            */

/* The checked caller of echo-table slot SLOT. */
#define ECHO_CALL(SLOT) test_typecov_v1_echo_call_##SLOT

#define ECHO_SIGNED(SLOT, T, V)                                                            \
    do {                                                                                   \
        T r_ = 0;                                                                          \
        pp_error e_;                                                          \
        char w_[128];                                                                      \
        snprintf(w_, sizeof w_, "%s(%" PRIdMAX ")", #SLOT, (intmax_t)(V));                 \
        if (called(ECHO_CALL(SLOT)(E, (T)(V), &r_, &e_), &e_, w_)) {                              \
            check(r_ == (T)(V), w_);                                                       \
        }                                                                                  \
    } while (0)

#define ECHO_UNSIGNED(SLOT, T, V)                                                          \
    do {                                                                                   \
        T r_ = 0;                                                                          \
        pp_error e_;                                                          \
        char w_[128];                                                                      \
        snprintf(w_, sizeof w_, "%s(0x%" PRIxMAX ")", #SLOT, (uintmax_t)(V));              \
        if (called(ECHO_CALL(SLOT)(E, (T)(V), &r_, &e_), &e_, w_)) {                              \
            check(r_ == (T)(V), w_);                                                       \
        }                                                                                  \
    } while (0)

static void echo_f32_bits(uint32_t bits, const char *label) {
    float r = 0;
    pp_error e;
    char w[128];
    snprintf(w, sizeof w, "echo_f32(%s = bits 0x%08" PRIx32 ") bit-exact", label, bits);
    if (called(test_typecov_v1_echo_call_echo_f32(E, f32_of(bits), &r, &e), &e, w)) {
        check(bits_f32(r) == bits, w);
    }
}

static void echo_f64_bits(uint64_t bits, const char *label) {
    double r = 0;
    pp_error e;
    char w[128];
    snprintf(w, sizeof w, "echo_f64(%s = bits 0x%016" PRIx64 ") bit-exact", label, bits);
    if (called(test_typecov_v1_echo_call_echo_f64(E, f64_of(bits), &r, &e), &e, w)) {
        check(bits_f64(r) == bits, w);
    }
}

static void scalars(void) {
    static const uint32_t chars[] = {0x0, 0x41, 0x7F, 0x80, 0xE9, 0x7FF, 0x800, 0x4E16, 0xD7FF,
                                     0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    size_t i;

    ECHO_UNSIGNED(echo_bool, uint8_t, 0);
    ECHO_UNSIGNED(echo_bool, uint8_t, 1);

    ECHO_SIGNED(echo_s8, int8_t, INT8_MIN);
    ECHO_SIGNED(echo_s8, int8_t, -1);
    ECHO_SIGNED(echo_s8, int8_t, 0);
    ECHO_SIGNED(echo_s8, int8_t, INT8_MAX);
    ECHO_SIGNED(echo_s16, int16_t, INT16_MIN);
    ECHO_SIGNED(echo_s16, int16_t, -1);
    ECHO_SIGNED(echo_s16, int16_t, INT16_MAX);
    ECHO_SIGNED(echo_s32, int32_t, INT32_MIN);
    ECHO_SIGNED(echo_s32, int32_t, -1);
    ECHO_SIGNED(echo_s32, int32_t, INT32_MAX);
    ECHO_SIGNED(echo_s64, int64_t, INT64_MIN);
    ECHO_SIGNED(echo_s64, int64_t, -1);
    ECHO_SIGNED(echo_s64, int64_t, INT64_MAX);

    ECHO_UNSIGNED(echo_u8, uint8_t, 0);
    ECHO_UNSIGNED(echo_u8, uint8_t, 0x80);
    ECHO_UNSIGNED(echo_u8, uint8_t, UINT8_MAX);
    ECHO_UNSIGNED(echo_u16, uint16_t, 0);
    ECHO_UNSIGNED(echo_u16, uint16_t, 0x8000);
    ECHO_UNSIGNED(echo_u16, uint16_t, UINT16_MAX);
    ECHO_UNSIGNED(echo_u32, uint32_t, 0);
    ECHO_UNSIGNED(echo_u32, uint32_t, 0x80000000u);
    ECHO_UNSIGNED(echo_u32, uint32_t, UINT32_MAX);
    ECHO_UNSIGNED(echo_u64, uint64_t, 0);
    ECHO_UNSIGNED(echo_u64, uint64_t, 0x8000000000000000ull);
    ECHO_UNSIGNED(echo_u64, uint64_t, UINT64_MAX);

    echo_f32_bits(0x00000000u, "+0.0");
    echo_f32_bits(0x80000000u, "-0.0");
    echo_f32_bits(0x3F800000u, "1.0");
    echo_f32_bits(0x00000001u, "smallest subnormal");
    echo_f32_bits(0x7F7FFFFFu, "FLT_MAX");
    echo_f32_bits(0x7F800000u, "+inf");
    echo_f32_bits(0xFF800000u, "-inf");
    echo_f32_bits(0x7FC00000u, "NaN");
    echo_f32_bits(0x7FC12345u, "NaN with payload");
    echo_f32_bits(0xFFC00001u, "negative NaN with payload");
    echo_f32_bits(0x7F800001u, "signalling NaN");

    echo_f64_bits(0x0000000000000000ull, "+0.0");
    echo_f64_bits(0x8000000000000000ull, "-0.0");
    echo_f64_bits(0x3FF0000000000000ull, "1.0");
    echo_f64_bits(0x0000000000000001ull, "smallest subnormal");
    echo_f64_bits(0x7FEFFFFFFFFFFFFFull, "DBL_MAX");
    echo_f64_bits(0x7FF0000000000000ull, "+inf");
    echo_f64_bits(0xFFF0000000000000ull, "-inf");
    echo_f64_bits(0x7FF8000000000000ull, "NaN");
    echo_f64_bits(0x7FF8000000012345ull, "NaN with payload");
    echo_f64_bits(0xFFF8000000000001ull, "negative NaN with payload");
    echo_f64_bits(0x7FF0000000000001ull, "signalling NaN");

    for (i = 0; i < sizeof chars / sizeof chars[0]; i++) {
        ECHO_UNSIGNED(echo_char, uint32_t, chars[i]);
    }
}

/* ---------------------------------------------------------------------------------- */
/* Strings and lists                                                                  */

static void echo_string_case(pp_string v, const char *label) {
    pp_string r = {NULL, 0};
    pp_error e;
    char w[160];
    snprintf(w, sizeof w, "echo_string(%s, %lu bytes) owned copy", label, (unsigned long)v.len);
    if (called(test_typecov_v1_echo_call_echo_string(E, v, &r, &e), &e, w)) {
        check(str_copy(r, v), w);
        pp_string_release(&r, ED);
    }
}

static void echo_bytes_case(const uint8_t *p, size_t n, const char *label) {
    list_u8_t v, r;
    pp_error e;
    char w[160];
    v.ptr = p;
    v.len = n;
    r.ptr = NULL;
    r.len = 0;
    snprintf(w, sizeof w, "echo_bytes(%s, %lu bytes) owned copy", label, (unsigned long)n);
    if (called(test_typecov_v1_echo_call_echo_bytes(E, v, &r, &e), &e, w)) {
        check(owned_bytes(r.ptr, r.len, v.ptr, v.len, 1), w);
        test_typecov_v1_list_u8_release(&r, ED);
    }
}

static void echo_strings_case(const pp_string *items, size_t n, const char *label) {
    list_string_t v, r;
    pp_error e;
    char w[160];
    v.ptr = items;
    v.len = n;
    memset(&r, 0, sizeof r);
    snprintf(w, sizeof w, "echo_strings(%s, %lu members) owned deep copy", label, (unsigned long)n);
    if (called(test_typecov_v1_echo_call_echo_strings(E, v, &r, &e), &e, w)) {
        check(list_string_copy(r, v), w);
        test_typecov_v1_list_string_release(&r, ED);
    }
}

static void strings_and_lists(void) {
    static const char pattern[] = "a\xc3\xa9\xe4\xb8\x96\xf0\x9f\x8e\x89"; /* aé世🎉: 10 bytes */
    pp_string members[7], *many;
    uint8_t *bytes;
    char *big;
    size_t i, n;

    echo_string_case(strn(NULL, 0), "empty, NULL pointer");
    echo_string_case(str(""), "empty, non-NULL pointer");
    echo_string_case(str("hello"), "ascii");
    echo_string_case(str("h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89"), "non-ASCII");
    echo_string_case(strn("a\0b", 3), "embedded NUL");
    echo_string_case(str("\xf4\x8f\xbf\xbf"), "U+10FFFF");
    /* 1 MiB of valid UTF-8 with 1- to 4-byte sequences. */
    big = (char *)malloc(MIB);
    for (n = 0; n + 10 <= MIB; n += 10) {
        memcpy(big + n, pattern, 10);
    }
    memset(big + n, 'z', MIB - n);
    echo_string_case(strn(big, MIB), "1 MiB");
    free(big);

    echo_bytes_case(NULL, 0, "empty");
    {
        static const uint8_t few[] = {0, 1, 127, 128, 255};
        echo_bytes_case(few, sizeof few, "0 1 127 128 255");
    }
    bytes = (uint8_t *)malloc(MIB);
    for (i = 0; i < MIB; i++) {
        bytes[i] = (uint8_t)(i * 31u + (i >> 8));
    }
    echo_bytes_case(bytes, MIB, "1 MiB");
    free(bytes);

    echo_strings_case(NULL, 0, "empty list");
    members[0] = str("");
    members[1] = str("a");
    members[2] = strn(NULL, 0);
    members[3] = str("\xe4\xb8\x96\xe7\x95\x8c");
    members[4] = str("");
    members[5] = str("last \xf0\x9f\x8e\x89");
    members[6] = str("");
    echo_strings_case(members, 7, "with empty members");
    n = 10000;
    many = (pp_string *)malloc(n * sizeof(pp_string));
    for (i = 0; i < n; i++) {
        static const size_t cuts[] = {0, 1, 3, 6, 10}; /* whole characters of the pattern */
        many[i] = strn(pattern, cuts[i % 5]);
    }
    echo_strings_case(many, n, "10000 members");
    free(many);
}

/* ---------------------------------------------------------------------------------- */
/* option, result, tuple                                                              */

static void echo_option_case(uint8_t is_some, pp_string val, const char *label) {
    option_string_t v, r;
    pp_error e;
    char w[160];
    memset(&v, 0, sizeof v);
    memset(&r, 0, sizeof r);
    v.is_some = is_some;
    if (is_some) {
        v.val = val;
    }
    snprintf(w, sizeof w, "echo_option(%s)", label);
    if (called(test_typecov_v1_echo_call_echo_option(E, v, &r, &e), &e, w)) {
        check(r.is_some == v.is_some && (!v.is_some || str_copy(r.val, v.val)), w);
        test_typecov_v1_option_string_release(&r, ED);
    }
}

static void echo_result_case(uint8_t is_err, uint32_t ok, pp_string errv, const char *label) {
    result_u32_string_t v, r;
    pp_error e;
    char w[160];
    memset(&v, 0, sizeof v);
    memset(&r, 0, sizeof r);
    v.is_err = is_err;
    if (is_err) {
        v.val.err = errv;
    } else {
        v.val.ok = ok;
    }
    snprintf(w, sizeof w, "echo_result(%s)", label);
    if (called(test_typecov_v1_echo_call_echo_result(E, v, &r, &e), &e, w)) {
        check(r.is_err == v.is_err && (v.is_err ? str_copy(r.val.err, v.val.err) : r.val.ok == v.val.ok), w);
        test_typecov_v1_result_u32_string_release(&r, ED);
    }
}

static void echo_result_unit_case(const result_unit_t *v, const char *label) {
    result_unit_t r;
    pp_error e;
    char w[160];
    int ok;
    memset(&r, 0, sizeof r);
    snprintf(w, sizeof w, "echo_result_unit(%s)", label);
    if (called(test_typecov_v1_echo_call_echo_result_unit(E, *v, &r, &e), &e, w)) {
        ok = r.is_err == v->is_err;
        if (ok && v->is_err) {
            ok = r.val.err.tag == v->val.err.tag;
            if (ok && v->val.err.tag == TEST_TYPECOV_V1_TYPES_FAILURE_CODE) {
                ok = r.val.err.val.code == v->val.err.val.code;
            } else if (ok) {
                ok = str_copy(r.val.err.val.message, v->val.err.val.message);
            }
        }
        check(ok, w);
        test_typecov_v1_result_void_types_failure_release(&r, ED);
    }
}

static void echo_tuple_case(uint8_t a, pp_string b, uint64_t c_bits, const char *label) {
    tuple_t v, r;
    pp_error e;
    char w[160];
    memset(&v, 0, sizeof v);
    memset(&r, 0, sizeof r);
    v.f0 = a;
    v.f1 = b;
    v.f2 = f64_of(c_bits);
    snprintf(w, sizeof w, "echo_tuple(%s)", label);
    if (called(test_typecov_v1_echo_call_echo_tuple(E, v, &r, &e), &e, w)) {
        check(r.f0 == a && str_copy(r.f1, b) && bits_f64(r.f2) == c_bits, w);
        test_typecov_v1_tuple3_u8_string_f64_release(&r, ED);
    }
}

static void option_result_tuple(void) {
    result_unit_t ru;
    echo_option_case(0, strn(NULL, 0), "none");
    echo_option_case(1, str(""), "some(\"\")");
    echo_option_case(1, str("x \xc3\xa9"), "some(\"x \xc3\xa9\")");

    echo_result_case(0, 0, strn(NULL, 0), "ok(0)");
    echo_result_case(0, UINT32_MAX, strn(NULL, 0), "ok(u32::MAX)");
    echo_result_case(1, 0, str(""), "err(\"\")");
    echo_result_case(1, 0, str("bad \xe2\x98\xb9"), "err(\"bad \xe2\x98\xb9\")");

    memset(&ru, 0, sizeof ru);
    echo_result_unit_case(&ru, "ok");
    ru.is_err = 1;
    ru.val.err.tag = TEST_TYPECOV_V1_TYPES_FAILURE_CODE;
    ru.val.err.val.code = 0;
    echo_result_unit_case(&ru, "err(code(0))");
    ru.val.err.val.code = UINT32_MAX;
    echo_result_unit_case(&ru, "err(code(u32::MAX))");
    ru.val.err.tag = TEST_TYPECOV_V1_TYPES_FAILURE_MESSAGE;
    ru.val.err.val.message = str("");
    echo_result_unit_case(&ru, "err(message(\"\"))");
    ru.val.err.val.message = str("\xc3\xbcn\xc3\xaf" "code");
    echo_result_unit_case(&ru, "err(message(\"\xc3\xbcn\xc3\xaf" "code\"))");

    echo_tuple_case(0, strn(NULL, 0), 0, "0, \"\", 0.0");
    echo_tuple_case(255, str("tuple \xe2\x9c\x93"), 0xBFF8000000000000ull, "255, \"tuple \xe2\x9c\x93\", -1.5");
    echo_tuple_case(7, str("nan"), 0x7FF8000000000abcull, "7, \"nan\", NaN with payload");
}

/* ---------------------------------------------------------------------------------- */
/* Records, enums, flags, variants                                                    */

static void echo_point_case(int32_t x, int32_t y) {
    point_t v, r = {0, 0};
    pp_error e;
    char w[128];
    v.x = x;
    v.y = y;
    snprintf(w, sizeof w, "echo_point({%" PRId32 ", %" PRId32 "})", x, y);
    if (called(test_typecov_v1_echo_call_echo_point(E, v, &r, &e), &e, w)) {
        check(point_eq(r, v), w);
    }
}

static person_t make_person(const char *name, uint8_t age, const pp_string *tags, size_t ntags,
                            int has_home, int32_t x, int32_t y) {
    person_t p;
    memset(&p, 0, sizeof p);
    p.name = str(name);
    p.age = age;
    p.tags.ptr = tags;
    p.tags.len = ntags;
    p.home.is_some = (uint8_t)(has_home != 0);
    if (has_home) {
        p.home.val.x = x;
        p.home.val.y = y;
    }
    return p;
}

static void echo_person_case(const person_t *v, const char *label) {
    person_t r;
    pp_error e;
    char w[160];
    memset(&r, 0, sizeof r);
    snprintf(w, sizeof w, "echo_person(%s) owned deep copy", label);
    if (called(test_typecov_v1_echo_call_echo_person(E, *v, &r, &e), &e, w)) {
        check(person_copy(&r, v), w);
        test_typecov_v1_types_person_release(&r, ED);
    }
}

static void echo_shape_case(const shape_t *v, const char *label) {
    shape_t r;
    pp_error e;
    char w[160];
    memset(&r, 0, sizeof r);
    snprintf(w, sizeof w, "echo_shape(%s)", label);
    if (called(test_typecov_v1_echo_call_echo_shape(E, *v, &r, &e), &e, w)) {
        check(shape_copy(&r, v), w);
        test_typecov_v1_types_shape_release(&r, ED);
    }
}

static void echo_points_case(const point_t *pts, size_t n, const char *label) {
    point_list_t v, r;
    pp_error e;
    char w[160];
    v.ptr = pts;
    v.len = n;
    memset(&r, 0, sizeof r);
    snprintf(w, sizeof w, "echo_points(%s, %lu points) owned copy", label, (unsigned long)n);
    if (called(test_typecov_v1_echo_call_echo_points(E, v, &r, &e), &e, w)) {
        check(owned_bytes(r.ptr, r.len, v.ptr, v.len, sizeof(point_t)), w);
        test_typecov_v1_list_types_point_release(&r, ED);
    }
}

static void echo_nested_case(const nested_t *v, const char *label) {
    nested_t r;
    pp_error e;
    char w[200];
    memset(&r, 0, sizeof r);
    snprintf(w, sizeof w, "echo_nested(%s) owned deep copy", label);
    if (called(test_typecov_v1_echo_call_echo_nested(E, *v, &r, &e), &e, w)) {
        check(nested_copy(&r, v), w);
        test_typecov_v1_option_result_list_types_person_types_shape_release(&r, ED);
    }
}

/* The four cases of `shape`, in order. */
static void shape_cases(shape_t out[4]) {
    memset(out, 0, 4 * sizeof(shape_t));
    out[0].tag = TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE;
    out[0].val.circle = 3.5;
    out[1].tag = TEST_TYPECOV_V1_TYPES_SHAPE_RECT;
    out[1].val.rect.x = -5;
    out[1].val.rect.y = 7;
    out[2].tag = TEST_TYPECOV_V1_TYPES_SHAPE_EMPTY;
    out[3].tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
    out[3].val.named = str("\xe5\x90\x8d\xe5\x89\x8d"); /* 名前 */
}

static void compounds(void) {
    static const char *const shape_names[4] = {"circle(3.5)", "rect({-5, 7})", "empty", "named(\"\xe5\x90\x8d\xe5\x89\x8d\")"};
    pp_string ada_tags[2], bob_tags[3];
    person_t people[2], p;
    shape_t shapes[4], s;
    nested_t n;
    point_t *pts;
    size_t i, npts;
    unsigned k;
    char w[128];

    echo_point_case(0, 0);
    echo_point_case(INT32_MIN, INT32_MAX);
    echo_point_case(-1, 1);

    ada_tags[0] = str("math");
    ada_tags[1] = str("\xe8\xae\xa1\xe7\xae\x97"); /* 计算 */
    bob_tags[0] = str("");
    bob_tags[1] = str("b");
    bob_tags[2] = str("");
    people[0] = make_person("Ada", 36, ada_tags, 2, 1, 1, 2);
    people[1] = make_person("B\xc3\xb6\x62", 255, bob_tags, 3, 0, 0, 0);
    echo_person_case(&people[0], "Ada, 36, 2 tags, some home");
    echo_person_case(&people[1], "B\xc3\xb6\x62, 255, tags with empty members, no home");
    p = make_person("", 0, NULL, 0, 1, INT32_MIN, INT32_MAX);
    echo_person_case(&p, "empty name, no tags, extreme home");

    for (k = TEST_TYPECOV_V1_TYPES_COLOR_RED; k <= TEST_TYPECOV_V1_TYPES_COLOR_BLUE; k++) {
        ECHO_UNSIGNED(echo_color, test_typecov_v1_types_color, k);
    }
    check(TEST_TYPECOV_V1_TYPES_COLOR_RED == 0 && TEST_TYPECOV_V1_TYPES_COLOR_GREEN == 1 &&
              TEST_TYPECOV_V1_TYPES_COLOR_BLUE == 2,
          "color constants are 0, 1, 2");

    for (k = 0; k < 8; k++) {
        ECHO_UNSIGNED(echo_perms, test_typecov_v1_types_perms, k);
    }
    check(TEST_TYPECOV_V1_TYPES_PERMS_READ == 1 && TEST_TYPECOV_V1_TYPES_PERMS_WRITE == 2 &&
              TEST_TYPECOV_V1_TYPES_PERMS_EXEC == 4,
          "perms constants are bits 0, 1, 2");
    /* wide: 32 flags (wit-parser's limit), so a uint32_t where every bit is a flag */
    check(sizeof(test_typecov_v1_types_wide) == 4 && sizeof(test_typecov_v1_types_perms) == 1 &&
              sizeof(test_typecov_v1_types_color) == 1,
          "flags and enum storage sizes (wide 4, perms 1, color 1 bytes)");
    check((uint32_t)TEST_TYPECOV_V1_TYPES_WIDE_F31 == ((uint32_t)1 << 31) &&
              (uint32_t)TEST_TYPECOV_V1_TYPES_WIDE_F0 == 1,
          "wide constants f0 = bit 0, f31 = bit 31");
    ECHO_UNSIGNED(echo_wide, test_typecov_v1_types_wide, 0);
    for (k = 0; k < 32; k++) {
        ECHO_UNSIGNED(echo_wide, test_typecov_v1_types_wide, (uint32_t)1 << k);
    }
    ECHO_UNSIGNED(echo_wide, test_typecov_v1_types_wide, 0xFFFFFFFFu);
    ECHO_UNSIGNED(echo_wide, test_typecov_v1_types_wide, 0xA5A5A5A5u);

    shape_cases(shapes);
    for (i = 0; i < 4; i++) {
        echo_shape_case(&shapes[i], shape_names[i]);
    }
    memset(&s, 0, sizeof s);
    s.tag = TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE;
    s.val.circle = f64_of(0x8000000000000000ull);
    echo_shape_case(&s, "circle(-0.0)");
    s.val.circle = f64_of(0x7FF8000000000001ull);
    echo_shape_case(&s, "circle(NaN with payload)");
    s.tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
    s.val.named = strn(NULL, 0);
    echo_shape_case(&s, "named(\"\")");

    echo_points_case(NULL, 0, "empty");
    npts = MIB / sizeof(point_t);
    pts = (point_t *)malloc(npts * sizeof(point_t));
    for (i = 0; i < npts; i++) {
        pts[i].x = (int32_t)i;
        pts[i].y = -(int32_t)i;
    }
    pts[0].x = INT32_MIN;
    pts[npts - 1].y = INT32_MAX;
    echo_points_case(pts, 3, "3");
    echo_points_case(pts, npts, "1 MiB");
    free(pts);

    memset(&n, 0, sizeof n);
    echo_nested_case(&n, "none");
    n.is_some = 1;
    n.val.is_err = 0;
    n.val.val.ok.ptr = NULL;
    n.val.val.ok.len = 0;
    echo_nested_case(&n, "some(ok([]))");
    n.val.val.ok.ptr = people;
    n.val.val.ok.len = 2;
    echo_nested_case(&n, "some(ok([Ada, B\xc3\xb6\x62]))");
    for (i = 0; i < 4; i++) {
        memset(&n, 0, sizeof n);
        n.is_some = 1;
        n.val.is_err = 1;
        n.val.val.err = shapes[i];
        snprintf(w, sizeof w, "some(err(%s))", shape_names[i]);
        echo_nested_case(&n, w);
    }
}

/* ---------------------------------------------------------------------------------- */
/* Maps and fixed-length lists (issue 11, A.1 and A.2)                                */

typedef test_typecov_v1_map_string_types_point map_t;
typedef test_typecov_v1_map_string_types_point_entry map_entry_t;
typedef test_typecov_v1_array4_u8 quad_t;
typedef test_typecov_v1_array2_string pair_t;
typedef test_typecov_v1_result_types_framed_string framed_result_t;

/* The entries in order (the callee keeps the order it was given, or sorts them: the
 * generated Rust and Go plugins rebuild a map), each key an owned copy. */
static int map_copy(const map_t *r, const map_t *v) {
    size_t i, j;
    if (r->len != v->len || (v->len > 0 && (r->ptr == NULL || r->ptr == v->ptr))) {
        return 0;
    }
    for (i = 0; i < v->len; i++) {
        int found = 0;
        for (j = 0; j < r->len && !found; j++) {
            found = str_copy(r->ptr[j].key, v->ptr[i].key) && r->ptr[j].value.x == v->ptr[i].value.x &&
                    r->ptr[j].value.y == v->ptr[i].value.y;
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

static void collections(void) {
    map_entry_t entries[3];
    map_t m, mr;
    quad_t q, qr;
    pair_t p, pr;
    framed_result_t f, fr;
    pp_error e;
    pp_string err = {NULL, 0};
    int i;

    m.ptr = NULL;
    m.len = 0;
    memset(&mr, 0, sizeof mr);
    if (called(test_typecov_v1_echo_call_echo_map(E, m, &mr, &e), &e, "echo_map(empty)")) {
        check(mr.len == 0, "echo_map(empty) is empty");
        test_typecov_v1_map_string_types_point_release(&mr, ED);
    }
    entries[0].key = strn(NULL, 0);
    entries[0].value.x = INT32_MIN;
    entries[0].value.y = INT32_MAX;
    entries[1].key = str("Ã¼nÃ¯");
    entries[1].value.x = -1;
    entries[1].value.y = 1;
    entries[2].key = str("b");
    entries[2].value.x = 0;
    entries[2].value.y = 0;
    m.ptr = entries;
    m.len = 3;
    memset(&mr, 0, sizeof mr);
    if (called(test_typecov_v1_echo_call_echo_map(E, m, &mr, &e), &e, "echo_map(3 string keys, point values)")) {
        check(map_copy(&mr, &m), "echo_map(3 string keys, point values) owned copy of every entry");
        test_typecov_v1_map_string_types_point_release(&mr, ED);
    }
    /* An invalid key is refused by the callee (rule 5), whatever its language. */
    entries[2].key = strn("ÿ", 1);
    mr.ptr = NULL;
    mr.len = 0;
    if (refused(E->echo_map(m, &mr, &err), &err, ED, "echo_map(key with invalid UTF-8)")) {
        test_typecov_v1_map_string_types_point_release(&mr, ED);
    }

    for (i = 0; i < 4; i++) {
        q.elems[i] = (uint8_t)(i == 3 ? 255 : i);
    }
    if (called(test_typecov_v1_echo_call_echo_quad(E, q, &qr, &e), &e, "echo_quad([0, 1, 2, 255])")) {
        check(memcmp(&qr, &q, sizeof q) == 0, "echo_quad([0, 1, 2, 255]) same bytes");
    }

    p.elems[0] = str("first");
    p.elems[1] = strn(NULL, 0);
    memset(&pr, 0, sizeof pr);
    if (called(test_typecov_v1_echo_call_echo_pair(E, p, &pr, &e), &e, "echo_pair([\"first\", \"\"])")) {
        check(str_copy(pr.elems[0], p.elems[0]) && str_copy(pr.elems[1], p.elems[1]),
              "echo_pair([\"first\", \"\"]) owned copies inline");
        test_typecov_v1_array2_string_release(&pr, ED);
    }

    memset(&f, 0, sizeof f);
    f.is_err = 0;
    f.val.ok.id = UINT32_MAX;
    for (i = 0; i < 4; i++) {
        f.val.ok.rgba.elems[i] = (uint8_t)(255 - i);
    }
    memset(&fr, 0, sizeof fr);
    if (called(test_typecov_v1_echo_call_echo_framed(E, f, &fr, &e), &e, "echo_framed(ok(framed))")) {
        check(fr.is_err == 0 && fr.val.ok.id == UINT32_MAX &&
                  memcmp(&fr.val.ok.rgba, &f.val.ok.rgba, sizeof f.val.ok.rgba) == 0,
              "echo_framed(ok(framed)) same record with its fixed list");
        test_typecov_v1_result_types_framed_string_release(&fr, ED);
    }
    f.is_err = 1;
    f.val.err = str("no frame \xe2\x98\xb9");
    memset(&fr, 0, sizeof fr);
    if (called(test_typecov_v1_echo_call_echo_framed(E, f, &fr, &e), &e, "echo_framed(err)")) {
        check(fr.is_err == 1 && str_copy(fr.val.err, f.val.err), "echo_framed(err) owned copy");
        test_typecov_v1_result_types_framed_string_release(&fr, ED);
    }
}

/* ---------------------------------------------------------------------------------- */
/* sink, boom, version                                                                */

static void sink_boom_version(const char *plugin_name, const char *plugin_version) {
    static const uint64_t nums[] = {0, 1, UINT64_MAX};
    list_u64_t c;
    pp_string r = {NULL, 0};
    pp_error e;
    pp_status st;
    char w[320];

    /* Every typecov plugin's sink accepts b == "<a>:<c, comma-separated>" and otherwise
     * fails with PP_ERR_PANIC naming what it received: the values are checked both ways. */
    c.ptr = nums;
    c.len = 3;
    if (called(test_typecov_v1_echo_call_sink(E, 7, str("7:0,1,18446744073709551615"), c, &e), &e,
               "sink(7, \"7:0,1,18446744073709551615\", [0, 1, u64::MAX])")) {
        check(1, "sink(7, \"7:0,1,18446744073709551615\", [0, 1, u64::MAX])");
    }
    st = test_typecov_v1_echo_call_sink(E, 7, str("sink \xe2\x9c\x93"), c, &e);
    {
        const char *expected = "sink received a=7 b=\"sink \xe2\x9c\x93\" c=[0,1,18446744073709551615]";
        snprintf(w, sizeof w, "sink(7, \"sink \xe2\x9c\x93\", [0, 1, u64::MAX]) -> PP_ERR_PANIC \"%s\" (got %d: \"%.*s\")",
                 expected, (int)st, shown_len(&e.message), e.message.ptr ? e.message.ptr : "");
        check(st == PP_ERR_PANIC && str_copy(e.message, str(expected)), w);
        if (st != PP_OK) {
            pp_error_release(&e);
        }
    }
    c.ptr = NULL;
    c.len = 0;
    if (called(test_typecov_v1_echo_call_sink(E, 0, str("0:"), c, &e), &e, "sink(0, \"0:\", [])")) {
        check(1, "sink(0, \"0:\", [])");
    }
    st = test_typecov_v1_echo_call_sink(E, 0, strn(NULL, 0), c, &e);
    snprintf(w, sizeof w, "sink(0, \"\", []) -> PP_ERR_PANIC \"sink received a=0 b=\\\"\\\" c=[]\" (got %d: \"%.*s\")",
             (int)st, shown_len(&e.message), e.message.ptr ? e.message.ptr : "");
    check(st == PP_ERR_PANIC && str_copy(e.message, str("sink received a=0 b=\"\" c=[]")), w);
    if (st != PP_OK) {
        pp_error_release(&e);
    }

    st = test_typecov_v1_echo_call_boom(E, str("kaboom \xf0\x9f\x92\xa5"), &r, &e);
    snprintf(w, sizeof w, "boom(\"kaboom \xf0\x9f\x92\xa5\") -> PP_ERR_PANIC with the message (got %d: \"%.*s\")",
             (int)st, shown_len(&e.message), e.message.ptr ? e.message.ptr : "");
    {
        const char *needle = "kaboom \xf0\x9f\x92\xa5";
        size_t nl = strlen(needle), i;
        int found = 0;
        for (i = 0; st == PP_ERR_PANIC && e.message.ptr != NULL && i + nl <= e.message.len && !found; i++) {
            found = memcmp(e.message.ptr + i, needle, nl) == 0;
        }
        check(st == PP_ERR_PANIC && found, w);
    }
    if (st == PP_OK) {
        pp_string_release(&r, ED);
    } else {
        pp_error_release(&e);
    }
    ECHO_UNSIGNED(echo_u32, uint32_t, 0xC0FFEEu); /* the plugin still works after a panic */
    st = test_typecov_v1_echo_call_boom(E, strn(NULL, 0), &r, &e);
    check(st == PP_ERR_PANIC, "boom(\"\") -> PP_ERR_PANIC");
    if (st == PP_OK) {
        pp_string_release(&r, ED);
    } else {
        pp_error_release(&e);
    }
    ECHO_SIGNED(echo_s8, int8_t, -42);

    r.ptr = NULL;
    r.len = 0;
    if (called(test_typecov_v1_typecov_exports_call_version(X, &r, &e), &e, "version()")) {
        char expected[128];
        snprintf(expected, sizeof expected, "%s %s", plugin_name, plugin_version);
        snprintf(w, sizeof w, "version() = \"%.*s\", expected \"%s\" (descriptor name and version)", shown_len(&r),
                 r.ptr ? r.ptr : "", expected);
        check(str_copy(r, str(expected)) && strncmp(plugin_name, "typecov-", 8) == 0, w);
        pp_string_release(&r, XD);
    }
}

/* ---------------------------------------------------------------------------------- */
/* The counter resource                                                               */

static uint32_t live_now(void) {
    uint32_t n = 0xFFFFFFFFu;
    pp_error e;
    if (!called(test_typecov_v1_store_call_live(S, &n, &e), &e, "live()")) {
        return 0xFFFFFFFFu;
    }
    return n;
}

static void check_live(uint32_t expected, const char *when) {
    char w[160];
    uint32_t n = live_now();
    snprintf(w, sizeof w, "live() = %" PRIu32 " %s (expected %" PRIu32 ")", n, when, expected);
    check(n == expected, w);
}

static int64_t counter_get(counter_t c, const char *what) {
    int64_t v = INT64_MIN;
    pp_error e;
    if (!called(test_typecov_v1_store_counter_call_get(c, &v, &e), &e, what)) {
        return INT64_MIN;
    }
    return v;
}

static void resources(void) {
    counter_t a, z, b;
    pp_error e;
    int64_t v = 0;
    int have_a, have_z, have_b;

    check_live(0, "before any counter");
    memset(&a, 0, sizeof a);
    have_a = called(test_typecov_v1_store_call_counter_new(S, 5, &a, &e), &e, "counter_new(5)");
    if (have_a) {
        check(a.self != NULL && a.vtable != NULL, "counter_new(5) gives a handle with non-null self and vtable");
        check(a.vtable->header.size >= sizeof(test_typecov_v1_store_counter_vtable),
              "counter vtable header.size covers drop, add, get");
        check(counter_get(a, "get() after new(5)") == 5, "get() after new(5) = 5");
        if (called(test_typecov_v1_store_counter_call_add(a, 10, &v, &e), &e, "add(10)")) {
            check(v == 15, "add(10) returns 15");
        }
        if (called(test_typecov_v1_store_counter_call_add(a, -20, &v, &e), &e, "add(-20)")) {
            check(v == -5, "add(-20) returns -5");
        }
        check(counter_get(a, "get()") == -5, "get() = -5");
        check_live(1, "after new");
    }

    memset(&z, 0, sizeof z);
    have_z = called(test_typecov_v1_store_call_counter_zero(S, &z, &e), &e, "counter_zero()");
    if (have_z) {
        check(z.self != NULL && z.vtable != NULL && z.self != a.self, "zero() gives a new handle");
        check(counter_get(z, "zero().get()") == 0, "zero().get() = 0");
        check_live(2, "after zero()");
    }

    memset(&b, 0, sizeof b);
    have_b = called(test_typecov_v1_store_call_counter_new(S, INT64_MAX, &b, &e), &e, "counter_new(i64::MAX)");
    if (have_b) {
        check(counter_get(b, "get() after new(i64::MAX)") == INT64_MAX, "get() after new(i64::MAX) = i64::MAX");
    }

    if (have_a) {
        /* borrow: the host keeps ownership and may use the handle afterwards */
        if (called(test_typecov_v1_store_call_peek(S, a, &v, &e), &e, "peek(borrow a)")) {
            check(v == -5, "peek(borrow a) = -5");
        }
        check(counter_get(a, "get() after peek") == -5, "a still usable after peek (borrow)");
        /* own: ownership moves to the plugin, which drops it; the host must not */
        if (called(test_typecov_v1_store_call_consume(S, a, &v, &e), &e, "consume(own a)")) {
            check(v == -5, "consume(own a) = -5");
        }
        check_live((uint32_t)(have_z + have_b), "after consume (the plugin dropped a)");
    }
    if (have_z) {
        z.vtable->drop(z.self);
        check_live((uint32_t)have_b, "after drop(zero())");
    }
    if (have_b) {
        b.vtable->drop(b.self);
    }
    check_live(0, "after every counter is gone");
}

/* ---------------------------------------------------------------------------------- */
/* Arguments a C caller can get wrong                                                 */

static void invalid_string(const char *bytes, size_t n, const char *label) {
    pp_string r = {NULL, 0}, e = {NULL, 0};
    char w[160];
    snprintf(w, sizeof w, "echo_string(%s)", label);
    if (refused(E->echo_string(strn(bytes, n), &r, &e), &e, ED, w)) {
        pp_string_release(&r, ED);
    }
}

static void invalid_arguments(void) {
    pp_string e = {NULL, 0}, bad_members[3];
    char w[160];

    invalid_string("\xff", 1, "invalid UTF-8: byte 0xFF");
    invalid_string("ok\xc0\xaf", 4, "invalid UTF-8: overlong '/'");
    invalid_string("\xed\xa0\x80", 3, "invalid UTF-8: encoded surrogate U+D800");
    invalid_string("abc\xe4\xbd", 5, "invalid UTF-8: truncated sequence");
    invalid_string("\xf4\x90\x80\x80", 4, "invalid UTF-8: above U+10FFFF");
    invalid_string("\x80", 1, "invalid UTF-8: lone continuation byte");
    invalid_string(NULL, 5, "NULL pointer with len 5");
    {
        list_string_t v, r;
        bad_members[0] = str("fine");
        bad_members[1] = str("");
        bad_members[2] = strn("\xfe\xff", 2);
        v.ptr = bad_members;
        v.len = 3;
        memset(&r, 0, sizeof r);
        if (refused(E->echo_strings(v, &r, &e), &e, ED, "echo_strings with an invalid UTF-8 member")) {
            test_typecov_v1_list_string_release(&r, ED);
        }
        v.ptr = NULL;
        v.len = 2;
        if (refused(E->echo_strings(v, &r, &e), &e, ED, "echo_strings(NULL pointer with len 2)")) {
            test_typecov_v1_list_string_release(&r, ED);
        }
        bad_members[2] = strn(NULL, 1);
        v.ptr = bad_members;
        v.len = 3;
        if (refused(E->echo_strings(v, &r, &e), &e, ED, "echo_strings with a NULL member of len 1")) {
            test_typecov_v1_list_string_release(&r, ED);
        }
    }
    {
        list_u8_t v, r = {NULL, 0};
        v.ptr = NULL;
        v.len = 3;
        if (refused(E->echo_bytes(v, &r, &e), &e, ED, "echo_bytes(NULL pointer with len 3)")) {
            test_typecov_v1_list_u8_release(&r, ED);
        }
    }
    {
        point_list_t v, r = {NULL, 0};
        v.ptr = NULL;
        v.len = 1;
        if (refused(E->echo_points(v, &r, &e), &e, ED, "echo_points(NULL pointer with len 1)")) {
            test_typecov_v1_list_types_point_release(&r, ED);
        }
    }
    {
        list_u64_t c;
        c.ptr = NULL;
        c.len = 1;
        refused(E->sink(1, str("x"), c, &e), &e, ED, "sink(c = NULL pointer with len 1)");
        c.len = 0;
        refused(E->sink(1, strn("\xc3", 1), c, &e), &e, ED, "sink(b = invalid UTF-8)");
    }
    {
        person_t v, r;
        v = make_person("ok", 1, NULL, 0, 0, 0, 0);
        v.name = strn("\xc3\x28", 2);
        memset(&r, 0, sizeof r);
        if (refused(E->echo_person(v, &r, &e), &e, ED, "echo_person(name = invalid UTF-8)")) {
            test_typecov_v1_types_person_release(&r, ED);
        }
        v = make_person("ok", 1, NULL, 0, 0, 0, 0);
        v.home.is_some = 2;
        if (refused(E->echo_person(v, &r, &e), &e, ED, "echo_person(home.is_some = 2)")) {
            test_typecov_v1_types_person_release(&r, ED);
        }
    }
    {
        uint8_t r = 0;
        refused(E->echo_bool(2, &r, &e), &e, ED, "echo_bool(2)");
        refused(E->echo_bool(255, &r, &e), &e, ED, "echo_bool(255)");
    }
    {
        uint32_t r = 0;
        refused(E->echo_char(0xD800u, &r, &e), &e, ED, "echo_char(0xD800, a surrogate)");
        refused(E->echo_char(0xDFFFu, &r, &e), &e, ED, "echo_char(0xDFFF, a surrogate)");
        refused(E->echo_char(0x110000u, &r, &e), &e, ED, "echo_char(0x110000, above U+10FFFF)");
        refused(E->echo_char(0xFFFFFFFFu, &r, &e), &e, ED, "echo_char(0xFFFFFFFF)");
    }
    {
        test_typecov_v1_types_color r = 0;
        refused(E->echo_color(7, &r, &e), &e, ED, "echo_color(7, out of range)");
        refused(E->echo_color(3, &r, &e), &e, ED, "echo_color(3, one past blue)");
    }
    {
        /* (wide has 32 flags in a uint32_t: it has no unknown bits to test) */
        test_typecov_v1_types_perms r = 0;
        refused(E->echo_perms(8, &r, &e), &e, ED, "echo_perms(0x08, unknown flag bit 3)");
        refused(E->echo_perms(0xFF, &r, &e), &e, ED, "echo_perms(0xFF, unknown flag bits)");
    }
    {
        shape_t v, r;
        memset(&v, 0, sizeof v);
        memset(&r, 0, sizeof r);
        v.tag = 4;
        if (refused(E->echo_shape(v, &r, &e), &e, ED, "echo_shape(tag 4, no such case)")) {
            test_typecov_v1_types_shape_release(&r, ED);
        }
        v.tag = 255;
        if (refused(E->echo_shape(v, &r, &e), &e, ED, "echo_shape(tag 255)")) {
            test_typecov_v1_types_shape_release(&r, ED);
        }
        v.tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
        v.val.named = strn("\xff", 1);
        if (refused(E->echo_shape(v, &r, &e), &e, ED, "echo_shape(named(invalid UTF-8))")) {
            test_typecov_v1_types_shape_release(&r, ED);
        }
    }
    {
        result_unit_t v, r;
        memset(&v, 0, sizeof v);
        memset(&r, 0, sizeof r);
        v.is_err = 1;
        v.val.err.tag = 2;
        if (refused(E->echo_result_unit(v, &r, &e), &e, ED, "echo_result_unit(err(failure tag 2))")) {
            test_typecov_v1_result_void_types_failure_release(&r, ED);
        }
        v.is_err = 3;
        v.val.err.tag = 0;
        if (refused(E->echo_result_unit(v, &r, &e), &e, ED, "echo_result_unit(is_err = 3)")) {
            test_typecov_v1_result_void_types_failure_release(&r, ED);
        }
    }
    {
        option_string_t v, r;
        memset(&v, 0, sizeof v);
        memset(&r, 0, sizeof r);
        v.is_some = 2;
        if (refused(E->echo_option(v, &r, &e), &e, ED, "echo_option(is_some = 2)")) {
            test_typecov_v1_option_string_release(&r, ED);
        }
    }
    {
        result_u32_string_t v, r;
        memset(&v, 0, sizeof v);
        memset(&r, 0, sizeof r);
        v.is_err = 2;
        if (refused(E->echo_result(v, &r, &e), &e, ED, "echo_result(is_err = 2)")) {
            test_typecov_v1_result_u32_string_release(&r, ED);
        }
    }
    {
        nested_t v, r;
        memset(&v, 0, sizeof v);
        memset(&r, 0, sizeof r);
        v.is_some = 1;
        v.val.is_err = 1;
        v.val.val.err.tag = 9;
        if (refused(E->echo_nested(v, &r, &e), &e, ED, "echo_nested(some(err(shape tag 9)))")) {
            test_typecov_v1_option_result_list_types_person_types_shape_release(&r, ED);
        }
        memset(&v, 0, sizeof v);
        v.is_some = 1;
        v.val.val.ok.ptr = NULL;
        v.val.val.ok.len = 4;
        if (refused(E->echo_nested(v, &r, &e), &e, ED, "echo_nested(some(ok(NULL pointer with len 4)))")) {
            test_typecov_v1_option_result_list_types_person_types_shape_release(&r, ED);
        }
    }
    {
        tuple_t v, r;
        memset(&v, 0, sizeof v);
        memset(&r, 0, sizeof r);
        v.f1 = strn("\xe2\x82", 2);
        if (refused(E->echo_tuple(v, &r, &e), &e, ED, "echo_tuple(f1 = truncated UTF-8)")) {
            test_typecov_v1_tuple3_u8_string_f64_release(&r, ED);
        }
    }
    {
        counter_t c, null_self;
        int64_t v = 0;
        pp_error ce;
        if (called(test_typecov_v1_store_call_counter_new(S, 1, &c, &ce), &ce, "counter_new(1) for the null-self test")) {
            null_self.self = NULL;
            null_self.vtable = c.vtable;
            refused(S->peek(null_self, &v, &e), &e, SD, "peek(handle with null self)");
            c.vtable->drop(c.self);
        }
        check_live(0, "after the invalid-handle test");
    }
    snprintf(w, sizeof w, "the plugin still works after every refused call");
    {
        uint16_t r = 0;
        pp_error e2;
        if (called(test_typecov_v1_echo_call_echo_u16(E, 0xBEEF, &r, &e2), &e2, w)) {
            check(r == 0xBEEF, w);
        }
    }
}

/* ---------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    plugport_plugin *plugin = NULL;
    test_typecov_v1_typecov_imports imports;
    char name[64], version[64];

    if (argc < 2) {
        fprintf(stderr, "usage: %s <plugin.so>\n", argv[0]);
        return 2;
    }
    memset(&imports, 0, sizeof imports);
    imports.header.size = sizeof imports;
    imports.header.version = 0x00010000u;
    imports.header.dealloc = NULL; /* the world imports nothing: nothing to release */
    if (test_typecov_v1_typecov_open(argv[1], &imports, &plugin) != 0) {
        fprintf(stderr, "cannot load plugin: %s\n", plugport_last_error());
        printf("0 passed, 1 failed\n");
        return 1;
    }
    X = test_typecov_v1_typecov_exports_of(plugin);
    E = X->echo;
    S = X->store;
    XD = X->header.dealloc;
    ED = E->header.dealloc;
    SD = S->header.dealloc;
    snprintf(name, sizeof name, "%s", plugport_plugin_name(plugin));
    snprintf(version, sizeof version, "%s", plugport_plugin_version(plugin));
    printf("typecov c host: loaded %s %s from %s\n", name, version, argv[1]);
    check(X->header.size >= sizeof(test_typecov_v1_typecov_exports), "exports header.size covers echo, store, version");
    check(E->header.size >= sizeof(test_typecov_v1_echo_table), "echo table header.size covers every slot");
    check(S->header.size >= sizeof(test_typecov_v1_store_table), "store table header.size covers every slot");
    check(E->header.version >> 16 == 1 && S->header.version >> 16 == 1, "table versions have major 1");

    scalars();
    strings_and_lists();
    option_result_tuple();
    compounds();
    collections();
    sink_boom_version(name, version);
    resources();
    invalid_arguments();

    plugport_close(plugin);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
