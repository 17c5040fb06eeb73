/* A C plugin of test:fallible (tests/wit/fallible.wit): three resources whose
 * constructors are fallible (docs/abi.md section 5). Each `<r>_new` slot answers
 * result<own<r>, E>: a handle on success, the error payload (a string, nothing, or the
 * variant `why`) when it refuses, both with PP_OK. Objects alive are counted for the host
 * (live_objects). */
#include <stdlib.h>
#include <string.h>

#include "fallible.h"

#define TABLE_VERSION 0x00010000u /* test:fallible@1.0.0 */

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

/* ---- conn: constructor(addr: string) -> result<conn, string> ---- */
typedef struct conn {
    pp_string addr;
} conn;

static void conn_drop(void *self) {
    conn *c = (conn *)self;
    free((void *)(uintptr_t)c->addr.ptr);
    free(c);
    g_live--;
}

static pp_status conn_addr(void *self, pp_string *ret, pp_string *err) {
    conn *c = (conn *)self;
    return copy(c->addr.ptr, c->addr.len, ret) ? PP_OK : oom(err);
}

static const test_fallible_v1_api_conn_vtable CONN_VT = {
    {sizeof(test_fallible_v1_api_conn_vtable), TABLE_VERSION, plugin_dealloc},
    conn_drop,
    conn_addr,
};

static pp_status conn_new(pp_string addr, test_fallible_v1_result_api_conn_string *ret,
                          pp_string *err) {
    static const char empty[] = "an empty address";
    conn *c;
    if (addr.len == 0) {
        ret->is_err = 1;
        return copy(empty, sizeof empty - 1, &ret->val.err) ? PP_OK : oom(err);
    }
    c = (conn *)malloc(sizeof *c);
    if (c == NULL || !copy(addr.ptr, addr.len, &c->addr)) {
        free(c);
        return oom(err);
    }
    g_live++;
    ret->is_err = 0;
    ret->val.ok.self = c;
    ret->val.ok.vtable = &CONN_VT;
    return PP_OK;
}

TEST_FALLIBLE_V1_API_CONN_NEW_TRAMPOLINE(conn_new_checked, conn_new)

/* ---- name: constructor(text: string) -> result<name> ---- */
typedef struct name {
    pp_string text;
} name;

static void name_drop(void *self) {
    name *n = (name *)self;
    free((void *)(uintptr_t)n->text.ptr);
    free(n);
    g_live--;
}

static pp_status name_text(void *self, pp_string *ret, pp_string *err) {
    name *n = (name *)self;
    return copy(n->text.ptr, n->text.len, ret) ? PP_OK : oom(err);
}

static const test_fallible_v1_api_name_vtable NAME_VT = {
    {sizeof(test_fallible_v1_api_name_vtable), TABLE_VERSION, plugin_dealloc},
    name_drop,
    name_text,
};

static pp_status name_new(pp_string text, test_fallible_v1_result_api_name_void *ret,
                          pp_string *err) {
    name *n;
    /* A name starts with an upper-case ASCII letter; anything else is refused. */
    if (text.len == 0 || text.ptr[0] < 'A' || text.ptr[0] > 'Z') {
        ret->is_err = 1;
        return PP_OK;
    }
    n = (name *)malloc(sizeof *n);
    if (n == NULL || !copy(text.ptr, text.len, &n->text)) {
        free(n);
        return oom(err);
    }
    g_live++;
    ret->is_err = 0;
    ret->val.ok.self = n;
    ret->val.ok.vtable = &NAME_VT;
    return PP_OK;
}

TEST_FALLIBLE_V1_API_NAME_NEW_TRAMPOLINE(name_new_checked, name_new)

/* ---- checked: constructor(n: u32) -> result<checked, why> ---- */
static void checked_drop(void *self) {
    free(self);
    g_live--;
}

static pp_status checked_get(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = *(uint32_t *)self;
    return PP_OK;
}

static const test_fallible_v1_api_checked_vtable CHECKED_VT = {
    {sizeof(test_fallible_v1_api_checked_vtable), TABLE_VERSION, plugin_dealloc},
    checked_drop,
    checked_get,
};

static pp_status checked_new(uint32_t n, test_fallible_v1_result_api_checked_api_why *ret,
                             pp_string *err) {
    uint32_t *v;
    if (n == 0 || n > 100) {
        ret->is_err = 1;
        if (n == 0) {
            ret->val.err.tag = TEST_FALLIBLE_V1_API_WHY_EMPTY;
        } else {
            ret->val.err.tag = TEST_FALLIBLE_V1_API_WHY_TOO_LONG;
            ret->val.err.val.too_long = n;
        }
        return PP_OK;
    }
    v = (uint32_t *)malloc(sizeof *v);
    if (v == NULL) {
        return oom(err);
    }
    *v = n;
    g_live++;
    ret->is_err = 0;
    ret->val.ok.self = v;
    ret->val.ok.vtable = &CHECKED_VT;
    return PP_OK;
}

TEST_FALLIBLE_V1_API_CHECKED_NEW_TRAMPOLINE(checked_new_checked, checked_new)

static const test_fallible_v1_api_table API = {
    {sizeof(test_fallible_v1_api_table), TABLE_VERSION, plugin_dealloc},
    conn_new_checked,
    name_new_checked,
    checked_new_checked,
};

static const test_fallible_v1_fallible_exports EXPORTS = {
    {sizeof(test_fallible_v1_fallible_exports), TABLE_VERSION, plugin_dealloc},
    &API,
};

static pp_status init(const test_fallible_v1_fallible_imports *imports,
                      const test_fallible_v1_fallible_exports **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_FALLIBLE_V1_FALLIBLE_EXPORT("fallible-c", "1.0.0", init)
TEST_FALLIBLE_V1_FALLIBLE_LIVE_OBJECTS(live)
