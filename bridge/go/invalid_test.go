package plugport

import (
	"errors"
	"testing"
)

// A generated caller lifts a received result through LiftResult: a lift that panics with
// InvalidData (a map with a duplicate key, docs/abi.md §3 "Maps") becomes a *CallError
// with StatusInvalidResult and the zero value; any other panic goes on.
func TestLiftResultTurnsInvalidDataIntoAnInvalidResult(t *testing.T) {
	v, err := LiftResult("kv.counts", func() map[string]uint32 {
		panic(DuplicateKey(2, "k"))
	})
	if v != nil {
		t.Fatalf("value %v, want the zero value", v)
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != StatusInvalidResult || !errors.Is(err, ErrInvalidResult) {
		t.Fatalf("err %v, want a CallError with StatusInvalidResult", err)
	}
	if ce.Func != "kv.counts" || ce.Message != `[2]: duplicate key "k" in a map (docs/abi.md §3)` {
		t.Fatalf("func %q message %q", ce.Func, ce.Message)
	}
	if got := DuplicateKey(1, rune('a')).Message; got != "[1]: duplicate key 97 in a map (docs/abi.md §3)" {
		t.Fatalf("non-string key: %q", got)
	}

	ok, err := LiftResult("kv.quad", func() [4]uint8 { return [4]uint8{1, 2, 3, 4} })
	if err != nil || ok != [4]uint8{1, 2, 3, 4} {
		t.Fatalf("a lift that succeeds: %v %v", ok, err)
	}

	defer func() {
		if r := recover(); r != "another panic" {
			t.Fatalf("recovered %v, want the original panic", r)
		}
	}()
	_, _ = LiftResult("kv.x", func() int { panic("another panic") })
	t.Fatal("the panic did not go on")
}
