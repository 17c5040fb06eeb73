//! Resolved wit-parser world → plugport IR, collecting every refusal.
//!
//! This module converts types and functions and holds the [`convert`] walk; `items`
//! places the world's items and tables, `sites` keeps where things are declared and how
//! refusals name them, and `checks` makes the refusals that need the whole world.

mod checks;
mod items;
mod sites;

use std::collections::{HashMap, HashSet};

use plugport::ir;
use wit_parser as wit;
use wit_parser::Resolve;

use checks::oversized_fixed_lists;
use sites::{describe_kind, display_name, item_starts, kind_text, wit_type_text, Site, TYPES_REF};

use super::diagnostic::{Places, SourceSpan, Spans};
use super::{cnames, Declared, Refusal};

struct Converter<'a> {
    r: &'a Resolve,
    types: Vec<ir::TypeDef>,
    /// wit-parser named type (after resolving `use`s) → IR id; `None` once refused.
    named: HashMap<wit::TypeId, Option<ir::TypeId>>,
    /// Canonical JSON of an anonymous kind → IR id.
    anon: HashMap<String, ir::TypeId>,
    /// IR names of the interfaces that are world items (inline ones have no WIT name).
    iface_names: HashMap<wit::InterfaceId, String>,
    /// The package of the world: interfaces of other packages record theirs.
    world_package: wit::PackageId,
    /// The world's name: the IR interface that holds its world-level resources
    /// (`docs/abi.md` §5, "Resources declared at world level") is named after it.
    world_name: String,
    /// True when the world declares resources at world level, whose table is named
    /// after the world.
    world_table: bool,
    /// Interfaces that declare a type of the world (world items or not).
    type_owners: HashSet<wit::InterfaceId>,
    refusals: Vec<Refusal>,
    /// Resolves wit-parser spans to file, line and column.
    spans: Spans<'a>,
    /// Where each IR type is declared (parallel to `types`; anonymous types: their first
    /// use), for the C name check.
    type_spans: Vec<Option<SourceSpan>>,
    /// The name spans of functions by their IR location (file, line), the first on a line.
    function_spans: HashMap<(String, u32), SourceSpan>,
    /// The starts of every declaration's name span (types, functions, interfaces,
    /// worlds), sorted: a declaration ends where the next one starts.
    item_starts: Vec<u32>,
    /// The span of the anonymous type being converted (`stream<u8>` in `f: func() ->
    /// stream<u8>`): where the caret of a refusal of it goes, when it lies inside the
    /// refused item's declaration.
    type_at: Option<wit::Span>,
}

