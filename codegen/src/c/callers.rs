//! Checked callers and validating trampolines (`docs/abi.md` section 11): for every slot
//! of every table (interface tables, resource vtables, the world's `_exports` and
//! `_imports` tables)
//!
//! - `<base>_has_<slot>`: whether the table has the slot (`header.size` and non-NULL);
//! - `<base>_call_<slot>`: the caller a C host (or plugin, for imports) uses instead of the
//!   raw slot: `PP_ERR_UNSUPPORTED` for a missing slot (dropping `own` arguments), zeroed
//!   `*ret` and `*err`, the callee's error message checked, the result checked against
//!   rule 1 (not inside a borrowed argument) and by its validator, released and replaced by
//!   `PP_ERR_INVALID_RESULT` with a static message when it fails;
//! - `<BASE>_<SLOT>_TRAMPOLINE(NAME, IMPL)`: a macro defining a slot function `NAME` that
//!   validates the arguments, refuses bad ones with `PP_ERR_INVALID_ARGUMENT` (dropping
//!   every `own` argument) and otherwise returns `IMPL(args...)`;
//!
//! and `<prefix>_<w>_{exports,imports}_get_<i>` for the interface pointers of world
//! tables. `<base>` is `<prefix>_<i>` for an interface table, the handle type
//! `<prefix>_<i>_<r>` for a vtable, `<prefix>_<w>_exports` / `_imports` for world tables.

use std::collections::HashSet;
use std::fmt::Write as _;

use plugport::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, World, WorldItem};

use super::descriptor::continued;
use super::release::release_fn;
use super::tables::{interfaces, wrap};
use super::validate::{check_fn, drop_owns, whys};
use super::{Ctx, Item};
use crate::names::{c_ident, CNames};

/// Which kind of table a slot is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Holder {
    /// An interface table `<prefix>_<i>_table`.
    Table,
    /// A resource vtable; the caller takes the handle.
    Vtable,
    /// The world's `_exports` (`true`) or `_imports` table.
    World(bool),
}

/// One slot of one table, with the names of its caller, `has_` check and trampoline.
pub(super) struct Slot<'w> {
    pub f: &'w Function,
    pub holder: Holder,
    /// `<prefix>_<i>`, the handle type, or `<prefix>_<w>_exports` / `_imports`.
    pub base: String,
    /// The slot's member name (`docs/abi.md` §5).
    pub slot: String,
    /// The C type of the table or vtable.
    pub table: String,
    /// `example:greeter/greet.greet`: how messages name the function.
    pub display: String,
    /// Who implements the slot, for the `PP_ERR_UNSUPPORTED` message.
    pub provider: &'static str,
    /// Whether a plugin of this world may call the slot: false only for the slots of what
    /// the world exports and does not import (exported interfaces, their resources, the
    /// `_exports` table's functions), which only hosts call. Their checked callers are left
    /// out when the includer defines `PP_PLUGIN_SIDE` (`docs/abi.md` section 11).
    pub plugin_calls: bool,
}

impl Slot<'_> {
    pub(super) fn has_name(&self) -> String {
        format!("{}_has_{}", self.base, self.slot)
    }
    pub(super) fn call_name(&self) -> String {
        format!("{}_call_{}", self.base, self.slot)
    }
    /// The invoker of a table slot (not of a vtable's): the checked caller without the
    /// presence check, taking the slot and `dealloc` as arguments.
    pub(super) fn invoke_name(&self) -> String {
        format!("{}_invoke_{}", self.base, self.slot)
    }
    pub(super) fn macro_name(&self) -> String {
        format!("{}_{}_TRAMPOLINE", self.base, self.slot).to_ascii_uppercase()
    }
}

/// The `get_<i>` accessor of an interface pointer in a world table.
pub(super) struct Getter {
    pub name: String,
    /// The world table's C type, and whether it is `_exports`.
    pub table: String,
    pub exports: bool,
    /// The member (the interface's C name) and the interface table's C type.
    pub field: String,
    pub iface_table: String,
    /// The interface's IR name.
    pub interface: String,
}

/// `namespace:name` of the package that defines `iface` (or the world's).
fn package_of(world: &World, iface: Option<&Interface>) -> String {
    let p = iface
        .and_then(|i| i.package.as_ref())
        .unwrap_or(&world.package);
    format!("{}:{}", p.namespace, p.name)
}

