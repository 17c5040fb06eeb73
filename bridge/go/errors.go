// Package plugport is the Go side of the plugport runtime: the ABI status codes and
// errors (docs/abi.md §2, §5), the load errors of libplugport (docs/errors.md), WIT
// result values, and the memory helpers the generated bindings (`plugport gen --lang
// go`) use to copy values across the C boundary. It links only the C library: a Go
// plugin that imports it does not depend on libplugport. Loading plugins is in the
// subpackage loader.
package plugport

import (
	"errors"
	"fmt"
)

// Status is a pp_status of the plugport ABI (docs/abi.md §2).
type Status int32

// The statuses of docs/abi.md §2.
const (
	StatusOK              Status = 0 // success
	StatusPanic           Status = 1 // the callee panicked or failed; the message says why
	StatusInvalidArgument Status = 2 // the callee rejected an argument
	StatusUnsupported     Status = 3 // caller side: the slot is absent (older plugin)
	StatusInvalidResult   Status = 4 // caller side: the callee's result failed the checks
	StatusInit            Status = 5 // the plugin entry refused to initialise
	// StatusIsolation: the plugin runs in a child process (docs/isolation.md) that could
	// not answer: it crashed, aborted, exited or was killed, or the call passed its
	// deadline. The message says which; the next call starts the plugin again.
	StatusIsolation Status = 6
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "PP_OK"
	case StatusPanic:
		return "PP_ERR_PANIC"
	case StatusInvalidArgument:
		return "PP_ERR_INVALID_ARGUMENT"
	case StatusUnsupported:
		return "PP_ERR_UNSUPPORTED"
	case StatusInvalidResult:
		return "PP_ERR_INVALID_RESULT"
	case StatusInit:
		return "PP_ERR_INIT"
	case StatusIsolation:
		return "PP_ERR_ISOLATION"
	}
	return fmt.Sprintf("pp_status(%d)", int32(s))
}

// Sentinel errors for errors.Is: every *CallError matches the one of its status.
var (
	ErrPanic           = errors.New("plugport: the callee panicked or failed")
	ErrInvalidArgument = errors.New("plugport: the callee rejected an argument")
	ErrUnsupported     = errors.New("plugport: function not provided by this plugin")
	ErrInvalidResult   = errors.New("plugport: the callee's result failed validation")
	ErrInit            = errors.New("plugport: the plugin entry refused to initialise")
	ErrIsolation       = errors.New("plugport: the isolated plugin process could not answer")
	// ErrClosed is returned by a call on a resource handle after its Close.
	ErrClosed = errors.New("plugport: resource handle used after Close")
)

// CallError is the error of a call through a function table that did not return
// PP_OK: its status, the WIT function (`interface.function`) and the callee's (or the
// checked caller's) message, copied into Go memory.
type CallError struct {
	Status  Status
	Func    string
	Message string
}

func (e *CallError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s: %s", e.Func, e.Status)
	}
	return fmt.Sprintf("%s: %s: %s", e.Func, e.Status, e.Message)
}

// Is matches the sentinel of the error's status (ErrPanic, ErrUnsupported, ...).
func (e *CallError) Is(target error) bool {
	return target != nil && target == statusSentinel(e.Status)
}

func statusSentinel(s Status) error {
	switch s {
	case StatusPanic:
		return ErrPanic
	case StatusInvalidArgument:
		return ErrInvalidArgument
	case StatusUnsupported:
		return ErrUnsupported
	case StatusInvalidResult:
		return ErrInvalidResult
	case StatusInit:
		return ErrInit
	case StatusIsolation:
		return ErrIsolation
	}
	return nil
}

// InvalidData is what generated bindings panic with when a received value is valid C but
// cannot be its Go value: a map with a duplicate key (docs/abi.md §3, "Maps"). The
// generated callee answers it with PP_ERR_INVALID_ARGUMENT, the generated caller returns
// it as a *CallError with StatusInvalidResult (LiftResult); it never reaches user code.
type InvalidData struct {
	Message string
}

func (e InvalidData) Error() string { return e.Message }

// DuplicateKey is the InvalidData of a map whose entry i repeats the key k of an
// earlier entry.
func DuplicateKey(i int, k any) InvalidData {
	if s, ok := k.(string); ok {
		return InvalidData{Message: fmt.Sprintf("[%d]: duplicate key %q in a map (docs/abi.md §3)", i, s)}
	}
	return InvalidData{Message: fmt.Sprintf("[%d]: duplicate key %v in a map (docs/abi.md §3)", i, k)}
}

// LiftResult runs lift (the generated lift of a received result) and returns its value,
// or, when it panics with InvalidData, a *CallError with StatusInvalidResult for the WIT
// function what. Any other panic goes on.
func LiftResult[T any](what string, lift func() T) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			inv, ok := r.(InvalidData)
			if !ok {
				panic(r)
			}
			var zero T
			v, err = zero, &CallError{Status: StatusInvalidResult, Func: what, Message: inv.Message}
		}
	}()
	return lift(), nil
}

// StatusOf is the status a callee returns for err: PP_ERR_INVALID_ARGUMENT when err
// wraps ErrInvalidArgument, PP_ERR_PANIC for any other error, PP_OK for nil. Generated
// callees (Go plugins, Go host imports) use it for the error a Go implementation returns.
func StatusOf(err error) Status {
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrInvalidArgument):
		return StatusInvalidArgument
	}
	return StatusPanic
}