/// Converts world `world_id` of package `pkg_id` (with where its items are declared), or
/// returns every refusal.
pub(crate) fn convert(
    r: &Resolve,
    pkg_id: wit::PackageId,
    world_id: wit::WorldId,
    declared: Declared,
) -> Result<(ir::World, Places), Vec<Refusal>> {
    let world = &r.worlds[world_id];
    let mut cx = Converter {
        r,
        types: Vec::new(),
        named: HashMap::new(),
        anon: HashMap::new(),
        iface_names: HashMap::new(),
        world_package: pkg_id,
        world_name: world.name.clone(),
        world_table: false,
        type_owners: HashSet::new(),
        refusals: Vec::new(),
        spans: Spans::new(&r.source_map),
        type_spans: Vec::new(),
        function_spans: HashMap::new(),
        item_starts: item_starts(r),
        type_at: None,
    };
    let world_loc = cx.span(world.span);

    for include in &declared.foreign_includes {
        cx.refusals.push(Refusal {
            location: include.clone(),
            message: format!(
                "world `{}` includes a world of another package, which plugport cannot \
                 expand: the slot order of an `include` comes from the included world's \
                 source (docs/abi.md §5)",
                world.name
            ),
            help: Some(String::from(
                "include a world of this package, or list the items explicitly",
            )),
            related: Vec::new(),
        });
    }

    // Names of interface world items (inline interfaces are named by their item).
    for (key, item) in world.imports.iter().chain(world.exports.iter()) {
        if let wit::WorldItem::Interface { id, .. } = item {
            let name = match (&r.interfaces[*id].name, key) {
                (Some(n), _) => n.clone(),
                (None, wit::WorldKey::Name(n)) => n.clone(),
                (None, wit::WorldKey::Interface(_)) => String::from("interface"),
            };
            cx.iface_names.insert(*id, name);
        }
    }

    cx.qualify_same_named_interfaces();

    // World-level types, in declaration order.
    let mut world_types: Vec<wit::TypeId> = world
        .imports
        .values()
        .filter_map(|item| match item {
            wit::WorldItem::Type { id, .. } => Some(*id),
            _ => None,
        })
        .filter(|id| !cx.is_use(*id))
        .collect();
    world_types.sort_by_key(|id| r.types[*id].span.start());
    for id in world_types {
        cx.named_type(id);
    }
    // Resources declared at world level: one imported table named after the world
    // (`docs/abi.md` §5, "Resources declared at world level").
    let mut world_resources = cx.world_resources(world);

    // With a refused foreign `include`, undeclared items are expected: do not report
    // each of them again.
    let strict = declared.foreign_includes.is_empty();
    let mut imports = cx.items(
        &world.imports,
        &declared.imports,
        &world.name,
        strict,
        &mut world_resources,
    );
    // A world-level resource whose declaration was not found among the declared items
    // (only possible with a refused foreign `include`): its table still exists, after
    // every import, so that no function refers to a resource without a table.
    if let Some(table) = world_resources.take() {
        imports.push(ir::WorldItem::Interface(table));
    }
    let exports = cx.items(
        &world.exports,
        &declared.exports,
        &world.name,
        strict,
        &mut None,
    );
    let before = cx.refusals.len();
    cx.check_duplicate_interfaces(&imports, &exports, &world.name, world_loc.clone());
    let duplicate_interfaces = cx.refusals.len() > before;

    let out = ir::World {
        package: package_name(&r.packages[pkg_id].name),
        name: world.name.clone(),
        types: std::mem::take(&mut cx.types),
        imports,
        exports,
    };
    let places = Places {
        types: std::mem::take(&mut cx.type_spans),
        functions: std::mem::take(&mut cx.function_spans),
        interfaces: cx
            .iface_names
            .iter()
            .filter_map(|(id, name)| cx.span(r.interfaces[*id].span).map(|l| (name.clone(), l)))
            .collect(),
        world: world_loc,
    };
    // Fixed-length lists travel inline: refuse one whose C value would pass the bound the
    // loader checks (`plugport::descriptor::MAX_VALUE_SIZE`), at the list itself.
    if cx.refusals.is_empty() {
        cx.refusals.extend(oversized_fixed_lists(&out, &places));
    }
    // Two interfaces with one name were just refused; their C names collide too.
    if !duplicate_interfaces {
        let refusals = cnames::check(&out, &places);
        cx.refusals.extend(refusals);
    }
    if !cx.refusals.is_empty() {
        return Err(cx.refusals);
    }
    Ok((out, places))
}

fn package_name(p: &wit::PackageName) -> ir::PackageName {
    ir::PackageName {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        version: p.version.as_ref().map(|v| v.to_string()),
    }
}

impl<'a> Converter<'a> {
    /// `true` when `id` is the type a `use` created: it points at a type of another
    /// interface or world. (`type a = b` can only name a type in scope, which has the
    /// same owner as `a`: a local definition or a local `use`.)
    fn is_use(&self, id: wit::TypeId) -> bool {
        let td = &self.r.types[id];
        match td.kind {
            wit::TypeDefKind::Type(wit::Type::Id(t)) => {
                td.name.is_some() && self.r.types[t].owner != td.owner
            }
            _ => false,
        }
    }

    /// Follows `use`s to the type of the defining interface.
    fn through_uses(&self, mut id: wit::TypeId) -> wit::TypeId {
        while self.is_use(id) {
            match self.r.types[id].kind {
                wit::TypeDefKind::Type(wit::Type::Id(t)) => id = t,
                _ => unreachable!(),
            }
        }
        id
    }

