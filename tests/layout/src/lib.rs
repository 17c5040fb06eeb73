//! bindgen layout tests (`cargo test -p plugport-layout-tests`).
//!
//! For each test world, `build.rs` generates the C header and the Rust host bindings, runs
//! bindgen on the header, and generates one `#[test]` per C type of the header. Each test
//! compares bindgen's reading of the C type (module `<world>::bindgen`) with the `repr(C)`
//! mirror of the Rust bindings (`<world>::host::ffi`, or `plugport::abi` for the core
//! types): size, alignment, and for every member its offset, size, alignment and type
//! (by C name); for the anonymous unions of results and variants also every union member.
//! A difference fails the test with a list of all differences of that type.
//!
//! The list of types and members comes from the IR (not from either generated file), so
//! a type or member that one side lacks or names differently fails to compile.

use core::mem::MaybeUninit;
use std::fmt::Debug;

/// The differences found between bindgen's type and the mirror's type of one C type.
pub struct Diff {
    ty: &'static str,
    checks: usize,
    mismatches: Vec<String>,
}

impl Diff {
    /// Starts comparing C type `ty`.
    pub fn new(ty: &'static str) -> Diff {
        Diff {
            ty,
            checks: 0,
            mismatches: Vec::new(),
        }
    }

    /// Records one comparison: `what` is `bindgen` on the C side and `mirror` on the Rust
    /// side.
    pub fn check<T: PartialEq + Debug>(&mut self, what: &str, bindgen: T, mirror: T) {
        self.checks += 1;
        if bindgen != mirror {
            self.mismatches.push(format!(
                "{what}: C (bindgen) {bindgen:?}, Rust mirror {mirror:?}"
            ));
        }
    }

    /// Every difference recorded so far.
    pub fn mismatches(&self) -> &[String] {
        &self.mismatches
    }

    /// Number of comparisons made.
    pub fn checks(&self) -> usize {
        self.checks
    }

    /// Panics, listing every difference, unless there is none.
    #[track_caller]
    pub fn finish(self) {
        assert!(self.checks > 0, "{}: nothing was compared", self.ty);
        assert!(
            self.mismatches.is_empty(),
            "{}: {} of {} layout checks differ:\n  {}",
            self.ty,
            self.mismatches.len(),
            self.checks,
            self.mismatches.join("\n  ")
        );
    }
}

/// Where a field sits in its struct and what its type is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    pub offset: usize,
    pub size: usize,
    pub align: usize,
    /// `core::any::type_name` of the field's type.
    pub type_name: &'static str,
}

/// The layout of the field of `S` that `project` points to (`project` gets a pointer to
/// uninitialised storage for an `S` and must only compute a field address from it, e.g.
/// with `addr_of!`).
pub fn field_layout<S, F>(project: fn(*const S) -> *const F) -> FieldLayout {
    let storage = MaybeUninit::<S>::uninit();
    let base = storage.as_ptr();
    let field = project(base);
    FieldLayout {
        offset: field as usize - base as usize,
        size: core::mem::size_of::<F>(),
        align: core::mem::align_of::<F>(),
        type_name: core::any::type_name::<F>(),
    }
}

/// A Rust type name reduced to C names, so the two sides can be compared: every path
/// becomes its last segment (`core::ffi::c_void` → `c_void`, `crate::x::bindgen::t` →
/// `t`), and the runtime's names of the core types become their C names
/// (`PpString` → `pp_string`). Aliases (`pp_status`, enums, flags) are already resolved by
/// `type_name` to the integer they stand for.
pub fn c_type_name(rust: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let last = word.rsplit("::").next().unwrap_or_default();
        out.push_str(match last {
            "PpString" => "pp_string",
            "PpTableHeader" => "pp_table_header",
            other => other,
        });
        word.clear();
    };
    for c in rust.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Size and alignment of two types.
#[cfg(test)]
macro_rules! compare_type {
    ($d:ident, $b:ty, $m:ty) => {
        $d.check(
            "size_of",
            ::core::mem::size_of::<$b>(),
            ::core::mem::size_of::<$m>(),
        );
        $d.check(
            "align_of",
            ::core::mem::align_of::<$b>(),
            ::core::mem::align_of::<$m>(),
        );
    };
}

/// The C name of two types (for typedefs: the type they stand for).
#[cfg(test)]
macro_rules! compare_type_name {
    ($d:ident, $b:ty, $m:ty) => {
        $d.check(
            "type",
            $crate::c_type_name(::core::any::type_name::<$b>()),
            $crate::c_type_name(::core::any::type_name::<$m>()),
        );
    };
}

