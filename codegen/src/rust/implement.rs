//! The implementer role (guest exports, host imports): traits the user implements,
//! `extern "C"` trampolines that validate arguments, call the trait, allocate results and
//! turn panics into `PP_ERR_PANIC` (`docs/abi.md` §1.4, §1.5, §5, §6), and the function
//! tables built from them as constants.
//!
//! Shapes (`Guest` on the guest side, `Host` on the host side):
//!
//! ```text
//! pub trait Guest: 'static {                       // one per interface
//!     type Decoder: GuestDecoder;                   // one per resource of the interface
//!     fn encode(frame: Frame) -> Result<Vec<u8>, CodecError>;
//! }
//! pub trait GuestDecoder: Send + Sync + 'static {  // one per resource
//!     fn new(max_frame: u32) -> Self;               // constructor
//!     fn push(&self, data: &[u8]) -> Result<u32, CodecError>;
//! }
//! ```
//!
//! Parameters: `string` → `&str`, `list<number>` → `&[T]`, `own<R>` / `borrow<R>` of a
//! resource of the same interface → the implementation type / `&` it, `borrow` of other
//! resources → `&Wrapper`, everything else owned. Handles of this side's resources that
//! come back are checked to carry this side's vtable (else `PP_ERR_INVALID_ARGUMENT`).

use plugport::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, TypeId};

use super::idents::{camel, rs_ident};
use super::{Dir, FnCtx, Gen, Out};

/// Resources that cross as the implementation type in one trait's signatures:
/// `(resource, type in the trait, type in the trampoline)`.
type ImplMap = Vec<(TypeId, String, String)>;

