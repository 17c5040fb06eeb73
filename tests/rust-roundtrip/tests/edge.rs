//! `test:edge` (`wit/edge.wit`) in one process: resources implemented by the *host* and
//! called by the guest (constructor, methods, borrow, static taking two owned handles,
//! handles nested in lists, options and records), bare functions in both directions,
//! names that are Rust keywords, and `own` handles passed into calls that fail: every one
//! is dropped exactly once (`docs/abi.md` §5), by the callee's trampolines (guest and
//! host) and by a caller whose result fails validation.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use plugport::abi::{rust_dealloc, PpString, PpTableHeader, PP_ERR_INVALID_ARGUMENT, PP_OK};
use plugport::CallError;
use rust_roundtrip::edge_guest::ffi as gffi;
use rust_roundtrip::edge_host::exports::keywords::{Crate, Impl, Match, Super};
use rust_roundtrip::edge_host::imports::host_res::{self, Blob, Holder};
use rust_roundtrip::edge_host::{self as host, ffi as hffi};

/// Blobs alive on the host.
static LIVE: AtomicU32 = AtomicU32::new(0);
/// Lines the guest logged.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct EdgeHost;

/// The host's blob.
struct HostBlob(Mutex<Vec<u8>>);

impl HostBlob {
    fn make(bytes: Vec<u8>) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        HostBlob(Mutex::new(bytes))
    }
}

impl Drop for HostBlob {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl host_res::Host for EdgeHost {
    type Blob = HostBlob;
    fn make_many(n: u32) -> Vec<Blob> {
        (0..n)
            .map(|i| Blob::new(HostBlob::make(vec![7; i as usize])))
            .collect()
    }
    fn unwrap(h: Holder) -> Option<Blob> {
        assert_eq!(h.name, "holder");
        h.item
    }
    fn live() -> u32 {
        LIVE.load(Ordering::SeqCst)
    }
}

impl host_res::HostBlob for HostBlob {
    fn new(init: &[u8]) -> Self {
        HostBlob::make(init.to_vec())
    }
    fn size(&self) -> u32 {
        self.0.lock().unwrap().len() as u32
    }
    fn append(&self, other: &Self) {
        let o = other.0.lock().unwrap().clone();
        self.0.lock().unwrap().extend(o);
    }
    fn merge(a: Self, b: Self) -> Self {
        let mut v = a.0.lock().unwrap().clone();
        v.extend(b.0.lock().unwrap().iter());
        HostBlob::make(v)
    }
}

impl host::imports::Host for EdgeHost {
    fn log_line(line: &str) {
        LINES.lock().unwrap().push(line.to_string());
    }
}

fn plugin() -> host::Edge {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: §7 arguments; host and guest `ffi` mirror the same C types.
    let st = unsafe {
        rust_roundtrip::plugport_entry_test_edge_v0_2_edge(
            1,
            host::Edge::imports_table::<EdgeHost>() as *const _ as *const _,
            &mut exports,
            &mut err,
        )
    };
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static exports table.
    unsafe { host::Edge::from_raw_exports(exports.cast()) }
}

/// Tests that count live blobs, live tokens or recorded drops run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn the_guest_uses_host_resources_and_everything_is_dropped() {
    let _g = serial();
    let p = plugin();
    // a+b merged = 5 bytes; make_many(4) = 0+1+2+3 bytes.
    assert_eq!(p.run(4).unwrap(), Ok(5 + 6));
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "every host blob was dropped"
    );
    let lines = LINES.lock().unwrap();
    // live() is called while `merged` (moved back out of the holder), the 4 blobs of
    // make_many and nothing else are alive: a and b were consumed by merge.
    assert_eq!(lines.as_slice(), ["run 4: 5 live"]);
}

