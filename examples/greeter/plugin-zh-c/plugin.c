/* The Chinese greeter, written in plain C against the generated header greeter.h.
 *
 * It shows what a C plugin author does (docs/abi.md):
 *  - validate what the host passes in (rule 5), here with the header's validating
 *    trampolines (<PREFIX>_<I>_<SLOT>_TRAMPOLINE, section 11): invalid UTF-8 or a NULL
 *    pointer with len > 0 is refused before the plugin's own function runs;
 *  - allocate owned results with malloc and release them through `plugin_dealloc`,
 *    which the header of every table names (rule 2);
 *  - call the host-provided `logger` import through the table received at init, with the
 *    header's checked caller.
 *
 * The same source builds the plugin at example:greeter@1.0.0 (with the header generated
 * from examples/greeter/wit) and at 1.1.0 (with the header from examples/greeter/wit-1.1
 * and -DGREETER_1_1), which appends `farewell` to the greet table.
 */
#include <stdlib.h>
#include <string.h>

/* A plugin never calls what it exports: PP_PLUGIN_SIDE leaves the checked callers of the
 * exports out of this translation unit (docs/abi.md section 11); the logger's stay. */
#define PP_PLUGIN_SIDE
#include "greeter.h"

#ifdef GREETER_1_1
#define GREETER_VERSION "1.1.0"
#define TABLE_VERSION 0x00010001u /* major << 16 | minor of example:greeter@1.1.0 */
#else
#define GREETER_VERSION "1.0.0"
#define TABLE_VERSION 0x00010000u /* major << 16 | minor of example:greeter@1.0.0 */
#endif

/* The imports table the host passed to the entry; valid until the plugin is closed. */
static const example_greeter_v1_greeter_imports *g_imports;

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* Sets *err to an owned copy of a static message (released by the host via dealloc). */
static pp_status fail(pp_status status, const char *message, pp_string *err) {
    size_t n = strlen(message);
    char *copy = (char *)malloc(n);
    if (copy != NULL) {
        memcpy(copy, message, n);
        err->ptr = copy;
        err->len = n;
    }
    return status;
}

/* Logs through the host with the header's checked caller, which says
 * PP_ERR_UNSUPPORTED (rather than crashing) when the host's imports table lacks the
 * logger or its slot; a failing logger is not fatal for a greeting. */
static void log_info(const char *text, size_t len) {
    pp_string message;
    pp_error err;
    message.ptr = text;
    message.len = len;
    if (example_greeter_v1_logger_call_log(example_greeter_v1_greeter_imports_get_logger(g_imports),
                                           EXAMPLE_GREETER_V1_LOGGER_LEVEL_INFO, message, &err) != PP_OK) {
        pp_error_release(&err);
    }
}

/* Sets *ret to an owned `prefix` + `name` + `suffix` (all UTF-8). */
static pp_status wrap(const char *prefix, pp_string name, const char *suffix, pp_string *ret,
                      pp_string *err) {
    size_t np = strlen(prefix), ns = strlen(suffix), n;
    char *out;
    n = np + name.len + ns;
    out = (char *)malloc(n);
    if (out == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    memcpy(out, prefix, np);
    if (name.len > 0) {
        memcpy(out + np, name.ptr, name.len);
    }
    memcpy(out + np + name.len, suffix, ns);
    ret->ptr = out;
    ret->len = n;
    return PP_OK;
}

/* The arguments reach zh_greet only through the validating trampoline below (rule 5): a
 * name with a NULL pointer and len > 0, or that is not UTF-8, is refused there with
 * PP_ERR_INVALID_ARGUMENT and a message allocated with malloc (released by the host
 * through plugin_dealloc). */
static pp_status zh_greet(pp_string name, pp_string *ret, pp_string *err) {
    static const char logged[] = "greeting in Chinese";
    log_info(logged, sizeof logged - 1);
    /* 你好，<name>！ */
    return wrap("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c", name, "\xef\xbc\x81", ret, err);
}

EXAMPLE_GREETER_V1_GREET_GREET_TRAMPOLINE(zh_greet_checked, zh_greet)

static pp_status zh_language(pp_string *ret, pp_string *err) {
    char *out = (char *)malloc(5);
    if (out == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    memcpy(out, "zh-CN", 5);
    ret->ptr = out;
    ret->len = 5;
    return PP_OK;
}

#ifdef GREETER_1_1
/* Since 1.1. */
static pp_status zh_farewell(pp_string name, pp_string *ret, pp_string *err) {
    /* 再见，<name>！ */
    return wrap("\xe5\x86\x8d\xe8\xa7\x81\xef\xbc\x8c", name, "\xef\xbc\x81", ret, err);
}

EXAMPLE_GREETER_V1_GREET_FAREWELL_TRAMPOLINE(zh_farewell_checked, zh_farewell)
#endif

static const example_greeter_v1_greet_table GREET = {
    {sizeof(example_greeter_v1_greet_table), TABLE_VERSION, plugin_dealloc},
    zh_greet_checked,
    zh_language,
#ifdef GREETER_1_1
    zh_farewell_checked,
#endif
};

static const example_greeter_v1_greeter_exports EXPORTS = {
    {sizeof(example_greeter_v1_greeter_exports), TABLE_VERSION, plugin_dealloc},
    &GREET,
};

static pp_status init(const example_greeter_v1_greeter_imports *imports,
                      const example_greeter_v1_greeter_exports **exports, pp_string *err) {
    /* The logger slot must exist in the host's (possibly older) imports table. */
    if (imports->header.size < sizeof(example_greeter_v1_greeter_imports)) {
        err->ptr = "imports table too small: host lacks the logger interface";
        err->len = strlen(err->ptr);
        return PP_ERR_INIT;
    }
    g_imports = imports;
    *exports = &EXPORTS;
    return PP_OK;
}

EXAMPLE_GREETER_V1_GREETER_EXPORT("greeter-zh", GREETER_VERSION, init)
