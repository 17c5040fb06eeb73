// A Go host of test:collections (tests/wit/accept/collections.wit) against the C plugin
// of tests/constructs (../c/collections.c), end to end through libplugport: the plugin
// answers `counts` with a map whose key "a" appears twice when asked (key "dup"); a Go map
// cannot hold that, so the Go host refuses the result as invalid (docs/abi.md section 3,
// "Maps") instead of keeping one of the two values, and the plugin keeps serving.
// tests/go_host.rs runs it with `go test` in a module of its own, with the
// package collections that build.rs generates (plugport gen --lang go-host) and the path
// of the C plugin in COLLECTIONS_C.
package gohost

import (
	"errors"
	"os"
	"testing"

	plugport "example.invalid/plugport/go"

	"example.invalid/plugport/tests/constructs/gohost/collections"
)

func TestADuplicateKeyFromTheCPluginIsAnInvalidResult(t *testing.T) {
	path := os.Getenv("COLLECTIONS_C")
	if path == "" {
		t.Fatal("COLLECTIONS_C is not set (tests/constructs/tests/go_host.rs sets it)")
	}
	w, err := collections.Load(path, collections.Imports{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	kv := w.Kv()

	got, err := kv.Counts(map[string]uint32{"b": 1, "é": 41})
	if err != nil || len(got) != 2 || got["b"] != 2 || got["é"] != 42 {
		t.Fatalf("distinct keys: %v, %v", got, err)
	}

	got, err = kv.Counts(map[string]uint32{"dup": 0})
	if got != nil {
		t.Errorf("a refused result gives no map, got %v", got)
	}
	var ce *plugport.CallError
	if !errors.As(err, &ce) || !errors.Is(err, plugport.ErrInvalidResult) {
		t.Fatalf("want a *plugport.CallError with StatusInvalidResult, got %T %v", err, err)
	}
	if ce.Func != "kv.counts" || ce.Message != `[1]: duplicate key "a" in a map (docs/abi.md §3)` {
		t.Fatalf("func %q, message %q", ce.Func, ce.Message)
	}

	// The refused result was released and the plugin keeps serving.
	got, err = kv.Counts(map[string]uint32{})
	if err != nil || len(got) != 0 {
		t.Fatalf("after the refusal: %v, %v", got, err)
	}
	if n, ok := w.Plugin().LiveObjects(); !ok || n != 0 {
		t.Errorf("live objects %d (counted: %v)", n, ok)
	}
}
