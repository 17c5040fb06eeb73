package loader

import (
	"errors"
	"testing"
	"time"

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

func TestOptionsBecomeTheCFields(t *testing.T) {
	if (Options{}).Fields() != [9]uint32{} || (Options{}).AllowList() != "" {
		t.Fatal("the zero Options are not the default open")
	}
	o := Options{
		Isolation:       Process,
		CallTimeout:     1500 * time.Millisecond,
		MaxRestarts:     3,
		StartTimeout:    2 * time.Second,
		DrainTimeout:    250 * time.Millisecond,
		MaxAddressSpace: 768<<20 + 12345,
		MaxCPUTime:      2500 * time.Millisecond,
		IdleTimeout:     time.Minute,
		MaxOpenFiles:    64,
		AllowSHA256:     []string{"ab", "CD"},
	}
	want := [9]uint32{2, 1500, 3, 2000, 250, 768, 2, 60000, 64}
	if got := o.Fields(); got != want {
		t.Fatalf("Fields() = %v, want %v", got, want)
	}
	if got := o.AllowList(); got != "ab,CD" {
		t.Fatalf("AllowList() = %q", got)
	}
	if got := (Options{IdleTimeout: 10000 * time.Hour, MaxAddressSpace: 1 << 60}).Fields(); got[7] != 0xFFFFFFFF || got[5] != 0xFFFFFFFF {
		t.Fatalf("no saturation: %v", got)
	}
}
