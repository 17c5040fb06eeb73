/* A C host of the plugport C API (headers/plugport.h), run by bridge/tests/capi.rs:
 *
 *   host <plugin.so> <world.json> <broken-file>
 *
 * Opens the plugin with the world JSON (the text a generated header embeds), calls it,
 * then opens a broken file and prints the error code and message. Every line it prints
 * is checked by the test; it exits non-zero on the first unexpected result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugport.h"

/* plugin.c's exports table (see tests/c-loader/plugin.c). */
typedef struct pp_table_header {
    uint32_t size;
    uint32_t version;
    void (*dealloc)(void *, size_t, size_t);
} pp_table_header;
typedef struct calc_exports {
    pp_table_header header;
    int32_t (*add)(int32_t a, int32_t b);
    uint32_t (*bump)(void);
    const void *(*imports_seen)(void);
} calc_exports;

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "host.c:%d: check failed: %s\n", __LINE__, #cond); \
            return 1;                                                 \
        }                                                             \
    } while (0)

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv) {
    static const int imports_marker = 42; /* an "imports table" the plugin only stores */
    plugport_plugin *p = NULL, *q = (plugport_plugin *)1;
    const calc_exports *e;
    size_t json_len = 0;
    char *json;
    int32_t rc;

    CHECK(argc == 4);
    json = read_file(argv[2], &json_len);
    CHECK(json != NULL);

    CHECK(plugport_last_error() == NULL);
    rc = plugport_open(argv[1], (const uint8_t *)json, json_len, &imports_marker, &p);
    if (rc != PLUGPORT_OK) {
        fprintf(stderr, "open failed: %d: %s\n", rc, plugport_last_error());
        return 1;
    }
    CHECK(p != NULL);
    CHECK(plugport_last_error() == NULL);
    printf("name=%s version=%s\n", plugport_plugin_name(p), plugport_plugin_version(p));
    printf("fingerprint=%s\n", plugport_fingerprint(p));
    e = (const calc_exports *)plugport_exports(p);
    CHECK(e != NULL && e->header.size >= sizeof(calc_exports));
    CHECK(e->imports_seen() == &imports_marker);
    printf("add(2,3)=%d\n", (int)e->add(2, 3));

    rc = plugport_open(argv[3], (const uint8_t *)json, json_len, NULL, &q);
    CHECK(q == NULL);
    printf("broken: rc=%d not_shared_library=%d\n", (int)rc,
           rc == PLUGPORT_E_NOT_SHARED_LIBRARY);
    CHECK(plugport_last_error() != NULL);
    printf("message=%s\n", plugport_last_error());

    /* Null safety. */
    CHECK(plugport_open(NULL, (const uint8_t *)json, json_len, NULL, &q) ==
          PLUGPORT_E_INVALID_ARGUMENT);
    CHECK(strstr(plugport_last_error(), "path is NULL") != NULL);
    CHECK(plugport_open(argv[1], (const uint8_t *)json, json_len, NULL, NULL) ==
          PLUGPORT_E_INVALID_ARGUMENT);
    CHECK(plugport_open(argv[1], NULL, 0, NULL, &q) == PLUGPORT_E_INVALID_ARGUMENT);
    CHECK(plugport_open(argv[1], (const uint8_t *)"{}", 2, NULL, &q) == PLUGPORT_E_HOST_WORLD);
    CHECK(plugport_exports(NULL) == NULL);
    CHECK(plugport_plugin_name(NULL) == NULL);
    CHECK(plugport_plugin_version(NULL) == NULL);
    CHECK(plugport_fingerprint(NULL) == NULL);
    plugport_close(NULL);

    /* The plugin still answers after the failures, then closes. */
    printf("add(40,2)=%d\n", (int)e->add(40, 2));
    plugport_close(p);
    free(json);
    printf("ok\n");
    return 0;
}
