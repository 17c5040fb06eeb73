//! For each test world: generates the C header and the Rust host bindings (whose `ffi`
//! module mirrors every C type of the header), runs bindgen on the header, and writes one
//! `#[test]` per C type that compares bindgen's type with the mirror's.
//!
//! The list of C types and of their members comes from the IR, named through
//! `plugport::cnames::CNames` and measured by `plugport::layout` (the same sources the two back ends use),
//! never from either generated file: a type or member missing on one side is a compile
//! error of the tests, i.e. a failing test.
//!
//! Outputs in `$OUT_DIR`: `<world>/<world>.h`, `<world>_host.rs`, `<world>_bindgen.rs`,
//! `<world>_layout_tests.rs`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plugport::cnames::{c_ident, CNames};
use plugport::layout::Layouts;
use plugport_codegen::ir::{FunctionKind, Interface, TypeDefKind, World, WorldItem};
use plugport_codegen::rust::idents::ffi_field;
use plugport_codegen::rust::Side;
use plugport_codegen::Builder;

/// (module name in `src/lib.rs`, WIT path relative to the repository root, world).
const WORLDS: &[(&str, &str, &str)] = &[
    ("greeter", "examples/greeter/wit/greeter.wit", "greeter"),
    ("codec", "examples/codec/wit/codec.wit", "codec"),
    ("typecov", "tests/wit/typecov.wit", "typecov"),
    ("bench", "tests/bench/wit/bench.wit", "bench"),
    ("edge", "tests/rust-roundtrip/wit/edge.wit", "edge"),
    ("uses", "tests/wit/uses.wit", "uses"),
    ("shapes", "tests/wit/worldtypes.wit", "shapes"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for &(module, wit, world) in WORLDS {
        let loaded = Builder::new(root.join(wit))
            .world(world)
            .load()
            .unwrap_or_else(|e| panic!("{wit}, world {world}: {e}"));
        let w = &loaded.world;

        let header = plugport_codegen::c::generate(w);
        let header_dir = out.join(module);
        std::fs::create_dir_all(&header_dir).expect("create header dir");
        let header_path = header_dir.join(&header.name);
        write(&header_path, &header.contents);
        let host = plugport_codegen::rust::generate(w, Side::Host);
        write(&out.join(format!("{module}_host.rs")), &host.contents);

        let prefix = CNames::new(w).prefix;
        let bindings = bindgen::Builder::default()
            .header(header_path.to_str().expect("OUT_DIR is UTF-8"))
            .allowlist_type(format!("{prefix}_.*"))
            .allowlist_type("pp_.*")
            // The caller-side error of the checked C callers (docs/abi.md §11) never
            // crosses the boundary, so it has no Rust mirror; the header's own static
            // asserts check its layout.
            .blocklist_type("pp_error")
            // bindgen's own layout tests (compile-time asserts of its types against
            // clang's numbers) stay on: clang == bindgen here, bindgen == mirror in the
            // tests below.
            .layout_tests(true)
            .derive_default(false)
            .derive_debug(false)
            .generate_comments(false)
            .generate()
            .unwrap_or_else(|e| panic!("bindgen on {}: {e}", header_path.display()));
        let bindgen_path = out.join(format!("{module}_bindgen.rs"));
        bindings
            .write_to_file(&bindgen_path)
            .unwrap_or_else(|e| panic!("write {}: {e}", bindgen_path.display()));

        let types = inventory(w);
        write(
            &out.join(format!("{module}_layout_tests.rs")),
            &tests_source(module, &types),
        );
    }
}

fn write(path: &Path, contents: &str) {
    if std::fs::read(path).ok().as_deref() != Some(contents.as_bytes()) {
        std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// One C type of the header and how to compare it.
struct CType {
    /// Its C name, which is also its name in bindgen's output.
    name: String,
    /// Its path on the Rust side, seen from the tests module (`super::host::ffi::<name>`,
    /// or the runtime's type for the core types).
    mirror: String,
    /// Also compare types by C name (a typedef's target, the type of each member). Off
    /// for the hand-written core types of `plugport::abi`, which differ from C on
    /// purpose where the layout is the same: `const char *` is `*const u8` in
    /// `PpString`, and `PpDeallocFn` is a non-nullable `fn` where bindgen has
    /// `Option<fn>`.
    types: bool,
    shape: Shape,
}

enum Shape {
    /// A typedef of a scalar or another type (enum, flags, alias, `pp_status`, …).
    Typedef,
    /// A struct with these members, in declaration order.
    Struct(Vec<Member>),
}

struct Member {
    /// The field name on both sides (bindgen's escaping of Rust keywords, which the
    /// mirror promises to follow).
    field: String,
    /// For an anonymous union member (`val`): the union's members.
    union: Option<Vec<String>>,
}

impl Member {
    fn plain(c_name: &str) -> Member {
        Member {
            field: ffi_field(c_name),
            union: None,
        }
    }
}

/// Every C type the header of `w` defines, from the IR: core types, the world's types
/// (resources also give their vtable), interface tables, the world tables.
fn inventory(w: &World) -> Vec<CType> {
    let names = CNames::new(w);
    let layouts = Layouts::new(w);
    let mut seen = HashSet::new();
    let mut out = Vec::new();

    let core = |name: &str, mirror: &str, shape: Shape| CType {
        name: name.into(),
        mirror: mirror.into(),
        types: false,
        shape,
    };
    let fields = |f: &[&str]| Shape::Struct(f.iter().map(|f| Member::plain(f)).collect());
    out.push(core(
        "pp_status",
        "::plugport::abi::PpStatus",
        Shape::Typedef,
    ));
    out.push(core(
        "pp_dealloc_fn",
        "::plugport::abi::PpDeallocFn",
        Shape::Typedef,
    ));
    out.push(core(
        "pp_string",
        "::plugport::abi::PpString",
        fields(&["ptr", "len"]),
    ));
    out.push(core(
        "pp_table_header",
        "::plugport::abi::PpTableHeader",
        fields(&["size", "version", "dealloc"]),
    ));

    let mut push = |out: &mut Vec<CType>, name: String, shape: Shape| {
        if seen.insert(name.clone()) {
            out.push(CType {
                mirror: format!("super::host::ffi::{name}"),
                name,
                types: true,
                shape,
            });
        }
    };
    let table = |slots: Vec<String>| {
        let mut members = vec![Member::plain("header")];
        members.extend(slots.iter().map(|s| Member::plain(s)));
        Shape::Struct(members)
    };

    for id in 0..w.types.len() {
        let kind = &w.ty(id).kind;
        let name = names.type_id(id);
        match kind {
            TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => continue,
            TypeDefKind::Alias { ty } if names.ty(ty) == name => continue,
            _ => {}
        }
        let Some(members) = layouts.members(id) else {
            push(&mut out, name, Shape::Typedef);
            continue;
        };
        let union: Option<Vec<String>> = match kind {
            TypeDefKind::Variant { cases } => Some(
                cases
                    .iter()
                    .filter(|c| c.ty.is_some())
                    .map(|c| ffi_field(&c_ident(&c.name)))
                    .collect(),
            ),
            TypeDefKind::Result { ok, err } => Some(
                [("ok", ok.is_some()), ("err", err.is_some())]
                    .into_iter()
                    .filter(|(_, present)| *present)
                    .map(|(m, _)| m.to_string())
                    .collect(),
            ),
            _ => None,
        };
        let members = members
            .iter()
            .map(|m| Member {
                field: ffi_field(&m.name),
                union: if m.name == "val" { union.clone() } else { None },
            })
            .collect();
        push(&mut out, name, Shape::Struct(members));
        if let TypeDefKind::Map { .. } = kind {
            // The entry struct `{ K key; V value; }` of a map (`docs/abi.md` §3, "Maps").
            push(
                &mut out,
                names.map_entry(id),
                Shape::Struct(vec![Member::plain("key"), Member::plain("value")]),
            );
        }
        if let TypeDefKind::Resource = kind {
            // docs/abi.md §5: header, drop, one slot per method in WIT order (the methods
            // of the first interface that lists any, as the C back end does).
            let methods: Vec<String> = interfaces(w)
                .into_iter()
                .map(|i| {
                    i.functions
                        .iter()
                        .filter(|f| f.kind == FunctionKind::Method(id))
                        .map(|f| names.slot(&f.name, f.kind))
                        .collect::<Vec<_>>()
                })
                .find(|m| !m.is_empty())
                .unwrap_or_default();
            let slots = std::iter::once("drop".to_string()).chain(methods).collect();
            push(&mut out, names.vtable(id), table(slots));
        }
    }

    for i in interfaces(w) {
        let slots = i
            .functions
            .iter()
            .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
            .map(|f| names.slot(&f.name, f.kind))
            .collect();
        push(&mut out, names.table(&i.name), table(slots));
    }

    for (name, items) in [(names.exports(), &w.exports), (names.imports(), &w.imports)] {
        let slots = items
            .iter()
            .map(|item| match item {
                WorldItem::Interface(i) => c_ident(&i.name),
                WorldItem::Function(f) => names.slot(&f.name, f.kind),
            })
            .collect();
        push(&mut out, name, table(slots));
    }
    out
}

/// The interfaces of the world, imports first, each once.
fn interfaces(w: &World) -> Vec<&Interface> {
    let mut seen = HashSet::new();
    w.imports
        .iter()
        .chain(&w.exports)
        .filter_map(|item| match item {
            WorldItem::Interface(i) if seen.insert(i.name.as_str()) => Some(i),
            _ => None,
        })
        .collect()
}

/// The test module of one world: it sits next to `bindgen` and `host` (see `src/lib.rs`)
/// and uses the comparison macros of the crate root.
fn tests_source(module: &str, types: &[CType]) -> String {
    let mut s = format!(
        "// Layout tests of world module `{module}`, generated by tests/layout/build.rs.\n\n"
    );
    s += "/// C names of every type compared below (bindgen's side).\n";
    s += "pub(crate) const COMPARED: &[&str] = &[\n";
    for t in types {
        let _ = writeln!(s, "    \"{}\",", t.name);
    }
    s += "];\n";
    for t in types {
        let _ = writeln!(s, "\n#[test]\nfn {}() {{", t.name);
        let _ = writeln!(s, "    type B = super::bindgen::{};", t.name);
        let _ = writeln!(s, "    type M = {};", t.mirror);
        let _ = writeln!(
            s,
            "    let mut d = crate::Diff::new(\"{module}::{}\");",
            t.name
        );
        match &t.shape {
            Shape::Typedef => {
                s += "    compare_type!(d, B, M);\n";
                if t.types {
                    s += "    compare_type_name!(d, B, M);\n";
                }
            }
            Shape::Struct(members) => {
                s += "    compare_type!(d, B, M);\n";
                for m in members {
                    let _ = writeln!(s, "    compare_field!(d, B, M, {});", m.field);
                    match &m.union {
                        Some(cases) => {
                            for c in cases {
                                let _ = writeln!(
                                    s,
                                    "    compare_union_member!(d, B, M, {}.{c});",
                                    m.field
                                );
                            }
                        }
                        None if t.types => {
                            let _ = writeln!(s, "    compare_field_type!(d, B, M, {});", m.field);
                        }
                        None => {}
                    }
                }
            }
        }
        s += "    d.finish();\n}\n";
    }
    s
}
