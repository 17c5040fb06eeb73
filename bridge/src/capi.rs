//! The C API for hosts written in C (`headers/plugport.h`, generated from this file by
//! cbindgen; regenerate with `PLUGPORT_BLESS=1 cargo test -p plugport --test header_fresh`).
//!
//! Every function is null-safe and panic-safe: no Rust panic unwinds into C; a panic
//! becomes [`PLUGPORT_E_PANIC`]. Errors are returned as stable `PLUGPORT_E_*` codes, one
//! per [`LoadError`] variant, with a message for [`plugport_last_error`].

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::LoadError;
use crate::loader::{self, Plugin};

pub use crate::codes::*;

/// An open plugin; opaque to C (`plugport_plugin` in `plugport.h`). Created by
/// `plugport_open`, released by `plugport_close`.
///
/// After `plugport_reload` it holds the new image (`current`) and every image it replaced
/// (`previous`): C handles and results cannot be tracked, so an old image stays loaded
/// until `plugport_close`, or until the host says it holds nothing of it any more
/// (`plugport_release_previous`).
pub struct PlugportPlugin {
    current: Image,
    previous: Vec<Image>,
}

/// One loaded image and the C strings handed out for it.
struct Image {
    plugin: Arc<Plugin>,
    name: CString,
    version: CString,
    fingerprint: CString,
}

impl Image {
    fn new(plugin: Arc<Plugin>) -> Image {
        // The descriptor reader refuses interior NULs, so these never fail. (Not through
        // `descriptor()`, which would parse a world JSON the open did not need to.)
        Image {
            name: CString::new(plugin.plugin_name()).unwrap_or_default(),
            version: CString::new(plugin.plugin_version()).unwrap_or_default(),
            fingerprint: CString::new(plugin.fingerprint()).unwrap_or_default(),
            plugin,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

pub(crate) fn set_last_error(message: String) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(c));
}

fn clear_last_error() {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
}

/// Opens and checks a plugin, then calls its entry (`docs/abi.md` §8).
///
/// - `path`: NUL-terminated file path (bytes as given on Unix, UTF-8 elsewhere).
/// - `expected_world_json`, `expected_len`: the world JSON of the host's generated header
///   (`{"fingerprint":...,"world":...}`, UTF-8, `expected_len` bytes, no NUL needed).
/// - `imports`: the host's imports table; it must stay valid until `plugport_close`.
/// - `out`: receives the plugin on success, NULL on failure.
///
/// Returns `PLUGPORT_OK` (0), or a `PLUGPORT_E_*` code; then `plugport_last_error()`
/// describes the failure (file, expected and found). Every call clears the previous
/// message of this thread first.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `expected_world_json` NULL or
/// `expected_len` readable bytes; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn plugport_open(
    path: *const c_char,
    expected_world_json: *const u8,
    expected_len: usize,
    imports: *const c_void,
    out: *mut *mut PlugportPlugin,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { open_common(path, expected_world_json, expected_len, imports, out, None) }
}

