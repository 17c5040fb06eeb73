/* A greeter host in C99 for the pkg-config check of tests/packaging: opens the plugin
 * named on the command line with libplugport, greets the name and prints
 * "c host: <answer>" (exit 0), or the load error (exit 1).
 *
 *   cc -std=c99 host.c -I<dir of greeter.h> $(pkg-config --cflags --libs plugport) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugport.h"
#include "greeter.h"

static void host_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

static pp_status host_log(example_greeter_v1_logger_level level, pp_string message,
                          pp_string *err) {
    (void)err;
    if (level > EXAMPLE_GREETER_V1_LOGGER_LEVEL_ERROR || (message.len > 0 && message.ptr == NULL)) {
        return PP_ERR_INVALID_ARGUMENT;
    }
    return PP_OK;
}

static const example_greeter_v1_logger_table LOGGER = {
    {sizeof(example_greeter_v1_logger_table), 0x00010000u, host_dealloc},
    host_log,
};

static const example_greeter_v1_greeter_imports IMPORTS = {
    {sizeof(example_greeter_v1_greeter_imports), 0x00010000u, host_dealloc},
    &LOGGER,
};

static const uint8_t WORLD[] = {EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_BYTES};

int main(int argc, char **argv) {
    plugport_plugin *p = NULL;
    const example_greeter_v1_greeter_exports *e;
    pp_string name, answer = {NULL, 0}, err = {NULL, 0};
    pp_status st;
    int32_t rc;
    if (argc != 3) {
        fprintf(stderr, "usage: %s <plugin.so> <name>\n", argv[0]);
        return 2;
    }
    rc = plugport_open(argv[1], WORLD, EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_LEN, &IMPORTS, &p);
    if (rc != PLUGPORT_OK) {
        fprintf(stderr, "plugport_open failed (%d): %s\n", (int)rc, plugport_last_error());
        return 1;
    }
    e = (const example_greeter_v1_greeter_exports *)plugport_exports(p);
    name.ptr = argv[2];
    name.len = strlen(argv[2]);
    st = e->greet->greet(name, &answer, &err);
    if (st != PP_OK) {
        fprintf(stderr, "greet failed (%d): %.*s\n", (int)st, (int)err.len, err.ptr);
        pp_string_release(&err, e->greet->header.dealloc);
        plugport_close(p);
        return 1;
    }
    printf("c host: %.*s\n", (int)answer.len, answer.ptr);
    pp_string_release(&answer, e->greet->header.dealloc);
    plugport_close(p);
    return 0;
}
