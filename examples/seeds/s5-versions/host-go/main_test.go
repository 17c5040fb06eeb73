package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	plugport "example.invalid/plugport/go"
)

// seeds is OUT/seeds of scripts/build-examples.sh (PLUGPORT_EXAMPLES names OUT;
// scripts/test.sh sets it): libseed002_go.so and the host built with its flags.
func seeds(t *testing.T) string {
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../../target/examples"
	}
	dir = filepath.Join(dir, "seeds")
	if _, err := os.Stat(filepath.Join(dir, "seed002-host-go")); err != nil {
		t.Fatalf("%v: run scripts/build-examples.sh first (scripts/test.sh does)", err)
	}
	return dir
}

// TestS5DifferentFlagsAndModuleVersionsLoadAndWork runs the host as built by
// scripts/build-examples.sh (-trimpath -ldflags="-s -w", x/text v0.21.0) with the plugin
// (-gcflags=all=-N -l, x/text v0.14.0): it loads and every answer matches the host's own
// x/text. The test checks that the two really were built differently.
func TestS5DifferentFlagsAndModuleVersionsLoadAndWork(t *testing.T) {
	dir := seeds(t)
	out, err := exec.Command(filepath.Join(dir, "seed002-host-go"), filepath.Join(dir, "libseed002_go.so")).CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("host: %v\n%s", err, text)
	}
	for _, want := range []string{
		`dep:golang.org/x/text  host "v0.21.0"      plugin "v0.14.0"`,
		`-trimpath              host "true"         plugin ""`,
		`-gcflags               host ""             plugin "all=-N -l"`,
		`.symtab                host "stripped"     plugin "present"`,
		`title("ｇｏ 插件 über straße") = "Ｇｏ 插件 Über Straße", width = 21`,
		"go host: OK",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the host's output:\n%s", want, text)
		}
	}
}

// TestS5AnswersMatchThisSidesModule: the same check in-process (this test binary is built
// with the default flags, the plugin with -gcflags=all=-N -l and another x/text).
func TestS5AnswersMatchThisSidesModule(t *testing.T) {
	r, err := check(filepath.Join(seeds(t), "libseed002_go.so"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != len(inputs) {
		t.Fatalf("%d calls checked, want %d", len(r.calls), len(inputs))
	}
	if h, p := pick(r.host, "dep:golang.org/x/text"), pick(r.plugin, "dep:golang.org/x/text"); h == p || h == "" || p == "" {
		t.Errorf("x/text versions: host %q, plugin %q; want two different versions", h, p)
	}
}

// TestS5ChangedInterfaceRefused: bindings generated from the changed copy of the WIT
// (`width` returns u64) refuse the plugin before any plugin code runs, naming the item,
// the expected and the found value.
func TestS5ChangedInterfaceRefused(t *testing.T) {
	path := filepath.Join(seeds(t), "libseed002_go.so")
	err := loadChanged(path)
	if err == nil {
		t.Fatal("a plugin of another interface was loaded")
	}
	if !errors.Is(err, plugport.ErrIncompatible) {
		t.Errorf("errors.Is(err, plugport.ErrIncompatible) is false for %v", err)
	}
	re := regexp.MustCompile(`text\.width: expected width: func\(s: string\) -> u64, found width: func\(s: string\) -> u32`)
	if !re.MatchString(err.Error()) || !strings.Contains(err.Error(), path) {
		t.Errorf("the refusal does not name the file, the item, the expected and the found value: %v", err)
	}
}
