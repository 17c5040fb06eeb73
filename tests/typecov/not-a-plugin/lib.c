/* A shared library that is not a plugport plugin: no `.plugport` section, no entry.
 * The loader must refuse it (NotAPlugin) from the file alone: docs/abi.md §8 says no code
 * of the file, not even an ELF constructor, runs before the checks pass. This library's
 * constructor aborts the process, so a loader that dlopens it too early fails loudly. */
#include <stdio.h>
#include <stdlib.h>

int typecov_not_a_plugin(int x);

#if defined(__GNUC__)
__attribute__((constructor)) static void typecov_not_a_plugin_ctor(void) {
    fputs("not-a-plugin: ELF constructor ran: the loader executed code of a non-plugin\n", stderr);
    abort();
}
#endif

int typecov_not_a_plugin(int x) {
    return x + 42;
}
