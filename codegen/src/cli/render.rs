//! WIT-like views of a world's imports and exports, for `plugport inspect` (text and
//! JSON). Types and functions are rendered with `plugport::compat`'s `render_*` helpers,
//! so they read the same as the items `check` and `diff` report.

use std::collections::BTreeSet;

use plugport::compat::{render_function, render_typedef, render_typedef_q};
use plugport::ir::{FunctionKind, Interface, TypeDefKind, TypeId, World, WorldItem};
use serde::{Deserialize, Serialize};

/// One import or export of a world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    /// `interface` or `function` (a bare world function).
    pub kind: String,
    /// The item's name in the world.
    pub name: String,
    /// For an interface of another package: `namespace:name@version`.
    pub package: Option<String>,
    /// Named types the interface defines (not resources), as WIT text:
    /// `record frame { stream: u32, payload: list<u8> }`.
    pub types: Vec<String>,
    /// The interface's resources with their functions.
    pub resources: Vec<ResourceView>,
    /// Freestanding functions, as WIT text (`greet: func(name: string) -> string`); for a
    /// bare world function, the function itself.
    pub functions: Vec<String>,
}

/// A resource and the functions bound to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceView {
    /// The resource's WIT name.
    pub name: String,
    /// `constructor(...)`, when it has one.
    pub constructor: Option<String>,
    /// Methods, in vtable order.
    pub methods: Vec<String>,
    /// Static functions (`static open: func(...) -> decoder`).
    pub statics: Vec<String>,
}

/// Views of a list of world items (the imports or the exports).
pub fn items(w: &World, list: &[WorldItem]) -> Vec<ItemView> {
    list.iter()
        .map(|item| match item {
            WorldItem::Function(f) => ItemView {
                kind: "function".into(),
                name: f.name.clone(),
                package: None,
                types: vec![],
                resources: vec![],
                functions: vec![render_function(w, f)],
            },
            WorldItem::Interface(i) => interface(w, i),
        })
        .collect()
}

fn interface(w: &World, i: &Interface) -> ItemView {
    let is_resource = |id: TypeId| {
        w.types
            .get(id)
            .is_some_and(|d| matches!(d.kind, TypeDefKind::Resource))
    };
    // Resources in declaration order, then any bound to a function but not listed.
    let mut resource_ids: Vec<TypeId> = i
        .types
        .iter()
        .copied()
        .filter(|&t| is_resource(t))
        .collect();
    for f in &i.functions {
        if let FunctionKind::Method(r) | FunctionKind::Static(r) | FunctionKind::Constructor(r) =
            f.kind
        {
            if !resource_ids.contains(&r) {
                resource_ids.push(r);
            }
        }
    }
    let resources = resource_ids
        .iter()
        .map(|&r| {
            let mut view = ResourceView {
                name: w
                    .types
                    .get(r)
                    .and_then(|d| d.name.clone())
                    .unwrap_or_else(|| format!("<invalid type #{r}>")),
                constructor: None,
                methods: vec![],
                statics: vec![],
            };
            for f in &i.functions {
                match f.kind {
                    FunctionKind::Constructor(x) if x == r => {
                        view.constructor = Some(render_function(w, f))
                    }
                    FunctionKind::Method(x) if x == r => view.methods.push(render_function(w, f)),
                    FunctionKind::Static(x) if x == r => view.statics.push(render_function(w, f)),
                    _ => {}
                }
            }
            view
        })
        .collect();
    ItemView {
        kind: "interface".into(),
        name: i.name.clone(),
        package: i.package.as_ref().map(|p| p.to_string()),
        types: i
            .types
            .iter()
            .filter(|&&t| !is_resource(t))
            .map(|&t| render_typedef(w, t))
            .collect(),
        resources,
        functions: i
            .functions
            .iter()
            .filter(|f| f.kind == FunctionKind::Freestanding)
            .map(|f| render_function(w, f))
            .collect(),
    }
}

/// Named types that no world item defines: world-level types, and types of interfaces
/// that are only used (`use types.{point}`), not imported or exported. Rendered with
/// qualified names (`record types.point { x: s32, y: s32 }`).
pub fn other_types(w: &World) -> Vec<String> {
    let listed: BTreeSet<TypeId> = w
        .imports
        .iter()
        .chain(&w.exports)
        .filter_map(|item| match item {
            WorldItem::Interface(i) => Some(i.types.iter().copied()),
            WorldItem::Function(_) => None,
        })
        .flatten()
        .collect();
    w.types
        .iter()
        .enumerate()
        .filter(|(id, d)| d.name.is_some() && !listed.contains(id))
        .map(|(id, _)| render_typedef_q(w, id, true))
        .collect()
}

/// Appends the text form of `items` to `out`, indented by two spaces:
///
/// ```text
///   interface greet {
///     greet: func(name: string) -> string
///   }
/// ```
pub fn write_items(out: &mut String, items: &[ItemView]) {
    if items.is_empty() {
        out.push_str("  (none)\n");
    }
    for item in items {
        if item.kind == "function" {
            for f in &item.functions {
                out.push_str(&format!("  {f}\n"));
            }
            continue;
        }
        out.push_str(&format!("  interface {}", item.name));
        if let Some(p) = &item.package {
            out.push_str(&format!(" (from {p})"));
        }
        out.push_str(" {\n");
        for t in &item.types {
            out.push_str(&format!("    {t}\n"));
        }
        for r in &item.resources {
            let members: Vec<String> = r
                .constructor
                .iter()
                .chain(&r.methods)
                .chain(&r.statics)
                .cloned()
                .collect();
            if members.is_empty() {
                out.push_str(&format!("    resource {}\n", r.name));
                continue;
            }
            out.push_str(&format!("    resource {} {{\n", r.name));
            for m in members {
                out.push_str(&format!("      {m}\n"));
            }
            out.push_str("    }\n");
        }
        for f in &item.functions {
            out.push_str(&format!("    {f}\n"));
        }
        out.push_str("  }\n");
    }
}
