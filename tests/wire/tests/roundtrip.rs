//! Round trips through the wire codec of C values laid out by the C compiler: every
//! compound type of tests/wit/typecov.wit (built in `c/values.c`), every scalar at its
//! edges, a function's parameter list; plus the documented encodings of
//! `docs/isolation.md` byte for byte, and mutated frames that must never crash or leak.

use std::ffi::c_void;

use plugport::ir::Type;
use plugport::plan::{Plan, SlotKind};
use plugport::wire::{Codec, Decoder, ErrorKind, HandleId, Handles, NoHandles, RawHandle};
use plugport_wire_tests::{
    buffer, cases, counting_dealloc, type_named, wire_counter_drops, wire_free, world, Counting,
    Table,
};

fn vp(b: &mut [u64]) -> *mut u8 {
    b.as_mut_ptr().cast()
}

/// The first `size` bytes of `b` are zero.
fn zeroed(b: &[u64], size: usize) -> bool {
    b.iter()
        .flat_map(|x| x.to_ne_bytes())
        .take(size)
        .all(|x| x == 0)
}

#[test]
fn every_typecov_value_round_trips_through_c_memory_and_releases_once() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let drops_before = unsafe { wire_counter_drops() };
    let mut handle_values = 0;
    let mut values = 0;
    for c in cases() {
        let name = c.type_name();
        let ty = type_named(&w, name);
        assert_eq!(plan.node(ty).layout.size as usize, c.size, "sizeof {name}");
        let is_handle = name.ends_with("_counter");
        for k in 0..c.cases {
            let what = format!("{name} value {k}");
            let mut orig = buffer(c.size);
            // SAFETY: `orig` holds `c.size` bytes aligned to 8.
            unsafe { (c.build)(k, vp(&mut orig).cast()) };
            let mut table = Table::default();
            let mut frame = Vec::new();
            // SAFETY: `orig` is a value of `ty` built by C.
            unsafe { codec.encode(ty, vp(&mut orig), &mut table, &mut frame) }
                .unwrap_or_else(|e| panic!("{what}: encode: {e}"));

            // Decode into memory full of garbage: the decoder must write every byte that
            // matters.
            let mut copy = buffer(c.size);
            copy.iter_mut().for_each(|x| *x = 0xAAAA_AAAA_AAAA_AAAA);
            // SAFETY: `copy` holds `c.size` writable bytes aligned to 8.
            unsafe { codec.decode(ty, &frame, vp(&mut copy), &mut Counting, &mut table) }
                .unwrap_or_else(|e| panic!("{what}: decode: {e}"));
            // SAFETY: both are values of the type.
            let equal = unsafe { (c.eq)(vp(&mut orig).cast(), vp(&mut copy).cast()) };
            assert_eq!(equal, 1, "{what}: decoded value differs from the original");

            // The encoding is a function of the value.
            let mut again = Vec::new();
            // SAFETY: `copy` is a decoded value of `ty`.
            unsafe { codec.encode(ty, vp(&mut copy), &mut table, &mut again) }.unwrap();
            if !is_handle {
                // (A handle gets a new id from the table each time it is sent.)
                assert_eq!(again, frame, "{what}: re-encoding differs");
            }

            // Every strict prefix of the frame is refused, frees what it allocated and
            // leaves the output zeroed.
            let live = Counting::live();
            for cut in 0..frame.len() {
                let mut t = buffer(c.size);
                t.iter_mut().for_each(|x| *x = u64::MAX);
                // SAFETY: as above.
                let e = unsafe {
                    codec.decode(ty, &frame[..cut], vp(&mut t), &mut Counting, &mut table)
                }
                .expect_err("a prefix must not decode");
                assert!(
                    matches!(
                        e.kind,
                        ErrorKind::Truncated { .. } | ErrorKind::LengthPastFrame { .. }
                    ),
                    "{what}: prefix of {cut} bytes: {e}"
                );
                assert!(zeroed(&t, c.size), "{what}: output not zeroed");
                assert_eq!(Counting::live(), live, "{what}: prefix {cut} leaked");
            }

            // The header's `_release` helper frees every allocation of the decoder once,
            // with the size and alignment it was allocated with.
            // SAFETY: `copy` was allocated by `Counting` on this thread.
            unsafe { (c.release)(vp(&mut copy).cast(), counting_dealloc) };
            assert_eq!(
                Counting::live(),
                0,
                "{what}: allocations left after release"
            );
            assert_eq!(Counting::bad_frees(), Vec::<String>::new(), "{what}");
            if is_handle {
                // Ownership went over the wire with the handle: only the copy is dropped.
                handle_values += 1;
            } else {
                // SAFETY: `orig` was allocated with malloc by the builders.
                unsafe { (c.release)(vp(&mut orig).cast(), wire_free) };
            }
            values += 1;
        }
    }
    assert!(
        Counting::allocs() > 50,
        "the values allocate: {}",
        Counting::allocs()
    );
    assert!(values >= 60, "{values} values");
    assert_eq!(
        unsafe { wire_counter_drops() } - drops_before,
        handle_values,
        "each decoded own<counter> dropped once through its vtable"
    );
}

