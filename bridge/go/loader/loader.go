// Package loader opens plugport plugins through libplugport's C API (headers/plugport.h),
// for Go hosts: the same loader, with the same checks, as C and Rust hosts use. Generated
// host bindings (`plugport gen --lang go-host`) call Adopt with the result of their
// world's `<prefix>_<world>_open` helper; hosts use the *Plugin through the generated
// World type.
//
// It finds libplugport with pkg-config (`#cgo pkg-config: plugport`): set
// PKG_CONFIG_PATH to the directory holding plugport.pc (docs/go.md).
package loader

/*
#cgo pkg-config: plugport
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "plugport.h"

typedef struct pp_go_reload_out { int32_t code; uintptr_t message; } pp_go_reload_out;

// Copies the thread's last error in the same C call (plugport_last_error is per thread,
// and a goroutine may change threads between two cgo calls).
static uintptr_t pp_go_last_error(void) {
    const char *m = plugport_last_error();
    return m == NULL ? 0 : (uintptr_t)strdup(m);
}
static pp_go_reload_out pp_go_reload(uintptr_t p) {
    pp_go_reload_out o;
    o.code = plugport_reload((plugport_plugin *)p);
    o.message = o.code == PLUGPORT_OK ? 0 : pp_go_last_error();
    return o;
}
static size_t pp_go_strlen(uintptr_t s) { return s == 0 ? 0 : strlen((const char *)s); }
static void pp_go_copy(void *dst, uintptr_t src, size_t n) { memcpy(dst, (const void *)src, n); }
static void pp_go_free(uintptr_t p) { free((void *)p); }
static uintptr_t pp_go_exports(uintptr_t p) { return (uintptr_t)plugport_exports((const plugport_plugin *)p); }
static uintptr_t pp_go_name(uintptr_t p) { return (uintptr_t)plugport_plugin_name((const plugport_plugin *)p); }
static uintptr_t pp_go_version(uintptr_t p) { return (uintptr_t)plugport_plugin_version((const plugport_plugin *)p); }
static uintptr_t pp_go_fingerprint(uintptr_t p) { return (uintptr_t)plugport_fingerprint((const plugport_plugin *)p); }
static void pp_go_close(uintptr_t p) { plugport_close((plugport_plugin *)p); }
static size_t pp_go_release_previous(uintptr_t p) { return plugport_release_previous((plugport_plugin *)p); }
static size_t pp_go_loaded_images(uintptr_t p) { return plugport_loaded_images((const plugport_plugin *)p); }
static int64_t pp_go_live_objects(uintptr_t p) { return plugport_live_objects((const plugport_plugin *)p); }
static int32_t pp_go_is_isolated(uintptr_t p) { return plugport_is_isolated((const plugport_plugin *)p); }
static int64_t pp_go_child_pid(uintptr_t p) { return plugport_child_pid((const plugport_plugin *)p); }
static uint64_t pp_go_restart_count(uintptr_t p) { return plugport_restart_count((const plugport_plugin *)p); }
// The last exit reason, malloc'ed and NUL-terminated (0 when there is none).
static uintptr_t pp_go_last_exit_reason(uintptr_t p) {
    size_t n = plugport_last_exit_reason((const plugport_plugin *)p, NULL, 0);
    char *buf;
    if (n == 0 || (buf = (char *)malloc(n + 1)) == NULL) {
        return 0;
    }
    plugport_last_exit_reason((const plugport_plugin *)p, buf, n + 1);
    return (uintptr_t)buf;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"

	plugport "example.invalid/plugport/go"
)

// ErrClosed is returned by operations on a closed plugin.
var ErrClosed = errors.New("plugport: plugin is closed")

// Plugin is an open plugin (a plugport_plugin of the C API). Its methods are safe for
// concurrent use, except that Reload, ReleasePrevious and Close must not run while
// calls into the plugin are in flight (as in the C API).
type Plugin struct {
	mu   sync.RWMutex
	p    uintptr // plugport_plugin *, 0 once closed
	path string
}

// cstring copies a NUL-terminated C string (at s, C memory) into Go; "" for 0.
func cstring(s uintptr) string {
	n := uintptr(C.pp_go_strlen(C.uintptr_t(s)))
	if n == 0 {
		return ""
	}
	b := make([]byte, n)
	C.pp_go_copy(unsafe.Pointer(&b[0]), C.uintptr_t(s), C.size_t(n))
	return string(b)
}

// TakeMessage copies and frees a message strdup'ed by a generated open helper.
func TakeMessage(m uintptr) string {
	s := cstring(m)
	C.pp_go_free(C.uintptr_t(m))
	return s
}

// Adopt wraps the result of a generated `<prefix>_<world>_open` call: code is its
// PLUGPORT_* return value, p the plugport_plugin pointer, message the strdup'ed
// plugport_last_error() (freed here). It returns the plugin, or a *plugport.LoadError.
func Adopt(code int32, p uintptr, message uintptr, path string) (*Plugin, error) {
	msg := TakeMessage(message)
	if code != 0 {
		return nil, &plugport.LoadError{Code: plugport.LoadCode(code), Path: path, Message: msg}
	}
	return &Plugin{p: p, path: path}, nil
}

// Path is the path the plugin was opened from.
func (pl *Plugin) Path() string { return pl.path }

func (pl *Plugin) get(f func(uintptr) uintptr) string {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return ""
	}
	return cstring(f(pl.p))
}

// Name is the plugin author's name of the plugin ("" once closed).
func (pl *Plugin) Name() string {
	return pl.get(func(p uintptr) uintptr { return uintptr(C.pp_go_name(C.uintptr_t(p))) })
}

// Version is the plugin author's version of the build.
func (pl *Plugin) Version() string {
	return pl.get(func(p uintptr) uintptr { return uintptr(C.pp_go_version(C.uintptr_t(p))) })
}

// Fingerprint is the SHA-256 (hex) of the plugin's world IR.
func (pl *Plugin) Fingerprint() string {
	return pl.get(func(p uintptr) uintptr { return uintptr(C.pp_go_fingerprint(C.uintptr_t(p))) })
}

// Exports is the address of the current image's exports table (C memory; 0 once closed).
func (pl *Plugin) Exports() uintptr {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return 0
	}
	return uintptr(C.pp_go_exports(C.uintptr_t(pl.p)))
}

// Reload opens the file now at the plugin's path again and checks it like an open
// (plugport_reload, docs/abi.md §10). On success new calls reach the new image; the
// replaced image stays loaded until ReleasePrevious or Close. On failure (a
// *plugport.LoadError) the old image keeps serving.
func (pl *Plugin) Reload() error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.p == 0 {
		return ErrClosed
	}
	o := C.pp_go_reload(C.uintptr_t(pl.p))
	msg := TakeMessage(uintptr(o.message))
	if o.code != 0 {
		return &plugport.LoadError{Code: plugport.LoadCode(o.code), Path: pl.path, Message: msg}
	}
	return nil
}

// ReleasePrevious unloads the images a Reload replaced (plugport_release_previous):
// call it only when nothing obtained from them (resources, results) is in use.
func (pl *Plugin) ReleasePrevious() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.p == 0 {
		return 0
	}
	return int(C.pp_go_release_previous(C.uintptr_t(pl.p)))
}

// LoadedImages is how many images the plugin holds (1 + replaced ones not released).
func (pl *Plugin) LoadedImages() int {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return 0
	}
	return int(C.pp_go_loaded_images(C.uintptr_t(pl.p)))
}

// LiveObjects is how many resource objects the plugin's images report alive; ok is
// false when a plugin does not report it.
func (pl *Plugin) LiveObjects() (n int64, ok bool) {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return 0, false
	}
	n = int64(C.pp_go_live_objects(C.uintptr_t(pl.p)))
	return n, n >= 0
}

// Isolated reports whether the plugin's current image runs in a child process
// (plugport_is_isolated, docs/isolation.md): asked for with PLUGPORT_ISOLATION=process,
// or chosen by the loader for a Go plugin that cannot run in this process (docs/go.md).
func (pl *Plugin) Isolated() bool {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	return pl.p != 0 && C.pp_go_is_isolated(C.uintptr_t(pl.p)) == 1
}

// ChildPid is the pid of the child process of an isolated plugin; ok is false when the
// plugin is in-process, closed, or no child runs right now (it ended; the next call
// starts one).
func (pl *Plugin) ChildPid() (pid int, ok bool) {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return 0, false
	}
	n := int64(C.pp_go_child_pid(C.uintptr_t(pl.p)))
	return int(n), n >= 0
}

// Restarts is how many times the child process of an isolated plugin was started again
// after it ended (0 in-process).
func (pl *Plugin) Restarts() uint64 {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return 0
	}
	return uint64(C.pp_go_restart_count(C.uintptr_t(pl.p)))
}

// LastExit is why the last child process of an isolated plugin ended ("the plugin
// process (pid N) was killed by signal SIGSEGV (11)", "... exited with status 3", a
// passed deadline); "" when none has ended, in-process, or closed.
func (pl *Plugin) LastExit() string {
	pl.mu.RLock()
	defer pl.mu.RUnlock()
	if pl.p == 0 {
		return ""
	}
	return TakeMessage(uintptr(C.pp_go_last_exit_reason(C.uintptr_t(pl.p))))
}

// Close unloads every image of the plugin (plugport_close). Nothing from the plugin
// may be used afterwards. Closing twice is a no-op.
func (pl *Plugin) Close() {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.p != 0 {
		C.pp_go_close(C.uintptr_t(pl.p))
		pl.p = 0
	}
}
