//! Structural compatibility of two worlds (`docs/abi.md` §9).
//!
//! [`compare`]`(expected, found)` walks two [`World`]s side by side and reports
//!
//! - every breaking difference as an [`Incompatibility`] naming the item
//!   (`framing.decoder.push`, `types.point.x`, `package`, `world`) with the expected and
//!   the found value rendered as WIT-like text;
//! - the items only one side has at the *end* of a list (world items, interface
//!   functions, resource methods) as [`Extra`]s: appended items are compatible.
//!
//! The loader calls it with the host's world as `expected` and the plugin's as `found`;
//! `plugport check` does the same from files, and `plugport diff` calls it with the old
//! world as `expected` and the new one as `found` ([`Compat::change`] classifies the
//! result).
//!
//! Types are compared by name and shape, never by [`TypeId`] (ids of two worlds are
//! unrelated): two named types are the same type when their interface and name agree, and
//! every such pair is then compared member by member (and reported there, once, however
//! many functions use it). Anonymous types (`list<T>`, `option<T>`, tuples, handles) are
//! compared recursively. WIT has no recursive types except through resources, and
//! resources are compared by interface and name only, so the walk terminates; a depth
//! limit keeps it safe on malformed hand-built worlds too.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use serde::Serialize;

use crate::ir::{
    Function, FunctionKind, Interface, PackageName, Type, TypeDef, TypeDefKind, TypeId, World,
    WorldItem,
};

/// The list of world items a difference is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The world's imports: the host implements them, the plugin calls them.
    Imports,
    /// The world's exports: the plugin implements them, the host calls them.
    Exports,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Imports => "import",
            Side::Exports => "export",
        })
    }
}

/// One breaking difference between the expected and the found world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incompatibility {
    /// Imports or exports for world items and functions; `None` for the package, the
    /// world name and named types (which are shared by both lists).
    pub side: Option<Side>,
    /// Dotted path of the item: `package`, `world`, `greet` (a bare world function),
    /// `framing` (an interface), `framing.encode` (a function), `framing.decoder.push` (a
    /// resource method or constructor), `types.point` (a named type), `types.point.x` (a
    /// record field or variant case).
    pub item: String,
    /// The expected side rendered as WIT-like text (`x: s32`, `push: func(data: list<u8>)`,
    /// `record point { x: s32, y: s32 }`), or `(nothing)` when it has no such item.
    pub expected: String,
    /// The found side, rendered the same way.
    pub found: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(side) = self.side {
            write!(f, "{side} ")?;
        }
        write!(
            f,
            "{}: expected {}, found {}",
            self.item, self.expected, self.found
        )
    }
}

/// An item only one side has, after all the items both sides share (an appended function,
/// method or world item). Extras never make two worlds incompatible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extra {
    /// Imports or exports.
    pub side: Side,
    /// Dotted path, as in [`Incompatibility::item`].
    pub item: String,
    /// What the item is, rendered as WIT-like text (`reset: func()`, `interface logging`).
    pub what: String,
}

impl fmt::Display for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.side, self.item, self.what)
    }
}

/// The result of [`compare`]: breaking differences plus the trailing items one side lacks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Compat {
    /// Breaking differences, in order: package, world, world items, named types.
    pub incompatibilities: Vec<Incompatibility>,
    /// Trailing items only the expected side has. With `expected` = host: for exports, the
    /// functions the plugin lacks (calls to them return `PP_ERR_UNSUPPORTED`); for
    /// imports, host functions the plugin does not know about. For `diff`: removed items.
    pub only_expected: Vec<Extra>,
    /// Trailing items only the found side has. With `found` = plugin: exports the host
    /// ignores, imports the plugin will find absent (its calls return
    /// `PP_ERR_UNSUPPORTED`). For `diff`: added items.
    pub only_found: Vec<Extra>,
}

/// How two worlds relate, from best to worst: the classification of `plugport diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Structurally identical (up to source locations).
    Identical,
    /// Compatible; `found` only appends items (a compatible minor release).
    Appended,
    /// Compatible, but `found` lacks trailing items `expected` has (with `expected` = old:
    /// items were removed from the end; old callers of them get `PP_ERR_UNSUPPORTED`).
    Truncated,
    /// At least one [`Incompatibility`].
    Breaking,
}

impl Compat {
    /// True when the two worlds can be used together (no [`Incompatibility`]).
    pub fn is_compatible(&self) -> bool {
        self.incompatibilities.is_empty()
    }

    /// True when nothing differs at all.
    pub fn is_identical(&self) -> bool {
        self.change() == Change::Identical
    }

    /// The classification of the difference.
    pub fn change(&self) -> Change {
        if !self.incompatibilities.is_empty() {
            Change::Breaking
        } else if !self.only_expected.is_empty() {
            Change::Truncated
        } else if !self.only_found.is_empty() {
            Change::Appended
        } else {
            Change::Identical
        }
    }

    /// With `expected` = host and `found` = plugin: the exported functions, methods and
    /// interfaces the host knows but the plugin lacks (calls return `PP_ERR_UNSUPPORTED`).
    pub fn plugin_lacks(&self) -> impl Iterator<Item = &Extra> {
        self.only_expected
            .iter()
            .filter(|e| e.side == Side::Exports)
    }

    /// The compatibility verdict of `expected` = host against `found` = plugin for an
    /// identical pair: nothing differs. What the loader records when fingerprints match.
    pub fn identical() -> Compat {
        Compat::default()
    }
}

impl fmt::Display for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_identical() {
            return f.write_str("identical");
        }
        let mut first = true;
        let mut line = |f: &mut fmt::Formatter<'_>, s: String| {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            f.write_str(&s)
        };
        for i in &self.incompatibilities {
            line(f, format!("breaking: {i}"))?;
        }
        for e in &self.only_expected {
            line(f, format!("only expected: {e}"))?;
        }
        for e in &self.only_found {
            line(f, format!("only found: {e}"))?;
        }
        Ok(())
    }
}

/// Compares two worlds structurally (`docs/abi.md` §9): `expected` is the host's (or the
/// old) world, `found` the plugin's (or the new) one. Never panics, also on worlds with
/// dangling type ids (they compare unequal and render as `<invalid type #n>`).
pub fn compare(expected: &World, found: &World) -> Compat {
    let mut cmp = Cmp::new(expected, found);
    cmp.world();
    cmp.out
}

