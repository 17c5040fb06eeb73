package loader

import (
	"strings"
	"time"
)

// Isolation says where an opened plugin runs (docs/isolation.md).
type Isolation uint32

// The values of Options.Isolation (PLUGPORT_ISOLATION_* of plugport.h).
const (
	// Default: in the host's process, unless PLUGPORT_ISOLATION=process says otherwise,
	// or the plugin is a Go plugin that cannot run in this process (docs/go.md), which
	// the loader then runs in a child process by itself.
	Default Isolation = 0
	// InProcess: in the host's process (PLUGPORT_ISOLATION=process still wins).
	InProcess Isolation = 1
	// Process: in a child process, plugport-runner (PLUGPORT_ISOLATION=inproc still wins).
	Process Isolation = 2
)

// Options of an open (plugport_open_options of plugport.h, docs/isolation.md). The zero
// value is the default open, what Load does. Durations are rounded down to milliseconds;
// zero means the runtime's default for each field.
type Options struct {
	Isolation Isolation
	// CallTimeout is the per-call deadline of an isolated plugin (0: none); past it the
	// child is killed and the call fails with plugport.ErrIsolation.
	// PLUGPORT_CALL_TIMEOUT_MS overrides it.
	CallTimeout time.Duration
	// MaxRestarts limits the restarts of the child over the open's life (0: no limit).
	MaxRestarts uint32
	// StartTimeout is the time the child may take to start and load the plugin
	// (0: 10 s).
	StartTimeout time.Duration
	// DrainTimeout is the time calls in flight get when the plugin is closed or
	// replaced, before the child is killed (0: 5 s).
	DrainTimeout time.Duration
	// MaxAddressSpace is the child's RLIMIT_AS in bytes, rounded down to MiB
	// (0: unlimited).
	MaxAddressSpace uint64
	// MaxCPUTime is the child's RLIMIT_CPU, rounded down to seconds (0: unlimited).
	MaxCPUTime time.Duration
	// IdleTimeout stops the child after this long without calls and with no object
	// crossing; the next call starts it again (0: never). PLUGPORT_IDLE_TIMEOUT_MS
	// overrides it.
	IdleTimeout time.Duration
	// MaxOpenFiles is the child's RLIMIT_NOFILE (0: inherited).
	MaxOpenFiles uint32
	// AllowSHA256 lists the lower- or upper-case hex SHA-256 digests of the plugin files
	// this open may load, in both modes (nil: any file); a file not listed is refused
	// with plugport.ErrNotAllowed before any of its code runs. PLUGPORT_ALLOW_SHA256
	// replaces the list when it is set.
	AllowSHA256 []string
}

// Fields are the options as the uint32 fields of plugport_open_options after size, in
// order: isolation, call_timeout_ms, max_restarts, start_timeout_ms, drain_timeout_ms,
// max_address_space_mb, max_cpu_seconds, idle_timeout_ms, max_open_files (values past
// 2^32-1 saturate). Generated host packages pass them to plugport_open_ex.
func (o Options) Fields() [9]uint32 {
	ms := func(d time.Duration) uint32 { return sat(uint64(max(d, 0) / time.Millisecond)) }
	return [9]uint32{
		uint32(o.Isolation),
		ms(o.CallTimeout),
		o.MaxRestarts,
		ms(o.StartTimeout),
		ms(o.DrainTimeout),
		sat(o.MaxAddressSpace >> 20),
		sat(uint64(max(o.MaxCPUTime, 0) / time.Second)),
		ms(o.IdleTimeout),
		o.MaxOpenFiles,
	}
}

// AllowList is AllowSHA256 as plugport_open_options.allow_sha256 wants it: the digests
// joined by commas, "" for none (any file).
func (o Options) AllowList() string {
	return strings.Join(o.AllowSHA256, ",")
}

func sat(v uint64) uint32 {
	if v > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(v)
}
