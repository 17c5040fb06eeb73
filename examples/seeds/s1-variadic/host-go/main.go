// Seed 000 (scenario S1) on plugport, the host: the seed's main.go, which looked up
// `Main` in a Go `plugin`, then ran
//
//	go f(1)
//	f(2)
//
// and crashed with "invalid pointer found on stack". Here it loads the plugin through
// plugport and does the same (and more: goroutines × calls at once, see main_test.go),
// checking each answer against the arguments it sent.
//
//	seed000-host-go <libseed000_go.so> [goroutines (default 100)]
//
// A Go plugin in this Go host runs in a child process by itself (docs/go.md, "The limits
// of c-shared Go"). The package seed000 is generated: plugport gen
// examples/seeds/s1-variadic/wit --out examples/seeds/s1-variadic/host-go --lang go-host.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"example.invalid/plugport/examples/seeds/s1-variadic/host-go/seed000"
)

// args is the call number i of goroutine g: the arguments as Go values (what the seed
// passed to `...interface{}`) and as WIT `arg`s, one of each dynamic type.
func args(g, i int) ([]any, []seed000.Arg) {
	s := fmt.Sprintf("g%d-call%d-你好", g, i)
	n := int64(g)*1_000_003 - int64(i)
	u := uint64(g)<<40 | uint64(i)
	f := float64(g) + float64(i)/8
	b := (g+i)%2 == 0
	bs := []byte{byte(g), byte(i), 0, 0xFF}
	native := []any{s, n, u, f, b, bs, nil}
	wire := []seed000.Arg{
		{Tag: seed000.ArgStr, Str: s},
		{Tag: seed000.ArgInt, Int: n},
		{Tag: seed000.ArgUint, Uint: u},
		{Tag: seed000.ArgFloat, Float: f},
		{Tag: seed000.ArgBoolean, Boolean: b},
		{Tag: seed000.ArgBytes, Bytes: bs},
		{Tag: seed000.ArgNothing},
	}
	// The seed's own calls: f(1) and f(2).
	if i == 0 {
		native = []any{int64(g)}
		wire = []seed000.Arg{{Tag: seed000.ArgInt, Int: int64(g)}}
	}
	return native[:len(wire)], wire
}

// call makes call i of goroutine g and checks the answer against fmt.Sprint of the
// arguments as Go values (the plugin only sees the WIT variants).
func call(p seed000.Plug, g, i int) error {
	native, wire := args(g, i)
	got, err := p.Main(wire)
	if err != nil {
		return fmt.Errorf("goroutine %d call %d: %w", g, i, err)
	}
	if want := fmt.Sprint(native); got != want {
		return fmt.Errorf("goroutine %d call %d: got %q, want %q", g, i, got, want)
	}
	return nil
}

// hammer runs `goroutines` goroutines that each make `calls` calls, all released at
// once, while one more goroutine (the seed's `go f(1)` beside `f(2)`) calls too; it
// returns every error.
func hammer(p seed000.Plug, goroutines, calls int) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		errs  []error
	)
	report := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for g := 1; g <= goroutines+1; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range calls {
				if err := call(p, g, i); err != nil {
					report(err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, "usage: %s <plugin.so> [goroutines]\n", os.Args[0])
		os.Exit(2)
	}
	goroutines := 100
	if len(os.Args) > 2 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "goroutines: want a positive number, got %q\n", os.Args[2])
			os.Exit(2)
		}
		goroutines = n
	}
	w, err := seed000.Load(os.Args[1], seed000.Imports{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot load plugin: %v\n", err)
		os.Exit(1)
	}
	defer w.Close()
	p := w.Plug()

	// The seed's program: go f(1); f(2).
	done := make(chan string)
	go func() {
		s, err := p.Main([]seed000.Arg{{Tag: seed000.ArgInt, Int: 1}})
		if err != nil {
			s = err.Error()
		}
		done <- s
	}()
	two, err := p.Main([]seed000.Arg{{Tag: seed000.ArgInt, Int: 2}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "go host: FAILED: Main(2): %v\n", err)
		os.Exit(1)
	}
	one := <-done
	fmt.Printf("go host: Main(1) = %s, Main(2) = %s\n", one, two)
	if one != "[1]" || two != "[2]" {
		fmt.Fprintln(os.Stderr, "go host: FAILED: want [1] and [2]")
		os.Exit(1)
	}

	const calls = 10
	if errs := hammer(p, goroutines, calls); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(os.Stderr, "go host: FAILED:", e)
		}
		os.Exit(1)
	}
	native, _ := args(7, 3)
	fmt.Printf("go host: %d goroutines + 1 at once, %d calls each, every answer checked (e.g. %v)\n",
		goroutines, calls, native)
	fmt.Println("go host: OK")
}