    /// Follows `use`s and aliases to a resource, if `id` names one.
    fn resource_of(&self, mut id: wit::TypeId) -> Option<wit::TypeId> {
        loop {
            match self.r.types[id].kind {
                wit::TypeDefKind::Resource => return Some(id),
                wit::TypeDefKind::Type(wit::Type::Id(t)) => id = t,
                _ => return None,
            }
        }
    }

    /// Two interfaces of one name in a world (`import a:x/store; import b:y/store;`, or
    /// two versions of one package): each one that is not of the world's own package is
    /// named `<namespace>-<package>-<name>`, and `<namespace>-<package>-<compat line>-<name>`
    /// when that is still shared (two versions of one package). Every C, Rust, C++ and Go
    /// name of the interface derives from that name (`docs/abi.md` §4). Interfaces of
    /// unique names keep their plain name.
    fn qualify_same_named_interfaces(&mut self) {
        let r = self.r;
        let mut by_name: HashMap<String, Vec<wit::InterfaceId>> = HashMap::new();
        for (id, name) in &self.iface_names {
            by_name.entry(name.clone()).or_default().push(*id);
        }
        for (name, mut ids) in by_name {
            if ids.len() < 2 {
                continue;
            }
            ids.sort_by_key(|id| id.index());
            let foreign: Vec<(wit::InterfaceId, &wit::PackageName)> = ids
                .iter()
                .filter_map(|id| {
                    let p = r.interfaces[*id].package?;
                    (p != self.world_package).then(|| (*id, &r.packages[p].name))
                })
                .collect();
            let short = |p: &wit::PackageName| format!("{}-{}-{name}", p.namespace, p.name);
            for (id, p) in &foreign {
                let shared = foreign.iter().filter(|(_, q)| short(q) == short(p)).count() > 1;
                let qualified = if shared {
                    let line = package_name(p).compat_line().replace('_', "-");
                    format!("{}-{}-{line}-{name}", p.namespace, p.name)
                } else {
                    short(p)
                };
                self.iface_names.insert(*id, qualified);
            }
        }
    }

    fn owner_name(&self, owner: wit::TypeOwner) -> Option<String> {
        match owner {
            wit::TypeOwner::Interface(i) => Some(
                self.iface_names
                    .get(&i)
                    .cloned()
                    .or_else(|| self.r.interfaces[i].name.clone())
                    .unwrap_or_else(|| String::from("interface")),
            ),
            wit::TypeOwner::World(_) | wit::TypeOwner::None => None,
        }
    }

    /// Adds an anonymous type once per distinct structure and returns its id.
    fn intern(&mut self, kind: ir::TypeDefKind, location: Option<SourceSpan>) -> ir::TypeId {
        let key = serde_json::to_string(&kind).expect("IR serialises");
        if let Some(id) = self.anon.get(&key) {
            return *id;
        }
        let id = self.types.len();
        self.types.push(ir::TypeDef {
            name: None,
            interface: None,
            kind,
            location: location.as_ref().map(SourceSpan::location),
        });
        self.type_spans.push(location);
        self.anon.insert(key, id);
        id
    }

    /// A type use. `None` when it (or something inside it) was refused.
    fn ty(&mut self, t: &wit::Type, site: &Site) -> Option<ir::Type> {
        Some(match t {
            wit::Type::Bool => ir::Type::Bool,
            wit::Type::U8 => ir::Type::U8,
            wit::Type::U16 => ir::Type::U16,
            wit::Type::U32 => ir::Type::U32,
            wit::Type::U64 => ir::Type::U64,
            wit::Type::S8 => ir::Type::S8,
            wit::Type::S16 => ir::Type::S16,
            wit::Type::S32 => ir::Type::S32,
            wit::Type::S64 => ir::Type::S64,
            wit::Type::F32 => ir::Type::F32,
            wit::Type::F64 => ir::Type::F64,
            wit::Type::Char => ir::Type::Char,
            wit::Type::String => ir::Type::String,
            wit::Type::ErrorContext => {
                self.refuse(
                    site,
                    format!("uses `error-context`, {TYPES_REF}"),
                    Some(String::from("report errors as a `result<T, E>` with a `string` or an enum or variant as `E`")),
                );
                return None;
            }
            wit::Type::Id(id) => return self.type_id(*id, site),
        })
    }

