package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"example.invalid/plugport/examples/seeds/s1-variadic/host-go/seed000"
)

// load opens OUT/seeds/libseed000_go.so of scripts/build-examples.sh (PLUGPORT_EXAMPLES
// names OUT; scripts/test.sh sets it).
func load(t *testing.T) *seed000.World {
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../../target/examples"
	}
	p := filepath.Join(dir, "seeds", "libseed000_go.so")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v: run scripts/build-examples.sh first (scripts/test.sh does)", err)
	}
	w, err := seed000.Load(p, seed000.Imports{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// TestS1VariadicMainUnderConcurrency: the seed's `Main(args ...interface{})`, called from
// 100 goroutines at once while one more goroutine calls too (the seed's `go f(1)` beside
// `f(2)`), answers every call with fmt.Sprint of exactly the arguments that call sent.
// Run under go test -race (scripts/test.sh).
func TestS1VariadicMainUnderConcurrency(t *testing.T) {
	p := load(t).Plug()
	for _, err := range hammer(p, 100, 20) {
		t.Error(err)
	}
}

// TestS1SeedProgram: the seed's own two calls, one in a goroutine, and the empty call.
func TestS1SeedProgram(t *testing.T) {
	p := load(t).Plug()
	done := make(chan error, 1)
	go func() { done <- call(p, 1, 0) }()
	if err := call(p, 2, 0); err != nil {
		t.Error(err)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
	got, err := p.Main(nil)
	if err != nil || got != "[]" {
		t.Errorf("Main() = %q, %v; want \"[]\"", got, err)
	}
}

// TestS1ArgsCheckCanFail: the check compares real answers: a call's answer is not the
// answer to another call's arguments.
func TestS1ArgsCheckCanFail(t *testing.T) {
	p := load(t).Plug()
	_, wire := args(3, 1)
	got, err := p.Main(wire)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := args(3, 2)
	if want := fmt.Sprint(other); got == want {
		t.Fatalf("answers to different arguments are equal: %q", got)
	}
}