/// Deepest nesting of types the comparison and rendering follow; deeper types (only
/// possible in malformed worlds) compare unequal.
const MAX_DEPTH: usize = 64;

/// Key of a named type across worlds: declaring interface and name.
type NameKey<'a> = (Option<&'a str>, &'a str);

struct Cmp<'a> {
    e: &'a World,
    f: &'a World,
    out: Compat,
    named_f: HashMap<NameKey<'a>, TypeId>,
    queued: HashSet<(TypeId, TypeId)>,
    queue: VecDeque<(TypeId, TypeId)>,
}

fn def(w: &World, id: TypeId) -> Option<&TypeDef> {
    w.types.get(id)
}

fn key(d: &TypeDef) -> Option<NameKey<'_>> {
    d.name.as_deref().map(|n| (d.interface.as_deref(), n))
}

/// `iface.name` or `name`: the item path of a named type.
fn type_path(d: &TypeDef) -> String {
    match (&d.interface, &d.name) {
        (Some(i), Some(n)) => format!("{i}.{n}"),
        (None, Some(n)) => n.clone(),
        _ => "<anonymous>".into(),
    }
}

fn pkg_key(p: &Option<PackageName>) -> Option<(String, String, String)> {
    p.as_ref()
        .map(|p| (p.namespace.clone(), p.name.clone(), p.compat_line()))
}

impl<'a> Cmp<'a> {
    fn new(e: &'a World, f: &'a World) -> Self {
        let named_f = f
            .types
            .iter()
            .enumerate()
            .filter_map(|(i, d)| key(d).map(|k| (k, i)))
            .collect();
        Cmp {
            e,
            f,
            out: Compat::default(),
            named_f,
            queued: HashSet::new(),
            queue: VecDeque::new(),
        }
    }

    fn push(&mut self, side: Option<Side>, item: String, expected: String, found: String) {
        self.out.incompatibilities.push(Incompatibility {
            side,
            item,
            expected,
            found,
        });
    }

    fn world(&mut self) {
        let (pe, pf) = (&self.e.package, &self.f.package);
        if (&pe.namespace, &pe.name) != (&pf.namespace, &pf.name) {
            self.push(
                None,
                "package".into(),
                format!("{}:{}", pe.namespace, pe.name),
                format!("{}:{}", pf.namespace, pf.name),
            );
        } else if pe.compat_line() != pf.compat_line() {
            self.push(
                None,
                "package".into(),
                format!("{pe} (compatibility line {})", pe.compat_line()),
                format!("{pf} (compatibility line {})", pf.compat_line()),
            );
        }
        if self.e.name != self.f.name {
            self.push(
                None,
                "world".into(),
                self.e.name.clone(),
                self.f.name.clone(),
            );
        }
        self.items(Side::Imports, &self.e.imports, &self.f.imports);
        self.items(Side::Exports, &self.e.exports, &self.f.exports);
        while let Some((x, y)) = self.queue.pop_front() {
            self.diff_named(x, y);
        }
    }

    fn describe_item(w: &World, item: &WorldItem) -> String {
        match item {
            WorldItem::Interface(i) => match &i.package {
                Some(p) => format!("interface {}:{}/{}", p.namespace, p.name, i.name),
                None => format!("interface {}", i.name),
            },
            WorldItem::Function(f) => render_function(w, f),
        }
    }

    fn items(&mut self, side: Side, es: &'a [WorldItem], fs: &'a [WorldItem]) {
        let n = es.len().min(fs.len());
        for (i, (a, b)) in es.iter().zip(fs).enumerate() {
            match (a, b) {
                (WorldItem::Interface(x), WorldItem::Interface(y)) if x.name == y.name => {
                    self.interface(side, x, y)
                }
                (WorldItem::Function(x), WorldItem::Function(y)) if x.name == y.name => {
                    self.function(side, None, x, y)
                }
                _ => {
                    let mut found = format!("{} at position {i}", Self::describe_item(self.f, b));
                    let moved = fs.iter().position(|it| it.name() == a.name());
                    if let Some(j) = moved.filter(|&j| j != i) {
                        found.push_str(&format!(" ({} is at position {j})", a.name()));
                    }
                    self.push(
                        Some(side),
                        a.name().to_string(),
                        format!("{} at position {i}", Self::describe_item(self.e, a)),
                        found,
                    );
                }
            }
        }
        for a in &es[n..] {
            self.out.only_expected.push(Extra {
                side,
                item: a.name().to_string(),
                what: Self::describe_item(self.e, a),
            });
        }
        for b in &fs[n..] {
            self.out.only_found.push(Extra {
                side,
                item: b.name().to_string(),
                what: Self::describe_item(self.f, b),
            });
        }
    }