// LoadCode is a PLUGPORT_E_* code of libplugport (headers/plugport.h, docs/errors.md).
type LoadCode int32

// The PLUGPORT_E_* codes.
const (
	CodeIO                LoadCode = 1
	CodeNotSharedLibrary  LoadCode = 2
	CodeNotAPlugin        LoadCode = 3
	CodeCorruptDescriptor LoadCode = 4
	CodeABIVersion        LoadCode = 5
	CodePackageMismatch   LoadCode = 6
	CodeMajorVersion      LoadCode = 7
	CodeWorldMismatch     LoadCode = 8
	CodeIncompatible      LoadCode = 9
	CodeDlopen            LoadCode = 10
	CodeMissingEntry      LoadCode = 11
	CodeInitFailed        LoadCode = 12
	CodeBadExports        LoadCode = 13
	CodeHostWorld         LoadCode = 14
	CodeWrongArchitecture LoadCode = 15
	CodeInvalidArgument   LoadCode = 16
	CodeRuntimePanic      LoadCode = 17
	CodeGoRuntime         LoadCode = 18
	CodeNotAllowed        LoadCode = 19
	codeCount                      = 20
)

// Sentinel errors of the load codes, for errors.Is on a *LoadError.
var (
	ErrIO                = errors.New("plugport: cannot read the plugin file")
	ErrNotSharedLibrary  = errors.New("plugport: not a shared library")
	ErrNotAPlugin        = errors.New("plugport: not a plugport plugin")
	ErrCorruptDescriptor = errors.New("plugport: corrupt descriptor")
	ErrABIVersion        = errors.New("plugport: another plugport ABI version")
	ErrPackageMismatch   = errors.New("plugport: another package")
	ErrMajorVersion      = errors.New("plugport: another major version")
	ErrWorldMismatch     = errors.New("plugport: another world")
	ErrIncompatible      = errors.New("plugport: incompatible interface")
	ErrDlopen            = errors.New("plugport: the dynamic loader refused the file")
	ErrMissingEntry      = errors.New("plugport: no entry symbol")
	ErrInitFailed        = errors.New("plugport: the plugin entry failed")
	ErrBadExports        = errors.New("plugport: unusable exports table")
	ErrHostWorld         = errors.New("plugport: invalid host world")
	ErrWrongArchitecture = errors.New("plugport: another CPU architecture")
	ErrLoadArgument      = errors.New("plugport: invalid argument to the loader")
	ErrRuntimePanic      = errors.New("plugport: internal error of the runtime")
	// ErrGoRuntime: a Go plugin where a Go runtime already runs (a Go host, a second Go
	// plugin, a second image of a Go plugin); docs/go.md.
	ErrGoRuntime = errors.New("plugport: a second Go runtime in this process")
	// ErrNotAllowed: the file's SHA-256 is not on the open's allowlist
	// (PLUGPORT_ALLOW_SHA256; docs/isolation.md, "Allowlist").
	ErrNotAllowed = errors.New("plugport: the file's SHA-256 is not on the allowlist")
)

var loadSentinels = [codeCount]error{
	nil, ErrIO, ErrNotSharedLibrary, ErrNotAPlugin, ErrCorruptDescriptor, ErrABIVersion,
	ErrPackageMismatch, ErrMajorVersion, ErrWorldMismatch, ErrIncompatible, ErrDlopen,
	ErrMissingEntry, ErrInitFailed, ErrBadExports, ErrHostWorld, ErrWrongArchitecture,
	ErrLoadArgument, ErrRuntimePanic, ErrGoRuntime, ErrNotAllowed,
}

// LoadError is a refusal of plugport_open or plugport_reload: the PLUGPORT_E_* code,
// the path and libplugport's message (which names the expected and the found value).
type LoadError struct {
	Code    LoadCode
	Path    string
	Message string
}

func (e *LoadError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("cannot load %s: PLUGPORT_E code %d", e.Path, int32(e.Code))
}

// Is matches the sentinel of the error's code (ErrIncompatible, ErrNotAPlugin, ...).
func (e *LoadError) Is(target error) bool {
	if e.Code <= 0 || int(e.Code) >= len(loadSentinels) {
		return false
	}
	return target != nil && target == loadSentinels[e.Code]
}

// Result is a WIT result<T, E>: Ok when IsErr is false, Err otherwise. A result of a
// call is a value (PP_OK with is_err set), never a Go error of the call itself; Error
// gives the error side as a Go error.
type Result[T, E any] struct {
	IsErr bool
	Ok    T
	Err   E
}

// Ok makes a successful result.
func Ok[T, E any](v T) Result[T, E] { return Result[T, E]{Ok: v} }

// Fail makes a failed result.
func Fail[T, E any](e E) Result[T, E] { return Result[T, E]{IsErr: true, Err: e} }

// Error is nil for an Ok result; otherwise Err when it implements error (generated
// WIT types used as the error side of a result do), else a *ResultError holding it.
func (r Result[T, E]) Error() error {
	if !r.IsErr {
		return nil
	}
	if e, ok := any(r.Err).(error); ok {
		return e
	}
	return &ResultError{Value: r.Err}
}

// ResultError wraps the error side of a WIT result whose Go type is no error (a string,
// a number).
type ResultError struct{ Value any }

func (e *ResultError) Error() string { return fmt.Sprint(e.Value) }

// Unit is the Go type of an absent side of a WIT result (result<_, E>, result<T>).
type Unit = struct{}