/// Who implements the slots of interface tables and vtables, for the `PP_ERR_UNSUPPORTED`
/// message. Not "the plugin" or "the host": the text of an interface's callers is shared
/// by the headers of every world of the package (one guarded definition), and one world
/// may import an interface that another exports.
const CALLEE: &str = "the callee";

/// Every slot of every table of `world`, in header order: interface tables (imports
/// first, each interface once), resource vtables (in type order), then the bare functions
/// of the `_exports` and `_imports` tables.
pub(super) fn slots<'w>(names: &CNames, world: &'w World) -> Vec<Slot<'w>> {
    let mut out = Vec::new();
    let ifaces = interfaces(world);
    for i in &ifaces {
        let pkg = package_of(world, Some(i));
        for f in &i.functions {
            let what = match f.kind {
                FunctionKind::Method(_) => continue,
                FunctionKind::Freestanding => f.name.clone(),
                FunctionKind::Constructor(r) | FunctionKind::Static(r) => {
                    format!("{}.{}", resource_name(world, r), f.name)
                }
            };
            out.push(Slot {
                f,
                holder: Holder::Table,
                base: format!("{}_{}", names.prefix, plugport::ir::snake(&i.name)),
                slot: names.slot(&f.name, f.kind),
                table: names.table(&i.name),
                display: format!("{pkg}/{}.{what}", i.name),
                provider: CALLEE,
                plugin_calls: !exported_only(world, &i.name),
            });
        }
    }
    // The methods of a vtable are those of the first interface that lists any for the
    // resource (as `tables::vtable_item`).
    for id in 0..world.types.len() {
        if world.ty(id).kind != TypeDefKind::Resource {
            continue;
        }
        let found = ifaces.iter().find_map(|i| {
            let m: Vec<&Function> = i
                .functions
                .iter()
                .filter(|f| f.kind == FunctionKind::Method(id))
                .collect();
            (!m.is_empty()).then_some((*i, m))
        });
        let Some((i, methods)) = found else { continue };
        let pkg = package_of(world, Some(i));
        for f in methods {
            out.push(Slot {
                f,
                holder: Holder::Vtable,
                base: names.type_id(id),
                slot: names.slot(&f.name, f.kind),
                table: names.vtable(id),
                display: format!("{pkg}/{}.{}.{}", i.name, resource_name(world, id), f.name),
                provider: CALLEE,
                plugin_calls: !exported_only(world, &i.name),
            });
        }
    }
    let pkg = package_of(world, None);
    for (items, exports) in [(&world.exports, true), (&world.imports, false)] {
        let table = if exports {
            names.exports()
        } else {
            names.imports()
        };
        for item in items {
            if let WorldItem::Function(f) = item {
                out.push(Slot {
                    f,
                    holder: Holder::World(exports),
                    base: table.clone(),
                    slot: names.slot(&f.name, f.kind),
                    table: table.clone(),
                    display: format!("{pkg}/{}.{}", world.name, f.name),
                    provider: if exports { "this plugin" } else { "the host" },
                    plugin_calls: !exports,
                });
            }
        }
    }
    out
}

/// Whether the world exports the interface `name` and does not import it: then only hosts
/// call its slots (a resource's methods are in the interface that defines it).
fn exported_only(world: &World, name: &str) -> bool {
    let has = |items: &[WorldItem]| {
        items
            .iter()
            .any(|it| matches!(it, WorldItem::Interface(i) if i.name == name))
    };
    has(&world.exports) && !has(&world.imports)
}

fn resource_name(world: &World, id: usize) -> &str {
    world.ty(id).name.as_deref().unwrap_or("resource")
}

/// The `get_<i>` accessors of the world's `_exports` and `_imports` tables.
pub(super) fn getters(names: &CNames, world: &World) -> Vec<Getter> {
    let mut out = Vec::new();
    for (items, exports) in [(&world.exports, true), (&world.imports, false)] {
        let table = if exports {
            names.exports()
        } else {
            names.imports()
        };
        for item in items {
            if let WorldItem::Interface(i) = item {
                let field = c_ident(&i.name);
                out.push(Getter {
                    name: format!("{table}_get_{}", plugport::ir::snake(&i.name)),
                    table: table.clone(),
                    exports,
                    field,
                    iface_table: names.table(&i.name),
                    interface: i.name.clone(),
                });
            }
        }
    }
    out
}

/// The type behind any chain of aliases.
fn resolve(world: &World, ty: &Type) -> Type {
    let mut t = *ty;
    while let Type::Id(id) = t {
        match &world.ty(id).kind {
            TypeDefKind::Alias { ty } => t = *ty,
            _ => break,
        }
    }
    t
}

