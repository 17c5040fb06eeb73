//! The C API of process isolation (`headers/plugport.h`; `docs/isolation.md`): an open
//! with options, and what a host reads about an isolated plugin.

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{Mode, Options};
use crate::capi::{current_plugin, open_common, set_last_error, PlugportPlugin};
use crate::codes::PLUGPORT_E_INVALID_ARGUMENT;

/// `plugport_open_options.isolation`: in-process, unless `PLUGPORT_ISOLATION` says
/// otherwise.
pub const PLUGPORT_ISOLATION_DEFAULT: u32 = 0;
/// `plugport_open_options.isolation`: in the host's process (`PLUGPORT_ISOLATION=process`
/// still overrides it).
pub const PLUGPORT_ISOLATION_INPROC: u32 = 1;
/// `plugport_open_options.isolation`: in a child process, `plugport-runner`
/// (`PLUGPORT_ISOLATION=inproc` still overrides it).
pub const PLUGPORT_ISOLATION_PROCESS: u32 = 2;

/// The status an isolated call returns when the plugin process could not answer it:
/// the process crashed, aborted, exited or was killed, or the call passed its deadline
/// (then the process is killed). `*err` names what happened; the next call starts a new
/// process. The same value as `PP_ERR_ISOLATION` of `docs/abi.md` §2.
pub const PP_ERR_ISOLATION: i32 = 6;

/// Options of `plugport_open_ex`. Set `size` to `sizeof(plugport_open_options)`; fields
/// past `size` take their defaults, so that the struct can grow (`docs/isolation.md`,
/// "Options"). A zeroed struct with `size` set is the default open.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PlugportOpenOptions {
    /// `sizeof(plugport_open_options)`, bytes.
    pub size: u32,
    /// `PLUGPORT_ISOLATION_DEFAULT`, `_INPROC` or `_PROCESS`. The environment variable
    /// `PLUGPORT_ISOLATION=process|inproc` overrides it.
    pub isolation: u32,
    /// Per-call deadline of an isolated plugin, milliseconds; 0 = none.
    /// `PLUGPORT_CALL_TIMEOUT_MS` overrides it.
    pub call_timeout_ms: u32,
    /// How many times the plugin process may be restarted after it ended; 0 = no limit.
    pub max_restarts: u32,
    /// How long the plugin process may take to start and load the plugin, milliseconds;
    /// 0 = the default (10,000).
    pub start_timeout_ms: u32,
    /// When the plugin is closed or replaced (`plugport_close`,
    /// `plugport_release_previous`), how long calls still in flight on its process may
    /// take to finish before it is killed, milliseconds; 0 = the default (5,000). The
    /// process then exits with status 0 (`docs/isolation.md`, "Lifecycle").
    pub drain_timeout_ms: u32,
    /// `RLIMIT_AS` of the plugin process, MiB; 0 = unlimited (the host's limit).
    pub max_address_space_mb: u32,
    /// `RLIMIT_CPU` of the plugin process, seconds of CPU time; 0 = unlimited. Past it the
    /// process is killed by `SIGXCPU` and the call in flight fails with `PP_ERR_ISOLATION`.
    pub max_cpu_seconds: u32,
    /// Idle stop, milliseconds; 0 = never: after this long without calls, and with no
    /// object crossing between host and plugin, the plugin process exits, and the next
    /// call starts it again. `PLUGPORT_IDLE_TIMEOUT_MS` overrides it.
    pub idle_timeout_ms: u32,
    /// `RLIMIT_NOFILE` of the plugin process: the most file descriptors it may hold open
    /// at once, its own included (stdio, the control connection, one per concurrent call;
    /// leave 16 for them); 0 = unlimited (the host's limit). Past it, `open`, `socket` and
    /// the like fail with `EMFILE` inside the plugin.
    pub max_open_files: u32,
    /// The SHA-256 allowlist (`docs/isolation.md`, "Allowlist"): NULL for none, or a
    /// NUL-terminated `<hex>[,<hex>…]` (64 hex digits each) of the plugin files the open
    /// accepts; any other file is refused with `PLUGPORT_E_NOT_ALLOWED` before any of its
    /// code runs, in both modes. Read during the call only. A malformed list is
    /// `PLUGPORT_E_INVALID_ARGUMENT`. `PLUGPORT_ALLOW_SHA256` replaces it when set.
    pub allow_sha256: *const c_char,
}

