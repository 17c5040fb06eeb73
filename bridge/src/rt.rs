//! Runtime helpers called by generated Rust bindings (`plugport gen --lang rust-guest` /
//! `rust-host`). Nothing here is meant to be called by hand, except [`CallError`], the
//! error type of every generated caller function.
//!
//! What lives here, by `docs/abi.md` section:
//! - §1.5 validation of received data: [`lift_bool`], [`lift_char`], [`lift_str`],
//!   [`lift_string`], [`lift_slice`], [`validate_utf8`];
//! - §3/§6 ownership: results are allocated with the Rust global allocator and released
//!   with [`crate::abi::rust_dealloc`] ([`alloc_string`], [`alloc_vec`]), received owned
//!   values are released through the callee table's `dealloc` ([`release_string`],
//!   [`release_slice`]); borrowed temporaries of nested arguments live in a [`Scratch`];
//! - §1.4/§5 statuses: [`guard`] turns a callee's panic or rejected argument into a status
//!   and an owned message, [`call_error`] turns a caller's non-`PP_OK` status into a
//!   [`CallError`];
//! - §5 resources: [`type_static`] gives every resource implementation one vtable with a
//!   unique address, so a handle that comes back can be checked for identity;
//!   [`box_into_self`], [`drop_box`] and [`unbox_self`] create and end resource objects
//!   and keep the count of [`live_objects`] (§10);
//! - §7 the descriptor blob: [`DescriptorBlob`], [`descriptor_blob`], [`descriptor_len`].

use crate::abi::{
    PpDeallocFn, PpStatus, PpString, PP_ERR_INVALID_ARGUMENT, PP_ERR_INVALID_RESULT, PP_ERR_PANIC,
    PP_ERR_UNSUPPORTED, PP_OK,
};
use std::alloc::Layout;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};

/// Why a call through a generated binding failed (`docs/abi.md` §5). Domain errors of
/// a WIT `result<T, E>` are *not* `CallError`s: they are the `Ok(Err(e))` value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The callee panicked (or a C callee failed); the callee stays usable.
    /// (`PP_ERR_PANIC`)
    #[error("the callee panicked: {0}")]
    Panic(String),
    /// The callee rejected an argument (`PP_ERR_INVALID_ARGUMENT`); the message names it.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The callee's table has no slot for this function: the other side implements an
    /// older minor version of the interface (`PP_ERR_UNSUPPORTED`, §5 "Evolution").
    #[error("`{function}` is not supported by the other side (older interface version)")]
    Unsupported {
        /// `interface.function`, `interface.resource.method` or `function` for a bare
        /// world function.
        function: &'static str,
    },
    /// The callee returned data that failed validation (`PP_ERR_INVALID_RESULT`); the
    /// result was still released.
    #[error("invalid result: {0}")]
    InvalidResult(String),
    /// The plugin runs isolated in a child process, and that process could not answer
    /// the call: it crashed, aborted, exited or was killed, or the call passed its
    /// deadline and the process was killed (`PP_ERR_ISOLATION`, `docs/isolation.md`).
    /// The message names what happened (signal, exit status, deadline); the next call
    /// starts the plugin again.
    #[error("the isolated plugin process could not answer: {0}")]
    Isolation(String),
    /// A guest called an import before the host initialised the plugin through its
    /// entry function.
    #[error("the plugin has not been initialised by its host")]
    NotInitialised,
    /// Any other status a (non-conforming) callee returned.
    #[error("call failed with status {code}: {message}")]
    Status {
        /// The raw `pp_status`.
        code: i32,
        /// The callee's message, if any.
        message: String,
    },
}

impl CallError {
    /// The `pp_status` code that corresponds to this error.
    pub fn status(&self) -> PpStatus {
        match self {
            CallError::Panic(_) => PP_ERR_PANIC,
            CallError::InvalidArgument(_) => PP_ERR_INVALID_ARGUMENT,
            CallError::Unsupported { .. } => PP_ERR_UNSUPPORTED,
            CallError::InvalidResult(_) => PP_ERR_INVALID_RESULT,
            CallError::Isolation(_) => crate::abi::PP_ERR_ISOLATION,
            CallError::NotInitialised => crate::abi::PP_ERR_INIT,
            CallError::Status { code, .. } => *code,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Validation (§1.5): every helper returns a message for the generated code to prefix
// with the parameter or function name.

/// Checks a WIT `bool` (`uint8_t`, exactly 0 or 1).
#[inline]
pub fn lift_bool(v: u8) -> Result<bool, String> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(format!("bool value {v} is neither 0 nor 1")),
    }
}

/// Checks a WIT `char`: a Unicode scalar value (≤ 0x10FFFF, not a surrogate).
#[inline]
pub fn lift_char(v: u32) -> Result<char, String> {
    char::from_u32(v).ok_or_else(|| format!("{v:#x} is not a Unicode scalar value"))
}

/// Validates UTF-8 with `simdutf8` (fast path), reporting the first bad byte offset.
#[inline]
pub fn validate_utf8(bytes: &[u8]) -> Result<&str, String> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(_) => Err(utf8_error(bytes)),
    }
}

