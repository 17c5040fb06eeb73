// Seed 002 (scenario S5) on plugport, the host. It uses golang.org/x/text v0.21.0 and is
// built with `-trimpath -ldflags="-s -w"`; the plugin uses v0.14.0 and is built with
// `-gcflags=all=-N -l`. Go's `plugin` package refuses such a pair ("plugin was built with
// a different version of package ..."). Here the host loads the plugin, checks its answers
// against its own x/text, and prints both sides' build information to show they differ.
// With --changed it loads the plugin through bindings generated from a changed copy of
// the WIT (`width` returns u64) and shows the refusal: the item, the expected and the
// found value.
//
//	seed002-host-go [--changed] <libseed002_go.so>
//
// A Go plugin in this Go host runs in a child process by itself (docs/go.md). The
// packages seed002 and changed/seed002 are generated (scripts/build-examples.sh):
// plugport gen examples/seeds/s5-versions/wit{,-changed} --lang go-host.
package main

import (
	"debug/elf"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/width"

	changed "example.invalid/plugport/examples/seeds/s5-versions/host-go/changed/seed002"
	"example.invalid/plugport/examples/seeds/s5-versions/host-go/seed002"
)

// inputs are the strings both sides process.
var inputs = []string{"hello, world", "plugin was built with a different version", "ｇｏ 插件 über straße", ""}

// width of s as the plugin computes it, with this side's x/text.
func cells(s string) uint32 {
	n := uint32(0)
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// buildInfo is this binary's Go version, module versions and build settings, in the
// format of the plugin's build-info.
func buildInfo() []string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return []string{"go=unknown"}
	}
	out := []string{"go=" + bi.GoVersion}
	for _, d := range bi.Deps {
		out = append(out, "dep:"+d.Path+"="+d.Version)
	}
	for _, s := range bi.Settings {
		out = append(out, s.Key+"="+s.Value)
	}
	return out
}

// pick is the value of key in a build-info list ("" when absent).
func pick(info []string, key string) string {
	for _, kv := range info {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// symbols says whether the ELF file at path has a symbol table (-ldflags=-s strips it;
// under -trimpath Go does not record -ldflags in the build information).
func symbols(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return "unknown: " + err.Error()
	}
	defer f.Close()
	if f.Section(".symtab") == nil {
		return "stripped"
	}
	return "present"
}

// report is what check found: both sides' build information and the calls made.
type report struct {
	host, plugin []string
	calls        []string
}

// check loads the plugin, compares every answer with this side's x/text, and returns
// both sides' build information.
func check(path string) (*report, error) {
	w, err := seed002.Load(path, seed002.Imports{})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	t := w.Text()
	r := &report{host: buildInfo()}
	if r.plugin, err = t.BuildInfo(); err != nil {
		return nil, fmt.Errorf("build-info: %w", err)
	}
	title := cases.Title(language.Und)
	for _, s := range inputs {
		got, err := t.Title(s)
		if err != nil {
			return nil, fmt.Errorf("title(%q): %w", s, err)
		}
		if want := title.String(s); got != want {
			return nil, fmt.Errorf("title(%q) = %q, this side's x/text says %q", s, got, want)
		}
		n, err := t.Width(s)
		if err != nil {
			return nil, fmt.Errorf("width(%q): %w", s, err)
		}
		if want := cells(s); n != want {
			return nil, fmt.Errorf("width(%q) = %d, this side's x/text says %d", s, n, want)
		}
		r.calls = append(r.calls, fmt.Sprintf("title(%q) = %q, width = %d", s, got, n))
	}
	return r, nil
}

// loadChanged loads the plugin through the bindings of the changed WIT: the loader must
// refuse it.
func loadChanged(path string) error {
	w, err := changed.Load(path, changed.Imports{})
	if err != nil {
		return err
	}
	w.Close()
	return nil
}

func main() {
	args := os.Args[1:]
	if len(args) == 2 && args[0] == "--changed" {
		err := loadChanged(args[1])
		if err == nil {
			fmt.Fprintln(os.Stderr, "go host: FAILED: a plugin of another interface was loaded")
			os.Exit(1)
		}
		fmt.Printf("go host: refused, as it must be: %v\n", err)
		return
	}
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "usage: %s [--changed] <plugin.so>\n", os.Args[0])
		os.Exit(2)
	}
	r, err := check(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "go host: FAILED: %v\n", err)
		os.Exit(1)
	}
	for _, c := range r.calls {
		fmt.Println("go host:", c)
	}
	for _, key := range []string{"go", "dep:golang.org/x/text", "-trimpath", "-ldflags", "-gcflags"} {
		fmt.Printf("go host: %-22s host %-14q plugin %q\n", key, pick(r.host, key), pick(r.plugin, key))
	}
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	fmt.Printf("go host: %-22s host %-14q plugin %q\n", ".symtab", symbols(exe), symbols(args[0]))
	if slices.Equal(r.host, r.plugin) {
		fmt.Fprintln(os.Stderr, "go host: FAILED: host and plugin were built alike")
		os.Exit(1)
	}
	fmt.Println("go host: OK")
}
