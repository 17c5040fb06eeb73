package hostgo

import (
	"path/filepath"
	"testing"
)

// A call with scalar arguments and a scalar result allocates no Go memory: arguments and
// the result cross by value, status and error come back by value (docs/go.md).
func TestAScalarCallAllocatesNothing(t *testing.T) {
	for _, path := range plugins(t) {
		e := load(t, path).Echo()
		var sink uint64
		allocs := testing.AllocsPerRun(1000, func() {
			v, err := e.EchoU64(42)
			if err != nil {
				t.Fatal(err)
			}
			sink += v
		})
		if allocs != 0 {
			t.Fatalf("%s: %v allocations per scalar call", filepath.Base(path), allocs)
		}
		if sink == 0 {
			t.Fatal("no call returned")
		}
	}
}

// BenchmarkScalarCall measures a Go host calling a plugin's scalar slot (echo-u64).
func BenchmarkScalarCall(b *testing.B) {
	paths, err := pluginPaths()
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range paths {
		w, err := loadB(path)
		if err != nil {
			b.Fatal(err)
		}
		e := w.Echo()
		b.Run(filepath.Base(path), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.EchoU64(uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
		w.Close()
	}
}
