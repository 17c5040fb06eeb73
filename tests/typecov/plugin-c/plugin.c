/* The type-coverage plugin for test:typecov@1.0.0, in plain C against the generated
 * header typecov.h (`plugport gen tests/wit/typecov.wit --out DIR --lang c`).
 *
 * Every echo function returns its argument. What a C plugin must do by hand
 * (docs/abi.md) is the point of this file:
 *  - validate every argument (rule 5): bool 0/1, char a Unicode scalar value, enum and
 *    variant tags, option/result discriminants, flag bits, UTF-8 of every string, no
 *    NULL pointer with a non-zero length, non-NULL handles; bad input gives
 *    PP_ERR_INVALID_ARGUMENT with an owned message. The header's validating trampolines
 *    (<PREFIX>_<I>_<SLOT>_TRAMPOLINE, docs/abi.md section 11) do all of it: every slot
 *    below is a trampoline around the plugin's own function;
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
    (void)err;
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
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_string(pp_string v, pp_string *ret, pp_string *err) {
    pp_string out = {NULL, 0};
    if (!copy_string(&out, v)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_bytes(list_u8_t v, list_u8_t *ret, pp_string *err) {
    list_u8_t out;
    if (!copy_mem((const void **)&out.ptr, v.ptr, v.len)) {
        return out_of_memory(err);
    }
    out.len = v.len;
    *ret = out;
    return PP_OK;
}

static pp_status echo_strings(list_string_t v, list_string_t *ret, pp_string *err) {
    list_string_t out;
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
    tuple_t out;
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
    person_t out;
    memset(&out, 0, sizeof out);
    if (!copy_person(&out, &v)) {
        test_typecov_v1_types_person_release(&out, plugin_dealloc);
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_color(color_t v, color_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_perms(perms_t v, perms_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_wide(wide_t v, wide_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_shape(shape_t v, shape_t *ret, pp_string *err) {
    shape_t out;
    memset(&out, 0, sizeof out);
    if (!copy_shape(&out, &v)) {
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_points(point_list_t v, point_list_t *ret, pp_string *err) {
    point_list_t out;
    if (!copy_mem((const void **)&out.ptr, v.ptr, v.len * sizeof(point_t))) {
        return out_of_memory(err);
    }
    out.len = v.len;
    *ret = out;
    return PP_OK;
}

static pp_status echo_nested(nested_t v, nested_t *ret, pp_string *err) {
    nested_t out;
    int ok = 1;
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

/* Appends the decimal digits of v to buf at *n. */
static void put_u64(char *buf, size_t *n, uint64_t v) {
    char digits[20];
    size_t k = 0;
    do {
        digits[k++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    while (k > 0) {
        buf[(*n)++] = digits[--k];
    }
}

static void put_bytes(char *buf, size_t *n, const void *bytes, size_t len) {
    if (len > 0) {
        memcpy(buf + *n, bytes, len);
        *n += len;
    }
}

/* `sink` checks that its three arguments crossed intact, so that hosts can check values
 * although it returns nothing: it accepts b == "<a>:<c[0]>,<c[1]>,..." (decimal) and
 * otherwise fails with PP_ERR_PANIC and the message
 * `sink received a=<a> b="<b>" c=[<c[0]>,<c[1]>,...]`, which the hosts compare. */
static pp_status sink(uint8_t a, pp_string b, list_u64_t c, pp_string *err) {
    size_t i, n = 0, cap = 64 + b.len + c.len * 21;
    char *buf = (char *)malloc(cap);
    if (buf == NULL) {
        return out_of_memory(err);
    }
    put_u64(buf, &n, a);
    buf[n++] = ':';
    for (i = 0; i < c.len; i++) {
        if (i > 0) {
            buf[n++] = ',';
        }
        put_u64(buf, &n, c.ptr[i]);
    }
    if (n == b.len && (n == 0 || memcmp(buf, b.ptr, n) == 0)) {
        free(buf);
        return PP_OK;
    }
    n = 0;
    put_bytes(buf, &n, "sink received a=", 16);
    put_u64(buf, &n, a);
    put_bytes(buf, &n, " b=\"", 4);
    put_bytes(buf, &n, b.ptr, b.len);
    put_bytes(buf, &n, "\" c=[", 5);
    for (i = 0; i < c.len; i++) {
        if (i > 0) {
            buf[n++] = ',';
        }
        put_u64(buf, &n, c.ptr[i]);
    }
    buf[n++] = ']';
    err->ptr = buf;
    err->len = n;
    return PP_ERR_PANIC;
}

/* C cannot panic: `boom` models a fault the plugin caught, reported as PP_ERR_PANIC
 * with the message (an owned copy). The plugin stays usable. */
static pp_status boom(pp_string message, pp_string *ret, pp_string *err) {
    pp_string copy = {NULL, 0};
    (void)ret;
    if (!copy_string(&copy, message)) {
        return out_of_memory(err);
    }
    *err = copy;
    return PP_ERR_PANIC;
}

/* Maps and fixed-length lists (issue 11, A.1 and A.2): owned deep copies as above. */
typedef test_typecov_v1_map_string_types_point map_t;
typedef test_typecov_v1_map_string_types_point_entry map_entry_t;
typedef test_typecov_v1_array4_u8 quad_t;
typedef test_typecov_v1_array2_string pair_t;
typedef test_typecov_v1_result_types_framed_string framed_result_t;

static pp_status echo_map(map_t v, map_t *ret, pp_string *err) {
    map_t out;
    map_entry_t *items;
    size_t i;
    if (!alloc_items((void **)&items, v.len, sizeof(map_entry_t))) {
        return out_of_memory(err);
    }
    out.ptr = items;
    out.len = v.len;
    for (i = 0; i < v.len; i++) {
        items[i].value = v.ptr[i].value;
        if (!copy_string(&items[i].key, v.ptr[i].key)) {
            test_typecov_v1_map_string_types_point_release(&out, plugin_dealloc);
            return out_of_memory(err);
        }
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_quad(quad_t v, quad_t *ret, pp_string *err) {
    (void)err;
    *ret = v;
    return PP_OK;
}

static pp_status echo_pair(pair_t v, pair_t *ret, pp_string *err) {
    pair_t out;
    memset(&out, 0, sizeof out);
    if (!copy_string(&out.elems[0], v.elems[0]) || !copy_string(&out.elems[1], v.elems[1])) {
        test_typecov_v1_array2_string_release(&out, plugin_dealloc);
        return out_of_memory(err);
    }
    *ret = out;
    return PP_OK;
}

static pp_status echo_framed(framed_result_t v, framed_result_t *ret, pp_string *err) {
    framed_result_t out;
    memset(&out, 0, sizeof out);
    out.is_err = v.is_err;
    if (v.is_err) {
        if (!copy_string(&out.val.err, v.val.err)) {
            return out_of_memory(err);
        }
    } else {
        out.val.ok = v.val.ok; /* a u32 and a list<u8, 4>: nothing owned */
    }
    *ret = out;
    return PP_OK;
}

/* The slots are the header's validating trampolines (docs/abi.md section 11) around the
 * functions above: every argument is checked (rule 5) before they run. */
TEST_TYPECOV_V1_ECHO_ECHO_BOOL_TRAMPOLINE(echo_bool_checked, echo_bool)
TEST_TYPECOV_V1_ECHO_ECHO_S8_TRAMPOLINE(echo_s8_checked, echo_s8)
TEST_TYPECOV_V1_ECHO_ECHO_S16_TRAMPOLINE(echo_s16_checked, echo_s16)
TEST_TYPECOV_V1_ECHO_ECHO_S32_TRAMPOLINE(echo_s32_checked, echo_s32)
TEST_TYPECOV_V1_ECHO_ECHO_S64_TRAMPOLINE(echo_s64_checked, echo_s64)
TEST_TYPECOV_V1_ECHO_ECHO_U8_TRAMPOLINE(echo_u8_checked, echo_u8)
TEST_TYPECOV_V1_ECHO_ECHO_U16_TRAMPOLINE(echo_u16_checked, echo_u16)
TEST_TYPECOV_V1_ECHO_ECHO_U32_TRAMPOLINE(echo_u32_checked, echo_u32)
TEST_TYPECOV_V1_ECHO_ECHO_U64_TRAMPOLINE(echo_u64_checked, echo_u64)
TEST_TYPECOV_V1_ECHO_ECHO_F32_TRAMPOLINE(echo_f32_checked, echo_f32)
TEST_TYPECOV_V1_ECHO_ECHO_F64_TRAMPOLINE(echo_f64_checked, echo_f64)
TEST_TYPECOV_V1_ECHO_ECHO_CHAR_TRAMPOLINE(echo_char_checked, echo_char)
TEST_TYPECOV_V1_ECHO_ECHO_STRING_TRAMPOLINE(echo_string_checked, echo_string)
TEST_TYPECOV_V1_ECHO_ECHO_BYTES_TRAMPOLINE(echo_bytes_checked, echo_bytes)
TEST_TYPECOV_V1_ECHO_ECHO_STRINGS_TRAMPOLINE(echo_strings_checked, echo_strings)
TEST_TYPECOV_V1_ECHO_ECHO_OPTION_TRAMPOLINE(echo_option_checked, echo_option)
TEST_TYPECOV_V1_ECHO_ECHO_RESULT_TRAMPOLINE(echo_result_checked, echo_result)
TEST_TYPECOV_V1_ECHO_ECHO_RESULT_UNIT_TRAMPOLINE(echo_result_unit_checked, echo_result_unit)
TEST_TYPECOV_V1_ECHO_ECHO_TUPLE_TRAMPOLINE(echo_tuple_checked, echo_tuple)
TEST_TYPECOV_V1_ECHO_ECHO_POINT_TRAMPOLINE(echo_point_checked, echo_point)
TEST_TYPECOV_V1_ECHO_ECHO_PERSON_TRAMPOLINE(echo_person_checked, echo_person)
TEST_TYPECOV_V1_ECHO_ECHO_COLOR_TRAMPOLINE(echo_color_checked, echo_color)
TEST_TYPECOV_V1_ECHO_ECHO_PERMS_TRAMPOLINE(echo_perms_checked, echo_perms)
TEST_TYPECOV_V1_ECHO_ECHO_WIDE_TRAMPOLINE(echo_wide_checked, echo_wide)
TEST_TYPECOV_V1_ECHO_ECHO_SHAPE_TRAMPOLINE(echo_shape_checked, echo_shape)
TEST_TYPECOV_V1_ECHO_ECHO_POINTS_TRAMPOLINE(echo_points_checked, echo_points)
TEST_TYPECOV_V1_ECHO_ECHO_NESTED_TRAMPOLINE(echo_nested_checked, echo_nested)
TEST_TYPECOV_V1_ECHO_SINK_TRAMPOLINE(sink_checked, sink)
TEST_TYPECOV_V1_ECHO_BOOM_TRAMPOLINE(boom_checked, boom)
TEST_TYPECOV_V1_ECHO_ECHO_MAP_TRAMPOLINE(echo_map_checked, echo_map)
TEST_TYPECOV_V1_ECHO_ECHO_QUAD_TRAMPOLINE(echo_quad_checked, echo_quad)
TEST_TYPECOV_V1_ECHO_ECHO_PAIR_TRAMPOLINE(echo_pair_checked, echo_pair)
TEST_TYPECOV_V1_ECHO_ECHO_FRAMED_TRAMPOLINE(echo_framed_checked, echo_framed)

static const test_typecov_v1_echo_table ECHO = {
    .header = {sizeof(test_typecov_v1_echo_table), TABLE_VERSION, plugin_dealloc},
    .echo_bool = echo_bool_checked,
    .echo_s8 = echo_s8_checked,
    .echo_s16 = echo_s16_checked,
    .echo_s32 = echo_s32_checked,
    .echo_s64 = echo_s64_checked,
    .echo_u8 = echo_u8_checked,
    .echo_u16 = echo_u16_checked,
    .echo_u32 = echo_u32_checked,
    .echo_u64 = echo_u64_checked,
    .echo_f32 = echo_f32_checked,
    .echo_f64 = echo_f64_checked,
    .echo_char = echo_char_checked,
    .echo_string = echo_string_checked,
    .echo_bytes = echo_bytes_checked,
    .echo_strings = echo_strings_checked,
    .echo_option = echo_option_checked,
    .echo_result = echo_result_checked,
    .echo_result_unit = echo_result_unit_checked,
    .echo_tuple = echo_tuple_checked,
    .echo_point = echo_point_checked,
    .echo_person = echo_person_checked,
    .echo_color = echo_color_checked,
    .echo_perms = echo_perms_checked,
    .echo_wide = echo_wide_checked,
    .echo_shape = echo_shape_checked,
    .echo_points = echo_points_checked,
    .echo_nested = echo_nested_checked,
    .sink = sink_checked,
    .boom = boom_checked,
    .echo_map = echo_map_checked,
    .echo_quad = echo_quad_checked,
    .echo_pair = echo_pair_checked,
    .echo_framed = echo_framed_checked,
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
    (void)err;
    pthread_mutex_lock(&c->lock);
    c->value = wrapping_add(c->value, delta);
    *ret = c->value;
    pthread_mutex_unlock(&c->lock);
    return PP_OK;
}

static pp_status counter_get(void *self, int64_t *ret, pp_string *err) {
    counter *c = (counter *)self;
    (void)err;
    pthread_mutex_lock(&c->lock);
    *ret = c->value;
    pthread_mutex_unlock(&c->lock);
    return PP_OK;
}

/* A NULL self is refused by the trampolines. */
TEST_TYPECOV_V1_STORE_COUNTER_ADD_TRAMPOLINE(counter_add_checked, counter_add)
TEST_TYPECOV_V1_STORE_COUNTER_GET_TRAMPOLINE(counter_get_checked, counter_get)

static const test_typecov_v1_store_counter_vtable COUNTER_VTABLE = {
    {sizeof(test_typecov_v1_store_counter_vtable), TABLE_VERSION, plugin_dealloc},
    counter_drop,
    counter_add_checked,
    counter_get_checked,
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

/* A handle this plugin created: our own vtable. (A NULL self or vtable is refused by the
 * trampolines before peek and consume run; this is the check only the plugin can make.) */
static const char *check_handle(counter_handle_t c) {
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

/* peek and consume get a borrowed and an owned handle: the trampolines refuse a NULL self
 * or vtable (and drop the owned handle when they refuse a call). */
TEST_TYPECOV_V1_STORE_PEEK_TRAMPOLINE(peek_checked, peek)
TEST_TYPECOV_V1_STORE_CONSUME_TRAMPOLINE(consume_checked, consume)

/* Designated initialisers: the slot order of the store table is fixed by the header. */
static const test_typecov_v1_store_table STORE = {
    .header = {sizeof(test_typecov_v1_store_table), TABLE_VERSION, plugin_dealloc},
    .counter_new = counter_new,
    .counter_zero = counter_zero,
    .peek = peek_checked,
    .consume = consume_checked,
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