#[test]
fn keyword_names_round_trip() {
    let p = plugin();
    let k = p.keywords();
    let m = Match {
        self_: true,
        r#fn: 9,
        r#loop: vec![1, 2],
    };
    let got = k
        .r#mod(
            &m,
            Crate::Ref,
            &Impl::Mut(3),
            Super::WHERE,
            &("dyn".to_string(),),
        )
        .unwrap();
    assert_eq!(
        got,
        (
            m,
            Crate::Ref,
            Impl::Mut(3),
            Super::WHERE,
            ("dyn".to_string(),)
        )
    );
    assert_eq!(
        k.r#mod(
            &Match {
                self_: false,
                r#fn: 0,
                r#loop: vec![],
            },
            Crate::In,
            &Impl::Move,
            Super::empty(),
            &(String::new(),),
        )
        .unwrap()
        .2,
        Impl::Move
    );
    assert_eq!(k.nothing().unwrap(), Err(()));
    assert_eq!(
        k.only_err(true).unwrap(),
        Err("failed as asked".to_string())
    );
    assert_eq!(k.only_err(false).unwrap(), Ok(()));
}

// ---- own handles passed into failing calls are dropped exactly once (abi.md §5) --------

/// `self` pointers whose recording vtable's `drop` ran, in order.
static DROPPED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

unsafe extern "C" fn record_drop(p: *mut c_void) {
    DROPPED.lock().unwrap().push(p as usize);
}

/// The recorded drops since the last call, sorted.
fn drops() -> Vec<usize> {
    let mut d = std::mem::take(&mut *DROPPED.lock().unwrap());
    d.sort_unstable();
    d
}

/// A token vtable of a "foreign" implementation whose `drop` records its `self`.
fn recording_vtable() -> &'static gffi::test_edge_v0_2_owned_token_vtable {
    Box::leak(Box::new(gffi::test_edge_v0_2_owned_token_vtable {
        header: PpTableHeader {
            size: std::mem::size_of::<gffi::test_edge_v0_2_owned_token_vtable>() as u32,
            version: 2,
            dealloc: Some(rust_dealloc),
        },
        drop: Some(record_drop),
        id: None,
        absorb: None,
    }))
}

/// A token handle numbered `n` from the recording implementation (`self` is never
/// dereferenced).
fn foreign(n: usize) -> gffi::test_edge_v0_2_owned_token {
    gffi::test_edge_v0_2_owned_token {
        self_: n as *mut c_void,
        vtable: recording_vtable(),
    }
}

const NULL_TOKEN: gffi::test_edge_v0_2_owned_token = gffi::test_edge_v0_2_owned_token {
    self_: std::ptr::null_mut(),
    vtable: std::ptr::null(),
};

/// The guest's `owned` table.
fn owned_table() -> &'static gffi::test_edge_v0_2_owned_table {
    let p = plugin();
    // SAFETY: the guest's static tables (host and guest `ffi` are the same C types).
    unsafe { &*(*(p.exports_table() as *const gffi::test_edge_v0_2_edge_exports)).owned }
}

/// A real token of the guest (counted in `TOKENS`), as a raw owned handle.
fn token(id: u32) -> gffi::test_edge_v0_2_owned_token {
    let mut h = NULL_TOKEN;
    let mut err = PpString::EMPTY;
    // SAFETY: a trampoline of the guest with valid `ret` and `err`.
    let st = unsafe { owned_table().token_new.unwrap()(id, &mut h, &mut err) };
    assert_eq!(st, PP_OK);
    h
}

fn tokens() -> u32 {
    rust_roundtrip::TOKENS.load(Ordering::SeqCst)
}

/// Takes an owned error message written by a Rust callee.
fn take_err(err: PpString) -> String {
    // SAFETY: allocated by the callee with the global allocator.
    unsafe {
        let s = plugport::rt::lift_string(err).expect("UTF-8 message");
        plugport::rt::release_string(&err, Some(rust_dealloc));
        s
    }
}

const BAD_UTF8: &[u8] = &[b'o', b'k', 0xC3, 0x28];

fn bad_str() -> PpString {
    PpString {
        ptr: BAD_UTF8.as_ptr(),
        len: BAD_UTF8.len(),
    }
}

fn parcel(
    label: PpString,
    item: Option<gffi::test_edge_v0_2_owned_token>,
) -> gffi::test_edge_v0_2_owned_parcel {
    gffi::test_edge_v0_2_owned_parcel {
        label,
        item: gffi::test_edge_v0_2_option_owned_token {
            is_some: u8::from(item.is_some()),
            val: item.unwrap_or(NULL_TOKEN),
        },
    }
}