/// `plugport_open`, or with isolation options (`plugport_open_ex`, `docs/isolation.md`).
///
/// # Safety
/// As `plugport_open`.
pub(crate) unsafe fn open_common(
    path: *const c_char,
    expected_world_json: *const u8,
    expected_len: usize,
    imports: *const c_void,
    out: *mut *mut PlugportPlugin,
    options: Option<crate::isolation::Options>,
) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(|| {
        clear_last_error();
        if !out.is_null() {
            // SAFETY: `out` is writable per the contract.
            unsafe { *out = std::ptr::null_mut() };
        }
        if path.is_null() {
            set_last_error(
                "plugport_open: path is NULL: expected a NUL-terminated file path".into(),
            );
            return PLUGPORT_E_INVALID_ARGUMENT;
        }
        if out.is_null() {
            set_last_error(
                "plugport_open: out is NULL: expected a plugport_plugin ** to fill".into(),
            );
            return PLUGPORT_E_INVALID_ARGUMENT;
        }
        if expected_world_json.is_null() {
            set_last_error(
                "plugport_open: expected_world_json is NULL: expected the world JSON of the \
                 host's generated header"
                    .into(),
            );
            return PLUGPORT_E_INVALID_ARGUMENT;
        }
        // SAFETY: non-null, NUL-terminated per the contract.
        let cpath = unsafe { CStr::from_ptr(path) };
        let Some(path) = c_path(cpath) else {
            set_last_error(format!(
                "plugport_open: the path {:?} is not valid UTF-8: expected a UTF-8 path on this \
                 platform",
                cpath
            ));
            return PLUGPORT_E_INVALID_ARGUMENT;
        };
        // SAFETY: `expected_len` readable bytes per the contract.
        let json = unsafe { std::slice::from_raw_parts(expected_world_json, expected_len) };
        let json = match std::str::from_utf8(json) {
            Ok(s) => s,
            Err(e) => {
                let err = LoadError::HostWorld {
                    path,
                    reason: format!("not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
                };
                set_last_error(err.to_string());
                return err.code();
            }
        };
        let opened = match options {
            Some(o) => loader::open_with_options(&path, json, imports, o),
            None => loader::open(&path, json, imports),
        };
        match opened {
            Ok(plugin) => {
                let handle = PlugportPlugin {
                    current: Image::new(plugin),
                    previous: Vec::new(),
                };
                // SAFETY: `out` is non-null and writable.
                unsafe { *out = Box::into_raw(Box::new(handle)) };
                PLUGPORT_OK
            }
            Err(e) => {
                set_last_error(e.to_string());
                e.code()
            }
        }
    }));
    result.unwrap_or_else(|_| internal_error("plugport_open"))
}

#[cfg(unix)]
fn c_path(p: &CStr) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(p.to_bytes())))
}

#[cfg(not(unix))]
fn c_path(p: &CStr) -> Option<PathBuf> {
    p.to_str().ok().map(PathBuf::from)
}

/// The message of the last failed `plugport_open` or `plugport_reload` on this thread
/// (NUL-terminated UTF-8, naming the file, the expected and the found value), or NULL when
/// the last such call on this thread succeeded or none was made. The pointer stays valid
/// until the next `plugport_open` or `plugport_reload` on this thread.
#[no_mangle]
pub extern "C" fn plugport_last_error() -> *const c_char {
    catch_unwind(|| {
        LAST_ERROR.with(|e| match &*e.borrow() {
            Some(c) => c.as_ptr(),
            None => std::ptr::null(),
        })
    })
    .unwrap_or(std::ptr::null())
}

/// The plugin's exports table (`const <prefix>_<world>_exports *`: cast it to the type
/// of the generated header), valid until `plugport_close`. NULL if `p` is NULL.
///
/// After a successful `plugport_reload` this is the new image's table; tables obtained
/// before stay valid (their image stays loaded) until `plugport_close` or
/// `plugport_release_previous`.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_exports(p: *const PlugportPlugin) -> *const c_void {
    // SAFETY: NULL or live per the contract.
    match unsafe { p.as_ref() } {
        Some(p) => p.current.plugin.exports(),
        None => std::ptr::null(),
    }
}

/// The plugin author's name for the plugin (from its descriptor), NUL-terminated, owned
/// by `p` and valid until `plugport_close` (or, once replaced by `plugport_reload`, until
/// `plugport_release_previous`). NULL if `p` is NULL.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_plugin_name(p: *const PlugportPlugin) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    unsafe { p.as_ref() }.map_or(std::ptr::null(), |p| p.current.name.as_ptr())
}

/// The plugin author's version of the plugin build (from its descriptor, e.g. `1.0.3`),
/// NUL-terminated, owned by `p` (valid as the name). NULL if `p` is NULL.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_plugin_version(p: *const PlugportPlugin) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    unsafe { p.as_ref() }.map_or(std::ptr::null(), |p| p.current.version.as_ptr())
}

/// The fingerprint of the plugin's world (64 lower-case hex digits, the SHA-256 of its
/// canonical IR), NUL-terminated, owned by `p` (valid as the name). NULL if `p` is NULL.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_fingerprint(p: *const PlugportPlugin) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    unsafe { p.as_ref() }.map_or(std::ptr::null(), |p| p.current.fingerprint.as_ptr())
}

