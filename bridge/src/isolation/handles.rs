//! The handles of an isolated plugin's calls (`docs/isolation.md`, "Handles across
//! processes"): this side's table of objects the peer holds, proxy objects for the
//! peer's, and the per-call mapping the wire codec uses.

use std::ffi::c_void;

use super::endpoint::{Endpoint, Role};
use crate::ir::{Type, TypeId};
use crate::plan::TableKind;
use crate::wire::{Decoder, Global, HandleId, Handles, RawHandle};

/// What a proxy handle's `self` points at.
pub(super) struct ProxyObj {
    pub(super) id: HandleId,
    pub(super) epoch: u64,
}

/// One entry of the local handle table.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub(super) generation: u32,
    pub(super) handle: Option<(TypeId, RawHandle)>,
    /// The child epoch the object was sent to.
    pub(super) epoch: u64,
}

#[derive(Default)]
pub(super) struct LocalTable {
    pub(super) entries: Vec<Entry>,
    pub(super) free: Vec<usize>,
}

/// Reads the pointer in slot `offset` of `table`, or NULL when the table is NULL or its
/// header says it is too small (`docs/abi.md` §5, "Evolution").
///
/// # Safety
/// `table` is NULL or points at a table that starts with a `pp_table_header`.
pub(super) unsafe fn read_slot(table: *const c_void, offset: u64) -> *const c_void {
    if table.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the caller's contract; the slot is read only inside the table's size.
    unsafe {
        let size = *(table as *const u32) as u64;
        if offset + 8 > size {
            return std::ptr::null();
        }
        *((table as *const u8).add(offset as usize) as *const *const c_void)
    }
}

/// Calls `vtable->drop(self)` when the vtable is large enough.
///
/// # Safety
/// `raw` is a live handle of an object whose vtable starts with a header and `drop`.
pub(super) unsafe fn call_drop(raw: RawHandle) {
    // SAFETY: the caller's contract.
    unsafe {
        let f = read_slot(raw.vtable, 16);
        if !f.is_null() && !raw.self_.is_null() {
            let f: unsafe extern "C" fn(*mut c_void) = std::mem::transmute(f);
            f(raw.self_);
        }
    }
}

