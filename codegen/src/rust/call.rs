//! The caller role (host → exports, guest → imports): functions that lower arguments
//! (borrowed, no allocation for top-level strings and lists of numbers), check that the
//! slot exists (`PP_ERR_UNSUPPORTED` for slots beyond `header.size`, §5 "Evolution"),
//! call, map a failed status to [`CallError`](plugport::rt::CallError), and lift
//! (validate, copy) and release the result through the callee table's `dealloc` (§6).
//!
//! Hosts take the function pointers from slots resolved once at load (`__ExportSlots`,
//! [`Gen::slots_struct`]), and return a top-level `string` or `list` of numbers without
//! copying it: as `plugport::OwnedStr` / `plugport::OwnedList<T>`, which hold the callee's
//! checked buffer and release it on drop (`plugport::owned`). Strings and lists nested in
//! other types are copied into `String` / `Vec` (the native types are shared with
//! arguments and the implementing side), as are all results on the guest side.
//!
//! Parameters: numbers, `bool`, `char`, enums and flags by value; `string` → `&str`;
//! `list<T>` → `&[T]`; `own<R>` → the wrapper `R` by value (moved to the callee);
//! `borrow<R>` → `&R`; other types by reference, or by value when they contain an owned
//! handle. Every caller returns `Result<T, CallError>`.

use plugport::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, TypeId};

use super::idents::{camel, ffi_field, rs_ident};
use super::{Dir, FnCtx, Gen, Out, Side};
use crate::names::c_ident;

const CALL_ERROR: &str = "::plugport::rt::CallError";

/// Where a caller finds its table (and `self` handle) and what keeps the callee alive.
pub(crate) struct Reach {
    /// Statements that bind `t: &<table>` (and `self_` for methods), returning early
    /// with a `CallError` when the table is absent.
    pub table: String,
    /// Expression of type `&__Keep`.
    pub keep: String,
    /// `&self, ` or empty.
    pub receiver: &'static str,
    /// Host callers of interface and world functions: an expression naming the
    /// `__Slots` / `__ExportSlots` the host resolved when it loaded the plugin. Then the
    /// call takes its function from there, with no per-call table checks: a slot the
    /// table lacks was resolved to a stub answering `PP_ERR_UNSUPPORTED`, which the
    /// (cold) error path turns into `CallError::Unsupported` after `has_<name>()`
    /// confirms the slot is missing. `None`: find the table with `table` and check the
    /// slot on every call (resource methods, guest callers).
    pub slots: Option<String>,
}