#[cold]
fn utf8_error(bytes: &[u8]) -> String {
    match simdutf8::compat::from_utf8(bytes) {
        Ok(_) => "invalid UTF-8".to_string(),
        Err(e) => format!("invalid UTF-8 at byte {}", e.valid_up_to()),
    }
}

/// Borrows a received list as a slice after checking it (§3 "Lengths and pointers"):
/// `len == 0` gives an empty slice whatever `ptr` is; otherwise `ptr` must be non-null,
/// aligned for `T`, and `len * size_of::<T>()` must not overflow `isize`.
///
/// # Safety
/// When the checks pass, `ptr` must point to `len` initialised `T`s that stay valid and
/// unmodified for `'a` (true for a borrowed argument during the call, and for an owned
/// result until it is released).
#[inline]
pub unsafe fn lift_slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], String> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(format!("null pointer with length {len}"));
    }
    if !ptr.is_aligned() {
        return Err(format!("misaligned list pointer {ptr:p}"));
    }
    match len.checked_mul(std::mem::size_of::<T>()) {
        Some(n) if n <= isize::MAX as usize => {}
        _ => return Err(format!("list length {len} is too large")),
    }
    // SAFETY: checked non-null, aligned and in size; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a received string after checking pointer, length and UTF-8.
///
/// # Safety
/// As for [`lift_slice`].
#[inline]
pub unsafe fn lift_str<'a>(s: PpString) -> Result<&'a str, String> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { lift_slice(s.ptr, s.len) }?;
    validate_utf8(bytes)
}

/// Copies a received string into an owned `String` after checking it. An allocation
/// failure is an error (never an abort).
///
/// # Safety
/// As for [`lift_slice`].
#[inline]
pub unsafe fn lift_string(s: PpString) -> Result<String, String> {
    // SAFETY: forwarded contract.
    let s = unsafe { lift_str(s) }?;
    let mut out = String::new();
    if out.try_reserve_exact(s.len()).is_err() {
        return Err(out_of_memory(s.len()));
    }
    out.push_str(s);
    Ok(out)
}

/// Copies a received list of plain values (integers, floats) into a `Vec`. An allocation
/// failure is an error (never an abort).
///
/// # Safety
/// As for [`lift_slice`].
#[inline]
pub unsafe fn lift_vec<T: Copy>(ptr: *const T, len: usize) -> Result<Vec<T>, String> {
    // SAFETY: forwarded contract.
    let sl = unsafe { lift_slice(ptr, len) }?;
    let mut out = Vec::new();
    if out.try_reserve_exact(sl.len()).is_err() {
        return Err(out_of_memory(std::mem::size_of_val(sl)));
    }
    out.extend_from_slice(sl);
    Ok(out)
}

#[cold]
fn out_of_memory(bytes: usize) -> String {
    format!("out of memory copying {bytes} bytes")
}

/// At most this many bytes are reserved up front for the native elements of a received
/// list ([`lift_capacity`]).
pub const LIFT_PREALLOC_BYTES: usize = 1 << 20;

/// The capacity to reserve for the native (`N`) elements of a received list of `len`
/// elements: `len`, but at most [`LIFT_PREALLOC_BYTES`] worth. `len` was only checked
/// against the size of the C elements, so reserving `len` native elements could overflow
/// (a "capacity overflow" panic) or abort on a failed allocation; beyond the cap the
/// vector grows as elements are validated.
#[inline]
pub fn lift_capacity<N>(len: usize) -> usize {
    len.min(LIFT_PREALLOC_BYTES / std::mem::size_of::<N>().max(1))
}

// ---------------------------------------------------------------------------------------
// Owned results (§3, §6): allocated with the global allocator, released by rust_dealloc.

/// Turns an owned `String` into an owned `pp_string` for a result: the bytes are kept in
/// an exactly-sized allocation (released with `dealloc(ptr, len, 1)`); an empty string
/// owns nothing and has a null pointer.
///
/// Panics with "out of memory" (a callee's `PP_ERR_PANIC`, never an abort) when shrinking
/// the buffer to its exact size fails.
#[inline]
pub fn alloc_string(s: String) -> PpString {
    let (ptr, len) = alloc_vec(s.into_bytes());
    PpString { ptr, len }
}

/// Copies a `&str` into an owned `pp_string` (see [`alloc_string`]).
#[inline]
pub fn alloc_str(s: &str) -> PpString {
    if s.is_empty() {
        return PpString::EMPTY;
    }
    let mut b = String::new();
    if b.try_reserve_exact(s.len()).is_err() {
        alloc_failed();
    }
    b.push_str(s);
    alloc_string(b)
}

