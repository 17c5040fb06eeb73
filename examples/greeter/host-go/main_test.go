package main

// Tests of the generated host package greeter against the C and Rust greeter plugins built
// by scripts/build-examples.sh (PLUGPORT_EXAMPLES names its output folder; default
// target/examples). scripts/test.sh runs them with -race.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	plugport "example.invalid/plugport/go"

	"example.invalid/plugport/examples/greeter/host-go/greeter"
)

func examples(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../target/examples"
	}
	if _, err := os.Stat(filepath.Join(dir, "greeter", "libgreeter_zh.so")); err != nil {
		t.Fatalf("no built examples in %s: run scripts/build-examples.sh %s first (%v)", dir, dir, err)
	}
	return dir
}

func plugin(t *testing.T, name string) string {
	return filepath.Join(examples(t), "greeter", name)
}

// recorder is a logger import that records what the plugin logs.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Log(level greeter.Level, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, level.String()+": "+message)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lines)
}

var answers = map[string][2]string{
	"libgreeter_en.so": {"Hello, %s!", "en"},
	"libgreeter_zh.so": {"你好，%s！", "zh-CN"},
}

func TestGreetsThroughTheCAndRustPluginsAndTheyLogThroughTheHost(t *testing.T) {
	for file, want := range answers {
		log := &recorder{}
		w, err := greeter.Load(plugin(t, file), greeter.Imports{Logger: log})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		g := w.Greet()
		if !g.HasGreet() || !g.HasLanguage() {
			t.Fatalf("%s: slots missing", file)
		}
		for _, name := range []string{"世界", "", "Ada Lovelace"} {
			got, err := g.Greet(name)
			if err != nil || got != fmt.Sprintf(want[0], name) {
				t.Fatalf("%s: Greet(%q) = %q, %v", file, name, got, err)
			}
		}
		if lang, err := g.Language(); err != nil || lang != want[1] {
			t.Fatalf("%s: Language() = %q, %v", file, lang, err)
		}
		if log.count() != 3 {
			t.Fatalf("%s: %d logger calls, want 3: %q", file, log.count(), log.lines)
		}
		w.Close()
	}
}

// Scenario S1: calls from many goroutines (so from many threads) at once.
func TestEightGoroutinesCallAtOnce(t *testing.T) {
	for file, want := range answers {
		log := &recorder{}
		w, err := greeter.Load(plugin(t, file), greeter.Imports{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		const goroutines, calls = 8, 200
		var wg sync.WaitGroup
		var failures atomic.Int64
		for i := 0; i < goroutines; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				g := w.Greet()
				for j := 0; j < calls; j++ {
					name := fmt.Sprintf("g%d-%d", i, j)
					got, err := g.Greet(name)
					if err != nil || got != fmt.Sprintf(want[0], name) {
						failures.Add(1)
					}
				}
			}(i)
		}
		wg.Wait()
		if failures.Load() != 0 {
			t.Fatalf("%s: %d of %d calls failed", file, failures.Load(), goroutines*calls)
		}
		if log.count() != goroutines*calls {
			t.Fatalf("%s: %d logger calls, want %d", file, log.count(), goroutines*calls)
		}
		w.Close()
	}
}

type panicking struct{ n atomic.Int64 }

func (p *panicking) Log(greeter.Level, string) error {
	p.n.Add(1)
	panic("logger exploded")
}

// A panic in a host import is recovered into PP_ERR_PANIC for the plugin; the plugins
// treat a failing logger as non-fatal, so the greeting still arrives.
func TestAPanickingImportDoesNotCrossTheBoundary(t *testing.T) {
	for file, want := range answers {
		p := &panicking{}
		w, err := greeter.Load(plugin(t, file), greeter.Imports{Logger: p})
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.Greet().Greet("x")
		if err != nil || got != fmt.Sprintf(want[0], "x") {
			t.Fatalf("%s: %q, %v", file, got, err)
		}
		if p.n.Load() != 1 {
			t.Fatalf("%s: logger called %d times", file, p.n.Load())
		}
		w.Close()
	}
}

