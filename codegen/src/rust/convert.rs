//! Conversions between native values and their C representation: the hidden `__abi`
//! module, one set of functions per compound type (named by its mangled C name), and the
//! expression builders the trampolines and callers use for primitives and handles.
//!
//! - `lift_M(&F, keep) -> Result<N, String>`: validates (§1.5: UTF-8, `char`, `bool`,
//!   tags, flag bits, discriminants, null pointers with a length, null handles) and copies
//!   into a native value; handles become owning wrappers. Used for received arguments
//!   (callee) and received results (caller). The error says what failed, with the path
//!   (`field `x`: [3]: invalid UTF-8 …`).
//! - `lower_M(&N, &mut Scratch) -> F`: borrows a native argument (strings and lists of
//!   numbers point into the native value; other lists are converted into temporaries
//!   kept in the [`Scratch`](plugport::rt::Scratch) until the call returns); `own`
//!   handles inside are given up (moved to the callee).
//! - `lower_owned_M(N) -> F`: converts a native result into an owned C value allocated
//!   with the Rust global allocator (released by the caller with this side's
//!   `rust_dealloc`, §6).
//! - `release_M(&F, dealloc)`: frees a received owned value through the callee table's
//!   `dealloc`, following only valid discriminants (§6). Handles inside are not dropped
//!   here: lifting moved them into wrappers, or dropped them (below).
//! - `drop_own_M(&F)` (only for types that contain an `own` handle): drops every owned
//!   handle inside a received value that was not lifted, following only valid
//!   discriminants and checked list pointers, through its vtable's `drop` (§5: the
//!   receiver of an `own` handle drops it exactly once, also when the call failed).
//!
//! Lifting a value that contains `own` handles either succeeds, and the native value
//! owns every handle, or fails having dropped every handle inside exactly once: values
//! lifted before the failure are dropped normally, the failed part does the same
//! recursively, and the parts after it (the rest of a record, tuple or list) are walked
//! with `drop_own_M`. Types without `own` handles are lifted without any of this.

use std::collections::HashSet;

use plugport::ir::{Type, TypeDefKind, TypeId};

use super::idents::{camel, ffi_field, rs_ident};
use super::types::{MAP, RESULT, STRING, VEC};
use super::{Gen, Out};
use crate::names::c_ident;

const DEPTH: usize = 1;

