//! Core C-ABI types shared by every plugport world (`docs/abi.md`, "Core types").
//!
//! Generated C headers define the same types under the guard `PLUGPORT_ABI_CORE_V1`;
//! the bindgen layout tests check that both agree. All types here are `Copy` plain data:
//! ownership is given by position (argument = borrowed, result = owned), never by type.

use std::ffi::c_void;

/// Version of the plugport ABI itself (descriptor blob, calling convention, core types).
pub const ABI_VERSION: u32 = 1;

/// Magic bytes at the start of a descriptor blob.
pub const DESCRIPTOR_MAGIC: [u8; 8] = *b"PLUGPORT";

/// Name of the object-file section that carries the descriptor blob (ELF / PE).
pub const DESCRIPTOR_SECTION_ELF: &str = ".plugport";
/// Mach-O `segment,section` of the descriptor blob.
pub const DESCRIPTOR_SECTION_MACHO: &str = "__DATA,__plugport";

/// Status of a call across the boundary; `PP_OK` or one of the `PP_ERR_*` codes.
pub type PpStatus = i32;
/// The call succeeded; out-parameters are set.
pub const PP_OK: PpStatus = 0;
/// The callee panicked or threw; `err` carries the message. The callee stays usable.
pub const PP_ERR_PANIC: PpStatus = 1;
/// The callee rejected an argument (bad UTF-8, bad tag, unknown flag bits, null handle,
/// null pointer with non-zero length); `err` says which.
pub const PP_ERR_INVALID_ARGUMENT: PpStatus = 2;
/// Set by the *caller's* generated code, never by a callee: the slot is not in the
/// callee's table (the plugin implements an older minor version).
pub const PP_ERR_UNSUPPORTED: PpStatus = 3;
/// Set by the caller's generated code: the callee returned data that failed validation.
pub const PP_ERR_INVALID_RESULT: PpStatus = 4;
/// The plugin's entry refused to initialise (e.g. the import table is too small).
pub const PP_ERR_INIT: PpStatus = 5;
/// Set by the runtime's proxies of an isolated plugin, never by a callee: the plugin
/// process could not answer (it crashed, exited, was killed, or the call passed its
/// deadline); `err` names what happened (`docs/isolation.md`, "Faults").
pub const PP_ERR_ISOLATION: PpStatus = 6;

/// Releases memory allocated by the side that owns the table: `ptr` and `size` (bytes)
/// and `align` (bytes) are exactly those of the allocation. Never called with `size` 0.
pub type PpDeallocFn = unsafe extern "C" fn(ptr: *mut c_void, size: usize, align: usize);

/// A UTF-8 string view or owned string: `len` bytes at `ptr`, not NUL-terminated.
/// `ptr` may be anything (even null) when `len == 0`; such a string owns no memory.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PpString {
    /// The first byte; anything (also null) when `len == 0`, else non-null.
    pub ptr: *const u8,
    /// Length in bytes (not characters), without a NUL.
    pub len: usize,
}

/// The header that starts every function table and vtable (`docs/abi.md`, "Tables").
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PpTableHeader {
    /// Size of the whole table in bytes; slots at or past this offset do not exist.
    pub size: u32,
    /// `major << 16 | minor` of the package that defined the table's interface.
    pub version: u32,
    /// Releases owned results (and error messages) produced by the functions of this table.
    /// `None` (C `NULL`) is allowed only in a table without functions (every function may
    /// fail with an owned error message); plugport never calls through a null `dealloc`
    /// (it leaks instead, §6).
    pub dealloc: Option<PpDeallocFn>,
}

impl PpString {
    /// The empty string `{NULL, 0}`: owns nothing; what a caller sets `*err` to before a call.
    pub const EMPTY: PpString = PpString {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows a Rust string for the duration of a call.
    pub fn borrowed(s: &str) -> PpString {
        PpString {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }
}

impl PpTableHeader {
    /// True when the table has a slot that ends at byte offset `end` (slot offset plus
    /// pointer size): how callers detect functions a plugin of an older minor lacks.
    #[inline]
    pub fn has_slot(&self, end: usize) -> bool {
        end <= self.size as usize
    }
}

/// The plugport allocator's release function, for memory allocated by Rust code with
/// the global allocator (see [`crate::rt::alloc_vec`]).
///
/// # Safety
/// `ptr`, `size`, `align` must describe a live allocation made by this crate's helpers.
pub unsafe extern "C" fn rust_dealloc(ptr: *mut c_void, size: usize, align: usize) {
    if size == 0 || ptr.is_null() {
        return;
    }
    if let Ok(layout) = std::alloc::Layout::from_size_align(size, align) {
        // SAFETY: guaranteed by the caller: the block was allocated with this layout.
        unsafe { std::alloc::dealloc(ptr.cast(), layout) }
    }
}
