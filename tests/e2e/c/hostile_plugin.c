/* A hostile plugin of test:hostile@1.0.0 (tests/e2e/wit/hostile.wit): every function
 * breaks the ABI in its own way, so that tests/e2e/c/checked_host.c can show that the
 * generated checked callers turn each break into a specific status with a message, and
 * never crash or leak (it runs under valgrind and under ASan/UBSan).
 *
 * Everything it returns is allocated with malloc and released by the host through
 * plugin_dealloc (free), as with any plugin: the checked callers must release invalid
 * results, except one that points into the caller's own argument (rule 1).
 */
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* An owned copy of `len` bytes. */
static const char *dup_bytes(const char *s, size_t len) {
    char *p = (char *)malloc(len);
    if (p != NULL) {
        memcpy(p, s, len);
    }
    return p;
}

static pp_string owned(const char *s, size_t len) {
    pp_string v;
    v.ptr = dup_bytes(s, len);
    v.len = v.ptr != NULL ? len : 0;
    return v;
}

/* ---- the token resource: valid handles, but the vtable has no `bump` ---------------- */

static void token_drop(void *self) {
    free(self);
}

static pp_status token_id(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = *(const uint32_t *)self;
    return PP_OK;
}

static const test_hostile_v1_api_token_vtable TOKEN_VTABLE = {
    {sizeof(test_hostile_v1_api_token_vtable), 0x00010000u, plugin_dealloc},
    token_drop,
    token_id,
    NULL, /* bump: a NULL slot */
};

/* id 0: a handle with a NULL self (invalid). */
static pp_status token_new(uint32_t id, test_hostile_v1_api_token *ret, pp_string *err) {
    uint32_t *self;
    (void)err;
    if (id == 0) {
        ret->self = NULL;
        ret->vtable = &TOKEN_VTABLE;
        return PP_OK;
    }
    self = (uint32_t *)malloc(sizeof *self);
    if (self == NULL) {
        return PP_ERR_PANIC;
    }
    *self = id;
    ret->self = self;
    ret->vtable = &TOKEN_VTABLE;
    return PP_OK;
}

/* ---- invalid results --------------------------------------------------------------- */

static pp_status text(pp_string s, pp_string *ret, pp_string *err) {
    (void)s;
    (void)err;
    *ret = owned("ok\xc3\x28", 4); /* invalid UTF-8 */
    return PP_OK;
}

static pp_status echo(pp_string s, pp_string *ret, pp_string *err) {
    (void)err;
    *ret = s; /* rule 1 broken: the caller's own memory */
    return PP_OK;
}

static pp_status bytes(test_hostile_v1_list_u8 b, test_hostile_v1_list_u8 *ret, pp_string *err) {
    (void)b;
    (void)err;
    ret->ptr = NULL; /* NULL with len > 0 */
    ret->len = 5;
    return PP_OK;
}

static pp_status names(test_hostile_v1_list_string *ret, pp_string *err) {
    pp_string *items = (pp_string *)malloc(2 * sizeof(pp_string));
    (void)err;
    if (items == NULL) {
        return PP_ERR_PANIC;
    }
    items[0] = owned("fine", 4);
    items[1] = owned("\xff\xfe", 2); /* invalid UTF-8 in the second member */
    ret->ptr = items;
    ret->len = 2;
    return PP_OK;
}

static pp_status hue(test_hostile_v1_api_color *ret, pp_string *err) {
    (void)err;
    *ret = 7; /* enum with 3 cases */
    return PP_OK;
}

static pp_status form(test_hostile_v1_api_shape *ret, pp_string *err) {
    (void)err;
    ret->tag = 9; /* variant with 3 cases */
    return PP_OK;
}

static pp_status flag(uint8_t *ret, pp_string *err) {
    (void)err;
    *ret = 2; /* bool byte 2 */
    return PP_OK;
}

static pp_status rights(test_hostile_v1_api_perms *ret, pp_string *err) {
    (void)err;
    *ret = 0x18; /* 3 flags: bits 3 and 4 are unknown */
    return PP_OK;
}

static pp_status letter(uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = 0xD800u; /* a surrogate */
    return PP_OK;
}

static pp_status someone(test_hostile_v1_api_person *ret, pp_string *err) {
    (void)err;
    ret->name = owned("Ada", 3); /* owned, so released when the result is refused */
    ret->home.is_some = 2;
    return PP_OK;
}

static pp_status maybe(test_hostile_v1_result_u32_string *ret, pp_string *err) {
    (void)err;
    ret->is_err = 3;
    return PP_OK;
}

/* ---- error statuses and messages ---------------------------------------------------- */

static pp_status fail(pp_string s, pp_string *ret, pp_string *err) {
    (void)s;
    (void)ret;
    *err = owned("bad \xc0\xaf message", 13); /* not UTF-8: released, replaced */
    return PP_ERR_PANIC;
}

/* Refuses the call with a valid message, and drops the owned tokens (as a callee must). */
static pp_status give(test_hostile_v1_api_token t, pp_string s, test_hostile_v1_api_color c,
                      test_hostile_v1_option_api_token more, uint32_t *ret, pp_string *err) {
    (void)s;
    (void)c;
    (void)ret;
    test_hostile_v1_api_token_release(&t, NULL);
    if (more.is_some == 1) {
        test_hostile_v1_api_token_release(&more.val, NULL);
    }
    *err = owned("give: refused", 13);
    return PP_ERR_INVALID_ARGUMENT;
}

/* A status no callee may return: passed through with its message. */
static pp_status take(uint8_t f, uint32_t ch, test_hostile_v1_api_perms p, test_hostile_v1_api_shape sh,
                      test_hostile_v1_list_string l, test_hostile_v1_api_person who, uint32_t *ret,
                      pp_string *err) {
    (void)f;
    (void)ch;
    (void)p;
    (void)sh;
    (void)l;
    (void)who;
    (void)ret;
    *err = owned("custom status", 13);
    return 42;
}

static pp_status beyond(test_hostile_v1_api_token t, uint32_t *ret, pp_string *err) {
    (void)t;
    (void)ret;
    (void)err;
    abort(); /* never reached: the table's header.size stops before this slot */
}

static pp_status version(pp_string *ret, pp_string *err) {
    (void)ret;
    (void)err;
    abort(); /* never reached: beyond the exports table's header.size */
}

/* `missing` is NULL, and header.size stops before `beyond` (a short table, as from an
 * older minor version that did not have it). */
static const test_hostile_v1_api_table API = {
    {(uint32_t)offsetof(test_hostile_v1_api_table, beyond), 0x00010000u, plugin_dealloc},
    token_new,
    text,
    echo,
    bytes,
    names,
    hue,
    form,
    flag,
    rights,
    letter,
    someone,
    maybe,
    fail,
    give,
    take,
    NULL, /* missing */
    beyond,
};

/* header.size covers `api` but not `version`. */
static const test_hostile_v1_hostile_exports EXPORTS = {
    {(uint32_t)offsetof(test_hostile_v1_hostile_exports, version), 0x00010000u, plugin_dealloc},
    &API,
    version,
};

static pp_status init(const test_hostile_v1_hostile_imports *imports,
                      const test_hostile_v1_hostile_exports **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_HOSTILE_V1_HOSTILE_EXPORT("hostile", "1.0.0", init)
