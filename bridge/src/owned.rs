//! Owned results that stay in the callee's allocation (`docs/abi.md` §6, issue 10): the
//! generated Rust hosts return a top-level `string` result as [`OwnedStr`] and a
//! top-level `list<T>` of numbers as [`OwnedList<T>`], instead of copying them into a
//! `String` / `Vec<T>` and freeing the callee's buffer.
//!
//! Both wrappers
//! - hold the buffer the callee allocated, checked when they were made (pointer, length,
//!   alignment, and UTF-8 for a string: rule 5 of `docs/abi.md` §1), and deref to `&str` /
//!   `&[T]` without copying;
//! - release it exactly once, on drop, through the `dealloc` of the callee's table (rule 2,
//!   §6), with the size and alignment of the allocation;
//! - keep the callee's image loaded while they live (they hold a clone of its
//!   `Arc<Plugin>`): the buffer and its `dealloc` belong to that image;
//! - copy only on request: [`OwnedStr::into_string`], [`OwnedList::to_vec`], or the
//!   `From` conversions into `String` / `Vec<T>`.
//!
//! Strings and lists nested in records, variants, options, results, tuples and lists are
//! still copied into native `String` / `Vec` values: those native types are shared with
//! the implementing side and with arguments (where no callee allocation exists), and one
//! result value is released as a whole by the generated release code after lifting.

use std::fmt;
use std::sync::Arc;

use crate::abi::{PpDeallocFn, PpString};
use crate::loader::Plugin;
use crate::rt::{self, CallError};

/// What keeps a callee's image loaded (the generated hosts' `__Keep`): `None` for a
/// statically linked plugin (`from_raw_exports`), whose code never goes away.
pub type Keep = Option<Arc<Plugin>>;

/// An owned `string` result, still in the callee's allocation; derefs to `&str`.
///
/// Made by generated host code ([`OwnedStr::from_raw`]); released through the callee's
/// `dealloc` when dropped. Compare it with `&str`, `str` and `String` directly; copy it
/// with [`Self::into_string`] (or `String::from`) when you need a `String`.
pub struct OwnedStr {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
    dealloc: Option<PpDeallocFn>,
    _keep: Keep,
}

// SAFETY: the buffer is immutable while the wrapper lives and is released once, by the
// owner; a plugin's `dealloc` may be called from any thread (`docs/abi.md` §5 "Threads").
unsafe impl Send for OwnedStr {}
// SAFETY: shared access only reads the immutable buffer.
unsafe impl Sync for OwnedStr {}

impl OwnedStr {
    /// Takes ownership of a callee's owned string after checking it like any received
    /// string (null pointer with a non-zero length, size, UTF-8). On error the string is
    /// released at once through `dealloc` and the message says what was wrong.
    ///
    /// `dealloc` is the callee table's (`header.dealloc`); `None` (a C table with a NULL
    /// `dealloc`) leaks the buffer on drop rather than freeing it wrongly (§6). `keep`
    /// keeps the callee's image loaded while the wrapper lives.
    ///
    /// # Safety
    /// `s` must be an owned result of the callee whose table gave `dealloc`: `len` bytes
    /// at `ptr`, allocated by that callee, owned by the caller from now on, and valid
    /// while `keep` keeps the callee loaded.
    #[inline]
    pub unsafe fn from_raw(
        s: PpString,
        dealloc: Option<PpDeallocFn>,
        keep: Keep,
    ) -> Result<OwnedStr, String> {
        // SAFETY: forwarded contract.
        if unsafe { str_ok(s) } {
            Ok(OwnedStr::new(s, dealloc, keep))
        } else {
            // SAFETY: forwarded contract.
            Err(unsafe { refuse_str(s, dealloc) })
        }
    }

    /// The wrapper of a checked string: no buffer (and no `dealloc`) when empty.
    #[inline]
    fn new(s: PpString, dealloc: Option<PpDeallocFn>, keep: Keep) -> OwnedStr {
        if s.len == 0 {
            // Nothing to read or release (`rt::release_string` skips empty strings too).
            return OwnedStr {
                ptr: std::ptr::NonNull::dangling(),
                len: 0,
                dealloc: None,
                _keep: keep,
            };
        }
        OwnedStr {
            // SAFETY: non-null (checked by `str_ok`).
            ptr: unsafe { std::ptr::NonNull::new_unchecked(s.ptr as *mut u8) },
            len: s.len,
            dealloc,
            _keep: keep,
        }
    }

