//! One side of an isolated plugin: the proxy tables it synthesises for the tables the
//! other side implements, the calls it serves for the other side, and its handle table.
//!
//! Both processes run the same code: the host's endpoint serves imports and proxies
//! exports, the child's serves exports and proxies imports. Resources may live on either
//! side; every side has a proxy vtable for every resource of the world.
//!
//! **Proxies.** For every function slot of a table the peer implements, and every method
//! of every resource, a libffi closure with the slot's C signature (`ffitypes`) encodes
//! the arguments read from the C argument values by the plan, sends them through the
//! [`Transport`], waits, and decodes the result into `*ret` with memory from Rust's global
//! allocator, which the proxy table's `header.dealloc` ([`crate::abi::rust_dealloc`])
//! releases. A failed call leaves `*ret` untouched and puts an owned message in `*err`
//! (the closure body is in `proxy.rs`).
//!
//! **Handles** cross as ids (`docs/isolation.md`, "Handles"): bit 0 of an id says which
//! side implements the object (0 the child, 1 the host), the rest indexes that side's
//! table, and the generation counts reuses of an index. A handle that arrives for an
//! object of the peer becomes a proxy handle `{self: ProxyObj *, vtable: proxy vtable}`;
//! dropping it sends a call to the peer's `drop`. A proxy handle of an ended child
//! instance (epoch) is refused (`handles.rs`).

use std::ffi::c_void;
use std::sync::Mutex;

use libffi::middle::{Arg, Cif, Closure, CodePtr, Type as FfiType};

use super::ffitypes::param_type;
use super::frames::{Frame, Kind};
use super::handles::{call_drop, read_handle_id, read_slot, CallHandles, LocalTable, NoRelease};
use super::proxy::{proxy_entry, SlotUser};
use crate::abi::{rust_dealloc, PpString, PP_ERR_INVALID_ARGUMENT, PP_ERR_UNSUPPORTED, PP_OK};
use crate::ir::TypeId;
use crate::plan::{FunctionPlan, Plan, SlotKind, TableKind};
use crate::wire::{Allocator, Codec, Decoder, Global, Handles, RawHandle};

pub use crate::abi::PP_ERR_ISOLATION;

/// Longest error message copied from a callee, as the Rust bindings keep.
pub(super) const MAX_MESSAGE: usize = 64 * 1024;

/// Which process an endpoint runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Host,
    Child,
}

impl Role {
    pub(super) fn bit(self) -> u64 {
        match self {
            Role::Child => 0,
            Role::Host => 1,
        }
    }
}

/// How an endpoint reaches its peer.
pub trait Transport: Send + Sync {
    /// Sends a call of slot `slot` of table `table` with the encoded arguments and waits
    /// for the answer: `Ok((status, payload))`, or `Err(message)` when the call could not
    /// be completed (then the status is [`PP_ERR_ISOLATION`]).
    fn call(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String>;
    /// The current incarnation of the child (proxy handles of earlier ones are refused).
    fn epoch(&self) -> u64;
}

/// Per-slot call machinery: the CIF of the real function (for serving) and the proxy
/// closure (for calling).
struct SlotFfi {
    cif: Cif,
}

/// See the module docs.
pub struct Endpoint {
    pub(super) role: Role,
    // `codec` borrows `*plan`; it is declared first so that it is dropped first, and the
    // plan is boxed so that it does not move.
    pub(super) codec: Codec<'static>,
    pub(super) plan: Box<Plan>,
    /// `ffi[t][s]` for function slots (and drops) of table `t` (`Plan::tables` order).
    ffi: Vec<Vec<Option<SlotFfi>>>,
    /// Real tables this side implements, by table index (filled by [`Endpoint::set_local`]).
    local: Mutex<Vec<*const c_void>>,
    /// Proxy table memory, by table index (null where this side implements the table).
    proxies: Vec<Box<[u64]>>,
    closures: Vec<Closure<'static>>,
    users: Vec<*mut SlotUser>,
    pub(super) handles: Mutex<LocalTable>,
    pub(super) transport: Box<dyn Transport>,
    /// Index of the first vtable in `Plan::tables` order, and the world tables.
    pub(super) first_vtable: usize,
    exports_index: usize,
    imports_index: usize,
    /// Proxy calls running through this endpoint's tables (the host's drain waits for 0).
    inflight: std::sync::atomic::AtomicUsize,
    /// Owned proxy handles of the peer's objects alive on this side (the idle stop waits
    /// for 0).
    pub(super) owned_proxies: std::sync::atomic::AtomicUsize,
}

// SAFETY: the raw pointers are to immutable tables (proxies owned here, real ones of the
// plugin or host, which are thread-safe by `docs/abi.md` §5) and to user data owned here;
// mutable state is behind mutexes.
unsafe impl Send for Endpoint {}
// SAFETY: as `Send`.
unsafe impl Sync for Endpoint {}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.closures.clear();
        for u in self.users.drain(..) {
            // SAFETY: from `Box::into_raw` in `new`; the closures using it are gone.
            drop(unsafe { Box::from_raw(u) });
        }
    }
}

