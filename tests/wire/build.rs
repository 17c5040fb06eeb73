//! For each test world: writes its IR (`<module>.world.json`) and C header
//! (`<module>/<world>.h`) into `$OUT_DIR`, and a C file of layout probes
//! (`<module>_probe.c`) that records what the C compiler says about every type and table
//! of the header: `sizeof`, alignment, member offsets. The tests compare those numbers
//! with the runtime's plan (`plugport::plan`). The probes are derived from the IR and C
//! names only (`plugport::cnames`), never from the plan's numbers; the table probes use
//! the plan's slot names, which the compiler then checks exist.
//!
//! Then compiles the probes and `c/values.c` (typecov values built and compared by the C
//! compiler's own layout) into one static library, with `-std=c99 -Wall -Wextra -Werror
//! -pedantic` as every generated header must pass.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plugport::cnames::{c_ident, CNames};
use plugport::ir::{Type, TypeDefKind, TypeId, World};
use plugport::plan::Plan;
use plugport_codegen::Builder;

/// (module, WIT path relative to the repository root, world); the same worlds as
/// tests/layout.
const WORLDS: &[(&str, &str, &str)] = &[
    ("greeter", "examples/greeter/wit/greeter.wit", "greeter"),
    ("codec", "examples/codec/wit/codec.wit", "codec"),
    ("typecov", "tests/wit/typecov.wit", "typecov"),
    ("bench", "tests/bench/wit/bench.wit", "bench"),
    ("edge", "tests/rust-roundtrip/wit/edge.wit", "edge"),
    ("uses", "tests/wit/uses.wit", "uses"),
    ("shapes", "tests/wit/worldtypes.wit", "shapes"),
    // Maps and fixed-length lists (issue 11, A.1 and A.2).
    (
        "collections",
        "tests/wit/accept/collections.wit",
        "collections",
    ),
    // A resource declared at world level (issue 11, A.3): its table and vtable.
    ("worldres", "tests/wit/accept/worldres.wit", "worldres"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=c/values.c");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut build = cc::Build::new();
    build
        .flag("-std=c99")
        .flag("-pedantic")
        .flag("-Wall")
        .flag("-Wextra")
        .warnings_into_errors(true);
    for &(module, wit, world) in WORLDS {
        println!("cargo:rerun-if-changed={}", root.join(wit).display());
        let loaded = Builder::new(root.join(wit))
            .world(world)
            .load()
            .unwrap_or_else(|e| panic!("{wit}, world {world}: {e}"));
        let w = &loaded.world;
        write(
            &out.join(format!("{module}.world.json")),
            &serde_json::to_string(w).expect("IR serialises"),
        );
        let header = plugport_codegen::c::generate(w);
        let dir = out.join(module);
        std::fs::create_dir_all(&dir).expect("create header dir");
        write(&dir.join(&header.name), &header.contents);
        let probe = out.join(format!("{module}_probe.c"));
        write(&probe, &probe_source(module, &header.name, w));
        build.file(&probe);
    }
    build.include(out.join("typecov")).file("c/values.c");
    println!("cargo:rerun-if-changed=c/collections.c");
    build
        .include(out.join("collections"))
        .file("c/collections.c");
    build.compile("plugport_wire_probes");
    write(&out.join("probes.rs"), &probes_rs());
}

fn write(path: &Path, contents: &str) {
    if std::fs::read(path).ok().as_deref() != Some(contents.as_bytes()) {
        std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// Resolves aliases: the type id whose definition an alias finally names, or `None`
/// when it names a built-in type.
fn resolve(w: &World, mut id: TypeId) -> Option<TypeId> {
    loop {
        match &w.ty(id).kind {
            TypeDefKind::Alias { ty: Type::Id(t) } => id = *t,
            TypeDefKind::Alias { .. } => return None,
            _ => return Some(id),
        }
    }
}

/// The probe file of one world. For type `id` with C name `T`, `probe_<m>_types` holds
/// the record `id, sizeof(T), alignof(T), n, <n member offsets>, k, <k extras>`, where
/// the members and extras depend on the kind of the type the name finally denotes:
///
/// - record: each field's offset; tuple: `f0`, `f1`, …
/// - option: `is_some`, `val`; result: `is_err` and `val` if any side has a type;
///   variant: `tag` and `val` if any case has a payload, extra `sizeof tag`
/// - list: `ptr`, `len`, extras `sizeof *ptr`, alignment of `*ptr`
/// - map: `ptr`, `len`, extras `sizeof` the entry, its alignment, `offsetof` its `value`
/// - fixed-length list: `elems`, extra `sizeof elems[0]`
/// - resource, own, borrow (the handle): `self`, `vtable`
/// - enum, flags, an alias of a built-in: nothing
///
/// `probe_<m>_tables` holds for each table of the plan `sizeof(table), n, <n slot
/// offsets>`.
fn probe_source(module: &str, header: &str, w: &World) -> String {
    let names = CNames::new(w);
    let mut s = format!(
        "/* Layout probes of world module `{module}`, generated by tests/wire/build.rs. */\n\
         #include <stddef.h>\n#include <stdint.h>\n#include \"{module}/{header}\"\n\n"
    );
    let mut types = String::new();
    for id in 0..w.types.len() {
        let t = names.type_id(id);
        let _ = writeln!(s, "struct probe_{module}_align_{id} {{ char c; {t} t; }};");
        let mut members: Vec<String> = Vec::new();
        let mut extras: Vec<String> = Vec::new();
        let m = |member: &str| format!("offsetof({t}, {member})");
        if let Some(target) = resolve(w, id) {
            match &w.ty(target).kind {
                TypeDefKind::Record { fields } => {
                    members = fields.iter().map(|f| m(&c_ident(&f.name))).collect();
                }
                TypeDefKind::Tuple { types } => {
                    members = (0..types.len()).map(|i| m(&format!("f{i}"))).collect();
                }
                TypeDefKind::Option { .. } => members = vec![m("is_some"), m("val")],
                TypeDefKind::Result { ok, err } => {
                    members = vec![m("is_err")];
                    if ok.is_some() || err.is_some() {
                        members.push(m("val"));
                    }
                }
                TypeDefKind::Variant { cases } => {
                    members = vec![m("tag")];
                    if cases.iter().any(|c| c.ty.is_some()) {
                        members.push(m("val"));
                    }
                    extras.push(format!("sizeof((({t} *)0)->tag)"));
                }
                TypeDefKind::List { ty } => {
                    members = vec![m("ptr"), m("len")];
                    let elem = names.ty(ty);
                    let _ = writeln!(
                        s,
                        "struct probe_{module}_elem_align_{id} {{ char c; {elem} t; }};"
                    );
                    extras.push(format!("sizeof({elem})"));
                    extras.push(format!(
                        "offsetof(struct probe_{module}_elem_align_{id}, t)"
                    ));
                }
                TypeDefKind::Map { .. } => {
                    members = vec![m("ptr"), m("len")];
                    let entry = names.map_entry(target);
                    let _ = writeln!(
                        s,
                        "struct probe_{module}_elem_align_{id} {{ char c; {entry} t; }};"
                    );
                    extras.push(format!("sizeof({entry})"));
                    extras.push(format!(
                        "offsetof(struct probe_{module}_elem_align_{id}, t)"
                    ));
                    extras.push(format!("offsetof({entry}, value)"));
                }
                TypeDefKind::FixedList { .. } => {
                    members = vec![m("elems")];
                    extras.push(format!("sizeof((({t} *)0)->elems[0])"));
                }
                TypeDefKind::Resource | TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {
                    members = vec![m("self"), m("vtable")];
                }
                TypeDefKind::Enum { .. }
                | TypeDefKind::Flags { .. }
                | TypeDefKind::Alias { .. } => {}
            }
        }
        let _ = write!(
            types,
            "    {id}, sizeof({t}), offsetof(struct probe_{module}_align_{id}, t), {},",
            members.len()
        );
        for x in members {
            let _ = write!(types, " {x},");
        }
        let _ = write!(types, " {},", extras.len());
        for x in extras {
            let _ = write!(types, " {x},");
        }
        types.push('\n');
    }
    let plan = Plan::new(w).expect("a valid world");
    let mut tables = String::new();
    for t in plan.tables() {
        let _ = write!(tables, "    sizeof({}), {},", t.c_name, t.slots.len());
        for slot in &t.slots {
            let _ = write!(tables, " offsetof({}, {}),", t.c_name, slot.name);
        }
        tables.push('\n');
    }
    let _ = write!(
        s,
        "\nconst uint64_t probe_{module}_types[] = {{\n{types}    0\n}};\n\
         const size_t probe_{module}_types_len = sizeof(probe_{module}_types) / sizeof(uint64_t) - 1;\n\
         const uint64_t probe_{module}_tables[] = {{\n{tables}    0\n}};\n\
         const size_t probe_{module}_tables_len = sizeof(probe_{module}_tables) / sizeof(uint64_t) - 1;\n"
    );
    s
}

/// `probes.rs`: the probe arrays of every module as Rust slices, and the world JSON.
fn probes_rs() -> String {
    let mut s = String::from("// Generated by tests/wire/build.rs.\n");
    s += "extern \"C\" {\n";
    for &(m, _, _) in WORLDS {
        let _ = writeln!(s, "    static probe_{m}_types: [u64; 0];");
        let _ = writeln!(s, "    static probe_{m}_types_len: usize;");
        let _ = writeln!(s, "    static probe_{m}_tables: [u64; 0];");
        let _ = writeln!(s, "    static probe_{m}_tables_len: usize;");
    }
    s += "}\n\n/// (module, world JSON, type probes, table probes) of every test world.\n";
    s += "pub fn worlds() -> Vec<(&'static str, &'static str, &'static [u64], &'static [u64])> {\n";
    s += "    // SAFETY: the C arrays are const data of the lengths the C file computes.\n";
    s += "    unsafe {\n        vec![\n";
    for &(m, _, _) in WORLDS {
        let _ = writeln!(
            s,
            "            (\"{m}\", include_str!(concat!(env!(\"OUT_DIR\"), \"/{m}.world.json\")), \
             std::slice::from_raw_parts(std::ptr::addr_of!(probe_{m}_types).cast::<u64>(), probe_{m}_types_len), \
             std::slice::from_raw_parts(std::ptr::addr_of!(probe_{m}_tables).cast::<u64>(), probe_{m}_tables_len)),"
        );
    }
    s += "        ]\n    }\n}\n";
    s
}