/// Closes a plugin: unloads its current image and every image `plugport_reload` replaced,
/// so release every handle and result from any of them first. NULL is ignored. `p` is
/// invalid afterwards.
///
/// A Go plugin (`plugport_can_unload` returns 0) is closed but not unloaded: Go c-shared
/// libraries cannot be unloaded, so its image stays mapped until the process exits, and
/// opening it (or another Go plugin) again is refused with `PLUGPORT_E_GO_RUNTIME`.
///
/// When the environment variable `PLUGPORT_DEBUG` is set (to anything but empty or `0`;
/// read once per process), each image whose plugin reports live objects
/// (`plugport_live_objects`) prints one line to stderr before it is unloaded:
/// `plugport: closing <name> <version> (<path>): <n> objects still alive`, and a Go
/// plugin prints `plugport: closing <name> <version> (<path>): a Go plugin (Go <version>
/// (c-shared; cannot be unloaded)) cannot be unloaded; its image stays mapped until the
/// process exits`.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`, closed at most once.
#[no_mangle]
pub unsafe extern "C" fn plugport_close(p: *mut PlugportPlugin) {
    if p.is_null() {
        return;
    }
    // SAFETY: from `Box::into_raw` in `plugport_open`, closed once per the contract.
    let handle = unsafe { Box::from_raw(p) };
    let _ = catch_unwind(AssertUnwindSafe(move || {
        for image in handle.previous.iter().chain([&handle.current]) {
            report_live_objects(image, "closing", "");
        }
        drop(handle)
    }));
}

/// Reloads a plugin in place (`docs/abi.md` §10): opens the file at the path `p` was
/// opened from, as it is on disk now, with the same expected world and imports table, and
/// checks it exactly as `plugport_open` does.
///
/// - On success (`PLUGPORT_OK`), `p` serves the new image: `plugport_exports`,
///   `plugport_plugin_name`, `plugport_plugin_version` and `plugport_fingerprint` return
///   the new values, and calls through the new table reach the new code. The replaced
///   image stays loaded, with every table, handle and string obtained from it, until
///   `plugport_close(p)` or `plugport_release_previous(p)`: the runtime cannot see which
///   handles a C host still holds, so it never unloads them on its own.
/// - On failure (a `PLUGPORT_E_*` code; `plugport_last_error()` says why, naming the file,
///   expected and found), nothing changes: `p` keeps serving the old image.
///
/// Not to be called concurrently with any other use of `p` itself (calls through tables
/// and handles obtained earlier may go on: their images stay loaded).
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`; the imports table passed to
/// `plugport_open` must still be valid.
#[no_mangle]
pub unsafe extern "C" fn plugport_reload(p: *mut PlugportPlugin) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(|| {
        clear_last_error();
        // SAFETY: NULL or live per the contract, and not used concurrently.
        let Some(p) = (unsafe { p.as_mut() }) else {
            set_last_error(
                "plugport_reload: p is NULL: expected a plugport_plugin from plugport_open".into(),
            );
            return PLUGPORT_E_INVALID_ARGUMENT;
        };
        match p.current.plugin.reopen() {
            Ok(plugin) => {
                let old = std::mem::replace(&mut p.current, Image::new(plugin));
                p.previous.push(old);
                PLUGPORT_OK
            }
            Err(e) => {
                set_last_error(e.to_string());
                e.code()
            }
        }
    }));
    result.unwrap_or_else(|_| internal_error("plugport_reload"))
}

/// Unloads every image of `p` that `plugport_reload` replaced, keeping the current one;
/// returns how many were released (0 for NULL). Call it only when the host holds nothing
/// from those images any more: no table, no handle, no unreleased result, no string from
/// `plugport_plugin_name` & co. obtained before the last reload. A C host that reloads
/// repeatedly calls it after each reload once the old objects are gone, so that memory
/// stays flat. With `PLUGPORT_DEBUG` set, a released image whose plugin reports live
/// objects prints `plugport: releasing <name> <version> (<path>, replaced by a reload):
/// <n> objects still alive` to stderr first (as `plugport_close` does).
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`, not used concurrently; nothing
/// obtained from a replaced image may be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn plugport_release_previous(p: *mut PlugportPlugin) -> usize {
    // SAFETY: NULL or live per the contract, and not used concurrently.
    let Some(p) = (unsafe { p.as_mut() }) else {
        return 0;
    };
    let old = std::mem::take(&mut p.previous);
    let n = old.len();
    let _ = catch_unwind(AssertUnwindSafe(move || {
        for image in &old {
            report_live_objects(image, "releasing", ", replaced by a reload");
        }
        drop(old)
    }));
    n
}

/// How many resource objects the plugin has created and not yet dropped, over its current
/// image and every image `plugport_reload` replaced and that is still loaded: the sum of
/// what each image's optional `plugport_live_objects_<prefix>_<world>` reports
/// (`docs/abi.md` §7, §10). -1 when `p` is NULL or an image does not export that function
/// (C plugins may; Rust plugins always do), i.e. when the count is unknown.
///
/// A debugging aid for C hosts, which the runtime cannot check otherwise: before
/// `plugport_close` (or `plugport_release_previous`, for the replaced images) it should be
/// 0. Handles the plugin itself still holds count too; the value is a snapshot while other
/// threads create or drop objects.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_live_objects(p: *const PlugportPlugin) -> i64 {
    // SAFETY: NULL or live per the contract.
    let Some(p) = (unsafe { p.as_ref() }) else {
        return -1;
    };
    catch_unwind(AssertUnwindSafe(|| {
        let mut total: u64 = 0;
        for image in p.previous.iter().chain([&p.current]) {
            match image.plugin.live_objects() {
                Some(n) => total = total.saturating_add(n as u64),
                None => return -1,
            }
        }
        i64::try_from(total).unwrap_or(i64::MAX)
    }))
    .unwrap_or(-1)
}

use crate::loader::debug_enabled;

/// The current image's plugin of `p` (for the isolation functions of
/// `crate::isolation::capi`). NULL-safe.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
pub(crate) unsafe fn current_plugin<'a>(p: *const PlugportPlugin) -> Option<&'a Arc<Plugin>> {
    // SAFETY: NULL or live per the contract.
    unsafe { p.as_ref() }.map(|p| &p.current.plugin)
}

/// With `PLUGPORT_DEBUG`, prints `plugport: <action> <name> <version> (<path><note>): <n>
/// objects still alive` to stderr when the image's plugin reports live objects.
fn report_live_objects(image: &Image, action: &str, note: &str) {
    if !debug_enabled() {
        return;
    }
    let Some(n) = image.plugin.live_objects().filter(|n| *n > 0) else {
        return;
    };
    let objects = if n == 1 { "object" } else { "objects" };
    let _ = writeln!(
        std::io::stderr(),
        "plugport: {action} {} {} ({}{note}): {n} {objects} still alive",
        image.plugin.plugin_name(),
        image.plugin.plugin_version(),
        image.plugin.path().display()
    );
}

