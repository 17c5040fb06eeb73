/* A well-behaved plugin of test:hostile@1.0.0 whose every slot is a validating
 * trampoline of the generated header (docs/abi.md section 11). tests/e2e/c/checked_host.c
 * sends it invalid arguments through the raw table: each must be refused with
 * PP_ERR_INVALID_ARGUMENT and a message (allocated with malloc, PP_CALLEE_ALLOC's
 * default, and released by the host through plugin_dealloc), with every `own` argument
 * dropped, before the plugin's own function runs. The functions themselves check nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

static void token_drop(void *self) {
    free(self);
}

static pp_status token_id(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = *(const uint32_t *)self;
    return PP_OK;
}

static pp_status token_bump(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = ++*(uint32_t *)self;
    return PP_OK;
}

TEST_HOSTILE_V1_API_TOKEN_ID_TRAMPOLINE(token_id_checked, token_id)
TEST_HOSTILE_V1_API_TOKEN_BUMP_TRAMPOLINE(token_bump_checked, token_bump)

static const test_hostile_v1_api_token_vtable TOKEN_VTABLE = {
    {sizeof(test_hostile_v1_api_token_vtable), 0x00010000u, plugin_dealloc},
    token_drop,
    token_id_checked,
    token_bump_checked,
};

static pp_status token_new(uint32_t id, test_hostile_v1_api_token *ret, pp_string *err) {
    uint32_t *self = (uint32_t *)malloc(sizeof *self);
    (void)err;
    if (self == NULL) {
        return PP_ERR_PANIC;
    }
    *self = id;
    ret->self = self;
    ret->vtable = &TOKEN_VTABLE;
    return PP_OK;
}

static pp_status copy_string(pp_string s, pp_string *ret) {
    char *p;
    if (s.len == 0) {
        return PP_OK;
    }
    p = (char *)malloc(s.len);
    if (p == NULL) {
        return PP_ERR_PANIC;
    }
    memcpy(p, s.ptr, s.len);
    ret->ptr = p;
    ret->len = s.len;
    return PP_OK;
}

static pp_status text(pp_string s, pp_string *ret, pp_string *err) {
    (void)err;
    return copy_string(s, ret);
}

static pp_status echo(pp_string s, pp_string *ret, pp_string *err) {
    (void)err;
    return copy_string(s, ret);
}

static pp_status bytes(test_hostile_v1_list_u8 b, test_hostile_v1_list_u8 *ret, pp_string *err) {
    uint8_t *p;
    (void)err;
    if (b.len == 0) {
        return PP_OK;
    }
    p = (uint8_t *)malloc(b.len);
    if (p == NULL) {
        return PP_ERR_PANIC;
    }
    memcpy(p, b.ptr, b.len);
    ret->ptr = p;
    ret->len = b.len;
    return PP_OK;
}

static pp_status names(test_hostile_v1_list_string *ret, pp_string *err) {
    (void)ret; /* the empty list */
    (void)err;
    return PP_OK;
}

static pp_status hue(test_hostile_v1_api_color *ret, pp_string *err) {
    (void)err;
    *ret = TEST_HOSTILE_V1_API_COLOR_BLUE;
    return PP_OK;
}

static pp_status form(test_hostile_v1_api_shape *ret, pp_string *err) {
    (void)err;
    ret->tag = TEST_HOSTILE_V1_API_SHAPE_EMPTY;
    return PP_OK;
}

static pp_status flag(uint8_t *ret, pp_string *err) {
    (void)err;
    *ret = 1;
    return PP_OK;
}

static pp_status rights(test_hostile_v1_api_perms *ret, pp_string *err) {
    (void)err;
    *ret = TEST_HOSTILE_V1_API_PERMS_READ | TEST_HOSTILE_V1_API_PERMS_EXEC;
    return PP_OK;
}

static pp_status letter(uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = 0x1F600u;
    return PP_OK;
}

static pp_status someone(test_hostile_v1_api_person *ret, pp_string *err) {
    pp_string name;
    (void)err;
    name.ptr = "Ada";
    name.len = 3;
    ret->home.is_some = 1;
    ret->home.val = 7;
    return copy_string(name, &ret->name);
}

static pp_status maybe(test_hostile_v1_result_u32_string *ret, pp_string *err) {
    (void)err;
    ret->is_err = 0;
    ret->val.ok = 42;
    return PP_OK;
}

static pp_status fail(pp_string s, pp_string *ret, pp_string *err) {
    (void)ret;
    copy_string(s, err);
    return PP_ERR_PANIC;
}

