/* The Chinese greeter, written in plain C against the generated header greeter.h.
 *
 * It shows everything a C plugin author does by hand (docs/abi.md):
 *  - validate what the host passes in (rule 5: a NULL pointer with len > 0 is refused);
 *  - allocate owned results with malloc and release them through `plugin_dealloc`,
 *    which the header of every table names (rule 2);
 *  - call the host-provided `logger` import through the table received at init.
 *
 * The same source builds the plugin at example:greeter@1.0.0 (with the header generated
 * from examples/greeter/wit) and at 1.1.0 (with the header from examples/greeter/wit-1.1
 * and -DGREETER_1_1), which appends `farewell` to the greet table.
 */
#include <stdlib.h>
#include <string.h>

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

/* Logs through the host; a failing logger is not fatal for a greeting. */
static void log_info(const char *text, size_t len) {
    pp_string message, err = {NULL, 0};
    if (g_imports == NULL || g_imports->logger == NULL || g_imports->logger->log == NULL) {
        return;
    }
    message.ptr = text;
    message.len = len;
    if (g_imports->logger->log(EXAMPLE_GREETER_V1_LOGGER_LEVEL_INFO, message, &err) != PP_OK) {
        pp_string_release(&err, g_imports->logger->header.dealloc);
    }
}

/* 1 when the n bytes at p are well-formed UTF-8 (no overlong forms, no surrogates, at
 * most U+10FFFF): what the ABI promises a `string` is, checked because the other side
 * may break the promise (docs/abi.md rule 5). */
static int valid_utf8(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k, len;
        unsigned long cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len) {
            return 0;
        }
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return 0;
        }
        i += len;
    }
    return 1;
}

/* Validates a `string` argument: non-NULL when non-empty, and UTF-8. */
static pp_status check_name(pp_string name, pp_string *err) {
    if (name.len > 0 && name.ptr == NULL) {
        return fail(PP_ERR_INVALID_ARGUMENT, "name: NULL pointer with non-zero length", err);
    }
    if (!valid_utf8((const unsigned char *)name.ptr, name.len)) {
        return fail(PP_ERR_INVALID_ARGUMENT, "name: invalid UTF-8", err);
    }
    return PP_OK;
}

/* Sets *ret to an owned `prefix` + `name` + `suffix` (all UTF-8). */
static pp_status wrap(const char *prefix, pp_string name, const char *suffix, pp_string *ret,
                      pp_string *err) {
    size_t np = strlen(prefix), ns = strlen(suffix), n;
    char *out;
    pp_status st = check_name(name, err);
    if (st != PP_OK) {
        return st;
    }
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

static pp_status zh_greet(pp_string name, pp_string *ret, pp_string *err) {
    static const char logged[] = "greeting in Chinese";
    pp_status st = check_name(name, err);
    if (st != PP_OK) {
        return st;
    }
    log_info(logged, sizeof logged - 1);
    /* 你好，<name>！ */
    return wrap("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c", name, "\xef\xbc\x81", ret, err);
}

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
#endif

static const example_greeter_v1_greet_table GREET = {
    {sizeof(example_greeter_v1_greet_table), TABLE_VERSION, plugin_dealloc},
    zh_greet,
    zh_language,
#ifdef GREETER_1_1
    zh_farewell,
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
