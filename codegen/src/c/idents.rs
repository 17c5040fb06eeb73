//! Every C identifier the header of a world defines at file scope, and what defines it.
//!
//! The front end refuses a world in which two items would get one C name
//! (`frontend::cnames`): the header defines each name once (under its
//! `PLUGPORT_DEF_<name>` guard), so the second item would silently become the first. The
//! list is computed with the same functions the header is generated with, and a test
//! checks it against the identifiers of generated headers.
//!
//! Not listed: the core block (`pp_*`, `PP_*`: every world name starts with a prefix that
//! ends in `_v<n>`, so none can be a core name), the include guards (derived from these
//! names), struct members and parameters (scoped to their struct or function).

use std::collections::HashSet;

use plugport::ir::{FunctionKind, Location, TypeDefKind, TypeId, World};
use plugport::plan::Ownership;

use super::callers::{getters, has_invoker, slots, Holder};
use super::descriptor::WorldNames;
use super::release::helper_name;
use super::tables::{interfaces, version_name};
use super::types::defines_type;
use super::validate::{check_name, Checking};
use crate::names::CNames;

/// One C identifier of a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The identifier.
    pub name: String,
    /// The item of the world that defines it.
    pub by: DefinedBy,
}

/// What defines a C identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinedBy {
    /// The typedef of a type: a record, enum, `list<T>`, …; a resource's handle.
    Type(TypeId),
    /// The vtable of a resource, and its `_VERSION` constant.
    Vtable(TypeId),
    /// Constant `index` of an enum, variant (case) or flags type (flag).
    Constant {
        /// The enum, variant or flags type.
        ty: TypeId,
        /// The case's or flag's position in the type, from 0.
        index: usize,
    },
    /// The `<type>_release` helper of a type.
    Release(TypeId),
    /// The `<type>_check` validator of a type.
    Check(TypeId),
    /// A checked caller, `has_` check or trampoline macro of a function (section 11).
    /// `what` describes it, e.g. "checked caller of function `greet.greet`".
    Caller {
        /// What it is and of which function.
        what: String,
        /// Where the function is declared.
        location: Option<Location>,
    },
    /// The `get_<i>` accessor of interface `interface` in the `_exports` (`true`) or
    /// `_imports` table.
    Getter {
        /// `true` in the `_exports` table.
        exports: bool,
        /// The interface's IR name.
        interface: String,
    },
    /// The function table of the interface with this (IR) name, and its `_VERSION`
    /// constant.
    Table(String),
    /// The `_exports` (`true`) or `_imports` table of the world, and its `_VERSION`
    /// constant.
    WorldTable {
        /// `true` for the `_exports` table.
        exports: bool,
    },
    /// A world-wide name of the plugin-file part: entry and descriptor symbols, the
    /// `EXPORT` macro, … The text says which, e.g. `entry symbol`.
    World(&'static str),
}