    fn type_id(&mut self, id: wit::TypeId, site: &Site) -> Option<ir::Type> {
        let id = self.through_uses(id);
        let td = &self.r.types[id];
        if matches!(td.kind, wit::TypeDefKind::Resource) {
            // A bare resource name in a type position is `own<R>`.
            let resource = self.named_type(id)?;
            let location = self.span(td.span);
            return Some(ir::Type::Id(
                self.intern(ir::TypeDefKind::Own { resource }, location),
            ));
        }
        if td.name.is_some() {
            return self.named_type(id).map(ir::Type::Id);
        }
        if let wit::TypeDefKind::Type(t) = &td.kind {
            return self.ty(t, site);
        }
        let location = self.span(td.span);
        let outer = self.type_at.replace(td.span);
        let kind = self.kind(&td.kind.clone(), site, None);
        self.type_at = outer;
        Some(ir::Type::Id(self.intern(kind?, location)))
    }

    /// A named type definition (record, enum, resource, alias ...), converted once.
    fn named_type(&mut self, id: wit::TypeId) -> Option<ir::TypeId> {
        let id = self.through_uses(id);
        if let Some(done) = self.named.get(&id) {
            return *done;
        }
        // The anonymous type that uses this one (`list<point>`) is not part of its
        // declaration: refusals inside it point into the declaration or at its name.
        let outer = self.type_at.take();
        let result = self.convert_named_type(id);
        self.type_at = outer;
        result
    }

    /// [`Converter::named_type`] of a type not converted yet.
    fn convert_named_type(&mut self, id: wit::TypeId) -> Option<ir::TypeId> {
        let td = &self.r.types[id];
        let name = td.name.clone().expect("named type");
        let location = self.span(td.span);
        let site = Site {
            desc: format!("{} `{name}`", describe_kind(&td.kind)),
            location: location.clone(),
            start: Some(td.span.start()).filter(|_| td.span.is_known()),
        };
        let kind = match &td.kind {
            wit::TypeDefKind::Resource => Some(ir::TypeDefKind::Resource),
            // `type a = b;`
            wit::TypeDefKind::Type(t) => self.ty(t, &site).map(|ty| ir::TypeDefKind::Alias { ty }),
            // `type a = list<b>;` and friends: the structure is interned on its own.
            k @ (wit::TypeDefKind::List(_)
            | wit::TypeDefKind::Option(_)
            | wit::TypeDefKind::Result(_)
            | wit::TypeDefKind::Tuple(_)
            | wit::TypeDefKind::Handle(_)
            | wit::TypeDefKind::Map(..)
            | wit::TypeDefKind::FixedLengthList(..)
            | wit::TypeDefKind::Future(_)
            | wit::TypeDefKind::Stream(_)) => {
                let site = Site {
                    desc: format!("type `{name}`"),
                    location: location.clone(),
                    start: site.start,
                };
                self.kind(&k.clone(), &site, None)
                    .map(|kind| ir::TypeDefKind::Alias {
                        ty: ir::Type::Id(self.intern(kind, location.clone())),
                    })
            }
            k => self.kind(&k.clone(), &site, Some(&name)),
        };
        if let wit::TypeOwner::Interface(i) = td.owner {
            self.type_owners.insert(i);
        }
        let result = kind.map(|kind| {
            let ir_id = self.types.len();
            self.types.push(ir::TypeDef {
                name: Some(name),
                interface: match (td.owner, &kind) {
                    // A world-level resource belongs to the world's resource table.
                    (wit::TypeOwner::World(_), ir::TypeDefKind::Resource) => {
                        Some(self.world_name.clone())
                    }
                    _ => self.owner_name(td.owner),
                },
                kind,
                location: location.as_ref().map(SourceSpan::location),
            });
            self.type_spans.push(location);
            ir_id
        });
        self.named.insert(id, result);
        result
    }