    fn interface(&mut self, side: Side, a: &'a Interface, b: &'a Interface) {
        if pkg_key(&a.package) != pkg_key(&b.package) {
            let show = |i: &Interface| match &i.package {
                Some(p) => format!(
                    "interface {}:{}/{} (line {})",
                    p.namespace,
                    p.name,
                    i.name,
                    p.compat_line()
                ),
                None => format!("interface {} of the world's package", i.name),
            };
            self.push(Some(side), a.name.clone(), show(a), show(b));
            return;
        }
        // Named types declared on both sides are compared even when no function uses them.
        for &t in &a.types {
            let Some(k) = def(self.e, t).and_then(key) else {
                continue;
            };
            let Some(&u) = self.named_f.get(&k) else {
                continue;
            };
            if b.types.contains(&u) {
                self.schedule(t, u);
            }
        }
        // The interface table: every function that is not a method, in order.
        let table = |i: &'a Interface| -> Vec<&'a Function> {
            i.functions
                .iter()
                .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
                .collect()
        };
        self.slots(side, Some(&a.name), &table(a), &table(b));
        // One vtable per resource: its methods, in order.
        let ra = resources(self.e, a);
        let rb = resources(self.f, b);
        for (name, ma) in &ra {
            let mb = rb
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| m.clone())
                .unwrap_or_default();
            self.slots(side, Some(&a.name), ma, &mb);
        }
        for (name, mb) in &rb {
            if !ra.iter().any(|(n, _)| n == name) {
                self.slots(side, Some(&a.name), &[], mb);
            }
        }
    }

    /// Compares two slot lists (a table or a vtable) as prefixes of each other.
    fn slots(&mut self, side: Side, iface: Option<&str>, a: &[&'a Function], b: &[&'a Function]) {
        let n = a.len().min(b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x.name == y.name && same_kind_shape(self.e, self.f, x.kind, y.kind) {
                self.function(side, iface, x, y);
            } else {
                let mut found = format!("{} at position {i}", render_function(self.f, y));
                let moved = b.iter().position(|f| {
                    f.name == x.name && same_kind_shape(self.e, self.f, x.kind, f.kind)
                });
                if let Some(j) = moved.filter(|&j| j != i) {
                    found.push_str(&format!(" ({} is at position {j})", x.name));
                }
                self.push(
                    Some(side),
                    function_path(self.e, iface, x),
                    format!("{} at position {i}", render_function(self.e, x)),
                    found,
                );
            }
        }
        for x in &a[n..] {
            self.out.only_expected.push(Extra {
                side,
                item: function_path(self.e, iface, x),
                what: render_function(self.e, x),
            });
        }
        for y in &b[n..] {
            self.out.only_found.push(Extra {
                side,
                item: function_path(self.f, iface, y),
                what: render_function(self.f, y),
            });
        }
    }

    fn function(&mut self, side: Side, iface: Option<&str>, a: &'a Function, b: &'a Function) {
        let mut same = a.name == b.name
            && same_kind_shape(self.e, self.f, a.kind, b.kind)
            && a.params.len() == b.params.len();
        if same {
            for (p, q) in a.params.iter().zip(&b.params) {
                // Evaluate every pair so that named types used anywhere get compared.
                let t = self.same_type(p.ty, q.ty, 0);
                same &= p.name == q.name && t;
            }
            same &= match (a.result, b.result) {
                (None, None) => true,
                (Some(x), Some(y)) => self.same_type(x, y, 0),
                _ => false,
            };
        }
        if !same {
            let (mut ex, mut fo) = (render_function(self.e, a), render_function(self.f, b));
            if ex == fo {
                ex = render_function_q(self.e, a, true);
                fo = render_function_q(self.f, b, true);
            }
            self.push(Some(side), function_path(self.e, iface, a), ex, fo);
        }
    }

    fn schedule(&mut self, x: TypeId, y: TypeId) {
        if self.queued.insert((x, y)) {
            self.queue.push_back((x, y));
        }
    }

    /// Same type use? Named types with equal names are "the same" here and their shapes are
    /// queued for [`Cmp::diff_named`].
    fn same_type(&mut self, a: Type, b: Type, depth: usize) -> bool {
        match (a, b) {
            (Type::Id(x), Type::Id(y)) => self.same_def(x, y, depth),
            (Type::Id(_), _) | (_, Type::Id(_)) => false,
            (p, q) => p == q,
        }
    }

    fn same_def(&mut self, x: TypeId, y: TypeId, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let (Some(dx), Some(dy)) = (def(self.e, x), def(self.f, y)) else {
            return false;
        };
        match (key(dx), key(dy)) {
            (Some(kx), Some(ky)) => {
                if kx != ky {
                    return false;
                }
                match (&dx.kind, &dy.kind) {
                    (TypeDefKind::Resource, TypeDefKind::Resource) => true,
                    (TypeDefKind::Resource, _) | (_, TypeDefKind::Resource) => false,
                    _ => {
                        self.schedule(x, y);
                        true
                    }
                }
            }
            (None, None) => self.same_shape(&dx.kind, &dy.kind, depth + 1),
            _ => false,
        }
    }

    /// Same shape of two type definitions, without looking at their own names.
    fn same_shape(&mut self, a: &TypeDefKind, b: &TypeDefKind, depth: usize) -> bool {
        use TypeDefKind as K;
        match (a, b) {
            (K::Record { fields: x }, K::Record { fields: y }) => {
                x.len() == y.len()
                    && x.iter().zip(y).all(|(p, q)| p.name == q.name)
                    && x.iter()
                        .zip(y)
                        .fold(true, |ok, (p, q)| self.same_type(p.ty, q.ty, depth) && ok)
            }
            (K::Tuple { types: x }, K::Tuple { types: y }) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .fold(true, |ok, (p, q)| self.same_type(*p, *q, depth) && ok)
            }
            (K::Flags { flags: x }, K::Flags { flags: y }) => x == y,
            (K::Enum { cases: x }, K::Enum { cases: y }) => x == y,
            (K::Variant { cases: x }, K::Variant { cases: y }) => {
                x.len() == y.len()
                    && x.iter().zip(y).all(|(p, q)| p.name == q.name)
                    && x.iter()
                        .zip(y)
                        .fold(true, |ok, (p, q)| self.same_opt(p.ty, q.ty, depth) && ok)
            }
            (K::Option { ty: x }, K::Option { ty: y })
            | (K::List { ty: x }, K::List { ty: y })
            | (K::Alias { ty: x }, K::Alias { ty: y }) => self.same_type(*x, *y, depth),
            // A map or fixed-length list matches only the same shape: same key and value
            // types, same element type and length (`docs/abi.md` §9).
            (K::Map { key: k1, value: v1 }, K::Map { key: k2, value: v2 }) => {
                let key = self.same_type(*k1, *k2, depth);
                self.same_type(*v1, *v2, depth) && key
            }
            (K::FixedList { ty: x, len: n }, K::FixedList { ty: y, len: m }) => {
                self.same_type(*x, *y, depth) && n == m
            }
            (K::Result { ok: o1, err: e1 }, K::Result { ok: o2, err: e2 }) => {
                let ok = self.same_opt(*o1, *o2, depth);
                self.same_opt(*e1, *e2, depth) && ok
            }
            (K::Resource, K::Resource) => true,
            (K::Own { resource: x }, K::Own { resource: y })
            | (K::Borrow { resource: x }, K::Borrow { resource: y }) => {
                self.same_def(*x, *y, depth)
            }
            _ => false,
        }
    }

    fn same_opt(&mut self, a: Option<Type>, b: Option<Type>, depth: usize) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(x), Some(y)) => self.same_type(x, y, depth),
            _ => false,
        }
    }

    /// Reports, member by member, how two named types with the same name differ.
    fn diff_named(&mut self, x: TypeId, y: TypeId) {
        use TypeDefKind as K;
        let (Some(dx), Some(dy)) = (def(self.e, x), def(self.f, y)) else {
            return;
        };
        let path = type_path(dx);
        match (&dx.kind, &dy.kind) {
            (K::Record { fields: a }, K::Record { fields: b }) => {
                for i in 0..a.len().max(b.len()) {
                    match (a.get(i), b.get(i)) {
                        (Some(p), Some(q)) => {
                            let same = self.same_type(p.ty, q.ty, 0);
                            if p.name != q.name {
                                let ex = format!("field {}: {}", p.name, render_type(self.e, p.ty));
                                let fo = format!("field {}: {}", q.name, render_type(self.f, q.ty));
                                self.push(None, format!("{path}.{}", p.name), ex, fo);
                            } else if !same {
                                let (ex, fo) = self.render_pair(p.ty, q.ty);
                                self.push(None, format!("{path}.{}", p.name), ex, fo);
                            }
                        }
                        (Some(p), None) => {
                            let ex = format!("field {}: {}", p.name, render_type(self.e, p.ty));
                            self.push(None, format!("{path}.{}", p.name), ex, "(nothing)".into());
                        }
                        (None, Some(q)) => {
                            let fo = format!("field {}: {}", q.name, render_type(self.f, q.ty));
                            self.push(None, format!("{path}.{}", q.name), "(nothing)".into(), fo);
                        }
                        (None, None) => {}
                    }
                }
            }
            (K::Variant { cases: a }, K::Variant { cases: b })
                if a.len() == b.len() && a.iter().zip(b).all(|(p, q)| p.name == q.name) =>
            {
                for (p, q) in a.iter().zip(b) {
                    if !self.same_opt(p.ty, q.ty, 0) {
                        let show = |w: &World, t: Option<Type>| match t {
                            Some(t) => render_type(w, t),
                            None => "no payload".to_string(),
                        };
                        let (mut ex, mut fo) = (show(self.e, p.ty), show(self.f, q.ty));
                        if let (Some(s), Some(t)) = (p.ty, q.ty) {
                            (ex, fo) = self.render_pair(s, t);
                        }
                        self.push(None, format!("{path}.{}", p.name), ex, fo);
                    }
                }
            }
            (K::Resource, K::Resource) => {}
            (a, b) => {
                if !self.same_shape(a, b, 0) {
                    let (mut ex, mut fo) = (render_typedef(self.e, x), render_typedef(self.f, y));
                    if ex == fo {
                        ex = render_typedef_q(self.e, x, true);
                        fo = render_typedef_q(self.f, y, true);
                    }
                    self.push(None, path, ex, fo);
                }
            }
        }
    }

    fn render_pair(&self, a: Type, b: Type) -> (String, String) {
        let (ex, fo) = (render_type(self.e, a), render_type(self.f, b));
        if ex == fo {
            (
                render_type_q(self.e, a, true),
                render_type_q(self.f, b, true),
            )
        } else {
            (ex, fo)
        }
    }
}

