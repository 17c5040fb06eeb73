//! Native Rust types of a world (`docs/abi.md` §3, the Rust column):
//!
//! | WIT | Rust |
//! |---|---|
//! | `bool`, integers, `f32`, `f64`, `char` | the same Rust primitive |
//! | `string` | `String` |
//! | `list<T>` | `Vec<T>` |
//! | `map<K, V>` | `BTreeMap<K, V>` (a received duplicate key is invalid data) |
//! | `list<T, N>` | `[T; N]` |
//! | `option<T>` / `result<T, E>` | `Option<T>` / `Result<T, E>` (`()` for `_`) |
//! | `tuple<A, B>` | `(A, B)` |
//! | `record` | struct with pub fields, `Debug, Clone, PartialEq` |
//! | `enum` | fieldless enum, `Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord` |
//! | `flags` | newtype over the storage integer with associated consts and set operations |
//! | `variant` | enum with payloads, `Debug, Clone, PartialEq` |
//! | `type a = b` | `pub type A = B;` |
//! | `resource r`, `own<r>` | struct `R` owning a handle (dropped through its vtable) |
//! | `borrow<r>` nested in a parameter | `ManuallyDrop<R>` (never dropped) |
//!
//! Types that contain handles only derive `Debug` (handles cannot be cloned or compared).

use plugport::ir::{Type, TypeDefKind, TypeId};

use super::idents::{camel, rs_ident, upper};
use super::{Gen, Out};

pub(crate) const STRING: &str = "::std::string::String";
pub(crate) const VEC: &str = "::std::vec::Vec";
/// The Rust type of `map<K, V>`: ordered, so that lowering a map gives its entries in one
/// order (sorted by key) every time (`docs/abi.md` §3, "Maps").
pub(crate) const MAP: &str = "::std::collections::BTreeMap";
pub(crate) const OPTION: &str = "::core::option::Option";
pub(crate) const RESULT: &str = "::core::result::Result";

