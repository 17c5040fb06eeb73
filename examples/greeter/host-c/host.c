/* A greeter host in C: loads the plugin named on the command line through the plugport
 * runtime (headers/plugport.h), passes a host-implemented logger, and greets each name.
 *
 *   usage: greeter-host-c <plugin.so> <name>...
 */
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

static pp_status host_log(example_greeter_v1_logger_level level, pp_string message, pp_string *err) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    (void)err;
    /* Rule 5: validate what crosses the boundary, in C too. */
    if (level > EXAMPLE_GREETER_V1_LOGGER_LEVEL_ERROR || (message.len > 0 && message.ptr == NULL)) {
        return PP_ERR_INVALID_ARGUMENT;
    }
    printf("  [c host log %s] %.*s\n", names[level], (int)message.len, message.ptr);
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

int main(int argc, char **argv) {
    plugport_plugin *plugin = NULL;
    const example_greeter_v1_greeter_exports *exports;
    const example_greeter_v1_greet_table *greet;
    pp_string lang = {NULL, 0}, err = {NULL, 0};
    int i, status = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s <plugin.so> <name>...\n", argv[0]);
        return 2;
    }
    if (example_greeter_v1_greeter_open(argv[1], &IMPORTS, &plugin) != 0) {
        fprintf(stderr, "cannot load plugin: %s\n", plugport_last_error());
        return 1;
    }
    exports = example_greeter_v1_greeter_exports_of(plugin);
    greet = exports->greet;
    printf("c host: loaded %s %s\n", plugport_plugin_name(plugin), plugport_plugin_version(plugin));

    if (greet->language(&lang, &err) == PP_OK) {
        printf("c host: language %.*s\n", (int)lang.len, lang.ptr);
        pp_string_release(&lang, greet->header.dealloc);
    } else {
        pp_string_release(&err, greet->header.dealloc);
    }
    for (i = 2; i < argc; i++) {
        pp_string name, answer = {NULL, 0};
        pp_status st;
        name.ptr = argv[i];
        name.len = strlen(argv[i]);
        err.ptr = NULL;
        err.len = 0;
        st = greet->greet(name, &answer, &err);
        if (st != PP_OK) {
            fprintf(stderr, "greet failed (%d): %.*s\n", (int)st, (int)err.len, err.ptr);
            pp_string_release(&err, greet->header.dealloc);
            status = 1;
            continue;
        }
        printf("c host: %.*s\n", (int)answer.len, answer.ptr);
        pp_string_release(&answer, greet->header.dealloc);
    }
    plugport_close(plugin);
    return status;
}