/// `plugport_open` with options (`docs/isolation.md`): `options` may be NULL (the
/// default open); otherwise `options->size` must be at least 8 (`size` and
/// `isolation`). Returns `PLUGPORT_OK` or a `PLUGPORT_E_*` code as `plugport_open` does,
/// with the same errors for a refused file in both modes; an isolated open can also fail
/// with `PLUGPORT_E_IO` naming `plugport-runner` when the runner cannot be found or
/// started.
///
/// # Safety
/// As `plugport_open`; `options` NULL or pointing at `options->size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn plugport_open_ex(
    path: *const c_char,
    expected_world_json: *const u8,
    expected_len: usize,
    imports: *const c_void,
    options: *const PlugportOpenOptions,
    out: *mut *mut PlugportPlugin,
) -> i32 {
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        let mut o = Options::default();
        if options.is_null() {
            return Ok(o);
        }
        // SAFETY: at least `size` readable bytes per the contract; read field by field.
        let size = unsafe { std::ptr::read_unaligned(options.cast::<u32>()) } as usize;
        if size < 8 {
            return Err(format!(
                "plugport_open_ex: options->size is {size}: expected \
                 sizeof(plugport_open_options) ({})",
                std::mem::size_of::<PlugportOpenOptions>()
            ));
        }
        let field = |i: usize| -> Option<u32> {
            // SAFETY: only fields that lie inside `size` are read.
            (size >= 4 * (i + 1))
                .then(|| unsafe { std::ptr::read_unaligned(options.cast::<u32>().add(i)) })
        };
        o.mode = match field(1).unwrap_or(0) {
            PLUGPORT_ISOLATION_DEFAULT => Mode::Default,
            PLUGPORT_ISOLATION_INPROC => Mode::InProcess,
            PLUGPORT_ISOLATION_PROCESS => Mode::Process,
            other => {
                return Err(format!(
                    "plugport_open_ex: options->isolation is {other}: expected \
                     PLUGPORT_ISOLATION_DEFAULT (0), _INPROC (1) or _PROCESS (2)"
                ))
            }
        };
        if let Some(ms) = field(2) {
            o.call_timeout_ms = ms;
        }
        if let Some(n) = field(3).filter(|n| *n > 0) {
            o.restart_limit = n;
        }
        if let Some(ms) = field(4).filter(|ms| *ms > 0) {
            o.start_timeout_ms = ms;
        }
        if let Some(ms) = field(5).filter(|ms| *ms > 0) {
            o.drain_timeout_ms = ms;
        }
        if let Some(mb) = field(6).filter(|mb| *mb > 0) {
            o.max_address_space = Some(mb as u64 * 1024 * 1024);
        }
        if let Some(s) = field(7).filter(|s| *s > 0) {
            o.max_cpu_seconds = Some(s as u64);
        }
        if let Some(ms) = field(8) {
            o.idle_timeout_ms = ms;
        }
        if let Some(n) = field(9).filter(|n| *n > 0) {
            o.max_open_files = Some(n as u64);
        }
        let at = std::mem::offset_of!(PlugportOpenOptions, allow_sha256);
        if size >= at + std::mem::size_of::<*const c_char>() {
            // SAFETY: the field lies inside `size` readable bytes.
            let list = unsafe {
                std::ptr::read_unaligned(options.cast::<u8>().add(at).cast::<*const c_char>())
            };
            if !list.is_null() {
                // SAFETY: NUL-terminated per the field's contract.
                let text = unsafe { std::ffi::CStr::from_ptr(list) };
                let parsed = text
                    .to_str()
                    .map_err(|_| "not UTF-8".to_string())
                    .and_then(crate::loader::Sha256Allowlist::parse);
                o.allow_sha256 = Some(parsed.map_err(|e| {
                    format!(
                        "plugport_open_ex: options->allow_sha256 is malformed: {e} (expected \
                         <hex>[,<hex>...], each a SHA-256 digest of 64 hex digits)"
                    )
                })?);
            }
        }
        Ok(o)
    }));
    match parsed {
        Ok(Ok(o)) => {
            // SAFETY: forwarded contract.
            unsafe {
                open_common(
                    path,
                    expected_world_json,
                    expected_len,
                    imports,
                    out,
                    Some(o),
                )
            }
        }
        Ok(Err(msg)) => {
            if !out.is_null() {
                // SAFETY: writable per the contract.
                unsafe { *out = std::ptr::null_mut() };
            }
            set_last_error(msg);
            PLUGPORT_E_INVALID_ARGUMENT
        }
        Err(_) => crate::codes::PLUGPORT_E_PANIC,
    }
}

/// 1 when `p`'s current image runs in a child process, 0 when in-process or `p` is NULL.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_is_isolated(p: *const PlugportPlugin) -> i32 {
    // SAFETY: forwarded contract.
    i32::from(unsafe { current_plugin(p) }.is_some_and(|pl| pl.isolated().is_some()))
}

/// The pid of the child process of an isolated plugin, or -1 (in-process, NULL, or no
/// child running right now: it ended and the next call starts a new one).
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_child_pid(p: *const PlugportPlugin) -> i64 {
    // SAFETY: forwarded contract.
    unsafe { current_plugin(p) }
        .and_then(|pl| pl.isolated())
        .and_then(|i| i.pid())
        .map_or(-1, i64::from)
}

/// How many times the child process of an isolated plugin was restarted after it ended
/// (0 for an in-process plugin or NULL).
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_restart_count(p: *const PlugportPlugin) -> u64 {
    // SAFETY: forwarded contract.
    unsafe { current_plugin(p) }
        .and_then(|pl| pl.isolated())
        .map_or(0, |i| i.restarts())
}

/// Why the last child process of an isolated plugin ended (UTF-8, e.g. `the plugin
/// process (pid 123) was killed by signal SIGSEGV (11)`, `... exited with status 3`, or
/// the deadline it passed). Copies at most `cap - 1` bytes and a NUL into `buf` (when
/// `buf` is not NULL and `cap > 0`) and returns the reason's full length in bytes, 0 when
/// no child has ended (or `p` is NULL or in-process).
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`; `buf` NULL or `cap` writable
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn plugport_last_exit_reason(
    p: *const PlugportPlugin,
    buf: *mut c_char,
    cap: usize,
) -> usize {
    // SAFETY: forwarded contract.
    let reason = unsafe { current_plugin(p) }
        .and_then(|pl| pl.isolated())
        .and_then(|i| i.last_exit())
        .unwrap_or_default();
    if !buf.is_null() && cap > 0 {
        let n = reason.len().min(cap - 1);
        // SAFETY: `buf` has `cap` writable bytes; `n + 1 <= cap`.
        unsafe {
            std::ptr::copy_nonoverlapping(reason.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
    }
    reason.len()
}
