//! `test:edge` (`wit/edge.wit`) in one process: resources implemented by the *host* and
//! called by the guest (constructor, methods, borrow, static taking two owned handles,
//! handles nested in lists, options and records), bare functions in both directions,
//! and names that are Rust keywords.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use plugport::abi::{PpString, PP_OK};
use rust_roundtrip::edge_host::exports::keywords::{Crate, Impl, Match, Super};
use rust_roundtrip::edge_host::imports::host_res::{self, Blob, Holder};
use rust_roundtrip::edge_host::{self as host};

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

#[test]
fn the_guest_uses_host_resources_and_everything_is_dropped() {
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