/// Same function kind, with resource-bound kinds on resources of the same name.
fn same_kind_shape(e: &World, f: &World, a: FunctionKind, b: FunctionKind) -> bool {
    fn res(w: &World, id: TypeId) -> Option<NameKey<'_>> {
        def(w, id).and_then(key)
    }
    match (a, b) {
        (FunctionKind::Freestanding, FunctionKind::Freestanding) => true,
        (FunctionKind::Method(x), FunctionKind::Method(y))
        | (FunctionKind::Static(x), FunctionKind::Static(y))
        | (FunctionKind::Constructor(x), FunctionKind::Constructor(y)) => {
            res(e, x).is_some() && res(e, x) == res(f, y)
        }
        _ => false,
    }
}

/// The resources of an interface that have methods, in order of first method, with their
/// methods in order.
fn resources<'a>(w: &'a World, i: &'a Interface) -> Vec<(String, Vec<&'a Function>)> {
    let mut out: Vec<(String, Vec<&'a Function>)> = Vec::new();
    for f in &i.functions {
        if let FunctionKind::Method(r) = f.kind {
            let name = resource_name(w, r);
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(f),
                None => out.push((name, vec![f])),
            }
        }
    }
    out
}

fn resource_name(w: &World, r: TypeId) -> String {
    def(w, r)
        .and_then(|d| d.name.clone())
        .unwrap_or_else(|| format!("<invalid type #{r}>"))
}

/// Dotted path of a function: `name`, `iface.name`, or `iface.resource.name` for
/// constructors, methods and static functions.
pub fn function_path(w: &World, iface: Option<&str>, f: &Function) -> String {
    let mut s = String::new();
    if let Some(i) = iface {
        s.push_str(i);
        s.push('.');
    }
    match f.kind {
        FunctionKind::Freestanding => {}
        FunctionKind::Method(r) | FunctionKind::Static(r) | FunctionKind::Constructor(r) => {
            s.push_str(&resource_name(w, r));
            s.push('.');
        }
    }
    s.push_str(&f.name);
    s
}

/// Renders a type use as WIT text: `u32`, `list<string>`, `result<_, error>`, `point`,
/// `own<decoder>`. Named types render as their name.
pub fn render_type(w: &World, t: Type) -> String {
    render_type_q(w, t, false)
}

/// Like [`render_type`], but with `qualified`, named types render as `iface.name`
/// (used when two different types would otherwise print the same).
pub fn render_type_q(w: &World, t: Type, qualified: bool) -> String {
    let mut s = String::new();
    type_into(&mut s, w, t, qualified, 0);
    s
}

