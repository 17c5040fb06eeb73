/* The C host of the checked-caller failure tests (tests/e2e/tests/checked_callers.rs),
 * for the world test:hostile@1.0.0 (tests/e2e/wit/hostile.wit).
 *
 *   usage: checked-host <plugin.so> hostile|strict
 *
 * hostile: against tests/e2e/c/hostile_plugin.c, every call goes through a generated
 *   checked caller (docs/abi.md section 11), and each broken result, NULL slot and short
 *   table must give its specific status and message; invalid results are released (the
 *   run is leak-checked), one pointing into the argument is not (rule 1).
 * strict: against tests/e2e/c/strict_plugin.c, whose slots are validating trampolines,
 *   invalid arguments are sent through the RAW table: each must be refused with
 *   PP_ERR_INVALID_ARGUMENT and a message, with every own handle dropped.
 *
 * The plugin is loaded with dlopen and its entry called directly (no runtime needed).
 * One line per check, then "N passed, M failed"; exit status 0 only when all passed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "hostile.h"

typedef test_hostile_v1_api_table api_t;
typedef test_hostile_v1_api_token token_t;

static int passed, failed;

static void check(int ok, const char *what) {
    if (ok) {
        passed++;
        printf("ok   %s\n", what);
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

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

static int contains(const char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    for (i = 0; hay != NULL && i + k <= n; i++) {
        if (memcmp(hay + i, needle, k) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A checked call's outcome: status `want`, and a message equal to `exact` (when not
 * NULL). Releases the message. */
static void expect(pp_status st, pp_error *e, pp_status want, const char *exact, const char *what) {
    char line[600];
    int ok = st == want &&
             (exact == NULL || (e->message.len == strlen(exact) && memcmp(e->message.ptr, exact, e->message.len) == 0));
    snprintf(line, sizeof line, "%s -> status %d (got %d: \"%.*s\")", what, (int)want, (int)st,
             (int)(e->message.len > 300 ? 300 : e->message.len), e->message.len > 0 ? e->message.ptr : "");
    check(ok, line);
    pp_error_release(e);
    check(e->message.ptr == NULL && e->message.len == 0 && e->dealloc == NULL, "pp_error_release empties the error");
}

/* ---- host-made token handles: count their drops ---------------------------------------- */

static int drops;
static uint32_t host_ids[8];

static void host_drop(void *self) {
    (void)self;
    drops++;
}

static pp_status host_id(void *self, uint32_t *ret, pp_string *err) {
    (void)err;
    *ret = *(const uint32_t *)self;
    return PP_OK;
}

static const test_hostile_v1_api_token_vtable HOST_VTABLE = {
    {sizeof(test_hostile_v1_api_token_vtable), 0x00010000u, NULL},
    host_drop,
    host_id,
    host_id,
};

static token_t host_token(int i) {
    token_t t;
    host_ids[i] = (uint32_t)(100 + i);
    t.self = &host_ids[i];
    t.vtable = &HOST_VTABLE;
    return t;
}

/* ---- hostile: the checked callers against broken results ------------------------------ */