/// Offset (`offset_of!`), size and alignment of field `$f` in both structs.
#[cfg(test)]
macro_rules! compare_field {
    ($d:ident, $b:ty, $m:ty, $f:ident) => {{
        $d.check(
            concat!("offset_of ", stringify!($f)),
            ::core::mem::offset_of!($b, $f),
            ::core::mem::offset_of!($m, $f),
        );
        let b = $crate::field_layout(|p: *const $b| unsafe { ::core::ptr::addr_of!((*p).$f) });
        let m = $crate::field_layout(|p: *const $m| unsafe { ::core::ptr::addr_of!((*p).$f) });
        $d.check(concat!("size_of ", stringify!($f)), b.size, m.size);
        $d.check(concat!("align_of ", stringify!($f)), b.align, m.align);
    }};
}

/// The type of field `$f` in both structs, by C name.
#[cfg(test)]
macro_rules! compare_field_type {
    ($d:ident, $b:ty, $m:ty, $f:ident) => {{
        let b = $crate::field_layout(|p: *const $b| unsafe { ::core::ptr::addr_of!((*p).$f) });
        let m = $crate::field_layout(|p: *const $m| unsafe { ::core::ptr::addr_of!((*p).$f) });
        $d.check(
            concat!("type of ", stringify!($f)),
            $crate::c_type_name(b.type_name),
            $crate::c_type_name(m.type_name),
        );
    }};
}

/// Member `$c` of union field `$u` in both structs: offset in the struct, size, alignment
/// and type.
#[cfg(test)]
macro_rules! compare_union_member {
    ($d:ident, $b:ty, $m:ty, $u:ident . $c:ident) => {{
        let what = concat!(stringify!($u), ".", stringify!($c));
        let b = $crate::field_layout(|p: *const $b| unsafe { ::core::ptr::addr_of!((*p).$u.$c) });
        let m = $crate::field_layout(|p: *const $m| unsafe { ::core::ptr::addr_of!((*p).$u.$c) });
        $d.check(&format!("offset of {what}"), b.offset, m.offset);
        $d.check(&format!("size_of {what}"), b.size, m.size);
        $d.check(&format!("align_of {what}"), b.align, m.align);
        $d.check(
            &format!("type of {what}"),
            $crate::c_type_name(b.type_name),
            $crate::c_type_name(m.type_name),
        );
    }};
}

/// One test world: `bindgen` (bindgen's output for the header), `host` (the Rust host
/// bindings, whose `ffi` module is the mirror), and the generated tests.
macro_rules! world {
    ($(#[$doc:meta])* $w:ident) => {
        $(#[$doc])*
        pub mod $w {
            /// bindgen's output for the world's C header.
            #[allow(
                non_camel_case_types,
                non_snake_case,
                non_upper_case_globals,
                dead_code,
                unsafe_op_in_unsafe_fn,
                clippy::all
            )]
            pub mod bindgen {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($w), "_bindgen.rs"));
            }
            /// The Rust host bindings of the world.
            #[allow(dead_code, clippy::all)]
            pub mod host {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($w), "_host.rs"));
            }
            #[cfg(test)]
            mod layout {
                include!(concat!(env!("OUT_DIR"), "/", stringify!($w), "_layout_tests.rs"));
            }
            #[cfg(test)]
            mod coverage {
                /// Every type bindgen produced from the header, and every type of the
                /// mirror, is compared (anonymous unions through their struct's `val`).
                #[test]
                fn every_type_is_compared() {
                    let bindgen =
                        include_str!(concat!(env!("OUT_DIR"), "/", stringify!($w), "_bindgen.rs"));
                    let host =
                        include_str!(concat!(env!("OUT_DIR"), "/", stringify!($w), "_host.rs"));
                    $crate::coverage::assert_all_compared(
                        stringify!($w),
                        super::layout::COMPARED,
                        bindgen,
                        host,
                    );
                }
            }
        }
    };
}

world!(
    /// `example:greeter` (`examples/greeter/wit/greeter.wit`).
    greeter
);
world!(
    /// `example:codec` (`examples/codec/wit/codec.wit`).
    codec
);
world!(
    /// `test:typecov` (`tests/wit/typecov.wit`): every WIT type.
    typecov
);
world!(
    /// `bench:calls` (`tests/bench/wit/bench.wit`).
    bench
);
world!(
    /// `test:edge` (`tests/rust-roundtrip/wit/edge.wit`): Rust keywords as names,
    /// host-implemented resources.
    edge
);
world!(
    /// `test:uses` (`tests/wit/uses.wit`): `use` across interfaces.
    uses
);
world!(
    /// `test:worldtypes`, world `shapes` (`tests/wit/worldtypes.wit`): world-level types.
    shapes
);

#[cfg(test)]
mod coverage;

#[cfg(test)]
mod controls;