fn type_into(s: &mut String, w: &World, t: Type, q: bool, depth: usize) {
    let name = match t {
        Type::Bool => "bool",
        Type::S8 => "s8",
        Type::S16 => "s16",
        Type::S32 => "s32",
        Type::S64 => "s64",
        Type::U8 => "u8",
        Type::U16 => "u16",
        Type::U32 => "u32",
        Type::U64 => "u64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        Type::Char => "char",
        Type::String => "string",
        Type::Id(id) => return def_use_into(s, w, id, q, depth),
    };
    s.push_str(name);
}

fn def_use_into(s: &mut String, w: &World, id: TypeId, q: bool, depth: usize) {
    let Some(d) = def(w, id) else {
        s.push_str(&format!("<invalid type #{id}>"));
        return;
    };
    if d.name.is_some() {
        s.push_str(&if q {
            type_path(d)
        } else {
            d.name.clone().unwrap_or_default()
        });
        return;
    }
    if depth > MAX_DEPTH {
        s.push_str("...");
        return;
    }
    anon_into(s, w, &d.kind, q, depth + 1);
}

/// Renders a type definition as WIT text: `record point { x: s32, y: s32 }`,
/// `enum color { red, green }`, `flags perms { read, write }`,
/// `variant shape { circle(f32), none }`, `resource decoder`, `type bytes = list<u8>`;
/// anonymous types render as their use (`list<u8>`).
pub fn render_typedef(w: &World, id: TypeId) -> String {
    render_typedef_q(w, id, false)
}

/// Like [`render_typedef`] with qualified names (`iface.name`) when `qualified`.
pub fn render_typedef_q(w: &World, id: TypeId, qualified: bool) -> String {
    use TypeDefKind as K;
    let Some(d) = def(w, id) else {
        return format!("<invalid type #{id}>");
    };
    let Some(name) = &d.name else {
        return render_type_q(w, Type::Id(id), qualified);
    };
    let name = if qualified {
        type_path(d)
    } else {
        name.clone()
    };
    let mut s = String::new();
    match &d.kind {
        K::Record { .. } => s.push_str(&format!("record {name} ")),
        K::Flags { .. } => s.push_str(&format!("flags {name} ")),
        K::Enum { .. } => s.push_str(&format!("enum {name} ")),
        K::Variant { .. } => s.push_str(&format!("variant {name} ")),
        K::Resource => return format!("resource {name}"),
        _ => s.push_str(&format!("type {name} = ")),
    }
    body_into(&mut s, w, &d.kind, qualified, 0);
    s
}

fn body_into(s: &mut String, w: &World, k: &TypeDefKind, q: bool, depth: usize) {
    use TypeDefKind as K;
    let list = |s: &mut String, items: Vec<String>| {
        if items.is_empty() {
            s.push_str("{ }");
        } else {
            s.push_str("{ ");
            s.push_str(&items.join(", "));
            s.push_str(" }");
        }
    };
    match k {
        K::Record { fields } => list(
            s,
            fields
                .iter()
                .map(|f| {
                    let mut t = format!("{}: ", f.name);
                    type_into(&mut t, w, f.ty, q, depth + 1);
                    t
                })
                .collect(),
        ),
        K::Flags { flags } => list(s, flags.clone()),
        K::Enum { cases } => list(s, cases.clone()),
        K::Variant { cases } => list(
            s,
            cases
                .iter()
                .map(|c| {
                    let mut t = c.name.clone();
                    if let Some(ty) = c.ty {
                        t.push('(');
                        type_into(&mut t, w, ty, q, depth + 1);
                        t.push(')');
                    }
                    t
                })
                .collect(),
        ),
        K::Resource => s.push_str("resource"),
        K::Alias { ty } => type_into(s, w, *ty, q, depth + 1),
        // list / option / result / tuple / own / borrow: render the anonymous shape.
        other => anon_into(s, w, other, q, depth + 1),
    }
}

fn anon_into(s: &mut String, w: &World, k: &TypeDefKind, q: bool, depth: usize) {
    use TypeDefKind as K;
    if depth > MAX_DEPTH {
        s.push_str("...");
        return;
    }
    let sub = |s: &mut String, t: Type| type_into(s, w, t, q, depth + 1);
    match k {
        K::List { ty } => {
            s.push_str("list<");
            sub(s, *ty);
            s.push('>');
        }
        K::Map { key, value } => {
            s.push_str("map<");
            sub(s, *key);
            s.push_str(", ");
            sub(s, *value);
            s.push('>');
        }
        K::FixedList { ty, len } => {
            s.push_str("list<");
            sub(s, *ty);
            s.push_str(&format!(", {len}>"));
        }
        K::Option { ty } => {
            s.push_str("option<");
            sub(s, *ty);
            s.push('>');
        }
        K::Result { ok, err } => {
            s.push_str("result");
            match (ok, err) {
                (None, None) => {}
                (Some(o), None) => {
                    s.push('<');
                    sub(s, *o);
                    s.push('>');
                }
                (o, Some(e)) => {
                    s.push('<');
                    match o {
                        Some(o) => sub(s, *o),
                        None => s.push('_'),
                    }
                    s.push_str(", ");
                    sub(s, *e);
                    s.push('>');
                }
            }
        }
        K::Tuple { types } => {
            s.push_str("tuple<");
            for (i, t) in types.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                sub(s, *t);
            }
            s.push('>');
        }
        K::Own { resource } => {
            s.push_str("own<");
            def_use_into(s, w, *resource, q, depth + 1);
            s.push('>');
        }
        K::Borrow { resource } => {
            s.push_str("borrow<");
            def_use_into(s, w, *resource, q, depth + 1);
            s.push('>');
        }
        K::Alias { ty } => sub(s, *ty),
        _ => body_into(s, w, k, q, depth + 1),
    }
}

/// Renders a function as WIT text: `greet: func(name: string) -> string`,
/// `constructor(init: u32)`, `push: func(data: list<u8>)` for a method,
/// `static open: func(path: string) -> decoder` for a static function.
pub fn render_function(w: &World, f: &Function) -> String {
    render_function_q(w, f, false)
}

