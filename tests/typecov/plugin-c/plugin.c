/* The type-coverage plugin for test:typecov@1.0.0, in plain C against the generated
 * header typecov.h (`plugport gen tests/wit/typecov.wit --out DIR --lang c`).
 *
 * Every echo function returns its argument. What a C plugin must do by hand
 * (docs/abi.md) is the point of this file:
 *  - validate every argument (rule 5): bool 0/1, char a Unicode scalar value, enum and
 *    variant tags, option/result discriminants, flag bits, UTF-8 of every string, and no
 *    NULL pointer with a non-zero length; bad input gives PP_ERR_INVALID_ARGUMENT with an
 *    owned message;
 *  - return OWNED deep copies allocated with malloc (rule 1: a result never points into
 *    the caller's argument memory; an empty string or list is not allocated), released
 *    by the host through the tables' dealloc (`plugin_dealloc`, which calls free);
 *  - model a panic: C has none, so `boom` reports a caught fault as PP_ERR_PANIC;
 *  - implement the `counter` resource as a heap object behind {self, vtable}, counting
 *    live counters for `live`. Mutexes make everything safe to call from many threads.
 *
 * The build script also compiles this file against a header generated from a 2.0.0 copy
 * of the WIT (by renaming the prefix with sed) to get a wrong-major plugin; that is why
 * the table version is the single macro TABLE_VERSION.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "typecov.h"

#define TABLE_VERSION 0x00010000u

typedef test_typecov_v1_types_point point_t;
typedef test_typecov_v1_types_person person_t;
typedef test_typecov_v1_types_shape shape_t;
typedef test_typecov_v1_types_failure failure_t;
typedef test_typecov_v1_types_color color_t;
typedef test_typecov_v1_types_perms perms_t;
typedef test_typecov_v1_types_wide wide_t;
typedef test_typecov_v1_types_point_list point_list_t;
typedef test_typecov_v1_list_u8 list_u8_t;
typedef test_typecov_v1_list_u64 list_u64_t;
typedef test_typecov_v1_list_string list_string_t;
typedef test_typecov_v1_list_types_person list_person_t;
typedef test_typecov_v1_option_string option_string_t;
typedef test_typecov_v1_result_u32_string result_u32_string_t;
typedef test_typecov_v1_result_void_types_failure result_unit_t;
typedef test_typecov_v1_tuple3_u8_string_f64 tuple_t;
typedef test_typecov_v1_result_list_types_person_types_shape nested_result_t;
typedef test_typecov_v1_option_result_list_types_person_types_shape nested_t;
typedef test_typecov_v1_store_counter counter_handle_t;

/* Every flag of `perms` (3 flags). `wide` has 32 flags in a uint32_t: every bit is one. */
#define PERMS_ALL ((perms_t)0x07u)

/* ---------------------------------------------------------------------------------- */
/* Allocation and errors                                                              */

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* Sets *err to an owned copy of "<what>: <problem>" and returns status. */
static pp_status fail2(pp_status status, const char *what, const char *problem, pp_string *err) {
    size_t a = strlen(what), b = strlen(problem);
    char *copy = (char *)malloc(a + 2 + b);
    if (copy != NULL) {
        memcpy(copy, what, a);
        memcpy(copy + a, ": ", 2);
        memcpy(copy + a + 2, problem, b);
        err->ptr = copy;
        err->len = a + 2 + b;
    }
    return status;
}

static pp_status out_of_memory(pp_string *err) {
    return fail2(PP_ERR_PANIC, "typecov-c", "out of memory", err);
}

/* ---------------------------------------------------------------------------------- */
/* Validation: each check returns NULL when the value is valid, else a static message. */

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need, k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1Fu;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0Fu;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07u;
            min = 0x10000;
        } else {
            return 0;
        }
        if (n - i - 1 < need) {
            return 0;
        }
        for (k = 1; k <= need; k++) {
            unsigned char cc = s[i + k];
            if ((cc & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) {
            return 0;
        }
        i += need + 1;
    }
    return 1;
}

static const char *check_ptr(const void *ptr, size_t len) {
    return (len > 0 && ptr == NULL) ? "NULL pointer with non-zero length" : NULL;
}

static const char *check_string(pp_string s) {
    const char *bad = check_ptr(s.ptr, s.len);
    if (bad != NULL) {
        return bad;
    }
    return utf8_valid((const unsigned char *)s.ptr, s.len) ? NULL : "invalid UTF-8";
}