/// Turns a `Vec` of C-representation elements into an owned list `(ptr, len)` for a
/// result: an exactly-sized allocation released with
/// `dealloc(ptr, len * size_of::<T>(), align_of::<T>())`; empty lists own nothing.
///
/// Panics with "out of memory" (a callee's `PP_ERR_PANIC`, never an abort) when shrinking
/// the buffer to its exact size fails; the vector is freed then.
#[inline]
pub fn alloc_vec<T: Copy>(v: Vec<T>) -> (*const T, usize) {
    if v.is_empty() {
        return (std::ptr::null(), 0);
    }
    let len = v.len();
    if std::mem::size_of::<T>() == 0 {
        // Zero-sized elements own no memory; nothing to release later.
        std::mem::forget(v);
        return (std::ptr::NonNull::<T>::dangling().as_ptr(), len);
    }
    if v.capacity() == len {
        // Already exact: no allocation.
        return (Box::into_raw(v.into_boxed_slice()) as *const T, len);
    }
    // Shrink in place like `into_boxed_slice`, but turn a failure into a panic.
    let mut v = std::mem::ManuallyDrop::new(v);
    let (ptr, cap) = (v.as_mut_ptr(), v.capacity());
    let size = std::mem::size_of::<T>();
    let align = std::mem::align_of::<T>();
    // SAFETY: `ptr` was allocated by the global allocator with this layout (a Vec with
    // capacity `cap` of a non-zero-sized `T`; `cap * size` fits, the Vec exists), and the
    // new size `len * size` is non-zero and not larger.
    let p = unsafe {
        std::alloc::realloc(
            ptr.cast(),
            Layout::from_size_align_unchecked(cap * size, align),
            len * size,
        )
    };
    if p.is_null() {
        // SAFETY: the realloc failed, so the Vec's buffer is untouched and still ours.
        drop(unsafe { Vec::from_raw_parts(ptr, len, cap) });
        alloc_failed();
    }
    (p as *const T, len)
}

#[cold]
fn alloc_failed() -> ! {
    panic!("out of memory")
}

/// Releases an owned string received from the other side with its table's `dealloc`.
/// A string with `len == 0` or a null pointer owns nothing.
///
/// # Safety
/// `s` must be owned by the caller and come from the table whose `dealloc` is given.
#[inline]
pub unsafe fn release_string(s: &PpString, dealloc: Option<PpDeallocFn>) {
    let Some(dealloc) = dealloc else {
        return; // a table without `dealloc` (C NULL): leak rather than free wrongly (§6)
    };
    if s.len > 0 && !s.ptr.is_null() {
        // SAFETY: the allocation is exactly `len` bytes with alignment 1 (§6).
        unsafe { dealloc(s.ptr as *mut c_void, s.len, 1) };
    }
}

/// Releases the buffer of an owned list (not its elements: the generated code releases
/// those first). Skips empty or null lists and sizes that overflow (leaks rather than
/// crashing on corrupt data, §5).
///
/// # Safety
/// `(ptr, len)` must be owned by the caller and come from the table whose `dealloc`
/// is given.
#[inline]
pub unsafe fn release_slice<T>(ptr: *const T, len: usize, dealloc: Option<PpDeallocFn>) {
    let size = std::mem::size_of::<T>();
    let Some(dealloc) = dealloc else {
        return; // a table without `dealloc` (C NULL): leak rather than free wrongly (§6)
    };
    if len == 0 || ptr.is_null() || size == 0 {
        return;
    }
    if let Some(bytes) = len.checked_mul(size) {
        // SAFETY: the allocation is `len * size_of::<T>()` bytes aligned for `T` (§6).
        unsafe { dealloc(ptr as *mut c_void, bytes, std::mem::align_of::<T>()) };
    }
}

// ---------------------------------------------------------------------------------------
// Borrowed temporaries of nested arguments.

/// Keeps the temporary C-representation buffers of one call's arguments alive until
/// the call returns (nested lists, lists of strings, …). Creating one does not allocate;
/// top-level strings and lists of numbers never use it.
#[derive(Default)]
pub struct Scratch {
    bufs: Vec<(*mut u8, Layout)>,
}

impl Scratch {
    /// An empty scratch area (no allocation).
    #[inline]
    pub fn new() -> Self {
        Scratch { bufs: Vec::new() }
    }

    /// Keeps `v`'s buffer until the scratch is dropped and returns its `(ptr, len)`.
    pub fn keep<T: Copy>(&mut self, v: Vec<T>) -> (*const T, usize) {
        let mut v = std::mem::ManuallyDrop::new(v);
        let (ptr, len, cap) = (v.as_mut_ptr(), v.len(), v.capacity());
        if let Ok(layout) = Layout::array::<T>(cap) {
            if layout.size() > 0 {
                self.bufs.push((ptr as *mut u8, layout));
            }
        }
        (ptr as *const T, len)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for (ptr, layout) in self.bufs.drain(..) {
            // SAFETY: allocated by a Vec with exactly this layout; elements are `Copy`.
            unsafe { std::alloc::dealloc(ptr, layout) };
        }
    }
}

// ---------------------------------------------------------------------------------------
// Statuses (§1.4, §5).

/// Extracts the message of a panic payload (`&str` or `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs a callee's body: `Ok` → `PP_OK`; `Err(msg)` (a rejected argument) →
/// `PP_ERR_INVALID_ARGUMENT` with `*err` set to the owned message; a panic →
/// `PP_ERR_PANIC` with the panic message. Never unwinds.
///
/// # Safety
/// `err` must be null or valid for writes.
#[inline]
pub unsafe fn guard<F: FnOnce() -> Result<(), String>>(err: *mut PpString, f: F) -> PpStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => PP_OK,
        // SAFETY: forwarded contract.
        Ok(Err(msg)) => unsafe { fail(err, PP_ERR_INVALID_ARGUMENT, msg) },
        Err(payload) => {
            let msg = panic_message(&*payload);
            drop_payload(payload);
            // SAFETY: forwarded contract.
            unsafe { fail(err, PP_ERR_PANIC, msg) }
        }
    }
}