/// Calls `owned.merge` with raw handles; `with_ret: false` passes a null `ret`.
fn merge(
    a: gffi::test_edge_v0_2_owned_token,
    b: gffi::test_edge_v0_2_owned_token,
    with_ret: bool,
) -> (i32, String) {
    let mut ret = NULL_TOKEN;
    let ret_ptr: *mut _ = if with_ret {
        &mut ret
    } else {
        std::ptr::null_mut()
    };
    let mut err = PpString::EMPTY;
    // SAFETY: a trampoline of the guest; it checks every argument.
    let st = unsafe { owned_table().merge.unwrap()(a, b, ret_ptr, &mut err) };
    assert_ne!(st, PP_OK, "the callee accepted an invalid call");
    (st, take_err(err))
}

#[test]
fn two_top_level_own_arguments_are_both_dropped_when_either_is_rejected() {
    let _g = serial();
    drops();
    let (st, m) = merge(NULL_TOKEN, foreign(1), true);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(
        m.contains("argument `a`") && m.contains("null handle"),
        "{m}"
    );
    assert_eq!(drops(), [1], "b is dropped although a was rejected first");
    merge(foreign(2), NULL_TOKEN, true);
    assert_eq!(drops(), [2]);
    // Both foreign: both rejected, each dropped once.
    let (_, m) = merge(foreign(3), foreign(4), true);
    assert!(m.contains("not created by this implementation"), "{m}");
    assert_eq!(drops(), [3, 4]);
    // The plugin's own tokens are taken back and dropped too.
    let base = tokens();
    merge(NULL_TOKEN, token(5), true);
    assert_eq!(tokens(), base);
    merge(token(6), foreign(7), true);
    assert_eq!((tokens(), drops()), (base, vec![7]));
}

#[test]
fn a_null_ret_or_self_still_drops_the_own_arguments() {
    let _g = serial();
    drops();
    let base = tokens();
    let (st, m) = merge(token(1), token(2), false);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("null `ret`"), "{m}");
    assert_eq!(tokens(), base, "both tokens dropped");
    merge(foreign(3), token(4), false);
    assert_eq!((tokens(), drops()), (base, vec![3]));
    // A method called with a null `self` and an owned argument.
    let t = token(9);
    // SAFETY: the vtable of a live guest handle.
    let absorb = unsafe { (*t.vtable).absorb.unwrap() };
    for (other, dropped) in [(foreign(5), vec![5]), (token(6), vec![])] {
        let (mut ret, mut err) = (0u32, PpString::EMPTY);
        // SAFETY: the trampoline checks `self`.
        let st = unsafe { absorb(std::ptr::null_mut(), other, &mut ret, &mut err) };
        assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
        assert!(take_err(err).contains("null `self`"));
        assert_eq!(drops(), dropped);
    }
    assert_eq!(tokens(), base + 1, "only `t` is left");
    // SAFETY: `t` is owned here and dropped once.
    unsafe { (*t.vtable).drop.unwrap()(t.self_) };
    assert_eq!(tokens(), base);
}

#[test]
fn a_handle_in_a_record_is_dropped_when_an_earlier_field_is_rejected() {
    let _g = serial();
    drops();
    let open = owned_table().open_parcel.unwrap();
    let call = |p: gffi::test_edge_v0_2_owned_parcel| {
        let mut ret = gffi::test_edge_v0_2_option_owned_token {
            is_some: 0,
            val: NULL_TOKEN,
        };
        let mut err = PpString::EMPTY;
        // SAFETY: a trampoline of the guest; it checks every argument.
        let st = unsafe { open(p, &mut ret, &mut err) };
        (st, take_err(err))
    };
    let (st, m) = call(parcel(bad_str(), Some(foreign(1))));
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("field `label`") && m.contains("UTF-8"), "{m}");
    assert_eq!(drops(), [1]);
    let base = tokens();
    call(parcel(bad_str(), Some(token(2))));
    assert_eq!(tokens(), base);
    // An invalid option discriminant is not followed: nothing to drop, nothing dropped.
    let mut p = parcel(PpString::borrowed("fine"), Some(foreign(3)));
    p.item.is_some = 2;
    let (st, m) = call(p);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("discriminant"), "{m}");
    assert_eq!(drops(), Vec::<usize>::new());
}