    /// [`Self::from_raw`] for the generated callers: a refused string is the call's
    /// `CallError::InvalidResult`, naming `function` (`interface.function`), built out of
    /// line, so that the success path of an inlined caller holds the wrapper in registers.
    ///
    /// # Safety
    /// As for [`Self::from_raw`].
    #[inline]
    pub unsafe fn lift(
        s: PpString,
        dealloc: Option<PpDeallocFn>,
        keep: Keep,
        function: &'static str,
    ) -> Result<OwnedStr, CallError> {
        // SAFETY: forwarded contract.
        if unsafe { str_ok(s) } {
            Ok(OwnedStr::new(s, dealloc, keep))
        } else {
            // SAFETY: forwarded contract.
            Err(rt::invalid_result(function, unsafe {
                refuse_str(s, dealloc)
            }))
        }
    }

    /// The text, borrowed from the callee's buffer.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: checked in `from_raw` (non-null, UTF-8, `len` bytes; dangling and 0
        // when empty) and immutable until drop.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr.as_ptr(), self.len))
        }
    }

    /// Copies the text into a `String` (one allocation) and releases the callee's buffer.
    pub fn into_string(self) -> String {
        self.as_str().to_owned()
    }
}

impl Drop for OwnedStr {
    #[inline]
    fn drop(&mut self) {
        // `dealloc` is `None` for an empty string (no buffer) and for a table without
        // one (leak rather than free wrongly, §6); otherwise `ptr` is non-null (checked).
        if let Some(dealloc) = self.dealloc {
            // SAFETY: owned by us, `len` bytes with alignment 1 from the callee whose
            // `dealloc` this is (§6); released once.
            unsafe { dealloc(self.ptr.as_ptr().cast(), self.len, 1) };
        }
    }
}