    /// The IR kind of a wit-parser kind; `named` is the type's name for record, flags,
    /// enum and variant definitions (used in refusal messages of their members).
    /// Every member is converted even after a failure, so all problems are reported.
    fn kind(
        &mut self,
        kind: &wit::TypeDefKind,
        site: &Site,
        named: Option<&str>,
    ) -> Option<ir::TypeDefKind> {
        let name = named.unwrap_or("?");
        match kind {
            wit::TypeDefKind::Record(rec) => {
                if rec.fields.is_empty() {
                    self.refuse(
                        site,
                        format!("is an empty record, {TYPES_REF}"),
                        Some(String::from(
                            "add a field, or leave the parameter or result out",
                        )),
                    );
                    return None;
                }
                let fields: Vec<Option<ir::Field>> = rec
                    .fields
                    .iter()
                    .map(|f| {
                        let s = Site {
                            desc: format!("field `{}` of record `{name}`", f.name),
                            location: site.location.clone(),
                            start: site.start,
                        };
                        self.ty(&f.ty, &s).map(|ty| ir::Field {
                            name: f.name.clone(),
                            ty,
                        })
                    })
                    .collect();
                let fields = fields.into_iter().collect::<Option<Vec<_>>>()?;
                Some(ir::TypeDefKind::Record { fields })
            }
            wit::TypeDefKind::Flags(flags) => {
                let n = flags.flags.len();
                if n == 0 {
                    self.refuse(
                        site,
                        format!("has no flags, {TYPES_REF}"),
                        Some(String::from("add a flag, or remove the type")),
                    );
                    return None;
                }
                if n > 64 {
                    self.refuse(
                        site,
                        format!(
                            "has {n} flags; plugport ABI v1 supports at most 64 \
                             (docs/abi.md §3)"
                        ),
                        Some(String::from(
                            "split the flags into two `flags` types of at most 64 each",
                        )),
                    );
                    return None;
                }
                Some(ir::TypeDefKind::Flags {
                    flags: flags.flags.iter().map(|f| f.name.clone()).collect(),
                })
            }
            wit::TypeDefKind::Enum(e) => {
                if e.cases.is_empty() {
                    self.refuse(
                        site,
                        format!("has no cases, {TYPES_REF}"),
                        Some(String::from("add a case, or remove the type")),
                    );
                    return None;
                }
                Some(ir::TypeDefKind::Enum {
                    cases: e.cases.iter().map(|c| c.name.clone()).collect(),
                })
            }
            wit::TypeDefKind::Variant(v) => {
                if v.cases.is_empty() {
                    self.refuse(
                        site,
                        format!("has no cases, {TYPES_REF}"),
                        Some(String::from("add a case, or remove the type")),
                    );
                    return None;
                }
                let cases: Vec<Option<ir::Case>> = v
                    .cases
                    .iter()
                    .map(|c| {
                        let s = Site {
                            desc: format!("case `{}` of variant `{name}`", c.name),
                            location: site.location.clone(),
                            start: site.start,
                        };
                        let ty = match &c.ty {
                            Some(t) => Some(self.ty(t, &s)?),
                            None => None,
                        };
                        Some(ir::Case {
                            name: c.name.clone(),
                            ty,
                        })
                    })
                    .collect();
                let cases = cases.into_iter().collect::<Option<Vec<_>>>()?;
                Some(ir::TypeDefKind::Variant { cases })
            }
            wit::TypeDefKind::Tuple(t) => {
                if t.types.is_empty() {
                    self.refuse(
                        site,
                        format!("uses an empty tuple, {TYPES_REF}"),
                        Some(String::from("add an element, or leave the value out")),
                    );
                    return None;
                }
                let types: Vec<Option<ir::Type>> =
                    t.types.iter().map(|t| self.ty(t, site)).collect();
                let types = types.into_iter().collect::<Option<Vec<_>>>()?;
                Some(ir::TypeDefKind::Tuple { types })
            }
            wit::TypeDefKind::Option(t) => Some(ir::TypeDefKind::Option {
                ty: self.ty(t, site)?,
            }),
            wit::TypeDefKind::List(t) => Some(ir::TypeDefKind::List {
                ty: self.ty(t, site)?,
            }),
            wit::TypeDefKind::Result(res) => {
                let ok = res.ok.as_ref().map(|t| self.ty(t, site));
                let err = res.err.as_ref().map(|t| self.ty(t, site));
                let ok = match ok {
                    Some(t) => Some(t?),
                    None => None,
                };
                let err = match err {
                    Some(t) => Some(t?),
                    None => None,
                };
                Some(ir::TypeDefKind::Result { ok, err })
            }
            wit::TypeDefKind::Handle(h) => {
                let (wit::Handle::Own(r) | wit::Handle::Borrow(r)) = *h;
                let Some(res) = self.resource_of(r) else {
                    let text = wit_type_text(self.r, &wit::Type::Id(r));
                    self.refuse(
                        site,
                        format!("uses a handle to `{text}`, which is not a resource"),
                        Some(String::from(
                            "`own<…>` and `borrow<…>` take the name of a resource",
                        )),
                    );
                    return None;
                };
                let resource = self.named_type(res)?;
                Some(match h {
                    wit::Handle::Own(_) => ir::TypeDefKind::Own { resource },
                    wit::Handle::Borrow(_) => ir::TypeDefKind::Borrow { resource },
                })
            }
            wit::TypeDefKind::Resource => Some(ir::TypeDefKind::Resource),
            wit::TypeDefKind::Type(t) => Some(ir::TypeDefKind::Alias {
                ty: self.ty(t, site)?,
            }),
            wit::TypeDefKind::Map(k, v) => {
                // wit-parser allows only bool, integers, char and string as keys, as the
                // IR does (`plugport::descriptor::is_map_key`).
                let key = self.ty(k, site);
                let value = self.ty(v, site);
                Some(ir::TypeDefKind::Map {
                    key: key?,
                    value: value?,
                })
            }
            wit::TypeDefKind::FixedLengthList(t, n) => {
                if *n == 0 || *n > ir::MAX_FIXED_LIST_LEN {
                    let t = wit_type_text(self.r, t);
                    self.refuse(
                        site,
                        format!(
                            "uses the fixed-length list `list<{t}, {n}>`, which plugport does \
                             not support: the length must be from 1 to {} (docs/abi.md §3)",
                            ir::MAX_FIXED_LIST_LEN
                        ),
                        Some(if *n == 0 {
                            String::from("a fixed-length list holds at least one element")
                        } else {
                            format!("use `list<{t}>`: a fixed-length list travels inline, by value")
                        }),
                    );
                    return None;
                }
                Some(ir::TypeDefKind::FixedList {
                    ty: self.ty(t, site)?,
                    len: *n,
                })
            }
            k @ (wit::TypeDefKind::Future(_) | wit::TypeDefKind::Stream(_)) => {
                let text = kind_text(self.r, k);
                self.refuse(
                    site,
                    format!("uses `{text}`, {TYPES_REF}"),
                    Some(String::from("pass the values whole as a `list<…>`, or as a resource with a method that returns the next part")),
                );
                None
            }
            wit::TypeDefKind::Unknown => {
                self.refuse(
                    site,
                    String::from("uses a type wit-parser could not resolve"),
                    None,
                );
                None
            }
        }
    }

