// A greeter host in Go: loads the plugin named on the command line through libplugport
// (the generated package greeter), passes a Go logger as the host's import, and greets
// each name. The same CLI as the C and Rust hosts:
//
//	greeter-host-go <plugin.so> <name>...
//	greeter-host-go --watch <plugin.so> <name>
//
// --watch greets, then polls the plugin file every GREETER_WATCH_MS milliseconds
// (default 200) and, when it changed (modification time, size or inode) and then stayed
// the same for one more period (a debounce, so a file still being copied is not loaded
// half-way), reloads it in place and greets again; a file the loader refuses leaves the
// old plugin serving.
//
// The package greeter is generated: plugport gen examples/greeter/wit --lang go-host
// --out examples/greeter/host-go (scripts/build-examples.sh does it).
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"example.invalid/plugport/examples/greeter/host-go/greeter"
)

// logger is the host's side of the `logger` import: the plugin calls it.
type logger struct{}

func (logger) Log(level greeter.Level, message string) error {
	fmt.Printf("  [go host log %s] %s\n", level, message)
	return nil
}

// greetAll prints the plugin's language and greets every name; false if a call failed.
func greetAll(w *greeter.World, names []string) bool {
	g := w.Greet()
	if lang, err := g.Language(); err == nil {
		fmt.Printf("go host: language %s\n", lang)
	} else {
		fmt.Fprintf(os.Stderr, "language failed: %v\n", err)
	}
	ok := true
	for _, name := range names {
		answer, err := g.Greet(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "greet failed: %v\n", err)
			ok = false
			continue
		}
		fmt.Printf("go host: %s\n", answer)
	}
	return ok
}

// fileID identifies a version of the file: replacing it (even by rename) changes it.
type fileID struct {
	mtime time.Time
	size  int64
	ino   uint64
}

func idOf(path string) (fileID, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return fileID{}, false
	}
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fileID{st.ModTime(), st.Size(), ino}, true
}

func watch(w *greeter.World, seen fileID, path, name string) {
	period := 200
	if ms, err := strconv.Atoi(os.Getenv("GREETER_WATCH_MS")); err == nil && ms > 0 {
		period = ms
	}
	fmt.Printf("go host: watching %s (every %d ms)\n", path, period)
	greetAll(w, []string{name})
	var pending *fileID
	for {
		time.Sleep(time.Duration(period) * time.Millisecond)
		now, ok := idOf(path)
		if !ok || now == seen {
			pending = nil
			continue
		}
		// Debounce: reload once the changed file has stayed the same for a whole period,
		// so that a file still being written (cp in progress) is not loaded half-way.
		if pending == nil || *pending != now {
			pending = &now
			continue
		}
		pending = nil
		seen = now
		if err := w.Reload(); err != nil {
			fmt.Printf("go host: reload failed, still serving %s %s: %v\n",
				w.Plugin().Name(), w.Plugin().Version(), err)
			continue
		}
		// Nothing from the old image is kept between greetings.
		w.ReleasePrevious()
		fmt.Printf("go host: reloaded %s %s\n", w.Plugin().Name(), w.Plugin().Version())
		greetAll(w, []string{name})
	}
}

func main() {
	args := os.Args[1:]
	watching := len(args) >= 1 && args[0] == "--watch"
	if len(args) < 2 || (watching && len(args) != 3) {
		fmt.Fprintf(os.Stderr, "usage: %s <plugin.so> <name>...\n       %s --watch <plugin.so> <name>\n",
			os.Args[0], os.Args[0])
		os.Exit(2)
	}
	if watching {
		args = args[1:]
	}
	path := args[0]
	seen, _ := idOf(path)
	w, err := greeter.Load(path, greeter.Imports{Logger: logger{}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot load plugin: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("go host: loaded %s %s\n", w.Plugin().Name(), w.Plugin().Version())
	if watching {
		watch(w, seen, path, args[1])
	}
	ok := greetAll(w, args[1:])
	w.Close()
	if !ok {
		os.Exit(1)
	}
}
