/* A C host for the Go plugin test (tests/lifecycle/tests/go_plugin.rs): for each greeter
 * plugin on the command line it opens it, prints "<path>: can_unload=<n>" from
 * plugport_can_unload, closes it, opens it again and prints "<path>: reopen rc=<code>"
 * (then closes that too). Finally it prints "null: can_unload=<n>" for a NULL plugin.
 * Built against headers/plugport.h and the greeter 1.0 header, linked to libplugport. */
#include <stdio.h>
#include <stdlib.h>

#include "plugport.h"
#include "greeter.h"

static void host_dealloc(void *ptr, size_t size, size_t align) {
    (void)size;
    (void)align;
    free(ptr);
}

static pp_status host_log(example_greeter_v1_logger_level level, pp_string message,
                          pp_string *err) {
    (void)level;
    (void)message;
    (void)err;
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

static int32_t open_plugin(const char *path, plugport_plugin **p) {
    return plugport_open(path, WORLD, EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_LEN, &IMPORTS, p);
}

int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        plugport_plugin *p = NULL;
        int32_t rc = open_plugin(argv[i], &p);
        if (rc != PLUGPORT_OK) {
            printf("%s: open rc=%d %s\n", argv[i], (int)rc, plugport_last_error());
            continue;
        }
        printf("%s: can_unload=%d\n", argv[i], (int)plugport_can_unload(p));
        plugport_close(p);
        p = NULL;
        rc = open_plugin(argv[i], &p);
        printf("%s: reopen rc=%d\n", argv[i], (int)rc);
        plugport_close(p);
    }
    printf("null: can_unload=%d\n", (int)plugport_can_unload(NULL));
    return 0;
}
