/* The C host helpers of greeter.h, against the fake runtime: <world>_open must pass the
 * world JSON (written to stdout for the test to compare), its length and the imports;
 * <world>_open_ex the same and the options;
 * <world>_exports_of must return what the runtime returns. Exit status 0 on success. */
#include <stdio.h>
#include <string.h>

#include "plugport.h"
#include "greeter.h"

struct plugport_plugin {
    int unused;
};

static plugport_plugin the_plugin;
static example_greeter_v1_greeter_exports the_exports;
static const uint8_t *seen_json;
static size_t seen_len;
static const void *seen_imports;
static const char *seen_path;
static const plugport_open_options *seen_options;

int32_t plugport_open(const char *path, const uint8_t *expected_world_json, size_t expected_len,
                      const void *imports, plugport_plugin **out) {
    seen_path = path;
    seen_json = expected_world_json;
    seen_len = expected_len;
    seen_imports = imports;
    *out = &the_plugin;
    return 0;
}

int32_t plugport_open_ex(const char *path, const uint8_t *expected_world_json, size_t expected_len,
                         const void *imports, const plugport_open_options *options,
                         plugport_plugin **out) {
    seen_options = options;
    return plugport_open(path, expected_world_json, expected_len, imports, out);
}

const void *plugport_exports(const plugport_plugin *p) {
    return p == &the_plugin ? &the_exports : NULL;
}

int main(void) {
    example_greeter_v1_greeter_imports imports;
    plugport_plugin *plugin = NULL;
    memset(&imports, 0, sizeof imports);
    if (example_greeter_v1_greeter_open("plugin.so", &imports, &plugin) != 0) {
        return 1;
    }
    if (plugin != &the_plugin || seen_imports != (const void *)&imports ||
        strcmp(seen_path, "plugin.so") != 0) {
        return 2;
    }
    if (seen_len != EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_LEN) {
        return 3;
    }
    if (example_greeter_v1_greeter_exports_of(plugin) != &the_exports) {
        return 4;
    }
    {
        plugport_open_options options;
        const uint8_t *first_json = seen_json;
        memset(&options, 0, sizeof options);
        options.size = sizeof options;
        options.isolation = 2;
        seen_path = NULL;
        if (example_greeter_v1_greeter_open_ex("other.so", &imports, &options, &plugin) != 0 ||
            seen_options != &options || strcmp(seen_path, "other.so") != 0 ||
            seen_len != EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_LEN ||
            memcmp(seen_json, first_json, seen_len) != 0) {
            return 6;
        }
    }
    if (fwrite(seen_json, 1, seen_len, stdout) != seen_len) {
        return 5;
    }
    return 0;
}
