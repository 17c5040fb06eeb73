//! How WIT types appear in C++ (`docs/cpp.md`, "Mapping"): four views of one type use.
//!
//! - [`Ctx::recv`]: a result a caller receives (owned, zero-copy): `pp::owned_string`,
//!   `pp::owned_list<C>`, `std::optional`, `pp::result`, resource client classes,
//!   `pp::owned<C>` for other C types that own memory, else the C type.
//! - [`Ctx::out`]: what a callee (server) returns: the same, except that a resource it
//!   implements is a `std::unique_ptr<R_server>` and other C types are plain C values.
//! - [`Ctx::arg_in`] / [`Ctx::to_c`]: a caller's argument (a view) and its C value.
//! - [`Ctx::arg_view`] / [`Ctx::view_of_c`]: a callee's argument (a view) from its C value.
//!
//! Resources are "same side" when their interface is in the same world direction
//! (exports or imports) as the function's interface: the callee implements them. Only
//! top-level handles (and those under `option`/`result` of results) get classes; nested
//! ones stay C handles.

use plugport::ir::{Type, TypeDefKind, TypeId};

use super::Ctx;

/// A scalar's C++ type, or `None` for strings and compound types.
fn scalar(ty: &Type) -> Option<&'static str> {
    Some(match ty {
        Type::Bool => "bool",
        Type::Char => "char32_t",
        Type::S8 => "int8_t",
        Type::S16 => "int16_t",
        Type::S32 => "int32_t",
        Type::S64 => "int64_t",
        Type::U8 => "uint8_t",
        Type::U16 => "uint16_t",
        Type::U32 => "uint32_t",
        Type::U64 => "uint64_t",
        Type::F32 => "float",
        Type::F64 => "double",
        Type::String | Type::Id(_) => return None,
    })
}

