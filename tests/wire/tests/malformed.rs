//! Malformed frames: each gives its specific `WireError`, at the right byte, without
//! crashing, leaking or allocating for lengths the frame cannot hold. And values the
//! encoder cannot represent are refused before anything is sent.

use plugport::ir::{PackageName, Type, TypeDef, TypeDefKind, World};
use plugport::plan::Plan;
use plugport::wire::{Codec, ErrorKind, Limits, NoHandles, WireError};
use plugport_wire_tests::{buffer, type_named, world, Counting, Table};

/// Decodes `frame` as the typecov type named `name` (`types_shape`, …) and returns the
/// error, checking that nothing stayed allocated and the output is zero.
fn refuse(name: &str, frame: &[u8]) -> WireError {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    refuse_with(
        &codec,
        type_named(&w, &format!("test_typecov_v1_{name}")),
        frame,
    )
}

fn refuse_with(codec: &Codec, ty: Type, frame: &[u8]) -> WireError {
    let size = codec.plan().node(ty).layout.size as usize;
    let mut out = buffer(size);
    // SAFETY: `out` has the type's size, aligned to 8.
    let e = unsafe {
        codec.decode(
            ty,
            frame,
            out.as_mut_ptr().cast(),
            &mut Counting,
            &mut Table::default(),
        )
    }
    .expect_err("the frame must be refused");
    assert_eq!(Counting::live(), 0, "{frame:x?}: leaked");
    assert!(out.iter().all(|x| *x == 0), "{frame:x?}: output not zeroed");
    e
}

fn at(e: &WireError) -> (usize, &ErrorKind) {
    (e.at, &e.kind)
}

#[test]
fn truncated_frames_say_how_much_is_missing() {
    // A u64 whose LEB128 continues past the end.
    let e = refuse("list_u64", &[1, 0xff, 0xff]);
    assert_eq!(at(&e), (3, &ErrorKind::Truncated { needed: 1 }));
    // A point (two s32) with one field.
    let e = refuse("types_point", &[0x01]);
    assert_eq!(at(&e), (1, &ErrorKind::Truncated { needed: 1 }));
    // An empty frame.
    let e = refuse("types_color", &[]);
    assert_eq!(e.kind, ErrorKind::Truncated { needed: 1 });
    // An f64 payload cut short: shape circle with 3 of 8 bytes.
    let e = refuse("types_shape", &[0, 1, 2, 3]);
    assert_eq!(at(&e), (1, &ErrorKind::Truncated { needed: 5 }));
}

#[test]
fn lengths_past_the_frame_are_refused_before_allocating() {
    // A string of 5 bytes with 2 present.
    let e = refuse("option_string", &[1, 5, b'a', b'b']);
    assert_eq!(
        at(&e),
        (
            1,
            &ErrorKind::LengthPastFrame {
                len: 5,
                min_bytes: 5,
                remaining: 2
            }
        )
    );
    // list<person> claiming u32::MAX people (each at least 1 + 1 + 1 + 1 = 4 bytes) in a
    // 10-byte frame: no allocation at all, let alone 4 Gi * 56 bytes.
    let before = Counting::allocs();
    let e = refuse(
        "list_types_person",
        &[0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0, 0],
    );
    assert_eq!(
        e.kind,
        ErrorKind::LengthPastFrame {
            len: u32::MAX as u64,
            min_bytes: 4 * u32::MAX as u64,
            remaining: 5
        }
    );
    assert_eq!(
        Counting::allocs(),
        before,
        "allocated for an impossible length"
    );
    // list<u64> of 3 elements, each at least one byte, in 2 bytes.
    let e = refuse("list_u64", &[3, 0, 0]);
    assert!(matches!(e.kind, ErrorKind::LengthPastFrame { len: 3, .. }));
    // A nested list of strings whose inner length runs past the frame, after the outer
    // one already allocated: everything is freed (checked by `refuse`).
    let e = refuse("list_string", &[2, 1, b'x', 9, b'y']);
    assert_eq!(e.at, 3);
    assert!(matches!(e.kind, ErrorKind::LengthPastFrame { len: 9, .. }));
}

#[test]
fn bad_utf8_bad_chars_and_bad_bools_are_refused() {
    // "(" after a lone lead byte.
    let e = refuse("option_string", &[1, 2, 0xc3, 0x28]);
    assert_eq!(at(&e), (1, &ErrorKind::BadUtf8));
    // An encoded surrogate (CESU-style) is not UTF-8 either.
    let e = refuse("option_string", &[1, 3, 0xed, 0xa0, 0x80]);
    assert_eq!(e.kind, ErrorKind::BadUtf8);
    // In a person inside a list inside a result inside an option, after other strings
    // were allocated: refused, and `refuse` checks they were all freed.
    let mut frame = vec![1, 0, 2];
    frame.extend([3, b'A', b'd', b'a', 9, 0, 0]); // person 1: "Ada", 9, no tags, no home
    frame.extend([2, 0xff, 0xfe, 0, 0, 0]); // person 2: invalid name
    let e = refuse("option_result_list_types_person_types_shape", &frame);
    assert_eq!(at(&e), (10, &ErrorKind::BadUtf8));

    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    for (bytes, at_) in [
        (&[0xed, 0xa0, 0x80][..], 0),       // surrogate U+D800
        (&[0xf4, 0x90, 0x80, 0x80][..], 0), // above U+10FFFF
        (&[0xc0, 0x80][..], 0),             // overlong NUL
        (&[0x80][..], 0),                   // continuation byte first
        (&[0xe2, 0x28, 0xa1][..], 0),       // bad continuation
    ] {
        let e = refuse_with(&codec, Type::Char, bytes);
        assert_eq!(
            at(&e),
            (at_, &ErrorKind::BadChar { value: None }),
            "{bytes:x?}"
        );
    }
    let e = refuse_with(&codec, Type::Char, &[0xe2, 0x88]);
    assert_eq!(e.kind, ErrorKind::Truncated { needed: 1 });
    let e = refuse_with(&codec, Type::Bool, &[2]);
    assert_eq!(at(&e), (0, &ErrorKind::BadBool(2)));
}

