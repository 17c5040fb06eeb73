//! Resolved wit-parser world → plugport IR, collecting every refusal.

use std::collections::{HashMap, HashSet};

use plugport::ir;
use wit_parser as wit;
use wit_parser::Resolve;

use super::diagnostic::{Places, SourceSpan, Spans};
use super::{cnames, key_string, Declared, Refusal};
use crate::names::c_ident;

/// Where a type is used or defined, for refusal messages.
#[derive(Clone)]
struct Site {
    /// What it is, e.g. ``function `read-all` `` or ``field `tags` of record `person` ``.
    desc: String,
    location: Option<SourceSpan>,
    /// The start of the item's span in wit-parser's source map (to tell whether a type's
    /// span lies inside the item's declaration).
    start: Option<u32>,
}

/// Footnote for refusals of types the ABI's type table does not list.
const TYPES_REF: &str = "which plugport ABI v1 does not support (docs/abi.md §3)";

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
    let imports = cx.items(
        &world.imports,
        &declared.imports,
        &world.name,
        strict,
        &mut world_resources,
    );
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

/// A refusal for each fixed-length list whose C value is larger than
/// [`plugport::descriptor::MAX_VALUE_SIZE`] while its element is not (the list that makes
/// the value too large, not every type that contains it).
fn oversized_fixed_lists(world: &ir::World, places: &Places) -> Vec<Refusal> {
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

fn package_name(p: &wit::PackageName) -> ir::PackageName {
    ir::PackageName {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        version: p.version.as_ref().map(|v| v.to_string()),
    }
}

/// The start of every declaration's name span in `r`, sorted.
fn item_starts(r: &Resolve) -> Vec<u32> {
    let mut spans: Vec<wit::Span> = Vec::new();
    spans.extend(
        r.types
            .iter()
            .filter(|(_, t)| t.name.is_some())
            .map(|(_, t)| t.span),
    );
    for (_, i) in r.interfaces.iter() {
        spans.push(i.span);
        spans.extend(i.functions.values().map(|f| f.span));
    }
    for (_, w) in r.worlds.iter() {
        spans.push(w.span);
        for item in w.imports.values().chain(w.exports.values()) {
            if let wit::WorldItem::Function(f) = item {
                spans.push(f.span);
            }
        }
    }
    let mut starts: Vec<u32> = spans
        .into_iter()
        .filter(|s| s.is_known())
        .map(|s| s.start())
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

impl<'a> Converter<'a> {
    /// The file, line and column of `span` (see [`Spans::resolve`]).
    fn span(&self, span: wit::Span) -> Option<SourceSpan> {
        self.spans.resolve(span)
    }

    /// Where a refusal of `site` points: the anonymous type being converted when it is
    /// written inside the site's declaration (between its name and the next
    /// declaration, in the same file), otherwise the site's name.
    fn refusal_location(&self, site: &Site) -> Option<SourceSpan> {
        let inside = |t: &wit::Span| {
            let Some(start) = site.start else {
                return false;
            };
            let next = self.item_starts.partition_point(|s| *s <= start);
            let end = self.item_starts.get(next).copied().unwrap_or(u32::MAX);
            t.is_known() && t.start() >= start && t.start() < end
        };
        self.type_at
            .filter(inside)
            .and_then(|t| self.span(t))
            .filter(|t| site.location.as_ref().is_some_and(|s| s.file == t.file))
            .or_else(|| site.location.clone())
    }

    /// Refuses what `site` describes: `what` says why, `help` how to fix it.
    fn refuse(&mut self, site: &Site, what: String, help: Option<String>) {
        let refusal = Refusal {
            location: self.refusal_location(site),
            message: format!("{} {what}", site.desc),
            help,
            related: Vec::new(),
        };
        if !self.refusals.contains(&refusal) {
            self.refusals.push(refusal);
        }
    }

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

    /// The world items of one direction, in declaration order.
    fn items(
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

    fn interface(&mut self, id: wit::InterfaceId) -> Option<ir::Interface> {
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
    fn table_functions<'f>(
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
    fn world_resources(&mut self, world: &wit::World) -> Option<ir::Interface> {
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
    fn slot_name(&self, f: &ir::Function) -> String {
        let resource = |r: ir::TypeId| self.types[r].name.clone().unwrap_or_default();
        match f.kind {
            ir::FunctionKind::Constructor(r) => c_ident(&format!("{}-new", resource(r))),
            ir::FunctionKind::Static(r) => c_ident(&format!("{}-{}", resource(r), f.name)),
            _ => c_ident(&f.name),
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

    /// The resource of a `borrow` somewhere inside `ty`, if any.
    fn find_borrow(&self, ty: &ir::Type, seen: &mut HashSet<ir::TypeId>) -> Option<ir::TypeId> {
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
    fn check_duplicate_interfaces(
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

/// The IR name of a function: `greet`, `push` for `decoder.push`, `new` for a
/// constructor.
fn function_name(f: &wit::Function) -> String {
    match f.kind {
        wit::FunctionKind::Constructor(_) => String::from("new"),
        _ => f.item_name().to_string(),
    }
}

/// How a function is named in messages: `greet`, `decoder.push`, `decoder.constructor`.
fn display_name(f: &wit::Function) -> String {
    match f.kind.resource() {
        Some(_) => {
            let base = f.name.rsplit(']').next().unwrap_or(&f.name);
            match f.kind {
                wit::FunctionKind::Constructor(_) => format!("{base}.constructor"),
                _ => base.to_string(),
            }
        }
        None => f.item_name().to_string(),
    }
}

fn describe_kind(kind: &wit::TypeDefKind) -> &'static str {
    match kind {
        wit::TypeDefKind::Type(_) => "type",
        k => k.as_str(),
    }
}

/// A type as WIT text, for messages: `list<string>`, `stream<u8>`, `point`.
fn wit_type_text(r: &Resolve, t: &wit::Type) -> String {
    match t {
        wit::Type::Bool => "bool".into(),
        wit::Type::U8 => "u8".into(),
        wit::Type::U16 => "u16".into(),
        wit::Type::U32 => "u32".into(),
        wit::Type::U64 => "u64".into(),
        wit::Type::S8 => "s8".into(),
        wit::Type::S16 => "s16".into(),
        wit::Type::S32 => "s32".into(),
        wit::Type::S64 => "s64".into(),
        wit::Type::F32 => "f32".into(),
        wit::Type::F64 => "f64".into(),
        wit::Type::Char => "char".into(),
        wit::Type::String => "string".into(),
        wit::Type::ErrorContext => "error-context".into(),
        wit::Type::Id(id) => {
            let td = &r.types[*id];
            match &td.name {
                Some(n) => n.clone(),
                None => kind_text(r, &td.kind),
            }
        }
    }
}

fn kind_text(r: &Resolve, kind: &wit::TypeDefKind) -> String {
    let t = |t: &wit::Type| wit_type_text(r, t);
    let opt = |o: &Option<wit::Type>| o.as_ref().map(t);
    match kind {
        wit::TypeDefKind::List(e) => format!("list<{}>", t(e)),
        wit::TypeDefKind::FixedLengthList(e, n) => format!("list<{}, {n}>", t(e)),
        wit::TypeDefKind::Map(k, v) => format!("map<{}, {}>", t(k), t(v)),
        wit::TypeDefKind::Option(e) => format!("option<{}>", t(e)),
        wit::TypeDefKind::Result(res) => match (opt(&res.ok), opt(&res.err)) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{ok}>"),
            (None, Some(err)) => format!("result<_, {err}>"),
            (Some(ok), Some(err)) => format!("result<{ok}, {err}>"),
        },
        wit::TypeDefKind::Tuple(tu) => {
            let parts: Vec<String> = tu.types.iter().map(t).collect();
            format!("tuple<{}>", parts.join(", "))
        }
        wit::TypeDefKind::Handle(wit::Handle::Own(x)) => format!("own<{}>", t(&wit::Type::Id(*x))),
        wit::TypeDefKind::Handle(wit::Handle::Borrow(x)) => {
            format!("borrow<{}>", t(&wit::Type::Id(*x)))
        }
        wit::TypeDefKind::Future(e) => match opt(e) {
            Some(e) => format!("future<{e}>"),
            None => "future".into(),
        },
        wit::TypeDefKind::Stream(e) => match opt(e) {
            Some(e) => format!("stream<{e}>"),
            None => "stream".into(),
        },
        wit::TypeDefKind::Type(x) => t(x),
        k => k.as_str().into(),
    }
}
