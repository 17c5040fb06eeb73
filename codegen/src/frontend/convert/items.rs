//! The world's items and tables in the IR: imports and exports in their declared order
//! (`docs/abi.md` §5), each interface's functions with their C slot names, and the table
//! of the resources declared at world level.

use std::collections::HashMap;

use plugport::ir;
use wit_parser as wit;

use super::super::{key_string, Refusal};
use super::sites::{display_name, Site};
use super::{package_name, Converter};
use crate::names::c_ident;

impl Converter<'_> {
    /// The world items of one direction, in declaration order.
    pub(super) fn items(
        &mut self,
        items: &wit::IndexMap<wit::WorldKey, wit::WorldItem>,
        declared: &[String],
        world: &str,
        strict: bool,
        world_resources: &mut Option<ir::Interface>,
    ) -> Vec<ir::WorldItem> {
        let r = self.r;
        let mut ordered: Vec<(usize, &wit::WorldKey, &wit::WorldItem)> = Vec::new();
        for (key, item) in items {
            // Functions of world-level resources are in `world_resources`.
            if matches!(item, wit::WorldItem::Function(f) if f.kind.resource().is_some()) {
                continue;
            }
            let k = key_string(r, key);
            match declared.iter().position(|d| *d == k) {
                Some(pos) => ordered.push((pos, key, item)),
                None if !strict => {}
                None => match item {
                    // Added by wit-parser because a declared item uses its types: the
                    // world imports the interface implicitly (the component model's
                    // elaboration). Its table goes after every declared item, in the order
                    // wit-parser adds them (an interface before those that use it), so
                    // that adding such a use never moves a declared slot (docs/abi.md §5).
                    // An interface of types only has no table and gets no place.
                    wit::WorldItem::Interface { id, .. } => {
                        if !r.interfaces[*id].functions.is_empty() {
                            ordered.push((declared.len() + ordered.len(), key, item));
                        }
                    }
                    wit::WorldItem::Type { .. } => {}
                    wit::WorldItem::Function(f) => {
                        let location = self.span(f.span);
                        self.refusals.push(Refusal {
                            location,
                            message: format!(
                                "function `{}` is in world `{world}` but not declared in \
                                 it",
                                f.name
                            ),
                            help: None,
                            related: Vec::new(),
                        });
                    }
                },
            }
        }
        ordered.sort_by_key(|(pos, _, _)| *pos);

        let mut out = Vec::new();
        for (_, _, item) in ordered {
            match item {
                wit::WorldItem::Interface { id, .. } => {
                    if let Some(i) = self.interface(*id) {
                        out.push(ir::WorldItem::Interface(i));
                    }
                }
                wit::WorldItem::Function(f) => {
                    if let Some(f) = self.function(f) {
                        out.push(ir::WorldItem::Function(f));
                    }
                }
                // The table of the world-level resources takes the place of the first
                // one declared.
                wit::WorldItem::Type { id, .. } => {
                    if matches!(r.types[*id].kind, wit::TypeDefKind::Resource) && !self.is_use(*id)
                    {
                        if let Some(table) = world_resources.take() {
                            out.push(ir::WorldItem::Interface(table));
                        }
                    }
                }
            }
        }
        out
    }

    pub(super) fn interface(&mut self, id: wit::InterfaceId) -> Option<ir::Interface> {
        let r = self.r;
        let iface = &r.interfaces[id];
        let name = self.owner_name(wit::TypeOwner::Interface(id))?;
        let package = iface
            .package
            .filter(|p| *p != self.world_package)
            .map(|p| package_name(&r.packages[p].name));

        let mut declared: Vec<wit::TypeId> = iface
            .types
            .values()
            .copied()
            .filter(|t| !self.is_use(*t))
            .collect();
        declared.sort_by_key(|t| r.types[*t].span.start());
        let types: Vec<ir::TypeId> = declared
            .into_iter()
            .filter_map(|t| self.named_type(t))
            .collect();

        let functions = self.table_functions(iface.functions.values(), &name);
        Some(ir::Interface {
            name,
            package,
            types,
            functions,
        })
    }

    /// The IR functions of one table (an interface, or the world's resources) in the
    /// given order, with a refusal for each slot name taken twice.
    pub(super) fn table_functions<'f>(
        &mut self,
        funcs: impl IntoIterator<Item = &'f wit::Function>,
        name: &str,
    ) -> Vec<ir::Function> {
        let mut functions = Vec::new();
        let mut slots: HashMap<String, String> = HashMap::new();
        for f in funcs {
            let Some(func) = self.function(f) else {
                continue;
            };
            if !matches!(func.kind, ir::FunctionKind::Method(_)) {
                let slot = self.slot_name(&func);
                if let Some(prev) = slots.insert(slot.clone(), f.name.clone()) {
                    let site = Site {
                        desc: format!("function `{}`", display_name(f)),
                        location: self.span(f.span),
                        start: None,
                    };
                    self.refuse(
                        &site,
                        format!(
                            "has the C slot name `{slot}` of interface `{name}`, which \
                             `{prev}` already has (docs/abi.md §5)"
                        ),
                        Some(String::from("rename one of the two functions")),
                    );
                }
            }
            functions.push(func);
        }
        functions
    }

    /// The resources declared at world level (always imports: the component model makes
    /// every type of a world an import), as one IR interface named after the world: the
    /// resources in declaration order, their constructors, methods and statics in
    /// declaration order (`docs/abi.md` §5, "Resources declared at world level").
    /// `None` when the world declares none.
    pub(super) fn world_resources(&mut self, world: &wit::World) -> Option<ir::Interface> {
        let r = self.r;
        let mut resources: Vec<wit::TypeId> = world
            .imports
            .values()
            .filter_map(|item| match item {
                wit::WorldItem::Type { id, .. } => Some(*id),
                _ => None,
            })
            .filter(|id| {
                !self.is_use(*id) && matches!(r.types[*id].kind, wit::TypeDefKind::Resource)
            })
            .collect();
        if resources.is_empty() {
            return None;
        }
        resources.sort_by_key(|id| r.types[*id].span.start());
        self.world_table = true;
        let types: Vec<ir::TypeId> = resources
            .iter()
            .filter_map(|t| self.named_type(*t))
            .collect();
        let mut funcs: Vec<&wit::Function> = world
            .imports
            .values()
            .filter_map(|item| match item {
                wit::WorldItem::Function(f) => Some(f),
                _ => None,
            })
            .filter(|f| f.kind.resource().is_some_and(|t| resources.contains(&t)))
            .collect();
        // A stable sort: functions without a known span keep wit-parser's order.
        funcs.sort_by_key(|f| f.span.start());
        let name = self.world_name.clone();
        let functions = self.table_functions(funcs, &name);
        Some(ir::Interface {
            name,
            package: None,
            types,
            functions,
        })
    }

    /// The slot name of a non-method function (docs/abi.md §5).
    pub(super) fn slot_name(&self, f: &ir::Function) -> String {
        let resource = |r: ir::TypeId| self.types[r].name.clone().unwrap_or_default();
        match f.kind {
            ir::FunctionKind::Constructor(r) => c_ident(&format!("{}-new", resource(r))),
            ir::FunctionKind::Static(r) => c_ident(&format!("{}-{}", resource(r), f.name)),
            _ => c_ident(&f.name),
        }
    }
}
