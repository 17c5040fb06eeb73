//! Support for the tests of the runtime's value plan and wire codec (`tests/`): the C
//! layout probes and typecov values that `build.rs` compiles, a counting allocator, and a
//! handle table.
#![deny(warnings)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};

use plugport::abi::PpDeallocFn;
use plugport::ir::{Type, TypeDefKind, World};
use plugport::wire::{Allocator, HandleId, Handles, RawHandle};

/// The C layout probes of every test world (see `build.rs`).
pub mod probe {
    include!(concat!(env!("OUT_DIR"), "/probes.rs"));
}

/// The world of a test module, from the IR `build.rs` wrote.
pub fn world(module: &str) -> World {
    let (_, json, _, _) = probe::worlds()
        .into_iter()
        .find(|(m, ..)| *m == module)
        .unwrap_or_else(|| panic!("no test world {module}"));
    serde_json::from_str(json).expect("IR JSON of build.rs")
}

/// One entry of `wire_cases` in `c/values.c`.
#[repr(C)]
pub struct WireCase {
    type_name: *const c_char,
    pub size: usize,
    pub cases: c_int,
    pub build: unsafe extern "C" fn(k: c_int, out: *mut c_void),
    pub eq: unsafe extern "C" fn(a: *const c_void, b: *const c_void) -> c_int,
    pub release: unsafe extern "C" fn(v: *mut c_void, dealloc: PpDeallocFn),
}

impl WireCase {
    /// The C type name (`test_typecov_v1_types_person`).
    pub fn type_name(&self) -> &str {
        // SAFETY: a string literal of c/values.c.
        unsafe { CStr::from_ptr(self.type_name) }
            .to_str()
            .expect("ASCII")
    }
}

extern "C" {
    fn wire_case_count() -> usize;
    fn coll_case_count() -> usize;
    fn coll_case_at(i: usize) -> *const WireCase;
    fn wire_case_at(i: usize) -> *const WireCase;
    /// How many times the counter vtable's `drop` ran.
    pub fn wire_counter_drops() -> c_int;
    /// A `pp_dealloc_fn` calling `free`, for what the C builders allocated.
    pub fn wire_free(ptr: *mut c_void, size: usize, align: usize);
}

/// Every map and fixed-length list case of `c/collections.c` (the collections world).
pub fn collection_cases() -> Vec<&'static WireCase> {
    // SAFETY: the C table is static, of the same struct, and `coll_case_at` is in range.
    unsafe { (0..coll_case_count()).map(|i| &*coll_case_at(i)).collect() }
}

/// Every typecov case of `c/values.c`.
pub fn cases() -> Vec<&'static WireCase> {
    // SAFETY: the C table is static and `wire_case_at` is in range.
    unsafe { (0..wire_case_count()).map(|i| &*wire_case_at(i)).collect() }
}

/// The type of the world whose C name is `c_name`: an `own<R>` for a handle name, an
/// alias for an alias name, else the type that defines it.
pub fn type_named(w: &World, c_name: &str) -> Type {
    let names = plugport::cnames::CNames::new(w);
    let ids: Vec<usize> = (0..w.types.len())
        .filter(|id| names.type_id(*id) == c_name)
        .collect();
    let id = ids
        .iter()
        .copied()
        .find(|id| matches!(w.ty(*id).kind, TypeDefKind::Own { .. }))
        .or_else(|| ids.first().copied())
        .unwrap_or_else(|| panic!("no type is named {c_name}"));
    Type::Id(id)
}

/// A zeroed buffer of `size` bytes aligned to 8 (the largest alignment of the ABI).
pub fn buffer(size: usize) -> Vec<u64> {
    vec![0; size.div_ceil(8).max(1)]
}

thread_local! {
    /// Live allocations of [`Counting`] on this thread: address -> (size, align).
    static LIVE: RefCell<HashMap<usize, (usize, usize)>> = RefCell::new(HashMap::new());
    /// Frees with a wrong size or alignment, or of unknown pointers.
    static BAD_FREES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Allocations made on this thread.
    static ALLOCS: RefCell<usize> = const { RefCell::new(0) };
}

/// An allocator that records every live allocation of its thread, so that a test can
/// check that each was freed once, with the size and alignment it was made with, also
/// when the C `_release` helpers free it through [`counting_dealloc`].
#[derive(Default)]
pub struct Counting;

