//! Unit tests of the Rust back end on hand-built IR: the output parses as Rust (`syn`),
//! has the documented shape, and is deterministic. Round trips through compiled bindings
//! are in `tests/rust-roundtrip`.

use plugport::ir::{
    Case, Field, Function, FunctionKind, Interface, PackageName, Param, Type, TypeDef, TypeDefKind,
    World, WorldItem,
};

use super::{generate, Side};

fn named(name: &str, iface: Option<&str>, kind: TypeDefKind) -> TypeDef {
    TypeDef {
        name: Some(name.into()),
        interface: iface.map(Into::into),
        kind,
        location: None,
    }
}

fn anon(kind: TypeDefKind) -> TypeDef {
    TypeDef {
        name: None,
        interface: None,
        kind,
        location: None,
    }
}

fn func(name: &str, kind: FunctionKind, params: &[(&str, Type)], result: Option<Type>) -> Function {
    Function {
        name: name.into(),
        kind,
        params: params
            .iter()
            .map(|(n, t)| Param {
                name: (*n).into(),
                ty: *t,
            })
            .collect(),
        result,
        location: None,
    }
}

/// A world with a bit of everything: an imported interface with a resource, an
/// exported one with keyword names, world-level types and bare functions both ways.
fn sample() -> World {
    let types = vec![
        /* 0 */ named("res", Some("store"), TypeDefKind::Resource),
        /* 1 */ anon(TypeDefKind::Own { resource: 0 }),
        /* 2 */ anon(TypeDefKind::Borrow { resource: 0 }),
        /* 3 */ anon(TypeDefKind::List { ty: Type::Id(1) }),
        /* 4 */
        named(
            "type",
            Some("kw"),
            TypeDefKind::Record {
                fields: vec![
                    Field {
                        name: "self".into(),
                        ty: Type::Bool,
                    },
                    Field {
                        name: "match".into(),
                        ty: Type::String,
                    },
                ],
            },
        ),
        /* 5 */
        named(
            "mode",
            None,
            TypeDefKind::Variant {
                cases: vec![
                    Case {
                        name: "on".into(),
                        ty: Some(Type::Char),
                    },
                    Case {
                        name: "off".into(),
                        ty: None,
                    },
                ],
            },
        ),
        /* 6 */
        anon(TypeDefKind::Result {
            ok: None,
            err: None,
        }),
        /* 7 */ anon(TypeDefKind::Tuple {
            types: vec![Type::U8],
        }),
        /* 8 */ named("bits", Some("kw"), TypeDefKind::Flags { flags: vec![] }),
        /* 9 */
        named(
            "client",
            Some("kw"),
            TypeDefKind::Enum {
                cases: vec!["a".into()],
            },
        ),
    ];
    let store = Interface {
        name: "store".into(),
        package: None,
        types: vec![0],
        functions: vec![
            func(
                "new",
                FunctionKind::Constructor(0),
                &[("n", Type::U32)],
                Some(Type::Id(1)),
            ),
            func("get", FunctionKind::Method(0), &[], Some(Type::U32)),
            func(
                "fuse",
                FunctionKind::Method(0),
                &[("other", Type::Id(1))],
                None,
            ),
            func(
                "many",
                FunctionKind::Freestanding,
                &[("r", Type::Id(2))],
                Some(Type::Id(3)),
            ),
        ],
    };
    let kw = Interface {
        name: "kw".into(),
        package: None,
        types: vec![4, 8, 9],
        functions: vec![func(
            "fn",
            FunctionKind::Freestanding,
            &[("type", Type::Id(4)), ("in", Type::Id(7))],
            Some(Type::Id(6)),
        )],
    };
    World {
        package: PackageName {
            namespace: "my-ns".into(),
            name: "sample".into(),
            version: Some("0.3.1".into()),
        },
        name: "the-world".into(),
        types,
        imports: vec![
            WorldItem::Interface(store),
            WorldItem::Function(func("ping", FunctionKind::Freestanding, &[], None)),
        ],
        exports: vec![
            WorldItem::Interface(kw),
            WorldItem::Function(func(
                "mode",
                FunctionKind::Freestanding,
                &[("m", Type::Id(5))],
                Some(Type::Id(5)),
            )),
        ],
    }
}