impl Gen<'_> {
    /// Parameter type of a caller function.
    pub(crate) fn call_param_ty(&self, ty: &Type, depth: usize) -> String {
        match self.resolve(*ty) {
            Type::String => "&str".into(),
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::Enum { .. } | TypeDefKind::Flags { .. } | TypeDefKind::Own { .. } => {
                    self.nty(ty, depth)
                }
                TypeDefKind::Borrow { resource } => {
                    format!("&{}", self.named_path(*resource, depth))
                }
                TypeDefKind::List { ty: e } if !self.has_own(*ty) => {
                    format!("&[{}]", self.nty(e, depth))
                }
                _ if self.has_own(*ty) => self.nty(ty, depth),
                _ => format!("&{}", self.nty(ty, depth)),
            },
            _ => self.nty(ty, depth),
        }
    }

    /// Result type of a caller function (`()` without result).
    fn call_result_ty(&self, f: &Function, depth: usize) -> String {
        f.result.as_ref().map_or("()".to_string(), |t| {
            self.owned_result(t, depth)
                .unwrap_or_else(|| self.nty(t, depth))
        })
    }

    /// The zero-copy wrapper a host caller returns for a top-level owned result that
    /// stays in the callee's allocation (`plugport::owned`): `string` → `OwnedStr`, a list
    /// of numbers → `OwnedList<T>`. `None` for every other type and on the guest side
    /// (whose callers copy into `String` / `Vec`).
    fn owned_result(&self, ty: &Type, depth: usize) -> Option<String> {
        if self.side != Side::Host {
            return None;
        }
        match self.resolve(*ty) {
            Type::String => Some("::plugport::OwnedStr".into()),
            t => self
                .list_elem(t)
                .filter(|e| Self::is_plain_num(self.resolve(*e)))
                .map(|e| format!("::plugport::OwnedList<{}>", self.nty(&e, depth))),
        }
    }

    /// Emits caller function `name` and its `has_<name>` (see [`Gen::has_fn`]).
    pub(crate) fn caller_fn(
        &self,
        o: &mut Out,
        cx: &FnCtx<'_>,
        name: &str,
        reach: &Reach,
        depth: usize,
    ) {
        let f = cx.f;
        let disp = &cx.display;
        let table = self.ffi_path(&cx.table, depth);
        let mut params = Vec::new();
        let mut names = Vec::new();
        for p in &f.params {
            params.push(format!(
                "{}: {}",
                rs_ident(&p.name),
                self.call_param_ty(&p.ty, depth)
            ));
            names.push(rs_ident(&p.name));
        }
        let ret = self.call_result_ty(f, depth);
        o.line(&format!("/// Calls `{disp}` (`docs/abi.md` §5)."));
        o.line("///");
        o.line(
            "/// Errors: [`CallError::Unsupported`](::plugport::rt::CallError) when the other side",
        );
        o.line(
            "/// lacks the function, `Panic` / `InvalidArgument` from the callee, `InvalidResult`",
        );
        o.line("/// when its result fails validation.");
        let mut all = Vec::new();
        if !reach.receiver.is_empty() {
            all.push(reach.receiver.trim_end_matches(", ").to_string());
        }
        all.extend(params);
        if reach.slots.is_some() {
            // Small: the error paths are out of line (`rt::call_failed`, the wrappers'
            // refusals), so inlining lets an owned result stay in registers.
            o.line("#[inline]");
        }
        o.open(&format!(
            "pub fn {name}({}) -> ::core::result::Result<{ret}, {CALL_ERROR}>",
            all.join(", ")
        ));
        if !names.is_empty() {
            let a: Vec<String> = (0..names.len()).map(|n| format!("a{n},")).collect();
            let p: Vec<String> = names.iter().map(|n| format!("{n},")).collect();
            o.line(&format!("let ({}) = ({});", a.join(" "), p.join(" ")));
        }
        match &reach.slots {
            Some(slots) => {
                o.line("// Resolved when the plugin was loaded: its function or a stub (§5 \"Evolution\").");
                o.line(&format!("let f = {slots}.{};", cx.slot));
            }
            None => {
                o.line(&reach.table.replace("{DISPLAY}", disp));
                self.slot_fetch(o, &table, &cx.slot, disp);
            }
        }
        let needs_scratch = f.params.iter().any(|p| match self.resolve(p.ty) {
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => false,
                TypeDefKind::List { ty } => !Self::is_plain_num(self.resolve(*ty)),
                _ => true,
            },
            _ => false,
        });
        if needs_scratch {
            o.line("let mut scratch = ::plugport::rt::Scratch::new();");
            o.line("let s = &mut scratch;");
        }
        let mut args = Vec::new();
        if let FunctionKind::Method(_) = f.kind {
            args.push("self_".to_string());
        }
        for (n, p) in f.params.iter().enumerate() {
            let by_ref = self.call_param_ty(&p.ty, depth).starts_with('&');
            let src = if by_ref {
                format!("(*a{n})")
            } else {
                format!("a{n}")
            };
            let plain_list = self
                .list_elem(p.ty)
                .is_some_and(|e| Self::is_plain_num(self.resolve(e)));
            let e = if plain_list {
                format!(
                    "{} {{ ptr: a{n}.as_ptr(), len: a{n}.len() }}",
                    self.fty(&p.ty, Some(depth))
                )
            } else {
                self.lower_e(&p.ty, &src, depth)
            };
            o.line(&format!("let l{n} = {e};"));
            args.push(format!("l{n}"));
        }
        if let Some(r) = &f.result {
            // Zeroed, not uninit: a conforming C callee may write only what is valid for
            // the value (the discriminant of an option, result or variant without its
            // payload), and every ffi type is valid all-zero.
            o.line(&format!(
                "let mut ret = ::core::mem::MaybeUninit::<{}>::zeroed();",
                self.fty(r, Some(depth))
            ));
            args.push("ret.as_mut_ptr()".into());
        }
        o.line("let mut err = ::plugport::abi::PpString::EMPTY;");
        args.push("&mut err".into());
        o.line("// SAFETY: a slot of a valid table, called with arguments that follow §3/§5.");
        o.line(&format!("let st = unsafe {{ f({}) }};", args.join(", ")));
        o.open("if st != ::plugport::abi::PP_OK");
        o.line("// SAFETY: `err` is the callee's message, owned by us, or empty.");
        let dealloc = match &reach.slots {
            Some(slots) => {
                o.line(&format!(
                    "return ::core::result::Result::Err(unsafe {{ ::plugport::rt::call_failed(st, err, {slots}.__dealloc, self.has_{}(), \"{disp}\") }});",
                    name.trim_start_matches("r#")
                ));
                format!("{slots}.__dealloc")
            }
            None => {
                o.line("return ::core::result::Result::Err(unsafe { ::plugport::rt::call_error(st, err, t.header.dealloc) });");
                "t.header.dealloc".to_string()
            }
        };
        o.close();
        match &f.result {
            None => o.line("::core::result::Result::Ok(())"),
            Some(ty) => {
                o.line("// SAFETY: zeroed is a valid value of every ffi type; on PP_OK the callee wrote");
                o.line("// `*ret` (at least the parts its discriminants select).");
                o.line("let r = unsafe { ret.assume_init() };");
                if let Some(wrapper) = self.owned_result(ty, depth) {
                    let raw = if self.resolve(*ty) == Type::String {
                        "r"
                    } else {
                        "r.ptr, r.len"
                    };
                    let wrapper = wrapper.split('<').next().unwrap_or(&wrapper).to_string();
                    o.line("// Zero-copy: the wrapper holds the callee's buffer (checked) and releases it");
                    o.line("// through the callee's `dealloc` when dropped; it keeps the image loaded.");
                    o.line("// SAFETY: an owned result of this callee, released by its `dealloc` (§6).");
                    o.line(&format!(
                        "unsafe {{ {wrapper}::lift({raw}, {dealloc}, ::core::clone::Clone::clone({}), \"{disp}\") }}",
                        reach.keep
                    ));
                    o.close();
                    self.has_fn(o, cx, name, reach, depth);
                    return;
                }
                match self.lift_e(ty, "r", depth) {
                    (e, false) => o.line(&format!("::core::result::Result::Ok({e})")),
                    (e, true) => {
                        o.line(&format!(
                            "let k: &{} = {};",
                            self.keep_ty(depth),
                            reach.keep
                        ));
                        o.line(&format!("let v = {e};"));
                        if let Some(rel) = self.release_s(ty, "r", depth) {
                            o.line(&format!("let d = {dealloc};"));
                            o.line(&rel);
                        }
                        o.line(&format!(
                            "v.map_err(|e| ::plugport::rt::invalid_result(\"{disp}\", e))"
                        ));
                    }
                }
            }
        }
        o.close();
        self.has_fn(o, cx, name, reach, depth);
    }

    /// Binds `f`, the slot's function, or returns `Unsupported` (§5 "Evolution").
    fn slot_fetch(&self, o: &mut Out, table: &str, slot: &str, disp: &str) {
        o.open(&format!(
            "if !t.header.has_slot(::core::mem::offset_of!({table}, {slot}) + ::core::mem::size_of::<usize>())"
        ));
        o.line(&format!(
            "return ::core::result::Result::Err(::plugport::rt::unsupported(\"{disp}\"));"
        ));
        o.close();
        o.open(&format!("let f = match t.{slot}"));
        o.line("::core::option::Option::Some(f) => f,");
        o.line(&format!(
            "::core::option::Option::None => return ::core::result::Result::Err(::plugport::rt::unsupported(\"{disp}\")),"
        ));
        o.line("};");
    }

    /// `has_<name>`: whether the other side provides the function.
    fn has_fn(&self, o: &mut Out, cx: &FnCtx<'_>, name: &str, reach: &Reach, depth: usize) {
        let table = self.ffi_path(&cx.table, depth);
        let slot = &cx.slot;
        o.line(&format!(
            "/// Whether the other side provides `{}`.",
            cx.display
        ));
        o.open(&format!(
            "pub fn has_{}({}) -> bool",
            name.trim_start_matches("r#"),
            reach.receiver.trim_end_matches(", ")
        ));
        o.open("let t = (|| -> ::core::result::Result<_, ::plugport::rt::CallError>");
        o.line(&reach.table.replace("{DISPLAY}", &cx.display));
        o.line("::core::result::Result::Ok(t)");
        o.line("})();");
        o.open("match t");
        o.line(&format!(
            "::core::result::Result::Ok(t) => t.header.has_slot(::core::mem::offset_of!({table}, {slot}) + ::core::mem::size_of::<usize>()) && t.{slot}.is_some(),"
        ));
        o.line("::core::result::Result::Err(_) => false,");
        o.close();
        o.close();
    }

    /// A host's resolved slots of one table (`docs/abi.md` §5 "Evolution"): struct `name`
    /// with one field per function slot in `fns` (the plugin's function, or the stub
    /// `__missing_<slot>` when the table lacks it), one per sub-table in `subs` (field,
    /// path of its `__Slots`), and `__dealloc`, the table's `header.dealloc`; and
    /// `resolve`, which reads the table once. Generated hosts resolve when they load a
    /// plugin, so that a call only loads its function pointer.
    pub(crate) fn slots_struct(
        &self,
        o: &mut Out,
        name: &str,
        table: &str,
        fns: &[(String, &Function)],
        subs: &[(String, String)],
        depth: usize,
    ) {
        for (slot, f) in fns {
            o.line(
                "/// Stands in for a slot the callee's table lacks: answers `PP_ERR_UNSUPPORTED`,",
            );
            o.line("/// which the caller reports as `CallError::Unsupported`.");
            let args: Vec<String> = self
                .slot_args(f, Some(depth))
                .iter()
                .map(|a| format!("_: {a}"))
                .collect();
            o.open(&format!(
                "unsafe extern \"C\" fn __missing_{slot}({}) -> ::plugport::abi::PpStatus",
                args.join(", ")
            ));
            o.line("::plugport::abi::PP_ERR_UNSUPPORTED");
            o.close();
        }
        o.line("/// The slots of a loaded table, resolved once (see `resolve`).");
        o.line("#[doc(hidden)]");
        o.line("#[derive(Clone, Copy)]");
        o.open(&format!("pub struct {name}"));
        for (slot, f) in fns {
            o.line(&format!("pub {slot}: {},", self.slot_fn_ty(f, Some(depth))));
        }
        for (field, path) in subs {
            o.line(&format!("pub {field}: {path},"));
        }
        o.line("pub __dealloc: ::core::option::Option<::plugport::abi::PpDeallocFn>,");
        o.line("/// The table itself (for `has_<name>`).");
        o.line(&format!("pub __table: *const {table},"));
        o.close();
        o.open(&format!("impl {name}"));
        o.line(
            "/// Reads the table once: each slot inside `header.size` and not NULL, else its stub.",
        );
        o.line("///");
        o.line("/// # Safety");
        o.line("/// `t` is null (every slot is a stub) or a valid table that outlives the result.");
        o.open(&format!("pub unsafe fn resolve(t: *const {table}) -> Self"));
        o.line("let raw = t;");
        o.line("// SAFETY: null or valid (contract).");
        o.open("match unsafe { t.as_ref() }");
        o.open("::core::option::Option::Some(t) => Self");
        for (slot, _) in fns {
            o.line(&format!(
                "{slot}: match t.{slot} {{ ::core::option::Option::Some(f) if t.header.has_slot(::core::mem::offset_of!({table}, {slot}) + ::core::mem::size_of::<usize>()) => f, _ => __missing_{slot} }},"
            ));
        }
        for (field, path) in subs {
            o.line("// SAFETY: a sub-table of a valid table is null or valid.");
            o.line(&format!(
                "{field}: unsafe {{ {path}::resolve(if t.header.has_slot(::core::mem::offset_of!({table}, {field}) + ::core::mem::size_of::<usize>()) {{ t.{field} }} else {{ ::core::ptr::null() }}) }},"
            ));
        }
        o.line("__dealloc: t.header.dealloc,");
        o.line("__table: raw,");
        o.close_with("},");
        o.open("::core::option::Option::None => Self");
        for (slot, _) in fns {
            o.line(&format!("{slot}: __missing_{slot},"));
        }
        for (field, path) in subs {
            o.line("// SAFETY: null is allowed.");
            o.line(&format!(
                "{field}: unsafe {{ {path}::resolve(::core::ptr::null()) }},"
            ));
        }
        o.line("__dealloc: ::core::option::Option::None,");
        o.line("__table: raw,");
        o.close_with("},");
        o.close();
        o.close();
        o.close();
    }

    /// Name of a caller function of an interface table: `greet`, `decoder_new`,
    /// `counter_zero`.
    fn caller_name(&self, f: &Function) -> String {
        match f.kind {
            FunctionKind::Constructor(r) => rs_ident(&format!("{}-new", self.res_name(r))),
            FunctionKind::Static(r) => rs_ident(&format!("{}-{}", self.res_name(r), f.name)),
            _ => rs_ident(&f.name),
        }
    }

    /// The name of the host's interface wrapper struct (`Client`, unless a type of the
    /// interface has that name).
    pub(crate) fn client_name(&self, i: &Interface) -> String {
        let taken = self.w.types.iter().any(|t| {
            t.interface.as_deref() == Some(i.name.as_str())
                && t.name.as_deref().map(camel).as_deref() == Some("Client")
        });
        if taken {
            "ClientApi".into()
        } else {
            "Client".into()
        }
    }

    /// Caller code of one interface.
    pub(crate) fn caller_iface(&self, o: &mut Out, dir: Dir, i: &Interface) {
        let depth = 2;
        let fns: Vec<&Function> = i
            .functions
            .iter()
            .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
            .collect();
        let table = self.ffi_path(&self.c.table(&i.name), depth);
        match self.side {
            Side::Host => {
                let client = self.client_name(i);
                let keep = self.keep_ty(depth);
                o.line(&format!(
                    "/// Calls interface `{}` of a loaded plugin; get it from the world struct.",
                    i.name
                ));
                o.line("#[derive(Clone, Copy)]");
                o.open(&format!("pub struct {client}<'a>"));
                o.line("slots: &'a __Slots,");
                o.line(&format!("keep: &'a {keep},"));
                o.close();
                o.open(&format!("impl<'a> {client}<'a>"));
                o.line("/// Wraps the slots of a table, resolved with [`__Slots::resolve`] (from a null");
                o.line("/// table: every call is `Unsupported`).");
                o.line("#[doc(hidden)]");
                o.open(&format!(
                    "pub fn __new(slots: &'a __Slots, keep: &'a {keep}) -> Self"
                ));
                o.line("Self { slots, keep }");
                o.close();
                let reach = Reach {
                    table: format!(
                        "let t: &{table} = match unsafe {{ self.slots.__table.as_ref() }} {{ ::core::option::Option::Some(t) => t, ::core::option::Option::None => return ::core::result::Result::Err(::plugport::rt::unsupported(\"{{DISPLAY}}\")) }};"
                    ),
                    keep: "self.keep".into(),
                    receiver: "&self, ",
                    slots: Some("self.slots".into()),
                };
                for f in &fns {
                    let cx = self.fn_ctx(f, Some(i), dir);
                    self.caller_fn(o, &cx, &self.caller_name(f), &reach, depth);
                }
                o.close();
                let slots: Vec<(String, &Function)> = fns
                    .iter()
                    .map(|f| (self.fn_ctx(f, Some(i), dir).slot, *f))
                    .collect();
                self.slots_struct(o, "__Slots", &table, &slots, &[], depth);
            }
            Side::Guest => {
                let world = self.ffi_path(&self.c.imports(), depth);
                let field = ffi_field(&c_ident(&i.name));
                let reach = Reach {
                    table: format!(
                        "let w = super::__imports()?;\n\
                         if !w.header.has_slot(::core::mem::offset_of!({world}, {field}) + ::core::mem::size_of::<usize>()) || w.{field}.is_null() {{ return ::core::result::Result::Err(::plugport::rt::unsupported(\"{{DISPLAY}}\")); }}\n\
                         // SAFETY: a non-null interface table of the host's imports.\n\
                         let t: &{table} = unsafe {{ &*w.{field} }};"
                    ),
                    keep: "&()".into(),
                    receiver: "",
                    slots: None,
                };
                for f in &fns {
                    let cx = self.fn_ctx(f, Some(i), dir);
                    self.caller_fn(o, &cx, &self.caller_name(f), &reach, depth);
                }
            }
        }
    }

    /// Methods of the wrapper of a resource implemented by the other side.
    pub(crate) fn caller_wrapper_methods(&self, o: &mut Out, r: TypeId, depth: usize) {
        let methods = self.methods(r);
        let Some(i) = self.resource_iface(r) else {
            return;
        };
        let dir = self.home(&i.name);
        let vt = self.ffi_path(&self.c.vtable(r), depth);
        let name = camel(self.res_name(r));
        let reach = Reach {
            table: format!(
                "// SAFETY: the vtable of a handle we hold (non-null, checked at creation).\n\
                 let t: &{vt} = unsafe {{ &*self.vtable }};\n\
                 let self_ = self.handle_self.load(::core::sync::atomic::Ordering::Acquire);\n\
                 if self_.is_null() {{ return ::core::result::Result::Err(::plugport::rt::moved_handle(\"{}\")); }}",
                self.res_name(r)
            ),
            keep: "&self.keep".into(),
            receiver: "&self, ",
            slots: None,
        };
        o.open(&format!("impl {name}"));
        for f in methods {
            let cx = self.fn_ctx(f, Some(i), dir);
            let fname = rs_ident(&f.name);
            self.caller_fn(o, &cx, &fname, &reach, depth);
        }
        o.close();
    }

    /// Caller code of the world's bare functions of `dir` (guest imports: free functions
    /// and the imports table the entry stored; host exports: methods of the world struct,
    /// emitted by `host`).
    pub(crate) fn caller_world(&self, o: &mut Out, dir: Dir, fns: &[&Function]) {
        if self.side == Side::Host {
            return;
        }
        let depth = 1;
        let world = self.ffi_path(&self.c.imports(), depth);
        o.line("/// The host's imports table, stored by the plugin's entry (`docs/abi.md` §7).");
        o.line("#[doc(hidden)]");
        o.line(&format!(
            "pub static __IMPORTS: ::core::sync::atomic::AtomicPtr<{world}> = ::core::sync::atomic::AtomicPtr::new(::core::ptr::null_mut());"
        ));
        o.line("/// The imports table, or `NotInitialised` before the entry ran.");
        o.line("#[doc(hidden)]");
        o.line("#[inline]");
        o.open(&format!(
            "pub fn __imports() -> ::core::result::Result<&'static {world}, {CALL_ERROR}>"
        ));
        o.line("let p = __IMPORTS.load(::core::sync::atomic::Ordering::Acquire);");
        o.line("// SAFETY: the host keeps its imports table alive while the plugin is loaded.");
        o.line(&format!(
            "unsafe {{ p.as_ref() }}.ok_or({CALL_ERROR}::NotInitialised)"
        ));
        o.close();
        let reach = Reach {
            table: format!("let t: &{world} = __imports()?;"),
            keep: "&()".into(),
            receiver: "",
            slots: None,
        };
        for f in fns {
            let cx = self.fn_ctx(f, None, dir);
            let name = rs_ident(&f.name);
            self.caller_fn(o, &cx, &name, &reach, depth);
        }
    }
}