/* Owns t (and more's token): returns t's id and drops both. */
static pp_status give(test_hostile_v1_api_token t, pp_string s, test_hostile_v1_api_color c,
                      test_hostile_v1_option_api_token more, uint32_t *ret, pp_string *err) {
    pp_status st = t.vtable->id(t.self, ret, err);
    (void)s;
    (void)c;
    test_hostile_v1_api_token_release(&t, NULL);
    if (more.is_some == 1) {
        test_hostile_v1_api_token_release(&more.val, NULL);
    }
    return st;
}

static pp_status take(uint8_t f, uint32_t ch, test_hostile_v1_api_perms p, test_hostile_v1_api_shape sh,
                      test_hostile_v1_list_string l, test_hostile_v1_api_person who, uint32_t *ret,
                      pp_string *err) {
    (void)f;
    (void)ch;
    (void)p;
    (void)sh;
    (void)who;
    (void)err;
    *ret = (uint32_t)l.len;
    return PP_OK;
}

static pp_status missing(uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = 1;
    return PP_OK;
}

/* Borrow-like use of an owned token: reads it, then drops it. */
static pp_status beyond(test_hostile_v1_api_token t, uint32_t *ret, pp_string *err) {
    pp_status st = t.vtable->id(t.self, ret, err);
    test_hostile_v1_api_token_release(&t, NULL);
    return st;
}

static pp_status version(pp_string *ret, pp_string *err) {
    pp_string v;
    (void)err;
    v.ptr = "strict 1.0.0";
    v.len = 12;
    return copy_string(v, ret);
}

TEST_HOSTILE_V1_API_TOKEN_NEW_TRAMPOLINE(token_new_checked, token_new)
TEST_HOSTILE_V1_API_TEXT_TRAMPOLINE(text_checked, text)
TEST_HOSTILE_V1_API_ECHO_TRAMPOLINE(echo_checked, echo)
TEST_HOSTILE_V1_API_BYTES_TRAMPOLINE(bytes_checked, bytes)
TEST_HOSTILE_V1_API_NAMES_TRAMPOLINE(names_checked, names)
TEST_HOSTILE_V1_API_HUE_TRAMPOLINE(hue_checked, hue)
TEST_HOSTILE_V1_API_FORM_TRAMPOLINE(form_checked, form)
TEST_HOSTILE_V1_API_FLAG_TRAMPOLINE(flag_checked, flag)
TEST_HOSTILE_V1_API_RIGHTS_TRAMPOLINE(rights_checked, rights)
TEST_HOSTILE_V1_API_LETTER_TRAMPOLINE(letter_checked, letter)
TEST_HOSTILE_V1_API_SOMEONE_TRAMPOLINE(someone_checked, someone)
TEST_HOSTILE_V1_API_MAYBE_TRAMPOLINE(maybe_checked, maybe)
TEST_HOSTILE_V1_API_FAIL_TRAMPOLINE(fail_checked, fail)
TEST_HOSTILE_V1_API_GIVE_TRAMPOLINE(give_checked, give)
TEST_HOSTILE_V1_API_TAKE_TRAMPOLINE(take_checked, take)
TEST_HOSTILE_V1_API_MISSING_TRAMPOLINE(missing_checked, missing)
TEST_HOSTILE_V1_API_BEYOND_TRAMPOLINE(beyond_checked, beyond)
TEST_HOSTILE_V1_HOSTILE_EXPORTS_VERSION_TRAMPOLINE(version_checked, version)

static const test_hostile_v1_api_table API = {
    {sizeof(test_hostile_v1_api_table), 0x00010000u, plugin_dealloc},
    token_new_checked,
    text_checked,
    echo_checked,
    bytes_checked,
    names_checked,
    hue_checked,
    form_checked,
    flag_checked,
    rights_checked,
    letter_checked,
    someone_checked,
    maybe_checked,
    fail_checked,
    give_checked,
    take_checked,
    missing_checked,
    beyond_checked,
};

static const test_hostile_v1_hostile_exports EXPORTS = {
    {sizeof(test_hostile_v1_hostile_exports), 0x00010000u, plugin_dealloc},
    &API,
    version_checked,
};

static pp_status init(const test_hostile_v1_hostile_imports *imports,
                      const test_hostile_v1_hostile_exports **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

TEST_HOSTILE_V1_HOSTILE_EXPORT("strict", "1.0.0", init)
