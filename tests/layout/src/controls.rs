//! Controls of the comparison itself: the macros the generated tests use report every
//! difference between two types that differ, and none between two that agree.

use crate::Diff;

mod c {
    #[repr(C)]
    pub struct Tagged {
        pub tag: u8,
        pub val: TaggedVal,
    }
    #[repr(C)]
    pub union TaggedVal {
        pub ok: u64,
        pub err: u8,
    }
    pub type Flags = u8;
    #[repr(C)]
    pub struct Pair {
        pub a: u32,
        pub b: u8,
    }
}

/// Like `c`, but `tag` is 4 bytes, `ok` is a `u32` (so `val` is 4 bytes at offset 4),
/// the flags are 16 bits, and `Pair::a` is signed.
mod rust {
    #[repr(C)]
    pub struct Tagged {
        pub tag: u32,
        pub val: TaggedVal,
    }
    #[repr(C)]
    pub union TaggedVal {
        pub ok: u32,
        pub err: u8,
    }
    pub type Flags = u16;
    #[repr(C)]
    pub struct Pair {
        pub a: i32,
        pub b: u8,
    }
}

/// Same as `c`, under other paths.
mod same {
    #[repr(C)]
    pub struct Tagged {
        pub tag: u8,
        pub val: TaggedVal,
    }
    #[repr(C)]
    pub union TaggedVal {
        pub ok: u64,
        pub err: u8,
    }
    pub type Flags = u8;
    #[repr(C)]
    pub struct Pair {
        pub a: u32,
        pub b: u8,
    }
}

#[test]
fn differing_types_are_reported() {
    let mut d = Diff::new("control::Tagged");
    compare_type!(d, c::Tagged, rust::Tagged);
    compare_field!(d, c::Tagged, rust::Tagged, tag);
    compare_field!(d, c::Tagged, rust::Tagged, val);
    compare_union_member!(d, c::Tagged, rust::Tagged, val.ok);
    compare_union_member!(d, c::Tagged, rust::Tagged, val.err);
    let m = d.mismatches().join("\n");
    for expected in [
        "size_of: C (bindgen) 16, Rust mirror 8",
        "align_of: C (bindgen) 8, Rust mirror 4",
        "offset_of val: C (bindgen) 8, Rust mirror 4",
        "size_of tag: C (bindgen) 1, Rust mirror 4",
        "size_of val: C (bindgen) 8, Rust mirror 4",
        "align_of val: C (bindgen) 8, Rust mirror 4",
        "offset of val.ok: C (bindgen) 8, Rust mirror 4",
        "type of val.ok: C (bindgen) \"u64\", Rust mirror \"u32\"",
        "offset of val.err: C (bindgen) 8, Rust mirror 4",
    ] {
        assert!(m.contains(expected), "missing {expected:?} in:\n{m}");
    }
    // `tag` starts both structs; `err` is a u8 on both sides.
    assert!(!m.contains("offset_of tag"), "{m}");
    assert!(!m.contains("type of val.err"), "{m}");

    let mut d = Diff::new("control::Flags");
    compare_type!(d, c::Flags, rust::Flags);
    compare_type_name!(d, c::Flags, rust::Flags);
    assert_eq!(d.mismatches().len(), 3, "{:?}", d.mismatches());

    // Same layout, different member type: only the type check sees it.
    let mut d = Diff::new("control::Pair");
    compare_type!(d, c::Pair, rust::Pair);
    compare_field!(d, c::Pair, rust::Pair, a);
    compare_field!(d, c::Pair, rust::Pair, b);
    assert!(d.mismatches().is_empty(), "{:?}", d.mismatches());
    compare_field_type!(d, c::Pair, rust::Pair, a);
    compare_field_type!(d, c::Pair, rust::Pair, b);
    assert_eq!(
        d.mismatches(),
        ["type of a: C (bindgen) \"u32\", Rust mirror \"i32\""]
    );
}

#[test]
fn equal_types_are_not_reported() {
    let mut d = Diff::new("control::same");
    compare_type!(d, c::Tagged, same::Tagged);
    compare_field!(d, c::Tagged, same::Tagged, tag);
    compare_field!(d, c::Tagged, same::Tagged, val);
    compare_union_member!(d, c::Tagged, same::Tagged, val.ok);
    compare_union_member!(d, c::Tagged, same::Tagged, val.err);
    compare_type!(d, c::Flags, same::Flags);
    compare_type_name!(d, c::Flags, same::Flags);
    compare_field_type!(d, c::Pair, same::Pair, a);
    assert!(d.mismatches().is_empty(), "{:?}", d.mismatches());
    assert_eq!(d.checks(), 2 + 3 + 3 + 4 + 4 + 2 + 1 + 1);
    d.finish();
}

#[test]
#[should_panic(expected = "control::Tagged: 1 of 3 layout checks differ:\n  size_of")]
fn finish_fails_on_a_difference() {
    let mut d = Diff::new("control::Tagged");
    compare_type!(d, c::Tagged, same::Tagged);
    d.check("size_of", 1, 2);
    d.finish();
}

/// A real pair from the generated files, deliberately mismatched: bindgen's table of
/// `greet` (two slots) against the mirror's table of `logger` (one slot). They share only
/// `header`, which sits at offset 0 in both; the sizes differ.
#[test]
fn mismatched_generated_tables_are_reported() {
    type B = crate::greeter::bindgen::example_greeter_v1_greet_table;
    type M = crate::greeter::host::ffi::example_greeter_v1_logger_table;
    let mut d = Diff::new("control::tables");
    compare_type!(d, B, M);
    compare_field!(d, B, M, header);
    compare_field_type!(d, B, M, header);
    assert_eq!(
        d.mismatches(),
        ["size_of: C (bindgen) 32, Rust mirror 24"],
        "{:?}",
        d.mismatches()
    );
}

#[test]
fn type_names_reduce_to_c_names() {
    use crate::c_type_name;
    assert_eq!(
        c_type_name("core::option::Option<unsafe extern \"C\" fn(*mut core::ffi::c_void, usize)>"),
        "Option<unsafe extern \"C\" fn(*mut c_void, usize)>"
    );
    assert_eq!(c_type_name("plugport::abi::PpString"), "pp_string");
    assert_eq!(
        c_type_name("*const a::b::x_y_list_u8"),
        "*const x_y_list_u8"
    );
    assert_eq!(c_type_name("u8"), "u8");
}