static const char *check_list_string(list_string_t l) {
    const char *bad = check_ptr(l.ptr, l.len);
    size_t i;
    for (i = 0; bad == NULL && i < l.len; i++) {
        bad = check_string(l.ptr[i]);
    }
    return bad;
}

static const char *check_person(const person_t *p) {
    const char *bad = check_string(p->name);
    if (bad == NULL) {
        bad = check_list_string(p->tags);
    }
    if (bad == NULL && p->home.is_some > 1) {
        bad = "option discriminant (home.is_some) is neither 0 nor 1";
    }
    return bad;
}

static const char *check_shape(const shape_t *s) {
    switch (s->tag) {
    case TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE:
    case TEST_TYPECOV_V1_TYPES_SHAPE_RECT:
    case TEST_TYPECOV_V1_TYPES_SHAPE_EMPTY:
        return NULL;
    case TEST_TYPECOV_V1_TYPES_SHAPE_NAMED:
        return check_string(s->val.named);
    default:
        return "shape: unknown variant tag";
    }
}

static const char *check_failure(const failure_t *f) {
    switch (f->tag) {
    case TEST_TYPECOV_V1_TYPES_FAILURE_CODE:
        return NULL;
    case TEST_TYPECOV_V1_TYPES_FAILURE_MESSAGE:
        return check_string(f->val.message);
    default:
        return "failure: unknown variant tag";
    }
}

static const char *check_nested(const nested_t *v) {
    size_t i;
    const char *bad = NULL;
    if (v->is_some > 1) {
        return "option discriminant (is_some) is neither 0 nor 1";
    }
    if (!v->is_some) {
        return NULL;
    }
    if (v->val.is_err > 1) {
        return "result discriminant (is_err) is neither 0 nor 1";
    }
    if (v->val.is_err) {
        return check_shape(&v->val.val.err);
    }
    bad = check_ptr(v->val.val.ok.ptr, v->val.val.ok.len);
    for (i = 0; bad == NULL && i < v->val.val.ok.len; i++) {
        bad = check_person(&v->val.val.ok.ptr[i]);
    }
    return bad;
}

/* ---------------------------------------------------------------------------------- */
/* Deep copies. The destination starts zeroed (a valid, empty value); a copy that runs  */
/* out of memory returns 0 and leaves a partial value the generated _release helper can */
/* free, since every part not yet copied is still zero.                                 */

static int copy_mem(const void **dst, const void *src, size_t bytes) {
    void *p;
    if (bytes == 0) {
        *dst = NULL; /* an empty value owns no memory */
        return 1;
    }
    p = malloc(bytes);
    if (p == NULL) {
        return 0;
    }
    memcpy(p, src, bytes);
    *dst = p;
    return 1;
}

static int copy_string(pp_string *dst, pp_string src) {
    if (!copy_mem((const void **)&dst->ptr, src.ptr, src.len)) {
        return 0;
    }
    dst->len = src.len;
    return 1;
}

/* calloc for `len` elements of `size` bytes; NULL (and success) when len is 0. */
static int alloc_items(void **items, size_t len, size_t size) {
    *items = NULL;
    if (len == 0) {
        return 1;
    }
    *items = calloc(len, size);
    return *items != NULL;
}

static int copy_list_string(list_string_t *dst, list_string_t src) {
    pp_string *items;
    size_t i;
    if (!alloc_items((void **)&items, src.len, sizeof(pp_string))) {
        return 0;
    }
    dst->ptr = items;
    dst->len = src.len;
    for (i = 0; i < src.len; i++) {
        if (!copy_string(&items[i], src.ptr[i])) {
            return 0;
        }
    }
    return 1;
}

static int copy_person(person_t *dst, const person_t *src) {
    dst->age = src->age;
    dst->home = src->home; /* option<point>: plain data */
    return copy_string(&dst->name, src->name) && copy_list_string(&dst->tags, src->tags);
}

static int copy_shape(shape_t *dst, const shape_t *src) {
    dst->tag = src->tag;
    switch (src->tag) {
    case TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE:
        dst->val.circle = src->val.circle;
        return 1;
    case TEST_TYPECOV_V1_TYPES_SHAPE_RECT:
        dst->val.rect = src->val.rect;
        return 1;
    case TEST_TYPECOV_V1_TYPES_SHAPE_NAMED:
        dst->val.named.ptr = NULL;
        dst->val.named.len = 0;
        return copy_string(&dst->val.named, src->val.named);
    default:
        return 1;
    }
}