#[cold]
unsafe fn fail(err: *mut PpString, status: PpStatus, msg: String) -> PpStatus {
    if !err.is_null() {
        let s = catch_unwind(AssertUnwindSafe(|| alloc_string(msg))).unwrap_or(PpString::EMPTY);
        // SAFETY: `err` is valid for writes (contract of `guard`).
        unsafe { err.write(s) };
    }
    status
}

/// Rejects a call before its body runs (a null `self` or `ret` pointer): stores `msg` as
/// the owned message in `*err` (when `err` is not null) and returns `status`. Out of line
/// and never unwinding, so that the generated trampolines keep their checks but their
/// success path needs no stack frame (the panic guard and its landing pad stay in
/// [`guard`]).
///
/// `extern "C"`, hence known not to unwind: the trampoline can jump to it (a tail call)
/// instead of calling it, so the check costs the trampoline a test and a branch.
///
/// # Safety
/// `err` must be null or valid for writes; `msg` must point to `len` bytes of UTF-8 (the
/// generated code passes a string literal).
#[cold]
#[inline(never)]
pub unsafe extern "C" fn reject(
    err: *mut PpString,
    status: PpStatus,
    msg: *const u8,
    len: usize,
) -> PpStatus {
    // SAFETY: `len` bytes of UTF-8 at `msg` (contract).
    let msg = unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(msg, len)) };
    let owned = catch_unwind(|| msg.to_string()).unwrap_or_default();
    // SAFETY: forwarded contract.
    unsafe { fail(err, status, owned) }
}

/// Formats the message of a rejected argument: `f: argument `name`: why`.
#[cold]
pub fn arg_error(function: &str, param: &str, why: String) -> String {
    format!("{function}: argument `{param}`: {why}")
}

/// At most this many bytes of a callee's error message are kept ([`call_error`]).
pub const MAX_ERROR_MESSAGE: usize = 64 * 1024;

/// Turns a failed call's status and message into a [`CallError`], releasing the message
/// with the callee table's `dealloc`. The message is checked like any received string
/// (pointer, length, §1.5); a message that is not valid UTF-8 is kept lossily, one longer
/// than [`MAX_ERROR_MESSAGE`] bytes is cut there (and says so), and one whose pointer or
/// length is invalid is replaced by a note saying why. The message is always released.
///
/// # Safety
/// `err` must be the callee's `*err` after the call (owned by the caller or empty).
#[cold]
pub unsafe fn call_error(
    status: PpStatus,
    err: PpString,
    dealloc: Option<PpDeallocFn>,
) -> CallError {
    // SAFETY: an owned message of `len` bytes from the callee (checked first).
    let message = match unsafe { lift_slice(err.ptr, err.len) } {
        Ok(bytes) => error_message(bytes),
        Err(why) => format!("(the callee's error message is unreadable: {why})"),
    };
    // SAFETY: owned by us now, allocated by the callee table's allocator; empty and
    // null messages own nothing and are skipped.
    unsafe { release_string(&err, dealloc) };
    match status {
        PP_ERR_PANIC => CallError::Panic(message),
        PP_ERR_INVALID_ARGUMENT => CallError::InvalidArgument(message),
        crate::abi::PP_ERR_ISOLATION => CallError::Isolation(message),
        code => CallError::Status { code, message },
    }
}

/// The error of a failed call through a slot that the host resolved at load time
/// (generated Rust hosts, `docs/abi.md` §5 "Evolution"): a slot the callee's table lacks
/// was resolved to a stub that answers `PP_ERR_UNSUPPORTED`, so `present == false` (the
/// table really lacks it) gives [`CallError::Unsupported`], exactly the error of a per-call
/// check; otherwise this is [`call_error`]. Out of line: the success path of a call keeps
/// only the status test.
///
/// # Safety
/// As for [`call_error`].
#[cold]
#[inline(never)]
pub unsafe fn call_failed(
    status: PpStatus,
    err: PpString,
    dealloc: Option<PpDeallocFn>,
    present: bool,
    function: &'static str,
) -> CallError {
    if !present {
        return CallError::Unsupported { function };
    }
    // SAFETY: forwarded contract.
    unsafe { call_error(status, err, dealloc) }
}