fn parse(text: &str) -> syn::File {
    syn::parse_file(text).unwrap_or_else(|e| panic!("generated code does not parse: {e}\n{text}"))
}

/// The items of module `path` (`["exports", "kw"]`) of a parsed file.
fn module<'f>(file: &'f syn::File, path: &[&str]) -> &'f [syn::Item] {
    let mut items: &[syn::Item] = &file.items;
    for seg in path {
        items = items
            .iter()
            .find_map(|i| match i {
                syn::Item::Mod(m) if m.ident == seg => m.content.as_ref().map(|c| &c.1[..]),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no module `{seg}` in {path:?}"));
    }
    items
}

fn has_item(items: &[syn::Item], kind: &str, name: &str) -> bool {
    items.iter().any(|i| match (kind, i) {
        ("trait", syn::Item::Trait(t)) => t.ident == name,
        ("struct", syn::Item::Struct(s)) => s.ident == name,
        ("enum", syn::Item::Enum(e)) => e.ident == name,
        ("fn", syn::Item::Fn(f)) => f.sig.ident == name,
        ("type", syn::Item::Type(t)) => t.ident == name,
        ("mod", syn::Item::Mod(m)) => m.ident == name,
        ("macro", syn::Item::Macro(m)) => m.ident.as_ref().is_some_and(|i| i == name),
        ("union", syn::Item::Union(u)) => u.ident == name,
        _ => false,
    })
}

/// The signature of trait method `name` of trait `tr`, as tokens.
fn trait_fn(items: &[syn::Item], tr: &str, name: &str) -> String {
    use std::fmt::Write;
    let t = items
        .iter()
        .find_map(|i| match i {
            syn::Item::Trait(t) if t.ident == tr => Some(t),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no trait {tr}"));
    let f = t
        .items
        .iter()
        .find_map(|i| match i {
            syn::TraitItem::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fn {name} in {tr}"));
    let mut s = String::new();
    let sig = &f.sig;
    write!(s, "{}", quote_sig(sig)).unwrap();
    s
}

fn quote_sig(sig: &syn::Signature) -> String {
    // syn's `ToTokens` is behind the `printing` feature; rebuild a compact form.
    let inputs: Vec<String> = sig
        .inputs
        .iter()
        .map(|a| match a {
            syn::FnArg::Receiver(r) => {
                if r.reference.is_some() {
                    "&self".to_string()
                } else {
                    "self".to_string()
                }
            }
            syn::FnArg::Typed(p) => match (&*p.pat, &*p.ty) {
                (syn::Pat::Ident(i), ty) => format!("{}: {}", i.ident, ty_name(ty)),
                _ => "?".into(),
            },
        })
        .collect();
    let ret = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, t) => format!(" -> {}", ty_name(t)),
    };
    format!("fn {}({}){ret}", sig.ident, inputs.join(", "))
}

/// The last path segment of a type (with `&` and `[]` kept), enough to check shapes.
fn ty_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Reference(r) => format!("&{}", ty_name(&r.elem)),
        syn::Type::Slice(s) => format!("[{}]", ty_name(&s.elem)),
        syn::Type::Path(p) => {
            let seg = p.path.segments.last().expect("a segment");
            match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) => {
                    let args: Vec<String> = a
                        .args
                        .iter()
                        .filter_map(|g| match g {
                            syn::GenericArgument::Type(t) => Some(ty_name(t)),
                            _ => None,
                        })
                        .collect();
                    format!("{}<{}>", seg.ident, args.join(", "))
                }
                _ => {
                    if p.path.segments.len() == 2 && p.path.segments[0].ident == "Self" {
                        format!("Self::{}", seg.ident)
                    } else {
                        seg.ident.to_string()
                    }
                }
            }
        }
        syn::Type::Tuple(t) => {
            let parts: Vec<String> = t.elems.iter().map(ty_name).collect();
            format!("({})", parts.join(", "))
        }
        _ => "?".into(),
    }
}

