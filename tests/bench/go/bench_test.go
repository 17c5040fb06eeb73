package benchgo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"example.invalid/plugport/tests/bench/go/bench"
)

// s64 is the 64-byte string of the string benchmarks.
var s64 = strings.Repeat("0123456789abcdef", 4)

func cPlugin() (string, error) {
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../target/examples"
	}
	p := filepath.Join(dir, "bench", "libbench_c.so")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s missing: run scripts/build-examples.sh %s first (%v)", p, dir, err)
	}
	return p, nil
}

// open loads the C bench plugin once per process (every test and benchmark shares it).
var open = func() func() (*bench.World, Floor, error) {
	var (
		w    *bench.World
		f    Floor
		err  error
		done bool
	)
	return func() (*bench.World, Floor, error) {
		if !done {
			done = true
			var p string
			if p, err = cPlugin(); err == nil {
				if w, err = bench.Load(p, bench.Imports{}); err == nil {
					f = NewFloor(w.Plugin().Exports())
				}
			}
		}
		return w, f, err
	}
}()

func loaded(tb testing.TB) (bench.Calls, Floor) {
	tb.Helper()
	w, f, err := open()
	if err != nil {
		tb.Fatal(err)
	}
	return w.Calls(), f
}

// The generated calls and the floors answer alike, so the benchmarks compare like with like.
func TestCallsAndFloorsAgree(t *testing.T) {
	c, f := loaded(t)
	if v, err := c.Add(40, 2); err != nil || v != 42 {
		t.Fatalf("Add(40, 2) = %v, %v", v, err)
	}
	if v := f.Add(40, 2); v != 42 {
		t.Fatalf("floor Add(40, 2) = %v", v)
	}
	if v := PlainAdd(40, 2); v != 42 {
		t.Fatalf("PlainAdd(40, 2) = %v", v)
	}
	if v, err := c.StrLen(s64); err != nil || v != 64 {
		t.Fatalf("StrLen(64 bytes) = %v, %v", v, err)
	}
	if v := f.StrLen(s64); v != 64 {
		t.Fatalf("floor StrLen(64 bytes) = %v", v)
	}
	want := strings.Repeat("x", 64)
	if v, err := c.MakeString(64); err != nil || v != want {
		t.Fatalf("MakeString(64) = %q, %v", v, err)
	}
	if v := f.MakeString(64); v != want {
		t.Fatalf("floor MakeString(64) = %q", v)
	}
}

// allocs is the number of Go allocations per call of fn (testing.AllocsPerRun).
func allocs(t *testing.T, fn func() error) float64 {
	t.Helper()
	var failed error
	n := testing.AllocsPerRun(1000, func() {
		if err := fn(); err != nil {
			failed = err
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
	return n
}

// A scalar call and a borrowed string argument allocate no Go memory (docs/go.md); an
// owned string result allocates exactly the Go string it returns.
func TestAllocationsPerCall(t *testing.T) {
	c, _ := loaded(t)
	if n := allocs(t, func() error { _, err := c.Add(1, 2); return err }); n != 0 {
		t.Errorf("scalar Add: %v allocations per call, want 0", n)
	}
	if n := allocs(t, func() error { _, err := c.StrLen(s64); return err }); n != 0 {
		t.Errorf("StrLen(64-byte string): %v allocations per call, want 0", n)
	}
	if n := allocs(t, func() error { _, err := c.MakeString(64); return err }); n != 1 {
		t.Errorf("MakeString(64): %v allocations per call, want 1 (the result)", n)
	}
}

var sinkU64 uint64
var sinkU32 uint32
var sinkStr string

func BenchmarkScalarAdd(b *testing.B) {
	c, f := loaded(b)
	b.Run("floor=plain-cgo-C-function", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkU64 += PlainAdd(uint64(i), 2)
		}
	})
	b.Run("floor=raw-cgo-slot-call", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkU64 += f.Add(uint64(i), 2)
		}
	})
	b.Run("plugport", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			v, err := c.Add(uint64(i), 2)
			if err != nil {
				b.Fatal(err)
			}
			sinkU64 += v
		}
	})
}

func BenchmarkStringArg64(b *testing.B) {
	c, f := loaded(b)
	b.Run("floor=raw-cgo-slot-call", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkU32 += f.StrLen(s64)
		}
	})
	b.Run("plugport", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			v, err := c.StrLen(s64)
			if err != nil {
				b.Fatal(err)
			}
			sinkU32 += v
		}
	})
}

func BenchmarkStringResult64(b *testing.B) {
	c, f := loaded(b)
	b.Run("floor=raw-cgo-slot-call+GoStringN+free", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkStr = f.MakeString(64)
		}
	})
	b.Run("plugport", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			v, err := c.MakeString(64)
			if err != nil {
				b.Fatal(err)
			}
			sinkStr = v
		}
	})
}

// BenchmarkPairedFastest measures each generated call and its floor in alternating chunks
// of 20,000 calls, b.N chunk pairs, and reports the fastest chunk of each (ns per call)
// and their ratio. On a shared, loaded machine (docs/performance.md, "Go") the fastest
// chunk is the least disturbed estimate, and alternating puts both under the same load:
// the ns/op figure of this benchmark itself means nothing, the reported metrics do.
//
//	go test -run '^$' -bench PairedFastest -benchtime 200x .
func BenchmarkPairedFastest(b *testing.B) {
	c, f := loaded(b)
	const chunk = 20000
	type pair struct {
		name         string
		floor, gen   func()
		fastF, fastG float64
	}
	pairs := []*pair{
		{name: "add", floor: func() {
			for i := 0; i < chunk; i++ {
				sinkU64 += f.Add(uint64(i), 2)
			}
		}, gen: func() {
			for i := 0; i < chunk; i++ {
				v, err := c.Add(uint64(i), 2)
				if err != nil {
					b.Fatal(err)
				}
				sinkU64 += v
			}
		}},
		{name: "strlen", floor: func() {
			for i := 0; i < chunk; i++ {
				sinkU32 += f.StrLen(s64)
			}
		}, gen: func() {
			for i := 0; i < chunk; i++ {
				v, err := c.StrLen(s64)
				if err != nil {
					b.Fatal(err)
				}
				sinkU32 += v
			}
		}},
	}
	timed := func(run func()) float64 {
		t0 := time.Now()
		run()
		return float64(time.Since(t0).Nanoseconds()) / chunk
	}
	for i := 0; i < b.N; i++ {
		for _, p := range pairs {
			if t := timed(p.floor); p.fastF == 0 || t < p.fastF {
				p.fastF = t
			}
			if t := timed(p.gen); p.fastG == 0 || t < p.fastG {
				p.fastG = t
			}
		}
	}
	for _, p := range pairs {
		b.ReportMetric(p.fastF, p.name+"-floor-ns")
		b.ReportMetric(p.fastG, p.name+"-plugport-ns")
		b.ReportMetric(p.fastG/p.fastF, p.name+"-ratio")
	}
}
