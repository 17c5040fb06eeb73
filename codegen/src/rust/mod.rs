//! The Rust back end: guest (plugin) and host bindings for one world.
//!
//! [`generate`] produces one file that a user crate `include!`s (it refers to the runtime
//! as `::plugport::…`). Both sides get the same types; each interface has an
//! *implementer* role and a *caller* role (`docs/abi.md` §5 "Terms"):
//!
//! | side | implements | calls |
//! |---|---|---|
//! | [`Side::Guest`] | exports (traits `Guest`, `Guest<Resource>`, macro `export_<world>!`) | imports (free functions) |
//! | [`Side::Host`] | imports (traits `Host`, `Host<Resource>`, `ImportsImpl`) | exports (world struct, `Client`, resource wrappers) |
//!
//! Layout of the generated file (module paths relative to the `include!` site):
//!
//! - `WORLD_JSON`: the descriptor's world JSON (§7);
//! - `ffi`: `repr(C)` mirrors of every C type of the header, named by
//!   [`CNames`](crate::names) exactly as in C (fields that are Rust keywords get a
//!   trailing `_`, as bindgen does); unions of variants/results are named `<struct>_val`;
//! - `imports::<iface>` / `exports::<iface>`: native types of each interface (defined in the
//!   module of their defining interface, re-exported where used) and the role-specific
//!   code; bare world functions at `imports::` / `exports::` root;
//! - `__abi` (hidden): per-type conversion functions (`lift_*` validates and copies C
//!   values into native ones, `lower_*` borrows native values for arguments,
//!   `lower_owned_*` allocates results, `release_*` frees received results, §6);
//! - guest only: macro `export_<world>!`; host only: struct `<World>` and `ImportsImpl`.
//!
//! Submodules: [`idents`] (Rust identifiers), `types` (native types), `ffi` (C mirror),
//! `convert` (the `__abi` conversions), `implement` (implementer traits, trampolines and
//! tables), `call` (caller functions and wrappers), `guest` and `host` (side-specific
//! glue).

mod call;
mod convert;
mod ffi;
mod guest;
mod host;
pub mod idents;
mod implement;
mod out;
mod types;

use std::collections::{HashMap, HashSet};

use plugport::ir::{
    Function, FunctionKind, Interface, Type, TypeDefKind, TypeId, World, WorldItem,
};

use crate::names::CNames;
use crate::GeneratedFile;
use idents::{camel, rs_ident};
pub(crate) use out::Out;

/// Which side of the boundary the bindings are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The plugin: implements the world's exports, calls its imports.
    Guest,
    /// The application loading plugins: implements the imports, calls the exports.
    Host,
}

/// Generates the Rust bindings of `world` for `side`: a file named `<world>_guest.rs` or
/// `<world>_host.rs` (world name in snake_case) to be `include!`d by a crate that depends
/// on `plugport`.
pub fn generate(world: &World, side: Side) -> GeneratedFile {
    let g = Gen::new(world, side);
    let contents = g.file();
    let suffix = match side {
        Side::Guest => "guest",
        Side::Host => "host",
    };
    GeneratedFile {
        name: format!("{}_{suffix}.rs", plugport::ir::snake(&world.name)),
        contents,
    }
}

/// Imports or exports of the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dir {
    Imports,
    Exports,
}

impl Dir {
    pub(crate) fn module(self) -> &'static str {
        match self {
            Dir::Imports => "imports",
            Dir::Exports => "exports",
        }
    }
}

/// The generator's view of a world for one side.
pub(crate) struct Gen<'w> {
    pub w: &'w World,
    pub c: CNames<'w>,
    pub side: Side,
    /// Interface name → the direction module that defines its types.
    homes: HashMap<String, Dir>,
    /// Interfaces that are not world items but define types (only `use`d), with the
    /// direction module they are placed in.
    pub extra: Vec<(Dir, String)>,
}

/// How one function is reached: where its slot is and what its messages call it.
pub(crate) struct FnCtx<'a> {
    pub f: &'a Function,
    /// Rust field name of the slot in its table or vtable.
    pub slot: String,
    /// `ffi` struct name of the table or vtable that holds the slot.
    pub table: String,
    /// `iface.fn`, `iface.resource.method` or `fn`: the name used in messages.
    pub display: String,
}