#[test]
fn file_names_follow_the_world() {
    let w = sample();
    assert_eq!(generate(&w, Side::Guest).name, "the_world_guest.rs");
    assert_eq!(generate(&w, Side::Host).name, "the_world_host.rs");
}

#[test]
fn both_sides_parse_and_are_deterministic() {
    let w = sample();
    for side in [Side::Guest, Side::Host] {
        let a = generate(&w, side).contents;
        assert_eq!(a, generate(&w, side).contents, "{side:?} is deterministic");
        parse(&a);
        assert!(
            !a.contains("#!["),
            "no inner attributes: the file is include!d"
        );
    }
}

#[test]
fn ffi_mirror_uses_c_names_and_bindgen_field_names() {
    let w = sample();
    let text = generate(&w, Side::Host).contents;
    let file = parse(&text);
    let ffi = module(&file, &["ffi"]);
    let p = "my_ns_sample_v0_3";
    for s in [
        format!("{p}_store_res"),
        format!("{p}_store_res_vtable"),
        format!("{p}_list_store_res"),
        format!("{p}_kw_type"),
        format!("{p}_mode"),
        format!("{p}_result_void_void"),
        format!("{p}_tuple1_u8"),
        format!("{p}_store_table"),
        format!("{p}_kw_table"),
        format!("{p}_the_world_imports"),
        format!("{p}_the_world_exports"),
    ] {
        assert!(has_item(ffi, "struct", &s), "ffi::{s}");
    }
    assert!(has_item(ffi, "union", &format!("{p}_mode_val")));
    assert!(has_item(ffi, "type", &format!("{p}_kw_bits")));
    // `self` and `match` are C-escaped (`self_`) or Rust keywords (`match_`).
    assert!(text.contains("pub self_: u8,"));
    assert!(text.contains("pub match_: ::plugport::abi::PpString,"));
    // The slot of `fn` is `fn_`; the constructor slot is `res_new`.
    assert!(text.contains("pub fn_: ::core::option::Option<unsafe extern \"C\" fn("));
    assert!(text.contains("pub res_new: ::core::option::Option<unsafe extern \"C\" fn(u32, *mut"));
    // A vtable: header, drop, then methods.
    let vt = text
        .find(&format!("pub struct {p}_store_res_vtable"))
        .unwrap();
    let body = &text[vt..vt + 600];
    let (h, d, g) = (
        body.find("header").unwrap(),
        body.find("drop").unwrap(),
        body.find("get").unwrap(),
    );
    assert!(h < d && d < g, "{body}");
    // Layout checks against the C layout algorithm.
    assert!(text.contains("#[cfg(target_pointer_width = \"64\")]"));
    assert!(text.contains(&format!(
        "assert!(size_of::<{p}_store_res_vtable>() == 40);"
    )));
}

