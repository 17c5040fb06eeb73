//! Issue 11 A.1 and A.2: maps and fixed-length lists between the Rust guest and the Rust
//! host in one process (`tests/wit/accept/collections.wit`; the C plugin side is
//! tests/constructs). Edge values round trip both ways, handles inside map values and fixed
//! lists end once, and a map with a duplicate key sent to the Rust guest by C is refused as
//! an invalid argument (`docs/abi.md` §3, "Maps"), never collapsed into one entry.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use plugport::abi::{PpString, PP_ERR_INVALID_ARGUMENT, PP_OK};
use rust_roundtrip::collections_host as host;
use rust_roundtrip::COUNTERS;

fn entry() -> *const host::ffi::test_collections_v1_collections_exports {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: §7 arguments; host and guest `ffi` mirror the same C types.
    let st = unsafe {
        rust_roundtrip::plugport_entry_test_collections_v1_collections(
            1,
            host::Collections::imports_table() as *const _ as *const _,
            &mut exports,
            &mut err,
        )
    };
    assert_eq!(st, PP_OK);
    exports.cast()
}

fn plugin() -> host::Collections {
    // SAFETY: the guest's static exports table.
    unsafe { host::Collections::from_raw_exports(entry()) }
}

#[test]
fn maps_and_fixed_lists_round_trip_with_edge_values() {
    use host::exports::kv::{Pixel, Point};
    let p = plugin();
    let kv = p.kv();
    assert!(kv.counts(&BTreeMap::new()).unwrap().is_empty());
    let m: BTreeMap<String, u32> = [("".into(), 0), ("é𝄞".into(), 41)].into_iter().collect();
    assert_eq!(
        kv.counts(&m).unwrap(),
        [("".into(), 1), ("é𝄞".into(), 42)].into_iter().collect()
    );
    let places: BTreeMap<String, Pixel> = [(
        "far".to_string(),
        Pixel {
            at: Point {
                x: i32::MIN,
                y: i32::MAX,
            },
            rgba: [255, 0, 1, 128],
            names: ["ä".into(), String::new()],
        },
    )]
    .into_iter()
    .collect();
    assert_eq!(kv.places(&places).unwrap(), places);
    let ids: BTreeMap<u64, Option<String>> = [(u64::MAX, None), (0, Some("zero".into()))]
        .into_iter()
        .collect();
    assert_eq!(kv.by_id(&ids).unwrap(), ids);
    let chars: BTreeMap<char, bool> = [('𝄞', true), ('a', false)].into_iter().collect();
    assert_eq!(kv.by_char(&chars).unwrap(), 1001);
    assert_eq!(kv.quad(&[9, 8, 7, 6]).unwrap(), [6, 7, 8, 9]);
    assert_eq!(
        kv.pair(&["x".into(), "yz".into()]).unwrap(),
        ["yz".to_string(), "x".to_string()]
    );
    assert_eq!(kv.floats(true).unwrap(), Ok([1.5, -0.0, 3.25]));
    assert_eq!(kv.floats(false).unwrap(), Err("no floats".to_string()));
    assert_eq!(
        kv.grid(&[[1, 2], [3, 4], [i16::MAX, 0]]).unwrap(),
        [[-1, -2], [-3, -4], [-i16::MAX, 0]]
    );
}

#[test]
fn handles_in_map_values_and_fixed_lists_end_once() {
    let p = plugin();
    let kv = p.kv();
    let before = COUNTERS.load(Ordering::SeqCst);
    let [a, b] = kv.counters(BTreeMap::new()).unwrap();
    let [c, _zero] = kv
        .counters([("one".to_string(), a)].into_iter().collect())
        .unwrap();
    assert_eq!(c.value().unwrap(), 1);
    let [n, sum] = kv
        .counters(
            [("b".to_string(), b), ("c".to_string(), c)]
                .into_iter()
                .collect(),
        )
        .unwrap();
    assert_eq!((n.value().unwrap(), sum.value().unwrap()), (2, 1));
    drop((n, sum, _zero));
    assert_eq!(
        COUNTERS.load(Ordering::SeqCst),
        before,
        "every counter ended once"
    );
}

/// What C may send and Rust cannot: two entries with one key. The guest's trampoline
/// refuses the argument (rule 5) and the implementation is not called.
#[test]
fn a_duplicate_key_sent_to_the_rust_guest_is_an_invalid_argument() {
    use host::ffi::{
        test_collections_v1_map_string_u32 as CMap,
        test_collections_v1_map_string_u32_entry as Entry,
    };
    let exports = entry();
    // SAFETY: the guest's static tables, as the entry returned them.
    let kv = unsafe { &*(*exports).kv };
    let counts = kv.counts.expect("the counts slot");
    let key = |s: &'static str| PpString {
        ptr: s.as_ptr().cast(),
        len: s.len(),
    };
    let entries = [
        Entry {
            key: key("k"),
            value: 1,
        },
        Entry {
            key: key("other"),
            value: 2,
        },
        Entry {
            key: key("k"),
            value: 3,
        },
    ];
    let m = CMap {
        ptr: entries.as_ptr(),
        len: entries.len(),
    };
    // SAFETY: a zeroed C result; the slot's contract (§5).
    let mut ret: CMap = unsafe { std::mem::zeroed() };
    let mut err = PpString::EMPTY;
    let st = unsafe { counts(m, &mut ret, &mut err) };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    // SAFETY: the guest wrote a message of `len` UTF-8 bytes.
    let msg =
        unsafe { std::str::from_utf8(std::slice::from_raw_parts(err.ptr.cast::<u8>(), err.len)) }
            .unwrap()
            .to_string();
    assert!(msg.contains("[2]: duplicate key \"k\""), "{msg}");
    assert_eq!(ret.len, 0, "no result on a refused argument");
    // SAFETY: the message is the guest's, released through its table's dealloc (§6).
    unsafe { (kv.header.dealloc.expect("dealloc"))(err.ptr as *mut _, err.len, 1) };

    // Distinct keys pass.
    let ok = [
        Entry {
            key: key("a"),
            value: 1,
        },
        Entry {
            key: key("b"),
            value: 2,
        },
    ];
    let m = CMap {
        ptr: ok.as_ptr(),
        len: ok.len(),
    };
    let st = unsafe { counts(m, &mut ret, &mut err) };
    assert_eq!(st, PP_OK);
    assert_eq!(ret.len, 2);
    // SAFETY: an owned result of this table: two entries of the guest's allocation.
    let got = unsafe { std::slice::from_raw_parts(ret.ptr, ret.len) };
    assert_eq!((got[0].value, got[1].value), (2, 3));
    // Released with the generated helper through the table's dealloc.
    unsafe { host::__abi::release_map_string_u32(&ret, kv.header.dealloc) };
}
