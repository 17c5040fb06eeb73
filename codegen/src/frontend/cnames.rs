//! Refuses worlds whose items would get one C name (`docs/abi.md` §4).
//!
//! The C header defines every file-scope name once (each definition is guarded by
//! `PLUGPORT_DEF_<name>`), so two items with one C name would not fail to compile: the
//! second would silently be the first, and the ABI would be wrong. Examples: a world-level
//! `record list-u8` and the anonymous `list<u8>` (both `<prefix>_list_u8`), enum `a-b`
//! case `c` and enum `a` case `b-c` (both `<PREFIX>_A_B_C`). The names come from
//! [`crate::c::idents`], i.e. from the functions the header is generated with.
//!
//! Also refused: slots named like the members every table has (`header`; `drop` in a
//! vtable), which would be declared twice in one struct.
//!
//! Not refused: two uses of one anonymous structure (interned to one IR type), and
//! `own<R>` / `borrow<R>`, which name the handle of `R` on purpose.

use std::collections::{HashMap, HashSet};

use plugport::ir::{FunctionKind, Type, TypeDefKind, TypeId, World, WorldItem};

use super::diagnostic::{Places, Related, SourceSpan};
use super::Refusal;
use crate::c::idents::{identifiers, DefinedBy};
use plugport::cnames::{c_ident, CNames};

/// Every C name collision of `world`, one refusal per name, in header order. `places`
/// gives the WIT location of its items.
pub(crate) fn check(world: &World, places: &Places) -> Vec<Refusal> {
    let idents = identifiers(world);
    let mut order: Vec<&str> = Vec::new();
    let mut by_name: HashMap<&str, Vec<&DefinedBy>> = HashMap::new();
    for i in &idents {
        let entry = by_name.entry(i.name.as_str()).or_default();
        if entry.is_empty() {
            order.push(&i.name);
        }
        entry.push(&i.by);
    }
    let d = Describe { world, places };
    let mut refusals = Vec::new();
    for name in order {
        let defs = &by_name[name];
        if defs.len() < 2 {
            continue;
        }
        let items: Vec<(String, Option<SourceSpan>)> = defs.iter().map(|b| d.ident(b)).collect();
        refusals.push(collision(&items, name));
    }
    refusals.extend(reserved_slots(world, &d));
    refusals
}

/// One refusal for items that share a C name, naming every item and its location, and
/// located at the item declared last (the one that introduced the collision); the others
/// are its related places.
fn collision(items: &[(String, Option<SourceSpan>)], name: &str) -> Refusal {
    let parts: Vec<String> = items
        .iter()
        .map(|(desc, loc)| match loc {
            Some(l) => format!("{desc} ({}:{})", l.file, l.line),
            None => desc.clone(),
        })
        .collect();
    let list = match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    };
    let both = if items.len() == 2 { "both" } else { "all" };
    let location = items
        .iter()
        .filter_map(|(_, l)| l.as_ref())
        .max_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)))
        .cloned();
    let mut related = Vec::new();
    for (what, span) in items {
        if let Some(span) = span.as_ref().filter(|s| Some(*s) != location.as_ref()) {
            if !related.iter().any(|r: &Related| r.span == *span) {
                related.push(Related {
                    span: span.clone(),
                    what: what.clone(),
                });
            }
        }
    }
    Refusal {
        location,
        message: format!(
            "{list} {both} have the C name `{name}`, which the header can define only once \
             (docs/abi.md §4)"
        ),
        help: Some(String::from("rename one of them")),
        related,
    }
}

/// Slots named `header` (every table) or `drop` (vtables): the table struct already has
/// a member of that name (docs/abi.md §5).
fn reserved_slots(world: &World, d: &Describe) -> Vec<Refusal> {
    let names = CNames::new(world);
    let mut out = Vec::new();
    let mut refuse = |slot: &str, desc: String, loc: Option<SourceSpan>, table: String| {
        let member = if slot == "drop" {
            "the destructor every vtable starts with"
        } else {
            "the `pp_table_header` every table starts with"
        };
        out.push(Refusal {
            location: loc,
            message: format!(
                "{desc} has the C slot name `{slot}`, which {table} reserves for {member} \
                 (docs/abi.md §5)"
            ),
            help: Some(String::from("rename it")),
            related: Vec::new(),
        });
    };
    for (items, direction) in [(&world.exports, "exports"), (&world.imports, "imports")] {
        let table = format!("the {direction} table of world `{}`", world.name);
        for item in items {
            let (slot, desc, loc) = match item {
                WorldItem::Interface(i) => (
                    c_ident(&i.name),
                    format!("interface `{}`", i.name),
                    d.places.of_interface(&i.name).cloned(),
                ),
                WorldItem::Function(f) => (
                    names.slot(&f.name, f.kind),
                    format!("function `{}`", f.name),
                    d.places.of_function(f.location.as_ref()).cloned(),
                ),
            };
            if slot == "header" {
                refuse(&slot, desc, loc, table.clone());
            }
        }
    }
    let mut seen = HashSet::new();
    for item in world.imports.iter().chain(&world.exports) {
        let WorldItem::Interface(i) = item else {
            continue;
        };
        if !seen.insert(i.name.as_str()) {
            continue;
        }
        for f in &i.functions {
            let slot = names.slot(&f.name, f.kind);
            let (reserved, table): (&[&str], String) = match f.kind {
                FunctionKind::Method(r) => (
                    &["header", "drop"],
                    format!("the vtable of resource `{}`", d.type_name(r)),
                ),
                _ => (&["header"], format!("the table of interface `{}`", i.name)),
            };
            if reserved.contains(&slot.as_str()) {
                let desc = match f.kind {
                    FunctionKind::Method(r) => format!("method `{}.{}`", d.type_name(r), f.name),
                    FunctionKind::Static(r) => format!("function `{}.{}`", d.type_name(r), f.name),
                    FunctionKind::Constructor(r) => {
                        format!("the constructor of resource `{}`", d.type_name(r))
                    }
                    FunctionKind::Freestanding => format!("function `{}`", f.name),
                };
                refuse(
                    &slot,
                    desc,
                    d.places.of_function(f.location.as_ref()).cloned(),
                    table,
                );
            }
        }
    }
    out
}