#[test]
fn a_list_of_handles_is_dropped_around_a_rejected_element() {
    let _g = serial();
    drops();
    let count = owned_table().count.unwrap();
    let base = tokens();
    let items = [
        foreign(1),
        token(2),
        NULL_TOKEN,
        foreign(3),
        token(4),
        foreign(5),
    ];
    let (mut ret, mut err) = (0u32, PpString::EMPTY);
    // SAFETY: a trampoline of the guest; it checks every argument.
    let st = unsafe {
        count(
            gffi::test_edge_v0_2_list_owned_token {
                ptr: items.as_ptr(),
                len: items.len(),
            },
            &mut ret,
            &mut err,
        )
    };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(take_err(err).contains("[2]: null handle"));
    // Before the null one (lifted, then dropped) and after it (never lifted).
    assert_eq!(drops(), [1, 3, 5]);
    assert_eq!(tokens(), base);
}

#[test]
fn handles_in_variants_tuples_and_results_are_dropped_when_any_argument_fails() {
    let _g = serial();
    drops();
    let nested = owned_table().nested.unwrap();
    let call = |w, pair, res, flag| {
        let (mut ret, mut err) = (0u32, PpString::EMPTY);
        // SAFETY: a trampoline of the guest; it checks every argument.
        let st = unsafe { nested(w, pair, res, flag, &mut ret, &mut err) };
        (st, take_err(err))
    };
    let ok_label = PpString::borrowed("ok");
    // The first argument fails in the middle of a list of records; the others are fine
    // but are dropped with it; `flag` is fine.
    let parcels = [
        parcel(ok_label, Some(foreign(1))),
        parcel(bad_str(), Some(foreign(2))),
        parcel(ok_label, Some(foreign(3))),
    ];
    let w = gffi::test_edge_v0_2_owned_wrap {
        tag: 2,
        val: gffi::test_edge_v0_2_owned_wrap_val {
            parcels: gffi::test_edge_v0_2_list_owned_parcel {
                ptr: parcels.as_ptr(),
                len: parcels.len(),
            },
        },
    };
    let pair = gffi::test_edge_v0_2_tuple2_owned_token_string {
        f0: foreign(4),
        f1: ok_label,
    };
    let res = gffi::test_edge_v0_2_result_owned_token_owned_parcel {
        is_err: 1,
        val: gffi::test_edge_v0_2_result_owned_token_owned_parcel_val {
            err: parcel(ok_label, Some(foreign(5))),
        },
    };
    let (st, m) = call(w, pair, res, 1);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(
        m.contains("argument `w`") && m.contains("[1]: field `label`"),
        "{m}"
    );
    assert_eq!(drops(), [1, 2, 3, 4, 5]);
    // A tuple whose second element fails after its handle; an invalid bool.
    let w = gffi::test_edge_v0_2_owned_wrap {
        tag: 1,
        val: gffi::test_edge_v0_2_owned_wrap_val { one: foreign(6) },
    };
    let pair = gffi::test_edge_v0_2_tuple2_owned_token_string {
        f0: foreign(7),
        f1: bad_str(),
    };
    let res = gffi::test_edge_v0_2_result_owned_token_owned_parcel {
        is_err: 0,
        val: gffi::test_edge_v0_2_result_owned_token_owned_parcel_val { ok: foreign(8) },
    };
    let (st, m) = call(w, pair, res, 2);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("argument `pair`: element 1"), "{m}");
    assert_eq!(drops(), [6, 7, 8]);
    // Only `flag` is invalid: real tokens are taken back and dropped.
    let base = tokens();
    let w = gffi::test_edge_v0_2_owned_wrap {
        tag: 1,
        val: gffi::test_edge_v0_2_owned_wrap_val { one: token(1) },
    };
    let pair = gffi::test_edge_v0_2_tuple2_owned_token_string {
        f0: token(2),
        f1: ok_label,
    };
    let res = gffi::test_edge_v0_2_result_owned_token_owned_parcel {
        is_err: 0,
        val: gffi::test_edge_v0_2_result_owned_token_owned_parcel_val { ok: token(3) },
    };
    let (_, m) = call(w, pair, res, 7);
    assert!(m.contains("argument `flag`"), "{m}");
    assert_eq!(tokens(), base);
    // Unknown discriminants are not followed (their payloads cannot be told apart).
    let w = gffi::test_edge_v0_2_owned_wrap {
        tag: 9,
        val: gffi::test_edge_v0_2_owned_wrap_val { one: foreign(9) },
    };
    let pair = gffi::test_edge_v0_2_tuple2_owned_token_string {
        f0: foreign(10),
        f1: ok_label,
    };
    let res = gffi::test_edge_v0_2_result_owned_token_owned_parcel {
        is_err: 3,
        val: gffi::test_edge_v0_2_result_owned_token_owned_parcel_val { ok: foreign(11) },
    };
    call(w, pair, res, 0);
    assert_eq!(drops(), [10]);
}

