/* A stand-in for the plugport runtime header (headers/plugport.h), with exactly the
 * functions (and the options struct, its first fields) a generated header's C host helpers
 * call. The test that includes it defines
 * them, to see what the helpers pass. */
#ifndef PLUGPORT_RUNTIME_H
#define PLUGPORT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct plugport_plugin plugport_plugin;

typedef struct {
    uint32_t size;
    uint32_t isolation;
} plugport_open_options;

int32_t plugport_open(const char *path, const uint8_t *expected_world_json, size_t expected_len,
                      const void *imports, plugport_plugin **out);
int32_t plugport_open_ex(const char *path, const uint8_t *expected_world_json, size_t expected_len,
                         const void *imports, const plugport_open_options *options,
                         plugport_plugin **out);
const void *plugport_exports(const plugport_plugin *p);

#ifdef __cplusplus
}
#endif

#endif /* PLUGPORT_RUNTIME_H */