impl Gen<'_> {
    /// The native Rust type of a type use, as seen from a module at `depth`.
    pub(crate) fn nty(&self, ty: &Type, depth: usize) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::S8 => "i8".into(),
            Type::S16 => "i16".into(),
            Type::S32 => "i32".into(),
            Type::S64 => "i64".into(),
            Type::U8 => "u8".into(),
            Type::U16 => "u16".into(),
            Type::U32 => "u32".into(),
            Type::U64 => "u64".into(),
            Type::F32 => "f32".into(),
            Type::F64 => "f64".into(),
            Type::Char => "char".into(),
            Type::String => STRING.into(),
            Type::Id(id) => self.nty_id(*id, depth),
        }
    }

    fn nty_id(&self, id: TypeId, depth: usize) -> String {
        let def = self.w.ty(id);
        if def.name.is_some() {
            return self.named_path(id, depth);
        }
        let opt = |t: &Option<Type>| t.as_ref().map_or("()".to_string(), |t| self.nty(t, depth));
        match &def.kind {
            TypeDefKind::List { ty } => format!("{VEC}<{}>", self.nty(ty, depth)),
            TypeDefKind::Map { key, value } => format!(
                "{MAP}<{}, {}>",
                self.nty(key, depth),
                self.nty(value, depth)
            ),
            TypeDefKind::FixedList { ty, len } => format!("[{}; {len}]", self.nty(ty, depth)),
            TypeDefKind::Option { ty } => format!("{OPTION}<{}>", self.nty(ty, depth)),
            TypeDefKind::Result { ok, err } => format!("{RESULT}<{}, {}>", opt(ok), opt(err)),
            TypeDefKind::Tuple { types } => {
                let parts: Vec<String> = types.iter().map(|t| self.nty(t, depth)).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
            TypeDefKind::Own { resource } => self.named_path(*resource, depth),
            TypeDefKind::Borrow { resource } => format!(
                "::core::mem::ManuallyDrop<{}>",
                self.named_path(*resource, depth)
            ),
            TypeDefKind::Alias { ty } => self.nty(ty, depth),
            // Named kinds always have a name; keep something that compiles.
            _ => "()".into(),
        }
    }

    /// Defines named type `id` in the current module (at `depth`).
    pub(crate) fn native_type(&self, o: &mut Out, id: TypeId, depth: usize) {
        let def = self.w.ty(id);
        let wit = def.name.as_deref().unwrap_or("anonymous");
        let name = camel(wit);
        let plain = !self.has_handle(Type::Id(id));
        let where_ = match &def.interface {
            Some(i) => format!("`{i}.{wit}`"),
            None => format!("`{wit}`"),
        };
        match &def.kind {
            TypeDefKind::Record { fields } => {
                o.line(&format!("/// WIT record {where_}."));
                o.line(if plain {
                    "#[derive(Debug, Clone, PartialEq)]"
                } else {
                    "#[derive(Debug)]"
                });
                o.open(&format!("pub struct {name}"));
                for f in fields {
                    o.line(&format!(
                        "pub {}: {},",
                        rs_ident(&f.name),
                        self.nty(&f.ty, depth)
                    ));
                }
                o.close();
            }
            TypeDefKind::Enum { cases } => {
                o.line(&format!("/// WIT enum {where_}."));
                o.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]");
                o.open(&format!("pub enum {name}"));
                for c in cases {
                    o.line(&format!("{},", camel(c)));
                }
                o.close();
            }
            TypeDefKind::Variant { cases } => {
                o.line(&format!("/// WIT variant {where_}."));
                o.line(if plain {
                    "#[derive(Debug, Clone, PartialEq)]"
                } else {
                    "#[derive(Debug)]"
                });
                o.open(&format!("pub enum {name}"));
                for c in cases {
                    match &c.ty {
                        Some(t) => o.line(&format!("{}({}),", camel(&c.name), self.nty(t, depth))),
                        None => o.line(&format!("{},", camel(&c.name))),
                    }
                }
                o.close();
            }
            TypeDefKind::Flags { flags } => self.flags_type(o, &name, &where_, flags),
            TypeDefKind::Alias { ty } => {
                o.line(&format!("/// WIT type alias {where_}."));
                o.line(&format!("pub type {name} = {};", self.nty(ty, depth)));
            }
            TypeDefKind::Resource => self.resource_wrapper(o, id, depth),
            // Anonymous kinds are never named: `type a = list<b>` is an alias.
            _ => {
                o.line(&format!("/// WIT type {where_}."));
                o.line(&format!("pub type {name} = {};", self.nty_id(id, depth)));
            }
        }
        o.line("");
    }

    fn flags_type(&self, o: &mut Out, name: &str, where_: &str, flags: &[String]) {
        let repr = Self::flags_ty(flags.len());
        let bits = match repr {
            "u8" => 8,
            "u16" => 16,
            "u32" => 32,
            _ => 64,
        };
        let mask: u64 = if flags.len() >= bits {
            u64::MAX >> (64 - bits)
        } else {
            (1u64 << flags.len()) - 1
        };
        o.line(&format!(
            "/// WIT flags {where_}: a set of the associated constants; never holds unknown bits."
        ));
        o.line("#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]");
        o.line(&format!("pub struct {name}({repr});"));
        o.open(&format!("impl {name}"));
        for (i, f) in flags.iter().enumerate() {
            o.line(&format!("/// Flag `{f}` (bit {i})."));
            o.line(&format!("pub const {}: Self = Self(1 << {i});", upper(f)));
        }
        o.line(&format!("const MASK: {repr} = {mask:#x};"));
        o.line("/// The empty set.");
        o.line("pub const fn empty() -> Self { Self(0) }");
        o.line("/// Every flag.");
        o.line("pub const fn all() -> Self { Self(Self::MASK) }");
        o.line("/// The bits (flag i is bit i).");
        o.line(&format!("pub const fn bits(self) -> {repr} {{ self.0 }}"));
        o.line("/// The set with these bits, or `None` if a bit is not a flag.");
        o.open(&format!(
            "pub const fn from_bits(bits: {repr}) -> ::core::option::Option<Self>"
        ));
        o.line("if bits & !Self::MASK == 0 { ::core::option::Option::Some(Self(bits)) } else { ::core::option::Option::None }");
        o.close();
        o.line("/// The set with these bits, unknown bits dropped.");
        o.line(&format!(
            "pub const fn from_bits_truncate(bits: {repr}) -> Self {{ Self(bits & Self::MASK) }}"
        ));
        o.line("/// True when every flag of `other` is in `self`.");
        o.line("pub const fn contains(self, other: Self) -> bool { self.0 & other.0 == other.0 }");
        o.line("/// True when no flag is set.");
        o.line("pub const fn is_empty(self) -> bool { self.0 == 0 }");
        o.line("/// Adds the flags of `other`.");
        o.line("pub fn insert(&mut self, other: Self) { self.0 |= other.0; }");
        o.line("/// Removes the flags of `other`.");
        o.line("pub fn remove(&mut self, other: Self) { self.0 &= !other.0; }");
        o.close();
        for (tr, m, op) in [
            ("BitOr", "bitor", "|"),
            ("BitAnd", "bitand", "&"),
            ("BitXor", "bitxor", "^"),
        ] {
            o.open(&format!("impl ::core::ops::{tr} for {name}"));
            o.line("type Output = Self;");
            o.line(&format!(
                "fn {m}(self, rhs: Self) -> Self {{ Self(self.0 {op} rhs.0) }}"
            ));
            o.close();
            o.open(&format!("impl ::core::ops::{tr}Assign for {name}"));
            o.line(&format!(
                "fn {m}_assign(&mut self, rhs: Self) {{ self.0 = self.0 {op} rhs.0; }}"
            ));
            o.close();
        }
        o.open(&format!("impl ::core::ops::Sub for {name}"));
        o.line("type Output = Self;");
        o.line("fn sub(self, rhs: Self) -> Self { Self(self.0 & !rhs.0) }");
        o.close();
        o.open(&format!("impl ::core::ops::Not for {name}"));
        o.line("type Output = Self;");
        o.line("fn not(self) -> Self { Self(!self.0 & Self::MASK) }");
        o.close();
        o.open(&format!("impl ::core::fmt::Debug for {name}"));
        o.open("fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result");
        o.line(&format!("f.write_str(\"{name}(\")?;"));
        o.line("let mut first = true;");
        for f in flags {
            o.open(&format!("if self.contains(Self::{})", upper(f)));
            o.line("if !first { f.write_str(\" | \")?; }");
            o.line("first = false;");
            o.line(&format!("f.write_str(\"{}\")?;", upper(f)));
            o.close();
        }
        o.line("if first { f.write_str(\"empty\")?; }");
        o.line("f.write_str(\")\")");
        o.close();
        o.close();
    }

    /// The struct that owns a resource handle, with the handle plumbing shared by both
    /// roles; role-specific methods are added by `call` and `implement`.
    fn resource_wrapper(&self, o: &mut Out, r: TypeId, depth: usize) {
        let def = self.w.ty(r);
        let wit = def.name.as_deref().unwrap_or("resource");
        let name = camel(wit);
        let handle = self.ffi_path(&self.c.type_id(r), depth);
        let vtable = self.ffi_path(&self.c.vtable(r), depth);
        let keep = self.keep_ty(depth);
        let implemented = self.implements_resource(r);
        if implemented {
            o.line(&format!(
                "/// An owned handle of resource `{wit}`, implemented on this side: create one with \
                 [`{name}::new`] from a value of your implementation, get the value back with \
                 [`{name}::get`] / [`{name}::into_inner`]. Dropping it drops the value."
            ));
        } else {
            o.line(&format!(
                "/// An owned handle of resource `{wit}`, implemented by the other side; its methods \
                 call through the resource's vtable, and dropping it calls the vtable's `drop` \
                 (`docs/abi.md` §5)."
            ));
        }
        o.open(&format!("pub struct {name}"));
        o.line("handle_self: ::core::sync::atomic::AtomicPtr<::core::ffi::c_void>,");
        o.line(&format!("vtable: *const {vtable},"));
        o.line(&format!("keep: {keep},"));
        o.close();
        o.line("// SAFETY: implementations are thread-safe (`docs/abi.md` §5 \"Threads\").");
        o.line(&format!("unsafe impl ::core::marker::Send for {name} {{}}"));
        o.line("// SAFETY: as above.");
        o.line(&format!("unsafe impl ::core::marker::Sync for {name} {{}}"));
        o.open(&format!("impl {name}"));
        o.line("/// Takes ownership of a raw handle; fails on a null `self` or `vtable`.");
        o.line("///");
        o.line("/// # Safety");
        o.line(
            "/// The handle must be owned by the caller and valid (its vtable stays valid while",
        );
        o.line("/// `keep` or the implementing side lives).");
        o.line("#[doc(hidden)]");
        o.open(&format!(
            "pub unsafe fn __from_handle(h: {handle}, keep: {keep}) -> {}<Self, {}>",
            super::types::RESULT,
            STRING
        ));
        o.open("if h.self_.is_null() || h.vtable.is_null()");
        o.line(&format!(
            "return ::core::result::Result::Err(::std::string::String::from(\"null handle of resource `{wit}`\"));"
        ));
        o.close();
        o.line("::core::result::Result::Ok(Self { handle_self: ::core::sync::atomic::AtomicPtr::new(h.self_), vtable: h.vtable, keep })");
        o.close();
        o.line("/// Gives up ownership of the handle (for passing it as `own`); `self` keeps a");
        o.line("/// null handle and drops nothing.");
        o.line("#[doc(hidden)]");
        o.open(&format!("pub fn __take_handle(&self) -> {handle}"));
        o.line(&format!(
            "{handle} {{ self_: self.handle_self.swap(::core::ptr::null_mut(), ::core::sync::atomic::Ordering::AcqRel), vtable: self.vtable }}"
        ));
        o.close();
        o.line("/// The handle, still owned by `self` (for passing it as `borrow`).");
        o.line("#[doc(hidden)]");
        o.open(&format!("pub fn __borrow_handle(&self) -> {handle}"));
        o.line(&format!(
            "{handle} {{ self_: self.handle_self.load(::core::sync::atomic::Ordering::Acquire), vtable: self.vtable }}"
        ));
        o.close();
        o.line("/// The raw handle, still owned by this object.");
        o.open(&format!("pub fn as_raw(&self) -> {handle}"));
        o.line("self.__borrow_handle()");
        o.close();
        o.line("/// Gives up ownership of the raw handle: the caller must drop it exactly once.");
        o.open(&format!("pub fn into_raw(self) -> {handle}"));
        o.line("self.__take_handle()");
        o.close();
        o.line("/// Takes ownership of a raw handle (`None` when `self` or `vtable` is null).");
        o.line("///");
        o.line("/// # Safety");
        o.line(
            "/// The handle must be owned by the caller, valid, and its implementation must stay",
        );
        o.line("/// loaded while the returned object lives.");
        o.open(&format!(
            "pub unsafe fn from_raw(h: {handle}) -> ::core::option::Option<Self>"
        ));
        o.line("Self::__from_handle(h, ::core::default::Default::default()).ok()");
        o.close();
        o.close();
        o.open(&format!("impl ::core::ops::Drop for {name}"));
        o.open("fn drop(&mut self)");
        o.line("let p = *self.handle_self.get_mut();");
        o.open("if !p.is_null() && !self.vtable.is_null()");
        o.line("// SAFETY: a non-null vtable of a handle we own (checked at creation).");
        o.line("let vt = unsafe { &*self.vtable };");
        o.open(&format!(
            "if vt.header.has_slot(::core::mem::offset_of!({vtable}, drop) + ::core::mem::size_of::<usize>())"
        ));
        o.open("if let ::core::option::Option::Some(d) = vt.drop");
        o.line("// SAFETY: we own the handle; `drop` is called exactly once.");
        o.line("unsafe { d(p) };");
        o.close();
        o.close();
        o.close();
        o.close();
        o.close();
        o.open(&format!("impl ::core::fmt::Debug for {name}"));
        o.open("fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result");
        o.line(&format!(
            "f.debug_struct(\"{name}\").field(\"self\", &self.handle_self.load(::core::sync::atomic::Ordering::Relaxed)).field(\"vtable\", &self.vtable).finish()"
        ));
        o.close();
        o.close();
        if implemented {
            self.implementer_wrapper_methods(o, r, depth);
        } else {
            self.caller_wrapper_methods(o, r, depth);
        }
    }
}
