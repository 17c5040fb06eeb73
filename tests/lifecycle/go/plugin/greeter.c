/* The C half of the Go test plugin (greeter.go): the greet table, whose slots call the
 * Go function goGreet, and the descriptor and entry from the generated header's EXPORT
 * macro. Built by cgo with CGO_CFLAGS=-I<folder of greeter.h for example:greeter@1.0.0>. */
#include <stdlib.h>
#include <string.h>

#include "greeter.h"
#include "_cgo_export.h"

static void plugin_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

/* A static message as an owned *err (released by the host through dealloc). */
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

static pp_status go_greet(pp_string name, pp_string *ret, pp_string *err) {
    char *out = NULL;
    size_t len = 0;
    int rc;
    if (name.len > 0 && name.ptr == NULL) {
        return fail(PP_ERR_INVALID_ARGUMENT, "name: NULL pointer with non-zero length", err);
    }
    rc = goGreet((char *)name.ptr, name.len, &out, &len);
    if (rc == 2) {
        return fail(PP_ERR_INVALID_ARGUMENT, "name: invalid UTF-8", err);
    }
    if (rc != 0) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    ret->ptr = out;
    ret->len = len;
    return PP_OK;
}

static pp_status go_language(pp_string *ret, pp_string *err) {
    char *out = (char *)malloc(2);
    if (out == NULL) {
        return fail(PP_ERR_PANIC, "out of memory", err);
    }
    memcpy(out, "go", 2);
    ret->ptr = out;
    ret->len = 2;
    return PP_OK;
}

static const example_greeter_v1_greet_table GREET = {
    {sizeof(example_greeter_v1_greet_table), 0x00010000u, plugin_dealloc},
    go_greet,
    go_language,
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

EXAMPLE_GREETER_V1_GREETER_EXPORT("greeter-go", "1.0.0", init)