impl<'w> Gen<'w> {
    pub(crate) fn new(w: &'w World, side: Side) -> Self {
        let mut homes = HashMap::new();
        for (dir, items) in [(Dir::Imports, &w.imports), (Dir::Exports, &w.exports)] {
            for item in items {
                if let WorldItem::Interface(i) = item {
                    homes.entry(i.name.clone()).or_insert(dir);
                }
            }
        }
        // Types-only interfaces: placed with the first world item that refers to them
        // (exports only when no import does).
        let mut extra = Vec::new();
        let mut seen = HashSet::new();
        for t in &w.types {
            if let (Some(_), Some(i)) = (&t.name, &t.interface) {
                if !homes.contains_key(i) && seen.insert(i.clone()) {
                    extra.push(i.clone());
                }
            }
        }
        let mut placed = Vec::new();
        for i in extra {
            let referenced_by_import = w.imports.iter().any(|item| Self::item_refers(w, item, &i));
            let referenced_by_export = w.exports.iter().any(|item| Self::item_refers(w, item, &i));
            let dir = if referenced_by_export && !referenced_by_import {
                Dir::Exports
            } else {
                Dir::Imports
            };
            homes.insert(i.clone(), dir);
            placed.push((dir, i));
        }
        Gen {
            w,
            c: CNames::new(w),
            side,
            homes,
            extra: placed,
        }
    }

    /// Does a world item use a type defined by interface `iface`?
    fn item_refers(w: &World, item: &WorldItem, iface: &str) -> bool {
        let mut tys: Vec<Type> = Vec::new();
        let add_fn = |f: &Function, tys: &mut Vec<Type>| {
            tys.extend(f.params.iter().map(|p| p.ty));
            tys.extend(f.result);
        };
        match item {
            WorldItem::Function(f) => add_fn(f, &mut tys),
            WorldItem::Interface(i) => {
                for f in &i.functions {
                    add_fn(f, &mut tys);
                }
                tys.extend(i.types.iter().map(|t| Type::Id(*t)));
            }
        }
        let mut seen = HashSet::new();
        while let Some(t) = tys.pop() {
            let Type::Id(id) = t else { continue };
            if !seen.insert(id) {
                continue;
            }
            let def = w.ty(id);
            if def.name.is_some() && def.interface.as_deref() == Some(iface) {
                return true;
            }
            tys.extend(children(&def.kind));
        }
        false
    }

    // ---- roles -------------------------------------------------------------------------

    /// Does this side implement the interfaces of `dir`?
    pub(crate) fn implements(&self, dir: Dir) -> bool {
        matches!(
            (self.side, dir),
            (Side::Guest, Dir::Exports) | (Side::Host, Dir::Imports)
        )
    }