pub(super) fn read_handle_id(dec: &mut Decoder) -> Result<HandleId, String> {
    // A handle is two LEB128 integers; decode them through a u64 and a u32 value.
    let mut id = 0u64;
    let mut gen = 0u32;
    // SAFETY: the buffers have the size of the scalar types decoded into them.
    unsafe {
        dec.value(
            Type::U64,
            (&mut id as *mut u64).cast(),
            &mut Global,
            &mut NoRelease,
        )
        .map_err(|e| e.to_string())?;
        dec.value(
            Type::U32,
            (&mut gen as *mut u32).cast(),
            &mut Global,
            &mut NoRelease,
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(HandleId {
        id,
        generation: gen,
    })
}

pub(super) fn write_handle_id(out: &mut Vec<u8>, id: HandleId) {
    let mut v = id.id;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    let mut v = id.generation as u64;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
}

/// Handles for releasing memory only: handle ownership has moved elsewhere.
pub(super) struct NoRelease;

impl Handles for NoRelease {
    fn id_of(&mut self, _: TypeId, _: bool, _: RawHandle) -> Result<HandleId, String> {
        Err("no handles here".into())
    }
    fn handle_of(&mut self, _: TypeId, _: bool, _: HandleId) -> Result<RawHandle, String> {
        Err("no handles here".into())
    }
    fn release(&mut self, _: TypeId, _: RawHandle) {}
}

/// The handle mapping of one call: the endpoint's table, plus what to undo when the
/// call ends (borrowed local objects registered for it, borrowed proxy handles).
pub(super) struct CallHandles<'e> {
    ep: &'e Endpoint,
    temp_local: Vec<usize>,
    temp_proxies: Vec<*mut ProxyObj>,
}

impl<'e> CallHandles<'e> {
    pub(super) fn new(ep: &'e Endpoint) -> Self {
        CallHandles {
            ep,
            temp_local: Vec::new(),
            temp_proxies: Vec::new(),
        }
    }

    pub(super) fn finish(&mut self) {
        if !self.temp_local.is_empty() {
            let mut t = self.ep.handles.lock().unwrap_or_else(|e| e.into_inner());
            for i in self.temp_local.drain(..) {
                if t.entries[i].handle.take().is_some() {
                    t.entries[i].generation = t.entries[i].generation.wrapping_add(1);
                    t.free.push(i);
                }
            }
        }
        for p in self.temp_proxies.drain(..) {
            // SAFETY: from `Box::into_raw` in `handle_of`, lent for this call only.
            drop(unsafe { Box::from_raw(p) });
        }
    }

    fn proxy_vtable(&self, resource: TypeId) -> *const c_void {
        let vi = self
            .ep
            .plan
            .vtables
            .iter()
            .position(|v| v.kind == TableKind::Vtable(resource));
        vi.map_or(std::ptr::null(), |i| {
            self.ep.proxy_table(self.ep.first_vtable + i)
        })
    }
}

impl Drop for CallHandles<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Handles for CallHandles<'_> {
    fn id_of(&mut self, resource: TypeId, own: bool, raw: RawHandle) -> Result<HandleId, String> {
        if raw.self_.is_null() || raw.vtable.is_null() {
            return Err("a NULL handle".into());
        }
        if raw.vtable == self.proxy_vtable(resource) {
            let p = raw.self_ as *mut ProxyObj;
            // SAFETY: our proxy vtable is only in handles whose `self` is a ProxyObj.
            let (id, epoch) = unsafe { ((*p).id, (*p).epoch) };
            if self.ep.role == Role::Host && epoch != self.ep.transport.epoch() {
                return Err(
                    "a handle of a plugin instance that has ended (the plugin process was \
                     restarted since it was made)"
                        .into(),
                );
            }
            if own {
                // Ownership goes back to the peer with the id: no drop message.
                // SAFETY: as above; the handle is consumed by passing it as `own`.
                drop(unsafe { Box::from_raw(p) });
                self.ep
                    .owned_proxies
                    .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
            return Ok(id);
        }
        let mut t = self.ep.handles.lock().unwrap_or_else(|e| e.into_inner());
        let i = match t.free.pop() {
            Some(i) => i,
            None => {
                t.entries.push(Entry {
                    generation: 0,
                    handle: None,
                    epoch: 0,
                });
                t.entries.len() - 1
            }
        };
        let e = &mut t.entries[i];
        e.generation = e.generation.wrapping_add(1);
        e.handle = Some((resource, raw));
        e.epoch = self.ep.transport.epoch();
        let generation = e.generation;
        drop(t);
        if !own {
            self.temp_local.push(i);
        }
        Ok(HandleId {
            id: ((i as u64) << 1) | self.ep.role.bit(),
            generation,
        })
    }

    fn handle_of(
        &mut self,
        resource: TypeId,
        own: bool,
        id: HandleId,
    ) -> Result<RawHandle, String> {
        if id.id & 1 == self.ep.role.bit() {
            let i = (id.id >> 1) as usize;
            let mut t = self.ep.handles.lock().unwrap_or_else(|e| e.into_inner());
            let Some(e) = t.entries.get_mut(i) else {
                return Err(format!("unknown handle id {}", id.id));
            };
            match e.handle {
                Some((r, raw)) if e.generation == id.generation && r == resource => {
                    if own {
                        e.handle = None;
                        e.generation = e.generation.wrapping_add(1);
                        t.free.push(i);
                    }
                    Ok(raw)
                }
                _ => Err(format!(
                    "handle id {} generation {} is of an ended object",
                    id.id, id.generation
                )),
            }
        } else {
            let vtable = self.proxy_vtable(resource);
            if vtable.is_null() {
                return Err(format!("no resource with type id {resource}"));
            }
            let p = Box::into_raw(Box::new(ProxyObj {
                id,
                epoch: self.ep.transport.epoch(),
            }));
            if own {
                self.ep
                    .owned_proxies
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            } else {
                self.temp_proxies.push(p);
            }
            Ok(RawHandle {
                self_: p.cast(),
                vtable,
            })
        }
    }

    fn release(&mut self, _resource: TypeId, raw: RawHandle) {
        // SAFETY: an own handle this mapping produced: a live object or a proxy.
        unsafe { call_drop(raw) };
    }
}