#[test]
fn guest_side_shapes() {
    let w = sample();
    let text = generate(&w, Side::Guest).contents;
    let file = parse(&text);
    // Exports implemented by the guest: traits.
    let kw = module(&file, &["exports", "kw"]);
    assert!(has_item(kw, "trait", "Guest"));
    assert_eq!(
        trait_fn(kw, "Guest", "r#fn"),
        "fn r#fn(r#type: Type, r#in: (u8)) -> Result<(), ()>"
    );
    assert!(has_item(kw, "struct", "Type"));
    assert!(has_item(kw, "struct", "Bits"));
    assert!(has_item(kw, "enum", "Client"));
    let root = module(&file, &["exports"]);
    assert!(has_item(root, "trait", "Guest"), "bare export functions");
    assert_eq!(trait_fn(root, "Guest", "mode"), "fn mode(m: Mode) -> Mode");
    assert!(has_item(root, "fn", "__entry"));
    // Imports called by the guest: free functions and a resource wrapper with methods.
    let store = module(&file, &["imports", "store"]);
    assert!(has_item(store, "fn", "res_new"));
    assert!(has_item(store, "fn", "has_res_new"));
    assert!(has_item(store, "fn", "many"));
    assert!(has_item(store, "struct", "Res"));
    assert!(!has_item(store, "trait", "Host"));
    assert!(text
        .contains("pub fn get(&self) -> ::core::result::Result<u32, ::plugport::rt::CallError>"));
    assert!(text.contains("pub fn fuse(&self, other: super::super::imports::store::Res)"));
    assert!(has_item(module(&file, &["imports"]), "fn", "ping"));
    // World-level types at the root; the export macro.
    assert!(has_item(&file.items, "enum", "Mode"));
    assert!(has_item(&file.items, "macro", "export_the_world"));
    assert!(text.contains("#[unsafe(no_mangle)]"));
    assert!(text.contains("pub unsafe extern \"C\" fn plugport_entry_my_ns_sample_v0_3_the_world("));
    assert!(text.contains("pub static plugport_descriptor_my_ns_sample_v0_3_the_world:"));
    assert!(text.contains("link_section = \".plugport\""));
    assert!(text.contains("link_section = \"__DATA,__plugport\""));
}

#[test]
fn host_side_shapes() {
    let w = sample();
    let text = generate(&w, Side::Host).contents;
    let file = parse(&text);
    // Imports implemented by the host: an interface trait with the resource's type.
    let store = module(&file, &["imports", "store"]);
    assert!(has_item(store, "trait", "Host"));
    assert!(has_item(store, "trait", "HostRes"));
    assert_eq!(
        trait_fn(store, "Host", "many"),
        "fn many(r: &Self::Res) -> Vec<Res>"
    );
    assert_eq!(trait_fn(store, "HostRes", "new"), "fn new(n: u32) -> Self");
    assert_eq!(
        trait_fn(store, "HostRes", "fuse"),
        "fn fuse(&self, other: Self)"
    );
    assert!(text.contains("pub fn new<T: super::super::imports::store::HostRes>(value: T) -> Self"));
    assert!(has_item(module(&file, &["imports"]), "trait", "Host"));
    // Exports called by the host: a client (renamed: the interface has a type `client`).
    let kw = module(&file, &["exports", "kw"]);
    assert!(has_item(kw, "struct", "ClientApi"));
    assert!(
        text.contains("pub fn r#fn(&self, r#type: &super::super::exports::kw::Type, r#in: &(u8,))")
    );
    assert!(has_item(&file.items, "struct", "TheWorld"));
    assert!(text.contains(
        "pub fn load<H: ImportsImpl>(path: impl ::core::convert::AsRef<::std::path::Path>)"
    ));
    assert!(text.contains("pub fn kw(&self) -> exports::kw::ClientApi<'_>"));
    assert!(text.contains(
        "pub fn mode(&self, m: &Mode) -> ::core::result::Result<Mode, ::plugport::rt::CallError>"
    ));
    assert!(text.contains("pub unsafe fn from_raw_exports("));
}

#[test]
fn worlds_without_imports_load_without_a_type_parameter() {
    let mut w = sample();
    w.imports.clear();
    let text = generate(&w, Side::Host).contents;
    parse(&text);
    assert!(text.contains("pub fn load(path: impl ::core::convert::AsRef<::std::path::Path>)"));
    // The resource of `store` is now a types-only interface, placed with the imports.
    let g = generate(&w, Side::Guest).contents;
    let file = parse(&g);
    assert!(has_item(
        module(&file, &["imports", "store"]),
        "struct",
        "Res"
    ));
}