/// A callee's error message as text: lossy UTF-8, cut at [`MAX_ERROR_MESSAGE`] bytes
/// (at a character boundary when the text is UTF-8) with "… (truncated)" appended.
fn error_message(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_ERROR_MESSAGE {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut end = MAX_ERROR_MESSAGE;
    // Back up over UTF-8 continuation bytes (at most 3) to the start of a character.
    while end > MAX_ERROR_MESSAGE - 3 && bytes[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    let mut m = String::from_utf8_lossy(&bytes[..end]).into_owned();
    m.push_str("… (truncated)");
    m
}

/// The error of a result that failed validation (`PP_ERR_INVALID_RESULT`).
#[cold]
pub fn invalid_result(function: &str, why: String) -> CallError {
    CallError::InvalidResult(format!("{function}: {why}"))
}

/// The error of a call through a resource object whose handle was given away.
#[cold]
pub fn moved_handle(resource: &str) -> CallError {
    CallError::InvalidArgument(format!("the handle of resource `{resource}` was moved"))
}

/// The error of a slot missing from an older table (`PP_ERR_UNSUPPORTED`).
#[cold]
pub fn unsupported(function: &'static str) -> CallError {
    CallError::Unsupported { function }
}

// ---------------------------------------------------------------------------------------
// Resources (§5).

/// Drops a caught panic's payload. Dropping it can itself panic (a payload whose `Drop`
/// panics); that second payload is forgotten (leaked) rather than allowed to unwind.
#[cold]
pub fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(second) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(second);
    }
}

type StaticMap = HashMap<TypeId, &'static (dyn Any + Send + Sync)>;
static TYPE_STATICS: OnceLock<RwLock<StaticMap>> = OnceLock::new();

/// One `&'static V` per key type `K` (and `V`), created on first use by `init`: Rust has
/// no generic statics, and a vtable built in a generic function needs one stable address
/// so that handles coming back can be checked against it (constants may be duplicated,
/// so their addresses cannot be compared). A plugin frees them all when it is unloaded
/// ([`release_type_statics`], called by the export macro's unload destructor).
pub fn type_static<K: ?Sized + 'static, V: Send + Sync + 'static>(
    init: impl FnOnce() -> V,
) -> &'static V {
    let key = TypeId::of::<(std::marker::PhantomData<K>, V)>();
    let map = TYPE_STATICS.get_or_init(Default::default);
    if let Some(v) = map.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
        if let Some(v) = v.downcast_ref::<V>() {
            return v;
        }
    }
    let mut w = map.write().unwrap_or_else(|p| p.into_inner());
    let v: &'static (dyn Any + Send + Sync) =
        *w.entry(key).or_insert_with(|| Box::leak(Box::new(init())));
    v.downcast_ref::<V>().expect("type_static: type confusion")
}

/// Frees every value made by [`type_static`] and the registry's table. A plugin's export
/// macro calls this from the library's unload destructor (`.fini_array` on ELF,
/// `__mod_term_func` on Mach-O), which `dlclose` runs just before unmapping the
/// library: without it the vtables, whose only pointers live in the unmapped image,
/// would leak on every unload (scenario S4: memory stays flat over reloads).
///
/// The destructor also runs at process exit, and when a C host closes a plugin while it
/// still holds handles of it (a host bug that [`live_objects`] reports): a live object's
/// handle points at a vtable, so while any resource object of this runtime copy is alive
/// ([`live_objects`] > 0) nothing is freed and the values leak (harmless at exit).
/// Returns whether they were freed.
///
/// # Safety
/// No reference returned by [`type_static`] may be used afterwards unless a live object
/// kept them: call it only when the library is being unloaded or the process is exiting.
pub unsafe fn release_type_statics() -> bool {
    if !may_release_type_statics(live_objects()) {
        return false;
    }
    let Some(map) = TYPE_STATICS.get() else {
        return true;
    };
    let old = std::mem::take(&mut *map.write().unwrap_or_else(|p| p.into_inner()));
    for (_, v) in old {
        let raw = v as *const (dyn Any + Send + Sync) as *mut (dyn Any + Send + Sync);
        // SAFETY: every value was leaked from a Box by `type_static`, and (contract)
        // nothing uses it any more. A panicking Drop is contained.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(raw) })));
    }
    true
}

/// [`release_type_statics`]' decision: the vtables may be freed only when no resource
/// object that could point at one is alive.
#[inline]
pub fn may_release_type_statics(live_objects: usize) -> bool {
    live_objects == 0
}

/// How many resource objects this copy of the runtime has boxed into handles
/// ([`box_into_self`]) and not yet taken back ([`drop_box`], [`unbox_self`]). The runtime
/// is linked into every Rust plugin, so in a plugin this counts that plugin image's
/// objects; the export macro exports it as `plugport_live_objects_<prefix>_<world>`
/// (`docs/abi.md` §7, §10). Touched on resource creation and drop only, never by a call.
static LIVE_OBJECTS: AtomicUsize = AtomicUsize::new(0);

/// How many resource objects created here are alive: boxed by [`box_into_self`] and not
/// yet dropped (the body of a Rust plugin's `plugport_live_objects_<prefix>_<world>`).
/// A snapshot: other threads may create or drop objects at the same time.
pub fn live_objects() -> usize {
    LIVE_OBJECTS.load(Ordering::Relaxed)
}

/// Moves a resource implementation into a handle's `self` pointer, counting it as a
/// live object until [`drop_box`] or [`unbox_self`] takes it back.
#[inline]
pub fn box_into_self<T>(v: T) -> *mut c_void {
    let p = Box::into_raw(Box::new(v)) as *mut c_void;
    LIVE_OBJECTS.fetch_add(1, Ordering::Relaxed);
    p
}

