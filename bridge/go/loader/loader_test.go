package loader

import (
	"errors"
	"testing"

	plugport "example.invalid/plugport/go"
)

func TestAdoptTurnsACodeIntoALoadError(t *testing.T) {
	_, err := Adopt(int32(plugport.CodeNotAPlugin), 0, 0, "/x/libfoo.so")
	var le *plugport.LoadError
	if !errors.As(err, &le) || le.Path != "/x/libfoo.so" || !errors.Is(err, plugport.ErrNotAPlugin) {
		t.Fatalf("got %v", err)
	}
}

func TestAClosedPluginAnswersNothing(t *testing.T) {
	p := &Plugin{path: "x"}
	if p.Exports() != 0 || p.Name() != "" || p.LoadedImages() != 0 || p.ReleasePrevious() != 0 {
		t.Fatal("a closed plugin answered")
	}
	if _, ok := p.LiveObjects(); ok {
		t.Fatal("live objects of a closed plugin")
	}
	if _, ok := p.ChildPid(); ok || p.Isolated() || p.Restarts() != 0 || p.LastExit() != "" {
		t.Fatal("a closed plugin answered an isolation question")
	}
	if err := p.Reload(); !errors.Is(err, ErrClosed) {
		t.Fatalf("reload: %v", err)
	}
	p.Close() // no-op
}