static int copy_list_person(list_person_t *dst, list_person_t src) {
    person_t *items;
    size_t i;
    if (!alloc_items((void **)&items, src.len, sizeof(person_t))) {
        return 0;
    }
    dst->ptr = items;
    dst->len = src.len;
    for (i = 0; i < src.len; i++) {
        if (!copy_person(&items[i], &src.ptr[i])) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------------------------- */
/* interface echo                                                                     */

static pp_status echo_bool(uint8_t v, uint8_t *ret, pp_string *err) {
    if (v > 1) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", "bool is neither 0 nor 1", err);
    }
    *ret = v;
    return PP_OK;
}

static pp_status echo_s8(int8_t v, int8_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_s16(int16_t v, int16_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_s32(int32_t v, int32_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_s64(int64_t v, int64_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_u8(uint8_t v, uint8_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_u16(uint16_t v, uint16_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_u32(uint32_t v, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_u64(uint64_t v, uint64_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_f32(float v, float *ret, pp_string *err) {
    (void)err;
    memcpy(ret, &v, sizeof v); /* bit for bit, NaN payloads included */
    return PP_OK;
}

static pp_status echo_f64(double v, double *ret, pp_string *err) {
    (void)err;
    memcpy(ret, &v, sizeof v);
    return PP_OK;
}

static pp_status echo_char(uint32_t v, uint32_t *ret, pp_string *err) {
    if (v > 0x10FFFFu || (v >= 0xD800u && v <= 0xDFFFu)) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", "char is not a Unicode scalar value", err);
    }
    *ret = v;
    return PP_OK;
}

static pp_status echo_string(pp_string v, pp_string *ret, pp_string *err) {
    const char *bad = check_string(v);
    pp_string out = {NULL, 0};
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    if (!copy_string(&out, v)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_bytes(list_u8_t v, list_u8_t *ret, pp_string *err) {
    const char *bad = check_ptr(v.ptr, v.len);
    list_u8_t out;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    if (!copy_mem((const void **)&out.ptr, v.ptr, v.len)) {
        return out_of_memory(err);
    }
    out.len = v.len;
    *ret = out;
    return PP_OK;
}

static pp_status echo_strings(list_string_t v, list_string_t *ret, pp_string *err) {
    const char *bad = check_list_string(v);
    list_string_t out;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    if (!copy_list_string(&out, v)) {
        test_typecov_v1_list_string_release(&out, plugin_dealloc);
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_option(option_string_t v, option_string_t *ret, pp_string *err) {
    option_string_t out;
    const char *bad = NULL;
    if (v.is_some > 1) {
        bad = "option discriminant (is_some) is neither 0 nor 1";
    } else if (v.is_some) {
        bad = check_string(v.val);
    }
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    out.is_some = v.is_some;
    if (v.is_some && !copy_string(&out.val, v.val)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_result(result_u32_string_t v, result_u32_string_t *ret, pp_string *err) {
    result_u32_string_t out;
    const char *bad = NULL;
    if (v.is_err > 1) {
        bad = "result discriminant (is_err) is neither 0 nor 1";
    } else if (v.is_err) {
        bad = check_string(v.val.err);
    }
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    out.is_err = v.is_err;
    if (!v.is_err) {
        out.val.ok = v.val.ok;
    } else if (!copy_string(&out.val.err, v.val.err)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_result_unit(result_unit_t v, result_unit_t *ret, pp_string *err) {
    result_unit_t out;
    const char *bad = NULL;
    if (v.is_err > 1) {
        bad = "result discriminant (is_err) is neither 0 nor 1";
    } else if (v.is_err) {
        bad = check_failure(&v.val.err);
    }
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    out.is_err = v.is_err;
    if (v.is_err) {
        out.val.err.tag = v.val.err.tag;
        if (v.val.err.tag == TEST_TYPECOV_V1_TYPES_FAILURE_CODE) {
            out.val.err.val.code = v.val.err.val.code;
        } else if (!copy_string(&out.val.err.val.message, v.val.err.val.message)) {
            return out_of_memory(err);
        }
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_tuple(tuple_t v, tuple_t *ret, pp_string *err) {
    const char *bad = check_string(v.f1);
    tuple_t out;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v.1", bad, err);
    }
    memset(&out, 0, sizeof out);
    out.f0 = v.f0;
    out.f2 = v.f2;
    if (!copy_string(&out.f1, v.f1)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_point(point_t v, point_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_person(person_t v, person_t *ret, pp_string *err) {
    const char *bad = check_person(&v);
    person_t out;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    if (!copy_person(&out, &v)) {
        test_typecov_v1_types_person_release(&out, plugin_dealloc);
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_color(color_t v, color_t *ret, pp_string *err) {
    if (v > TEST_TYPECOV_V1_TYPES_COLOR_BLUE) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", "color: enum value out of range", err);
    }
    *ret = v;
    return PP_OK;
}

static pp_status echo_perms(perms_t v, perms_t *ret, pp_string *err) {
    if ((v & (perms_t)~PERMS_ALL) != 0) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", "perms: unknown flag bits", err);
    }
    *ret = v;
    return PP_OK;
}

static pp_status echo_wide(wide_t v, wide_t *ret, pp_string *err) {
    (void)err; /* 32 flags in 32 bits: no unknown bits are possible */
    *ret = v;
    return PP_OK;
}

static pp_status echo_shape(shape_t v, shape_t *ret, pp_string *err) {
    const char *bad = check_shape(&v);
    shape_t out;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    if (!copy_shape(&out, &v)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_points(point_list_t v, point_list_t *ret, pp_string *err) {
    const char *bad = check_ptr(v.ptr, v.len);
    point_list_t out;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    if (!copy_mem((const void **)&out.ptr, v.ptr, v.len * sizeof(point_t))) {
        return out_of_memory(err);
    }
    out.len = v.len;
    *ret = out;
    return PP_OK;
}

static pp_status echo_nested(nested_t v, nested_t *ret, pp_string *err) {
    const char *bad = check_nested(&v);
    nested_t out;
    int ok = 1;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "v", bad, err);
    }
    memset(&out, 0, sizeof out);
    out.is_some = v.is_some;
    if (v.is_some) {
        out.val.is_err = v.val.is_err;
        if (v.val.is_err) {
            ok = copy_shape(&out.val.val.err, &v.val.val.err);
        } else {
            ok = copy_list_person(&out.val.val.ok, v.val.val.ok);
        }
    }
    if (!ok) {
        test_typecov_v1_option_result_list_types_person_types_shape_release(&out, plugin_dealloc);
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status sink(uint8_t a, pp_string b, list_u64_t c, pp_string *err) {
    const char *bad = check_string(b);
    (void)a;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "b", bad, err);
    }
    bad = check_ptr(c.ptr, c.len);
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "c", bad, err);
    }
    return PP_OK;
}

/* C cannot panic: `boom` models a fault the plugin caught, reported as PP_ERR_PANIC
 * with the message (an owned copy). The plugin stays usable. */
static pp_status boom(pp_string message, pp_string *ret, pp_string *err) {
    const char *bad = check_string(message);
    pp_string copy = {NULL, 0};
    (void)ret;
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "message", bad, err);
    }
    if (!copy_string(&copy, message)) {
        return out_of_memory(err);
    }
    *err = copy;
    return PP_ERR_PANIC;
}

static const test_typecov_v1_echo_table ECHO = {
    .header = {sizeof(test_typecov_v1_echo_table), TABLE_VERSION, plugin_dealloc},
    .echo_bool = echo_bool,
    .echo_s8 = echo_s8,
    .echo_s16 = echo_s16,
    .echo_s32 = echo_s32,
    .echo_s64 = echo_s64,
    .echo_u8 = echo_u8,
    .echo_u16 = echo_u16,
    .echo_u32 = echo_u32,
    .echo_u64 = echo_u64,
    .echo_f32 = echo_f32,
    .echo_f64 = echo_f64,
    .echo_char = echo_char,
    .echo_string = echo_string,
    .echo_bytes = echo_bytes,
    .echo_strings = echo_strings,
    .echo_option = echo_option,
    .echo_result = echo_result,
    .echo_result_unit = echo_result_unit,
    .echo_tuple = echo_tuple,
    .echo_point = echo_point,
    .echo_person = echo_person,
    .echo_color = echo_color,
    .echo_perms = echo_perms,
    .echo_wide = echo_wide,
    .echo_shape = echo_shape,
    .echo_points = echo_points,
    .echo_nested = echo_nested,
    .sink = sink,
    .boom = boom,
};

/* ---------------------------------------------------------------------------------- */
/* interface store: the counter resource                                              */

typedef struct counter {
    pthread_mutex_t lock;
    int64_t value;
} counter;

static pthread_mutex_t g_live_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t g_live;

static void live_add(int delta) {
    pthread_mutex_lock(&g_live_lock);
    g_live = (uint32_t)((int64_t)g_live + delta);
    pthread_mutex_unlock(&g_live_lock);
}

static void counter_drop(void *self) {
    counter *c = (counter *)self;
    if (c == NULL) {
        return;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
    live_add(-1);
}

/* Wrapping addition without signed overflow. */
static int64_t wrapping_add(int64_t a, int64_t b) {
    uint64_t r = (uint64_t)a + (uint64_t)b;
    int64_t out;
    memcpy(&out, &r, sizeof out);
    return out;
}

static pp_status counter_add(void *self, int64_t delta, int64_t *ret, pp_string *err) {
    counter *c = (counter *)self;
    if (c == NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "self", "null counter handle", err);
    }
    pthread_mutex_lock(&c->lock);
    c->value = wrapping_add(c->value, delta);
    *ret = c->value;
    pthread_mutex_unlock(&c->lock);
    return PP_OK;
}

static pp_status counter_get(void *self, int64_t *ret, pp_string *err) {
    counter *c = (counter *)self;
    if (c == NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "self", "null counter handle", err);
    }
    pthread_mutex_lock(&c->lock);
    *ret = c->value;
    pthread_mutex_unlock(&c->lock);
    return PP_OK;
}

static const test_typecov_v1_store_counter_vtable COUNTER_VTABLE = {
    {sizeof(test_typecov_v1_store_counter_vtable), TABLE_VERSION, plugin_dealloc},
    counter_drop,
    counter_add,
    counter_get,
};

static pp_status make_counter(int64_t start, counter_handle_t *ret, pp_string *err) {
    counter *c = (counter *)malloc(sizeof(counter));
    if (c == NULL) {
        return out_of_memory(err);
    }
    pthread_mutex_init(&c->lock, NULL);
    c->value = start;
    live_add(1);
    ret->self = c;
    ret->vtable = &COUNTER_VTABLE;
    return PP_OK;
}

static pp_status counter_new(int64_t start, counter_handle_t *ret, pp_string *err) {
    return make_counter(start, ret, err);
}

static pp_status counter_zero(counter_handle_t *ret, pp_string *err) {
    return make_counter(0, ret, err);
}

/* A handle this plugin created: non-null self and our own vtable. */
static const char *check_handle(counter_handle_t c) {
    if (c.self == NULL || c.vtable == NULL) {
        return "null counter handle";
    }
    if (c.vtable != &COUNTER_VTABLE) {
        return "counter handle not created by this plugin";
    }
    return NULL;
}

static pp_status peek(counter_handle_t c, int64_t *ret, pp_string *err) {
    const char *bad = check_handle(c);
    if (bad != NULL) {
        return fail2(PP_ERR_INVALID_ARGUMENT, "c", bad, err);
    }
    return counter_get(c.self, ret, err);
}

static pp_status consume(counter_handle_t c, int64_t *ret, pp_string *err) {
    const char *bad = check_handle(c);
    pp_status st;
    if (bad != NULL) {
        /* Ownership passed even though the call fails: drop what can be dropped. */
        if (c.self != NULL && c.vtable != NULL && c.vtable->drop != NULL) {
            c.vtable->drop(c.self);
        }
        return fail2(PP_ERR_INVALID_ARGUMENT, "c", bad, err);
    }
    st = counter_get(c.self, ret, err);
    counter_drop(c.self);
    return st;
}

static pp_status live(uint32_t *ret, pp_string *err) {
    (void)err;
    pthread_mutex_lock(&g_live_lock);
    *ret = g_live;
    pthread_mutex_unlock(&g_live_lock);
    return PP_OK;
}

/* Designated initialisers: the slot order of the store table is fixed by the header. */
static const test_typecov_v1_store_table STORE = {
    .header = {sizeof(test_typecov_v1_store_table), TABLE_VERSION, plugin_dealloc},
    .counter_new = counter_new,
    .counter_zero = counter_zero,
    .peek = peek,
    .consume = consume,
    .live = live,
};

/* ---------------------------------------------------------------------------------- */
/* The world                                                                          */

static pp_status version(pp_string *ret, pp_string *err) {
    static const char text[] = "typecov-c 1.0.0";
    pp_string v;
    v.ptr = text;
    v.len = sizeof text - 1;
    return copy_string(ret, v) ? PP_OK : out_of_memory(err);
}

static const test_typecov_v1_typecov_exports EXPORTS = {
    .header = {sizeof(test_typecov_v1_typecov_exports), TABLE_VERSION, plugin_dealloc},
    .echo = &ECHO,
    .store = &STORE,
    .version = version,
};

static pp_status init(const test_typecov_v1_typecov_imports *imports,
                      const test_typecov_v1_typecov_exports **exports, pp_string *err) {
    (void)imports; /* the world imports nothing */
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_TYPECOV_V1_TYPECOV_EXPORT("typecov-c", "1.0.0", init)