#[test]
fn callers_hand_the_callee_a_zeroed_ret() {
    // A C callee may write only a discriminant (`is_some = 0`), so the rest of `*ret`
    // must already be a valid value: zeroed, never uninitialised.
    for side in [Side::Guest, Side::Host] {
        let text = generate(&sample(), side).contents;
        assert!(text.contains("::core::mem::MaybeUninit::<"), "{side:?}");
        assert!(text.contains(">::zeroed();"), "{side:?}");
        assert!(!text.contains("::uninit()"), "{side:?}");
    }
}

#[test]
fn the_export_macro_refuses_panic_abort() {
    let text = generate(&sample(), Side::Guest).contents;
    let file = parse(&text);
    assert!(has_item(&file.items, "macro", "export_the_world"));
    // In both arms of the macro.
    assert_eq!(text.matches("#[cfg(panic = \"abort\")]").count(), 2);
    assert_eq!(
        text.matches(
            "compile_error!(\"plugport: a plugin must be built with panic = \\\"unwind\\\""
        )
        .count(),
        2
    );
}

/// The text of the generated function `name` (from its `fn` line to the next item).
fn fn_text<'t>(text: &'t str, name: &str) -> &'t str {
    let start = text
        .find(&format!("fn {name}<"))
        .unwrap_or_else(|| panic!("no fn {name}"));
    let end = text[start..].find("/// ").map_or(text.len(), |e| start + e);
    &text[start..end]
}

#[test]
fn trampolines_with_own_arguments_lift_everything_before_failing() {
    let text = generate(&sample(), Side::Host).contents;
    parse(&text);
    // `fuse(&self, other: own<res>)`: the argument is lifted into a Result before the
    // `self` check, so that a null `self` still drops it.
    let fuse = fn_text(&text, "__m_res_fuse");
    let lift = fuse.find("let l0 = ").expect("lifted into l0");
    let check = fuse.find("null `self`").expect("self check");
    let unwrap = fuse
        .find("let a0 = l0?;")
        .expect("unwrapped after the checks");
    assert!(lift < check && check < unwrap, "{fuse}");
    // Without `own` arguments the checks come first and nothing is deferred.
    let new = fn_text(&text, "__tramp_res_new");
    assert!(!new.contains("let l0"), "{new}");
    assert!(new.find("null `ret`").unwrap() < new.find("let a0 = ").unwrap());
    // `list<own<res>>` has a walker; types without `own` handles have none.
    assert!(text.contains("pub unsafe fn drop_own_list_store_res("));
    assert!(!text.contains("drop_own_kw_type"));
}

#[test]
fn host_callers_take_slots_resolved_at_load() {
    let text = generate(&sample(), Side::Host).contents;
    parse(&text);
    // A bare world function and an interface function: the function pointer comes from
    // the slots resolved at load, with no table-size or NULL check per call, and a
    // failure asks `has_<name>()` (out of line) whether the slot was missing.
    for (sig, slot, has) in [
        (
            "pub fn mode(&self, m: &Mode)",
            "self.slots.mode",
            "self.has_mode()",
        ),
        (
            "pub fn r#fn(&self, r#type: &super::super::exports::kw::Type",
            "self.slots.fn_",
            "self.has_fn()",
        ),
    ] {
        let start = text.find(sig).unwrap_or_else(|| panic!("no {sig}"));
        let end = start + text[start..].find("/// Whether").expect("has_ follows");
        let body = &text[start..end];
        assert!(body.contains(&format!("let f = {slot};")), "{body}");
        assert!(!body.contains("has_slot"), "{body}");
        assert!(!body.contains("is_null"), "{body}");
        assert!(
            body.contains(&format!(
                "::plugport::rt::call_failed(st, err, self.slots.__dealloc, {has}"
            )),
            "{body}"
        );
    }
    // Resolution checks the size and NULL once, and stands a stub in for a missing slot.
    assert!(text.contains("pub unsafe fn resolve(t: *const"));
    assert!(text.contains("=> f, _ => __missing_mode }"));
    assert!(text.contains("unsafe extern \"C\" fn __missing_mode("));
    assert!(text.contains("let slots = unsafe { __ExportSlots::resolve(exports) };"));
    assert!(text.contains("self.slots = unsafe { __ExportSlots::resolve(self.exports) };"));
}