    fn function(&mut self, f: &wit::Function) -> Option<ir::Function> {
        let location = self.span(f.span);
        if let Some(l) = &location {
            self.function_spans
                .entry((l.file.clone(), l.line))
                .or_insert_with(|| l.clone());
        }
        let site = Site {
            desc: format!("function `{}`", display_name(f)),
            location: location.clone(),
            start: Some(f.span.start()).filter(|_| f.span.is_known()),
        };
        let mut ok = true;
        let resource = |cx: &mut Self, r: wit::TypeId| cx.named_type(r);
        let kind = match f.kind {
            wit::FunctionKind::Freestanding => Some(ir::FunctionKind::Freestanding),
            wit::FunctionKind::Method(r) => resource(self, r).map(ir::FunctionKind::Method),
            wit::FunctionKind::Static(r) => resource(self, r).map(ir::FunctionKind::Static),
            wit::FunctionKind::Constructor(r) => {
                resource(self, r).map(ir::FunctionKind::Constructor)
            }
            wit::FunctionKind::AsyncFreestanding
            | wit::FunctionKind::AsyncMethod(_)
            | wit::FunctionKind::AsyncStatic(_) => {
                self.refuse(
                    &site,
                    format!("is `async`, {TYPES_REF}"),
                    Some(String::from(
                        "remove `async`: plugport calls are synchronous",
                    )),
                );
                None
            }
            wit::FunctionKind::Getter
            | wit::FunctionKind::Setter
            | wit::FunctionKind::MethodGetter(_)
            | wit::FunctionKind::MethodSetter(_)
            | wit::FunctionKind::StaticGetter(_)
            | wit::FunctionKind::StaticSetter(_) => {
                self.refuse(
                    &site,
                    String::from(
                        "is a property accessor (`get`/`set`), which plugport ABI v1 does \
                         not support (docs/abi.md §5)",
                    ),
                    Some(String::from(
                        "write a plain method instead, e.g. `get-x: func() -> T`",
                    )),
                );
                None
            }
        };
        ok &= kind.is_some();

        let skip_self = matches!(
            f.kind,
            wit::FunctionKind::Method(_)
                | wit::FunctionKind::AsyncMethod(_)
                | wit::FunctionKind::MethodGetter(_)
                | wit::FunctionKind::MethodSetter(_)
        );
        let mut params = Vec::new();
        for (i, p) in f.params.iter().enumerate() {
            if skip_self && i == 0 {
                continue;
            }
            let s = Site {
                desc: format!("parameter `{}` of function `{}`", p.name, display_name(f)),
                location: location.clone(),
                start: site.start,
            };
            match self.ty(&p.ty, &s) {
                Some(ty) => params.push(ir::Param {
                    name: p.name.clone(),
                    ty,
                }),
                None => ok = false,
            }
        }

        let mut result = None;
        if let Some(t) = &f.result {
            if let wit::FunctionKind::Constructor(_) = f.kind {
                // The handle, or (a fallible constructor) `result<own<r>, E>`: its slot
                // returns that result (docs/abi.md §5).
                let is_handle = match t {
                    wit::Type::Id(id) => match self.r.types[*id].kind {
                        wit::TypeDefKind::Handle(wit::Handle::Own(_)) => true,
                        wit::TypeDefKind::Result(wit::Result_ { ok: Some(_), .. }) => true,
                        _ => self.resource_of(*id).is_some(),
                    },
                    _ => false,
                };
                if !is_handle {
                    let text = wit_type_text(self.r, t);
                    self.refuse(
                        &site,
                        format!(
                            "is a fallible constructor (returns `{text}`), which plugport \
                             ABI v1 does not support: a constructor returns the handle \
                             (docs/abi.md §5)"
                        ),
                        Some(String::from("use a static function returning a `result`")),
                    );
                    ok = false;
                }
            }
            match self.ty(t, &site) {
                Some(ty) => {
                    if let Some(borrow) = self.find_borrow(&ty, &mut HashSet::new()) {
                        let text = wit_type_text(self.r, t);
                        let res = self.types[borrow].name.clone().unwrap_or_default();
                        self.refuse(
                            &site,
                            format!(
                                "returns `{text}`, which contains `borrow<{res}>`; borrowed \
                                 handles are allowed only in parameters (docs/abi.md §5)"
                            ),
                            Some(format!("return `own<{res}>` (or just `{res}`) instead")),
                        );
                        ok = false;
                    }
                    result = Some(ty);
                }
                None => ok = false,
            }
        }

        if !ok {
            return None;
        }
        Some(ir::Function {
            name: function_name(f),
            kind: kind?,
            params,
            result,
            location: location.as_ref().map(SourceSpan::location),
        })
    }
}

/// The IR name of a function: `greet`, `push` for `decoder.push`, `new` for a
/// constructor.
fn function_name(f: &wit::Function) -> String {
    match f.kind {
        wit::FunctionKind::Constructor(_) => String::from("new"),
        _ => f.item_name().to_string(),
    }
}
