package main

import (
	"os"
	"path/filepath"
	"testing"
)

// plugin is OUT/seeds/libseed003_go.so of scripts/build-examples.sh (PLUGPORT_EXAMPLES
// names OUT; scripts/test.sh sets it).
func plugin(t *testing.T) string {
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../../target/examples"
	}
	p := filepath.Join(dir, "seeds", "libseed003_go.so")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v: run scripts/build-examples.sh first (scripts/test.sh does)", err)
	}
	return p
}

// TestS6InterfaceFromCShared: the seed's `Test` object, returned by a Go c-shared
// plugin as a handle, answers every method with the seed's values, and the callback in
// its struct answers too.
func TestS6InterfaceFromCShared(t *testing.T) {
	lines, err := check(plugin(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 4 {
		t.Fatalf("got %d checked values, want 4: %q", len(lines), lines)
	}
}

// TestS6ObjectsFromSeveralGoroutines: several goroutines each get their own object and
// call it at once.
func TestS6ObjectsFromSeveralGoroutines(t *testing.T) {
	p := plugin(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := check(p)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