/// Whether `plugport_close(p)` unloads the plugin's current image: 1 for plugins in C,
/// C++ or Rust, 0 for a Go plugin (a Go c-shared library stays mapped until the process
/// exits, golang/go#11100; `docs/abi.md` §10), -1 when `p` is NULL.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_can_unload(p: *const PlugportPlugin) -> i32 {
    // SAFETY: NULL or live per the contract.
    unsafe { p.as_ref() }.map_or(-1, |p| i32::from(p.current.plugin.can_unload()))
}

/// How many images of the plugin are loaded through `p`: 1 for the current one, plus one
/// per image replaced by `plugport_reload` and not yet released (by
/// `plugport_release_previous` or `plugport_close`). 0 for NULL.
///
/// # Safety
/// `p` must be NULL or a live plugin from `plugport_open`.
#[no_mangle]
pub unsafe extern "C" fn plugport_loaded_images(p: *const PlugportPlugin) -> usize {
    // SAFETY: NULL or live per the contract.
    unsafe { p.as_ref() }.map_or(0, |p| 1 + p.previous.len())
}

/// The status of a C API call whose body panicked (a bug in plugport): records a message
/// for `plugport_last_error` without letting a second panic unwind into C.
#[cold]
fn internal_error(function: &str) -> i32 {
    let _ =
        catch_unwind(|| set_last_error(format!("{function}: internal error (panic in plugport)")));
    PLUGPORT_E_PANIC
}