fn word_header(size: u64, version: u32) -> u64 {
    (size & 0xffff_ffff) | ((version as u64) << 32)
}

impl Endpoint {
    /// The endpoint of `role` for a world with plan `plan` (the plugin's world), whose
    /// table headers carry `version`. Returned boxed: closures point at it.
    pub fn new(
        role: Role,
        plan: Plan,
        version: u32,
        transport: Box<dyn Transport>,
    ) -> Result<Box<Endpoint>, String> {
        let plan = Box::new(plan);
        // SAFETY: the plan is boxed and owned by the endpoint, never moved or changed
        // while the endpoint lives, and `codec` is dropped before it (field order).
        let plan_ref: &'static Plan = unsafe { &*(plan.as_ref() as *const Plan) };
        let codec = Codec::new(plan_ref);
        let tables: Vec<_> = plan_ref.tables().collect();
        let n_interfaces = plan_ref.interfaces.len();
        let first_vtable = n_interfaces;
        let exports_index = n_interfaces + plan_ref.vtables.len();
        let imports_index = exports_index + 1;
        let mut ffi = Vec::new();
        for t in &tables {
            let mut row = Vec::new();
            for s in &t.slots {
                row.push(match &s.kind {
                    SlotKind::Function(f) => Some(SlotFfi {
                        cif: function_cif(plan_ref, f),
                    }),
                    SlotKind::Drop => Some(SlotFfi {
                        cif: Cif::new([FfiType::pointer()], FfiType::void()),
                    }),
                    SlotKind::Interface(_) => None,
                });
            }
            ffi.push(row);
        }
        let mut ep = Box::new(Endpoint {
            role,
            codec,
            plan,
            ffi,
            local: Mutex::new(vec![std::ptr::null(); tables.len()]),
            proxies: Vec::new(),
            closures: Vec::new(),
            users: Vec::new(),
            handles: Mutex::new(LocalTable::default()),
            transport,
            first_vtable,
            exports_index,
            imports_index,
            inflight: std::sync::atomic::AtomicUsize::new(0),
            owned_proxies: std::sync::atomic::AtomicUsize::new(0),
        });
        ep.build_proxies(version)?;
        Ok(ep)
    }

