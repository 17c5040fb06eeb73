// Seed 004 (scenarios S2 and S4) on plugport: the seed's hot-swapping greeter host. It
// loads a greeter plugin, greets on every tick (the seed's `for { greeter.Greet();
// time.Sleep(time.Second) }`), and swaps plugins while it runs, as the seed does:
//
//   - --http ADDR serves the seed's trigger on a loopback address: `GET /?mod=<plugin.so>`
//     loads that plugin and, once it answers, closes the previous one (the seed's
//     `curl localhost:8080?mod=chinese`); a plugin the loader refuses leaves the
//     previous one serving, and the request gets the loader's message.
//
//   - --watch reloads the current plugin in place when its file is replaced (modification
//     time, size or inode changed: a deploy by `mv` counts).
//
//     seed004-host-go [--watch] [--http 127.0.0.1:8080] [--every 1s] [--name Universe] <plugin.so>
//
// The greeter plugins in Go (examples/greeter/plugin-{en,zh}-go) each run in a child
// process by themselves, since a Go plugin cannot share this Go process (docs/go.md, "The
// limits of c-shared Go"): each swap and each reload starts a new child, and the old one
// ends when it is closed. Plugins in C or Rust load in-process. Greetings, swaps and
// reloads all happen on the main goroutine, so no call is in flight during a swap.
//
// The package greeter is generated: plugport gen examples/greeter/wit --lang go-host
// --out examples/seeds/s4-hotswap/host-go (scripts/build-examples.sh does it).
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"example.invalid/plugport/examples/seeds/s4-hotswap/host-go/greeter"
)

// logger is the host's side of the `logger` import; it stays quiet below warn.
type logger struct{}

func (logger) Log(level greeter.Level, message string) error {
	if level >= greeter.LevelWarn {
		fmt.Printf("  [plugin %s] %s\n", level, message)
	}
	return nil
}

// fileID identifies a version of a file: replacing it (even by rename) changes it.
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

// swap is one `GET /?mod=` request, answered by the main goroutine.
type swap struct {
	path  string
	reply chan error
}

// host holds the plugin serving now.
type host struct {
	w    *greeter.World
	path string
	seen fileID
}

func (h *host) describe() string {
	return fmt.Sprintf("%s %s (%s)", h.w.Plugin().Name(), h.w.Plugin().Version(), h.path)
}

// load replaces the serving plugin with the one at path; on error the old one serves on.
func (h *host) load(path string) error {
	seen, _ := idOf(path)
	w, err := greeter.Load(path, greeter.Imports{Logger: logger{}})
	if err != nil {
		return err
	}
	if _, err := w.Greet().Language(); err != nil { // it answers before it serves
		w.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if h.w != nil {
		h.w.Close()
	}
	h.w, h.path, h.seen = w, path, seen
	return nil
}

// reloadIfChanged reloads the serving plugin in place when its file was replaced.
func (h *host) reloadIfChanged() {
	now, ok := idOf(h.path)
	if !ok || now == h.seen {
		return
	}
	h.seen = now
	if err := h.w.Reload(); err != nil {
		fmt.Printf("seed004 host: reload failed, still serving %s: %v\n", h.describe(), err)
		return
	}
	h.w.ReleasePrevious()
	fmt.Printf("seed004 host: reloaded %s\n", h.describe())
}

func (h *host) greet(name string) {
	answer, err := h.w.Greet().Greet(name)
	if err != nil { // a panicking plugin is an error value here, as the seed's recover
		fmt.Printf("seed004 host: greet failed: %v\n", err)
		return
	}
	fmt.Printf("seed004 host: %s\n", answer)
}

// serve starts the seed's HTTP trigger on a loopback address and returns the address it
// listens on (ADDR may use port 0).
func serve(addr string, swaps chan<- swap) (net.Addr, error) {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tcp.IP == nil || !tcp.IP.IsLoopback() {
		return nil, fmt.Errorf("--http %s: only a loopback address is allowed (127.0.0.1:PORT or [::1]:PORT): the trigger loads any file it is given", addr)
	}
	ln, err := net.ListenTCP("tcp", tcp)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		mod := r.URL.Query().Get("mod")
		if mod == "" {
			http.Error(rw, "usage: GET /?mod=<plugin.so>", http.StatusBadRequest)
			return
		}
		s := swap{mod, make(chan error, 1)}
		select {
		case swaps <- s:
		case <-r.Context().Done():
			return
		}
		if err := <-s.reply; err != nil {
			http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		fmt.Fprintln(rw, "ok")
	})
	go func() {
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "seed004 host: http: %v\n", err)
		}
	}()
	return ln.Addr(), nil
}

func main() {
	watch := flag.Bool("watch", false, "reload the plugin in place when its file is replaced")
	addr := flag.String("http", "", "serve `GET /?mod=<plugin.so>` on this loopback address (port 0: any free port)")
	every := flag.Duration("every", time.Second, "time between greetings (and between checks of the file)")
	name := flag.String("name", "Universe", "the name to greet")
	count := flag.Int("count", 0, "stop after this many greetings (0: run until killed)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] <plugin.so>\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *every <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	h := &host{}
	if err := h.load(flag.Arg(0)); err != nil {
		fmt.Fprintf(os.Stderr, "cannot load plugin: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("seed004 host: loaded %s\n", h.describe())
	swaps := make(chan swap)
	if *addr != "" {
		a, err := serve(*addr, swaps)
		if err != nil {
			fmt.Fprintf(os.Stderr, "seed004 host: %v\n", err)
			os.Exit(2)
		}
		fmt.Printf("seed004 host: listening on http://%s/?mod=<plugin.so>\n", a)
	}
	if *watch {
		fmt.Printf("seed004 host: watching %s\n", h.path)
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	h.greet(*name)
	for n := 1; *count == 0 || n < *count; {
		select {
		case s := <-swaps:
			err := h.load(s.path)
			if err != nil {
				fmt.Printf("seed004 host: swap refused, still serving %s: %v\n", h.describe(), err)
			} else {
				fmt.Printf("seed004 host: swapped to %s\n", h.describe())
				h.greet(*name)
				n++
			}
			s.reply <- err
		case <-tick.C:
			if *watch {
				h.reloadIfChanged()
			}
			h.greet(*name)
			n++
		}
	}
	h.w.Close()
}