#[test]
fn a_valid_call_with_nested_handles_drops_them_once_in_the_plugin() {
    let _g = serial();
    drops();
    let base = tokens();
    let p = plugin();
    let o = p.owned();
    let parcels = o.make_parcels(3).unwrap();
    assert_eq!(tokens(), base + 3);
    let labels: Vec<&str> = parcels.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["p0", "p1", "p2"]);
    use rust_roundtrip::edge_host::exports::owned::{Parcel, Wrap};
    let one = o.token_new(4).unwrap();
    let got = o
        .nested(
            Wrap::Parcels(parcels),
            (o.token_new(5).unwrap(), "x".into()),
            Err(Parcel {
                label: "e".into(),
                item: Some(one),
            }),
            true,
        )
        .unwrap();
    assert_eq!(got, 4);
    assert_eq!(tokens(), base);
    let merged = o
        .merge(o.token_new(1).unwrap(), o.token_new(2).unwrap())
        .unwrap();
    assert_eq!(merged.id().unwrap(), 3);
    let other = o.token_new(10).unwrap();
    assert_eq!(merged.absorb(other).unwrap(), 13);
    assert_eq!(tokens(), base + 1);
    drop(merged);
    assert_eq!((tokens(), o.live().unwrap()), (base, base));
    assert_eq!(drops(), Vec::<usize>::new());
}

/// A fake `owned.make-parcels` whose second parcel's label is not UTF-8: every parcel
/// holds a handle of the recording implementation.
unsafe extern "C" fn bad_make_parcels(
    _n: u32,
    ret: *mut hffi::test_edge_v0_2_list_owned_parcel,
    _err: *mut PpString,
) -> i32 {
    let vt = recording_vtable() as *const gffi::test_edge_v0_2_owned_token_vtable;
    let parcel = |label: PpString, n: usize| hffi::test_edge_v0_2_owned_parcel {
        label,
        item: hffi::test_edge_v0_2_option_owned_token {
            is_some: 1,
            val: hffi::test_edge_v0_2_owned_token {
                self_: n as *mut c_void,
                vtable: vt.cast(),
            },
        },
    };
    let (bp, bn) = plugport::rt::alloc_vec(vec![0xFFu8]);
    let parcels = vec![
        parcel(plugport::rt::alloc_str("fine"), 1),
        parcel(PpString { ptr: bp, len: bn }, 2),
        parcel(plugport::rt::alloc_str("never read"), 3),
    ];
    let (ptr, len) = plugport::rt::alloc_vec(parcels);
    // SAFETY: a valid `ret`.
    unsafe { ret.write(hffi::test_edge_v0_2_list_owned_parcel { ptr, len }) };
    PP_OK
}

#[test]
fn a_result_that_fails_validation_halfway_drops_all_its_handles() {
    let _g = serial();
    drops();
    let real = plugin();
    // SAFETY: copies of the guest's static tables, with one slot replaced.
    let exports = unsafe {
        let mut owned = *((*real.exports_table()).owned);
        owned.make_parcels = Some(bad_make_parcels);
        let mut exports = *real.exports_table();
        exports.owned = Box::leak(Box::new(owned));
        Box::leak(Box::new(exports))
    };
    // SAFETY: valid, static tables.
    let p = unsafe { host::Edge::from_raw_exports(exports) };
    match p.owned().make_parcels(3) {
        Err(CallError::InvalidResult(m)) => {
            assert!(m.contains("owned.make-parcels: [1]: field `label`"), "{m}")
        }
        other => panic!("expected InvalidResult, got {other:?}"),
    }
    assert_eq!(
        drops(),
        [1, 2, 3],
        "each handle of the rejected result dropped once"
    );
}