    /// `Guest` or `Host`: the prefix of this side's implementer traits.
    pub(crate) fn role_trait(&self) -> &'static str {
        match self.side {
            Side::Guest => "Guest",
            Side::Host => "Host",
        }
    }

    /// The direction module where interface `iface`'s types live.
    pub(crate) fn home(&self, iface: &str) -> Dir {
        self.homes.get(iface).copied().unwrap_or(Dir::Imports)
    }

    /// Module path (from the root) of a named type's home: `exports::framing`, or `""`
    /// for world-level types.
    pub(crate) fn type_module(&self, id: TypeId) -> String {
        match &self.w.ty(id).interface {
            Some(i) => format!("{}::{}", self.home(i).module(), rs_ident(i)),
            None => String::new(),
        }
    }

    /// Is resource `r` implemented on this side?
    pub(crate) fn implements_resource(&self, r: TypeId) -> bool {
        match &self.w.ty(r).interface {
            Some(i) => self.implements(self.home(i)),
            // World-level resources do not exist in WIT; treat as imports.
            None => self.implements(Dir::Imports),
        }
    }

    // ---- paths -------------------------------------------------------------------------

    /// `super::` repeated `depth` times: the root of the generated file seen from a module
    /// at that depth.
    pub(crate) fn sup(depth: usize) -> String {
        "super::".repeat(depth)
    }

    /// Path of a named type (record, enum, alias, resource wrapper …) from `depth`.
    pub(crate) fn named_path(&self, id: TypeId, depth: usize) -> String {
        let def = self.w.ty(id);
        let name = camel(def.name.as_deref().unwrap_or("anonymous"));
        let m = self.type_module(id);
        if m.is_empty() {
            format!("{}{name}", Self::sup(depth))
        } else {
            format!("{}{m}::{name}", Self::sup(depth))
        }
    }

    /// `ffi::<name>` from `depth` (just `<name>` inside `ffi`).
    pub(crate) fn ffi_path(&self, cname: &str, depth: usize) -> String {
        format!("{}ffi::{cname}", Self::sup(depth))
    }

    /// `__abi::` from `depth`.
    pub(crate) fn abi(&self, depth: usize) -> String {
        format!("{}__abi::", Self::sup(depth))
    }

    /// `__Keep` from `depth`: what caller-side objects hold to keep the plugin loaded.
    pub(crate) fn keep_ty(&self, depth: usize) -> String {
        format!("{}__Keep", Self::sup(depth))
    }

    // ---- types -------------------------------------------------------------------------

    /// Follows aliases to the structural type.
    pub(crate) fn resolve(&self, ty: Type) -> Type {
        let mut t = ty;
        for _ in 0..self.w.types.len() + 1 {
            match t {
                Type::Id(id) => match &self.w.ty(id).kind {
                    TypeDefKind::Alias { ty } => t = *ty,
                    _ => return t,
                },
                _ => return t,
            }
        }
        t
    }

    /// The kind behind a (resolved) type id.
    pub(crate) fn kind(&self, id: TypeId) -> &'w TypeDefKind {
        &self.w.ty(id).kind
    }

    /// Integers and floats: their C and Rust representations are identical, so lists of
    /// them cross as slices without conversion.
    pub(crate) fn is_plain_num(ty: Type) -> bool {
        matches!(
            ty,
            Type::U8
                | Type::U16
                | Type::U32
                | Type::U64
                | Type::S8
                | Type::S16
                | Type::S32
                | Type::S64
                | Type::F32
                | Type::F64
        )
    }

    /// The element type when `ty` is (an alias of) `list<T>`.
    pub(crate) fn list_elem(&self, ty: Type) -> Option<Type> {
        match self.resolve(ty) {
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::List { ty } => Some(*ty),
                _ => None,
            },
            _ => None,
        }
    }

    /// Does a value of `ty` own memory when it is a result (strings, lists)?
    pub(crate) fn owns_memory(&self, ty: Type) -> bool {
        self.any_inside(ty, &|g, t| {
            matches!(t, Type::String)
                || matches!(t, Type::Id(id) if matches!(g.kind(id),
                    TypeDefKind::List { .. } | TypeDefKind::Map { .. }))
        })
    }

    /// Does `ty` contain a resource handle (own or borrow) anywhere?
    pub(crate) fn has_handle(&self, ty: Type) -> bool {
        self.any_inside(ty, &|g, t| {
            matches!(t, Type::Id(id) if matches!(g.kind(id),
                TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } | TypeDefKind::Resource))
        })
    }

    /// Does `ty` contain an owned handle anywhere (so that lowering consumes it)?
    pub(crate) fn has_own(&self, ty: Type) -> bool {
        self.any_inside(
            ty,
            &|g, t| matches!(t, Type::Id(id) if matches!(g.kind(id), TypeDefKind::Own { .. })),
        )
    }

    fn any_inside(&self, ty: Type, pred: &dyn Fn(&Self, Type) -> bool) -> bool {
        let mut stack = vec![ty];
        let mut seen = HashSet::new();
        while let Some(t) = stack.pop() {
            if pred(self, t) {
                return true;
            }
            if let Type::Id(id) = t {
                if seen.insert(id) {
                    stack.extend(children(self.kind(id)));
                }
            }
        }
        false
    }

    /// The C tag type (`u8`/`u16`/`u32`) of an enum or variant with `n` cases.
    pub(crate) fn tag_ty(n: usize) -> &'static str {
        if n <= 256 {
            "u8"
        } else if n <= 65536 {
            "u16"
        } else {
            "u32"
        }
    }

    /// The C storage type of flags with `n` members.
    pub(crate) fn flags_ty(n: usize) -> &'static str {
        match n {
            0..=8 => "u8",
            9..=16 => "u16",
            17..=32 => "u32",
            _ => "u64",
        }
    }

    // ---- functions ---------------------------------------------------------------------

    /// The package version packed for table headers of interface `iface` (§2).
    pub(crate) fn table_version(&self, iface: Option<&Interface>) -> u32 {
        iface
            .and_then(|i| i.package.as_ref())
            .unwrap_or(&self.w.package)
            .table_version()
    }

    /// Context of a function of an interface (or a bare world function).
    pub(crate) fn fn_ctx<'a>(
        &self,
        f: &'a Function,
        iface: Option<&'a Interface>,
        dir: Dir,
    ) -> FnCtx<'a> {
        let slot = idents::ffi_field(&self.c.slot(&f.name, f.kind));
        let (table, display) = match (iface, f.kind) {
            (Some(i), FunctionKind::Method(r)) => (
                self.c.vtable(r),
                format!("{}.{}.{}", i.name, self.res_name(r), f.name),
            ),
            (Some(i), FunctionKind::Constructor(r) | FunctionKind::Static(r)) => (
                self.c.table(&i.name),
                format!("{}.{}.{}", i.name, self.res_name(r), f.name),
            ),
            (Some(i), FunctionKind::Freestanding) => {
                (self.c.table(&i.name), format!("{}.{}", i.name, f.name))
            }
            (None, _) => (
                match dir {
                    Dir::Imports => self.c.imports(),
                    Dir::Exports => self.c.exports(),
                },
                f.name.clone(),
            ),
        };
        FnCtx {
            f,
            slot,
            table,
            display,
        }
    }

    /// WIT name of a resource.
    pub(crate) fn res_name(&self, r: TypeId) -> &'w str {
        self.w.ty(r).name.as_deref().unwrap_or("resource")
    }

    /// Resources defined by an interface, in WIT order.
    pub(crate) fn resources(&self, i: &Interface) -> Vec<TypeId> {
        i.types
            .iter()
            .copied()
            .filter(|t| matches!(self.kind(*t), TypeDefKind::Resource))
            .collect()
    }

    /// The world items of a direction, as (interfaces, bare functions).
    pub(crate) fn items(&self, dir: Dir) -> (Vec<&'w Interface>, Vec<&'w Function>) {
        let items = match dir {
            Dir::Imports => &self.w.imports,
            Dir::Exports => &self.w.exports,
        };
        let mut ifaces = Vec::new();
        let mut fns = Vec::new();
        for item in items {
            match item {
                WorldItem::Interface(i) => ifaces.push(i),
                WorldItem::Function(f) => fns.push(f),
            }
        }
        (ifaces, fns)
    }

    // ---- the file ----------------------------------------------------------------------

    fn file(&self) -> String {
        let mut o = Out::new();
        let side = match self.side {
            Side::Guest => "guest (plugin)",
            Side::Host => "host",
        };
        o.line(&format!(
            "// Rust {side} bindings of world `{}` of `{}`, generated by plugport. Do not edit.",
            self.w.name, self.w.package
        ));
        o.line(
            "// Include with `include!` in a crate that depends on `plugport`; see docs/abi.md.",
        );
        o.line("");
        o.line("/// The descriptor's world JSON (`docs/abi.md` §7): fingerprint and canonical IR.");
        let json = format!(
            "{{\"fingerprint\":\"{}\",\"world\":{}}}",
            self.w.fingerprint(),
            self.w.canonical_json()
        );
        o.line(&format!("pub const WORLD_JSON: &str = {json:?};"));
        o.line("");
        o.line("/// What objects of the other side hold to keep it alive (the loaded plugin).");
        o.line("#[doc(hidden)]");
        match self.side {
            Side::Guest => o.line("pub type __Keep = ();"),
            Side::Host => o.line(
                "pub type __Keep = ::core::option::Option<::std::sync::Arc<::plugport::loader::Plugin>>;",
            ),
        }
        o.line("");
        // World-level named types live at the root.
        let world_types: Vec<TypeId> = (0..self.w.types.len())
            .filter(|t| {
                let d = self.w.ty(*t);
                d.name.is_some() && d.interface.is_none()
            })
            .collect();
        for t in &world_types {
            self.native_type(&mut o, *t, 0);
        }
        self.ffi_module(&mut o);
        self.convert_module(&mut o);
        for dir in [Dir::Imports, Dir::Exports] {
            self.dir_module(&mut o, dir);
        }
        match self.side {
            Side::Guest => self.guest_root(&mut o),
            Side::Host => self.host_root(&mut o),
        }
        o.finish()
    }

    /// The lints generated modules allow: they are compiled in the user's crate.
    pub(crate) const ALLOWS: &'static str = "#[allow(dead_code, unused_imports, unused_unsafe, unused_mut, unused_variables, unused_parens, unused_braces, \
         non_camel_case_types, non_snake_case, non_upper_case_globals, missing_docs, \
         unsafe_op_in_unsafe_fn, unreachable_patterns, clippy::all, clippy::pedantic, \
         clippy::nursery, clippy::missing_safety_doc)]";

    /// `pub mod imports` / `pub mod exports`, with one submodule per interface.
    fn dir_module(&self, o: &mut Out, dir: Dir) {
        let (ifaces, fns) = self.items(dir);
        match dir {
            Dir::Imports => {
                o.line("/// What the host provides to the plugin (`docs/abi.md` §5 world tables).")
            }
            Dir::Exports => {
                o.line("/// What the plugin provides to the host (`docs/abi.md` §5 world tables).")
            }
        }
        o.line(Self::ALLOWS);
        o.open(&format!("pub mod {}", dir.module()));
        let mut done = HashSet::new();
        for i in &ifaces {
            if !done.insert(i.name.clone()) {
                continue;
            }
            self.iface_module(o, dir, Some(i), &i.name);
        }
        for (d, name) in &self.extra {
            if *d == dir && done.insert(name.clone()) {
                self.iface_module(o, dir, None, name);
            }
        }
        // Bare world functions.
        if self.implements(dir) {
            self.implementer_world(o, dir, &ifaces, &fns);
        } else {
            self.caller_world(o, dir, &fns);
        }
        o.close();
        o.line("");
    }

    /// One interface module: native types (or re-exports) and role code.
    fn iface_module(&self, o: &mut Out, dir: Dir, iface: Option<&Interface>, name: &str) {
        let depth = 2;
        match iface {
            Some(_) => o.line(&format!("/// Interface `{name}`.")),
            None => o.line(&format!(
                "/// Types of interface `{name}` (used by other interfaces)."
            )),
        }
        o.open(&format!("pub mod {}", rs_ident(name)));
        let defines_here = self.home(name) == dir;
        // Types defined by this interface.
        let own_types: Vec<TypeId> = (0..self.w.types.len())
            .filter(|t| {
                let d = self.w.ty(*t);
                d.name.is_some() && d.interface.as_deref() == Some(name)
            })
            .collect();
        let mut local_names = HashSet::new();
        for t in &own_types {
            local_names.insert(camel(self.w.ty(*t).name.as_deref().unwrap_or("")));
            if defines_here {
                self.native_type(o, *t, depth);
            } else {
                o.line(&format!("pub use {};", self.named_path(*t, depth)));
            }
        }
        // Re-export types of other interfaces used by this one's functions.
        if let Some(i) = iface {
            let mut used: Vec<TypeId> = Vec::new();
            let mut stack: Vec<Type> = Vec::new();
            for f in &i.functions {
                stack.extend(f.params.iter().map(|p| p.ty));
                stack.extend(f.result);
            }
            let mut seen = HashSet::new();
            while let Some(t) = stack.pop() {
                let Type::Id(id) = t else { continue };
                if !seen.insert(id) {
                    continue;
                }
                let def = self.w.ty(id);
                if def.name.is_some() && def.interface.as_deref() != Some(name) {
                    used.push(id);
                }
                if def.name.is_none() {
                    stack.extend(children(&def.kind));
                }
                if let TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } = def.kind {
                    stack.push(Type::Id(resource));
                }
            }
            used.sort_unstable();
            for id in used {
                let n = camel(self.w.ty(id).name.as_deref().unwrap_or(""));
                if local_names.insert(n) {
                    o.line(&format!("pub use {};", self.named_path(id, depth)));
                }
            }
        }
        if let Some(i) = iface {
            if self.implements(dir) {
                self.implementer_iface(o, dir, i);
            } else {
                self.caller_iface(o, dir, i);
            }
        }
        o.close();
    }
}

/// The types a type definition refers to directly.
pub(crate) fn children(kind: &TypeDefKind) -> Vec<Type> {
    match kind {
        TypeDefKind::Record { fields } => fields.iter().map(|f| f.ty).collect(),
        TypeDefKind::Tuple { types } => types.clone(),
        TypeDefKind::Variant { cases } => cases.iter().filter_map(|c| c.ty).collect(),
        TypeDefKind::Option { ty }
        | TypeDefKind::List { ty }
        | TypeDefKind::FixedList { ty, .. }
        | TypeDefKind::Alias { ty } => vec![*ty],
        TypeDefKind::Map { key, value } => vec![*key, *value],
        TypeDefKind::Result { ok, err } => ok.iter().chain(err.iter()).copied().collect(),
        TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
            vec![Type::Id(*resource)]
        }
        TypeDefKind::Flags { .. } | TypeDefKind::Enum { .. } | TypeDefKind::Resource => vec![],
    }
}

#[cfg(test)]
mod tests;
