// A minimal Go plugin of example:greeter@1.0.0 for the loader's Go tests
// (tests/lifecycle/tests/go_plugin.rs), built with `go build -buildmode=c-shared`.
//
// The descriptor, the entry and the tables are C, in greeter.c (the generated header's
// EXPORT macro), because a file with //export may hold declarations only in its preamble.
// The greeting itself is computed here, in Go, so a call proves the Go runtime runs.
package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"runtime"
	"unicode/utf8"
	"unsafe"
)

// goGreet writes a malloc'd "Hello, <name>! (from Go <version>)" to *out, *outLen.
// Returns 0, 1 when out of memory, 2 when name is not UTF-8. No Go memory crosses:
// the result is C memory, released by the host through the table's dealloc (free).
//
//export goGreet
func goGreet(name *C.char, n C.size_t, out **C.char, outLen *C.size_t) C.int {
	var who string
	if n > 0 {
		who = C.GoStringN(name, C.int(n))
	}
	if !utf8.ValidString(who) {
		return 2
	}
	s := "Hello, " + who + "! (from Go " + runtime.Version() + ")"
	p := C.malloc(C.size_t(len(s)))
	if p == nil {
		return 1
	}
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	*out = (*C.char)(p)
	*outLen = C.size_t(len(s))
	return 0
}

func main() {}