/// Encodes the bytes of a scalar of `ty`, decodes them, and returns (frame, decoded
/// bytes).
fn scalar_round_trip(codec: &Codec, ty: Type, bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut v = buffer(8);
    // SAFETY: `v` has 8 bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), vp(&mut v), bytes.len()) };
    let mut frame = Vec::new();
    // SAFETY: `v` holds a scalar of `ty`.
    unsafe { codec.encode(ty, vp(&mut v), &mut NoHandles, &mut frame) }
        .unwrap_or_else(|e| panic!("{ty:?} {bytes:x?}: {e}"));
    let mut out = buffer(8);
    // SAFETY: `out` has 8 writable bytes.
    unsafe { codec.decode(ty, &frame, vp(&mut out), &mut Counting, &mut NoHandles) }
        .unwrap_or_else(|e| panic!("{ty:?} {bytes:x?}: {e}"));
    let got: Vec<u8> = out
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .take(bytes.len())
        .collect();
    (frame, got)
}

#[test]
fn scalars_round_trip_at_their_edges_with_the_documented_encoding() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let check = |ty: Type, bytes: Vec<u8>, expect: Option<&[u8]>| {
        let (frame, got) = scalar_round_trip(&codec, ty, &bytes);
        assert_eq!(got, bytes, "{ty:?}: round trip");
        if let Some(e) = expect {
            assert_eq!(frame, e, "{ty:?} {bytes:x?}: encoding");
        }
    };
    check(Type::Bool, vec![0], Some(&[0]));
    check(Type::Bool, vec![1], Some(&[1]));
    for v in [i8::MIN, -1, 0, i8::MAX] {
        check(Type::S8, v.to_ne_bytes().to_vec(), Some(&[v as u8]));
    }
    check(Type::U8, vec![255], Some(&[255]));
    for v in [i16::MIN, -1, 0, i16::MAX] {
        check(Type::S16, v.to_ne_bytes().to_vec(), None);
    }
    check(
        Type::U16,
        u16::MAX.to_ne_bytes().to_vec(),
        Some(&[0xff, 0xff, 0x03]),
    );
    for v in [i32::MIN, -129, -1, 0, 63, 64, i32::MAX] {
        check(Type::S32, v.to_ne_bytes().to_vec(), None);
    }
    check(Type::S32, (-1i32).to_ne_bytes().to_vec(), Some(&[0x7f]));
    check(Type::S32, 64i32.to_ne_bytes().to_vec(), Some(&[0xc0, 0x00]));
    check(
        Type::S64,
        (-129i64).to_ne_bytes().to_vec(),
        Some(&[0xff, 0x7e]),
    );
    for v in [i64::MIN, i64::MAX] {
        check(Type::S64, v.to_ne_bytes().to_vec(), None);
    }
    check(
        Type::U32,
        300u32.to_ne_bytes().to_vec(),
        Some(&[0xac, 0x02]),
    );
    check(
        Type::U32,
        u32::MAX.to_ne_bytes().to_vec(),
        Some(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
    );
    check(
        Type::U64,
        u64::MAX.to_ne_bytes().to_vec(),
        Some(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
    check(Type::U64, (1u64 << 63).to_ne_bytes().to_vec(), None);
    // IEEE bits travel unchanged, NaN payloads and signalling NaNs included.
    for bits in [0x7fc0_1234u32, 0xff80_0001, 0x8000_0000, 0x3f80_0000] {
        check(
            Type::F32,
            bits.to_ne_bytes().to_vec(),
            Some(&bits.to_le_bytes()),
        );
    }
    for bits in [
        0x7ff8_dead_beef_0001u64,
        0xfff0_0000_0000_0001,
        0x8000_0000_0000_0000,
    ] {
        check(
            Type::F64,
            bits.to_ne_bytes().to_vec(),
            Some(&bits.to_le_bytes()),
        );
    }
    for c in [
        0u32, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x10ffff,
    ] {
        let utf8 = char::from_u32(c).unwrap().to_string().into_bytes();
        check(Type::Char, c.to_ne_bytes().to_vec(), Some(&utf8));
    }
    check(
        Type::Char,
        0xe9u32.to_ne_bytes().to_vec(),
        Some(&[0xc3, 0xa9]),
    );
    check(
        Type::F32,
        1.0f32.to_ne_bytes().to_vec(),
        Some(&[0, 0, 0x80, 0x3f]),
    );
}

#[test]
fn compound_encodings_are_the_documented_bytes() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let enc = |name: &str, k: i32| -> Vec<u8> {
        let c = cases()
            .into_iter()
            .find(|c| c.type_name() == format!("test_typecov_v1_{name}"))
            .unwrap();
        let mut v = buffer(c.size);
        let mut frame = Vec::new();
        // SAFETY: built by C, then encoded, then released with the builder's free.
        unsafe {
            (c.build)(k, vp(&mut v).cast());
            codec
                .encode(
                    type_named(&w, c.type_name()),
                    vp(&mut v),
                    &mut Table::default(),
                    &mut frame,
                )
                .unwrap();
            if !name.ends_with("counter") {
                (c.release)(vp(&mut v).cast(), wire_free);
            }
        }
        frame
    };
    // list<u64> [0, u64::MAX, 1 << 63, 300]: count, then LEB128 elements.
    let mut expect = vec![4, 0];
    expect.extend([0xff; 9]);
    expect.push(0x01);
    expect.extend([0x80; 9]);
    expect.push(0x01);
    expect.extend([0xac, 0x02]);
    assert_eq!(enc("list_u64", 1), expect);
    // option<string>: none; some("a\0b").
    assert_eq!(enc("option_string", 0), [0]);
    assert_eq!(enc("option_string", 2), [1, 3, b'a', 0, b'b']);
    // result<u32, string>: err("bad").
    assert_eq!(enc("result_u32_string", 1), [1, 3, b'b', b'a', b'd']);
    // variant shape: empty is case 2, no payload; rect(point(MIN, MAX)).
    assert_eq!(enc("types_shape", 2), [2]);
    let mut rect = vec![1, 0x80, 0x80, 0x80, 0x80, 0x78];
    rect.extend([0xff, 0xff, 0xff, 0xff, 0x07]);
    assert_eq!(enc("types_shape", 1), rect);
    // enum color blue = 2; flags perms 0b101 in 1 byte; wide 0x8000_0001 in 4 bytes LE.
    assert_eq!(enc("types_color", 2), [2]);
    assert_eq!(enc("types_perms", 2), [5]);
    assert_eq!(enc("types_wide", 2), [1, 0, 0, 0x80]);
    // own<counter>: the table's id 1, generation 1.
    assert_eq!(enc("store_counter", 0), [1, 1]);
}

#[test]
fn a_functions_parameters_are_one_frame_of_consecutive_values() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let sink = plan
        .interfaces
        .iter()
        .flat_map(|t| &t.slots)
        .find_map(|s| match &s.kind {
            SlotKind::Function(f) if f.wit_name == "sink" => Some(f.clone()),
            _ => None,
        })
        .expect("sink slot");
    assert_eq!(sink.params.len(), 3);
    // a: u8 = 9, b: string = "hi", c: list<u64> = [300].
    let hi = b"hi";
    let n300 = [300u64];
    let mut a = buffer(1);
    let mut b = buffer(16);
    let mut c = buffer(16);
    // SAFETY: buffers of the C sizes of u8, pp_string, list<u64>.
    unsafe {
        *vp(&mut a) = 9;
        std::ptr::write(vp(&mut b).cast::<(*const u8, usize)>(), (hi.as_ptr(), 2));
        std::ptr::write(vp(&mut c).cast::<(*const u64, usize)>(), (n300.as_ptr(), 1));
    }
    let mut frame = Vec::new();
    for (p, v) in sink.params.iter().zip([&mut a, &mut b, &mut c]) {
        // SAFETY: each buffer holds a value of the parameter's type.
        unsafe { codec.encode(p.ty, vp(v), &mut NoHandles, &mut frame) }.unwrap();
    }
    assert_eq!(frame, [9, 2, b'h', b'i', 1, 0xac, 0x02]);

    let mut outs = [buffer(1), buffer(16), buffer(16)];
    let mut d = Decoder::new(&codec, &frame);
    for (p, o) in sink.params.iter().zip(outs.iter_mut()) {
        // SAFETY: each buffer is large enough for its parameter.
        unsafe { d.value(p.ty, vp(o), &mut Counting, &mut NoHandles) }.unwrap();
    }
    assert_eq!(d.position(), frame.len());
    d.finish().unwrap();
    for (p, o) in sink.params.iter().zip(outs.iter_mut()) {
        // SAFETY: decoded by `Counting` above.
        unsafe { codec.release(p.ty, vp(o), &mut Counting, &mut NoHandles) };
    }
    assert_eq!(Counting::live(), 0);

    // One byte more is refused by `finish`.
    frame.push(0);
    let mut d = Decoder::new(&codec, &frame);
    for (p, o) in sink.params.iter().zip(outs.iter_mut()) {
        // SAFETY: as above.
        unsafe { d.value(p.ty, vp(o), &mut Counting, &mut NoHandles) }.unwrap();
    }
    assert_eq!(
        d.finish().unwrap_err().kind,
        ErrorKind::TrailingBytes { count: 1 }
    );
    for (p, o) in sink.params.iter().zip(outs.iter_mut()) {
        // SAFETY: as above.
        unsafe { codec.release(p.ty, vp(o), &mut Counting, &mut NoHandles) };
    }
    assert_eq!(Counting::live(), 0);
}