impl Counting {
    /// Live allocations.
    pub fn live() -> usize {
        LIVE.with(|l| l.borrow().len())
    }
    /// Allocations made since the thread started.
    pub fn allocs() -> usize {
        ALLOCS.with(|a| *a.borrow())
    }
    /// Frees that did not match an allocation, drained.
    pub fn bad_frees() -> Vec<String> {
        BAD_FREES.with(|b| std::mem::take(&mut *b.borrow_mut()))
    }
}

impl Allocator for Counting {
    fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        let layout = std::alloc::Layout::from_size_align(size, align).expect("valid layout");
        // SAFETY: size > 0 (the trait's contract).
        let p = unsafe { std::alloc::alloc(layout) };
        LIVE.with(|l| l.borrow_mut().insert(p as usize, (size, align)));
        ALLOCS.with(|a| *a.borrow_mut() += 1);
        p
    }
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize, align: usize) {
        // SAFETY: forwarded contract.
        unsafe { counting_dealloc(ptr.cast(), size, align) }
    }
}

/// The `pp_dealloc_fn` of [`Counting`]: frees only a live allocation of exactly this
/// size and alignment, and records anything else in [`Counting::bad_frees`].
///
/// # Safety
/// `ptr` came from [`Counting`] on this thread, or the call is recorded as bad.
pub unsafe extern "C" fn counting_dealloc(ptr: *mut c_void, size: usize, align: usize) {
    let found = LIVE.with(|l| l.borrow_mut().remove(&(ptr as usize)));
    match found {
        Some((s, a)) if s == size && a == align => {
            let layout = std::alloc::Layout::from_size_align(s, a).expect("valid layout");
            // SAFETY: allocated by `Counting::alloc` with this layout, freed once (removed
            // from LIVE above).
            unsafe { std::alloc::dealloc(ptr.cast(), layout) }
        }
        Some((s, a)) => {
            BAD_FREES.with(|b| {
                b.borrow_mut().push(format!(
                    "{ptr:p} allocated as ({s}, {a}), freed as ({size}, {align})"
                ))
            });
        }
        None => BAD_FREES.with(|b| {
            b.borrow_mut()
                .push(format!("{ptr:p} ({size}, {align}) freed but not live"))
        }),
    }
}

/// A handle table: ids from 1, generation 1; `handle_of` checks the generation;
/// `release` forgets the id and counts.
#[derive(Default)]
pub struct Table {
    pub by_id: HashMap<u64, (HandleId, RawHandle)>,
    next: u64,
    pub released: usize,
}

impl Handles for Table {
    fn id_of(&mut self, _: usize, _: bool, handle: RawHandle) -> Result<HandleId, String> {
        self.next += 1;
        let id = HandleId {
            id: self.next,
            generation: 1,
        };
        self.by_id.insert(id.id, (id, handle));
        Ok(id)
    }
    fn handle_of(&mut self, _: usize, _: bool, id: HandleId) -> Result<RawHandle, String> {
        match self.by_id.get(&id.id) {
            Some((known, h)) if known.generation == id.generation => Ok(*h),
            Some(_) => Err(format!("handle {} is of an ended object", id.id)),
            None => Err(format!("no handle {}", id.id)),
        }
    }
    fn release(&mut self, _: usize, _: RawHandle) {
        self.released += 1;
    }
}

/// Set in the environment of a test binary that [`memcheck_self`] runs under valgrind.
const UNDER_VALGRIND: &str = "PLUGPORT_WIRE_UNDER_VALGRIND";

/// Runs the calling test binary's other tests under valgrind memcheck and asserts that
/// they pass with no memory error (invalid read or write, use of uninitialised memory,
/// bad free) and no definite or indirect leak. Inside that run it does nothing.
pub fn memcheck_self() {
    if std::env::var_os(UNDER_VALGRIND).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new("valgrind")
        .env(UNDER_VALGRIND, "1")
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .arg(&exe)
        .arg("--test-threads=1")
        .output()
        .unwrap_or_else(|e| {
            panic!("valgrind: {e} (scripts/test.sh installs it; apt-get install valgrind)")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok"),
        "valgrind {}: {}\n{stdout}\n{stderr}",
        exe.display(),
        out.status
    );
    assert!(!stderr.contains("Invalid "), "{stderr}");
}