/// Takes a resource implementation back out of a handle's `self` pointer (an owned
/// handle that came back to its implementer, or `into_inner`): the handle no longer
/// exists, so it stops counting as a live object.
///
/// # Safety
/// `p` must come from [`box_into_self::<T>`] and not have been dropped or taken.
#[inline]
pub unsafe fn unbox_self<T>(p: *mut c_void) -> T {
    LIVE_OBJECTS.fetch_sub(1, Ordering::Relaxed);
    // SAFETY: contract above.
    *unsafe { Box::from_raw(p as *mut T) }
}

/// The `drop` slot of a Rust-implemented resource vtable: frees the boxed `T`. Catches
/// panics of `T::drop` and never unwinds; a null `self` is ignored.
///
/// # Safety
/// `p` must be null or come from [`box_into_self::<T>`] and not have been dropped.
pub unsafe extern "C" fn drop_box<T>(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    LIVE_OBJECTS.fetch_sub(1, Ordering::Relaxed);
    // SAFETY: contract above.
    let r = catch_unwind(AssertUnwindSafe(|| {
        drop(unsafe { Box::from_raw(p as *mut T) })
    }));
    if let Err(payload) = r {
        std::mem::forget(payload);
    }
}

// ---------------------------------------------------------------------------------------
// The descriptor blob (§7).

/// A descriptor blob of `N` bytes: `PLUGPORT`, abi version, lengths, then name,
/// version and world JSON, each NUL-terminated. Built at compile time by
/// [`descriptor_blob`]; holds no pointers.
#[repr(C)]
pub struct DescriptorBlob<const N: usize> {
    /// The raw bytes, exactly as `docs/abi.md` §7 lays them out.
    pub bytes: [u8; N],
}

/// The size in bytes of the descriptor blob for these strings:
/// `24 + name + 1 + version + 1 + world_json + 1`.
pub const fn descriptor_len(name: &str, version: &str, world_json: &str) -> usize {
    24 + name.len() + 1 + version.len() + 1 + world_json.len() + 1
}

const fn put(buf: &mut [u8], at: usize, s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        buf[at + i] = s[i];
        i += 1;
    }
    at + s.len()
}