#[test]
fn bad_tags_and_unknown_flag_bits_are_refused() {
    // shape has 4 cases.
    let e = refuse("types_shape", &[4]);
    assert_eq!(at(&e), (0, &ErrorKind::BadTag { tag: 4, cases: 4 }));
    // A tag too big for u32 is a bad integer, not a wrapped tag.
    let e = refuse("types_shape", &[0x80, 0x80, 0x80, 0x80, 0x10]);
    assert_eq!(e.kind, ErrorKind::BadInteger);
    let e = refuse("types_color", &[3]);
    assert_eq!(e.kind, ErrorKind::BadTag { tag: 3, cases: 3 });
    let e = refuse("option_string", &[2]);
    assert_eq!(e.kind, ErrorKind::BadTag { tag: 2, cases: 2 });
    let e = refuse("result_u32_string", &[7]);
    assert_eq!(e.kind, ErrorKind::BadTag { tag: 7, cases: 2 });
    // Inside an option inside a result: at the nested byte.
    let e = refuse("option_result_list_types_person_types_shape", &[1, 1, 9]);
    assert_eq!(at(&e), (2, &ErrorKind::BadTag { tag: 9, cases: 4 }));
    // perms has 3 flags: bit 3 is unknown.
    let e = refuse("types_perms", &[0b1001]);
    assert_eq!(
        at(&e),
        (
            0,
            &ErrorKind::BadFlags {
                bits: 0b1000,
                count: 3
            }
        )
    );
}

#[test]
fn integers_longer_or_larger_than_their_type_are_refused() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    for (ty, frame) in [
        (Type::U16, &[0xff, 0xff, 0x04][..]),       // 0x13fff > u16::MAX
        (Type::U16, &[0x80, 0x80, 0x80, 0x00][..]), // 4 bytes for 16 bits
        (Type::U32, &[0xff, 0xff, 0xff, 0xff, 0x1f][..]), // 33 bits
        (Type::U32, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00][..]), // 6 bytes
        (
            Type::U64,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02][..],
        ),
        (Type::S16, &[0x80, 0x80, 0x02][..]), // 32768 > i16::MAX
        (Type::S16, &[0xff, 0xff, 0x7d][..]), // -32769 < i16::MIN
        (
            Type::S64,
            &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40][..],
        ),
    ] {
        let e = refuse_with(&codec, ty, frame);
        assert_eq!(at(&e), (0, &ErrorKind::BadInteger), "{ty:?} {frame:x?}");
    }
}

#[test]
fn trailing_bytes_and_unknown_handles_are_refused() {
    let e = refuse("types_color", &[1, 0]);
    assert_eq!(at(&e), (1, &ErrorKind::TrailingBytes { count: 1 }));
    // A list decoded completely, then refused for a trailing byte: freed again.
    let e = refuse("list_u64", &[2, 1, 2, 3]);
    assert_eq!(e.kind, ErrorKind::TrailingBytes { count: 1 });
    // Handle id 7 is not in the (empty) table.
    let e = refuse("store_counter", &[7, 1]);
    assert_eq!(at(&e), (0, &ErrorKind::Handle("no handle 7".into())));
}

/// A world with one type per level: `option<option<…<u8>…>>`, `depth` levels.
fn nested_options(depth: usize) -> World {
    let mut types = Vec::new();
    let mut inner = Type::U8;
    for i in 0..depth {
        types.push(TypeDef {
            name: None,
            interface: None,
            kind: TypeDefKind::Option { ty: inner },
            location: None,
        });
        inner = Type::Id(i);
    }
    World {
        package: PackageName {
            namespace: "t".into(),
            name: "deep".into(),
            version: Some("1.0.0".into()),
        },
        name: "deep".into(),
        types,
        imports: vec![],
        exports: vec![],
    }
}

