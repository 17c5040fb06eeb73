package hostgo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	plugport "example.invalid/plugport/go"
	"example.invalid/plugport/go/loader"

	"example.invalid/plugport/tests/typecov/host-go/typecov"
)

// pluginNamed is the path of one typecov plugin (libtypecov_<lang>.so).
func pluginNamed(t *testing.T, name string) string {
	t.Helper()
	for _, p := range plugins(t) {
		if filepath.Base(p) == name {
			return p
		}
	}
	t.Fatalf("%s not among %v", name, plugins(t))
	return ""
}

// LoadWithOptions passes plugport_open_options: a C plugin opened with loader.Process
// runs in a child process and answers as in-process; a Go plugin forced in-process is
// refused with ErrGoRuntime (a second Go runtime), unless PLUGPORT_ISOLATION overrides
// the option.
func TestLoadWithOptionsChoosesWhereThePluginRuns(t *testing.T) {
	w, err := typecov.LoadWithOptions(pluginNamed(t, "libtypecov_c.so"), typecov.Imports{}, loader.Options{Isolation: loader.Process})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if os.Getenv("PLUGPORT_ISOLATION") != "inproc" && !w.Plugin().Isolated() {
		t.Fatal("loader.Process did not isolate the plugin")
	}
	if pid, ok := w.Plugin().ChildPid(); !ok || pid == os.Getpid() {
		t.Fatalf("child pid %d (%v)", pid, ok)
	}
	if v, err := w.Echo().EchoU32(0xFFFFFFFF); err != nil || v != 0xFFFFFFFF {
		t.Fatalf("echo_u32 isolated: %v %v", v, err)
	}
	if os.Getenv("PLUGPORT_ISOLATION") == "" {
		_, err := typecov.LoadWithOptions(pluginNamed(t, "libtypecov_go.so"), typecov.Imports{}, loader.Options{Isolation: loader.InProcess})
		if !errors.Is(err, plugport.ErrGoRuntime) {
			t.Fatalf("a Go plugin forced in-process: %v, want ErrGoRuntime", err)
		}
	}
}

// AllowSHA256: a file whose digest is not listed is refused with ErrNotAllowed before any
// of its code runs; listing its digest (in upper case too) lets it load.
func TestLoadWithOptionsAllowlistRefusesUnlistedFiles(t *testing.T) {
	if os.Getenv("PLUGPORT_ALLOW_SHA256") != "" {
		t.Skip("PLUGPORT_ALLOW_SHA256 replaces the option")
	}
	path := pluginNamed(t, "libtypecov_c.so")
	_, err := typecov.LoadWithOptions(path, typecov.Imports{}, loader.Options{AllowSHA256: []string{strings.Repeat("0", 64)}})
	if !errors.Is(err, plugport.ErrNotAllowed) {
		t.Fatalf("an unlisted file: %v, want ErrNotAllowed", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	w, err := typecov.LoadWithOptions(path, typecov.Imports{}, loader.Options{AllowSHA256: []string{strings.Repeat("1", 64), digest}})
	if err != nil {
		t.Fatalf("a listed file: %v", err)
	}
	defer w.Close()
	if v, err := w.Echo().EchoU32(7); err != nil || v != 7 {
		t.Fatalf("echo_u32: %v %v", v, err)
	}
}

// IdleTimeout: the child of an idle plugin exits, and the next call starts a new one (not
// a restart after a failure).
func TestLoadWithOptionsIdleTimeoutStopsAndRestartsTheChild(t *testing.T) {
	if os.Getenv("PLUGPORT_IDLE_TIMEOUT_MS") != "" {
		t.Skip("PLUGPORT_IDLE_TIMEOUT_MS overrides the option")
	}
	w, err := typecov.LoadWithOptions(pluginNamed(t, "libtypecov_rust.so"), typecov.Imports{},
		loader.Options{Isolation: loader.Process, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	first, _ := w.Plugin().ChildPid() // the open started one (a loaded machine may stop it already)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := w.Plugin().ChildPid(); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle child was not stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, err := w.Echo().EchoString("again"); err != nil || v != "again" {
		t.Fatalf("after the idle stop: %q %v", v, err)
	}
	second, ok := w.Plugin().ChildPid()
	if !ok || second == first {
		t.Fatalf("no new child: %d (%v), first %d", second, ok, first)
	}
	if n := w.Plugin().Restarts(); n != 0 {
		t.Fatalf("%d restarts for an idle stop", n)
	}
}