/// Every file-scope identifier the header of `world` defines, in header order. A name
/// that appears twice is a collision (the header defines it only once).
pub fn identifiers(world: &World) -> Vec<Ident> {
    let names = CNames::new(world);
    let owning = Ownership::new(world);
    let checking = Checking::new(world);
    let mut out = Vec::new();
    let mut push = |name: String, by: DefinedBy| out.push(Ident { name, by });

    for id in 0..world.types.len() {
        if !defines_type(&names, world, id) {
            continue;
        }
        push(names.type_id(id), DefinedBy::Type(id));
        if matches!(world.ty(id).kind, TypeDefKind::Map { .. }) {
            push(names.map_entry(id), DefinedBy::Type(id));
        }
        let constants: Vec<&str> = match &world.ty(id).kind {
            TypeDefKind::Flags { flags } => flags.iter().map(String::as_str).collect(),
            TypeDefKind::Enum { cases } => cases.iter().map(String::as_str).collect(),
            TypeDefKind::Variant { cases } => cases.iter().map(|c| c.name.as_str()).collect(),
            _ => Vec::new(),
        };
        for (index, c) in constants.into_iter().enumerate() {
            push(
                names.case_const(id, c),
                DefinedBy::Constant { ty: id, index },
            );
        }
    }
    for id in 0..world.types.len() {
        if world.ty(id).kind == TypeDefKind::Resource {
            push(version_name(&names.vtable(id)), DefinedBy::Vtable(id));
            push(names.vtable(id), DefinedBy::Vtable(id));
        }
    }
    for i in interfaces(world) {
        push(
            version_name(&names.table(&i.name)),
            DefinedBy::Table(i.name.clone()),
        );
        push(names.table(&i.name), DefinedBy::Table(i.name.clone()));
    }
    for (table, exports) in [(names.exports(), true), (names.imports(), false)] {
        push(version_name(&table), DefinedBy::WorldTable { exports });
        push(table, DefinedBy::WorldTable { exports });
    }
    for id in 0..world.types.len() {
        if let Some(name) = helper_name(&names, &owning, world, id) {
            push(name, DefinedBy::Release(id));
        }
    }
    for id in 0..world.types.len() {
        if let Some(name) = check_name(&names, &checking, world, id) {
            push(name, DefinedBy::Check(id));
        }
    }
    // One set per slot: an interface both imported and exported has one table.
    let mut seen = HashSet::new();
    for s in slots(&names, world) {
        if !seen.insert(s.call_name()) {
            continue;
        }
        let f = s.f;
        let function = match (s.holder, f.kind) {
            (Holder::World(_), _) => format!("function `{}`", f.name),
            (_, FunctionKind::Method(r) | FunctionKind::Static(r)) => {
                format!("function `{}.{}`", type_name(world, r), f.name)
            }
            (_, FunctionKind::Constructor(r)) => {
                format!("the constructor of resource `{}`", type_name(world, r))
            }
            (_, FunctionKind::Freestanding) => format!("function `{}`", f.name),
        };
        let mut defined = vec![
            (s.has_name(), "`has_` check"),
            (s.call_name(), "checked caller"),
            (s.macro_name(), "validating trampoline macro"),
        ];
        if has_invoker(&s) {
            defined.push((s.invoke_name(), "invoker"));
        }
        for (name, what) in defined {
            push(
                name,
                DefinedBy::Caller {
                    what: format!("{what} of {function}"),
                    location: f.location.clone(),
                },
            );
        }
    }
    for g in getters(&names, world) {
        push(
            g.name,
            DefinedBy::Getter {
                exports: g.exports,
                interface: g.interface,
            },
        );
    }

    let w = WorldNames::new(&names);
    for (name, what) in [
        (w.len_macro, "world JSON length macro"),
        (w.bytes_macro, "world JSON bytes macro"),
        (w.str_macro, "world JSON string macro"),
        (
            "PP_OVERLENGTH_STRINGS_BEGIN".to_string(),
            "pragma macro around the world JSON literal",
        ),
        (
            "PP_OVERLENGTH_STRINGS_END".to_string(),
            "pragma macro around the world JSON literal",
        ),
        (names.entry(), "entry symbol"),
        (w.export_macro, "EXPORT macro"),
        (names.descriptor(), "descriptor symbol"),
        (w.blob, "descriptor blob struct"),
        (names.live_objects(), "live-objects symbol"),
        (w.live_macro, "LIVE_OBJECTS macro"),
        (w.open, "C host helper `open`"),
        (w.open_ex, "C host helper `open_ex`"),
        (w.exports_of, "C host helper `exports_of`"),
    ] {
        push(name, DefinedBy::World(what));
    }
    out
}

fn type_name(world: &World, id: TypeId) -> &str {
    world.ty(id).name.as_deref().unwrap_or("?")
}

/// A validating trampoline macro of the header (`docs/abi.md` section 11) and the slot it
/// fills: `<macro>(NAME, table.slot)` defines a function `NAME` that can be stored in
/// `slot` of a `table` (the C type of an interface table, vtable or world table). For
/// tools and tests that instantiate every trampoline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trampoline {
    /// The macro, `<PREFIX>_<...>_TRAMPOLINE`.
    pub macro_name: String,
    /// The C type of the table the slot is in.
    pub table: String,
    /// The slot's member name in `table`.
    pub slot: String,
}

/// Every trampoline macro of the header of `world`, once each, in header order.
pub fn trampolines(world: &World) -> Vec<Trampoline> {
    let names = CNames::new(world);
    let mut seen = HashSet::new();
    slots(&names, world)
        .into_iter()
        .filter(|s| seen.insert(s.macro_name()))
        .map(|s| Trampoline {
            macro_name: s.macro_name(),
            table: s.table.clone(),
            slot: s.slot.clone(),
        })
        .collect()
}
