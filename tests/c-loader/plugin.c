/* A hand-written plugport plugin for the loader tests (bridge/tests/loader.rs and
 * bridge/tests/capi.rs): the descriptor blob and the entry of docs/abi.md section 7,
 * written without the generator so that the loader is tested on its own.
 *
 * The test writes plugin_config.h next to the build with:
 *   PP_DESCRIPTOR_BYTES   the descriptor blob, as a comma-separated list of bytes
 *   PP_DESCRIPTOR_SYMBOL  plugport_descriptor_<prefix>_<world>
 *   PP_ENTRY_SYMBOL       plugport_entry_<prefix>_<world>
 *   PP_LIVE_SYMBOL        plugport_live_objects_<prefix>_<world>
 * and compiles with any of:
 *   -DPP_NO_DESCRIPTOR    no .plugport section (a shared library, but not a plugin)
 *   -DPP_NO_ENTRY         no entry symbol
 *   -DPP_INIT_FAIL        the entry returns PP_ERR_INIT with a static message
 *   -DPP_NULL_EXPORTS     the entry returns PP_OK but leaves *exports NULL
 *   -DPP_SMALL_EXPORTS    the exports header claims 4 bytes
 *   -DPP_MARKER='"path"'  an ELF constructor creates the file `path` when loaded
 *   -DPP_UNDEFINED        needs a symbol nobody defines, so dlopen(RTLD_NOW) fails
 *   -DPP_LIVE_OBJECTS     exports the optional live-objects function, reporting the
 *                         image's bump counter as its number of live objects
 *   -DPP_MISALIGNED_EXPORTS  the entry returns a table pointer one byte past the table
 *   -DPP_REPORT_FILE='"path"'  an ELF constructor appends to `path` one line per loaded
 *                         image: the octal modes of the file the dynamic loader mapped
 *                         and of its directory, and the file's path ("<file> <dir>
 *                         <path>"), found with dladdr
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin_config.h"

typedef int32_t pp_status;
typedef struct pp_string { const char *ptr; size_t len; } pp_string;
typedef void (*pp_dealloc_fn)(void *ptr, size_t size, size_t align);
typedef struct pp_table_header {
    uint32_t size;
    uint32_t version;
    pp_dealloc_fn dealloc;
} pp_table_header;

/* Not a generated table: slots the tests use to prove the table is live and which image
 * answers. */
typedef struct calc_exports {
    pp_table_header header;
    int32_t (*add)(int32_t a, int32_t b);
    uint32_t (*bump)(void);
    const void *(*imports_seen)(void);
} calc_exports;

#define PP_EXPORT __attribute__((visibility("default")))

#ifndef PP_NO_DESCRIPTOR
#ifdef __APPLE__
__attribute__((used, section("__DATA,__plugport")))
#else
__attribute__((used, section(".plugport")))
#endif
PP_EXPORT const uint8_t PP_DESCRIPTOR_SYMBOL[] = { PP_DESCRIPTOR_BYTES };
#endif

#ifdef PP_MARKER
__attribute__((constructor)) static void pp_marker(void) {
    FILE *f = fopen(PP_MARKER, "w");
    if (f) {
        fputs("the plugin's constructor ran\n", f);
        fclose(f);
    }
}
#endif

#ifdef PP_REPORT_FILE
#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>
static void pp_report_anchor(void) {}
__attribute__((constructor)) static void pp_report(void) {
    Dl_info info;
    struct stat file_st, dir_st;
    char dir[4096];
    char *slash;
    FILE *f;
    if (dladdr((void *)(size_t)&pp_report_anchor, &info) == 0 || info.dli_fname == NULL) {
        return;
    }
    if (strlen(info.dli_fname) >= sizeof dir) {
        return;
    }
    strcpy(dir, info.dli_fname);
    slash = strrchr(dir, '/');
    if (slash == NULL) {
        return;
    }
    *slash = 0;
    if (stat(info.dli_fname, &file_st) != 0 || stat(dir, &dir_st) != 0) {
        file_st.st_mode = 0;
        dir_st.st_mode = 0;
    }
    f = fopen(PP_REPORT_FILE, "a");
    if (f) {
        fprintf(f, "%o %o %s\n", (unsigned)(file_st.st_mode & 07777),
                (unsigned)(dir_st.st_mode & 07777), info.dli_fname);
        fclose(f);
    }
}
#endif

#ifdef PP_UNDEFINED
extern int pp_licence_check(void);
__attribute__((used)) int (*const pp_needs_licence)(void) = pp_licence_check;
#endif

static const void *seen_imports;
static uint32_t counter; /* one per loaded image */

static void calc_dealloc(void *ptr, size_t size, size_t align) {
    (void)ptr; (void)size; (void)align;
}
static int32_t calc_add(int32_t a, int32_t b) { return a + b; }
static uint32_t calc_bump(void) { return ++counter; }
static const void *calc_imports_seen(void) { return seen_imports; }

__attribute__((unused)) static const calc_exports table = {
#ifdef PP_SMALL_EXPORTS
    { 4, 0x00010002u, calc_dealloc },
#else
    { (uint32_t)sizeof(calc_exports), 0x00010002u, calc_dealloc },
#endif
    calc_add,
    calc_bump,
    calc_imports_seen,
};

#ifdef PP_LIVE_OBJECTS
/* Stands in for a plugin that counts its resource objects: each bump "creates" one. */
PP_EXPORT size_t PP_LIVE_SYMBOL(void) { return counter; }
#endif

#ifndef PP_NO_ENTRY
PP_EXPORT pp_status PP_ENTRY_SYMBOL(uint32_t abi_version, const void *imports,
                                    const calc_exports **exports, pp_string *err) {
    if (abi_version != 1) {
        static const char msg[] = "calc plugin: expected ABI version 1";
        err->ptr = msg;
        err->len = sizeof msg - 1;
        return 5;
    }
#ifdef PP_INIT_FAIL
    (void)imports;
    (void)exports;
    {
        static const char msg[] = "calc plugin: no licence key found in $CALC_LICENCE";
        err->ptr = msg;
        err->len = sizeof msg - 1;
        return 5; /* PP_ERR_INIT */
    }
#else
    seen_imports = imports;
#ifdef PP_NULL_EXPORTS
    *exports = NULL;
#elif defined(PP_MISALIGNED_EXPORTS)
    *exports = (const calc_exports *)(const void *)((const char *)&table + 1);
#else
    *exports = &table;
#endif
    return 0;
#endif
}
#endif
