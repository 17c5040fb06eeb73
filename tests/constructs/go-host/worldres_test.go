// A Go host of test:worldres (tests/wit/accept/worldres.wit) that implements the resource
// declared at world level (docs/abi.md section 5, "Resources declared at world level"),
// against the C plugin of tests/constructs (../c/worldres.c), through libplugport: the
// plugin creates counters through the host's constructor, calls their methods and the
// static merge, lends them to the host's Peek, returns them and takes them, also in
// lists, an option and a record. Every counter ends exactly once (Drop counts them), and
// a handle the host did not make is refused while the own one passed with it is still
// dropped. tests/go_host.rs runs it with the path of the C plugin in WORLDRES_C.
package gohost

import (
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"example.invalid/plugport/tests/constructs/gohost/worldres"
)

// alive counts the host's counters not yet dropped.
var alive atomic.Int64

type counter struct{ v atomic.Uint32 }

func newCounter(v uint32) *counter {
	alive.Add(1)
	c := &counter{}
	c.v.Store(v)
	return c
}

func (c *counter) Get() (uint32, error)         { return c.v.Load(), nil }
func (c *counter) Add(n uint32) (uint32, error) { return c.v.Add(n), nil }

// Drop runs when the last holder drops the handle.
func (c *counter) Drop() { alive.Add(-1) }

type table struct{}

func (table) NewCounter(start uint32) (worldres.Counter, error) { return newCounter(start), nil }

func (table) CounterMerge(a worldres.Counter, b worldres.Counter) (worldres.Counter, error) {
	x, _ := a.Get()
	y, _ := b.Get()
	b.(*counter).Drop() // b is owned: this call consumes it
	return newCounter(x + y), nil
}

var peeked []uint32

func value(t *testing.T, c worldres.Counter) uint32 {
	t.Helper()
	k, ok := c.(*counter)
	if !ok {
		t.Fatalf("not a counter of this host: %T", c)
	}
	return k.v.Load()
}

func TestTheCPluginUsesTheGoHostsWorldLevelResource(t *testing.T) {
	path := os.Getenv("WORLDRES_C")
	if path == "" {
		t.Fatal("WORLDRES_C is not set (tests/constructs/tests/go_host.rs sets it)")
	}
	w, err := worldres.Load(path, worldres.Imports{
		Worldres: table{},
		Peek: func(c worldres.Counter) (uint32, error) {
			v, err := c.Get()
			peeked = append(peeked, v)
			return v, err
		},
		Live: func() (uint32, error) { return uint32(alive.Load()), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	base := alive.Load()
	expectAlive := func(n int64, what string) {
		t.Helper()
		if got := alive.Load() - base; got != n {
			t.Fatalf("%s: %d counters alive, want %d", what, got, n)
		}
	}

	c, err := w.Make(41)
	if err != nil || value(t, c) != 41 {
		t.Fatalf("make: %v %v", c, err)
	}
	expectAlive(1, "made by the plugin through the host's constructor")
	if v, err := w.Look(c); err != nil || v != 41 {
		t.Fatalf("look: %d %v", v, err)
	}
	if v, err := w.Take(c); err != nil || v != 41 {
		t.Fatalf("take: %d %v", v, err)
	}
	expectAlive(0, "the plugin dropped the counter it took")

	kept := newCounter(100)
	extra := worldres.Counter(newCounter(1000))
	n, err := w.Sum([]worldres.Counter{newCounter(1), newCounter(2), newCounter(3)}, []worldres.Counter{kept}, &extra)
	if err != nil || n != 1106 {
		t.Fatalf("sum: %d %v", n, err)
	}
	expectAlive(1, "owned items and extra dropped, the borrowed one kept")
	kept.Drop()
	expectAlive(0, "kept dropped")

	seven := uint32(7)
	s, err := w.Wrap("held", &seven)
	if err != nil || s.Label != "held" || s.Item == nil || value(t, *s.Item) != 7 {
		t.Fatalf("wrap: %+v %v", s, err)
	}
	back, err := w.Open(s)
	if err != nil || back == nil || value(t, *back) != 7 {
		t.Fatalf("open: %v %v", back, err)
	}
	gone, err := w.Open(worldres.Slot{Label: "drop", Item: back})
	if err != nil || gone != nil {
		t.Fatalf("open drop: %v %v", gone, err)
	}
	expectAlive(0, "the plugin dropped the slot's counter")

	peeked = nil
	if v, err := w.Lend(4); err != nil || v != 4+40+1 {
		t.Fatalf("lend: %d %v", v, err)
	}
	if len(peeked) != 1 || peeked[0] != 4 {
		t.Fatalf("peeked %v", peeked)
	}
	expectAlive(0, "lend dropped every counter it made")

	msg, err := w.Forge()
	text := msg
	if err != nil {
		text += err.Error()
	}
	if !strings.Contains(text, "did not make") {
		t.Fatalf("forge: %q %v", msg, err)
	}
	expectAlive(0, "the own counter of the refused call was dropped")
}