/// Like [`render_function`] with qualified type names (`iface.name`) when `qualified`.
pub fn render_function_q(w: &World, f: &Function, qualified: bool) -> String {
    let mut s = match f.kind {
        FunctionKind::Constructor(_) => "constructor(".to_string(),
        FunctionKind::Static(_) => format!("static {}: func(", f.name),
        FunctionKind::Method(_) | FunctionKind::Freestanding => format!("{}: func(", f.name),
    };
    for (i, p) in f.params.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&p.name);
        s.push_str(": ");
        type_into(&mut s, w, p.ty, qualified, 0);
    }
    s.push(')');
    if let (Some(r), false) = (f.result, matches!(f.kind, FunctionKind::Constructor(_))) {
        s.push_str(" -> ");
        type_into(&mut s, w, r, qualified, 0);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Case, Field, Param};

    fn pkg(version: &str) -> PackageName {
        PackageName {
            namespace: "test".into(),
            name: "shapes".into(),
            version: Some(version.into()),
        }
    }

    fn named(iface: &str, name: &str, kind: TypeDefKind) -> TypeDef {
        TypeDef {
            name: Some(name.into()),
            interface: Some(iface.into()),
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

    fn func(name: &str, params: &[(&str, Type)], result: Option<Type>) -> Function {
        Function {
            name: name.into(),
            kind: FunctionKind::Freestanding,
            params: params
                .iter()
                .map(|(n, t)| Param {
                    name: n.to_string(),
                    ty: *t,
                })
                .collect(),
            result,
            location: None,
        }
    }

    fn method(name: &str, resource: TypeId, params: &[(&str, Type)]) -> Function {
        Function {
            kind: FunctionKind::Method(resource),
            ..func(name, params, None)
        }
    }

    fn iface(name: &str, types: Vec<TypeId>, functions: Vec<Function>) -> WorldItem {
        WorldItem::Interface(Interface {
            name: name.into(),
            package: None,
            types,
            functions,
        })
    }

    fn world(types: Vec<TypeDef>, exports: Vec<WorldItem>) -> World {
        World {
            package: pkg("1.2.0"),
            name: "plugin".into(),
            types,
            imports: vec![],
            exports,
        }
    }

    fn point(x: Type) -> TypeDef {
        named(
            "types",
            "point",
            TypeDefKind::Record {
                fields: vec![
                    Field {
                        name: "x".into(),
                        ty: x,
                    },
                    Field {
                        name: "y".into(),
                        ty: Type::S32,
                    },
                ],
            },
        )
    }

    /// `interface types { record point; enum color; area: func(p: point) -> f64;
    /// paint: func(c: color, points: list<point>); }` plus `interface math { add, sub }`.
    fn base() -> World {
        world(
            vec![
                point(Type::S32),
                named(
                    "types",
                    "color",
                    TypeDefKind::Enum {
                        cases: vec!["red".into(), "green".into()],
                    },
                ),
                anon(TypeDefKind::List { ty: Type::Id(0) }),
            ],
            vec![
                iface(
                    "types",
                    vec![0, 1],
                    vec![
                        func("area", &[("p", Type::Id(0))], Some(Type::F64)),
                        func(
                            "paint",
                            &[("c", Type::Id(1)), ("points", Type::Id(2))],
                            None,
                        ),
                    ],
                ),
                iface(
                    "math",
                    vec![],
                    vec![
                        func(
                            "add",
                            &[("a", Type::S32), ("b", Type::S32)],
                            Some(Type::S32),
                        ),
                        func(
                            "sub",
                            &[("a", Type::S32), ("b", Type::S32)],
                            Some(Type::S32),
                        ),
                    ],
                ),
            ],
        )
    }

    fn math(w: &mut World) -> &mut Vec<Function> {
        match &mut w.exports[1] {
            WorldItem::Interface(i) => &mut i.functions,
            _ => unreachable!(),
        }
    }

    fn items(c: &Compat) -> Vec<&str> {
        c.incompatibilities
            .iter()
            .map(|i| i.item.as_str())
            .collect()
    }

    #[test]
    fn identical_worlds() {
        let c = compare(&base(), &base());
        assert_eq!(c.change(), Change::Identical, "{c}");
        assert!(c.is_compatible() && c.is_identical());
    }

    #[test]
    fn same_structure_with_different_type_ids_is_identical() {
        let a = base();
        // Same world, types interned in another order: ids differ, structure does not.
        let mut b = base();
        b.types = vec![
            b.types[1].clone(),
            point(Type::S32),
            anon(TypeDefKind::List { ty: Type::Id(1) }),
        ];
        if let WorldItem::Interface(i) = &mut b.exports[0] {
            i.types = vec![1, 0];
            i.functions[0].params[0].ty = Type::Id(1);
            i.functions[1].params[0].ty = Type::Id(0);
            i.functions[1].params[1].ty = Type::Id(2);
        }
        assert_ne!(a.fingerprint(), b.fingerprint());
        let c = compare(&a, &b);
        assert!(c.is_identical(), "{c}");
    }

    #[test]
    fn function_added_at_end_is_compatible() {
        let old = base();
        let mut new = base();
        math(&mut new).push(func(
            "mul",
            &[("a", Type::S32), ("b", Type::S32)],
            Some(Type::S32),
        ));
        let c = compare(&old, &new);
        assert!(c.is_compatible(), "{c}");
        assert_eq!(c.change(), Change::Appended);
        assert_eq!(c.only_found.len(), 1);
        assert_eq!(c.only_found[0].item, "math.mul");
        assert_eq!(c.only_found[0].side, Side::Exports);
        assert_eq!(c.only_found[0].what, "mul: func(a: s32, b: s32) -> s32");
        // The other way round: the host knows `mul`, the plugin lacks it.
        let c = compare(&new, &old);
        assert!(c.is_compatible());
        assert_eq!(c.change(), Change::Truncated);
        let lacks: Vec<_> = c.plugin_lacks().map(|e| e.item.as_str()).collect();
        assert_eq!(lacks, ["math.mul"]);
    }

    #[test]
    fn interface_added_at_end_is_compatible() {
        let old = base();
        let mut new = base();
        new.exports
            .push(iface("extra", vec![], vec![func("ping", &[], None)]));
        let c = compare(&old, &new);
        assert_eq!(c.change(), Change::Appended, "{c}");
        assert_eq!(c.only_found[0].item, "extra");
        assert_eq!(c.only_found[0].what, "interface extra");
    }

    #[test]
    fn removed_function_is_breaking() {
        let old = base();
        let mut new = base();
        math(&mut new).remove(0);
        let c = compare(&old, &new);
        assert_eq!(c.change(), Change::Breaking);
        assert_eq!(items(&c), ["math.add"]);
        let i = &c.incompatibilities[0];
        assert_eq!(i.expected, "add: func(a: s32, b: s32) -> s32 at position 0");
        assert_eq!(i.found, "sub: func(a: s32, b: s32) -> s32 at position 0");
        assert_eq!(i.side, Some(Side::Exports));
        assert_eq!(
            i.to_string(),
            "export math.add: expected add: func(a: s32, b: s32) -> s32 at position 0, \
             found sub: func(a: s32, b: s32) -> s32 at position 0"
        );
    }

    #[test]
    fn reordered_functions_are_breaking() {
        let old = base();
        let mut new = base();
        math(&mut new).swap(0, 1);
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["math.add", "math.sub"]);
        assert!(
            c.incompatibilities[0]
                .found
                .ends_with("(add is at position 1)"),
            "{c}"
        );
    }

    #[test]
    fn retyped_function_is_breaking() {
        let old = base();
        let mut new = base();
        math(&mut new)[1].params[1].ty = Type::S64;
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["math.sub"]);
        assert_eq!(
            c.incompatibilities[0].expected,
            "sub: func(a: s32, b: s32) -> s32"
        );
        assert_eq!(
            c.incompatibilities[0].found,
            "sub: func(a: s32, b: s64) -> s32"
        );
        // Result type and parameter names count too.
        let mut new = base();
        math(&mut new)[0].result = None;
        assert_eq!(items(&compare(&old, &new)), ["math.add"]);
        let mut new = base();
        math(&mut new)[0].params[0].name = "x".into();
        assert_eq!(items(&compare(&old, &new)), ["math.add"]);
    }

    #[test]
    fn changed_record_field_names_the_field() {
        let old = base();
        let mut new = base();
        new.types[0] = point(Type::F32);
        let c = compare(&old, &new);
        // Reported once, at the field, although two functions use `point`.
        assert_eq!(items(&c), ["types.point.x"], "{c}");
        assert_eq!(c.incompatibilities[0].expected, "s32");
        assert_eq!(c.incompatibilities[0].found, "f32");
        assert_eq!(c.incompatibilities[0].side, None);
    }

    #[test]
    fn renamed_and_added_record_fields() {
        let old = base();
        let mut new = base();
        if let TypeDefKind::Record { fields } = &mut new.types[0].kind {
            fields[1].name = "z".into();
            fields.push(Field {
                name: "w".into(),
                ty: Type::U8,
            });
        }
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["types.point.y", "types.point.w"], "{c}");
        assert_eq!(c.incompatibilities[0].expected, "field y: s32");
        assert_eq!(c.incompatibilities[0].found, "field z: s32");
        assert_eq!(c.incompatibilities[1].expected, "(nothing)");
        assert_eq!(c.incompatibilities[1].found, "field w: u8");
    }

    #[test]
    fn changed_enum_cases_are_breaking() {
        let old = base();
        let mut new = base();
        new.types[1].kind = TypeDefKind::Enum {
            cases: vec!["red".into(), "blue".into()],
        };
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["types.color"]);
        assert_eq!(c.incompatibilities[0].expected, "enum color { red, green }");
        assert_eq!(c.incompatibilities[0].found, "enum color { red, blue }");
        // Even an appended case changes the meaning of the type.
        let mut new = base();
        new.types[1].kind = TypeDefKind::Enum {
            cases: vec!["red".into(), "green".into(), "blue".into()],
        };
        assert_eq!(items(&compare(&old, &new)), ["types.color"]);
    }

    #[test]
    fn changed_kind_of_named_type() {
        let old = base();
        let mut new = base();
        new.types[1].kind = TypeDefKind::Flags {
            flags: vec!["red".into(), "green".into()],
        };
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["types.color"]);
        assert_eq!(c.incompatibilities[0].found, "flags color { red, green }");
    }

    #[test]
    fn variant_case_payload_names_the_case() {
        let shape = |payload: Type| {
            world(
                vec![named(
                    "types",
                    "shape",
                    TypeDefKind::Variant {
                        cases: vec![
                            Case {
                                name: "circle".into(),
                                ty: Some(payload),
                            },
                            Case {
                                name: "none".into(),
                                ty: None,
                            },
                        ],
                    },
                )],
                vec![iface(
                    "types",
                    vec![0],
                    vec![func("draw", &[("s", Type::Id(0))], None)],
                )],
            )
        };
        let c = compare(&shape(Type::F32), &shape(Type::F64));
        assert_eq!(items(&c), ["types.shape.circle"]);
        assert_eq!(c.incompatibilities[0].expected, "f32");
        assert_eq!(c.incompatibilities[0].found, "f64");
    }

    #[test]
    fn package_world_and_line() {
        let old = base();
        let mut new = base();
        new.package.name = "circles".into();
        new.name = "other".into();
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["package", "world"]);
        assert_eq!(c.incompatibilities[0].expected, "test:shapes");
        assert_eq!(c.incompatibilities[0].found, "test:circles");
        assert_eq!(c.incompatibilities[1].expected, "plugin");
        assert_eq!(c.incompatibilities[1].found, "other");

        let mut new = base();
        new.package.version = Some("2.0.0".into());
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["package"]);
        assert_eq!(
            c.incompatibilities[0].expected,
            "test:shapes@1.2.0 (compatibility line v1)"
        );
        assert_eq!(
            c.incompatibilities[0].found,
            "test:shapes@2.0.0 (compatibility line v2)"
        );
        // A minor release of the same line is fine.
        new.package.version = Some("1.9.1".into());
        assert!(compare(&old, &new).is_identical());
    }

    #[test]
    fn replaced_world_item_is_breaking() {
        let old = base();
        let mut new = base();
        new.exports.swap(0, 1);
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["types", "math"], "{c}");
        assert_eq!(
            c.incompatibilities[0].expected,
            "interface types at position 0"
        );
        assert_eq!(
            c.incompatibilities[0].found,
            "interface math at position 0 (types is at position 1)"
        );
        // A bare function where an interface was.
        let mut new = base();
        new.exports[1] = WorldItem::Function(func("math", &[], None));
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["math"]);
        assert_eq!(c.incompatibilities[0].found, "math: func() at position 1");
    }

    fn with_resource(methods: Vec<Function>) -> World {
        let mut functions = vec![Function {
            kind: FunctionKind::Constructor(0),
            ..func("new", &[], Some(Type::Id(1)))
        }];
        functions.extend(methods);
        let mut w = world(
            vec![
                named("io", "decoder", TypeDefKind::Resource),
                anon(TypeDefKind::Own { resource: 0 }),
                anon(TypeDefKind::List { ty: Type::U8 }),
            ],
            vec![iface("io", vec![0], functions)],
        );
        w.imports = vec![WorldItem::Function(func(
            "log",
            &[("msg", Type::String)],
            None,
        ))];
        w
    }

    #[test]
    fn resource_methods_are_a_prefix_list() {
        let push = method("push", 0, &[("data", Type::Id(2))]);
        let reset = method("reset", 0, &[]);
        let old = with_resource(vec![push.clone()]);
        let new = with_resource(vec![push.clone(), reset.clone()]);
        let c = compare(&old, &new);
        assert_eq!(c.change(), Change::Appended, "{c}");
        assert_eq!(c.only_found[0].item, "io.decoder.reset");
        assert_eq!(c.only_found[0].what, "reset: func()");

        // Plugin lacks `reset`: compatible, reported.
        let c = compare(&new, &old);
        assert_eq!(
            c.plugin_lacks()
                .map(|e| e.item.as_str())
                .collect::<Vec<_>>(),
            ["io.decoder.reset"]
        );

        // Retyped method.
        let mut push2 = push.clone();
        push2.params[0].ty = Type::String;
        let c = compare(&old, &with_resource(vec![push2]));
        assert_eq!(items(&c), ["io.decoder.push"]);
        assert_eq!(
            c.incompatibilities[0].expected,
            "push: func(data: list<u8>)"
        );
        assert_eq!(c.incompatibilities[0].found, "push: func(data: string)");

        // A method turned into a static function.
        let stat = Function {
            kind: FunctionKind::Static(0),
            ..push.clone()
        };
        // The vtable loses its last slot, the interface table gains one: compatible (the
        // host's calls of the method report PP_ERR_UNSUPPORTED), but not identical.
        let c = compare(&old, &with_resource(vec![stat]));
        assert_eq!(c.change(), Change::Truncated, "{c}");
        assert_eq!(c.only_expected[0].item, "io.decoder.push");
        assert_eq!(c.only_found[0].what, "static push: func(data: list<u8>)");
        // A method in place of another one is breaking.
        let c = compare(
            &with_resource(vec![push.clone(), reset.clone()]),
            &with_resource(vec![reset, push]),
        );
        assert_eq!(items(&c), ["io.decoder.push", "io.decoder.reset"], "{c}");
    }

    #[test]
    fn imports_are_compared_too() {
        let old = with_resource(vec![]);
        let mut new = with_resource(vec![]);
        new.imports[0] = WorldItem::Function(func("log", &[("msg", Type::U32)], None));
        let c = compare(&old, &new);
        assert_eq!(items(&c), ["log"]);
        assert_eq!(c.incompatibilities[0].side, Some(Side::Imports));
        assert!(c.incompatibilities[0]
            .to_string()
            .starts_with("import log: "));
    }

    #[test]
    fn same_name_in_another_interface_is_another_type() {
        let old = base();
        let mut new = base();
        new.types[0].interface = Some("geometry".into());
        let c = compare(&old, &new);
        assert!(!c.is_compatible());
        let area = c
            .incompatibilities
            .iter()
            .find(|i| i.item == "types.area")
            .expect("area reported");
        // Both print as `point`, so the message qualifies them.
        assert_eq!(area.expected, "area: func(p: types.point) -> f64");
        assert_eq!(area.found, "area: func(p: geometry.point) -> f64");
    }

    #[test]
    fn dangling_type_ids_do_not_panic() {
        let old = base();
        let mut new = base();
        math(&mut new)[0].params[0].ty = Type::Id(99);
        new.types[2].kind = TypeDefKind::List { ty: Type::Id(2) }; // self-reference
        let c = compare(&old, &new);
        assert!(!c.is_compatible());
        assert!(c.to_string().contains("<invalid type #99>"), "{c}");
    }

    #[test]
    fn renders_wit_like_text() {
        let w = World {
            types: vec![
                anon(TypeDefKind::Option { ty: Type::String }),
                anon(TypeDefKind::List { ty: Type::Id(0) }),
                anon(TypeDefKind::Result {
                    ok: None,
                    err: Some(Type::String),
                }),
                anon(TypeDefKind::Tuple {
                    types: vec![Type::U8, Type::Char],
                }),
                named("io", "decoder", TypeDefKind::Resource),
                anon(TypeDefKind::Borrow { resource: 4 }),
                named("io", "bytes", TypeDefKind::List { ty: Type::U8 }),
                anon(TypeDefKind::Result {
                    ok: Some(Type::U32),
                    err: None,
                }),
            ],
            ..base()
        };
        assert_eq!(render_type(&w, Type::Id(1)), "list<option<string>>");
        assert_eq!(render_type(&w, Type::Id(2)), "result<_, string>");
        assert_eq!(render_type(&w, Type::Id(3)), "tuple<u8, char>");
        assert_eq!(render_type(&w, Type::Id(5)), "borrow<decoder>");
        assert_eq!(render_type(&w, Type::Id(7)), "result<u32>");
        assert_eq!(render_typedef(&w, 4), "resource decoder");
        assert_eq!(render_typedef(&w, 6), "type bytes = list<u8>");
        assert_eq!(render_type(&w, Type::Id(6)), "bytes");
        assert_eq!(render_typedef_q(&w, 6, true), "type io.bytes = list<u8>");
        let b = base();
        assert_eq!(render_typedef(&b, 0), "record point { x: s32, y: s32 }");
    }
}