/// Descriptions of what defines a C name, for messages.
struct Describe<'a> {
    world: &'a World,
    places: &'a Places,
}

impl Describe<'_> {
    /// What defines a C name, and where it is declared.
    fn ident(&self, by: &DefinedBy) -> (String, Option<SourceSpan>) {
        let w = self.world;
        let p = self.places;
        let type_loc = |id: TypeId| p.of_type(id).cloned();
        match by {
            DefinedBy::Type(id) => (self.type_desc(*id), type_loc(*id)),
            DefinedBy::Vtable(id) => (
                format!("the vtable of resource `{}`", self.type_name(*id)),
                type_loc(*id),
            ),
            DefinedBy::Constant { ty, index } => {
                let (what, member) = match &w.ty(*ty).kind {
                    TypeDefKind::Flags { flags } => ("flag", flags[*index].as_str()),
                    TypeDefKind::Enum { cases } => ("case", cases[*index].as_str()),
                    TypeDefKind::Variant { cases } => ("case", cases[*index].name.as_str()),
                    _ => ("constant", "?"),
                };
                (
                    format!("{what} `{member}` of {}", self.type_desc(*ty)),
                    type_loc(*ty),
                )
            }
            DefinedBy::Release(id) => (
                format!("the release helper of {}", self.type_desc(*id)),
                type_loc(*id),
            ),
            DefinedBy::Check(id) => (
                format!("the validator of {}", self.type_desc(*id)),
                type_loc(*id),
            ),
            DefinedBy::Caller { what, location } => (
                format!("the {what}"),
                p.of_function(location.as_ref()).cloned(),
            ),
            DefinedBy::Getter { exports, interface } => (
                format!(
                    "the accessor of interface `{interface}` in the {} table of world `{}`",
                    if *exports { "exports" } else { "imports" },
                    w.name
                ),
                p.of_interface(interface).cloned(),
            ),
            DefinedBy::Table(name) => (
                format!("the table of interface `{name}`"),
                p.of_interface(name).cloned(),
            ),
            DefinedBy::WorldTable { exports } => (
                format!(
                    "the {} table of world `{}`",
                    if *exports { "exports" } else { "imports" },
                    w.name
                ),
                p.of_world().cloned(),
            ),
            DefinedBy::World(what) => (
                format!("the {what} of world `{}`", w.name),
                p.of_world().cloned(),
            ),
        }
    }

    /// `record `point` in interface `types``, `resource `blob``, `the anonymous type
    /// `list<u8>``.
    fn type_desc(&self, id: TypeId) -> String {
        let def = self.world.ty(id);
        let Some(name) = &def.name else {
            return format!("the anonymous type `{}`", self.wit_text(&Type::Id(id)));
        };
        let kind = match &def.kind {
            TypeDefKind::Record { .. } => "record",
            TypeDefKind::Flags { .. } => "flags",
            TypeDefKind::Enum { .. } => "enum",
            TypeDefKind::Variant { .. } => "variant",
            TypeDefKind::Resource => "resource",
            _ => "type",
        };
        match &def.interface {
            Some(i) => format!("{kind} `{name}` in interface `{i}`"),
            None => format!("{kind} `{name}`"),
        }
    }

    fn type_name(&self, id: TypeId) -> String {
        self.world.ty(id).name.clone().unwrap_or_else(|| "?".into())
    }

    /// A type use as WIT text: `list<option<string>>`, `point`, `own<blob>`.
    fn wit_text(&self, ty: &Type) -> String {
        let id = match ty {
            Type::Bool => return "bool".into(),
            Type::S8 => return "s8".into(),
            Type::S16 => return "s16".into(),
            Type::S32 => return "s32".into(),
            Type::S64 => return "s64".into(),
            Type::U8 => return "u8".into(),
            Type::U16 => return "u16".into(),
            Type::U32 => return "u32".into(),
            Type::U64 => return "u64".into(),
            Type::F32 => return "f32".into(),
            Type::F64 => return "f64".into(),
            Type::Char => return "char".into(),
            Type::String => return "string".into(),
            Type::Id(id) => *id,
        };
        let def = self.world.ty(id);
        if let Some(name) = &def.name {
            return name.clone();
        }
        let t = |t: &Type| self.wit_text(t);
        match &def.kind {
            TypeDefKind::List { ty } => format!("list<{}>", t(ty)),
            TypeDefKind::Option { ty } => format!("option<{}>", t(ty)),
            TypeDefKind::Result { ok, err } => match (ok, err) {
                (None, None) => "result".into(),
                (Some(ok), None) => format!("result<{}>", t(ok)),
                (None, Some(err)) => format!("result<_, {}>", t(err)),
                (Some(ok), Some(err)) => format!("result<{}, {}>", t(ok), t(err)),
            },
            TypeDefKind::Tuple { types } => {
                let parts: Vec<String> = types.iter().map(t).collect();
                format!("tuple<{}>", parts.join(", "))
            }
            TypeDefKind::Own { resource } => format!("own<{}>", self.type_name(*resource)),
            TypeDefKind::Borrow { resource } => {
                format!("borrow<{}>", self.type_name(*resource))
            }
            TypeDefKind::Alias { ty } => t(ty),
            _ => format!("type {id}"),
        }
    }
}
