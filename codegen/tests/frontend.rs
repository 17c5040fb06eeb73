//! Front end: WIT → IR structure, interning, order, refusals, world selection,
//! fingerprints.

use std::path::{Path, PathBuf};

use plugport::ir::{FunctionKind, Interface, Type, TypeDefKind, TypeId, World, WorldItem};
use plugport_codegen::frontend::{load, load_world, FrontendError};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn world(rel: &str) -> World {
    load_world(&repo(rel), None).unwrap_or_else(|e| panic!("{rel} must load:\n{e}"))
}

/// A fresh temporary directory for one test, removed when the value is dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("plugport-frontend-{name}-"))
        .tempdir()
        .unwrap()
}

/// A WIT file in its own temporary directory; both are removed when it is dropped.
struct TempWit {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl std::ops::Deref for TempWit {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

fn write_temp(name: &str, text: &str) -> TempWit {
    let dir = temp_dir(name);
    let path = dir.path().join(format!("{name}.wit"));
    std::fs::write(&path, text).unwrap();
    TempWit { _dir: dir, path }
}

fn iface<'w>(items: &'w [WorldItem], name: &str) -> &'w Interface {
    items
        .iter()
        .find_map(|i| match i {
            WorldItem::Interface(i) if i.name == name => Some(i),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no interface `{name}`"))
}

fn names(items: &[WorldItem]) -> Vec<&str> {
    items.iter().map(|i| i.name()).collect()
}

fn fn_names(i: &Interface) -> Vec<&str> {
    i.functions.iter().map(|f| f.name.as_str()).collect()
}

fn type_names(w: &World, ids: &[TypeId]) -> Vec<String> {
    ids.iter()
        .map(|id| w.types[*id].name.clone().unwrap_or_default())
        .collect()
}

/// The id of the named type `name` declared in `interface`.
fn named(w: &World, interface: Option<&str>, name: &str) -> TypeId {
    let hits: Vec<TypeId> = (0..w.types.len())
        .filter(|i| {
            w.types[*i].name.as_deref() == Some(name)
                && w.types[*i].interface.as_deref() == interface
        })
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "named type {interface:?}.{name} must appear exactly once"
    );
    hits[0]
}

fn id(t: &Type) -> TypeId {
    match t {
        Type::Id(id) => *id,
        other => panic!("expected a type id, found {other:?}"),
    }
}

/// Types a definition refers to directly.
fn refs(kind: &TypeDefKind) -> Vec<TypeId> {
    let mut tys: Vec<Type> = Vec::new();
    let mut ids = Vec::new();
    match kind {
        TypeDefKind::Record { fields } => tys.extend(fields.iter().map(|f| f.ty)),
        TypeDefKind::Tuple { types } => tys.extend(types.iter().copied()),
        TypeDefKind::Variant { cases } => tys.extend(cases.iter().filter_map(|c| c.ty)),
        TypeDefKind::Option { ty }
        | TypeDefKind::List { ty }
        | TypeDefKind::FixedList { ty, .. }
        | TypeDefKind::Alias { ty } => tys.push(*ty),
        TypeDefKind::Map { key, value } => tys.extend([*key, *value]),
        TypeDefKind::Result { ok, err } => tys.extend(ok.iter().chain(err.iter()).copied()),
        TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => ids.push(*resource),
        TypeDefKind::Flags { .. } | TypeDefKind::Enum { .. } | TypeDefKind::Resource => {}
    }
    ids.extend(tys.iter().filter_map(|t| match t {
        Type::Id(i) => Some(*i),
        _ => None,
    }));
    ids
}

/// The IR invariants every loaded world must satisfy.
fn check_invariants(w: &World) {
    // Dependency order: every type appears after every type it refers to.
    for (i, t) in w.types.iter().enumerate() {
        for r in refs(&t.kind) {
            assert!(r < i, "type {i} ({t:?}) refers to later type {r}");
        }
        match &t.kind {
            TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
                assert_eq!(
                    w.types[*resource].kind,
                    TypeDefKind::Resource,
                    "handle of a non-resource"
                )
            }
            _ => {}
        }
    }
    // Interning: no two anonymous types have the same structure.
    let anon: Vec<String> = w
        .types
        .iter()
        .filter(|t| t.name.is_none())
        .map(|t| serde_json::to_string(&t.kind).unwrap())
        .collect();
    let mut dedup = anon.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(
        anon.len(),
        dedup.len(),
        "an anonymous structure appears twice: {anon:?}"
    );
    // Named types are named and anonymous ones are not in an interface.
    for t in &w.types {
        if t.name.is_none() {
            assert!(t.interface.is_none());
            assert!(!matches!(
                t.kind,
                TypeDefKind::Record { .. }
                    | TypeDefKind::Enum { .. }
                    | TypeDefKind::Flags { .. }
                    | TypeDefKind::Variant { .. }
                    | TypeDefKind::Resource
                    | TypeDefKind::Alias { .. }
            ));
        }
    }
    // Every id used by a function exists.
    let check = |t: &Type| {
        if let Type::Id(i) = t {
            assert!(*i < w.types.len());
        }
    };
    for item in w.imports.iter().chain(&w.exports) {
        let funcs: Vec<_> = match item {
            WorldItem::Interface(i) => {
                for t in &i.types {
                    assert_eq!(w.types[*t].interface.as_deref(), Some(i.name.as_str()));
                }
                i.functions.iter().collect()
            }
            WorldItem::Function(f) => vec![f],
        };
        for f in funcs {
            f.params.iter().for_each(|p| check(&p.ty));
            f.result.iter().for_each(check);
            assert!(f.location.is_some(), "function {} has no location", f.name);
        }
    }
}