static void hostile(const test_hostile_v1_hostile_exports *x) {
    const api_t *api = test_hostile_v1_hostile_exports_get_api(x);
    pp_error e;
    pp_string s;
    char arg[] = "hello";
    token_t tok, none;
    uint32_t u = 77;

    check(api != NULL, "get_api gives the api table");
    check(test_hostile_v1_hostile_exports_get_api(NULL) == NULL, "get_api(NULL) is NULL");

    expect(test_hostile_v1_api_call_text(api, str("x"), &s, &e), &e, PP_ERR_INVALID_RESULT,
           "test:hostile/api.text: result: invalid UTF-8", "text: invalid UTF-8");
    check(s.ptr == NULL && s.len == 0, "text: the refused result is zeroed");

    expect(test_hostile_v1_api_call_echo(api, strn(arg, 5), &s, &e), &e, PP_ERR_INVALID_RESULT,
           "test:hostile/api.echo: result: points into an argument (docs/abi.md rule 1)",
           "echo: a result pointing into its argument");
    check(s.ptr == NULL && memcmp(arg, "hello", 5) == 0, "echo: the argument is intact, not released");

    {
        test_hostile_v1_list_u8 b, r;
        static const uint8_t data[3] = {1, 2, 3};
        b.ptr = data;
        b.len = 3;
        expect(test_hostile_v1_api_call_bytes(api, b, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.bytes: result: NULL pointer with len > 0", "bytes: NULL ptr with len 5");
        check(r.ptr == NULL && r.len == 0, "bytes: the refused result is zeroed");
    }
    {
        test_hostile_v1_list_string r;
        expect(test_hostile_v1_api_call_names(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.names: result: invalid UTF-8", "names: invalid UTF-8 in a member");
    }
    {
        test_hostile_v1_api_color r;
        expect(test_hostile_v1_api_call_hue(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.hue: result: enum value out of range", "hue: enum 7 of 3");
    }
    {
        test_hostile_v1_api_shape r;
        expect(test_hostile_v1_api_call_form(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.form: result: variant tag out of range", "form: variant tag 9 of 3");
        check(r.tag == 0, "form: the refused result is zeroed");
    }
    {
        uint8_t r;
        expect(test_hostile_v1_api_call_flag(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.flag: result: bool is neither 0 nor 1", "flag: bool byte 2");
    }
    {
        test_hostile_v1_api_perms r;
        expect(test_hostile_v1_api_call_rights(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.rights: result: unknown flag bits", "rights: unknown flag bits 0x18");
    }
    {
        uint32_t r;
        expect(test_hostile_v1_api_call_letter(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.letter: result: char is not a Unicode scalar value", "letter: char 0xD800");
    }
    {
        test_hostile_v1_api_person r;
        expect(test_hostile_v1_api_call_someone(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.someone: result: option discriminant is neither 0 nor 1",
               "someone: option discriminant 2 (the owned name is released)");
        check(r.name.ptr == NULL && r.home.is_some == 0, "someone: the refused result is zeroed");
    }
    {
        test_hostile_v1_result_u32_string r;
        expect(test_hostile_v1_api_call_maybe(api, &r, &e), &e, PP_ERR_INVALID_RESULT,
               "test:hostile/api.maybe: result: result discriminant is neither 0 nor 1",
               "maybe: result discriminant 3");
    }
    expect(test_hostile_v1_api_call_fail(api, str("x"), &s, &e), &e, PP_ERR_PANIC,
           "(the callee's error message was not valid UTF-8 and was dropped)",
           "fail: PP_ERR_PANIC with an invalid UTF-8 message (released, replaced)");
    {
        test_hostile_v1_option_api_token more;
        drops = 0;
        more.is_some = 1;
        more.val = host_token(1);
        e.dealloc = NULL;
        check(test_hostile_v1_api_call_give(api, host_token(0), str("x"), TEST_HOSTILE_V1_API_COLOR_RED, more, &u,
                                            &e) == PP_ERR_INVALID_ARGUMENT &&
                  e.dealloc != NULL,
              "give: the callee's message is owned (dealloc is the table's)");
        expect(PP_ERR_INVALID_ARGUMENT, &e, PP_ERR_INVALID_ARGUMENT, "give: refused",
               "give: PP_ERR_INVALID_ARGUMENT passed through with its message");
        check(drops == 2, "give: the callee dropped both owned tokens");
    }
    {
        test_hostile_v1_list_string l;
        test_hostile_v1_api_shape sh;
        test_hostile_v1_api_person who;
        memset(&l, 0, sizeof l);
        memset(&sh, 0, sizeof sh);
        memset(&who, 0, sizeof who);
        expect(test_hostile_v1_api_call_take(api, 1, 'a', 0, sh, l, who, &u, &e), &e, 42, "custom status",
               "take: an unknown status 42 passed through with its message");
    }
    check(!test_hostile_v1_api_has_missing(api), "has_missing: 0 for a NULL slot");
    expect(test_hostile_v1_api_call_missing(api, &u, &e), &e, PP_ERR_UNSUPPORTED,
           "test:hostile/api.missing: not provided by the callee (older minor version?)", "missing: a NULL slot");
    check(u == 0, "missing: *ret is zeroed");
    check(!test_hostile_v1_api_has_beyond(api) && test_hostile_v1_api_has_give(api),
          "has_beyond: 0 past header.size; has_give: 1");
    drops = 0;
    expect(test_hostile_v1_api_call_beyond(api, host_token(2), &u, &e), &e, PP_ERR_UNSUPPORTED,
           "test:hostile/api.beyond: not provided by the callee (older minor version?)",
           "beyond: a slot past the table's header.size");
    check(drops == 1, "beyond: the owned token argument was dropped by the checked caller");
    expect(test_hostile_v1_api_call_text(NULL, str("x"), &s, &e), &e, PP_ERR_UNSUPPORTED,
           "test:hostile/api.text: not provided by the callee (older minor version?)", "text: a NULL table");
    check(!test_hostile_v1_hostile_exports_has_version(x), "exports has_version: 0 past header.size");
    expect(test_hostile_v1_hostile_exports_call_version(x, &s, &e), &e, PP_ERR_UNSUPPORTED,
           "test:hostile/hostile.version: not provided by this plugin (older minor version?)",
           "version: past the exports table's header.size");

    expect(test_hostile_v1_api_call_token_new(api, 0, &none, &e), &e, PP_ERR_INVALID_RESULT,
           "test:hostile/api.token.new: result: invalid handle (NULL self or vtable, or a vtable without drop)",
           "token constructor: a handle with a NULL self");
    check(none.self == NULL && none.vtable == NULL, "token constructor: the refused handle is zeroed");
    expect(test_hostile_v1_api_call_token_new(api, 5, &tok, &e), &e, PP_OK, NULL, "token constructor(5)");
    if (tok.self != NULL) {
        expect(test_hostile_v1_api_token_call_id(tok, &u, &e), &e, PP_OK, NULL, "token.id");
        check(u == 5, "token.id = 5");
        check(test_hostile_v1_api_token_has_id(tok) && !test_hostile_v1_api_token_has_bump(tok),
              "token has_id: 1, has_bump: 0 (NULL slot)");
        expect(test_hostile_v1_api_token_call_bump(tok, &u, &e), &e, PP_ERR_UNSUPPORTED,
               "test:hostile/api.token.bump: not provided by the callee (older minor version?)",
               "token.bump: a NULL vtable slot");
        test_hostile_v1_api_token_release(&tok, NULL);
    }
    none.self = NULL;
    none.vtable = NULL;
    expect(test_hostile_v1_api_token_call_id(none, &u, &e), &e, PP_ERR_UNSUPPORTED, NULL,
           "token.id on a NULL handle");
}

/* ---- strict: invalid arguments into the validating trampolines ------------------------ */

/* A raw call refused with PP_ERR_INVALID_ARGUMENT and a message containing `needle`. */
static void refused(pp_status st, pp_string *err, pp_dealloc_fn dealloc, const char *needle, const char *what) {
    char line[600];
    snprintf(line, sizeof line, "%s -> PP_ERR_INVALID_ARGUMENT with \"%s\" (got %d: \"%.*s\")", what, needle, (int)st,
             (int)(err->len > 300 ? 300 : err->len), err->len > 0 ? err->ptr : "");
    check(st == PP_ERR_INVALID_ARGUMENT && contains(err->ptr, err->len, needle), line);
    pp_string_release(err, dealloc);
}

static void strict(const test_hostile_v1_hostile_exports *x) {
    const api_t *api = test_hostile_v1_hostile_exports_get_api(x);
    pp_dealloc_fn d = api->header.dealloc;
    pp_string err = {NULL, 0}, s = {NULL, 0};
    pp_error e;
    uint32_t u = 0;
    test_hostile_v1_option_api_token none, more;
    test_hostile_v1_list_string l;
    test_hostile_v1_api_shape sh;
    test_hostile_v1_api_person who;
    pp_string members[2];
    token_t tok;

    memset(&none, 0, sizeof none);
    memset(&l, 0, sizeof l);
    memset(&sh, 0, sizeof sh);
    memset(&who, 0, sizeof who);

    /* Valid calls pass through the trampolines. */
    expect(test_hostile_v1_api_call_text(api, str("h\xc3\xa9llo"), &s, &e), &e, PP_OK, NULL, "text(valid)");
    check(s.len == 6 && memcmp(s.ptr, "h\xc3\xa9llo", 6) == 0, "text(valid) = h\xc3\xa9llo");
    pp_string_release(&s, d);
    drops = 0;
    expect(test_hostile_v1_api_call_give(api, host_token(0), str("ok"), TEST_HOSTILE_V1_API_COLOR_BLUE, none, &u, &e),
           &e, PP_OK, NULL, "give(valid)");
    check(u == 100 && drops == 1, "give(valid): the plugin read and dropped the token");

    refused(api->text(strn(NULL, 3), &s, &err), &err, d,
            "test:hostile/api.text: argument `s`: NULL pointer with len > 0", "raw text(NULL, 3)");
    refused(api->text(str("\xff"), &s, &err), &err, d, "test:hostile/api.text: argument `s`: invalid UTF-8",
            "raw text(\"\\xff\")");
    refused(api->text(str("ab\xed\xa0\x80"), &s, &err), &err, d, "invalid UTF-8", "raw text(surrogate)");
    check(api->text(str("x"), NULL, &err) == PP_ERR_INVALID_ARGUMENT && err.len == 0, "raw text(ret = NULL)");

    drops = 0;
    refused(api->give(host_token(0), str("\xc3"), TEST_HOSTILE_V1_API_COLOR_RED, none, &u, &err), &err, d,
            "test:hostile/api.give: argument `s`: invalid UTF-8", "raw give(own token, invalid UTF-8)");
    check(drops == 1, "raw give(own token, invalid UTF-8): the own token was dropped");
    drops = 0;
    more.is_some = 1;
    more.val = host_token(1);
    refused(api->give(host_token(0), str("ok"), 9, more, &u, &err), &err, d,
            "test:hostile/api.give: argument `c`: enum value out of range", "raw give(color 9, some(own token))");
    check(drops == 2, "raw give(color 9, some(own token)): both own tokens (one nested) were dropped");
    drops = 0;
    more.is_some = 2;
    refused(api->give(host_token(0), str("ok"), 0, more, &u, &err), &err, d,
            "argument `more`: option discriminant is neither 0 nor 1", "raw give(option discriminant 2)");
    check(drops == 1, "raw give(option discriminant 2): the token is dropped, the one behind it is not followed");
    drops = 0;
    tok = host_token(0);
    tok.vtable = NULL;
    refused(api->give(tok, str("ok"), 0, none, &u, &err), &err, d,
            "argument `t`: invalid handle (NULL self or vtable, or a vtable without drop)", "raw give(NULL vtable)");
    check(drops == 0, "raw give(NULL vtable): nothing to drop");
    tok.self = NULL;
    refused(api->beyond(tok, &u, &err), &err, d, "argument `t`: invalid handle", "raw beyond(NULL handle)");

    refused(api->take(2, 'a', 0, sh, l, who, &u, &err), &err, d, "argument `f`: bool is neither 0 nor 1",
            "raw take(bool 2)");
    refused(api->take(1, 0xD800u, 0, sh, l, who, &u, &err), &err, d,
            "argument `ch`: char is not a Unicode scalar value", "raw take(char 0xD800)");
    refused(api->take(1, 0x110000u, 0, sh, l, who, &u, &err), &err, d, "argument `ch`", "raw take(char 0x110000)");
    refused(api->take(1, 'a', 0x10, sh, l, who, &u, &err), &err, d, "argument `p`: unknown flag bits",
            "raw take(perms 0x10)");
    sh.tag = 7;
    refused(api->take(1, 'a', 0, sh, l, who, &u, &err), &err, d, "argument `sh`: variant tag out of range",
            "raw take(shape tag 7)");
    sh.tag = TEST_HOSTILE_V1_API_SHAPE_NAMED;
    sh.val.named = strn(NULL, 1);
    refused(api->take(1, 'a', 0, sh, l, who, &u, &err), &err, d, "argument `sh`: NULL pointer with len > 0",
            "raw take(shape named(NULL, 1))");
    memset(&sh, 0, sizeof sh);
    l.ptr = NULL;
    l.len = 2;
    refused(api->take(1, 'a', 0, sh, l, who, &u, &err), &err, d, "argument `l`: NULL pointer with len > 0",
            "raw take(list NULL, 2)");
    members[0] = str("fine");
    members[1] = str("\xc0\x80");
    l.ptr = members;
    refused(api->take(1, 'a', 0, sh, l, who, &u, &err), &err, d, "argument `l`: invalid UTF-8",
            "raw take(list with an invalid member)");
    l.len = 1;
    who.home.is_some = 5;
    refused(api->take(1, 'a', 0, sh, l, who, &u, &err), &err, d,
            "argument `who`: option discriminant is neither 0 nor 1", "raw take(person.home discriminant 5)");
    who.home.is_some = 0;
    check(api->take(1, 'a', 0, sh, l, who, &u, &err) == PP_OK && u == 1, "raw take(valid) = 1");

    expect(test_hostile_v1_api_call_token_new(api, 9, &tok, &e), &e, PP_OK, NULL, "token constructor(9)");
    if (tok.self != NULL) {
        refused(tok.vtable->id(NULL, &u, &err), &err, tok.vtable->header.dealloc,
                "test:hostile/api.token.id: self: NULL pointer", "raw token.id(self = NULL)");
        check(tok.vtable->bump(tok.self, &u, &err) == PP_OK && u == 10, "raw token.bump(valid) = 10");
        test_hostile_v1_api_token_release(&tok, NULL);
    }
}

int main(int argc, char **argv) {
    typedef pp_status (*entry_fn)(uint32_t, const test_hostile_v1_hostile_imports *,
                                  const test_hostile_v1_hostile_exports **, pp_string *);
    test_hostile_v1_hostile_imports imports;
    const test_hostile_v1_hostile_exports *x = NULL;
    pp_string err = {NULL, 0};
    entry_fn entry;
    void *lib, *sym;

    if (argc != 3) {
        fprintf(stderr, "usage: %s <plugin.so> hostile|strict\n", argv[0]);
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    sym = dlsym(lib, "plugport_entry_test_hostile_v1_hostile");
    memcpy(&entry, &sym, sizeof entry);
    memset(&imports, 0, sizeof imports);
    imports.header.size = sizeof imports;
    imports.header.version = 0x00010000u;
    if (entry == NULL || entry(1, &imports, &x, &err) != PP_OK || x == NULL) {
        fprintf(stderr, "entry failed\n");
        return 2;
    }
    if (strcmp(argv[2], "hostile") == 0) {
        hostile(x);
    } else {
        strict(x);
    }
    dlclose(lib);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
