// A Go plugin of test:collections (tests/wit/accept/collections.wit): maps as Go maps,
// fixed-length lists as Go arrays (docs/go.md), with the same answers as the C plugin
// (../c/collections.c) and the Rust guest of tests/rust-roundtrip. tests/collections_go.rs
// builds it with `go build -buildmode=c-shared` in a module of its own (a go.mod that
// replaces the runtime module by bridge/go) with the package collectionsplugin, which
// build.rs generates (plugport gen --lang go-guest), and loads it from Rust.
package main

import (
	"sync/atomic"

	plugport "example.invalid/plugport/go"

	cp "example.invalid/plugport/tests/constructs/go/collectionsplugin"
)

// live counts the counters alive in this plugin.
var live atomic.Int64

type counter struct{ value uint32 }

func newCounter(v uint32) *counter {
	live.Add(1)
	return &counter{value: v}
}

func (c *counter) Value() (uint32, error) { return c.value, nil }

// Drop runs when the host drops the handle, or when the plugin consumes the counter.
func (c *counter) Drop() { live.Add(-1) }

type kv struct{}

func (kv) Counts(m map[string]uint32) (map[string]uint32, error) {
	out := make(map[string]uint32, len(m))
	for k, v := range m {
		out[k] = v + 1
	}
	return out, nil
}

func (kv) Places(m map[string]cp.Pixel) (map[string]cp.Pixel, error) { return m, nil }

func (kv) ById(m map[uint64]*string) (map[uint64]*string, error) { return m, nil }

func (kv) ByChar(m map[rune]bool) (uint32, error) {
	var n uint32
	for k, v := range m {
		if v {
			n++
		}
		if k > 0xFFFF {
			n += 1000
		}
	}
	return n, nil
}

func (kv) Quad(v [4]uint8) ([4]uint8, error) { return [4]uint8{v[3], v[2], v[1], v[0]}, nil }

func (kv) Pair(v [2]string) ([2]string, error) { return [2]string{v[1], v[0]}, nil }

func (kv) Floats(ok bool) (plugport.Result[[3]float32, string], error) {
	if ok {
		return plugport.Ok[[3]float32, string]([3]float32{1.5, 0, 3.25}), nil
	}
	return plugport.Fail[[3]float32]("no floats"), nil
}

func (kv) Grid(g [3][2]int16) ([3][2]int16, error) {
	for i := range g {
		for j := range g[i] {
			g[i][j] = -g[i][j]
		}
	}
	return g, nil
}

// Counters consumes the counters it is sent and answers two new ones: how many it
// received and the sum of their values.
func (kv) Counters(m map[string]cp.Counter) ([2]cp.Counter, error) {
	var sum uint32
	for _, c := range m {
		k := c.(*counter)
		sum += k.value
		k.Drop()
	}
	return [2]cp.Counter{newCounter(uint32(len(m))), newCounter(sum)}, nil
}

func init() {
	cp.Export(cp.Exports{Kv: kv{}})
}

func main() {}