impl std::ops::Deref for OwnedStr {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for OwnedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for OwnedStr {
    fn as_ref(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl std::borrow::Borrow<str> for OwnedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for OwnedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for OwnedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<OwnedStr> for String {
    fn from(s: OwnedStr) -> String {
        s.into_string()
    }
}

impl PartialEq for OwnedStr {
    fn eq(&self, other: &OwnedStr) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for OwnedStr {}

impl std::hash::Hash for OwnedStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for OwnedStr {
    fn partial_cmp(&self, other: &OwnedStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OwnedStr {
    fn cmp(&self, other: &OwnedStr) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

macro_rules! str_eq {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for OwnedStr {
            fn eq(&self, other: &$t) -> bool {
                self.as_str() == &other[..]
            }
        }
        impl PartialEq<OwnedStr> for $t {
            fn eq(&self, other: &OwnedStr) -> bool {
                &self[..] == other.as_str()
            }
        }
    )*};
}
str_eq!(str, &str, String);

/// An owned `list<T>` result of numbers, still in the callee's allocation; derefs to
/// `&[T]`.
///
/// Made by generated host code ([`OwnedList::from_raw`]) for lists of integers and
/// floats (every bit pattern is a valid value, so the elements need no check); released
/// through the callee's `dealloc` when dropped. Copy it with [`Self::to_vec`] (or
/// `Vec::from`) when you need a `Vec`.
pub struct OwnedList<T: Copy> {
    ptr: *const T,
    len: usize,
    dealloc: Option<PpDeallocFn>,
    _keep: Keep,
}

// SAFETY: as for `OwnedStr`; the elements are plain numbers.
unsafe impl<T: Copy + Send> Send for OwnedList<T> {}
// SAFETY: as above.
unsafe impl<T: Copy + Sync> Sync for OwnedList<T> {}

impl<T: Copy> OwnedList<T> {
    /// Takes ownership of a callee's owned list after checking it like any received list
    /// (null pointer with a non-zero length, alignment, size). On error the list is
    /// released at once through `dealloc` and the message says what was wrong.
    ///
    /// # Safety
    /// As for [`OwnedStr::from_raw`], with `len` elements of `T` at `ptr`; every bit
    /// pattern must be a valid `T` (integers and floats).
    #[inline]
    pub unsafe fn from_raw(
        ptr: *const T,
        len: usize,
        dealloc: Option<PpDeallocFn>,
        keep: Keep,
    ) -> Result<OwnedList<T>, String> {
        if slice_ok(ptr, len) {
            Ok(OwnedList::new(ptr, len, dealloc, keep))
        } else {
            // SAFETY: forwarded contract.
            Err(unsafe { refuse_slice(ptr, len, dealloc) })
        }
    }

    /// [`Self::from_raw`] for the generated callers: a refused list is the call's
    /// `CallError::InvalidResult`, naming `function`, built out of line.
    ///
    /// # Safety
    /// As for [`Self::from_raw`].
    #[inline]
    pub unsafe fn lift(
        ptr: *const T,
        len: usize,
        dealloc: Option<PpDeallocFn>,
        keep: Keep,
        function: &'static str,
    ) -> Result<OwnedList<T>, CallError> {
        if slice_ok(ptr, len) {
            Ok(OwnedList::new(ptr, len, dealloc, keep))
        } else {
            // SAFETY: forwarded contract.
            Err(rt::invalid_result(function, unsafe {
                refuse_slice(ptr, len, dealloc)
            }))
        }
    }

    /// The wrapper of a checked list: no buffer (and no `dealloc`) when empty.
    #[inline]
    fn new(ptr: *const T, len: usize, dealloc: Option<PpDeallocFn>, keep: Keep) -> Self {
        if len == 0 {
            // Nothing to read or release (`rt::release_slice` skips empty lists too).
            return OwnedList {
                ptr: std::ptr::NonNull::dangling().as_ptr(),
                len: 0,
                dealloc: None,
                _keep: keep,
            };
        }
        OwnedList {
            ptr,
            len,
            dealloc,
            _keep: keep,
        }
    }

    /// The elements, borrowed from the callee's buffer.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: checked in `from_raw` (non-null, aligned, in size; dangling and 0 when
        // empty) and immutable until drop.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Copies the elements into a `Vec` (one allocation); the callee's buffer is
    /// released when `self` is dropped.
    pub fn to_vec(&self) -> Vec<T> {
        self.as_slice().to_vec()
    }
}

impl<T: Copy> Drop for OwnedList<T> {
    #[inline]
    fn drop(&mut self) {
        // `dealloc` is `None` for an empty list (no buffer) and for a table without one
        // (leak, §6); otherwise `ptr` is non-null and `len * size_of::<T>()` in size
        // (checked).
        if let Some(dealloc) = self.dealloc {
            // SAFETY: owned by us, `len` elements aligned for `T` from the callee whose
            // `dealloc` this is (§6); released once.
            unsafe {
                dealloc(
                    self.ptr as *mut std::ffi::c_void,
                    self.len * std::mem::size_of::<T>(),
                    std::mem::align_of::<T>(),
                )
            };
        }
    }
}

impl<T: Copy> std::ops::Deref for OwnedList<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy> AsRef<[T]> for OwnedList<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy> std::borrow::Borrow<[T]> for OwnedList<T> {
    fn borrow(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for OwnedList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: Copy> From<OwnedList<T>> for Vec<T> {
    fn from(l: OwnedList<T>) -> Vec<T> {
        l.to_vec()
    }
}

impl<'a, T: Copy> IntoIterator for &'a OwnedList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Copy + PartialEq> PartialEq for OwnedList<T> {
    fn eq(&self, other: &OwnedList<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + PartialEq> PartialEq<[T]> for OwnedList<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}
impl<T: Copy + PartialEq> PartialEq<&[T]> for OwnedList<T> {
    fn eq(&self, other: &&[T]) -> bool {
        self.as_slice() == *other
    }
}
impl<T: Copy + PartialEq> PartialEq<Vec<T>> for OwnedList<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl<T: Copy + PartialEq, const N: usize> PartialEq<[T; N]> for OwnedList<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl<T: Copy + PartialEq> PartialEq<OwnedList<T>> for Vec<T> {
    fn eq(&self, other: &OwnedList<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// The checks of `rt::lift_str` on an owned string: empty, or non-null, at most
/// `isize::MAX` bytes and UTF-8 (`docs/abi.md` §1 rule 5). The messages are made out of
/// line, by [`refuse_str`].
///
/// # Safety
/// `len` bytes are readable at a non-null `ptr` (the contract of [`OwnedStr::from_raw`]).
#[inline]
unsafe fn str_ok(s: PpString) -> bool {
    s.len == 0
        || (!s.ptr.is_null()
            && s.len <= isize::MAX as usize
            // SAFETY: `len` bytes at a non-null `ptr` (contract), in size (checked first).
            && simdutf8::basic::from_utf8(unsafe { std::slice::from_raw_parts(s.ptr, s.len) })
                .is_ok())
}

/// The checks of `rt::lift_slice`: empty, or non-null, aligned and at most `isize::MAX`
/// bytes. The message is made out of line, by [`refuse_slice`].
#[inline]
fn slice_ok<T>(ptr: *const T, len: usize) -> bool {
    len == 0
        || (!ptr.is_null()
            && ptr.is_aligned()
            && len <= isize::MAX as usize / std::mem::size_of::<T>().max(1))
}

/// Why an owned string failed the checks of [`OwnedStr::from_raw`] (the message of
/// `rt::lift_str`), after releasing it through `dealloc` when that is safe.
///
/// # Safety
/// As for [`OwnedStr::from_raw`].
#[cold]
#[inline(never)]
unsafe fn refuse_str(s: PpString, dealloc: Option<PpDeallocFn>) -> String {
    // SAFETY: forwarded contract.
    let why = match unsafe { rt::lift_str(s) } {
        Ok(_) => "rejected".to_string(), // not reached: `from_raw` made the same checks
        Err(why) => why,
    };
    // SAFETY: owned by us, from this callee (contract); released once (skipped for a null
    // pointer).
    unsafe { rt::release_string(&s, dealloc) };
    why
}

/// Why an owned list failed the checks of [`OwnedList::from_raw`], after releasing it
/// through `dealloc` when that is safe.
///
/// # Safety
/// As for [`OwnedList::from_raw`].
#[cold]
#[inline(never)]
unsafe fn refuse_slice<T: Copy>(ptr: *const T, len: usize, dealloc: Option<PpDeallocFn>) -> String {
    // SAFETY: forwarded contract.
    let why = match unsafe { rt::lift_slice(ptr, len) } {
        Ok(_) => "rejected".to_string(), // not reached: `from_raw` made the same checks
        Err(why) => why,
    };
    // SAFETY: owned by us, from this callee (contract); released once (skips what cannot
    // be released safely: see `release_slice`).
    unsafe { rt::release_slice(ptr, len, dealloc) };
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::c_void;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static FREED: AtomicUsize = AtomicUsize::new(0);
    static FREED_BYTES: AtomicUsize = AtomicUsize::new(0);

    /// Counts releases, then frees like the Rust bindings' `rust_dealloc`.
    unsafe extern "C" fn counting_dealloc(ptr: *mut c_void, size: usize, align: usize) {
        FREED.fetch_add(1, Ordering::SeqCst);
        FREED_BYTES.fetch_add(size, Ordering::SeqCst);
        // SAFETY: allocated by `alloc_string` / `alloc_vec` with this layout.
        unsafe { crate::abi::rust_dealloc(ptr, size, align) };
    }

    // One test, so that the counters are not shared between threads.
    #[test]
    fn wrappers_borrow_the_callee_buffer_and_release_it_once() {
        let freed = || FREED.load(Ordering::SeqCst);
        // A valid string: no copy (same pointer), released once on drop with its size.
        let raw = rt::alloc_string("héllo".to_string());
        // SAFETY: an owned string from `alloc_string`, released by `counting_dealloc`.
        let s = unsafe { OwnedStr::from_raw(raw, Some(counting_dealloc), None) }.unwrap();
        assert_eq!(s.as_ptr(), raw.ptr);
        assert_eq!(s, "héllo");
        assert_eq!("héllo", s);
        assert_eq!(s.len(), 6);
        assert_eq!(format!("{s}/{s:?}"), "héllo/\"héllo\"");
        assert_eq!(freed(), 0);
        drop(s);
        assert_eq!((freed(), FREED_BYTES.load(Ordering::SeqCst)), (1, 6));
        // into_string copies, then releases the callee's buffer.
        let raw = rt::alloc_string("abc".to_string());
        // SAFETY: as above.
        let s = unsafe { OwnedStr::from_raw(raw, Some(counting_dealloc), None) }.unwrap();
        let copy: String = s.into_string();
        assert_eq!((copy.as_str(), freed()), ("abc", 2));
        // Invalid UTF-8 is refused and released at once.
        let raw = rt::alloc_vec(vec![b'a', 0xff, b'b']);
        let bad = PpString {
            ptr: raw.0,
            len: raw.1,
        };
        // SAFETY: as above.
        let e = unsafe { OwnedStr::from_raw(bad, Some(counting_dealloc), None) }.unwrap_err();
        assert_eq!((e.as_str(), freed()), ("invalid UTF-8 at byte 1", 3));
        // Null with a length is refused and nothing is released.
        let null = PpString {
            ptr: std::ptr::null(),
            len: 4,
        };
        // SAFETY: nothing is read or released for a null pointer.
        let e = unsafe { OwnedStr::from_raw(null, Some(counting_dealloc), None) }.unwrap_err();
        assert!(e.contains("null pointer"), "{e}");
        assert_eq!(freed(), 3);
        // Empty: no buffer, nothing released.
        // SAFETY: an empty string owns nothing.
        let s = unsafe { OwnedStr::from_raw(PpString::EMPTY, Some(counting_dealloc), None) };
        assert_eq!(s.unwrap(), "");
        assert_eq!(freed(), 3);

        // Lists: borrowed, released once with size and alignment; to_vec copies.
        let (ptr, len) = rt::alloc_vec(vec![1u32, 2, 3]);
        // SAFETY: an owned list from `alloc_vec`, released by `counting_dealloc`.
        let l = unsafe { OwnedList::from_raw(ptr, len, Some(counting_dealloc), None) }.unwrap();
        assert_eq!(l.as_ptr(), ptr);
        assert_eq!(l, [1, 2, 3]);
        assert_eq!(l.to_vec(), vec![1, 2, 3]);
        assert_eq!(l.iter().sum::<u32>(), 6);
        assert_eq!(freed(), 3);
        drop(l);
        assert_eq!(
            (freed(), FREED_BYTES.load(Ordering::SeqCst)),
            (4, 6 + 3 + 3 + 12)
        );
        // A misaligned pointer is refused (and, being unsafe to release, leaked).
        let bytes = [0u8; 16];
        let odd = bytes.as_ptr().wrapping_add(1) as *const u32;
        // SAFETY: refused before anything is read; `dealloc` is None, nothing is released.
        let e = unsafe { OwnedList::from_raw(odd, 2, None, None) }.unwrap_err();
        assert!(e.contains("misaligned"), "{e}");

        // `lift` (what generated callers use): the same checks, the refusal named as the
        // call's invalid result, the buffer released once.
        let before = freed();
        let raw = rt::alloc_vec(vec![b'o', b'k', 0xc3]);
        let bad = PpString {
            ptr: raw.0,
            len: raw.1,
        };
        // SAFETY: an owned string from `alloc_vec`, released by `counting_dealloc`.
        let e = unsafe { OwnedStr::lift(bad, Some(counting_dealloc), None, "i.f") }.unwrap_err();
        assert_eq!(
            (e.to_string(), freed()),
            (
                "invalid result: i.f: invalid UTF-8 at byte 2".to_string(),
                before + 1
            )
        );
        let (ptr, len) = rt::alloc_vec(vec![7u64, 8]);
        // SAFETY: an owned list from `alloc_vec`, released by `counting_dealloc`.
        let l = unsafe { OwnedList::lift(ptr, len, Some(counting_dealloc), None, "i.g") }.unwrap();
        assert_eq!((l.as_ptr(), &l[..]), (ptr, &[7u64, 8][..]));
        drop(l);
        assert_eq!(freed(), before + 2);
        // SAFETY: refused before anything is read; nothing is released for a null pointer.
        let e = unsafe {
            OwnedList::<u64>::lift(std::ptr::null(), 3, Some(counting_dealloc), None, "i.g")
        }
        .unwrap_err();
        assert!(
            e.to_string().contains("i.g: null pointer with length 3"),
            "{e}"
        );
        assert_eq!(freed(), before + 2);
        // An empty result with a non-null pointer owns nothing: never released (as
        // `rt::release_string` would skip it), and reads as empty.
        let odd = PpString {
            ptr: b"xyz".as_ptr(),
            len: 0,
        };
        // SAFETY: an empty string owns nothing.
        let s = unsafe { OwnedStr::lift(odd, Some(counting_dealloc), None, "i.f") }.unwrap();
        assert_eq!((s.as_str(), s.len()), ("", 0));
        drop(s);
        assert_eq!(freed(), before + 2);
    }
}