#[test]
fn trampolines_check_pointers_outside_the_panic_guard() {
    let text = generate(&sample(), Side::Host).contents;
    // Without `own` arguments: the null `ret` / `self` checks fail through the
    // out-of-line `rt::reject` before the guard, so the success path needs no frame.
    let new = fn_text(&text, "__tramp_res_new");
    let check = new.find("if ret.is_null()").expect("ret check");
    let reject = new
        .find("::plugport::rt::reject(err,")
        .expect("rejected out of line");
    let guard = new.find("::plugport::rt::guard(err").expect("guard");
    assert!(check < reject && reject < guard, "{new}");
    // With `own` arguments the checks stay inside the guard, after the lifting.
    let fuse = fn_text(&text, "__m_res_fuse");
    assert!(fuse.find("::plugport::rt::guard(err").unwrap() < fuse.find("null `self`").unwrap());
    assert!(!fuse.contains("::plugport::rt::reject("), "{fuse}");
}

#[test]
fn host_string_and_number_list_results_stay_in_the_callee_buffer() {
    // exports: name() -> string, bytes() -> list<u8>, names() -> list<string>.
    let fns = [
        func("name", FunctionKind::Freestanding, &[], Some(Type::String)),
        func("bytes", FunctionKind::Freestanding, &[], Some(Type::Id(0))),
        func("names", FunctionKind::Freestanding, &[], Some(Type::Id(1))),
    ];
    let mut w = World {
        package: PackageName {
            namespace: "ns".into(),
            name: "owned".into(),
            version: Some("1.0.0".into()),
        },
        name: "w".into(),
        types: vec![
            anon(TypeDefKind::List { ty: Type::U8 }),
            anon(TypeDefKind::List { ty: Type::String }),
        ],
        imports: vec![],
        exports: fns.iter().cloned().map(WorldItem::Function).collect(),
    };
    let host = generate(&w, Side::Host).contents;
    parse(&host);
    let sig = |name: &str, ty: &str| {
        format!("pub fn {name}(&self) -> ::core::result::Result<{ty}, ::plugport::rt::CallError>")
    };
    assert!(
        host.contains(&sig("name", "::plugport::OwnedStr")),
        "{host}"
    );
    assert!(host.contains(&sig("bytes", "::plugport::OwnedList<u8>")));
    assert!(host.contains(&sig("names", "::std::vec::Vec<::std::string::String>")));
    assert!(host.contains(
        "::plugport::OwnedStr::lift(r, self.slots.__dealloc, ::core::clone::Clone::clone(&self.keep), \"name\")"
    ));
    assert!(host.contains("::plugport::OwnedList::lift(r.ptr, r.len, self.slots.__dealloc"));
    // Host callers of resolved slots are small (errors out of line) and marked inline.
    assert!(
        host.contains(&format!(
            "#[inline]\n    {}",
            sig("name", "::plugport::OwnedStr")
        )),
        "{host}"
    );
    // The guest's callers (here of the same functions as imports) copy.
    w.imports = std::mem::take(&mut w.exports);
    let guest = generate(&w, Side::Guest).contents;
    parse(&guest);
    assert!(
        !guest.contains("OwnedStr") && !guest.contains("OwnedList"),
        "{guest}"
    );
    assert!(
        guest.contains("::core::result::Result<::std::string::String, ::plugport::rt::CallError>")
    );
}