#[test]
fn host_trampolines_drop_own_arguments_of_failing_calls() {
    let _g = serial();
    let imports = host::Edge::imports_table::<EdgeHost>();
    // SAFETY: the host's static tables.
    let t = unsafe { &*imports.host_res };
    let base = LIVE.load(Ordering::SeqCst);
    let blob = |n: u8| Blob::new(HostBlob::make(vec![n])).into_raw();
    let null = hffi::test_edge_v0_2_host_res_blob {
        self_: std::ptr::null_mut(),
        vtable: std::ptr::null(),
    };
    // merge(null, blob): `b` is dropped although `a` is rejected first.
    let mut ret = null;
    let mut err = PpString::EMPTY;
    // SAFETY: a trampoline of the host; it checks every argument.
    let st = unsafe { t.blob_merge.unwrap()(null, blob(1), &mut ret, &mut err) };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(take_err(err).contains("argument `a`"));
    assert_eq!(LIVE.load(Ordering::SeqCst), base);
    // unwrap(holder { name: not UTF-8, item: Some(blob) }): the blob is dropped.
    let h = hffi::test_edge_v0_2_host_res_holder {
        name: bad_str(),
        item: hffi::test_edge_v0_2_option_host_res_blob {
            is_some: 1,
            val: blob(2),
        },
    };
    let mut ret = hffi::test_edge_v0_2_option_host_res_blob {
        is_some: 0,
        val: null,
    };
    let mut err = PpString::EMPTY;
    // SAFETY: as above.
    let st = unsafe { t.unwrap.unwrap()(h, &mut ret, &mut err) };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(take_err(err).contains("field `name`"));
    assert_eq!(LIVE.load(Ordering::SeqCst), base);
}

/// `list<borrow<token>>` is a C type of its own (`..._list_borrow_owned_token`), distinct
/// from `list<token>` (`docs/abi.md` §4); the callee reads the borrowed handles and drops
/// none of them.
#[test]
fn a_list_of_borrowed_handles_is_read_and_nothing_is_dropped() {
    use std::mem::ManuallyDrop;
    let _g = serial();
    drops();
    let base = tokens();
    let p = plugin();
    let o = p.owned();
    let toks: Vec<_> = [3, 5, 9].map(|i| o.token_new(i).unwrap()).into();
    // The Rust host passes borrowed handles as non-dropping views of its own tokens.
    let views: Vec<ManuallyDrop<_>> = toks
        .iter()
        // SAFETY: each view is a copy of a handle `toks` keeps owning, never dropped.
        .map(|t| {
            ManuallyDrop::new(unsafe { host::exports::owned::Token::from_raw(t.as_raw()) }.unwrap())
        })
        .collect();
    assert_eq!(o.sum_ids(&views).unwrap(), 17);
    assert_eq!(o.sum_ids(&[]).unwrap(), 0);
    assert_eq!(tokens(), base + 3, "the borrowed tokens are alive");
    let ids: Vec<u32> = toks.iter().map(|t| t.id().unwrap()).collect();
    assert_eq!(ids, [3, 5, 9]);
    drop(toks);
    assert_eq!(tokens(), base);
    assert_eq!(drops(), Vec::<usize>::new());
    // The two list types are distinct C types of the same layout.
    assert_ne!(
        std::any::type_name::<gffi::test_edge_v0_2_list_owned_token>(),
        std::any::type_name::<gffi::test_edge_v0_2_list_borrow_owned_token>()
    );
}

/// A fallible constructor (`docs/abi.md` §5): the slot answers `result<own<gate>,
/// string>`; the error case is an answer (`Ok(Err(..))`), not a call error, and creates
/// nothing.
#[test]
fn a_fallible_constructor_answers_a_handle_or_its_error() {
    let p = plugin();
    let o = p.owned();
    let gate = o.gate_new(true).unwrap().expect("an open gate is made");
    assert!(gate.is_open().unwrap());
    let refused = o.gate_new(false).unwrap();
    assert_eq!(
        refused.err().as_deref(),
        Some("a closed gate cannot be made")
    );
}