/// xorshift64*: a fixed-seed generator, so a failure repeats.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Handles for the random test: any id below 4 is a handle (with a fake, never
/// dereferenced pointer); releases are counted.
#[derive(Default)]
struct AnyHandle {
    obtained: usize,
    released: usize,
}
impl Handles for AnyHandle {
    fn id_of(&mut self, _: usize, _: bool, h: RawHandle) -> Result<HandleId, String> {
        Ok(HandleId {
            id: h.self_ as u64 / 8,
            generation: 0,
        })
    }
    fn handle_of(&mut self, _: usize, own: bool, id: HandleId) -> Result<RawHandle, String> {
        if id.id >= 4 || id.id == 0 {
            return Err(format!("no handle {}", id.id));
        }
        if own {
            self.obtained += 1;
        }
        Ok(RawHandle {
            self_: (id.id * 8) as *mut c_void,
            vtable: 8 as *const c_void,
        })
    }
    fn release(&mut self, _: usize, _: RawHandle) {
        self.released += 1;
    }
}

#[test]
fn mutated_and_random_frames_never_crash_leak_or_mis_free() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused) = (0, 0);
    for c in cases() {
        let ty = type_named(&w, c.type_name());
        let size = c.size;
        let mut frames = Vec::new();
        for k in 0..c.cases {
            let mut v = buffer(size);
            let mut f = Vec::new();
            // SAFETY: built by C, encoded, released with the builder's free.
            unsafe {
                (c.build)(k, vp(&mut v).cast());
                codec
                    .encode(ty, vp(&mut v), &mut Table::default(), &mut f)
                    .unwrap();
                if !c.type_name().ends_with("counter") {
                    (c.release)(vp(&mut v).cast(), wire_free);
                }
            }
            frames.push(f);
        }
        for round in 0..400 {
            let mut f = if round % 4 == 3 {
                // Random bytes.
                (0..rng.below(48)).map(|_| rng.next() as u8).collect()
            } else {
                let mut f = frames[rng.below(frames.len())].clone();
                for _ in 0..1 + rng.below(3) {
                    match rng.below(4) {
                        0 if !f.is_empty() => {
                            let i = rng.below(f.len());
                            f[i] ^= 1 << rng.below(8);
                        }
                        1 if !f.is_empty() => {
                            let i = rng.below(f.len());
                            f[i] = rng.next() as u8;
                        }
                        2 => {
                            let i = rng.below(f.len() + 1);
                            f.insert(i, rng.next() as u8);
                        }
                        _ if !f.is_empty() => {
                            let i = rng.below(f.len());
                            f.remove(i);
                        }
                        _ => {}
                    }
                }
                f
            };
            let mut h = AnyHandle::default();
            let mut out = buffer(size);
            // SAFETY: `out` holds `size` writable bytes.
            let r = unsafe { codec.decode(ty, &f, vp(&mut out), &mut Counting, &mut h) };
            match r {
                Ok(()) => {
                    accepted += 1;
                    // A decoded value is valid: it encodes, and decodes to the same bytes.
                    let mut again = Vec::new();
                    // SAFETY: a decoded value of `ty`.
                    unsafe { codec.encode(ty, vp(&mut out), &mut h, &mut again) }
                        .unwrap_or_else(|e| panic!("{}: {f:x?}: {e}", c.type_name()));
                    let mut out2 = buffer(size);
                    // SAFETY: as above.
                    unsafe { codec.decode(ty, &again, vp(&mut out2), &mut Counting, &mut h) }
                        .unwrap();
                    // SAFETY: both are decoded values of the C type.
                    let eq = unsafe { (c.eq)(vp(&mut out).cast(), vp(&mut out2).cast()) };
                    assert_eq!(eq, 1, "{}: {f:x?}", c.type_name());
                    // SAFETY: decoded with `Counting`.
                    unsafe {
                        codec.release(ty, vp(&mut out), &mut Counting, &mut h);
                        codec.release(ty, vp(&mut out2), &mut Counting, &mut h);
                    }
                }
                Err(_) => {
                    refused += 1;
                    assert!(zeroed(&out, size), "{}: not zeroed", c.type_name());
                }
            }
            assert_eq!(h.obtained, h.released, "{}: {f:x?}: handles", c.type_name());
            assert_eq!(Counting::live(), 0, "{}: {f:x?}: leaked", c.type_name());
            f.clear();
        }
    }
    assert_eq!(Counting::bad_frees(), Vec::<String>::new());
    // Both outcomes are exercised.
    assert!(
        accepted > 500 && refused > 500,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn the_tests_above_are_clean_under_valgrind_memcheck() {
    plugport_wire_tests::memcheck_self();
}
