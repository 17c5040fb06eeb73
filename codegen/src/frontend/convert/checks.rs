//! Refusals that look at the whole converted world rather than one construct: fixed-length
//! lists whose value passes the loader's size bound, `borrow` handles where only `own`
//! may go, and two interfaces (or items) whose C names would collide.

use std::collections::{HashMap, HashSet};

use plugport::ir;
use wit_parser as wit;

use super::super::diagnostic::{Places, SourceSpan};
use super::super::Refusal;
use super::Converter;

impl Converter<'_> {
    /// The resource of a `borrow` somewhere inside `ty`, if any.
    pub(super) fn find_borrow(
        &self,
        ty: &ir::Type,
        seen: &mut HashSet<ir::TypeId>,
    ) -> Option<ir::TypeId> {
        let ir::Type::Id(id) = ty else {
            return None;
        };
        if !seen.insert(*id) {
            return None;
        }
        let mut inner: Vec<ir::Type> = Vec::new();
        match &self.types[*id].kind {
            ir::TypeDefKind::Borrow { resource } => return Some(*resource),
            ir::TypeDefKind::Record { fields } => inner.extend(fields.iter().map(|f| f.ty)),
            ir::TypeDefKind::Tuple { types } => inner.extend(types.iter().copied()),
            ir::TypeDefKind::Variant { cases } => inner.extend(cases.iter().filter_map(|c| c.ty)),
            ir::TypeDefKind::Option { ty }
            | ir::TypeDefKind::List { ty }
            | ir::TypeDefKind::FixedList { ty, .. }
            | ir::TypeDefKind::Alias { ty } => inner.push(*ty),
            ir::TypeDefKind::Map { key, value } => inner.extend([*key, *value]),
            ir::TypeDefKind::Result { ok, err } => inner.extend(ok.iter().chain(err.iter())),
            ir::TypeDefKind::Flags { .. }
            | ir::TypeDefKind::Enum { .. }
            | ir::TypeDefKind::Resource
            | ir::TypeDefKind::Own { .. } => {}
        }
        inner.iter().find_map(|t| self.find_borrow(t, seen))
    }

    /// Two different interfaces with the same name would get the same C names.
    pub(super) fn check_duplicate_interfaces(
        &mut self,
        imports: &[ir::WorldItem],
        exports: &[ir::WorldItem],
        world: &str,
        location: Option<SourceSpan>,
    ) {
        for (list, direction) in [(imports, "imports"), (exports, "exports")] {
            let mut seen = HashSet::new();
            for item in list {
                if !seen.insert(item.name()) {
                    if self.world_table && item.name() == world {
                        // Reported below, with the reason.
                        continue;
                    }
                    self.refusals.push(Refusal {
                        location: location.clone(),
                        message: format!(
                            "world `{world}` {direction} two items named `{}`; their C \
                             names would collide (docs/abi.md §4)",
                            item.name()
                        ),
                        help: Some(String::from("rename one of them")),
                        related: Vec::new(),
                    });
                }
            }
        }
        let all: HashSet<wit::InterfaceId> = self
            .iface_names
            .keys()
            .chain(self.type_owners.iter())
            .copied()
            .collect();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for id in all {
            if let Some(name) = self.owner_name(wit::TypeOwner::Interface(id)) {
                *by_name.entry(name).or_default() += 1;
            }
        }
        if self.world_table {
            if let Some(count) = by_name.get(world) {
                self.refusals.push(Refusal {
                    location: location.clone(),
                    message: format!(
                        "world `{world}` declares resources at world level, whose table is \
                         named after the world, and uses {} interface named `{world}`; their \
                         C names would collide (docs/abi.md §5, \"Resources declared at \
                         world level\")",
                        if *count > 1 { "more than one" } else { "an" }
                    ),
                    help: Some(String::from(
                        "rename the interface, or declare the resources in an interface",
                    )),
                    related: Vec::new(),
                });
                by_name.remove(world);
            }
        }
        let mut dups: Vec<String> = by_name
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|(n, _)| n)
            .collect();
        dups.sort();
        for name in dups {
            self.refusals.push(Refusal {
                location: location.clone(),
                message: format!(
                    "world `{world}` uses two different interfaces named `{name}`; their C \
                     names would collide (docs/abi.md §4)"
                ),
                help: Some(String::from("rename one of the interfaces")),
                related: Vec::new(),
            });
        }
    }
}

/// A refusal for each fixed-length list whose C value is larger than
/// [`plugport::descriptor::MAX_VALUE_SIZE`] while its element is not (the list that makes
/// the value too large, not every type that contains it).
pub(super) fn oversized_fixed_lists(world: &ir::World, places: &Places) -> Vec<Refusal> {
    use plugport::descriptor::MAX_VALUE_SIZE;
    let layouts = plugport::layout::Layouts::new(world);
    let mut out = Vec::new();
    for (id, d) in world.types.iter().enumerate() {
        let ir::TypeDefKind::FixedList { ty, len } = &d.kind else {
            continue;
        };
        let size = layouts.of(&ir::Type::Id(id)).size;
        if size <= MAX_VALUE_SIZE || layouts.of(ty).size > MAX_VALUE_SIZE {
            continue;
        }
        let text = plugport::compat::render_type(world, ir::Type::Id(id));
        out.push(Refusal {
            location: places.types.get(id).cloned().flatten(),
            message: format!(
                "the fixed-length list `{text}` is {size} bytes in C, which plugport does \
                 not support: a value travels inline and is at most {MAX_VALUE_SIZE} bytes \
                 (docs/abi.md §3)"
            ),
            help: Some(format!(
                "use a `list<…>` for the {len} elements (its elements are not inline)"
            )),
            related: Vec::new(),
        });
    }
    out
}
