package plugport

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*pp_go_dealloc_fn)(void *ptr, size_t size, size_t align);

static void pp_go_copy(void *dst, uintptr_t src, size_t n) {
    memcpy(dst, (const void *)src, n);
}
static void pp_go_take(void *dst, uintptr_t src, size_t n, uintptr_t dealloc, size_t align) {
    memcpy(dst, (const void *)src, n);
    if (dealloc != 0) {
        ((pp_go_dealloc_fn)dealloc)((void *)src, n, align);
    }
}
static void pp_go_store(uintptr_t dst, const void *src, size_t n) {
    memcpy((void *)dst, src, n);
}
static uintptr_t pp_go_alloc_copy(const void *src, size_t n) {
    void *p = malloc(n);
    if (p != NULL) {
        memcpy(p, src, n);
    }
    return (uintptr_t)p;
}
static void pp_go_free(uintptr_t p) { free((void *)p); }
static void pp_go_dealloc(uintptr_t dealloc, uintptr_t p, size_t size, size_t align) {
    if (dealloc != 0 && p != 0 && size > 0) {
        ((pp_go_dealloc_fn)dealloc)((void *)p, size, align);
    }
}
// A vtable starts with {uint32 size; uint32 version; dealloc}, then drop (docs/abi.md §5).
static void pp_go_drop(uintptr_t self, uintptr_t vtable) {
    const unsigned char *v = (const unsigned char *)vtable;
    uint32_t size;
    void (*drop)(void *);
    if (self == 0 || v == NULL) {
        return;
    }
    memcpy(&size, v, sizeof size);
    if (size < 24) {
        return;
    }
    memcpy(&drop, v + 16, sizeof drop);
    if (drop != NULL) {
        drop((void *)self);
    }
}
static uintptr_t pp_go_cell_new(uintptr_t h) {
    uintptr_t *cell = (uintptr_t *)malloc(sizeof *cell);
    if (cell != NULL) {
        *cell = h;
    }
    return (uintptr_t)cell;
}
static uintptr_t pp_go_cell_get(uintptr_t cell) { return *(const uintptr_t *)cell; }
*/
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// The helpers below move bytes between Go memory and C memory. C pointers are always
// uintptr on the Go side, never unsafe.Pointer or a typed pointer: a C value such as the
// dangling 0x1 that Rust uses for an empty list would crash Go's stack copier ("invalid
// pointer found on stack") if Go saw it as a pointer. Every read of C memory is a copy
// into Go memory made by C (memcpy), so no C pointer is ever dereferenced by Go code.

// Buf allocates n bytes of Go memory aligned to 8, for the C representation of a value.
func Buf(n uintptr) []byte {
	if n == 0 {
		return nil
	}
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
}

// CopyBytes copies n bytes of C memory at p into new Go memory (8-aligned).
func CopyBytes(p uintptr, n uintptr) []byte {
	if n == 0 {
		return nil
	}
	b := Buf(n)
	C.pp_go_copy(unsafe.Pointer(&b[0]), C.uintptr_t(p), C.size_t(n))
	return b
}

// TakeBytes copies n bytes of C memory at p into Go memory, then releases the C
// allocation with dealloc(p, n, align) (the dealloc of the table that produced it;
// 0 means borrowed: nothing is released).
func TakeBytes(p uintptr, n uintptr, dealloc uintptr, align uintptr) []byte {
	if n == 0 {
		return nil
	}
	b := Buf(n)
	C.pp_go_take(unsafe.Pointer(&b[0]), C.uintptr_t(p), C.size_t(n), C.uintptr_t(dealloc), C.size_t(align))
	return b
}

// TakeString copies a string of n bytes at p (C memory) and releases it like TakeBytes.
func TakeString(p uintptr, n uintptr, dealloc uintptr) string {
	if n == 0 {
		return ""
	}
	b := make([]byte, n)
	C.pp_go_take(unsafe.Pointer(&b[0]), C.uintptr_t(p), C.size_t(n), C.uintptr_t(dealloc), 1)
	return unsafe.String(&b[0], len(b))
}

// Store copies b into C memory at dst (a ret or err out-parameter of a call).
func Store(dst uintptr, b []byte) {
	if len(b) == 0 {
		return
	}
	C.pp_go_store(C.uintptr_t(dst), unsafe.Pointer(&b[0]), C.size_t(len(b)))
}

// Dealloc calls a table's dealloc for one allocation (nothing for 0 pointers or sizes).
func Dealloc(dealloc, p, size, align uintptr) {
	C.pp_go_dealloc(C.uintptr_t(dealloc), C.uintptr_t(p), C.size_t(size), C.size_t(align))
}

// Drop drops an owned handle {self, vtable} through its vtable, once; a damaged handle
// (NULL self or vtable, vtable too small for drop) is leaked, never followed.
func Drop(self, vtable uintptr) { C.pp_go_drop(C.uintptr_t(self), C.uintptr_t(vtable)) }

// Arena holds what lowering one value into C memory made: the arguments of a call (freed
// with Free after the call) or an owned result (handed to the receiver: Keep forgets
// it). Besides C allocations it tracks the own handles put into the value, moved out of
// a handle of the other side (MoveHandle) or made for a Go object (OwnCell): until the
// value is handed over (Keep for a result, Sent for arguments once the call was made),
// Free drops them, so a lowering or call that fails part way drops every own handle
// exactly once (docs/abi.md section 5, "Handle") instead of leaking it.
type Arena struct {
	allocs []uintptr
	cells  []uintptr
	owned  []ownHandle
}

