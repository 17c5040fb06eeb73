// Seed 003 (scenario S6) on plugport, the Go host: the seed's loader, which dlopened the
// Go library and cast the returned char* back to a Go `Test` interface, done through
// plugport. It loads the plugin, gets the `Test` object as a handle, calls every method,
// checks every value against the seed's own, and calls the callback inside the struct.
//
//	seed003-host-go <libseed003_go.so>
//
// A Go plugin in this Go host runs in a child process by itself (docs/go.md, "The limits
// of c-shared Go"); the handles and calls are the same. The package seed003 is generated:
// plugport gen examples/seeds/s6-interface/wit --out examples/seeds/s6-interface/host-go --lang go-host.
package main

import (
	"fmt"
	"os"

	"example.invalid/plugport/examples/seeds/s6-interface/host-go/seed003"
)

// The seed's values (TestImpl and NewTestStruct).
const (
	wantString   = "ReturnInterface"
	wantInt      = int64(9876543210)
	wantFloat64  = 123.456789
	wantA        = int64(1234567890)
	wantB        = "哟哟,切克闹,煎饼果子来一套。"
	wantCallback = "我是一个粉刷匠,粉刷本领强"
)

// check loads the plugin at path, calls every method of the `Test` object it returns and
// compares each value with the seed's; it returns the lines to print, or the first
// mismatch or call error.
func check(path string) ([]string, error) {
	w, err := seed003.Load(path, seed003.Imports{})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	t, err := w.Tester().ReturnInterface()
	if err != nil {
		return nil, fmt.Errorf("ReturnInterface: %w", err)
	}
	defer t.Close()
	var lines []string
	s, err := t.TestReturnString()
	if err != nil || s != wantString {
		return nil, fmt.Errorf("TestReturnString: got %q, %v; want %q", s, err, wantString)
	}
	lines = append(lines, fmt.Sprintf("TestReturnString() = %q", s))
	i, err := t.TestReturnInt()
	if err != nil || i != wantInt {
		return nil, fmt.Errorf("TestReturnInt: got %d, %v; want %d", i, err, wantInt)
	}
	lines = append(lines, fmt.Sprintf("TestReturnInt() = %d", i))
	f, err := t.TestReturnFloat64()
	if err != nil || f != wantFloat64 {
		return nil, fmt.Errorf("TestReturnFloat64: got %v, %v; want %v", f, err, wantFloat64)
	}
	lines = append(lines, fmt.Sprintf("TestReturnFloat64() = %v", f))
	st, err := t.TestReturnStruct()
	if err != nil {
		return nil, fmt.Errorf("TestReturnStruct: %w", err)
	}
	defer st.C.Close()
	if st.A != wantA || st.B != wantB {
		return nil, fmt.Errorf("TestReturnStruct: got A=%d B=%q; want A=%d B=%q", st.A, st.B, wantA, wantB)
	}
	c, err := st.C.Call()
	if err != nil || c != wantCallback {
		return nil, fmt.Errorf("TestReturnStruct().C.Call(): got %q, %v; want %q", c, err, wantCallback)
	}
	lines = append(lines, fmt.Sprintf("TestReturnStruct() = {A: %d, B: %q, C() = %q}", st.A, st.B, c))
	return lines, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s <plugin.so>\n", os.Args[0])
		os.Exit(2)
	}
	lines, err := check(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "go host: FAILED: %v\n", err)
		os.Exit(1)
	}
	for _, l := range lines {
		fmt.Println("go host:", l)
	}
	fmt.Println("go host: OK")
}
