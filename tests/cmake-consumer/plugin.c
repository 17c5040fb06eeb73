/* A greeter plugin built by CMake against the header plugport_generate wrote:
 * greet answers "Hello from CMake, <name>!". Names are checked the way the ABI asks
 * (docs/abi.md rule 5: NULL with a length is refused; this small plugin accepts only
 * ASCII, so it needs no full UTF-8 validator). */
#include <stdlib.h>
#include <string.h>

#include "greeter.h"

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

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

static pp_status owned(const char *a, pp_string b, const char *c, pp_string *ret,
                       pp_string *err) {
    size_t na = strlen(a), nc = strlen(c);
    char *out = (char *)malloc(na + b.len + nc);
    if (out == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    memcpy(out, a, na);
    if (b.len > 0) {
        memcpy(out + na, b.ptr, b.len);
    }
    memcpy(out + na + b.len, c, nc);
    ret->ptr = out;
    ret->len = na + b.len + nc;
    return PP_OK;
}

static pp_status cm_greet(pp_string name, pp_string *ret, pp_string *err) {
    size_t i;
    if (name.len > 0 && name.ptr == NULL) {
        return fail(PP_ERR_INVALID_ARGUMENT, "name: NULL pointer with non-zero length", err);
    }
    for (i = 0; i < name.len; i++) {
        if ((unsigned char)name.ptr[i] >= 0x80) {
            return fail(PP_ERR_INVALID_ARGUMENT, "name: only ASCII names are supported", err);
        }
    }
    return owned("Hello from CMake, ", name, "!", ret, err);
}

static pp_status cm_language(pp_string *ret, pp_string *err) {
    pp_string none = {NULL, 0};
    return owned("en", none, "", ret, err);
}

static const example_greeter_v1_greet_table GREET = {
    {sizeof(example_greeter_v1_greet_table), 0x00010000u, plugin_dealloc},
    cm_greet,
    cm_language,
};

static const example_greeter_v1_greeter_exports EXPORTS = {
    {sizeof(example_greeter_v1_greeter_exports), 0x00010000u, plugin_dealloc},
    &GREET,
};

static pp_status init(const example_greeter_v1_greeter_imports *imports,
                      const example_greeter_v1_greeter_exports **exports, pp_string *err) {
    (void)imports;
    (void)err;
    *exports = &EXPORTS;
    return PP_OK;
}

EXAMPLE_GREETER_V1_GREETER_EXPORT("greeter-cmake", "1.0.0", init)