impl Gen<'_> {
    /// Mangled name of a (resolved) type id, used to name its `__abi` functions.
    pub(crate) fn m(&self, id: TypeId) -> String {
        self.c.mangle_id(id)
    }

    /// Lifts place `src` (of the C type of `ty`) into a native value. Returns the
    /// expression and whether it is fallible (then it is a `Result<N, String>`). A `k`
    /// (`&__Keep`) must be in scope.
    pub(crate) fn lift_e(&self, ty: &Type, src: &str, depth: usize) -> (String, bool) {
        let rt = "::plugport::rt";
        match self.resolve(*ty) {
            Type::Bool => (format!("{rt}::lift_bool({src})"), true),
            Type::Char => (format!("{rt}::lift_char({src})"), true),
            Type::String => (format!("unsafe {{ {rt}::lift_string({src}) }}"), true),
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::Own { resource } => (
                    format!(
                        "unsafe {{ {}::__from_handle({src}, ::core::clone::Clone::clone(k)) }}",
                        self.named_path(*resource, depth)
                    ),
                    true,
                ),
                TypeDefKind::Borrow { resource } => (
                    format!(
                        "unsafe {{ {}::__from_handle({src}, ::core::clone::Clone::clone(k)) }}.map(::core::mem::ManuallyDrop::new)",
                        self.named_path(*resource, depth)
                    ),
                    true,
                ),
                _ => (
                    format!("unsafe {{ {}lift_{}(&{src}, k) }}", self.abi(depth), self.m(id)),
                    true,
                ),
            },
            _ => (src.to_string(), false),
        }
    }

    /// [`Gen::lift_e`] with `?` and a context prefix (a `format!` fragment) on errors.
    pub(crate) fn lift_q(&self, ty: &Type, src: &str, depth: usize, ctx: &str) -> String {
        match self.lift_e(ty, src, depth) {
            (e, true) => format!("{e}.map_err(|e| ::std::format!(\"{ctx}: {{e}}\"))?"),
            (e, false) => e,
        }
    }

    /// Borrows place `src` (a native value of `ty`) as its C representation for an
    /// argument; a `s` (`&mut Scratch`) must be in scope.
    pub(crate) fn lower_e(&self, ty: &Type, src: &str, depth: usize) -> String {
        match self.resolve(*ty) {
            Type::Bool => format!("(({src}) as u8)"),
            Type::Char => format!("(({src}) as u32)"),
            Type::String => {
                format!("::plugport::abi::PpString {{ ptr: {src}.as_ptr(), len: {src}.len() }}")
            }
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::Own { .. } => format!("{src}.__take_handle()"),
                TypeDefKind::Borrow { .. } => format!("{src}.__borrow_handle()"),
                _ => format!("{}lower_{}(&{src}, s)", self.abi(depth), self.m(id)),
            },
            _ => src.to_string(),
        }
    }

    /// Converts value `src` (moved) into an owned C value for a result.
    pub(crate) fn lower_owned_e(&self, ty: &Type, src: &str, depth: usize) -> String {
        match self.resolve(*ty) {
            Type::Bool => format!("(({src}) as u8)"),
            Type::Char => format!("(({src}) as u32)"),
            Type::String => format!("::plugport::rt::alloc_string({src})"),
            Type::Id(id) => match self.kind(id) {
                TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {
                    format!("({src}).__take_handle()")
                }
                _ => format!("{}lower_owned_{}({src})", self.abi(depth), self.m(id)),
            },
            _ => src.to_string(),
        }
    }

    /// Statement releasing place `src` (an owned C value of `ty`) with `d`, if it owns
    /// memory.
    pub(crate) fn release_s(&self, ty: &Type, src: &str, depth: usize) -> Option<String> {
        if !self.owns_memory(*ty) {
            return None;
        }
        Some(match self.resolve(*ty) {
            Type::String => format!("unsafe {{ ::plugport::rt::release_string(&{src}, d) }};"),
            Type::Id(id) => format!(
                "unsafe {{ {}release_{}(&{src}, d) }};",
                self.abi(depth),
                self.m(id)
            ),
            _ => return None,
        })
    }

    /// Statement dropping every `own` handle inside place `src` (a received C value of
    /// `ty` that was not lifted), if it can contain one.
    pub(crate) fn drop_own_s(&self, ty: &Type, src: &str, depth: usize) -> Option<String> {
        if !self.has_own(*ty) {
            return None;
        }
        match self.resolve(*ty) {
            Type::Id(id) => Some(match self.kind(id) {
                // The wrapper's `Drop` calls the vtable's `drop` (null handles and a
                // vtable without the slot drop nothing).
                TypeDefKind::Own { resource } => format!(
                    "::core::mem::drop(unsafe {{ {}::__from_handle({src}, ::core::default::Default::default()) }});",
                    self.named_path(*resource, depth)
                ),
                _ => format!("unsafe {{ {}drop_own_{}(&{src}) }};", self.abi(depth), self.m(id)),
            }),
            _ => None,
        }
    }

    /// The body of the lift of a record or tuple that contains `own` handles: lifts the
    /// `parts` (native binding, C place, type, context) in order into `x0`, `x1`, …; when
    /// one fails, the parts after it are walked with `drop_own_M` before returning (those
    /// before it are dropped by the return). `build` is the final `Ok(..)` expression.
    /// Emits the loop that lifts the elements of the slice `src` (C elements of type `ty`)
    /// into `out`, for lists and fixed-length lists alike. With owned handles inside
    /// (`has_own`), a failed element makes the loop drop the handles of the elements after
    /// it (those before it drop with `out`, the failed one dropped its own) and return
    /// `{err}("[i]: ...")`.
    fn lift_elements(&self, o: &mut Out, ty: &Type, src: &str, d: usize, has_own: bool, err: &str) {
        o.open(&format!("for (i, e) in {src}.iter().enumerate()"));
        if has_own {
            let (e, _) = self.lift_e(ty, "(*e)", d);
            o.open(&format!("match {e}"));
            o.line("::core::result::Result::Ok(x) => out.push(x),");
            o.open("::core::result::Result::Err(e) =>");
            o.open(&format!("for r in &{src}[i + 1..]"));
            if let Some(s) = self.drop_own_s(ty, "(*r)", d) {
                o.line(&s);
            }
            o.close();
            o.line(&format!(
                "return {err}(::std::format!(\"[{{i}}]: {{e}}\"));"
            ));
            o.close();
            o.close();
        } else {
            o.line(&format!(
                "out.push({});",
                self.lift_q(ty, "(*e)", d, "[{i}]")
            ));
        }
        o.close();
    }

    fn lift_parts_dropping(&self, o: &mut Out, parts: &[(String, &Type, String)], build: &str) {
        let d = DEPTH;
        for (i, (src, t, ctx)) in parts.iter().enumerate() {
            match self.lift_e(t, src, d) {
                (e, true) => {
                    o.open(&format!("let x{i} = match {e}"));
                    o.line("::core::result::Result::Ok(x) => x,");
                    o.open("::core::result::Result::Err(e) =>");
                    for (src, t, _) in &parts[i + 1..] {
                        if let Some(s) = self.drop_own_s(t, src, d) {
                            o.line(&s);
                        }
                    }
                    o.line(&format!(
                        "return ::core::result::Result::Err(::std::format!(\"{ctx}: {{e}}\"));"
                    ));
                    o.close();
                    o.close_with("};");
                }
                (e, false) => o.line(&format!("let x{i} = {e};")),
            }
        }
        o.line(build);
    }

    /// The `__abi` module.
    pub(crate) fn convert_module(&self, o: &mut Out) {
        o.line("/// Conversions between native values and their C representation (`docs/abi.md` §3, §6).");
        o.line("#[doc(hidden)]");
        o.line(Self::ALLOWS);
        o.open("pub mod __abi");
        let mut done = HashSet::new();
        for id in 0..self.w.types.len() {
            match self.kind(id) {
                TypeDefKind::Own { .. }
                | TypeDefKind::Borrow { .. }
                | TypeDefKind::Resource
                | TypeDefKind::Alias { .. } => continue,
                _ => {}
            }
            if done.insert(self.m(id)) {
                self.convert_fns(o, id);
            }
        }
        o.close();
        o.line("");
    }

    /// Writes the two lowering functions of a variant, option or result, opened with
    /// `heads` (`lower_M`, then `lower_owned_M`): each is a `match v` whose arms `arms`
    /// writes, given the expression that lowers a payload of a type bound as `x`
    /// (borrowed in `lower_M`, moved in `lower_owned_M`).
    fn lower_by_match(
        &self,
        o: &mut Out,
        heads: [&str; 2],
        arms: impl Fn(&mut Out, &dyn Fn(&Type) -> String),
    ) {
        for (head, owned) in heads.into_iter().zip([false, true]) {
            o.open(head);
            o.open("match v");
            arms(o, &|t| {
                if owned {
                    self.lower_owned_e(t, "x", DEPTH)
                } else {
                    self.lower_e(t, "(*x)", DEPTH)
                }
            });
            o.close();
            o.close();
        }
    }

    /// `match <tag>` releasing the payload of the case the tag selects, for a variant or
    /// result: `cases` are the payload types and union members of its cases, in tag
    /// order. Unknown tags release nothing.
    fn release_by_tag<'t>(
        &self,
        o: &mut Out,
        tag: &str,
        cases: impl IntoIterator<Item = (Option<&'t Type>, String)>,
    ) {
        self.match_tag(o, tag, cases, |t, place| self.release_s(t, place, DEPTH));
    }

    /// `match <tag>` dropping the `own` handles in the payload of the case the tag selects
    /// (see [`Gen::release_by_tag`]). Unknown tags drop nothing.
    fn drop_own_by_tag<'t>(
        &self,
        o: &mut Out,
        tag: &str,
        cases: impl IntoIterator<Item = (Option<&'t Type>, String)>,
    ) {
        self.match_tag(o, tag, cases, |t, place| self.drop_own_s(t, place, DEPTH));
    }

    /// `match <tag> { i => { stmt(payload of case i) } … _ => {} }`, with an arm only for
    /// cases whose payload needs a statement.
    fn match_tag<'t>(
        &self,
        o: &mut Out,
        tag: &str,
        cases: impl IntoIterator<Item = (Option<&'t Type>, String)>,
        stmt: impl Fn(&Type, &str) -> Option<String>,
    ) {
        o.open(&format!("match {tag}"));
        for (i, (t, member)) in cases.into_iter().enumerate() {
            if let Some(s) = t.and_then(|t| stmt(t, &format!("v.val.{member}"))) {
                o.line(&format!("{i} => {{ {s} }}"));
            }
        }
        o.line("_ => {}");
        o.close();
    }

    fn convert_fns(&self, o: &mut Out, id: TypeId) {
        let d = DEPTH;
        let m = self.m(id);
        let f = self.fty(&Type::Id(id), Some(d));
        let n = self.nty(&Type::Id(id), d);
        let keep = self.keep_ty(d);
        let owns = self.owns_memory(Type::Id(id));
        let def = self.w.ty(id);
        let wit = def.name.clone().unwrap_or_else(|| m.clone());
        let ok = "::core::result::Result::Ok";
        let err = "::core::result::Result::Err";
        let lift_head =
            format!("pub unsafe fn lift_{m}(v: &{f}, k: &{keep}) -> {RESULT}<{n}, {STRING}>");
        let release_head =
            format!("pub unsafe fn release_{m}(v: &{f}, d: ::core::option::Option<::plugport::abi::PpDeallocFn>)");
        let has_own = self.has_own(Type::Id(id));
        let drop_own_head = format!("pub unsafe fn drop_own_{m}(v: &{f})");
        let scratch = "s: &mut ::plugport::rt::Scratch";
        let lower_head = format!("pub fn lower_{m}(v: &{n}, {scratch}) -> {f}");
        let lower_owned_head = format!("pub fn lower_owned_{m}(v: {n}) -> {f}");
        let zeroed = "unsafe { ::core::mem::zeroed() }";
        match self.kind(id) {
            TypeDefKind::Record { fields } => {
                o.open(&lift_head);
                if has_own {
                    let parts: Vec<(String, &Type, String)> = fields
                        .iter()
                        .map(|fl| {
                            let cf = ffi_field(&c_ident(&fl.name));
                            (format!("v.{cf}"), &fl.ty, format!("field `{}`", fl.name))
                        })
                        .collect();
                    let inits: Vec<String> = fields
                        .iter()
                        .enumerate()
                        .map(|(i, fl)| format!("{}: x{i}", rs_ident(&fl.name)))
                        .collect();
                    self.lift_parts_dropping(
                        o,
                        &parts,
                        &format!("{ok}({n} {{ {} }})", inits.join(", ")),
                    );
                } else {
                    o.line(&format!("{ok}({n} {{"));
                    for fl in fields {
                        let cf = ffi_field(&c_ident(&fl.name));
                        o.line(&format!(
                            "{}: {},",
                            rs_ident(&fl.name),
                            self.lift_q(
                                &fl.ty,
                                &format!("v.{cf}"),
                                d,
                                &format!("field `{}`", fl.name)
                            )
                        ));
                    }
                    o.line("})");
                }
                o.close();
                o.open(&lower_head);
                o.line(&format!("{f} {{"));
                for fl in fields {
                    let cf = ffi_field(&c_ident(&fl.name));
                    o.line(&format!(
                        "{cf}: {},",
                        self.lower_e(&fl.ty, &format!("v.{}", rs_ident(&fl.name)), d)
                    ));
                }
                o.line("}");
                o.close();
                o.open(&lower_owned_head);
                let binds: Vec<String> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, fl)| format!("{}: a{i}", rs_ident(&fl.name)))
                    .collect();
                o.line(&format!("let {n} {{ {} }} = v;", binds.join(", ")));
                o.line(&format!("{f} {{"));
                for (i, fl) in fields.iter().enumerate() {
                    let cf = ffi_field(&c_ident(&fl.name));
                    o.line(&format!(
                        "{cf}: {},",
                        self.lower_owned_e(&fl.ty, &format!("a{i}"), d)
                    ));
                }
                o.line("}");
                o.close();
                if owns {
                    o.open(&release_head);
                    for fl in fields {
                        let cf = ffi_field(&c_ident(&fl.name));
                        if let Some(s) = self.release_s(&fl.ty, &format!("v.{cf}"), d) {
                            o.line(&s);
                        }
                    }
                    o.close();
                }
                if has_own {
                    o.open(&drop_own_head);
                    for fl in fields {
                        let cf = ffi_field(&c_ident(&fl.name));
                        if let Some(s) = self.drop_own_s(&fl.ty, &format!("v.{cf}"), d) {
                            o.line(&s);
                        }
                    }
                    o.close();
                }
            }
            TypeDefKind::Tuple { types } => {
                o.open(&lift_head);
                if has_own {
                    let parts: Vec<(String, &Type, String)> = types
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (format!("v.f{i}"), t, format!("element {i}")))
                        .collect();
                    let xs: Vec<String> = (0..types.len()).map(|i| format!("x{i},")).collect();
                    self.lift_parts_dropping(o, &parts, &format!("{ok}(({}))", xs.join(" ")));
                } else {
                    o.line(&format!("{ok}(("));
                    for (i, t) in types.iter().enumerate() {
                        o.line(&format!(
                            "{},",
                            self.lift_q(t, &format!("v.f{i}"), d, &format!("element {i}"))
                        ));
                    }
                    o.line("))");
                }
                o.close();
                o.open(&lower_head);
                o.line(&format!("{f} {{"));
                for (i, t) in types.iter().enumerate() {
                    o.line(&format!("f{i}: {},", self.lower_e(t, &format!("v.{i}"), d)));
                }
                o.line("}");
                o.close();
                o.open(&lower_owned_head);
                let binds: Vec<String> = (0..types.len()).map(|i| format!("a{i},")).collect();
                o.line(&format!("let ({}) = v;", binds.join(" ")));
                o.line(&format!("{f} {{"));
                for (i, t) in types.iter().enumerate() {
                    o.line(&format!(
                        "f{i}: {},",
                        self.lower_owned_e(t, &format!("a{i}"), d)
                    ));
                }
                o.line("}");
                o.close();
                if owns {
                    o.open(&release_head);
                    for (i, t) in types.iter().enumerate() {
                        if let Some(s) = self.release_s(t, &format!("v.f{i}"), d) {
                            o.line(&s);
                        }
                    }
                    o.close();
                }
                if has_own {
                    o.open(&drop_own_head);
                    for (i, t) in types.iter().enumerate() {
                        if let Some(s) = self.drop_own_s(t, &format!("v.f{i}"), d) {
                            o.line(&s);
                        }
                    }
                    o.close();
                }
            }
            TypeDefKind::Enum { cases } => {
                o.open(&lift_head);
                o.open("match *v");
                for (i, c) in cases.iter().enumerate() {
                    o.line(&format!("{i} => {ok}({n}::{}),", camel(c)));
                }
                o.line(&format!(
                    "t => {err}(::std::format!(\"tag {{t}} is out of range for enum `{wit}` ({} cases)\")),",
                    cases.len()
                ));
                o.close();
                o.close();
                o.line(&format!("{lower_head} {{ *v as {f} }}"));
                o.line(&format!("{lower_owned_head} {{ v as {f} }}"));
            }
            TypeDefKind::Flags { .. } => {
                o.open(&lift_head);
                o.line(&format!(
                    "{n}::from_bits(*v).ok_or_else(|| ::std::format!(\"unknown bits {{:#x}} in flags `{wit}`\", *v & !{n}::all().bits()))"
                ));
                o.close();
                o.line(&format!("{lower_head} {{ v.bits() }}"));
                o.line(&format!("{lower_owned_head} {{ v.bits() }}"));
            }
            TypeDefKind::Variant { cases } => {
                let union = format!("{f}_val");
                let has_union = cases.iter().any(|c| c.ty.is_some());
                o.open(&lift_head);
                o.open("match v.tag");
                for (i, c) in cases.iter().enumerate() {
                    let case = camel(&c.name);
                    match &c.ty {
                        Some(t) => {
                            let member = ffi_field(&c_ident(&c.name));
                            let src = format!("unsafe {{ v.val.{member} }}");
                            o.line(&format!(
                                "{i} => {ok}({n}::{case}({})),",
                                self.lift_q(t, &src, d, &format!("case `{}`", c.name))
                            ));
                        }
                        None => o.line(&format!("{i} => {ok}({n}::{case}),")),
                    }
                }
                o.line(&format!(
                    "t => {err}(::std::format!(\"tag {{t}} is out of range for variant `{wit}` ({} cases)\")),",
                    cases.len()
                ));
                o.close();
                o.close();
                self.lower_by_match(o, [&lower_head, &lower_owned_head], |o, lower| {
                    for (i, c) in cases.iter().enumerate() {
                        let case = camel(&c.name);
                        let tag = format!("tag: {i}");
                        match &c.ty {
                            Some(t) => {
                                let member = ffi_field(&c_ident(&c.name));
                                let val = lower(t);
                                o.line(&format!(
                                    "{n}::{case}(x) => {f} {{ {tag}, val: {union} {{ {member}: {val} }} }},"
                                ));
                            }
                            None if has_union => {
                                o.line(&format!("{n}::{case} => {f} {{ {tag}, val: {zeroed} }},"))
                            }
                            None => o.line(&format!("{n}::{case} => {f} {{ {tag} }},")),
                        }
                    }
                });
                if owns {
                    o.open(&release_head);
                    let members = cases
                        .iter()
                        .map(|c| (c.ty.as_ref(), ffi_field(&c_ident(&c.name))));
                    self.release_by_tag(o, "v.tag", members);
                    o.close();
                }
                if has_own {
                    o.open(&drop_own_head);
                    let members = cases
                        .iter()
                        .map(|c| (c.ty.as_ref(), ffi_field(&c_ident(&c.name))));
                    self.drop_own_by_tag(o, "v.tag", members);
                    o.close();
                }
            }
            TypeDefKind::Option { ty } => {
                o.open(&lift_head);
                o.open("match v.is_some");
                o.line(&format!("0 => {ok}(::core::option::Option::None),"));
                o.line(&format!(
                    "1 => {ok}(::core::option::Option::Some({})),",
                    self.lift_q(ty, "v.val", d, "option value")
                ));
                o.line(&format!(
                    "t => {err}(::std::format!(\"option discriminant {{t}} is neither 0 nor 1\")),"
                ));
                o.close();
                o.close();
                self.lower_by_match(o, [&lower_head, &lower_owned_head], |o, lower| {
                    o.line(&format!(
                        "::core::option::Option::Some(x) => {f} {{ is_some: 1, val: {} }},",
                        lower(ty)
                    ));
                    o.line(&format!(
                        "::core::option::Option::None => {f} {{ is_some: 0, val: {zeroed} }},"
                    ));
                });
                if owns {
                    o.open(&release_head);
                    if let Some(s) = self.release_s(ty, "v.val", d) {
                        o.line(&format!("if v.is_some == 1 {{ {s} }}"));
                    }
                    o.close();
                }
                if has_own {
                    o.open(&drop_own_head);
                    if let Some(s) = self.drop_own_s(ty, "v.val", d) {
                        o.line(&format!("if v.is_some == 1 {{ {s} }}"));
                    }
                    o.close();
                }
            }
            TypeDefKind::Result { ok: okt, err: errt } => {
                let union = format!("{f}_val");
                let has_union = okt.is_some() || errt.is_some();
                o.open(&lift_head);
                o.open("match v.is_err");
                for (i, (t, member, case)) in [(okt, "ok", ok), (errt, "err", err)]
                    .into_iter()
                    .enumerate()
                {
                    let inner = match t {
                        Some(t) => self.lift_q(
                            t,
                            &format!("unsafe {{ v.val.{member} }}"),
                            d,
                            &format!("{member} value"),
                        ),
                        None => "()".to_string(),
                    };
                    o.line(&format!("{i} => {ok}({case}({inner})),"));
                }
                o.line(&format!(
                    "t => {err}(::std::format!(\"result discriminant {{t}} is neither 0 nor 1\")),"
                ));
                o.close();
                o.close();
                self.lower_by_match(o, [&lower_head, &lower_owned_head], |o, lower| {
                    for (i, (t, member, case)) in [(okt, "ok", ok), (errt, "err", err)]
                        .into_iter()
                        .enumerate()
                    {
                        match t {
                            Some(t) => {
                                let val = lower(t);
                                o.line(&format!(
                                    "{case}(x) => {f} {{ is_err: {i}, val: {union} {{ {member}: {val} }} }},"
                                ));
                            }
                            None if has_union => o.line(&format!(
                                "{case}(_) => {f} {{ is_err: {i}, val: {zeroed} }},"
                            )),
                            None => o.line(&format!("{case}(_) => {f} {{ is_err: {i} }},")),
                        }
                    }
                });
                if owns {
                    o.open(&release_head);
                    let members = [
                        (okt.as_ref(), "ok".to_string()),
                        (errt.as_ref(), "err".into()),
                    ];
                    self.release_by_tag(o, "v.is_err", members);
                    o.close();
                }
                if has_own {
                    o.open(&drop_own_head);
                    let members = [
                        (okt.as_ref(), "ok".to_string()),
                        (errt.as_ref(), "err".into()),
                    ];
                    self.drop_own_by_tag(o, "v.is_err", members);
                    o.close();
                }
            }
            TypeDefKind::List { ty } => {
                let plain = Self::is_plain_num(self.resolve(*ty));
                let en = self.nty(ty, d);
                let ef = self.fty(ty, Some(d));
                o.open(&lift_head);
                if plain {
                    o.line("unsafe { ::plugport::rt::lift_vec(v.ptr, v.len) }");
                } else {
                    o.line("let sl = unsafe { ::plugport::rt::lift_slice(v.ptr, v.len) }?;");
                    // The length was checked against the C element size only: reserve
                    // at most a bounded amount up front.
                    o.line(&format!(
                        "let mut out: {VEC}<{en}> = {VEC}::with_capacity(::plugport::rt::lift_capacity::<{en}>(sl.len()));"
                    ));
                    self.lift_elements(o, ty, "sl", d, has_own, err);
                    o.line(&format!("{ok}(out)"));
                }
                o.close();
                o.open(&format!("pub fn lower_{m}(v: &[{en}], {scratch}) -> {f}"));
                if plain {
                    o.line(&format!("{f} {{ ptr: v.as_ptr(), len: v.len() }}"));
                } else {
                    o.line(&format!(
                        "let mut tmp: {VEC}<{ef}> = {VEC}::with_capacity(v.len());"
                    ));
                    o.open("for x in v.iter()");
                    o.line(&format!("tmp.push({});", self.lower_e(ty, "(*x)", d)));
                    o.close();
                    o.line("let (ptr, len) = s.keep(tmp);");
                    o.line(&format!("{f} {{ ptr, len }}"));
                }
                o.close();
                o.open(&format!("pub fn lower_owned_{m}(v: {VEC}<{en}>) -> {f}"));
                if plain {
                    o.line("let (ptr, len) = ::plugport::rt::alloc_vec(v);");
                } else {
                    o.line(&format!(
                        "let mut tmp: {VEC}<{ef}> = {VEC}::with_capacity(v.len());"
                    ));
                    o.open("for x in v");
                    o.line(&format!("tmp.push({});", self.lower_owned_e(ty, "x", d)));
                    o.close();
                    o.line("let (ptr, len) = ::plugport::rt::alloc_vec(tmp);");
                }
                o.line(&format!("{f} {{ ptr, len }}"));
                o.close();
                o.open(&release_head);
                each_element(o, self.release_s(ty, "(*e)", d));
                o.line("unsafe { ::plugport::rt::release_slice(v.ptr, v.len, d) };");
                o.close();
                if has_own {
                    o.open(&drop_own_head);
                    each_element(o, self.drop_own_s(ty, "(*e)", d));
                    o.close();
                }
            }
            TypeDefKind::FixedList { ty, len } => {
                let plain = Self::is_plain_num(self.resolve(*ty));
                let en = self.nty(ty, d);
                o.open(&lift_head);
                if plain {
                    o.line(&format!("{ok}(v.elems)"));
                } else {
                    o.line(&format!(
                        "let mut out: {VEC}<{en}> = {VEC}::with_capacity({len});"
                    ));
                    self.lift_elements(o, ty, "v.elems", d, has_own, err);
                    o.open(&format!("match <[{en}; {len}]>::try_from(out)"));
                    o.line(&format!("::core::result::Result::Ok(a) => {ok}(a),"));
                    o.line(&format!(
                        "::core::result::Result::Err(_) => {err}(::std::string::String::from(\"fixed-length list: not {len} elements\")),"
                    ));
                    o.close();
                }
                o.close();
                o.open(&lower_head);
                if plain {
                    o.line(&format!("let _ = s;\n{f} {{ elems: *v }}"));
                } else {
                    o.line(&format!(
                        "{f} {{ elems: ::core::array::from_fn(|i| {}) }}",
                        self.lower_e(ty, "v[i]", d)
                    ));
                }
                o.close();
                o.open(&lower_owned_head);
                if plain {
                    o.line(&format!("{f} {{ elems: v }}"));
                } else {
                    o.line("let mut it = ::core::iter::IntoIterator::into_iter(v);");
                    o.line(&format!(
                        "{f} {{ elems: ::core::array::from_fn(|_| {{ let x = it.next().expect(\"{len} elements\"); {} }}) }}",
                        self.lower_owned_e(ty, "x", d)
                    ));
                }
                o.close();
                if owns {
                    o.open(&release_head);
                    if let Some(s) = self.release_s(ty, "(*e)", d) {
                        o.open("for e in v.elems.iter()");
                        o.line(&s);
                        o.close();
                    }
                    o.close();
                }
                if has_own {
                    o.open(&drop_own_head);
                    if let Some(s) = self.drop_own_s(ty, "(*e)", d) {
                        o.open("for e in v.elems.iter()");
                        o.line(&s);
                        o.close();
                    }
                    o.close();
                }
            }
            TypeDefKind::Map { key, value } => {
                let kn = self.nty(key, d);
                let vn = self.nty(value, d);
                let ef = self.ffi_path(&self.c.map_entry(id), d);
                o.open(&lift_head);
                o.line("let sl = unsafe { ::plugport::rt::lift_slice(v.ptr, v.len) }?;");
                o.line(&format!("let mut out: {MAP}<{kn}, {vn}> = {MAP}::new();"));
                o.open("for (i, e) in sl.iter().enumerate()");
                // On an error, the handles of the entries after this one are dropped (this
                // entry's value, once lifted, drops with its binding).
                let mut rest = String::new();
                if let Some(s) = self.drop_own_s(value, "r.value", d) {
                    rest = format!("for r in &sl[i + 1..] {{ {s} }} ");
                }
                for (what, t, src, bind) in
                    [("value", value, "e.value", "x"), ("key", key, "e.key", "k")]
                {
                    match self.lift_e(t, src, d) {
                        (e, true) => {
                            o.open(&format!("let {bind} = match {e}"));
                            o.line("::core::result::Result::Ok(x) => x,");
                            o.line(&format!(
                                "::core::result::Result::Err(e) => {{ {rest}return {err}(::std::format!(\"[{{i}}] {what}: {{e}}\")); }}"
                            ));
                            o.close_with("};");
                        }
                        (e, false) => o.line(&format!("let {bind} = {e};")),
                    }
                }
                // A map type cannot hold two equal keys: refuse rather than overwrite
                // (`docs/abi.md` §3, "Maps"; rule 5).
                o.open("if out.contains_key(&k)");
                o.line(&format!(
                    "{rest}return {err}(::std::format!(\"[{{i}}]: duplicate key {{k:?}} in a map (docs/abi.md §3)\"));"
                ));
                o.close();
                o.line("out.insert(k, x);");
                o.close();
                o.line(&format!("{ok}(out)"));
                o.close();
                o.open(&lower_head);
                o.line(&format!(
                    "let mut tmp: {VEC}<{ef}> = {VEC}::with_capacity(v.len());"
                ));
                o.open("for (k, x) in v.iter()");
                o.line(&format!(
                    "tmp.push({ef} {{ key: {}, value: {} }});",
                    self.lower_e(key, "(*k)", d),
                    self.lower_e(value, "(*x)", d)
                ));
                o.close();
                o.line("let (ptr, len) = s.keep(tmp);");
                o.line(&format!("{f} {{ ptr, len }}"));
                o.close();
                o.open(&lower_owned_head);
                o.line(&format!(
                    "let mut tmp: {VEC}<{ef}> = {VEC}::with_capacity(v.len());"
                ));
                o.open("for (k, x) in v");
                o.line(&format!(
                    "tmp.push({ef} {{ key: {}, value: {} }});",
                    self.lower_owned_e(key, "k", d),
                    self.lower_owned_e(value, "x", d)
                ));
                o.close();
                o.line("let (ptr, len) = ::plugport::rt::alloc_vec(tmp);");
                o.line(&format!("{f} {{ ptr, len }}"));
                o.close();
                o.open(&release_head);
                let rk = self.release_s(key, "e.key", d);
                let rv = self.release_s(value, "e.value", d);
                each_element(o, [rk, rv].into_iter().flatten());
                o.line("unsafe { ::plugport::rt::release_slice(v.ptr, v.len, d) };");
                o.close();
                if has_own {
                    o.open(&drop_own_head);
                    each_element(o, self.drop_own_s(value, "e.value", d));
                    o.close();
                }
            }
            TypeDefKind::Alias { .. }
            | TypeDefKind::Resource
            | TypeDefKind::Own { .. }
            | TypeDefKind::Borrow { .. } => {}
        }
    }
}

/// Emits `lines` once per element of the C slice `v` (a list's or map's `{ptr, len}`), as
/// `e`, inside a check of the slice; nothing when there are no lines.
fn each_element(o: &mut Out, lines: impl IntoIterator<Item = String>) {
    let lines: Vec<String> = lines.into_iter().collect();
    if lines.is_empty() {
        return;
    }
    o.open(
        "if let ::core::result::Result::Ok(sl) = unsafe { ::plugport::rt::lift_slice(v.ptr, v.len) }",
    );
    o.open("for e in sl.iter()");
    for s in &lines {
        o.line(s);
    }
    o.close();
    o.close();
}