// ownHandle is an own handle lowered into an arena's value: a cell this process made
// (self is the cell, vtable 0) or a handle of the other side {self, vtable}.
type ownHandle struct{ self, vtable uintptr }

// TempCell makes a cell for a Go object lent to the other side for one call (a
// borrow<R> argument of a resource implemented in Go); Free ends it.
func (a *Arena) TempCell(v any) uintptr {
	c := NewCell(v)
	a.cells = append(a.cells, c)
	return c
}

// OwnCell makes the cell of a Go object passed as `own` (an argument or a result): the
// receiver ends it with drop. Until Keep or Sent, Free drops it (DropCell).
func (a *Arena) OwnCell(v any) uintptr {
	c := NewCell(v)
	a.owned = append(a.owned, ownHandle{self: c})
	return c
}

// MoveHandle records an own handle of the other side {self, vtable} moved into the
// value: until Keep or Sent, Free drops it through its vtable (Drop).
func (a *Arena) MoveHandle(self, vtable uintptr) {
	a.owned = append(a.owned, ownHandle{self: self, vtable: vtable})
}

// Bytes copies b into a new C allocation (malloc) and returns its address; 0 for empty.
// It panics when malloc fails (a callee turns that into PP_ERR_PANIC).
func (a *Arena) Bytes(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	p := uintptr(C.pp_go_alloc_copy(unsafe.Pointer(&b[0]), C.size_t(len(b))))
	if p == 0 {
		panic("out of memory")
	}
	a.allocs = append(a.allocs, p)
	return p
}

// String copies s into C memory like Bytes.
func (a *Arena) String(s string) uintptr {
	if len(s) == 0 {
		return 0
	}
	return a.Bytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Free releases every allocation of the arena, ends its temporary cells and drops the
// own handles it still holds (those of a value that was not handed over).
func (a *Arena) Free() {
	for _, p := range a.allocs {
		C.pp_go_free(C.uintptr_t(p))
	}
	a.allocs = a.allocs[:0]
	for _, c := range a.cells {
		TakeCell(c)
	}
	a.cells = a.cells[:0]
	owned := a.owned
	a.owned = nil
	for _, h := range owned {
		if h.vtable == 0 {
			DropCell(h.self)
		} else {
			Drop(h.self, h.vtable)
		}
	}
}

// Keep forgets the allocations and own handles: they now belong to the receiver of the
// value (a result stored into the caller's ret).
func (a *Arena) Keep() {
	a.allocs = a.allocs[:0]
	a.owned = a.owned[:0]
}

// Sent forgets the own handles of arguments once the call was made: the callee (or the
// checked caller, for an absent slot) drops them on every status. Allocations stay for
// Free.
func (a *Arena) Sent() { a.owned = a.owned[:0] }

// SetError stores an owned copy of msg (malloc; the table's dealloc is free) into the
// pp_string at errp: the error message of a failing callee (docs/abi.md §5).
func SetError(errp uintptr, msg string) {
	if errp == 0 || msg == "" {
		return
	}
	p := uintptr(C.pp_go_alloc_copy(unsafe.Pointer(unsafe.StringData(msg)), C.size_t(len(msg))))
	if p == 0 {
		return
	}
	var s [2]uintptr
	s[0], s[1] = p, uintptr(len(msg))
	C.pp_go_store(C.uintptr_t(errp), unsafe.Pointer(&s[0]), C.size_t(unsafe.Sizeof(s)))
}

var liveObjects atomic.Int64

// NewCell makes the self of a resource implemented in Go: a C allocation holding a
// cgo.Handle of v. The object counts as live until TakeCell or DropCell.
func NewCell(v any) uintptr {
	h := cgo.NewHandle(v)
	cell := uintptr(C.pp_go_cell_new(C.uintptr_t(h)))
	if cell == 0 {
		h.Delete()
		panic("out of memory")
	}
	liveObjects.Add(1)
	return cell
}

// CellValue is the Go object of a cell made by NewCell (a borrowed handle).
func CellValue(cell uintptr) any {
	return cgo.Handle(C.pp_go_cell_get(C.uintptr_t(cell))).Value()
}

// HandleValue is the Go object of the cgo.Handle h that a cell holds (read by C from
// the cell: the self of a method call).
func HandleValue(h uintptr) any { return cgo.Handle(h).Value() }

// TakeCell ends a cell (an own handle passed back, or drop) and returns its object.
func TakeCell(cell uintptr) any {
	h := cgo.Handle(C.pp_go_cell_get(C.uintptr_t(cell)))
	v := h.Value()
	h.Delete()
	C.pp_go_free(C.uintptr_t(cell))
	liveObjects.Add(-1)
	return v
}

// DropCell ends a cell as the other side's drop does: TakeCell, then the object's Drop
// method if it has one (`interface{ Drop() }`). A panic in Drop is recovered: a drop
// cannot fail and must not unwind (docs/abi.md section 5).
func DropCell(cell uintptr) {
	defer func() { _ = recover() }()
	if d, ok := TakeCell(cell).(interface{ Drop() }); ok {
		d.Drop()
	}
}

// LiveObjects is how many cells (resource objects implemented in Go) are alive in this
// process: the value of a Go plugin's plugport_live_objects (docs/abi.md §7).
func LiveObjects() int64 { return liveObjects.Load() }

// Bool8 is the C representation of a bool (0 or 1).
func Bool8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