impl Ctx<'_> {
    /// The type behind any chain of aliases.
    pub(super) fn resolve(&self, ty: &Type) -> Type {
        let mut t = *ty;
        while let Type::Id(id) = t {
            match &self.world.ty(id).kind {
                TypeDefKind::Alias { ty } => t = *ty,
                _ => break,
            }
        }
        t
    }

    /// The C type of a type use.
    pub(super) fn c(&self, ty: &Type) -> String {
        self.names.ty(ty)
    }

    /// The C type of a type use, qualified for use inside C++ namespaces.
    pub(super) fn cq(&self, ty: &Type) -> String {
        let c = self.c(ty);
        if scalar(ty).is_some() {
            c
        } else {
            format!("::{c}")
        }
    }

    /// True when a value of `ty` owns memory or handles (strings, lists, handles, or
    /// anything containing them): its C type has a `_release` helper.
    pub(super) fn owns(&self, ty: &Type) -> bool {
        self.owning.owns(ty)
    }

    /// The validator of a type use (`pp_string_check`, `<T>_check`), or `None` when every
    /// C value of it is valid (the C back end's rule, `docs/abi.md` section 11).
    pub(super) fn check_fn(&self, ty: &Type) -> Option<String> {
        fn needs(cx: &Ctx, ty: &Type, depth: usize) -> bool {
            if depth > 80 {
                return true;
            }
            match ty {
                Type::Bool | Type::Char | Type::String => true,
                Type::Id(id) => match &cx.world.ty(*id).kind {
                    TypeDefKind::Record { fields } => {
                        fields.iter().any(|f| needs(cx, &f.ty, depth + 1))
                    }
                    TypeDefKind::Tuple { types } => types.iter().any(|t| needs(cx, t, depth + 1)),
                    TypeDefKind::Alias { ty } | TypeDefKind::FixedList { ty, .. } => {
                        needs(cx, ty, depth + 1)
                    }
                    TypeDefKind::Flags { flags } => {
                        (flags.len() as u64) < plugport::layout::flags_bytes(flags.len()) * 8
                    }
                    TypeDefKind::Enum { cases } => {
                        let n = cases.len();
                        n as u64 != 1u64 << (plugport::layout::tag_bytes(n) * 8).min(63)
                    }
                    _ => true,
                },
                _ => false,
            }
        }
        if !needs(self, ty, 0) {
            return None;
        }
        Some(match ty {
            Type::Bool => "pp_bool_check".into(),
            Type::Char => "pp_char_check".into(),
            Type::String => "pp_string_check".into(),
            Type::Id(id) => format!("::{}_check", self.names.type_id(*id)),
            _ => unreachable!("other scalars are always valid"),
        })
    }

    /// The resource behind an `own` / `borrow` handle type use, with `true` for `own`.
    pub(super) fn handle(&self, ty: &Type) -> Option<(TypeId, bool)> {
        match self.resolve(ty) {
            Type::Id(id) => match &self.world.ty(id).kind {
                TypeDefKind::Own { resource } => Some((*resource, true)),
                TypeDefKind::Borrow { resource } => Some((*resource, false)),
                _ => None,
            },
            _ => None,
        }
    }

    /// True when resource `r` lives in the same world direction as interface `iface`
    /// (so the callee of `iface`'s functions implements it). Resources of interfaces that
    /// are not world items count as same side.
    pub(super) fn same_side(&self, r: TypeId, iface: Option<&str>) -> bool {
        let dir_of = |name: Option<&str>| name.and_then(|n| self.direction.get(n).copied());
        let rd = dir_of(self.world.ty(r).interface.as_deref());
        let fd = match iface {
            Some(i) => dir_of(Some(i)),
            None => None,
        };
        match (rd, fd) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// `::ns::iface::name`: the qualified C++ name of named type or resource `id`.
    pub(super) fn qualified(&self, id: TypeId, suffix: &str) -> String {
        let def = self.world.ty(id);
        let name = self.ident(def.name.as_deref().unwrap_or("anon"));
        match &def.interface {
            Some(i) => format!("::{}::{}::{name}{suffix}", self.ns, self.ident(i)),
            None => format!("::{}::{name}{suffix}", self.ns),
        }
    }

    /// A received (owned) result of `ty` in `iface`'s function.
    pub(super) fn recv(&self, ty: &Type, iface: Option<&str>) -> String {
        self.owned_view(ty, iface, false)
    }

    /// What a callee returns for `ty`.
    pub(super) fn out(&self, ty: &Type, iface: Option<&str>) -> String {
        self.owned_view(ty, iface, true)
    }

    fn owned_view(&self, ty: &Type, iface: Option<&str>, callee: bool) -> String {
        if let Some(s) = scalar(ty) {
            return s.into();
        }
        if *ty == Type::String {
            return "::pp::owned_string".into();
        }
        let t = self.resolve(ty);
        let Type::Id(id) = t else {
            return self.owned_view(&t, iface, callee);
        };
        match &self.world.ty(id).kind {
            TypeDefKind::Enum { .. } => self.qualified(id, ""),
            TypeDefKind::List { ty } => format!("::pp::owned_list<{}>", self.cq(ty)),
            // A map is its entries (`docs/cpp.md`, "Mapping"); a fixed list of elements
            // that own nothing a `std::array` of their C values.
            TypeDefKind::Map { .. } => format!("::pp::owned_list<::{}>", self.names.map_entry(id)),
            TypeDefKind::FixedList { ty, len } if !self.owns(&t) => {
                format!("::std::array<{}, {len}>", self.cq(ty))
            }
            TypeDefKind::Option { ty } => {
                format!("::std::optional<{}>", self.owned_view(ty, iface, callee))
            }
            TypeDefKind::Result { ok, err } => format!(
                "::pp::result<{}, {}>",
                ok.as_ref()
                    .map_or("void".into(), |t| self.owned_view(t, iface, callee)),
                err.as_ref()
                    .map_or("::pp::unit".into(), |t| self.owned_view(t, iface, callee))
            ),
            TypeDefKind::Own { resource } => {
                let same = self.same_side(*resource, iface);
                match (callee, same) {
                    (true, true) => {
                        format!(
                            "::std::unique_ptr<{}>",
                            self.qualified(*resource, "_server")
                        )
                    }
                    (false, true) | (true, false) => self.qualified(*resource, ""),
                    (false, false) => self.cq(&t),
                }
            }
            _ if !callee && self.owns(&t) => format!("::pp::owned<{}>", self.cq(&t)),
            _ => self.cq(&t),
        }
    }

    /// A caller's argument type for `ty`.
    pub(super) fn arg_in(&self, ty: &Type, iface: Option<&str>) -> String {
        if let Some(s) = scalar(ty) {
            return s.into();
        }
        if *ty == Type::String {
            return "::std::string_view".into();
        }
        let t = self.resolve(ty);
        let Type::Id(id) = t else {
            return self.arg_in(&t, iface);
        };
        match &self.world.ty(id).kind {
            TypeDefKind::Enum { .. } => self.qualified(id, ""),
            TypeDefKind::List { ty } => format!("::pp::span<const {}>", self.cq(ty)),
            TypeDefKind::Map { .. } => {
                format!("::pp::span<const ::{}>", self.names.map_entry(id))
            }
            TypeDefKind::FixedList { ty, len } => {
                format!("const ::std::array<{}, {len}>&", self.cq(ty))
            }
            TypeDefKind::Own { resource } if self.same_side(*resource, iface) => {
                format!("{}&&", self.qualified(*resource, ""))
            }
            TypeDefKind::Borrow { resource } if self.same_side(*resource, iface) => {
                format!("{}::ref", self.qualified(*resource, ""))
            }
            _ => format!("const {}&", self.cq(&t)),
        }
    }

    /// The C value of a caller's argument `x` of type `ty`.
    pub(super) fn to_c(&self, ty: &Type, iface: Option<&str>, x: &str) -> String {
        match ty {
            Type::Bool => return format!("static_cast<uint8_t>({x} ? 1 : 0)"),
            Type::Char => return format!("static_cast<uint32_t>({x})"),
            Type::String => return format!("::pp::detail::str({x})"),
            Type::Id(_) => {}
            _ => return x.into(),
        }
        let t = self.resolve(ty);
        let Type::Id(id) = t else {
            return self.to_c(&t, iface, x);
        };
        match &self.world.ty(id).kind {
            TypeDefKind::Enum { .. } => format!("static_cast<{}>({x})", self.cq(&t)),
            TypeDefKind::List { ty: e } => {
                format!("::pp::detail::list<{}, {}>({x})", self.cq(&t), self.cq(e))
            }
            TypeDefKind::Map { .. } => format!(
                "::pp::detail::list<{}, ::{}>({x})",
                self.cq(&t),
                self.names.map_entry(id)
            ),
            TypeDefKind::FixedList { .. } => format!("::pp::detail::fixed<{}>({x})", self.cq(&t)),
            TypeDefKind::Own { resource } if self.same_side(*resource, iface) => {
                format!("{x}.release()")
            }
            TypeDefKind::Borrow { resource } if self.same_side(*resource, iface) => {
                format!("{x}.c_handle()")
            }
            _ => x.into(),
        }
    }

    /// A callee's argument type for `ty`.
    pub(super) fn arg_view(&self, ty: &Type, iface: Option<&str>) -> String {
        if let Some(s) = scalar(ty) {
            return s.into();
        }
        if *ty == Type::String {
            return "::std::string_view".into();
        }
        let t = self.resolve(ty);
        let Type::Id(id) = t else {
            return self.arg_view(&t, iface);
        };
        match &self.world.ty(id).kind {
            TypeDefKind::Enum { .. } => self.qualified(id, ""),
            TypeDefKind::List { ty } => format!("::pp::span<const {}>", self.cq(ty)),
            TypeDefKind::Map { .. } => {
                format!("::pp::span<const ::{}>", self.names.map_entry(id))
            }
            TypeDefKind::FixedList { ty, len } => format!("::std::array<{}, {len}>", self.cq(ty)),
            TypeDefKind::Own { resource } => {
                if self.same_side(*resource, iface) {
                    format!(
                        "::std::unique_ptr<{}>",
                        self.qualified(*resource, "_server")
                    )
                } else {
                    self.qualified(*resource, "")
                }
            }
            TypeDefKind::Borrow { resource } => {
                if self.same_side(*resource, iface) {
                    format!("{}&", self.qualified(*resource, "_server"))
                } else {
                    format!("{}::ref", self.qualified(*resource, ""))
                }
            }
            _ => format!("const {}&", self.cq(&t)),
        }
    }

    /// The callee's C++ argument from the C value `x` (already validated).
    pub(super) fn view_of_c(&self, ty: &Type, iface: Option<&str>, x: &str) -> String {
        match ty {
            Type::Bool => return format!("({x} != 0)"),
            Type::Char => return format!("static_cast<char32_t>({x})"),
            Type::String => return format!("::pp::detail::view({x})"),
            Type::Id(_) => {}
            _ => return x.into(),
        }
        let t = self.resolve(ty);
        let Type::Id(id) = t else {
            return self.view_of_c(&t, iface, x);
        };
        match &self.world.ty(id).kind {
            TypeDefKind::Enum { .. } => format!("static_cast<{}>({x})", self.qualified(id, "")),
            TypeDefKind::List { ty: e } => {
                format!("::pp::detail::list_view<{}>({x})", self.cq(e))
            }
            TypeDefKind::Map { .. } => format!(
                "::pp::detail::list_view<::{}>({x})",
                self.names.map_entry(id)
            ),
            TypeDefKind::FixedList { .. } => format!("::pp::detail::array_of({x}.elems)"),
            TypeDefKind::Own { resource } => {
                if self.same_side(*resource, iface) {
                    let s = self.qualified(*resource, "_server");
                    format!("::std::unique_ptr<{s}>(static_cast<{s}*>({x}.self))")
                } else {
                    format!("{}({x})", self.qualified(*resource, ""))
                }
            }
            TypeDefKind::Borrow { resource } => {
                if self.same_side(*resource, iface) {
                    let s = self.qualified(*resource, "_server");
                    format!("*static_cast<{s}*>({x}.self)")
                } else {
                    format!("{}::ref({x})", self.qualified(*resource, ""))
                }
            }
            _ => x.into(),
        }
    }
}
