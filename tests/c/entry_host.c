/* Drives the entry of a plugin built with a generated <WORLD>_EXPORT macro, without the
 * plugport runtime: dlopen, dlsym, then calls that must be refused and one that must
 * succeed. Prints one line per call for the test to check:
 *   <case> <status> <err message or ->  [<exports header size> <exports header version>]
 * usage: entry_host <plugin.so> <entry symbol> */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef int32_t status_t;
typedef struct {
    const char *ptr;
    size_t len;
} str_t;
typedef struct {
    uint32_t size;
    uint32_t version;
    void (*dealloc)(void *ptr, size_t size, size_t align);
} header_t;
/* Every entry has this shape; the table types only differ in what follows the header. */
typedef status_t (*entry_t)(uint32_t abi_version, const header_t *imports,
                            const header_t **exports, str_t *err);

static void report(const char *what, status_t st, str_t err, const header_t *exports) {
    printf("%s %d %.*s", what, (int)st, err.len ? (int)err.len : 1, err.len ? err.ptr : "-");
    if (exports != NULL) {
        printf(" %u %u", (unsigned)exports->size, (unsigned)exports->version);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    void *lib;
    void *sym;
    entry_t entry;
    header_t imports = {sizeof(header_t), 0x00010000u, NULL};
    header_t tiny = {4, 0x00010000u, NULL};
    const header_t *exports = NULL;
    str_t err = {NULL, 0};
    status_t st;

    if (argc != 3) {
        fprintf(stderr, "usage: %s <plugin.so> <entry symbol>\n", argv[0]);
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    sym = dlsym(lib, argv[2]);
    if (sym == NULL) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 1;
    }
    *(void **)&entry = sym;

    st = entry(2, &imports, &exports, &err);
    report("abi2", st, err, NULL);
    err.ptr = NULL;
    err.len = 0;
    st = entry(1, NULL, &exports, &err);
    report("null-imports", st, err, NULL);
    err.ptr = NULL;
    err.len = 0;
    st = entry(1, &tiny, &exports, &err);
    report("tiny-imports", st, err, NULL);
    err.ptr = NULL;
    err.len = 0;
    st = entry(1, &imports, &exports, &err);
    report("ok", st, err, st == 0 ? exports : NULL);
    return 0;
}