/// `(ptr, len, element size)` of a string or list value at `place`, else `None`.
fn span(ctx: &Ctx, ty: &Type, place: &str) -> Option<(String, String, String)> {
    match resolve(ctx.world, ty) {
        Type::String => Some((format!("{place}.ptr"), format!("{place}.len"), "1".into())),
        Type::Id(id) => match &ctx.world.ty(id).kind {
            TypeDefKind::List { ty } => Some((
                format!("{place}.ptr"),
                format!("{place}.len"),
                format!("sizeof({})", ctx.names.ty(ty)),
            )),
            TypeDefKind::Map { .. } => Some((
                format!("{place}.ptr"),
                format!("{place}.len"),
                format!("sizeof({})", ctx.names.map_entry(id)),
            )),
            _ => None,
        },
        _ => None,
    }
}

/// The top-level strings and lists of a result: the value itself, or the payload of an
/// option or result, each with the condition under which it is present.
fn result_spans(ctx: &Ctx, ty: &Type) -> Vec<(Option<String>, (String, String, String))> {
    if let Some(s) = span(ctx, ty, "(*ret)") {
        return vec![(None, s)];
    }
    let mut out = Vec::new();
    if let Type::Id(id) = resolve(ctx.world, ty) {
        match &ctx.world.ty(id).kind {
            TypeDefKind::Option { ty } => {
                if let Some(s) = span(ctx, ty, "ret->val") {
                    out.push((Some("ret->is_some == 1".to_string()), s));
                }
            }
            TypeDefKind::Result { ok, err } => {
                for (t, cond, member) in [(ok, "0", "ok"), (err, "1", "err")] {
                    if let Some(s) = t
                        .as_ref()
                        .and_then(|t| span(ctx, t, &format!("ret->val.{member}")))
                    {
                        out.push((Some(format!("ret->is_err == {cond}")), s));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The checked caller (with its `has_` check and invoker) of one slot.
pub(super) fn caller_item(ctx: &Ctx, s: &Slot) -> Item {
    let mut text = has_fn(s);
    if has_invoker(s) {
        text += &invoke_fn(ctx, s);
    }
    text += &call_fn(ctx, s);
    Item {
        name: s.call_name(),
        text,
    }
}

/// The validating trampoline macro of one slot (plugins use it for what they implement;
/// it needs the validators, not the callers).
pub(super) fn trampoline_item(ctx: &Ctx, s: &Slot) -> Item {
    Item {
        name: s.macro_name(),
        text: trampoline(ctx, s),
    }
}

fn has_fn(s: &Slot) -> String {
    let (param, t, (open, close)) = match s.holder {
        Holder::Vtable => (
            format!("{} self", s.base),
            "self.vtable",
            ("self.self != NULL && ", ""),
        ),
        _ => (format!("const {} *t_", s.table), "t_", ("", "")),
    };
    format!(
        "/* 1 when the table has the slot `{slot}` of {disp} (docs/abi.md section 5), else 0. */
static inline int {name}({param}) {{
    return {open}{t} != NULL &&
           (size_t){t}->header.size >= offsetof({table}, {slot}) + sizeof(void *) &&
           {t}->{slot} != NULL{close};
}}
",
        slot = s.slot,
        disp = s.display,
        name = s.has_name(),
        table = s.table,
    )
}

/// The C parameters of a slot's caller after the table or handle: the arguments, `ret`
/// (when the function has a result) and `pp_error *err`; with the argument names.
fn caller_params(ctx: &Ctx, f: &Function) -> (Vec<String>, Vec<String>) {
    let mut params = Vec::new();
    let mut args = Vec::new();
    for p in &f.params {
        params.push(format!("{} {}", ctx.names.ty(&p.ty), c_ident(&p.name)));
        args.push(c_ident(&p.name));
    }
    if let Some(r) = &f.result {
        params.push(format!("{} *ret", ctx.names.ty(r)));
        args.push("ret".into());
    }
    params.push("pp_error *err".into());
    args.push("err".into());
    (params, args)
}

/// Whether the slot has an invoker `<base>_invoke_<slot>` (the slots of interface and world
/// tables; vtable slots are called through a handle, whose vtable is checked per call).
pub(super) fn has_invoker(s: &Slot) -> bool {
    s.holder != Holder::Vtable
}

/// The checked caller of one slot. For table slots it checks presence, zeroes `*ret` and
/// `*err`, and calls the invoker with the table's slot and `dealloc`.
fn call_fn(ctx: &Ctx, s: &Slot) -> String {
    let names = &ctx.names;
    let f = s.f;
    let vt = s.holder == Holder::Vtable;
    let (mut params, args) = caller_params(ctx, f);
    params.insert(
        0,
        if vt {
            format!("{} self", s.base)
        } else {
            format!("const {} *t_", s.table)
        },
    );
    let mut b = String::new();
    if !has_invoker(s) {
        b += &declarations(ctx, f);
    }
    if f.result.is_some() {
        b += "    pp_zero(ret, sizeof *ret);\n";
    }
    b += "    pp_zero(err, sizeof *err);\n";
    let self_arg = if vt { "self" } else { "t_" };
    let _ = writeln!(b, "    if (!{}({self_arg})) {{", s.has_name());
    for p in &f.params {
        for line in drop_owns(names, ctx.world, &p.ty, &c_ident(&p.name), "        ", 0) {
            let _ = writeln!(b, "{line}");
        }
    }
    let _ = writeln!(
        b,
        "        pp_error_static(err, \"{}: not provided by {} (older minor version?)\");",
        s.display, s.provider
    );
    b += "        return PP_ERR_UNSUPPORTED;\n    }\n";
    if has_invoker(s) {
        let mut a = vec![format!("t_->{}", s.slot), "t_->header.dealloc".into()];
        a.extend(args);
        b += &wrap(&format!("    return {}(", s.invoke_name()), &a, ");");
    } else {
        let mut a = vec!["self.self".to_string()];
        a.extend(args);
        *a.last_mut().expect("err is the last argument") = "&pp_e_".into();
        b += &wrap(&format!("    pp_st_ = self.vtable->{}(", s.slot), &a, ");");
        b += &after_call(ctx, s, "self.vtable->header.dealloc");
    }

    let head = format!("static inline pp_status {}(", s.call_name());
    let doc = format!(
        "/* Calls {disp} through the slot `{slot}`: PP_ERR_UNSUPPORTED when the table lacks it,
 * else the callee's status; on PP_OK *ret is checked and owned by the caller (release it
 * with the {which} header.dealloc), else *err says why (release it with pp_error_release).
 * docs/abi.md section 11. */
",
        disp = s.display,
        slot = s.slot,
        which = if vt { "vtable's" } else { "table's" },
    );
    let mut out = doc;
    out.reserve(b.len() + 256);
    out.push_str(&wrap(&head, &params, ") {"));
    out.push_str(&b);
    out.push_str("}\n");
    out
}

/// The invoker of a table slot: the checked caller's work after the presence check, for
/// callers that resolved the slot once (the C++ clients, `docs/abi.md` section 11).
fn invoke_fn(ctx: &Ctx, s: &Slot) -> String {
    let f = s.f;
    let (params, args) = caller_params(ctx, f);
    let mut fn_params: Vec<String> = f.params.iter().map(|p| ctx.names.ty(&p.ty)).collect();
    if let Some(r) = &f.result {
        fn_params.push(format!("{} *", ctx.names.ty(r)));
    }
    fn_params.push("pp_string *".into());
    let mut all = vec![
        format!("pp_status (*pp_fn_)({})", fn_params.join(", ")),
        "pp_dealloc_fn pp_dealloc_".to_string(),
    ];
    all.extend(params);
    let mut call_args = args;
    *call_args.last_mut().expect("err is the last argument") = "&pp_e_".into();
    let mut b = declarations(ctx, f);
    b += &wrap("    pp_st_ = pp_fn_(", &call_args, ");");
    b += &after_call(ctx, s, "pp_dealloc_");
    let head = format!("static inline pp_status {}(", s.invoke_name());
    let doc = format!(
        "/* {call} without the presence check, for a caller that resolved the slot `{slot}`
 * of {disp} once (pp_fn_ non-NULL, pp_dealloc_ the table's header.dealloc): the callee's
 * status, with *ret checked and owned by the caller on PP_OK; *err is written only when
 * the status is not PP_OK, *ret only by the callee. docs/abi.md section 11. */
",
        call = s.call_name(),
        slot = s.slot,
        disp = s.display,
    );
    let mut out = doc;
    out.reserve(b.len() + 256);
    out.push_str(&wrap(&head, &all, ") {"));
    out.push_str(&b);
    out.push_str("}\n");
    out
}

/// The locals of a caller body: the callee's message, the status and, for a checked
/// result, the validator's answer.
fn declarations(ctx: &Ctx, f: &Function) -> String {
    let mut b = String::from("    pp_string pp_e_ = {NULL, 0};\n    pp_status pp_st_;\n");
    let check = f
        .result
        .as_ref()
        .and_then(|r| check_fn(&ctx.names, &ctx.checking, r));
    if check.is_some() {
        b += "    const char *pp_why_;\n";
    }
    b
}

/// What a caller does after the callee returned `pp_st_` (with the message `pp_e_`):
/// passes a failure on with its message, releases a message sent with `PP_OK`, checks the
/// result against rule 1 and its validator.
fn after_call(ctx: &Ctx, s: &Slot, dealloc: &str) -> String {
    let names = &ctx.names;
    let f = s.f;
    let check = f
        .result
        .as_ref()
        .and_then(|r| check_fn(names, &ctx.checking, r));
    let mut b = String::new();
    b += "    if (pp_st_ != PP_OK) {\n";
    let _ = writeln!(b, "        pp_error_from_callee(err, pp_e_, {dealloc});");
    b += "        return pp_st_;\n    }\n";
    let _ = writeln!(
        b,
        "    pp_string_release(&pp_e_, {dealloc}); /* a message with PP_OK */"
    );
    if let Some(r) = &f.result {
        // Rule 1: a top-level string or list of the result inside a borrowed top-level
        // string or list argument is the caller's own memory: refused, never released.
        let arg_spans: Vec<(String, String, String)> = f
            .params
            .iter()
            .filter_map(|p| span(ctx, &p.ty, &c_ident(&p.name)))
            .collect();
        let mut overlaps = Vec::new();
        for (cond, (rp, rl, rs)) in result_spans(ctx, r) {
            for (ap, al, asz) in &arg_spans {
                let o = format!("pp_overlaps({rp}, {rl}, {rs}, {ap}, {al}, {asz})");
                overlaps.push(match &cond {
                    Some(c) => format!("({c} && {o})"),
                    None => o,
                });
            }
        }
        if !overlaps.is_empty() {
            let _ = writeln!(b, "    if ({}) {{", overlaps.join(" ||\n        "));
            b += "        pp_zero(ret, sizeof *ret);\n";
            let _ = writeln!(
                b,
                "        pp_error_static(err, \"{}: result: \" PP_WHY_ALIAS);",
                s.display
            );
            b += "        return PP_ERR_INVALID_RESULT;\n    }\n";
        }
        if let Some(check) = &check {
            let _ = writeln!(
                b,
                "    pp_why_ = {check}(ret);\n    if (pp_why_ != NULL) {{"
            );
            if let Some(rel) = release_fn(ctx, r) {
                let _ = writeln!(b, "        {rel}(ret, {dealloc});");
            }
            b += "        pp_zero(ret, sizeof *ret);\n";
            let kinds: Vec<&str> = whys(ctx.world, &ctx.checking, r).into_iter().collect();
            let msg = |why: &str| format!("\"{}: result: \" {why}", s.display);
            let (last, rest) = kinds.split_last().expect("a checked type has a why");
            let mut pick = String::new();
            for why in rest {
                let _ = write!(
                    pick,
                    "pp_streq(pp_why_, {why}) ? {} :\n            ",
                    msg(why)
                );
            }
            pick += &msg(last);
            let _ = writeln!(b, "        pp_error_static(err, {pick});");
            b += "        return PP_ERR_INVALID_RESULT;\n    }\n";
        }
    }
    b += "    return PP_OK;\n";
    b
}

fn trampoline(ctx: &Ctx, s: &Slot) -> String {
    let names = &ctx.names;
    let f = s.f;
    let vt = s.holder == Holder::Vtable;
    let mut params = Vec::new();
    let mut args = Vec::new();
    if vt {
        params.push("void *self".to_string());
        args.push("self".to_string());
    }
    for p in &f.params {
        params.push(format!("{} {}", names.ty(&p.ty), c_ident(&p.name)));
        args.push(c_ident(&p.name));
    }
    if let Some(r) = &f.result {
        params.push(format!("{} *ret", names.ty(r)));
        args.push("ret".into());
    }
    params.push("pp_string *err".into());
    args.push("err".into());

    let mut drops = Vec::new();
    for p in &f.params {
        drops.extend(drop_owns(
            names,
            ctx.world,
            &p.ty,
            &c_ident(&p.name),
            "            ",
            0,
        ));
    }
    let mut checks: Vec<(String, String)> = Vec::new(); // (why expression, what)
    if vt {
        checks.push((
            "(self == NULL ? \"NULL pointer\" : (const char *)0)".into(),
            format!("{}: self: ", s.display),
        ));
    }
    for p in &f.params {
        if let Some(c) = check_fn(names, &ctx.checking, &p.ty) {
            checks.push((
                format!("{c}(&{})", c_ident(&p.name)),
                format!("{}: argument `{}`: ", s.display, p.name),
            ));
        }
    }

    let mut lines = vec![format!("#define {}(PP_NAME_, PP_IMPL_)", s.macro_name())];
    let head = wrap("    static pp_status PP_NAME_(", &params, ") {");
    lines.extend(head.lines().map(String::from));
    if !checks.is_empty() {
        lines.push("        const char *pp_why_ = NULL;".into());
        lines.push("        const char *pp_what_ = NULL;".into());
    }
    let null_out = if f.result.is_some() {
        "ret == NULL || err == NULL"
    } else {
        "err == NULL"
    };
    lines.push(format!("        if ({null_out}) {{"));
    lines.extend(drops.iter().cloned());
    lines.push("            return PP_ERR_INVALID_ARGUMENT;".into());
    lines.push("        }".into());
    for (why, what) in &checks {
        lines.push(format!(
            "        if (pp_why_ == NULL && (pp_why_ = {why}) != NULL) {{"
        ));
        lines.push(format!("            pp_what_ = \"{what}\";"));
        lines.push("        }".into());
    }
    if !checks.is_empty() {
        lines.push("        if (pp_why_ != NULL) {".into());
        lines.extend(drops.iter().cloned());
        lines.push("            return pp_argument_error(err, pp_what_, pp_why_);".into());
        lines.push("        }".into());
    }
    let call = wrap("        return PP_IMPL_(", &args, ");");
    lines.extend(call.lines().map(String::from));
    lines.push("    }".into());
    let doc = format!(
        "/* {m}(NAME, IMPL) defines `static pp_status NAME(...)` with the
 * signature of the slot `{slot}` of {disp}: it refuses invalid arguments with
 * PP_ERR_INVALID_ARGUMENT and a message allocated with PP_CALLEE_ALLOC (dropping every own
 * argument), else returns IMPL(...) (same signature). No trailing semicolon. */
",
        m = s.macro_name(),
        slot = s.slot,
        disp = s.display,
    );
    let mut out = doc;
    out.push_str(&continued(&lines));
    out
}

/// The `get_<i>` accessor of a world table's interface pointer.
pub(super) fn getter_item(g: &Getter) -> Item {
    let text = format!(
        "/* The `{i}` table of the {dir} table, or NULL when absent (docs/abi.md section 5). */
static inline const {it} *{name}(const {t} *t_) {{
    return t_ != NULL && (size_t)t_->header.size >= offsetof({t}, {f}) + sizeof(void *)
               ? t_->{f}
               : NULL;
}}
",
        i = g.interface,
        dir = if g.exports { "exports" } else { "imports" },
        it = g.iface_table,
        name = g.name,
        t = g.table,
        f = g.field,
    );
    Item {
        name: g.name.clone(),
        text,
    }
}

/// The items of the callers part of the header, in header order.
pub(super) struct Parts {
    /// Checked callers a plugin may call (imports) and the world tables' `get_<i>`
    /// accessors.
    pub callers: Vec<Item>,
    /// Checked callers only hosts call (exports): the header puts them under
    /// `#ifndef PP_PLUGIN_SIDE`.
    pub host_callers: Vec<Item>,
    /// Validating trampoline macros of every slot.
    pub trampolines: Vec<Item>,
}

/// Every checked caller and trampoline item of the world, deduplicated by name (an
/// interface both imported and exported has one table).
pub(super) fn items(ctx: &Ctx) -> Parts {
    let mut seen = HashSet::new();
    let mut parts = Parts {
        callers: Vec::new(),
        host_callers: Vec::new(),
        trampolines: Vec::new(),
    };
    for s in slots(&ctx.names, ctx.world) {
        if !seen.insert(s.call_name()) {
            continue;
        }
        let item = caller_item(ctx, &s);
        if s.plugin_calls {
            parts.callers.push(item);
        } else {
            parts.host_callers.push(item);
        }
        parts.trampolines.push(trampoline_item(ctx, &s));
    }
    parts
        .callers
        .extend(getters(&ctx.names, ctx.world).iter().map(getter_item));
    parts
}