    /// How many proxy calls run through this endpoint's tables right now.
    pub fn inflight(&self) -> usize {
        self.inflight.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Counts a proxy call in ([`Self::inflight`]).
    pub(super) fn enter(&self) {
        self.inflight
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Counts a proxy call out: the proxy's last access to the endpoint, which a draining
    /// drop may free as soon as the count is 0.
    pub(super) fn leave(&self) {
        self.inflight
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Which interface tables the peer implements: the host's peer (the child)
    /// implements the exports, the child's the imports.
    fn peer_implements(&self, table: usize) -> bool {
        let plan = &self.plan;
        let peer_world = match self.role {
            Role::Host => self.exports_index,
            Role::Child => self.imports_index,
        };
        if table == peer_world {
            return true;
        }
        if table >= self.first_vtable {
            return table < self.exports_index; // every vtable has a proxy on both sides
        }
        let world = if peer_world == self.exports_index {
            &plan.exports
        } else {
            &plan.imports
        };
        world
            .slots
            .iter()
            .any(|s| s.kind == SlotKind::Interface(table))
    }

    fn build_proxies(&mut self, version: u32) -> Result<(), String> {
        let ep_ptr: *const Endpoint = self;
        let count = self.plan.tables().count();
        let mut proxies: Vec<Box<[u64]>> = Vec::with_capacity(count);
        // First allocate every table, so world tables can point at interface tables.
        for (ti, t) in self.plan.tables().enumerate() {
            if !self.peer_implements(ti) {
                proxies.push(Vec::new().into_boxed_slice());
                continue;
            }
            let mut words = vec![0u64; (t.size / 8) as usize].into_boxed_slice();
            words[0] = word_header(t.size, version);
            words[1] = rust_dealloc as *const () as usize as u64;
            proxies.push(words);
        }
        let tables: Vec<_> = self.plan.tables().cloned().collect();
        for (ti, t) in tables.iter().enumerate() {
            if proxies[ti].is_empty() {
                continue;
            }
            for (si, s) in t.slots.iter().enumerate() {
                let word = (s.offset / 8) as usize;
                match &s.kind {
                    SlotKind::Interface(i) => {
                        proxies[ti][word] = proxies[*i].as_ptr() as usize as u64;
                    }
                    SlotKind::Function(_) | SlotKind::Drop => {
                        let user = Box::into_raw(Box::new(SlotUser {
                            ep: ep_ptr,
                            table: ti as u32,
                            slot: si as u32,
                            drop: s.kind == SlotKind::Drop,
                        }));
                        self.users.push(user);
                        let cif = match &s.kind {
                            SlotKind::Function(f) => function_cif(&self.plan, f),
                            _ => Cif::new([FfiType::pointer()], FfiType::void()),
                        };
                        // SAFETY: `user` lives until the endpoint drops, after the closure.
                        let user_ref: &'static SlotUser = unsafe { &*user };
                        let closure = Closure::new(cif, proxy_entry, user_ref);
                        let code = *closure.code_ptr() as usize as u64;
                        proxies[ti][word] = code;
                        self.closures.push(closure);
                    }
                }
            }
        }
        self.proxies = proxies;
        Ok(())
    }

    /// The proxy table of table index `table` (the peer implements it), or NULL.
    pub fn proxy_table(&self, table: usize) -> *const c_void {
        self.proxies
            .get(table)
            .filter(|t| !t.is_empty())
            .map_or(std::ptr::null(), |t| t.as_ptr().cast())
    }

    /// The proxy exports table (host) or imports table (child).
    pub fn proxy_world(&self) -> *const c_void {
        match self.role {
            Role::Host => self.proxy_table(self.exports_index),
            Role::Child => self.proxy_table(self.imports_index),
        }
    }

    /// Sets the real world table this side implements (host: its imports table; child:
    /// the plugin's exports table); interface tables are read from its slots.
    pub fn set_local(&self, world: *const c_void) {
        let (wi, wplan) = match self.role {
            Role::Host => (self.imports_index, &self.plan.imports),
            Role::Child => (self.exports_index, &self.plan.exports),
        };
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        local[wi] = world;
        if world.is_null() {
            return;
        }
        for s in &wplan.slots {
            if let SlotKind::Interface(i) = s.kind {
                // SAFETY: `world` is a table of this world whose header says its size.
                local[i] = unsafe { read_slot(world, s.offset) };
            }
        }
    }

    /// Serves a `Call` (child) or `ImportCall` (host) frame: calls the real function and
    /// returns the `Return` / `ImportReturn` frame.
    pub fn serve(&self, frame: &Frame) -> Frame {
        let reply_kind = match frame.kind {
            Kind::ImportCall => Kind::ImportReturn,
            _ => Kind::Return,
        };
        let (status, payload) = match self.serve_inner(frame) {
            Ok(r) => r,
            Err((status, msg)) => (status, msg.into_bytes()),
        };
        Frame::new(reply_kind, frame.call_id, frame.table, frame.slot, status).with_payload(payload)
    }

    fn serve_inner(&self, frame: &Frame) -> Result<(i32, Vec<u8>), (i32, String)> {
        let ti = frame.table as usize;
        let si = frame.slot as usize;
        let bad = |m: String| (PP_ERR_INVALID_ARGUMENT, m);
        let table = self
            .plan
            .tables()
            .nth(ti)
            .ok_or_else(|| bad(format!("no table {ti}")))?;
        let slot = table
            .slots
            .get(si)
            .ok_or_else(|| bad(format!("no slot {si} in {}", table.c_name)))?;
        let sffi = self.ffi[ti][si]
            .as_ref()
            .ok_or_else(|| bad(format!("slot {} is not a function", slot.name)))?;
        let mut cx = CallHandles::new(self);
        let mut dec = Decoder::new(&self.codec, &frame.payload);
        // The object of a method or drop, decoded as a borrow (drop: an own) handle.
        let mut self_handle: Option<RawHandle> = None;
        if let TableKind::Vtable(r) = table.kind {
            let own = slot.kind == SlotKind::Drop;
            let id = read_handle_id(&mut dec).map_err(|e| bad(format!("self handle: {e}")))?;
            let raw = cx
                .handle_of(r, own, id)
                .map_err(|m| bad(format!("self handle: {m}")))?;
            self_handle = Some(raw);
        }
        if slot.kind == SlotKind::Drop {
            let raw = self_handle.expect("a vtable call has a self handle");
            // SAFETY: the handle came out of our table, so it is a live object of ours
            // whose vtable starts with a header and `drop`.
            unsafe { call_drop(raw) };
            cx.finish();
            return Ok((PP_OK, Vec::new()));
        }
        let SlotKind::Function(f) = &slot.kind else {
            unreachable!("functions and drops only")
        };
        // The real function.
        let table_ptr: *const c_void = match self_handle {
            Some(raw) => raw.vtable,
            None => self.local.lock().unwrap_or_else(|e| e.into_inner())[ti],
        };
        // SAFETY: a non-null table of this world; `read_slot` checks its size.
        let fnptr = unsafe { read_slot(table_ptr, slot.offset) };
        if fnptr.is_null() {
            cx.finish();
            return Err((
                PP_ERR_UNSUPPORTED,
                format!("{} is not implemented by this side", slot.name),
            ));
        }
        // Decode the parameters into C memory.
        let mut bufs: Vec<AlignedBuf> = Vec::with_capacity(f.params.len());
        for p in &f.params {
            let layout = self.plan.node(p.ty).layout;
            let buf = AlignedBuf::new(layout.size as usize);
            // SAFETY: `buf` has the type's size, 8-aligned.
            let r = unsafe { dec.value(p.ty, buf.ptr(), &mut Global, &mut cx) };
            bufs.push(buf);
            if let Err(e) = r {
                self.release_args(f, &mut bufs);
                cx.finish();
                return Err(bad(format!("argument {}: {e}", p.name)));
            }
        }
        if let Err(e) = dec.finish() {
            self.release_args(f, &mut bufs);
            cx.finish();
            return Err(bad(e.to_string()));
        }
        let ret_buf = f
            .result
            .map(|t| AlignedBuf::new(self.plan.node(t).layout.size as usize));
        let mut err = PpString::EMPTY;
        let self_ptr: *mut c_void = self_handle.map_or(std::ptr::null_mut(), |h| h.self_);
        let ret_ptr: *mut u8 = ret_buf.as_ref().map_or(std::ptr::null_mut(), |b| b.ptr());
        let err_ptr: *mut PpString = &mut err;
        let mut args: Vec<Arg> = Vec::with_capacity(f.params.len() + 3);
        if f.has_self {
            args.push(Arg::new(&self_ptr));
        }
        for b in &bufs {
            // SAFETY: `b` points at an initialised value of the parameter's type.
            args.push(Arg::new(unsafe { &*b.ptr() }));
        }
        if f.result.is_some() {
            args.push(Arg::new(&ret_ptr));
        }
        args.push(Arg::new(&err_ptr));
        // SAFETY: the CIF was built from this slot's plan, so it matches the C signature
        // of `fnptr` (`docs/abi.md` §5); every argument points at a value of its type.
        let status: i32 = unsafe { sffi.cif.call(CodePtr::from_ptr(fnptr), &args) };
        // Own handles in the arguments now belong to the callee; release only memory.
        self.release_args(f, &mut bufs);
        // SAFETY: the table's header is readable (checked by `read_slot`).
        let dealloc = unsafe { (*(table_ptr as *const crate::abi::PpTableHeader)).dealloc };
        let mut callee_alloc = CalleeAlloc(dealloc);
        let reply = if status == PP_OK {
            let mut out = Vec::new();
            if let (Some(t), Some(b)) = (f.result, &ret_buf) {
                // SAFETY: the callee wrote a value of the result type at `b` (PP_OK).
                let r = unsafe { self.codec.encode(t, b.ptr(), &mut cx, &mut out) };
                // Release the callee's memory; its own handles went to the peer.
                // SAFETY: the value came from the callee, allocated per its table.
                unsafe {
                    self.codec
                        .release(t, b.ptr(), &mut callee_alloc, &mut NoRelease)
                };
                match r {
                    Ok(()) => Ok((PP_OK, out)),
                    Err(e) => Err((
                        crate::abi::PP_ERR_INVALID_RESULT,
                        format!("{}: the result cannot be sent: {e}", slot.name),
                    )),
                }
            } else {
                Ok((PP_OK, out))
            }
        } else {
            let msg = take_message(err, &mut callee_alloc);
            Ok((status, msg.into_bytes()))
        };
        cx.finish();
        reply
    }

    fn release_args(&self, f: &FunctionPlan, bufs: &mut [AlignedBuf]) {
        for (p, b) in f.params.iter().zip(bufs.iter()) {
            // SAFETY: `b` holds a value decoded with `Global` (or all zero).
            unsafe {
                self.codec
                    .release(p.ty, b.ptr(), &mut Global, &mut NoRelease)
            };
        }
    }

    /// True while objects cross between the two sides: the peer holds objects of this
    /// side, or this side holds owned handles of the peer's objects. An isolated plugin's
    /// child is stopped for idleness only when none do.
    pub fn objects_cross(&self) -> bool {
        if self
            .owned_proxies
            .load(std::sync::atomic::Ordering::Acquire)
            > 0
        {
            return true;
        }
        let t = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        t.entries.iter().any(|e| e.handle.is_some())
    }

    /// Ends every object of this side that the peer of child epoch `epoch` or earlier held
    /// (that child ended; `u64::MAX`: every peer), by calling its `drop`: the receiver of
    /// an `own` handle must drop it, and the peer no longer can.
    pub fn drop_all_local(&self, epoch: u64) {
        let taken: Vec<(TypeId, RawHandle)> = {
            let mut t = self.handles.lock().unwrap_or_else(|e| e.into_inner());
            let mut out = Vec::new();
            let LocalTable { entries, free } = &mut *t;
            for (i, e) in entries.iter_mut().enumerate() {
                if e.epoch > epoch {
                    continue;
                }
                if let Some(h) = e.handle.take() {
                    e.generation = e.generation.wrapping_add(1);
                    free.push(i);
                    out.push(h);
                }
            }
            out
        };
        for (_, raw) in taken {
            // SAFETY: a live object of ours that nobody else can reach any more.
            unsafe { call_drop(raw) };
        }
    }
}

/// Copies and frees an error message from a callee.
fn take_message(err: PpString, alloc: &mut CalleeAlloc) -> String {
    if err.ptr.is_null() || err.len == 0 {
        return String::new();
    }
    // SAFETY: the callee's contract: `len` readable bytes it allocated.
    let bytes = unsafe { std::slice::from_raw_parts(err.ptr, err.len.min(MAX_MESSAGE)) };
    let s = String::from_utf8_lossy(bytes).into_owned();
    // SAFETY: the message was allocated by the callee with this size and alignment 1.
    unsafe { alloc.dealloc(err.ptr as *mut u8, err.len, 1) };
    s
}

/// Frees through a callee table's `dealloc`; never allocates.
struct CalleeAlloc(Option<crate::abi::PpDeallocFn>);

impl Allocator for CalleeAlloc {
    fn alloc(&mut self, _: usize, _: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize, align: usize) {
        if let Some(f) = self.0 {
            // SAFETY: the allocation came from the table's functions (`docs/abi.md` §6).
            unsafe { f(ptr.cast(), size, align) }
        }
    }
}

/// An 8-aligned zeroed buffer for one C value.
pub(super) struct AlignedBuf(Vec<u64>);

impl AlignedBuf {
    pub(super) fn new(size: usize) -> AlignedBuf {
        AlignedBuf(vec![0u64; size.div_ceil(8).max(1)])
    }
    pub(super) fn ptr(&self) -> *mut u8 {
        self.0.as_ptr() as *mut u8
    }
}

pub(super) fn function_cif(plan: &Plan, f: &FunctionPlan) -> Cif {
    let mut args = Vec::new();
    if f.has_self {
        args.push(FfiType::pointer());
    }
    for p in &f.params {
        args.push(param_type(plan, p.ty));
    }
    if f.result.is_some() {
        args.push(FfiType::pointer());
    }
    args.push(FfiType::pointer());
    Cif::new(args, FfiType::i32())
}