#[test]
fn typecov_structure() {
    let w = world("tests/wit/typecov.wit");
    check_invariants(&w);
    assert_eq!(w.package.namespace, "test");
    assert_eq!(w.package.name, "typecov");
    assert_eq!(w.package.version.as_deref(), Some("1.0.0"));
    assert_eq!(w.name, "typecov");
    // `types` is only imported implicitly (echo uses its types) and has no functions:
    // not a world item, but its types are in the world under its name.
    assert!(w.imports.is_empty(), "imports: {:?}", names(&w.imports));
    assert_eq!(names(&w.exports), ["echo", "store", "version"]);
    assert!(matches!(w.exports[2], WorldItem::Function(_)));

    let echo = iface(&w.exports, "echo");
    assert!(echo.package.is_none());
    assert!(
        echo.types.is_empty(),
        "`use`d types must not be declared in echo"
    );
    assert_eq!(echo.functions.len(), 33);
    assert_eq!(
        &fn_names(echo)[..4],
        ["echo-bool", "echo-s8", "echo-s16", "echo-s32"]
    );
    assert_eq!(&fn_names(echo)[26..29], ["echo-nested", "sink", "boom"]);
    assert_eq!(
        &fn_names(echo)[29..],
        ["echo-map", "echo-quad", "echo-pair", "echo-framed"]
    );
    assert!(echo
        .functions
        .iter()
        .all(|f| f.kind == FunctionKind::Freestanding));
    let f = |name: &str| echo.functions.iter().find(|f| f.name == name).unwrap();
    assert_eq!(f("echo-bool").params[0].ty, Type::Bool);
    assert_eq!(f("echo-char").result, Some(Type::Char));
    let loc = f("echo-bool").location.clone().unwrap();
    assert!(loc.file.ends_with("typecov.wit"), "{loc:?}");
    assert_eq!(loc.line, 23);
    let sink = f("sink");
    assert_eq!(
        sink.params
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(sink.result, None);

    // `use`d types resolve to the defining interface's type definition.
    let point = named(&w, Some("types"), "point");
    assert_eq!(f("echo-point").params[0].ty, Type::Id(point));
    assert_eq!(f("echo-point").result, Some(Type::Id(point)));
    assert!(w
        .types
        .iter()
        .all(|t| t.interface.as_deref() != Some("echo")));

    // Records keep field order; `list<string>` is interned once.
    let person = named(&w, Some("types"), "person");
    let TypeDefKind::Record { fields } = &w.types[person].kind else {
        panic!("person is a record")
    };
    let field_names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(field_names, ["name", "age", "tags", "home"]);
    let list_string: Vec<TypeId> = (0..w.types.len())
        .filter(|i| w.types[*i].kind == TypeDefKind::List { ty: Type::String })
        .collect();
    assert_eq!(list_string.len(), 1, "list<string> appears once");
    assert_eq!(fields[2].ty, Type::Id(list_string[0]));
    assert_eq!(f("echo-strings").params[0].ty, Type::Id(list_string[0]));
    assert_eq!(
        w.types[id(&fields[3].ty)].kind,
        TypeDefKind::Option {
            ty: Type::Id(point)
        }
    );
    assert_eq!(
        w.types
            .iter()
            .filter(|t| t.kind == TypeDefKind::List { ty: Type::U8 })
            .count(),
        1
    );

    // Enums, flags, variants keep their order.
    let color = named(&w, Some("types"), "color");
    assert_eq!(
        w.types[color].kind,
        TypeDefKind::Enum {
            cases: vec!["red".into(), "green".into(), "blue".into()]
        }
    );
    let TypeDefKind::Flags { flags } = &w.types[named(&w, Some("types"), "wide")].kind else {
        panic!("wide is flags")
    };
    assert_eq!(flags.len(), 32);
    assert_eq!((flags[0].as_str(), flags[31].as_str()), ("f0", "f31"));
    let TypeDefKind::Variant { cases } = &w.types[named(&w, Some("types"), "shape")].kind else {
        panic!("shape is a variant")
    };
    let case_names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(case_names, ["circle", "rect", "empty", "named"]);
    assert_eq!(cases[1].ty, Some(Type::Id(point)));
    assert_eq!(cases[2].ty, None);

    // `type point-list = list<point>` is an alias of the interned `list<point>`.
    let pl = named(&w, Some("types"), "point-list");
    let TypeDefKind::Alias { ty } = &w.types[pl].kind else {
        panic!("point-list is an alias")
    };
    assert_eq!(
        w.types[id(ty)].kind,
        TypeDefKind::List {
            ty: Type::Id(point)
        }
    );
    assert_eq!(f("echo-points").params[0].ty, Type::Id(pl));

    // result<_, failure>
    let failure = named(&w, Some("types"), "failure");
    assert_eq!(
        w.types[id(&f("echo-result-unit").params[0].ty)].kind,
        TypeDefKind::Result {
            ok: None,
            err: Some(Type::Id(failure))
        }
    );

    // Resources: constructor, methods without `self`, static, handles.
    let store = iface(&w.exports, "store");
    let counter = named(&w, Some("store"), "counter");
    assert_eq!(store.types, [counter]);
    assert_eq!(w.types[counter].kind, TypeDefKind::Resource);
    assert_eq!(
        fn_names(store),
        ["new", "add", "get", "zero", "peek", "consume", "live"]
    );
    let sf = |name: &str| store.functions.iter().find(|f| f.name == name).unwrap();
    assert_eq!(sf("new").kind, FunctionKind::Constructor(counter));
    assert_eq!(sf("new").params.len(), 1);
    assert_eq!(sf("new").params[0].name, "start");
    let own = id(sf("new").result.as_ref().unwrap());
    assert_eq!(w.types[own].kind, TypeDefKind::Own { resource: counter });
    assert_eq!(sf("add").kind, FunctionKind::Method(counter));
    assert_eq!(sf("add").params.len(), 1, "implicit self is dropped");
    assert_eq!(sf("add").params[0].name, "delta");
    assert!(sf("get").params.is_empty());
    assert_eq!(sf("zero").kind, FunctionKind::Static(counter));
    assert_eq!(sf("zero").result, Some(Type::Id(own)));
    assert_eq!(sf("consume").params[0].ty, Type::Id(own));
    assert_eq!(
        w.types[id(&sf("peek").params[0].ty)].kind,
        TypeDefKind::Borrow { resource: counter }
    );
    assert_eq!(
        w.types[counter].location.as_ref().map(|l| l.line),
        Some(65),
        "resource location"
    );
}

#[test]
fn greeter_structure() {
    let w = world("examples/greeter/wit/greeter.wit");
    check_invariants(&w);
    assert_eq!(w.package.c_prefix(), "example_greeter_v1");
    assert_eq!(names(&w.imports), ["logger"]);
    assert_eq!(names(&w.exports), ["greet"]);
    let logger = iface(&w.imports, "logger");
    let level = named(&w, Some("logger"), "level");
    assert_eq!(logger.types, [level]);
    assert_eq!(
        w.types[level].kind,
        TypeDefKind::Enum {
            cases: ["debug", "info", "warn", "error"]
                .map(String::from)
                .to_vec()
        }
    );
    assert_eq!(fn_names(logger), ["log"]);
    let log = &logger.functions[0];
    assert_eq!(log.params[0].ty, Type::Id(level));
    assert_eq!(log.params[1].ty, Type::String);
    assert_eq!(log.result, None);
    let greet = iface(&w.exports, "greet");
    assert_eq!(fn_names(greet), ["greet", "language"]);
    assert_eq!(greet.functions[0].params[0].name, "name");
    assert_eq!(greet.functions[1].result, Some(Type::String));
}

#[test]
fn codec_structure() {
    let w = world("examples/codec/wit/codec.wit");
    check_invariants(&w);
    assert!(w.imports.is_empty());
    let framing = iface(&w.exports, "framing");
    assert_eq!(
        type_names(&w, &framing.types),
        ["frame", "codec-error", "decoder"]
    );
    assert_eq!(
        fn_names(framing),
        ["new", "push", "pull", "finish", "encode"]
    );
    let decoder = named(&w, Some("framing"), "decoder");
    let frame = named(&w, Some("framing"), "frame");
    let err = named(&w, Some("framing"), "codec-error");
    let TypeDefKind::Record { fields } = &w.types[frame].kind else {
        panic!("frame is a record")
    };
    assert_eq!(fields[0].name, "stream");
    assert_eq!(fields[0].ty, Type::U32);
    let ff = |name: &str| framing.functions.iter().find(|f| f.name == name).unwrap();
    assert_eq!(ff("new").kind, FunctionKind::Constructor(decoder));
    assert_eq!(ff("new").params[0].name, "max-frame");
    for m in ["push", "pull", "finish"] {
        assert_eq!(ff(m).kind, FunctionKind::Method(decoder), "{m}");
    }
    assert_eq!(ff("push").params.len(), 1);
    assert!(ff("pull").params.is_empty());
    assert_eq!(
        w.types[id(ff("push").result.as_ref().unwrap())].kind,
        TypeDefKind::Result {
            ok: Some(Type::U32),
            err: Some(Type::Id(err))
        }
    );
    assert_eq!(
        w.types[id(ff("finish").result.as_ref().unwrap())].kind,
        TypeDefKind::Result {
            ok: None,
            err: Some(Type::Id(err))
        }
    );
    assert_eq!(ff("encode").kind, FunctionKind::Freestanding);
    assert_eq!(ff("encode").params[0].ty, Type::Id(frame));
}

#[test]
fn uses_and_aliases_resolve_to_the_defining_interface() {
    let w = world("tests/wit/uses.wit");
    check_invariants(&w);
    assert_eq!(names(&w.imports), ["base"]);
    assert_eq!(names(&w.exports), ["geo", "far"]);
    // A `use` (also with `as`) never creates a named type.
    assert!(w.types.iter().all(|t| t.name.as_deref() != Some("pos")));
    assert_eq!(
        w.types
            .iter()
            .filter(|t| t.name.as_deref() == Some("point"))
            .count(),
        1
    );
    assert_eq!(
        w.types
            .iter()
            .filter(|t| t.name.as_deref() == Some("counter"))
            .count(),
        1
    );

    let point = named(&w, Some("base"), "point");
    let counter = named(&w, Some("base"), "counter");
    let coord = named(&w, Some("base"), "coord");
    assert_eq!(w.types[coord].kind, TypeDefKind::Alias { ty: Type::S32 });
    let base = iface(&w.imports, "base");
    assert_eq!(type_names(&w, &base.types), ["point", "counter", "coord"]);
    assert_eq!(fn_names(base), ["new", "get", "reset", "make"]);

    let geo = iface(&w.exports, "geo");
    assert_eq!(
        type_names(&w, &geo.types),
        ["pt", "pts", "point-alias-free"]
    );
    let pt = named(&w, Some("geo"), "pt");
    assert_eq!(
        w.types[pt].kind,
        TypeDefKind::Alias {
            ty: Type::Id(point)
        }
    );
    let pts = named(&w, Some("geo"), "pts");
    let TypeDefKind::Alias { ty } = &w.types[pts].kind else {
        panic!("pts is an alias")
    };
    assert_eq!(
        w.types[id(ty)].kind,
        TypeDefKind::List {
            ty: Type::Id(point)
        }
    );
    let move_to = &geo.functions[0];
    assert_eq!(move_to.params[0].ty, Type::Id(pt));
    assert_eq!(
        w.types[id(&move_to.params[1].ty)].kind,
        TypeDefKind::Borrow { resource: counter }
    );
    assert_eq!(move_to.params[2].ty, Type::Id(coord));

    // `far` uses geo's alias `pt`, which stays geo's type.
    let far = iface(&w.exports, "far");
    assert!(far.types.is_empty());
    assert_eq!(far.functions[0].params[0].ty, Type::Id(pt));

    // own<counter> (constructor, static, `make`, `take`) and borrow<counter> once each.
    let owns = w
        .types
        .iter()
        .filter(|t| t.kind == TypeDefKind::Own { resource: counter });
    assert_eq!(owns.count(), 1);
    let borrows = w
        .types
        .iter()
        .filter(|t| t.kind == TypeDefKind::Borrow { resource: counter });
    assert_eq!(borrows.count(), 1);
    let own = id(base.functions[0].result.as_ref().unwrap());
    assert_eq!(base.functions[3].result, Some(Type::Id(own)));
    assert_eq!(geo.functions[1].params[0].ty, Type::Id(own));
}

#[test]
fn world_level_types() {
    let w = world("tests/wit/worldtypes.wit");
    check_invariants(&w);
    assert_eq!(w.package.compat_line(), "v0_2");
    assert_eq!(names(&w.imports), ["log"]);
    assert_eq!(names(&w.exports), ["area", "diag"]);
    let point = named(&w, Some("base"), "point");
    let pair = named(&w, None, "pair");
    let box_ = named(&w, None, "box");
    let unit = named(&w, None, "unit");
    let TypeDefKind::Alias { ty } = &w.types[pair].kind else {
        panic!("pair is an alias")
    };
    assert_eq!(
        w.types[id(ty)].kind,
        TypeDefKind::Tuple {
            types: vec![Type::Id(point), Type::Id(point)]
        }
    );
    let WorldItem::Function(area) = &w.exports[0] else {
        panic!("area is a function")
    };
    assert_eq!(area.params[0].ty, Type::Id(box_));
    assert_eq!(area.params[1].ty, Type::Id(unit));
    assert_eq!(area.result, Some(Type::F64));
}

#[test]
fn directory_with_deps() {
    let loaded = load(&repo("tests/wit/multi"), None).unwrap_or_else(|e| panic!("{e}"));
    let w = &loaded.world;
    check_invariants(w);
    assert_eq!(w.name, "app");
    assert_eq!(w.package.version.as_deref(), Some("1.2.0"));
    assert_eq!(names(&w.imports), ["ids"]);
    assert_eq!(names(&w.exports), ["catalog"]);
    let ids = iface(&w.imports, "ids");
    let pkg = ids
        .package
        .as_ref()
        .expect("foreign interface records its package");
    assert_eq!(
        (pkg.namespace.as_str(), pkg.name.as_str()),
        ("test", "shared")
    );
    assert_eq!(pkg.version.as_deref(), Some("0.1.0"));
    assert!(iface(&w.exports, "catalog").package.is_none());
    let item = named(w, Some("model"), "item");
    let id_ty = named(w, Some("ids"), "id");
    let TypeDefKind::Record { fields } = &w.types[item].kind else {
        panic!("item is a record")
    };
    assert_eq!(fields[0].ty, Type::Id(id_ty));

    let mut sources: Vec<String> = loaded
        .sources
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    sources.sort();
    assert_eq!(sources, ["shared.wit", "types.wit", "world.wit"]);
}

#[test]
fn world_items_keep_declaration_order() {
    // wit-parser's resolved world puts exported functions before exported interfaces
    // and interfaces before functions among imports; plugport keeps the WIT order.
    let path = write_temp(
        "order",
        "package test:order@1.0.0;\n\
         interface a { fa: func(); }\n\
         interface b { fb: func(); }\n\
         interface c { fc: func(); }\n\
         interface d {\n\
           solo: func() -> u32;\n\
           resource r { constructor(); m: func(); s: static func(); }\n\
           last: func();\n\
         }\n\
         world ordered {\n\
           import g1: func();\n\
           import a;\n\
           import g2: func();\n\
           export f1: func();\n\
           export b;\n\
           export f2: func(x: u8);\n\
           export c;\n\
           export d;\n\
         }\n",
    );
    let w = load_world(&path, None).unwrap();
    check_invariants(&w);
    assert_eq!(names(&w.imports), ["g1", "a", "g2"]);
    assert_eq!(names(&w.exports), ["f1", "b", "f2", "c", "d"]);
    let d = iface(&w.exports, "d");
    assert_eq!(fn_names(d), ["solo", "new", "m", "s", "last"]);
}

#[test]
fn world_selection() {
    let path = write_temp(
        "select",
        "package test:select@1.0.0;\n\
         interface i { f: func(); }\n\
         world first { export i; }\n\
         world second { import i; }\n",
    );
    let err = load_world(&path, None).unwrap_err();
    assert!(
        matches!(err, FrontendError::AmbiguousWorld { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("first") && msg.contains("second") && msg.contains("--world"),
        "{msg}"
    );

    let w = load_world(&path, Some("second")).unwrap();
    assert_eq!(w.name, "second");
    assert_eq!(names(&w.imports), ["i"]);
    assert!(w.exports.is_empty());

    let err = load_world(&path, Some("third")).unwrap_err();
    assert!(
        matches!(err, FrontendError::WorldNotFound { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("third") && msg.contains("first, second"),
        "{msg}"
    );

    let none = write_temp(
        "noworld",
        "package test:none@1.0.0;\ninterface i { f: func(); }\n",
    );
    let err = load_world(&none, None).unwrap_err();
    assert!(matches!(err, FrontendError::NoWorld { .. }), "{err:?}");
}

/// (fixture, line, text naming the construct, refused by plugport rather than wit-parser)
const REFUSALS: &[(&str, u32, &str, bool)] = &[
    ("stream", 4, "`stream<u8>`", true),
    ("future", 5, "`future<string>`", true),
    ("async", 4, "`async`", true),
    ("error-context", 4, "`error-context`", true),
    ("fixed-list", 4, "`list<u8, 0>`", true),
    ("accessor", 4, "accessor", true),
    // wit-parser refuses these itself; its message carries file:line.
    ("empty-record", 4, "empty record", false),
    ("borrow-result", 7, "borrow", false),
    ("flags-33", 4, "more than 32 flags", false),
];

#[test]
fn refusals_name_file_line_and_construct() {
    for (name, line, construct, ours) in REFUSALS {
        let path = repo(&format!("tests/wit/refuse/{name}.wit"));
        let err = load_world(&path, None).expect_err(name);
        let msg = err.to_string();
        let at = format!("{name}.wit:{line}");
        assert!(msg.contains(&at), "{name}: message lacks `{at}`:\n{msg}");
        assert!(
            msg.contains(construct),
            "{name}: message lacks `{construct}`:\n{msg}"
        );
        match (&err, ours) {
            (FrontendError::Unsupported { refusals, .. }, true) => {
                assert_eq!(refusals.len(), 1, "{name}: {refusals:?}");
                assert_eq!(refusals[0].location.as_ref().map(|l| l.line), Some(*line));
                assert!(msg.contains("not support"), "{name}: {msg}");
            }
            (FrontendError::Wit { .. }, false) => {}
            _ => panic!("{name}: unexpected error kind {err:?}"),
        }
    }
}

#[test]
fn all_refusals_are_reported_together() {
    let err = load_world(&repo("tests/wit/refuse/two-problems.wit"), None).unwrap_err();
    let FrontendError::Unsupported { world, refusals } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(world, "twice");
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("two-problems.wit:4") && msg.contains("stream<u8>"),
        "{msg}"
    );
    assert!(
        msg.contains("two-problems.wit:6") && msg.contains("async"),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 2, "one line per refusal:\n{msg}");
}

#[test]
fn refusals_inside_named_types_and_several_uses() {
    let path = write_temp(
        "nested",
        "package test:nested@1.0.0;\n\
         interface i {\n\
           record bag { ok: u32, items: stream<list<u8>>, more: option<stream<u8>> }\n\
           get: func() -> bag;\n\
           put: func(b: bag);\n\
           fine: func() -> u32;\n\
           later: func() -> future<bag>;\n\
         }\n\
         world nested { export i; }\n",
    );
    let err = load_world(&path, None).unwrap_err();
    let FrontendError::Unsupported { refusals, .. } = &err else {
        panic!("{err:?}")
    };
    let msg = err.to_string();
    // Each bad field of `bag` once (not once per use of `bag`), and `later`.
    assert_eq!(refusals.len(), 3, "{msg}");
    // Each at the column of the refused type inside the declaration.
    assert!(
        msg.contains("nested.wit:3:30: field `items` of record `bag` uses `stream<list<u8>>`"),
        "{msg}"
    );
    assert!(
        msg.contains("nested.wit:3:61: field `more` of record `bag` uses `stream<u8>`"),
        "{msg}"
    );
    assert!(
        msg.contains("nested.wit:7:18: function `later` uses `future<bag>`"),
        "{msg}"
    );
}

#[test]
fn interfaces_with_the_same_name_are_qualified_by_package() {
    // Two packages each with an interface `types`: the other package's is qualified, so
    // their C names do not collide.
    let dir = temp_dir("collide");
    std::fs::create_dir_all(dir.path().join("deps")).unwrap();
    std::fs::write(
        dir.path().join("deps/other.wit"),
        "package test:other@1.0.0;\ninterface types { record a { x: u8 } }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.wit"),
        "package test:main@1.0.0;\n\
         interface types { record b { y: u8 } }\n\
         interface api {\n\
           use types.{b};\n\
           use test:other/types@1.0.0.{a};\n\
           f: func(a: a, b: b);\n\
         }\n\
         world w { export api; }\n",
    )
    .unwrap();
    let w = load_world(dir.path(), None).unwrap();
    let owner = |name: &str| {
        w.types
            .iter()
            .find(|t| t.name.as_deref() == Some(name))
            .and_then(|t| t.interface.clone())
    };
    assert_eq!(owner("a").as_deref(), Some("test-other-types"));
    assert_eq!(owner("b").as_deref(), Some("types"));
}

/// The refusals of a world that must be refused for its C names.
fn c_name_refusals(path: &Path) -> (Vec<plugport_codegen::frontend::Refusal>, String) {
    let err = load_world(path, None).unwrap_err();
    let msg = err.to_string();
    match err {
        FrontendError::Unsupported { refusals, .. } => (refusals, msg),
        other => panic!("{other:?}"),
    }
}

#[test]
fn items_with_one_c_name_are_refused_with_both_locations() {
    // The header defines `test_refuse_v1_list_u8` once: the `list<u8>` parameter would
    // silently be the record.
    let (refusals, msg) = c_name_refusals(&repo("tests/wit/refuse/c-name-list.wit"));
    assert_eq!(refusals.len(), 1, "{msg}");
    assert_eq!(refusals[0].location.as_ref().map(|l| l.line), Some(5));
    assert_eq!(refusals[0].location.as_ref().map(|l| l.column), Some(28));
    for needle in [
        "c-name-list.wit:5:28: record `list-u8` (",
        "c-name-list.wit:4) and the anonymous type `list<u8>` (",
        "c-name-list.wit:5) both have the C name `test_refuse_v1_list_u8`",
        "docs/abi.md §4",
    ] {
        assert!(msg.contains(needle), "lacks `{needle}`:\n{msg}");
    }
}

#[test]
fn every_c_name_collision_is_listed_at_once() {
    let (refusals, msg) = c_name_refusals(&repo("tests/wit/refuse/c-names.wit"));
    let expected = [
        // (line of the refusal, text)
        (21, "record `names-exports` (tests/wit/refuse/c-names.wit:21) and the exports table of world `names` (tests/wit/refuse/c-names.wit:20) both have the C name `test_refuse_v1_names_exports`"),
        (22, "record `names-open` (tests/wit/refuse/c-names.wit:22) and the C host helper `open` of world `names` (tests/wit/refuse/c-names.wit:20) both have the C name `test_refuse_v1_names_open`"),
        (23, "case `export` of enum `names` (tests/wit/refuse/c-names.wit:23) and the EXPORT macro of world `names` (tests/wit/refuse/c-names.wit:20) both have the C name `TEST_REFUSE_V1_NAMES_EXPORT`"),
        (5, "case `c` of enum `a-b` in interface `i` (tests/wit/refuse/c-names.wit:4) and case `b-c` of enum `a` in interface `i` (tests/wit/refuse/c-names.wit:5) both have the C name `TEST_REFUSE_V1_I_A_B_C`"),
        (6, "record `table` in interface `i` (tests/wit/refuse/c-names.wit:6) and the table of interface `i` (tests/wit/refuse/c-names.wit:3) both have the C name `test_refuse_v1_i_table`"),
        (8, "record `name-release` in interface `i` (tests/wit/refuse/c-names.wit:7) and the release helper of record `name` in interface `i` (tests/wit/refuse/c-names.wit:8) both have the C name `test_refuse_v1_i_name_release`"),
        (16, "record `vtable` in interface `i-r` (tests/wit/refuse/c-names.wit:16) and the vtable of resource `r` (tests/wit/refuse/c-names.wit:9) both have the C name `test_refuse_v1_i_r_vtable`"),
        (10, "method `r.drop` has the C slot name `drop`, which the vtable of resource `r` reserves for the destructor"),
        (12, "function `header` has the C slot name `header`, which the table of interface `i` reserves for the `pp_table_header`"),
    ];
    assert_eq!(refusals.len(), expected.len(), "{msg}");
    let dir = format!("{}/", repo("tests/wit/refuse").display());
    for (r, (line, text)) in refusals.iter().zip(expected) {
        let text = text.replace("tests/wit/refuse/", "");
        let message = r.message.replace(&dir, "");
        assert!(message.contains(&text), "{message}\nlacks\n{text}");
        assert_eq!(r.location.as_ref().map(|l| l.line), Some(line), "{r}");
        assert!(
            r.location.as_ref().unwrap().file.ends_with("c-names.wit"),
            "{r}"
        );
    }
}

#[test]
fn shared_anonymous_types_and_handles_are_not_c_name_collisions() {
    // `list<u8>` twice is one IR type; `own<r>` and `borrow<r>` both name the handle of
    // `r`; a type named like a mangled name that nothing else uses is fine.
    let path = write_temp(
        "cnames-ok",
        "package test:cnames@1.0.0;\n\
         interface i {\n\
           resource r {\n\
             constructor();\n\
             take: func(other: borrow<r>, bytes: list<u8>) -> list<u8>;\n\
           }\n\
           record list-string { a: u32 }\n\
           give: func(x: r, y: borrow<r>, b: list<u8>, l: list-string) -> option<r>;\n\
         }\n\
         world ok { export i; }\n",
    );
    let w = load_world(&path, None).unwrap_or_else(|e| panic!("{e}"));
    let lists = w
        .types
        .iter()
        .filter(|t| matches!(t.kind, TypeDefKind::List { ty: Type::U8 }))
        .count();
    assert_eq!(lists, 1);
}

#[test]
fn wit_syntax_errors_keep_wit_parser_text() {
    let path = write_temp(
        "syntax",
        "package test:syntax@1.0.0;\ninterface i {\n  f: func(;\n}\n",
    );
    let err = load_world(&path, None).unwrap_err();
    assert!(matches!(err, FrontendError::Wit { .. }), "{err:?}");
    assert!(err.to_string().contains("syntax.wit:3"), "{err}");
}

#[test]
fn fingerprint_is_stable_and_tracks_changes() {
    let a = world("examples/greeter/wit/greeter.wit");
    let b = world("examples/greeter/wit/greeter.wit");
    assert_eq!(a, b);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.fingerprint().len(), 64);

    let text = std::fs::read_to_string(repo("examples/greeter/wit/greeter.wit")).unwrap();
    // Same interface in another file, shifted by a blank line: locations differ, the
    // fingerprint does not.
    let moved = write_temp("moved", &format!("\n{text}"));
    let m = load_world(&moved, None).unwrap();
    assert_ne!(m, a, "locations differ");
    assert_eq!(m.fingerprint(), a.fingerprint());

    // One more function: a different fingerprint.
    let added = text.replace(
        "language: func() -> string;",
        "language: func() -> string;\n  farewell: func(name: string) -> string;",
    );
    assert_ne!(added, text);
    let c = load_world(&write_temp("added", &added), None).unwrap();
    assert_eq!(
        fn_names(iface(&c.exports, "greet")),
        ["greet", "language", "farewell"]
    );
    assert_ne!(c.fingerprint(), a.fingerprint());
}

mod builder {
    use super::*;
    use plugport_codegen::builder::BuildError;
    use plugport_codegen::Builder;

    #[test]
    fn writes_the_c_header_and_rust_bindings() {
        let dir = temp_dir("builder");
        let b = Builder::new(repo("examples/greeter/wit/greeter.wit")).world("greeter");
        let header = b.write_c_header(dir.path().join("include")).unwrap();
        assert_eq!(header, dir.path().join("include").join("greeter.h"));
        let text = std::fs::read_to_string(&header).unwrap();
        assert!(text.contains("example_greeter_v1"));

        // No side chosen: a clear error, nothing written.
        let err = b.write_rust(dir.path().join("g.rs")).unwrap_err();
        assert!(matches!(err, BuildError::NoRustSide), "{err}");
        assert!(format!("{err:?}").contains("rust_guest"));
        assert!(!dir.path().join("g.rs").exists());

        let guest = b
            .clone()
            .rust_guest()
            .write_rust(dir.path().join("g.rs"))
            .unwrap();
        let host = b
            .clone()
            .rust_host()
            .write_rust(dir.path().join("h.rs"))
            .unwrap();
        let (g, h) = (
            std::fs::read_to_string(guest).unwrap(),
            std::fs::read_to_string(host).unwrap(),
        );
        assert!(!g.is_empty() && !h.is_empty());
        assert_ne!(g, h, "guest and host bindings differ");

        if std::env::var_os("OUT_DIR").is_none() {
            let err = b.rust_guest().write_rust_to_out_dir("x.rs").unwrap_err();
            assert!(matches!(err, BuildError::NoOutDir), "{err}");
        }
    }

    #[test]
    fn refused_wit_is_a_readable_error() {
        let refused_dir = temp_dir("builder-refused");
        let err = Builder::new(repo("tests/wit/refuse/stream.wit"))
            .rust_host()
            .write_rust(refused_dir.path().join("x.rs"))
            .unwrap_err();
        assert!(matches!(
            err,
            BuildError::Frontend(FrontendError::Unsupported { .. })
        ));
        // Debug (what `fn main() -> Result<..>` prints) is the message, not a struct dump.
        let debug = format!("{err:?}");
        assert!(
            debug.contains("stream.wit:4") && debug.contains("stream<u8>"),
            "{debug}"
        );
        assert!(!debug.contains("Unsupported"), "{debug}");
    }
}

/// The names of the checked callers, validators and accessors (docs/abi.md §11) take
/// part in the C-name check like every other generated name.
#[test]
fn checked_caller_and_validator_names_are_checked_for_collisions() {
    let path = write_temp(
        "cnames-callers",
        "package test:callers@1.0.0;\n\
         interface i {\n\
           record call-f { x: u32 }\n\
           record p { s: string }\n\
           record p-check { y: u32 }\n\
           f: func(a: p, b: p-check) -> call-f;\n\
         }\n\
         world w {\n\
           record w-exports-get-i { x: u32 }\n\
           export i;\n\
           export g: func(r: w-exports-get-i);\n\
         }\n",
    );
    let (refusals, msg) = c_name_refusals(&path);
    for needle in [
        "record `call-f` in interface `i` (",
        "and the checked caller of function `f` (",
        "both have the C name `test_callers_v1_i_call_f`",
        "record `p-check` in interface `i` (",
        "and the validator of record `p` in interface `i` (",
        "both have the C name `test_callers_v1_i_p_check`",
        "record `w-exports-get-i` (",
        "the accessor of interface `i` in the exports table of world `w`",
        "both have the C name `test_callers_v1_w_exports_get_i`",
    ] {
        assert!(msg.contains(needle), "lacks `{needle}`:\n{msg}");
    }
    assert_eq!(refusals.len(), 3, "{msg}");
}

/// `include` expands in place (docs/abi.md §5): the included world's items, in its own
/// order (its includes expanded the same way, `with` renames applied), take the place of
/// the `include` statement; an item already brought keeps its first place. The result is
/// the world written out by hand, slot for slot.
#[test]
fn include_expands_in_place_like_the_items_written_out() {
    let path = repo("tests/wit/accept/include.wit");
    let mut extended = load_world(&path, Some("extended")).unwrap();
    let explicit = load_world(&path, Some("explicit")).unwrap();
    assert_eq!(names(&extended.imports), ["logger"]);
    assert_eq!(
        names(&extended.exports),
        ["first", "a", "hello", "b", "last"]
    );
    extended.name = explicit.name.clone();
    assert_eq!(extended.canonical_json(), explicit.canonical_json());
    // So the compatibility check sees the same world.
    assert!(plugport::compat::compare(&explicit, &extended).is_compatible());
}

/// An `include` of a world of another package cannot be expanded from the source: it is
/// refused at its line.
#[test]
fn include_of_a_foreign_world_is_refused_at_its_line() {
    let err = load_world(&repo("tests/wit/refuse/include-foreign"), None).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("main.wit:4"), "{msg}");
    assert!(msg.contains("includes a world of another package"), "{msg}");
}

/// An interface imported only implicitly (an export uses its type) and having functions
/// gets a table after every declared import (docs/abi.md §5).
#[test]
fn implicit_imports_come_after_the_declared_ones() {
    let w = load_world(&repo("tests/wit/implicit.wit"), None).unwrap();
    assert_eq!(names(&w.imports), ["logger", "common"]);
    assert_eq!(names(&w.exports), ["api"]);
}

/// Interfaces of one name from other packages, or other versions of one package, are
/// qualified by package (and compatibility line) in the IR, so every C, Rust, C++ and Go
/// name derived from them is unique; this package's own interface keeps its plain name
/// (docs/abi.md §4).
#[test]
fn same_named_interfaces_of_other_packages_are_qualified() {
    let w = load_world(&repo("tests/wit/accept/samename"), None).unwrap();
    assert_eq!(
        names(&w.imports),
        [
            "store",
            "a-x-store",
            "b-y-store",
            "c-z-v1-store",
            "c-z-v2-store"
        ]
    );
    let entries: Vec<(String, Option<String>)> = w
        .types
        .iter()
        .filter(|t| t.name.as_deref() == Some("entry"))
        .map(|t| (t.name.clone().unwrap(), t.interface.clone()))
        .collect();
    let owners: Vec<&str> = entries.iter().filter_map(|(_, i)| i.as_deref()).collect();
    assert_eq!(owners, ["a-x-store", "c-z-v1-store", "c-z-v2-store"]);
    let h = plugport_codegen::c::generate(&w).contents;
    for table in [
        "store",
        "a_x_store",
        "b_y_store",
        "c_z_v1_store",
        "c_z_v2_store",
    ] {
        assert!(
            h.contains(&format!("typedef struct test_samename_v1_{table}_table {{")),
            "{table}"
        );
    }
}

/// A resource declared at world level (issue 11, A.3) is an import of the world: its
/// constructor, methods and static go to one imported table named after the world, in
/// the place of the first world-level resource among the imports, the resource's type
/// belongs to that table (C names `<prefix>_<world>_<r>`), and exported functions take
/// and return its handles (`docs/abi.md` §5, "Resources declared at world level").
#[test]
fn world_level_resources_are_a_table_of_the_world_imports() {
    let w = load_world(&repo("tests/wit/accept/worldres.wit"), None).expect("accepted");
    let names: Vec<&str> = w.imports.iter().map(WorldItem::name).collect();
    assert_eq!(names, ["worldres", "peek", "live"]);
    let WorldItem::Interface(table) = &w.imports[0] else {
        panic!("{:?}", w.imports[0])
    };
    assert_eq!(table.package, None);
    assert_eq!(table.types.len(), 1);
    let counter = table.types[0];
    assert_eq!(w.ty(counter).name.as_deref(), Some("counter"));
    assert_eq!(w.ty(counter).interface.as_deref(), Some("worldres"));
    assert_eq!(w.ty(counter).kind, TypeDefKind::Resource);
    let functions: Vec<(&str, FunctionKind)> = table
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.kind))
        .collect();
    assert_eq!(
        functions,
        [
            ("new", FunctionKind::Constructor(counter)),
            ("get", FunctionKind::Method(counter)),
            ("add", FunctionKind::Method(counter)),
            ("merge", FunctionKind::Static(counter)),
        ]
    );
    // Exports only use it; no world item is exported for it.
    let exports: Vec<&str> = w.exports.iter().map(WorldItem::name).collect();
    assert_eq!(
        exports,
        ["make", "take", "look", "sum", "wrap", "open", "lend", "forge"]
    );
    let h = plugport_codegen::c::generate(&w).contents;
    for needle in [
        "} test_worldres_v1_worldres_counter;",
        "struct test_worldres_v1_worldres_counter_vtable {",
        "} test_worldres_v1_worldres_table;",
        "const test_worldres_v1_worldres_table *worldres;",
        "(*counter_new)(uint32_t start,",
        "(*counter_merge)(test_worldres_v1_worldres_counter a,",
    ] {
        assert!(h.contains(needle), "header lacks {needle:?}");
    }
}

/// The world's resource table is named after the world: an interface of that name in the
/// same world is refused, naming the rule, instead of two tables with one C name.
#[test]
fn a_world_level_resource_table_named_like_an_interface_of_the_world_is_refused() {
    let path = repo("tests/wit/refuse/world-resource-name.wit");
    let err = load_world(&path, None).unwrap_err();
    let FrontendError::Unsupported { refusals, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("declares resources at world level")
            && msg.contains("interface named `resources`")
            && msg.contains("world-resource-name.wit:5"),
        "{msg}"
    );
}
