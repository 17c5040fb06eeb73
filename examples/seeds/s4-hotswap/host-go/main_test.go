package main

// These tests run the built host (OUT/seeds/seed004-host-go of scripts/build-examples.sh;
// PLUGPORT_EXAMPLES names OUT, scripts/test.sh sets it) as the seed ran it: a long-lived
// process whose plugin is swapped under it, checking every answer and that it stays up.

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	english = "Hello, 宇宙!"
	chinese = "你好，宇宙！"
)

func examples(t *testing.T) string {
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../../target/examples"
	}
	if _, err := os.Stat(filepath.Join(dir, "seeds", "seed004-host-go")); err != nil {
		t.Fatalf("%v: run scripts/build-examples.sh first (scripts/test.sh does)", err)
	}
	return dir
}

// running is the host process and its stdout, line by line.
type running struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	seen  []string
}

func start(t *testing.T, args ...string) *running {
	bin := filepath.Join(examples(t), "seeds", "seed004-host-go")
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{t: t, cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return r
}

// waitFor reads lines until one matches re, failing after 20 s or when the host exits.
func (r *running) waitFor(re string) []string {
	r.t.Helper()
	pat := regexp.MustCompile(re)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("the host exited while waiting for %q; it printed:\n%s", re, strings.Join(r.seen, "\n"))
			}
			r.seen = append(r.seen, l)
			if m := pat.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			r.t.Fatalf("no line matching %q in 20 s; the host printed:\n%s", re, strings.Join(r.seen, "\n"))
		}
	}
}

// alive checks the host still runs: it greets again.
func (r *running) alive(answer string) {
	r.t.Helper()
	r.waitFor("^seed004 host: " + regexp.QuoteMeta(answer) + "$")
	if r.cmd.ProcessState != nil {
		r.t.Fatalf("the host exited: %v", r.cmd.ProcessState)
	}
}

// replace puts a copy of src at dst the way a deploy does: write beside it, then rename.
func replace(t *testing.T, src, dst string) {
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".new"
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// TestS4HotSwapWatch: the host watches a plugin path; the file is replaced twice
// (English -> Chinese -> English); after each replacement the host reloads and answers
// in the new plugin's language, and it keeps greeting.
func TestS4HotSwapWatch(t *testing.T) {
	g := filepath.Join(examples(t), "greeter")
	path := filepath.Join(t.TempDir(), "greet.so")
	replace(t, filepath.Join(g, "libgreeter_en_go.so"), path)
	r := start(t, "--watch", "--every", "50ms", "--name", "宇宙", path)
	r.waitFor(`^seed004 host: loaded greeter-en-go 1\.0\.0`)
	r.alive(english)

	replace(t, filepath.Join(g, "libgreeter_zh_go.so"), path)
	r.waitFor(`^seed004 host: reloaded greeter-zh-go 1\.0\.0`)
	r.waitFor("^seed004 host: " + chinese + "$") // the next greeting after the reload
	r.alive(chinese)

	replace(t, filepath.Join(g, "libgreeter_en_go.so"), path)
	r.waitFor(`^seed004 host: reloaded greeter-en-go 1\.0\.0`)
	r.waitFor("^seed004 host: " + english + "$")
	r.alive(english)
	for _, l := range r.seen {
		if strings.Contains(l, "failed") {
			t.Errorf("the host reported a failure: %s", l)
		}
	}
}

// TestS2SwapOverHTTP: the seed's trigger. The host starts with the Chinese plugin and is
// told over loopback HTTP to swap to the English one, then back (two plugins, one after
// the other, each a different file); a file that is not a plugin is refused with the
// loader's message and the serving plugin answers on.
func TestS2SwapOverHTTP(t *testing.T) {
	g := filepath.Join(examples(t), "greeter")
	r := start(t, "--http", "127.0.0.1:0", "--every", "50ms", "--name", "宇宙", filepath.Join(g, "libgreeter_zh_go.so"))
	base := "http://" + r.waitFor(`^seed004 host: listening on http://(127\.0\.0\.1:[0-9]+)/`)[1]
	r.alive(chinese)

	get := func(mod string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + "/?mod=" + mod)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(filepath.Join(g, "libgreeter_en_go.so")); code != 200 {
		t.Fatalf("swap to English: %d %s", code, body)
	}
	r.waitFor(`^seed004 host: swapped to greeter-en-go 1\.0\.0`)
	r.waitFor("^seed004 host: " + english + "$")
	r.alive(english)

	if code, body := get(filepath.Join(g, "libgreeter_zh_go.so")); code != 200 {
		t.Fatalf("swap to Chinese: %d %s", code, body)
	}
	r.waitFor(`^seed004 host: swapped to greeter-zh-go 1\.0\.0`)
	r.waitFor("^seed004 host: " + chinese + "$")

	bad := filepath.Join(g, "greeter.h") // a file, but not a shared library
	code, body := get(bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, bad) {
		t.Fatalf("swap to %s: want 422 naming the file, got %d %q", bad, code, body)
	}
	r.waitFor(`^seed004 host: swap refused, still serving greeter-zh-go`)
	r.alive(chinese)
}

// TestS4PanickingPluginSwappedInAndOut: the seed's panic experiment. The host is swapped
// to a plugin whose greet panics ("I'm gone."): each greeting is a call error with the
// panic's message, the host stays up, and swapping back to the Chinese plugin answers
// again.
func TestS4PanickingPluginSwappedInAndOut(t *testing.T) {
	dir := examples(t)
	g := filepath.Join(dir, "greeter")
	r := start(t, "--http", "127.0.0.1:0", "--every", "50ms", "--name", "宇宙", filepath.Join(g, "libgreeter_zh_go.so"))
	base := "http://" + r.waitFor(`^seed004 host: listening on http://(127\.0\.0\.1:[0-9]+)/`)[1]
	r.alive(chinese)
	for _, mod := range []string{filepath.Join(dir, "seeds", "libgreeter_panic_go.so"), filepath.Join(g, "libgreeter_zh_go.so")} {
		resp, err := http.Get(base + "/?mod=" + mod)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("swap to %s: %s", mod, resp.Status)
		}
		if strings.Contains(mod, "panic") {
			r.waitFor(`^seed004 host: swapped to greeter-panic-go 1\.0\.0`)
			r.waitFor(`^seed004 host: greet failed: .*PP_ERR_PANIC: I'm gone\.$`)
			r.waitFor(`^seed004 host: greet failed: .*I'm gone\.$`) // and on the next tick
		}
	}
	r.waitFor(`^seed004 host: swapped to greeter-zh-go 1\.0\.0`)
	r.waitFor("^seed004 host: " + chinese + "$")
	r.alive(chinese)
}
