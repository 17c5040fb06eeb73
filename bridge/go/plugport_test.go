package plugport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCallErrorMatchesTheSentinelOfItsStatusOnly(t *testing.T) {
	cases := []struct {
		st   Status
		want error
	}{
		{StatusPanic, ErrPanic},
		{StatusInvalidArgument, ErrInvalidArgument},
		{StatusUnsupported, ErrUnsupported},
		{StatusInvalidResult, ErrInvalidResult},
		{StatusInit, ErrInit},
		{StatusIsolation, ErrIsolation},
	}
	all := []error{ErrPanic, ErrInvalidArgument, ErrUnsupported, ErrInvalidResult, ErrInit, ErrIsolation}
	for _, c := range cases {
		err := fmt.Errorf("wrapped: %w", &CallError{Status: c.st, Func: "greet.greet", Message: "boom"})
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == c.want) {
				t.Errorf("status %v: errors.Is(%v) = %v", c.st, s, got)
			}
		}
		var ce *CallError
		if !errors.As(err, &ce) || ce.Func != "greet.greet" {
			t.Errorf("errors.As: %v", err)
		}
		if !strings.Contains(err.Error(), "greet.greet: "+c.st.String()+": boom") {
			t.Errorf("message: %q", err.Error())
		}
	}
}

func TestLoadErrorMatchesItsCode(t *testing.T) {
	err := error(&LoadError{Code: CodeIncompatible, Path: "x.so", Message: "x.so: expected a, found b"})
	if !errors.Is(err, ErrIncompatible) || errors.Is(err, ErrNotAPlugin) {
		t.Fatalf("errors.Is on %v", err)
	}
	if err.Error() != "x.so: expected a, found b" {
		t.Fatalf("message %q", err.Error())
	}
	if errors.Is(&LoadError{Code: 99}, ErrIO) {
		t.Fatal("an unknown code matched ErrIO")
	}
}

func TestStatusOfMapsReturnedErrors(t *testing.T) {
	if StatusOf(nil) != StatusOK {
		t.Fatal("nil")
	}
	if StatusOf(errors.New("x")) != StatusPanic {
		t.Fatal("plain error")
	}
	if StatusOf(fmt.Errorf("name: %w", ErrInvalidArgument)) != StatusInvalidArgument {
		t.Fatal("wrapped ErrInvalidArgument")
	}
}

type codeErr uint8

func (c codeErr) Error() string { return fmt.Sprintf("code %d", uint8(c)) }

func TestResultError(t *testing.T) {
	if Ok[int, string](3).Error() != nil {
		t.Fatal("ok result has an error")
	}
	var re *ResultError
	if err := Fail[int]("bad").Error(); !errors.As(err, &re) || err.Error() != "bad" {
		t.Fatalf("string error side: %v", err)
	}
	if err := Fail[int](codeErr(7)).Error(); err != codeErr(7) {
		t.Fatalf("error-typed error side: %v", err)
	}
}

func TestBytesRoundTripThroughCMemory(t *testing.T) {
	var a Arena
	src := []byte("hello, 世界")
	p := a.Bytes(src)
	if p == 0 {
		t.Fatal("no C memory")
	}
	if got := string(CopyBytes(p, uintptr(len(src)))); got != string(src) {
		t.Fatalf("copy: %q", got)
	}
	s := a.String("abc")
	if got := TakeString(s, 3, 0); got != "abc" { // dealloc 0: borrowed, not released
		t.Fatalf("string: %q", got)
	}
	if a.Bytes(nil) != 0 || a.String("") != 0 || CopyBytes(0, 0) != nil {
		t.Fatal("empty values must not allocate")
	}
	// Store writes into C memory.
	Store(p, []byte("HELLO"))
	if got := string(CopyBytes(p, 5)); got != "HELLO" {
		t.Fatalf("store: %q", got)
	}
	a.Free()
	if len(a.allocs) != 0 {
		t.Fatal("Free kept allocations")
	}
}

func TestBufIsAlignedTo8(t *testing.T) {
	for n := uintptr(1); n < 64; n++ {
		b := Buf(n)
		if len(b) != int(n) || uintptrOf(b)%8 != 0 {
			t.Fatalf("Buf(%d): len %d, address %x", n, len(b), uintptrOf(b))
		}
	}
}

func TestCellsHoldTheirObjectAndCountLiveObjects(t *testing.T) {
	before := LiveObjects()
	obj := &struct{ n int }{42}
	c := NewCell(obj)
	if LiveObjects() != before+1 {
		t.Fatal("live count not incremented")
	}
	if CellValue(c) != any(obj) {
		t.Fatal("CellValue")
	}
	var a Arena
	tc := a.TempCell("lent")
	if CellValue(tc) != any("lent") || LiveObjects() != before+2 {
		t.Fatal("TempCell")
	}
	a.Free()
	if TakeCell(c) != any(obj) || LiveObjects() != before {
		t.Fatalf("TakeCell / live %d, want %d", LiveObjects(), before)
	}
}

type dropCounter struct{ drops *int }

func (d dropCounter) Drop() { *d.drops++ }

// Own handles lowered into an arena are dropped by Free unless the value was handed over
// (Keep for a result, Sent for the arguments of a call that was made).
func TestArenaDropsOwnHandlesNotHandedOver(t *testing.T) {
	before := LiveObjects()
	drops := 0
	var a Arena
	a.OwnCell(dropCounter{&drops})
	a.Free()
	if drops != 1 || LiveObjects() != before {
		t.Fatalf("Free: %d drops, %d live; want 1 drop, %d live", drops, LiveObjects(), before)
	}
	for _, handOver := range []func(*Arena){(*Arena).Keep, (*Arena).Sent} {
		drops = 0
		c := a.OwnCell(dropCounter{&drops})
		handOver(&a)
		a.Free()
		if drops != 0 || LiveObjects() != before+1 {
			t.Fatalf("handed over: %d drops, %d live", drops, LiveObjects())
		}
		DropCell(c) // what the receiver's drop does
		if drops != 1 || LiveObjects() != before {
			t.Fatalf("DropCell: %d drops, %d live", drops, LiveObjects())
		}
	}
}