func TestLoadErrorsAreGoErrors(t *testing.T) {
	dir := examples(t)
	imp := greeter.Imports{Logger: &recorder{}}
	cases := []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "typecov", "libnot_a_plugin.so"), plugport.ErrNotAPlugin},
		{filepath.Join(dir, "greeter", "no-such-plugin.so"), plugport.ErrIO},
		{filepath.Join(dir, "typecov", "libtypecov_c.so"), plugport.ErrPackageMismatch},
		{filepath.Join(dir, "greeter", "greeter.h"), plugport.ErrNotSharedLibrary},
	}
	for _, c := range cases {
		w, err := greeter.Load(c.path, imp)
		if w != nil || !errors.Is(err, c.want) {
			t.Fatalf("%s: got %v, want %v", c.path, err, c.want)
		}
		var le *plugport.LoadError
		if !errors.As(err, &le) || le.Path != c.path || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Fatalf("%s: %#v", c.path, err)
		}
	}
	if _, err := greeter.Load(plugin(t, "libgreeter_zh.so"), greeter.Imports{}); err == nil {
		t.Fatal("a nil import was accepted")
	}
}

func TestAClosedWorldAnswersUnsupported(t *testing.T) {
	w, err := greeter.Load(plugin(t, "libgreeter_zh.so"), greeter.Imports{Logger: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	w.Close()
	if _, err := w.Greet().Greet("x"); !errors.Is(err, plugport.ErrUnsupported) {
		t.Fatalf("after Close: %v", err)
	}
	var zero greeter.Greet
	if _, err := zero.Language(); !errors.Is(err, plugport.ErrUnsupported) {
		t.Fatalf("zero client: %v", err)
	}
}

// Scenario S2 and S4 for Go hosts: plugins side by side, each with its own imports, and
// a reload in place.
func TestSideBySideAndReload(t *testing.T) {
	logs := map[string]*recorder{}
	worlds := map[string]*greeter.World{}
	for file := range answers {
		logs[file] = &recorder{}
		w, err := greeter.Load(plugin(t, file), greeter.Imports{Logger: logs[file]})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		worlds[file] = w
	}
	// Two opens of the same file are two images.
	again, err := greeter.Load(plugin(t, "libgreeter_zh.so"), greeter.Imports{Logger: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for file, w := range worlds {
		got, err := w.Greet().Greet("y")
		if err != nil || got != fmt.Sprintf(answers[file][0], "y") {
			t.Fatalf("%s: %q %v", file, got, err)
		}
		if logs[file].count() != 1 {
			t.Fatalf("%s: its own logger got %d calls", file, logs[file].count())
		}
	}
	w := worlds["libgreeter_zh.so"]
	if err := w.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := w.Plugin().LoadedImages(); n != 2 {
		t.Fatalf("images after reload: %d", n)
	}
	if got, err := w.Greet().Greet("z"); err != nil || got != "你好，z！" {
		t.Fatalf("after reload: %q %v", got, err)
	}
	if w.ReleasePrevious() != 1 || w.Plugin().LoadedImages() != 1 {
		t.Fatal("release previous")
	}
}

// A Go plugin in a Go host would be a second Go runtime in the process: the loader runs
// it in a child process instead (plugport-runner, docs/isolation.md), where its Go code
// answers and calls the host's logger back across the process boundary. Forced
// in-process, it is refused before any of its code runs (docs/go.md, docs/errors.md
// "GoRuntime").
func TestAGoPluginRunsIsolatedInAGoHost(t *testing.T) {
	path := plugin(t, "libgreeter_en_go.so")
	log := &recorder{}
	w, err := greeter.Load(path, greeter.Imports{Logger: log})
	if err != nil {
		t.Fatalf("a Go plugin in a Go host: %v", err)
	}
	defer w.Close()
	if got, err := w.Greet().Greet("Gopher"); err != nil || got != "Hello, Gopher!" {
		t.Fatalf("isolated Go plugin: %q %v", got, err)
	}
	log.mu.Lock()
	lines := strings.Join(log.lines, "\n")
	log.mu.Unlock()
	if !strings.Contains(lines, "greeting in English (Go)") {
		t.Fatalf("the plugin's log did not reach the host: %q", lines)
	}

	t.Setenv("PLUGPORT_ISOLATION", "inproc")
	w2, err := greeter.Load(path, greeter.Imports{Logger: &recorder{}})
	if w2 != nil || !errors.Is(err, plugport.ErrGoRuntime) {
		t.Fatalf("a Go plugin in a Go host, forced in-process: %v", err)
	}
	if !strings.Contains(err.Error(), "Go") {
		t.Fatalf("message does not say why: %v", err)
	}
}
