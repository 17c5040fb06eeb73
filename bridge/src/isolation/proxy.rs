//! The body of every proxy closure: encode the C arguments by the plan, send them,
//! wait, decode the result into `*ret` (`docs/isolation.md`, "Frames").

use std::ffi::c_void;

use super::endpoint::{AlignedBuf, Endpoint, Role, MAX_MESSAGE};
use super::handles::{write_handle_id, CallHandles, ProxyObj};
use crate::abi::{PpString, PP_ERR_INVALID_ARGUMENT, PP_ERR_ISOLATION, PP_OK};
use crate::plan::SlotKind;
use crate::wire::{Allocator, Global};

/// The user data of one proxy closure.
pub(super) struct SlotUser {
    pub(super) ep: *const Endpoint,
    pub(super) table: u32,
    pub(super) slot: u32,
    pub(super) drop: bool,
}

/// Allocates an owned copy of `msg` (at most [`MAX_MESSAGE`] bytes) for `*err`.
pub(super) fn owned_message(msg: &str) -> PpString {
    let mut bytes = msg.as_bytes();
    if bytes.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !msg.is_char_boundary(end) {
            end -= 1;
        }
        bytes = &bytes[..end];
    }
    if bytes.is_empty() {
        return PpString::EMPTY;
    }
    let p = Global.alloc(bytes.len(), 1);
    if p.is_null() {
        return PpString::EMPTY;
    }
    // SAFETY: `p` has `bytes.len()` writable bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    PpString {
        ptr: p,
        len: bytes.len(),
    }
}

/// The body of every proxy closure.
pub(super) unsafe extern "C" fn proxy_entry(
    _cif: &libffi::low::ffi_cif,
    result: &mut u64,
    args: *const *const c_void,
    user: &SlotUser,
) {
    // SAFETY: the endpoint outlives its closures; a draining drop waits for `leave`.
    let ep = unsafe { &*user.ep };
    ep.enter();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: libffi passes one pointer per argument of the slot's CIF.
        unsafe { proxy_call(user, args) }
    }));
    let status = r.unwrap_or(crate::abi::PP_ERR_PANIC);
    *result = status as i64 as u64;
    // Last: after this, neither `user` nor the endpoint is touched (libffi's epilogue
    // reads only its own stack frame).
    ep.leave();
}

/// Encodes, sends, waits, decodes (module docs).
///
/// # Safety
/// `args` holds one pointer per argument of the slot's C signature.
unsafe fn proxy_call(user: &SlotUser, args: *const *const c_void) -> i32 {
    // SAFETY: the endpoint outlives its closures.
    let ep = unsafe { &*user.ep };
    let table = ep.plan.tables().nth(user.table as usize).expect("a table");
    let slot = &table.slots[user.slot as usize];
    let arg = |i: usize| -> *const c_void {
        // SAFETY: the caller's contract.
        unsafe { *args.add(i) }
    };
    let mut cx = CallHandles::new(ep);
    let mut out = Vec::new();
    let mut k = 0;
    if user.drop || matches!(&slot.kind, SlotKind::Function(f) if f.has_self) {
        // SAFETY: the first argument is `void *self`, a ProxyObj of ours.
        let p = unsafe { *(arg(0) as *const *mut ProxyObj) };
        k = 1;
        if p.is_null() {
            return fail_or(user, args, 0, "a NULL self handle");
        }
        // SAFETY: `self` of a handle with our proxy vtable is a ProxyObj.
        let (id, epoch) = unsafe { ((*p).id, (*p).epoch) };
        if user.drop {
            // SAFETY: drop consumes the proxy; nobody uses `self` after it.
            drop(unsafe { Box::from_raw(p) });
            ep.owned_proxies
                .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            if ep.role == Role::Host && epoch != ep.transport.epoch() {
                return PP_OK; // the object died with its process
            }
            write_handle_id(&mut out, id);
            let _ = ep.transport.call(ep, user.table, user.slot, out);
            return PP_OK;
        }
        if ep.role == Role::Host && epoch != ep.transport.epoch() {
            return fail_or(
                user,
                args,
                1,
                "a handle of a plugin instance that has ended (the plugin process was \
                 restarted since it was made)",
            );
        }
        write_handle_id(&mut out, id);
    }
    let SlotKind::Function(f) = &slot.kind else {
        return PP_OK;
    };
    let err_index = k + f.params.len() + usize::from(f.result.is_some());
    // SAFETY: the `err` argument is a `pp_string *`.
    let err_ptr = unsafe { *(arg(err_index) as *const *mut PpString) };
    let set_err = |m: &str| {
        if !err_ptr.is_null() {
            // SAFETY: the caller passes a writable `pp_string *` (`docs/abi.md` §5).
            unsafe { *err_ptr = owned_message(m) };
        }
    };
    for (i, p) in f.params.iter().enumerate() {
        // SAFETY: argument `k + i` points at a C value of the parameter's type.
        let r = unsafe { ep.codec.encode(p.ty, arg(k + i).cast(), &mut cx, &mut out) };
        if let Err(e) = r {
            set_err(&format!("{}: argument {}: {e}", slot.name, p.name));
            return PP_ERR_INVALID_ARGUMENT;
        }
    }
    let (status, payload) = match ep.transport.call(ep, user.table, user.slot, out) {
        Ok(r) => r,
        Err(m) => {
            set_err(&m);
            return PP_ERR_ISOLATION;
        }
    };
    if status != PP_OK {
        set_err(&String::from_utf8_lossy(&payload));
        return status;
    }
    if let Some(t) = f.result {
        // SAFETY: the `ret` argument is a pointer to a writable value of the result type.
        let ret = unsafe { *(arg(k + f.params.len()) as *const *mut u8) };
        if ret.is_null() {
            set_err("ret is NULL");
            return PP_ERR_INVALID_ARGUMENT;
        }
        let size = ep.plan.node(t).layout.size as usize;
        let tmp = AlignedBuf::new(size);
        // SAFETY: `tmp` has the result's size; decoded with the allocator the proxy
        // table's `dealloc` frees.
        let r = unsafe {
            ep.codec
                .decode(t, &payload, tmp.ptr(), &mut Global, &mut cx)
        };
        if let Err(e) = r {
            set_err(&format!(
                "{}: the result from the other process: {e}",
                slot.name
            ));
            return crate::abi::PP_ERR_INVALID_RESULT;
        }
        // SAFETY: `ret` has room for the value; `tmp` holds it (moved, not copied twice).
        unsafe { std::ptr::copy_nonoverlapping(tmp.ptr(), ret, size) };
    }
    PP_OK
}

/// Sets `*err` of a method call that failed before sending and returns
/// [`PP_ERR_ISOLATION`] (or, for `drop`, nothing to report).
///
/// # Safety
/// As [`proxy_call`].
unsafe fn fail_or(user: &SlotUser, args: *const *const c_void, k: usize, msg: &str) -> i32 {
    if user.drop {
        return PP_OK;
    }
    // SAFETY: the endpoint outlives its closures.
    let ep = unsafe { &*user.ep };
    let table = ep.plan.tables().nth(user.table as usize).expect("a table");
    if let SlotKind::Function(f) = &table.slots[user.slot as usize].kind {
        let err_index = k.max(1) + f.params.len() + usize::from(f.result.is_some());
        // SAFETY: the `err` argument is a `pp_string *`.
        let err_ptr = unsafe { **(args.add(err_index) as *const *const *mut PpString) };
        if !err_ptr.is_null() {
            // SAFETY: writable per `docs/abi.md` §5.
            unsafe { *err_ptr = owned_message(msg) };
        }
    }
    PP_ERR_ISOLATION
}
