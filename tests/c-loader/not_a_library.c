/* Built as an executable and as a .o file by bridge/tests/loader.rs: object files that
 * are not shared libraries, which the loader must refuse as NotSharedLibrary. */
#include <stdio.h>

int main(void) {
    puts("not a plugin");
    return 0;
}