#[test]
fn nesting_is_bounded_by_the_plan_and_by_the_limit() {
    // A world nested past the IR's limit has no plan, so no frame can drive a walk
    // through it (the wire is not self-describing: depth comes from the type only).
    let err = Plan::new(&nested_options(200)).unwrap_err();
    assert!(
        err.contains("deeper than 64") || err.contains("64"),
        "{err}"
    );

    // The deepest valid world decodes a frame of all `some` with the default limit …
    let w = nested_options(60);
    let plan = Plan::new(&w).unwrap();
    let top = Type::Id(59);
    let mut frame = vec![1u8; 60];
    frame.push(42);
    let codec = Codec::new(&plan);
    let size = plan.node(top).layout.size as usize;
    let mut out = buffer(size);
    // SAFETY: `out` has the type's size.
    unsafe {
        codec.decode(
            top,
            &frame,
            out.as_mut_ptr().cast(),
            &mut Counting,
            &mut NoHandles,
        )
    }
    .unwrap();
    // … and a lower limit refuses it at the level past the limit.
    let limited = Codec::new(&plan).with_limits(Limits {
        max_depth: 10,
        ..Limits::default()
    });
    let e = refuse_with(&limited, top, &frame);
    assert_eq!(at(&e), (11, &ErrorKind::TooDeep { limit: 10 }));
}

#[test]
fn the_allocation_limit_stops_a_frame_that_would_allocate_too_much() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan).with_limits(Limits {
        max_alloc: 100,
        ..Limits::default()
    });
    let ty = type_named(&w, "test_typecov_v1_list_u8");
    let mut frame = vec![0xc8, 0x01]; // 200 bytes
    frame.extend([7u8; 200]);
    let e = refuse_with(&codec, ty, &frame);
    assert_eq!(at(&e), (0, &ErrorKind::AllocLimit { limit: 100 }));
}

#[test]
fn the_encoder_refuses_values_it_cannot_represent() {
    let w = world("typecov");
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    let enc = |ty: Type, bytes: &[u8]| -> WireError {
        let mut v = buffer(64);
        // SAFETY: 64 bytes hold every test value.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast(), bytes.len());
            codec.encode(ty, v.as_ptr().cast(), &mut NoHandles, &mut Vec::new())
        }
        .expect_err("must be refused")
    };
    let t = |n: &str| type_named(&w, &format!("test_typecov_v1_{n}"));
    assert_eq!(enc(Type::Bool, &[2]).kind, ErrorKind::BadBool(2));
    assert_eq!(
        enc(Type::Char, &0xd800u32.to_ne_bytes()).kind,
        ErrorKind::BadChar {
            value: Some(0xd800)
        }
    );
    assert_eq!(
        enc(t("types_shape"), &[9]).kind,
        ErrorKind::BadTag { tag: 9, cases: 4 }
    );
    assert_eq!(
        enc(t("types_perms"), &[0xf0]).kind,
        ErrorKind::BadFlags {
            bits: 0xf0,
            count: 3
        }
    );
    // A list of 3 with a NULL pointer.
    let mut list = [0u8; 16];
    list[8] = 3;
    assert_eq!(
        enc(t("list_u64"), &list).kind,
        ErrorKind::NullPointer { len: 3 }
    );
    // A string that is not UTF-8.
    let bad = [0xffu8, 0xfe];
    let mut s = [0u8; 16];
    s[..8].copy_from_slice(&(bad.as_ptr() as usize).to_ne_bytes());
    s[8] = 2;
    assert_eq!(enc(Type::String, &s).kind, ErrorKind::BadUtf8);
    // A list longer than the wire's u32 length.
    let mut long = [0u8; 16];
    long[..8].copy_from_slice(&(bad.as_ptr() as usize).to_ne_bytes());
    long[8..].copy_from_slice(&(1usize << 32).to_ne_bytes());
    assert_eq!(
        enc(t("list_u8"), &long).kind,
        ErrorKind::TooLong { len: 1 << 32 }
    );
}

#[test]
fn the_tests_above_are_clean_under_valgrind_memcheck() {
    plugport_wire_tests::memcheck_self();
}

/// A world of aliases of built-in types (`type name = string`, `type ratio = f64`, …): such
/// a type has an id and the built-in's shape. Building its codec panicked once (found by
/// the `wire_decode` fuzz target on the `uses` test world).
#[test]
fn aliases_of_built_in_types_decode_like_the_built_ins() {
    let aliases = [Type::String, Type::F64, Type::F32, Type::U32, Type::Bool];
    let w = World {
        package: PackageName {
            namespace: "t".into(),
            name: "alias".into(),
            version: Some("1.0.0".into()),
        },
        name: "alias".into(),
        types: aliases
            .iter()
            .map(|t| TypeDef {
                name: Some("a".into()),
                interface: None,
                kind: TypeDefKind::Alias { ty: *t },
                location: None,
            })
            .collect(),
        imports: vec![],
        exports: vec![],
    };
    let plan = Plan::new(&w).unwrap();
    let codec = Codec::new(&plan);
    for (id, t) in aliases.iter().enumerate() {
        assert_eq!(
            codec.min_encoded_len(Type::Id(id)),
            codec.min_encoded_len(*t),
            "{t:?}"
        );
    }
    // An f64 alias needs its 8 bytes; 7 are refused as truncated.
    let e = refuse_with(&codec, Type::Id(1), &[0; 7]);
    assert_eq!(e.kind, ErrorKind::Truncated { needed: 1 });
}
