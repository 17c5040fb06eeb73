package main

import (
	"errors"
	"path/filepath"
	"testing"

	plugport "example.invalid/plugport/go"

	greeter11 "example.invalid/plugport/examples/greeter/host-go/v11/greeter"
)

// A host generated from greeter 1.1 (which appends greet.farewell) loads a 1.0 plugin:
// Has asks, and the call reports plugport.ErrUnsupported; a 1.1 plugin says farewell.
func TestANewerMinorHostSeesWhatAnOlderPluginLacks(t *testing.T) {
	imp := greeter11.Imports{Logger: logger11{}}
	old, err := greeter11.Load(plugin(t, "libgreeter_zh.so"), imp)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	g := old.Greet()
	if g.HasFarewell() || !g.HasGreet() {
		t.Fatal("a 1.0 plugin claims farewell, or lacks greet")
	}
	if _, err := g.Farewell("x"); !errors.Is(err, plugport.ErrUnsupported) {
		t.Fatalf("farewell on 1.0: %v", err)
	}
	if got, err := g.Greet("x"); err != nil || got != "你好，x！" {
		t.Fatalf("greet on 1.0: %q %v", got, err)
	}

	newer, err := greeter11.Load(filepath.Join(examples(t), "lifecycle", "libgreeter_zh_1_1.so"), imp)
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	if !newer.Greet().HasFarewell() {
		t.Fatal("a 1.1 plugin lacks farewell")
	}
	if got, err := newer.Greet().Farewell("x"); err != nil || got != "再见，x！" {
		t.Fatalf("farewell on 1.1: %q %v", got, err)
	}
}

type logger11 struct{}

func (logger11) Log(greeter11.Level, string) error { return nil }
