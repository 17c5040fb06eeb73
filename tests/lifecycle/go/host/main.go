// A Go host (cgo, linked to libplugport) for the loader's Go tests
// (tests/lifecycle/tests/go_plugin.rs): it opens each plugin named on the command line
// with plugport_open and prints one line per plugin:
//
//	<path>: rc=<code> go_runtime=<1 if rc is PLUGPORT_E_GO_RUNTIME> <error message>
//	<path>: rc=0 greet=<answer>
//
// Built with CGO_CFLAGS=-I<headers> -I<folder of greeter.h> and
// CGO_LDFLAGS=-L<dir of libplugport> -lplugport -Wl,-rpath,<dir>.
package main

/*
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

// Opens path, greets "Go host" into buf (NUL-terminated) and closes. Returns the
// plugport_open code, or -1 when the call failed.
static int32_t open_and_greet(const char *path, char *buf, size_t cap) {
    plugport_plugin *p = NULL;
    int32_t rc = plugport_open(path, WORLD, EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_LEN, &IMPORTS, &p);
    if (rc != PLUGPORT_OK) {
        const char *msg = plugport_last_error();
        strncpy(buf, msg ? msg : "", cap - 1);
        buf[cap - 1] = 0;
        return rc;
    }
    const example_greeter_v1_greeter_exports *e = plugport_exports(p);
    pp_string name = {"Go host", 7}, ret = {NULL, 0}, err = {NULL, 0};
    pp_status st = e->greet->greet(name, &ret, &err);
    if (st != PP_OK) {
        pp_string_release(&err, e->greet->header.dealloc);
        plugport_close(p);
        return -1;
    }
    size_t n = ret.len < cap - 1 ? ret.len : cap - 1;
    memcpy(buf, ret.ptr, n);
    buf[n] = 0;
    pp_string_release(&ret, e->greet->header.dealloc);
    plugport_close(p);
    return 0;
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	buf := (*C.char)(C.malloc(4096))
	defer C.free(unsafe.Pointer(buf))
	for _, path := range os.Args[1:] {
		cpath := C.CString(path)
		rc := C.open_and_greet(cpath, buf, 4096)
		C.free(unsafe.Pointer(cpath))
		text := C.GoString(buf)
		if rc == 0 {
			fmt.Printf("%s: rc=0 greet=%s\n", path, text)
		} else {
			goRuntime := 0
			if rc == C.PLUGPORT_E_GO_RUNTIME {
				goRuntime = 1
			}
			fmt.Printf("%s: rc=%d go_runtime=%d %s\n", path, rc, goRuntime, text)
		}
	}
}
