// A Go plugin of test:worldres (tests/wit/accept/worldres.wit): a resource declared at
// world level, implemented by the host (docs/abi.md section 5, "Resources declared at
// world level"), with the same answers as the C plugin (../c/worldres.c) and the Rust
// guest of tests/rust-roundtrip. The plugin creates counters through the host's table
// (Host.Worldres()), calls their methods and the static merge, lends them to the host's
// Peek, returns them and takes them; it closes every owned counter it holds.
// tests/worldres_go.rs builds it with `go build -buildmode=c-shared` against the package
// worldresplugin that build.rs generates.
package main

import (
	wp "example.invalid/plugport/tests/constructs/go/worldresplugin"
)

func get(c *wp.Counter) (uint32, error) { return c.Get() }

func makeCounter(start uint32) (*wp.Counter, error) {
	return wp.Host.Worldres().NewCounter(start)
}

// take reads the counter it owns, then closes it.
func take(c *wp.Counter) (uint32, error) {
	defer c.Close()
	return get(c)
}

// sum adds every counter's value; it closes the owned ones (items, extra).
func sum(items []*wp.Counter, views []*wp.Counter, extra **wp.Counter) (uint32, error) {
	owned := append([]*wp.Counter{}, items...)
	if extra != nil {
		owned = append(owned, *extra)
	}
	defer func() {
		for _, c := range owned {
			c.Close()
		}
	}()
	var total uint32
	for _, c := range append(owned, views...) {
		v, err := get(c)
		if err != nil {
			return 0, err
		}
		total += v
	}
	return total, nil
}

func wrap(label string, start *uint32) (wp.Slot, error) {
	s := wp.Slot{Label: label}
	if start != nil {
		c, err := makeCounter(*start)
		if err != nil {
			return s, err
		}
		s.Item = &c
	}
	return s, nil
}

// open hands the slot's counter back, or (label "drop") closes it and answers none.
func open(s wp.Slot) (**wp.Counter, error) {
	if s.Label == "drop" {
		if s.Item != nil {
			(*s.Item).Close()
		}
		return nil, nil
	}
	return s.Item, nil
}

func lend(start uint32) (uint32, error) {
	a, err := makeCounter(start)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	seen, err := wp.Host.Peek(a)
	if err != nil {
		return 0, err
	}
	b, err := makeCounter(seen * 10)
	if err != nil {
		return 0, err
	}
	merged, err := wp.Host.Worldres().CounterMerge(a, b)
	if err != nil {
		return 0, err
	}
	defer merged.Close()
	return merged.Add(1)
}

// forge: a Go plugin cannot make a handle the host did not create (Counter has no
// public constructor). It reports instead what a counter used after its Close gives:
// plugport.ErrClosed, without calling the host.
func forge() (string, error) {
	c, err := makeCounter(3)
	if err != nil {
		return "", err
	}
	c.Close()
	if _, err := c.Get(); err != nil {
		return err.Error(), nil
	}
	return "", nil
}

func init() {
	wp.Export(wp.Exports{
		Make:  makeCounter,
		Take:  take,
		Look:  get,
		Sum:   sum,
		Wrap:  wrap,
		Open:  open,
		Lend:  lend,
		Forge: forge,
	})
}

func main() {}