impl Gen<'_> {
    fn impl_trait_name(&self, r: TypeId) -> String {
        format!("{}{}", self.role_trait(), camel(self.res_name(r)))
    }

    /// Path of the module that holds resource `r`'s implementer code, from `depth`.
    fn res_module(&self, r: TypeId, depth: usize) -> String {
        let m = self.type_module(r);
        if m.is_empty() {
            Self::sup(depth)
        } else {
            format!("{}{m}::", Self::sup(depth))
        }
    }

    fn res_snake(&self, r: TypeId) -> String {
        plugport::ir::snake(self.res_name(r))
    }

    /// Parameter type of an implementer trait function.
    fn impl_param_ty(&self, ty: &Type, map: &ImplMap, in_trait: bool, depth: usize) -> String {
        let pick = |r: TypeId| {
            map.iter()
                .find(|(id, _, _)| *id == r)
                .map(|(_, t, x)| if in_trait { t.clone() } else { x.clone() })
        };
        match self.resolve(*ty) {
            Type::String => "&str".into(),
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::List { ty: e } if Self::is_plain_num(self.resolve(*e)) => {
                    format!("&[{}]", self.nty(e, depth))
                }
                TypeDefKind::Own { resource } => {
                    pick(*resource).unwrap_or_else(|| self.nty(ty, depth))
                }
                TypeDefKind::Borrow { resource } => format!(
                    "&{}",
                    pick(*resource).unwrap_or_else(|| self.named_path(*resource, depth))
                ),
                _ => self.nty(ty, depth),
            },
            _ => self.nty(ty, depth),
        }
    }

    /// Result type of an implementer trait function (`None` without result).
    fn impl_result_ty(
        &self,
        f: &Function,
        map: &ImplMap,
        in_trait: bool,
        depth: usize,
    ) -> Option<String> {
        f.result.as_ref().map(|ty| match self.resolve(*ty) {
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::Own { resource } => map
                    .iter()
                    .find(|(r, _, _)| r == resource)
                    .map(|(_, t, x)| if in_trait { t.clone() } else { x.clone() })
                    .unwrap_or_else(|| self.nty(ty, depth)),
                _ => self.nty(ty, depth),
            },
            _ => self.nty(ty, depth),
        })
    }

    fn trait_fn(&self, o: &mut Out, f: &Function, map: &ImplMap, depth: usize, display: &str) {
        let mut params = Vec::new();
        if let FunctionKind::Method(_) = f.kind {
            params.push("&self".to_string());
        }
        for p in &f.params {
            params.push(format!(
                "{}: {}",
                rs_ident(&p.name),
                self.impl_param_ty(&p.ty, map, true, depth)
            ));
        }
        let name = match f.kind {
            FunctionKind::Constructor(_) => "new".to_string(),
            _ => rs_ident(&f.name),
        };
        let ret = self
            .impl_result_ty(f, map, true, depth)
            .map(|r| format!(" -> {r}"))
            .unwrap_or_default();
        let what = match f.kind {
            FunctionKind::Constructor(_) => "constructor",
            FunctionKind::Static(_) => "static function",
            FunctionKind::Method(_) => "method",
            FunctionKind::Freestanding => "function",
        };
        o.line(&format!("/// WIT {what} `{display}`."));
        let sized = if matches!(f.kind, FunctionKind::Constructor(_))
            || f.result.is_some() && ret.contains("Self") && !ret.contains("Self::")
        {
            " where Self: Sized"
        } else {
            ""
        };
        o.line(&format!("fn {name}({}){ret}{sized};", params.join(", ")));
    }

    /// Implementer code of one interface: traits, trampolines, vtables and the table.
    pub(crate) fn implementer_iface(&self, o: &mut Out, dir: Dir, i: &Interface) {
        let depth = 2;
        let role = self.role_trait();
        let resources = self.resources(i);
        // The interface trait.
        let iface_map: ImplMap = resources
            .iter()
            .map(|r| {
                let c = camel(self.res_name(*r));
                (*r, format!("Self::{c}"), format!("<P as {role}>::{c}"))
            })
            .collect();
        o.line(&format!(
            "/// Implement this for your type to provide interface `{}` (`docs/abi.md` §5).",
            i.name
        ));
        o.open(&format!("pub trait {role}: 'static"));
        for r in &resources {
            o.line(&format!(
                "/// The implementation of resource `{}`.",
                self.res_name(*r)
            ));
            o.line(&format!(
                "type {}: {};",
                camel(self.res_name(*r)),
                self.impl_trait_name(*r)
            ));
        }
        for f in i
            .functions
            .iter()
            .filter(|f| f.kind == FunctionKind::Freestanding)
        {
            self.trait_fn(o, f, &iface_map, depth, &format!("{}.{}", i.name, f.name));
        }
        o.close();
        // Resource traits.
        for r in &resources {
            let res_map: ImplMap = vec![(*r, "Self".into(), String::new())];
            o.line(&format!(
                "/// Implement this for the type of resource `{}`; it must be thread-safe.",
                self.res_name(*r)
            ));
            o.open(&format!(
                "pub trait {}: ::core::marker::Send + ::core::marker::Sync + 'static",
                self.impl_trait_name(*r)
            ));
            for f in &i.functions {
                match f.kind {
                    FunctionKind::Constructor(x)
                    | FunctionKind::Static(x)
                    | FunctionKind::Method(x)
                        if x == *r =>
                    {
                        let disp = format!("{}.{}.{}", i.name, self.res_name(*r), f.name);
                        self.trait_fn(o, f, &res_map, depth, &disp);
                    }
                    _ => {}
                }
            }
            o.close();
            self.resource_impl_fns(o, dir, i, *r);
        }
        // Trampolines of the interface table.
        let mut slots = Vec::new();
        for f in i
            .functions
            .iter()
            .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
        {
            let cx = self.fn_ctx(f, Some(i), dir);
            let tramp = format!("__tramp_{}", cx.slot.trim_start_matches("r#"));
            let (map, call) = match f.kind {
                FunctionKind::Constructor(r) | FunctionKind::Static(r) => {
                    let c = camel(self.res_name(r));
                    let name = if let FunctionKind::Constructor(_) = f.kind {
                        "new".to_string()
                    } else {
                        rs_ident(&f.name)
                    };
                    (
                        vec![(r, String::new(), format!("<P as {role}>::{c}"))],
                        format!(
                            "<<P as {role}>::{c} as {}>::{name}",
                            self.impl_trait_name(r)
                        ),
                    )
                }
                _ => (
                    iface_map.clone(),
                    format!("<P as {role}>::{}", rs_ident(&f.name)),
                ),
            };
            self.trampoline(o, &cx, &tramp, &format!("P: {role}"), &map, &call, depth);
            slots.push((cx.slot.clone(), tramp));
        }
        // The table.
        let table = self.ffi_path(&self.c.table(&i.name), depth);
        o.line("#[doc(hidden)]");
        o.line("pub struct __Table<P>(::core::marker::PhantomData<P>);");
        o.open(&format!("impl<P: {role}> __Table<P>"));
        o.line("/// The interface's function table for implementation `P`.");
        o.open(&format!("pub const TABLE: {table} = {table}"));
        o.line(&self.header_init(&table, Some(i)));
        for (slot, tramp) in slots {
            o.line(&format!(
                "{slot}: ::core::option::Option::Some({tramp}::<P>),"
            ));
        }
        o.line("};");
        o.close();
    }

    /// `header: PpTableHeader { … },` for a table type.
    pub(crate) fn header_init(&self, table: &str, iface: Option<&Interface>) -> String {
        format!(
            "header: ::plugport::abi::PpTableHeader {{ size: ::core::mem::size_of::<{table}>() as u32, version: {:#x}, dealloc: ::core::option::Option::Some(::plugport::abi::rust_dealloc) }},",
            self.table_version(iface)
        )
    }

    /// Vtable, handle helpers and method trampolines of a resource implemented here.
    fn resource_impl_fns(&self, o: &mut Out, dir: Dir, i: &Interface, r: TypeId) {
        let depth = 2;
        let tr = self.impl_trait_name(r);
        let rs = self.res_snake(r);
        let wit = self.res_name(r);
        let vt = self.ffi_path(&self.c.vtable(r), depth);
        let h = self.ffi_path(&self.c.type_id(r), depth);
        let wrapper = self.named_path(r, depth);
        let mut slots = Vec::new();
        for f in self.methods(r) {
            let cx = self.fn_ctx(f, Some(i), dir);
            let tramp = format!("__m_{rs}_{}", cx.slot.trim_start_matches("r#"));
            let map: ImplMap = vec![(r, String::new(), "T".into())];
            let call = format!("<T as {tr}>::{}", rs_ident(&f.name));
            self.trampoline(o, &cx, &tramp, &format!("T: {tr}"), &map, &call, depth);
            slots.push((cx.slot.clone(), tramp));
        }
        o.line(&format!(
            "/// The vtable of resource `{wit}` for implementation `T`: one address per `T`."
        ));
        o.line("#[doc(hidden)]");
        o.open(&format!("pub fn __vtable_{rs}<T: {tr}>() -> &'static {vt}"));
        o.open(&format!("::plugport::rt::type_static::<T, {vt}>(|| {vt}"));
        o.line(&self.header_init(&vt, Some(i)));
        o.line("drop: ::core::option::Option::Some(::plugport::rt::drop_box::<T>),");
        for (slot, tramp) in slots {
            o.line(&format!(
                "{slot}: ::core::option::Option::Some({tramp}::<T>),"
            ));
        }
        o.line("})");
        o.close();
        o.line("/// A new handle owning `v` (§5).");
        o.line("#[doc(hidden)]");
        o.open(&format!("pub fn __new_handle_{rs}<T: {tr}>(v: T) -> {h}"));
        o.line(&format!(
            "{h} {{ self_: ::plugport::rt::box_into_self(v), vtable: __vtable_{rs}::<T>() }}"
        ));
        o.close();
        let checks = format!(
            "if h.self_.is_null() || h.vtable.is_null() {{ return ::core::result::Result::Err(::std::string::String::from(\"null handle of resource `{wit}`\")); }}"
        );
        let foreign = format!(
            "::std::string::String::from(\"the handle of resource `{wit}` was not created by this implementation\")"
        );
        o.line(
            "/// Takes an owned handle that must come from implementation `T`; a foreign one is",
        );
        o.line("/// dropped through its own vtable and rejected.");
        o.line("#[doc(hidden)]");
        o.open(&format!(
            "pub unsafe fn __own_{rs}<T: {tr}>(h: {h}) -> ::core::result::Result<T, ::std::string::String>"
        ));
        o.line(&checks);
        o.open(&format!(
            "if !::core::ptr::eq(h.vtable, __vtable_{rs}::<T>())"
        ));
        o.line(&format!(
            "::core::mem::drop(unsafe {{ {wrapper}::__from_handle(h, ::core::default::Default::default()) }});"
        ));
        o.line(&format!("return ::core::result::Result::Err({foreign});"));
        o.close();
        o.line("::core::result::Result::Ok(unsafe { ::plugport::rt::unbox_self::<T>(h.self_) })");
        o.close();
        o.line("/// Borrows a handle that must come from implementation `T`.");
        o.line("#[doc(hidden)]");
        o.open(&format!(
            "pub unsafe fn __borrow_{rs}<'a, T: {tr}>(h: {h}) -> ::core::result::Result<&'a T, ::std::string::String>"
        ));
        o.line(&checks);
        o.open(&format!(
            "if !::core::ptr::eq(h.vtable, __vtable_{rs}::<T>())"
        ));
        o.line(&format!("return ::core::result::Result::Err({foreign});"));
        o.close();
        o.line("::core::result::Result::Ok(unsafe { &*(h.self_ as *const T) })");
        o.close();
    }

    /// `new` / `get` / `into_inner` on the wrapper of a resource implemented here.
    pub(crate) fn implementer_wrapper_methods(&self, o: &mut Out, r: TypeId, depth: usize) {
        let m = self.res_module(r, depth);
        let tr = format!("{m}{}", self.impl_trait_name(r));
        let vt = format!("{m}__vtable_{}", self.res_snake(r));
        let name = camel(self.res_name(r));
        o.open(&format!("impl {name}"));
        o.line("/// A handle that owns `value` (an implementation of the resource).");
        o.open(&format!("pub fn new<T: {tr}>(value: T) -> Self"));
        o.line(&format!(
            "Self {{ handle_self: ::core::sync::atomic::AtomicPtr::new(::plugport::rt::box_into_self(value)), vtable: {vt}::<T>(), keep: ::core::default::Default::default() }}"
        ));
        o.close();
        o.line("/// The implementation value, if this handle owns a `T` created on this side.");
        o.open(&format!(
            "pub fn get<T: {tr}>(&self) -> ::core::option::Option<&T>"
        ));
        o.line("let p = self.handle_self.load(::core::sync::atomic::Ordering::Acquire);");
        o.open(&format!(
            "if p.is_null() || !::core::ptr::eq(self.vtable, {vt}::<T>())"
        ));
        o.line("return ::core::option::Option::None;");
        o.close();
        o.line("// SAFETY: the vtable identifies the handle as a boxed `T` made by `new`.");
        o.line("::core::option::Option::Some(unsafe { &*(p as *const T) })");
        o.close();
        o.line(
            "/// Takes the implementation value out (or gives the handle back if it is not a `T`).",
        );
        o.open(&format!(
            "pub fn into_inner<T: {tr}>(self) -> ::core::result::Result<T, Self>"
        ));
        o.open("if self.get::<T>().is_none()");
        o.line("return ::core::result::Result::Err(self);");
        o.close();
        o.line("let h = self.__take_handle();");
        o.line("// SAFETY: checked above: a boxed `T` that we own.");
        o.line("::core::result::Result::Ok(unsafe { ::plugport::rt::unbox_self::<T>(h.self_) })");
        o.close();
        o.close();
    }

    /// One `extern "C"` trampoline: validates and lifts arguments, calls `call`, lowers
    /// the result into `*ret`; panics and rejected arguments become statuses.
    #[allow(clippy::too_many_arguments)]
    fn trampoline(
        &self,
        o: &mut Out,
        cx: &FnCtx<'_>,
        name: &str,
        bound: &str,
        map: &ImplMap,
        call: &str,
        depth: usize,
    ) {
        let f = cx.f;
        let disp = &cx.display;
        let mut params = Vec::new();
        if let FunctionKind::Method(_) = f.kind {
            params.push("self_: *mut ::core::ffi::c_void".to_string());
        }
        for (n, p) in f.params.iter().enumerate() {
            params.push(format!("a{n}: {}", self.fty(&p.ty, Some(depth))));
        }
        if let Some(r) = &f.result {
            params.push(format!("ret: *mut {}", self.fty(r, Some(depth))));
        }
        params.push("err: *mut ::plugport::abi::PpString".into());
        o.line(&format!("/// Trampoline of `{disp}`."));
        o.line("#[doc(hidden)]");
        o.open(&format!(
            "pub unsafe extern \"C\" fn {name}<{bound}>({}) -> ::plugport::abi::PpStatus",
            params.join(", ")
        ));
        // With `own` handles among the arguments, every argument is lifted before
        // anything can fail (§5: the receiver drops an `own` handle also when the call
        // fails): a failed lift has dropped the handles inside it, and the first
        // rejection (or a null `self` / `ret`) returns with the other lifted arguments,
        // which drop theirs. Without `own` handles the checks come first and each
        // argument returns on its own failure.
        let owning = f.params.iter().any(|p| self.has_own(p.ty));
        if !owning {
            // Outside the panic guard, failing through the out-of-line `rt::reject`: the
            // success path then needs no stack frame when the body cannot unwind.
            let reject = |what: &str| {
                format!(
                    "return unsafe {{ let m = \"{disp}: null `{what}`\"; ::plugport::rt::reject(err, ::plugport::abi::PP_ERR_INVALID_ARGUMENT, m.as_ptr(), m.len()) }};"
                )
            };
            if let FunctionKind::Method(_) = f.kind {
                o.line("// SAFETY: `self_` is null (rejected) or the handle's `self`, a live `T`.");
                o.open("let this: &T = match unsafe { (self_ as *const T).as_ref() }");
                o.line("::core::option::Option::Some(t) => t,");
                o.line(&format!(
                    "::core::option::Option::None => {}",
                    reject("self").replace("};", "},")
                ));
                o.line("};");
            }
            if f.result.is_some() {
                o.open("if ret.is_null()");
                o.line(&reject("ret").replace("null `ret`", "null `ret` pointer"));
                o.close();
            }
        }
        o.open("unsafe { ::plugport::rt::guard(err, move || ");
        let checks = |o: &mut Out| {
            if let FunctionKind::Method(_) = f.kind {
                o.open("let this: &T = match unsafe { (self_ as *const T).as_ref() }");
                o.line("::core::option::Option::Some(t) => t,");
                o.line(&format!(
                    "::core::option::Option::None => return ::core::result::Result::Err(::std::string::String::from(\"{disp}: null `self`\")),"
                ));
                o.line("};");
            }
            if f.result.is_some() {
                o.open("if ret.is_null()");
                o.line(&format!(
                    "return ::core::result::Result::Err(::std::string::String::from(\"{disp}: null `ret` pointer\"));"
                ));
                o.close();
            }
        };
        o.line(&format!(
            "let k: &{} = &::core::default::Default::default();",
            self.keep_ty(depth)
        ));
        let mut args = Vec::new();
        for n in 0..f.params.len() {
            args.push(format!("a{n}"));
        }
        let mut pending = Vec::new();
        for (n, p) in f.params.iter().enumerate() {
            let err = format!(
                ".map_err(|e| ::plugport::rt::arg_error(\"{disp}\", \"{}\", e))",
                p.name
            );
            let src = format!("a{n}");
            let lifted = self.impl_param_lift(&p.ty, &src, map, depth);
            match lifted {
                (e, true) if owning => {
                    o.line(&format!("let l{n} = {e}{err};"));
                    pending.push(n);
                }
                (e, true) => o.line(&format!("let a{n} = {e}{err}?;")),
                (e, false) => o.line(&format!("let a{n} = {e};")),
            }
            if let Type::Id(id) = self.resolve(p.ty) {
                if let TypeDefKind::Borrow { resource } = self.kind(id) {
                    if !map.iter().any(|(r, _, _)| r == resource) {
                        args[n] = format!("&*a{n}");
                    }
                }
            }
        }
        if owning {
            checks(o);
            for n in pending {
                o.line(&format!("let a{n} = l{n}?;"));
            }
        }
        let recv = if let FunctionKind::Method(_) = f.kind {
            let mut v = vec!["this".to_string()];
            v.extend(args);
            v
        } else {
            args
        };
        let call = format!("{call}({})", recv.join(", "));
        match &f.result {
            Some(ty) => {
                o.line(&format!("let r = {call};"));
                let lowered = self.impl_result_lower(ty, "r", map, depth);
                o.line(&format!("unsafe {{ ret.write({lowered}) }};"));
            }
            None => o.line(&format!("{call};")),
        }
        o.line("::core::result::Result::Ok(())");
        o.close_with("}) }");
        o.close();
    }

    /// Lifts a top-level argument for the implementer (see the module docs).
    fn impl_param_lift(&self, ty: &Type, src: &str, map: &ImplMap, depth: usize) -> (String, bool) {
        let mapped = |r: &TypeId| {
            map.iter()
                .find(|(x, _, _)| x == r)
                .map(|(_, _, t)| t.clone())
        };
        if let Type::Id(id) = self.resolve(*ty) {
            match self.kind(id) {
                TypeDefKind::List { ty: e } if Self::is_plain_num(self.resolve(*e)) => {
                    return (
                        format!("unsafe {{ ::plugport::rt::lift_slice({src}.ptr, {src}.len) }}"),
                        true,
                    )
                }
                TypeDefKind::Own { resource } => {
                    if let Some(t) = mapped(resource) {
                        return (
                            format!(
                                "unsafe {{ {}__own_{}::<{t}>({src}) }}",
                                self.res_module(*resource, depth),
                                self.res_snake(*resource)
                            ),
                            true,
                        );
                    }
                }
                TypeDefKind::Borrow { resource } => {
                    if let Some(t) = mapped(resource) {
                        return (
                            format!(
                                "unsafe {{ {}__borrow_{}::<{t}>({src}) }}",
                                self.res_module(*resource, depth),
                                self.res_snake(*resource)
                            ),
                            true,
                        );
                    }
                }
                _ => {}
            }
        }
        if let Type::String = self.resolve(*ty) {
            return (
                format!("unsafe {{ ::plugport::rt::lift_str({src}) }}"),
                true,
            );
        }
        self.lift_e(ty, src, depth)
    }

    /// Lowers an implementer's result value into an owned C value.
    fn impl_result_lower(&self, ty: &Type, src: &str, map: &ImplMap, depth: usize) -> String {
        if let Type::Id(id) = self.resolve(*ty) {
            if let TypeDefKind::Own { resource } = self.kind(id) {
                if let Some((_, _, t)) = map.iter().find(|(x, _, _)| x == resource) {
                    return format!(
                        "{}__new_handle_{}::<{t}>({src})",
                        self.res_module(*resource, depth),
                        self.res_snake(*resource)
                    );
                }
            }
        }
        self.lower_owned_e(ty, src, depth)
    }

    /// Bare world functions implemented here and the world table (`exports::__World`).
    pub(crate) fn implementer_world(
        &self,
        o: &mut Out,
        dir: Dir,
        ifaces: &[&Interface],
        fns: &[&Function],
    ) {
        let depth = 1;
        let role = self.role_trait();
        let no_map: ImplMap = Vec::new();
        if !fns.is_empty() {
            o.line(&format!(
                "/// Implement this for your type to provide the world's bare {} functions.",
                dir.module()
            ));
            o.open(&format!("pub trait {role}: 'static"));
            for f in fns {
                self.trait_fn(o, f, &no_map, depth, &f.name);
            }
            o.close();
        }
        let mut bounds: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for i in ifaces {
            if seen.insert(i.name.clone()) {
                bounds.push(format!("{}::{role}", rs_ident(&i.name)));
            }
        }
        if !fns.is_empty() {
            bounds.push(role.to_string());
        }
        let mut slots = Vec::new();
        for f in fns {
            let cx = self.fn_ctx(f, None, dir);
            let tramp = format!("__tramp_{}", cx.slot.trim_start_matches("r#"));
            let call = format!("<P as {role}>::{}", rs_ident(&f.name));
            self.trampoline(o, &cx, &tramp, &format!("P: {role}"), &no_map, &call, depth);
            slots.push((cx.slot.clone(), tramp));
        }
        let table = self.ffi_path(
            &match dir {
                Dir::Imports => self.c.imports(),
                Dir::Exports => self.c.exports(),
            },
            depth,
        );
        let bound = if bounds.is_empty() {
            "P".to_string()
        } else {
            format!("P: {}", bounds.join(" + "))
        };
        o.line(&format!(
            "/// The world's {} table for implementation `P` (§5).",
            dir.module()
        ));
        o.line("#[doc(hidden)]");
        o.line("pub struct __World<P>(::core::marker::PhantomData<P>);");
        o.open(&format!("impl<{bound}> __World<P>"));
        o.line("/// The table, with a header and one entry per world item.");
        o.open(&format!("pub const TABLE: {table} = {table}"));
        o.line(&self.header_init(&table, None));
        let items = match dir {
            Dir::Imports => &self.w.imports,
            Dir::Exports => &self.w.exports,
        };
        let mut slot_iter = slots.into_iter();
        for item in items {
            match item {
                plugport::ir::WorldItem::Interface(i) => o.line(&format!(
                    "{}: &{}::__Table::<P>::TABLE,",
                    super::idents::ffi_field(&crate::names::c_ident(&i.name)),
                    rs_ident(&i.name)
                )),
                plugport::ir::WorldItem::Function(_) => {
                    if let Some((slot, tramp)) = slot_iter.next() {
                        o.line(&format!(
                            "{slot}: ::core::option::Option::Some({tramp}::<P>),"
                        ));
                    }
                }
            }
        }
        o.line("};");
        o.close();
        // `ImportsImpl`-style bound for the side glue.
        o.line(&format!(
            "/// Everything an implementation of the world's {} provides.",
            dir.module()
        ));
        if bounds.is_empty() {
            o.line("pub trait Implementation: 'static {}");
            o.line("impl<P: 'static> Implementation for P {}");
        } else {
            o.line(&format!(
                "pub trait Implementation: {} + 'static {{}}",
                bounds.join(" + ")
            ));
            o.line(&format!(
                "impl<P: {} + 'static> Implementation for P {{}}",
                bounds.join(" + ")
            ));
        }
        if self.side == super::Side::Guest {
            self.guest_entry(o);
        }
    }
}
