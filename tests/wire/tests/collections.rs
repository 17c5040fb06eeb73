//! Maps and fixed-length lists through the wire codec (issue 11, A.1 and A.2;
//! `docs/isolation.md`, "Wire encoding"): every case of `c/collections.c`, built by the C
//! compiler's layout, encodes, decodes into garbage-filled memory equal to the original,
//! re-encodes to the same bytes, refuses every strict prefix without leaking, and is freed
//! once by the header's `_release` helper; plus the documented bytes, and a map with a
//! duplicate key, which the codec carries as it is (the receiving language refuses it).

use plugport::plan::Plan;
use plugport::wire::{Codec, ErrorKind, NoHandles};
use plugport_wire_tests::{
    buffer, collection_cases, counting_dealloc, type_named, wire_free, world, Counting,
};

fn vp(b: &mut [u64]) -> *mut u8 {
    b.as_mut_ptr().cast()
}

#[test]
fn every_map_and_fixed_list_value_round_trips_and_releases_once() {
    let w = world("collections");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let mut values = 0;
    for c in collection_cases() {
        let name = c.type_name();
        let ty = type_named(&w, name);
        assert_eq!(plan.node(ty).layout.size as usize, c.size, "sizeof {name}");
        for k in 0..c.cases {
            let what = format!("{name} value {k}");
            let mut orig = buffer(c.size);
            // SAFETY: `orig` holds `c.size` bytes aligned to 8.
            unsafe { (c.build)(k, vp(&mut orig).cast()) };
            let mut frame = Vec::new();
            // SAFETY: `orig` is a value of `ty` built by C.
            unsafe { codec.encode(ty, vp(&mut orig), &mut NoHandles, &mut frame) }
                .unwrap_or_else(|e| panic!("{what}: encode: {e}"));
            let mut copy = buffer(c.size);
            copy.iter_mut().for_each(|x| *x = 0xAAAA_AAAA_AAAA_AAAA);
            // SAFETY: `copy` holds `c.size` writable bytes aligned to 8.
            unsafe { codec.decode(ty, &frame, vp(&mut copy), &mut Counting, &mut NoHandles) }
                .unwrap_or_else(|e| panic!("{what}: decode: {e}"));
            // SAFETY: both are values of the type.
            let equal = unsafe { (c.eq)(vp(&mut orig).cast(), vp(&mut copy).cast()) };
            assert_eq!(equal, 1, "{what}: decoded value differs from the original");
            let mut again = Vec::new();
            // SAFETY: `copy` is a decoded value of `ty`.
            unsafe { codec.encode(ty, vp(&mut copy), &mut NoHandles, &mut again) }.unwrap();
            assert_eq!(again, frame, "{what}: re-encoding differs");
            let live = Counting::live();
            for cut in 0..frame.len() {
                let mut t = buffer(c.size);
                // SAFETY: as above.
                let e = unsafe {
                    codec.decode(ty, &frame[..cut], vp(&mut t), &mut Counting, &mut NoHandles)
                }
                .expect_err("a prefix must not decode");
                assert!(
                    matches!(
                        e.kind,
                        ErrorKind::Truncated { .. } | ErrorKind::LengthPastFrame { .. }
                    ),
                    "{what}: prefix of {cut} bytes: {e}"
                );
                assert_eq!(Counting::live(), live, "{what}: prefix {cut} leaked");
            }
            // SAFETY: `copy` was allocated by `Counting` on this thread.
            unsafe { (c.release)(vp(&mut copy).cast(), counting_dealloc) };
            assert_eq!(
                Counting::live(),
                0,
                "{what}: allocations left after release"
            );
            assert_eq!(Counting::bad_frees(), Vec::<String>::new(), "{what}");
            // SAFETY: `orig` was allocated with malloc by the builders.
            unsafe { (c.release)(vp(&mut orig).cast(), wire_free) };
            values += 1;
        }
    }
    assert!(values >= 20, "{values} values");
}

/// Encodes C value `k` of the case named `name` (without the prefix).
fn encoded(name: &str, k: i32) -> Vec<u8> {
    let w = world("collections");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let full = format!("test_collections_v1_{name}");
    let c = collection_cases()
        .into_iter()
        .find(|c| c.type_name() == full)
        .unwrap_or_else(|| panic!("no case {full}"));
    let mut v = buffer(c.size);
    let mut frame = Vec::new();
    // SAFETY: as in the round trip above.
    unsafe {
        (c.build)(k, vp(&mut v).cast());
        codec
            .encode(
                type_named(&w, &full),
                vp(&mut v),
                &mut NoHandles,
                &mut frame,
            )
            .unwrap();
        (c.release)(vp(&mut v).cast(), wire_free);
    }
    frame
}

#[test]
fn the_documented_encodings_of_maps_and_fixed_lists() {
    // map<string, u32>: count, then key and value of each entry.
    assert_eq!(encoded("map_string_u32", 0), [0x00]);
    assert_eq!(
        encoded("map_string_u32", 1),
        [0x02, 0x00, 0x00, 0x03, b'z', 0xc3, 0xa9, 0xff, 0xff, 0xff, 0xff, 0x0f]
    );
    // A duplicate key is carried as it is: two entries with the key "".
    assert_eq!(
        encoded("map_string_u32", 2),
        [0x02, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f]
    );
    // list<u8, 4>: the four bytes, no count.
    assert_eq!(encoded("array4_u8", 1), [255, 254, 253, 252]);
    // list<list<s16, 2>, 3>: six signed LEB128 numbers, no counts.
    assert_eq!(encoded("array3_array2_s16", 0), [0; 6]);
    // list<string, 2>: each string with its length.
    assert_eq!(
        encoded("array2_string", 1),
        [5, b'f', b'i', b'r', b's', b't', 4, 0xf0, 0x9d, 0x84, 0x9e]
    );
}