/// Builds the descriptor blob in a `const` context (integers in the target's byte
/// order). Fails to compile (const panic) when `N != descriptor_len(..)` or a length
/// does not fit `u32`.
pub const fn descriptor_blob<const N: usize>(
    name: &str,
    version: &str,
    world_json: &str,
) -> DescriptorBlob<N> {
    assert!(
        N == descriptor_len(name, version, world_json),
        "descriptor size mismatch"
    );
    assert!(
        name.len() <= u32::MAX as usize
            && version.len() <= u32::MAX as usize
            && world_json.len() <= u32::MAX as usize,
        "descriptor string too long"
    );
    let mut bytes = [0u8; N];
    let mut at = put(&mut bytes, 0, &crate::abi::DESCRIPTOR_MAGIC);
    at = put(&mut bytes, at, &crate::abi::ABI_VERSION.to_ne_bytes());
    at = put(&mut bytes, at, &(name.len() as u32).to_ne_bytes());
    at = put(&mut bytes, at, &(version.len() as u32).to_ne_bytes());
    at = put(&mut bytes, at, &(world_json.len() as u32).to_ne_bytes());
    at = put(&mut bytes, at, name.as_bytes()) + 1;
    at = put(&mut bytes, at, version.as_bytes()) + 1;
    at = put(&mut bytes, at, world_json.as_bytes()) + 1;
    assert!(at == N, "descriptor layout");
    DescriptorBlob { bytes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::rust_dealloc;

    #[test]
    fn validation_rejects_bad_values() {
        assert_eq!(lift_bool(1), Ok(true));
        assert!(lift_bool(2).is_err());
        assert_eq!(lift_char(0x1F600), Ok('😀'));
        assert!(lift_char(0xD800).is_err());
        assert!(lift_char(0x110000).is_err());
        let bad = [b'a', 0xff, b'b'];
        let e = validate_utf8(&bad).unwrap_err();
        assert!(e.contains("byte 1"), "{e}");
        // SAFETY: len 0 never dereferences; null with len>0 is rejected before use.
        unsafe {
            assert_eq!(lift_slice::<u32>(std::ptr::null(), 0), Ok(&[][..]));
            assert!(lift_slice::<u32>(std::ptr::null(), 3).is_err());
            let v = [0u32; 2];
            let mis = (v.as_ptr() as *const u8).add(1) as *const u32;
            assert!(lift_slice(mis, 1).is_err());
        }
    }

    #[test]
    fn owned_strings_and_lists_round_trip_through_rust_dealloc() {
        let s = alloc_string("héllo".to_string());
        // SAFETY: just allocated, owned here.
        unsafe {
            assert_eq!(lift_str(s).unwrap(), "héllo");
            release_string(&s, Some(rust_dealloc));
        }
        let e = alloc_string(String::new());
        assert!(e.ptr.is_null() && e.len == 0);
        let (p, n) = alloc_vec(vec![1u64, 2, 3]);
        // SAFETY: just allocated, owned here.
        unsafe {
            assert_eq!(lift_vec(p, n).unwrap(), vec![1, 2, 3]);
            release_slice(p, n, Some(rust_dealloc));
        }
        let (p, n) = alloc_vec(Vec::<u64>::new());
        assert!(p.is_null() && n == 0);
    }

    #[test]
    fn list_preallocation_is_capped_by_bytes() {
        assert_eq!(lift_capacity::<u64>(10), 10);
        assert_eq!(
            lift_capacity::<String>(usize::MAX / 16),
            LIFT_PREALLOC_BYTES / 24
        );
        assert_eq!(lift_capacity::<()>(usize::MAX), LIFT_PREALLOC_BYTES);
        // A list whose length fits its C elements (16 bytes) but not the native ones (24):
        // no "capacity overflow" panic, just a capped reservation.
        let v: Vec<String> = Vec::with_capacity(lift_capacity::<String>(isize::MAX as usize / 16));
        assert!(v.capacity() <= LIFT_PREALLOC_BYTES / 24 + 1);
    }

    #[test]
    fn owned_results_are_exactly_sized_whatever_the_capacity() {
        let mut s = String::with_capacity(100);
        s.push_str("abc");
        let r = alloc_string(s);
        // SAFETY: just allocated, owned here; released with its exact size.
        unsafe {
            assert_eq!(lift_str(r).unwrap(), "abc");
            release_string(&r, Some(rust_dealloc));
        }
        let mut v = Vec::with_capacity(9);
        v.extend([1u32, 2]);
        let (p, n) = alloc_vec(v);
        // SAFETY: as above.
        unsafe {
            assert_eq!(lift_vec(p, n).unwrap(), vec![1, 2]);
            release_slice(p, n, Some(rust_dealloc));
        }
        let r = alloc_str("xyz");
        // SAFETY: as above.
        unsafe {
            assert_eq!(lift_string(r).unwrap(), "xyz");
            release_string(&r, Some(rust_dealloc));
        }
    }

    #[test]
    fn guard_maps_panics_and_rejections() {
        let mut err = PpString::EMPTY;
        // SAFETY: `err` is a valid out-pointer.
        let st = unsafe { guard(&mut err, || panic!("kaputt {}", 7)) };
        assert_eq!(st, PP_ERR_PANIC);
        // SAFETY: `err` is an owned message allocated by `guard`.
        let e = unsafe { call_error(st, err, Some(rust_dealloc)) };
        assert_eq!(e, CallError::Panic("kaputt 7".into()));
        let mut err = PpString::EMPTY;
        // SAFETY: as above.
        let st = unsafe { guard(&mut err, || Err("bad `x`".to_string())) };
        assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
        // SAFETY: as above.
        let e = unsafe { call_error(st, err, Some(rust_dealloc)) };
        assert_eq!(e, CallError::InvalidArgument("bad `x`".into()));
        // SAFETY: null err is allowed.
        assert_eq!(unsafe { guard(std::ptr::null_mut(), || Ok(())) }, PP_OK);
    }

    /// `PP_ERR_ISOLATION` (a runtime status, `docs/isolation.md`) becomes its own variant
    /// with the runtime's message, and maps back to status 6.
    #[test]
    fn isolation_status_is_its_own_variant() {
        let text = "the plugin process (pid 7) was killed by signal SIGSEGV (11)";
        // SAFETY: a borrowed message and no dealloc (nothing is released).
        let e = unsafe { call_error(crate::abi::PP_ERR_ISOLATION, PpString::borrowed(text), None) };
        assert_eq!(e, CallError::Isolation(text.into()));
        assert_eq!(e.status(), 6);
        assert!(e.to_string().contains("SIGSEGV"), "{e}");
        // SAFETY: as above.
        let other = unsafe { call_error(7, PpString::borrowed("x"), None) };
        assert_eq!(other.status(), 7);
        assert!(matches!(other, CallError::Status { code: 7, .. }));
    }

    static FAKE_DEALLOCS: AtomicUsize = AtomicUsize::new(0);

    /// Counts releases and frees nothing (the messages below are not heap allocations).
    unsafe extern "C" fn fake_dealloc(_: *mut c_void, _: usize, _: usize) {
        FAKE_DEALLOCS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn call_error_checks_and_caps_the_message_and_always_releases_it() {
        let bytes = [b'x'; 8];
        // A length no allocation can have (> isize::MAX): refused, never read, released.
        let hostile = PpString {
            ptr: bytes.as_ptr(),
            len: usize::MAX - 7,
        };
        let before = FAKE_DEALLOCS.load(Ordering::SeqCst);
        // SAFETY: the length is checked before any read.
        let e = unsafe { call_error(PP_ERR_PANIC, hostile, Some(fake_dealloc)) };
        match e {
            CallError::Panic(m) => {
                assert!(m.contains("unreadable") && m.contains("too large"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(FAKE_DEALLOCS.load(Ordering::SeqCst), before + 1);
        // A null pointer with a length: refused, and owns nothing (not released).
        let null = PpString {
            ptr: std::ptr::null(),
            len: 3,
        };
        // SAFETY: as above.
        let e = unsafe { call_error(PP_ERR_INVALID_ARGUMENT, null, Some(fake_dealloc)) };
        assert!(matches!(e, CallError::InvalidArgument(m) if m.contains("null pointer")));
        assert_eq!(FAKE_DEALLOCS.load(Ordering::SeqCst), before + 1);
        // A message over 64 KiB is cut at a character boundary and says so.
        let long = "ü".repeat(MAX_ERROR_MESSAGE); // 2 bytes each: twice the cap
        let msg = PpString::borrowed(&long);
        // SAFETY: a valid message of `len` bytes.
        let e = unsafe { call_error(PP_ERR_PANIC, msg, Some(fake_dealloc)) };
        let CallError::Panic(m) = e else {
            panic!("{e:?}")
        };
        assert!(m.ends_with("… (truncated)"), "{}", &m[m.len() - 40..]);
        let kept = m.trim_end_matches("… (truncated)");
        assert_eq!(kept.len(), MAX_ERROR_MESSAGE);
        assert!(kept.chars().all(|c| c == 'ü'));
        assert_eq!(FAKE_DEALLOCS.load(Ordering::SeqCst), before + 2);
        // Exactly at the cap: kept whole.
        let exact = "a".repeat(MAX_ERROR_MESSAGE);
        // SAFETY: as above.
        let e = unsafe { call_error(7, PpString::borrowed(&exact), Some(fake_dealloc)) };
        assert_eq!(
            e,
            CallError::Status {
                code: 7,
                message: exact
            }
        );
        assert_eq!(FAKE_DEALLOCS.load(Ordering::SeqCst), before + 3);
    }

    /// Tests that box resource objects (they compare [`live_objects`]) run one at a time.
    static BOXING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn boxing() -> std::sync::MutexGuard<'static, ()> {
        BOXING.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[test]
    fn type_statics_are_kept_while_an_object_is_alive() {
        assert!(may_release_type_statics(0));
        assert!(!may_release_type_statics(1));
        assert!(!may_release_type_statics(usize::MAX));
        let _g = boxing();
        struct Key;
        let v: &'static u64 = type_static::<Key, u64>(|| 0xfeed);
        let obj = box_into_self(1u8);
        // SAFETY: refused while `obj` is alive, so nothing is freed: `v` stays valid (and
        // nothing else is released under the other tests).
        assert!(!unsafe { release_type_statics() });
        assert_eq!(*v, 0xfeed);
        assert!(std::ptr::eq(v, type_static::<Key, u64>(|| 1)));
        // SAFETY: from `box_into_self::<u8>`, taken once.
        assert_eq!(unsafe { unbox_self::<u8>(obj) }, 1);
    }

    #[test]
    fn live_objects_counts_handles_until_dropped_or_taken_back() {
        let _g = boxing();
        let before = live_objects();
        let a = box_into_self(String::from("a"));
        let b = box_into_self(7u32);
        let c = box_into_self(());
        assert_eq!(live_objects(), before + 3);
        // SAFETY: each pointer comes from `box_into_self` with that type, used once.
        unsafe { drop_box::<String>(a) };
        assert_eq!(live_objects(), before + 2);
        // SAFETY: as above.
        assert_eq!(unsafe { unbox_self::<u32>(b) }, 7);
        assert_eq!(live_objects(), before + 1);
        // SAFETY: as above; a null `self` is ignored and not counted.
        unsafe {
            drop_box::<()>(c);
            drop_box::<u64>(std::ptr::null_mut());
        }
        assert_eq!(live_objects(), before);
    }

    #[test]
    fn type_static_is_one_address_per_key() {
        let a: &'static u32 = type_static::<String, u32>(|| 5);
        let b: &'static u32 = type_static::<String, u32>(|| 6);
        let c: &'static u32 = type_static::<Vec<u8>, u32>(|| 7);
        assert!(std::ptr::eq(a, b));
        assert_eq!((*a, *c), (5, 7));
    }

    #[test]
    fn descriptor_blob_layout() {
        const W: &str = "{\"x\":1}";
        const N: usize = descriptor_len("n", "1.0", W);
        static B: DescriptorBlob<N> = descriptor_blob("n", "1.0", W);
        assert_eq!(&B.bytes[..8], b"PLUGPORT");
        assert_eq!(u32::from_ne_bytes(B.bytes[8..12].try_into().unwrap()), 1);
        assert_eq!(u32::from_ne_bytes(B.bytes[12..16].try_into().unwrap()), 1);
        assert_eq!(u32::from_ne_bytes(B.bytes[16..20].try_into().unwrap()), 3);
        assert_eq!(u32::from_ne_bytes(B.bytes[20..24].try_into().unwrap()), 7);
        assert_eq!(&B.bytes[24..], b"n\x001.0\x00{\"x\":1}\x00");
    }

    #[test]
    fn scratch_keeps_buffers_alive() {
        let mut s = Scratch::new();
        let (p, n) = s.keep(vec![PpString::EMPTY; 3]);
        assert_eq!(n, 3);
        assert!(!p.is_null());
        let (_, n) = s.keep(Vec::<u8>::new());
        assert_eq!(n, 0);
    }
}
