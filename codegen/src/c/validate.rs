//! Validators (`docs/abi.md` section 11): `static inline const char *<T>_check(const <T>
//! *v)` for every type with invalid values, and the `own`-handle drop code of failed calls.
//!
//! A validator returns `NULL` for a valid value, else one of the core `PP_WHY_*`
//! descriptions: UTF-8 of strings, `char` scalar values, bool bytes 0/1, enum and variant
//! tags in range, flags without unknown bits, option/result discriminants 0/1, non-NULL
//! `ptr` when `len > 0`, list sizes of at most `PTRDIFF_MAX` bytes, handles with non-NULL
//! `self` and `vtable` whose `header.size` covers `drop`. It follows a discriminant or tag
//! only once it is known to be valid, and a list's elements only once its pointer is, so
//! it never reads through a pointer it has not checked (but it cannot know whether a
//! non-NULL pointer is valid: rule 5 is about data, not wild pointers).
//!
//! The drop code (used by checked callers on `PP_ERR_UNSUPPORTED` and by trampolines on a
//! refused argument) drops every `own` handle inside an argument, following only valid
//! discriminants and non-NULL lists, never a `borrow` (which is the same C type).

use std::collections::BTreeSet;

use plugport::ir::{Type, TypeDefKind, TypeId, World};

use super::layout::{flags_bytes, tag_bytes};
use super::tables::wrap;
use super::{Ctx, Item};
use crate::names::{c_ident, CNames};

/// Which types have invalid values (and so a validator), computed once per world.
pub(super) struct Checking {
    by_id: Vec<bool>,
}

impl Checking {
    /// Classifies every type of `world`.
    pub(super) fn new(world: &World) -> Checking {
        let mut memo = vec![None; world.types.len()];
        for id in 0..world.types.len() {
            needs_id(world, id, &mut memo);
        }
        Checking {
            by_id: memo.into_iter().map(|o| o.unwrap_or(false)).collect(),
        }
    }

    /// True when some C value of `ty` is invalid: bool, char, string, and every type that
    /// contains one, a discriminant, a tag, a pointer or a handle, or has unused bits.
    pub(super) fn needs(&self, ty: &Type) -> bool {
        match ty {
            Type::Bool | Type::Char | Type::String => true,
            Type::Id(id) => self.by_id[*id],
            _ => false,
        }
    }
}

fn needs_use(world: &World, ty: &Type, memo: &mut [Option<bool>]) -> bool {
    match ty {
        Type::Bool | Type::Char | Type::String => true,
        Type::Id(id) => needs_id(world, *id, memo),
        _ => false,
    }
}

fn needs_id(world: &World, id: TypeId, memo: &mut [Option<bool>]) -> bool {
    if let Some(n) = memo[id] {
        return n;
    }
    let needs = match &world.ty(id).kind {
        TypeDefKind::Record { fields } => fields.iter().any(|f| needs_use(world, &f.ty, memo)),
        TypeDefKind::Tuple { types } => types.iter().any(|t| needs_use(world, t, memo)),
        TypeDefKind::Alias { ty } => needs_use(world, ty, memo),
        TypeDefKind::FixedList { ty, .. } => needs_use(world, ty, memo),
        TypeDefKind::Map { .. } => true,
        TypeDefKind::Flags { flags } => (flags.len() as u64) < flags_bytes(flags.len()) * 8,
        TypeDefKind::Enum { cases } => !full_range(cases.len()),
        TypeDefKind::Variant { .. }
        | TypeDefKind::Option { .. }
        | TypeDefKind::Result { .. }
        | TypeDefKind::List { .. }
        | TypeDefKind::Resource
        | TypeDefKind::Own { .. }
        | TypeDefKind::Borrow { .. } => true,
    };
    memo[id] = Some(needs);
    needs
}

/// True when `cases` values fill their tag type (256 in a `uint8_t`, …): no invalid tag.
fn full_range(cases: usize) -> bool {
    cases as u64 == 1u64 << (tag_bytes(cases) * 8).min(63)
}

/// The validator function of a type use (`pp_string_check`, `<T>_check`, …), or `None`
/// when every value of it is valid.
pub(super) fn check_fn(names: &CNames, checking: &Checking, ty: &Type) -> Option<String> {
    if !checking.needs(ty) {
        return None;
    }
    Some(match ty {
        Type::Bool => "pp_bool_check".into(),
        Type::Char => "pp_char_check".into(),
        Type::String => "pp_string_check".into(),
        Type::Id(id) => format!("{}_check", names.type_id(*id)),
        _ => unreachable!("other scalars are always valid"),
    })
}

/// The name of the validator type `id` defines, or `None` when it needs none or its
/// validator is the one of another type with the same C name (`own<R>` and `borrow<R>`
/// use the resource's; an alias with its target's C name uses the target's).
pub(super) fn check_name(
    names: &CNames,
    checking: &Checking,
    world: &World,
    id: TypeId,
) -> Option<String> {
    if !checking.needs(&Type::Id(id)) {
        return None;
    }
    let name = names.type_id(id);
    match &world.ty(id).kind {
        TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => None,
        TypeDefKind::Alias { ty } if names.ty(ty) == name => None,
        _ => Some(format!("{name}_check")),
    }
}

/// The validator of type `id`, or `None` when it defines none ([`check_name`]).
pub(super) fn check_item(ctx: &Ctx, id: TypeId) -> Option<Item> {
    let fn_name = check_name(&ctx.names, &ctx.checking, ctx.world, id)?;
    let name = ctx.names.type_id(id);
    let names = &ctx.names;
    let check = |t: &Type| check_fn(names, &ctx.checking, t);
    // `why = f(&place); if (why != NULL) return why;` for a member that needs checking.
    let member = |t: &Type, place: &str, indent: &str| -> String {
        match check(t) {
            Some(f) => format!(
                "{indent}why = {f}(&{place});\n{indent}if (why != NULL) {{\n{indent}    return why;\n{indent}}}\n"
            ),
            None => String::new(),
        }
    };
    let mut uses_why = false;
    let mut body = String::new();
    match &ctx.world.ty(id).kind {
        TypeDefKind::Record { fields } => {
            for f in fields {
                body += &member(&f.ty, &format!("v->{}", c_ident(&f.name)), "    ");
            }
            uses_why = true;
        }
        TypeDefKind::Tuple { types } => {
            for (i, t) in types.iter().enumerate() {
                body += &member(t, &format!("v->f{i}"), "    ");
            }
            uses_why = true;
        }
        TypeDefKind::Alias { ty } => {
            let f = check(ty).expect("a checked alias has a checked target");
            body += &format!("    return {f}(v);\n");
        }
        TypeDefKind::Flags { flags } => {
            let mask = if flags.is_empty() {
                0
            } else {
                u64::MAX >> (64 - flags.len())
            };
            body += &format!("    if (((uint64_t)*v & ~(uint64_t)0x{mask:x}u) != 0) {{\n");
            body += "        return PP_WHY_FLAGS;\n    }\n    return NULL;\n";
        }
        TypeDefKind::Enum { cases } => {
            body += &format!("    if ((uint32_t)*v >= {}u) {{\n", cases.len());
            body += "        return PP_WHY_ENUM;\n    }\n    return NULL;\n";
        }
        TypeDefKind::Variant { cases } => {
            body += "    switch (v->tag) {\n";
            for case in cases {
                body += &format!("    case {}:\n", names.case_const(id, &case.name));
                if let Some(t) = &case.ty {
                    if let Some(f) = check(t) {
                        body += &format!("        return {f}(&v->val.{});\n", c_ident(&case.name));
                        continue;
                    }
                }
                body += "        return NULL;\n";
            }
            body += "    default:\n        return PP_WHY_TAG;\n    }\n";
        }
        TypeDefKind::Option { ty } => {
            body += "    if (v->is_some > 1) {\n        return PP_WHY_OPTION;\n    }\n";
            if let Some(f) = check(ty) {
                body += &format!("    return v->is_some == 1 ? {f}(&v->val) : NULL;\n");
            } else {
                body += "    return NULL;\n";
            }
        }
        TypeDefKind::Result { ok, err } => {
            body += "    if (v->is_err > 1) {\n        return PP_WHY_RESULT;\n    }\n";
            if let Some(f) = ok.as_ref().and_then(check) {
                body += &format!(
                    "    if (v->is_err == 0) {{\n        return {f}(&v->val.ok);\n    }}\n"
                );
            }
            if let Some(f) = err.as_ref().and_then(check) {
                body += &format!(
                    "    if (v->is_err == 1) {{\n        return {f}(&v->val.err);\n    }}\n"
                );
            }
            body += "    return NULL;\n";
        }
        TypeDefKind::List { ty } => {
            let elem = names.ty(ty);
            body +=
                "    if (v->len > 0 && v->ptr == NULL) {\n        return PP_WHY_NULL_PTR;\n    }\n";
            body += &format!("    if (v->len > (size_t)PTRDIFF_MAX / sizeof({elem})) {{\n");
            body += "        return PP_WHY_SIZE;\n    }\n";
            if let Some(f) = check(ty) {
                body += "    {\n        size_t i;\n        for (i = 0; i < v->len; i++) {\n";
                body += &format!("            const char *why = {f}(&v->ptr[i]);\n");
                body += "            if (why != NULL) {\n                return why;\n";
                body += "            }\n        }\n    }\n";
            }
            body += "    return NULL;\n";
        }
        TypeDefKind::Map { key, value } => {
            // As a list of entries; duplicate keys are not C's concern (§3, "Maps").
            let elem = names.map_entry(id);
            body +=
                "    if (v->len > 0 && v->ptr == NULL) {\n        return PP_WHY_NULL_PTR;\n    }\n";
            body += &format!("    if (v->len > (size_t)PTRDIFF_MAX / sizeof({elem})) {{\n");
            body += "        return PP_WHY_SIZE;\n    }\n";
            let (k, val) = (check(key), check(value));
            if k.is_some() || val.is_some() {
                body += "    {\n        size_t i;\n        for (i = 0; i < v->len; i++) {\n";
                body += "            const char *why;\n";
                for (f, m) in [(k, "key"), (val, "value")] {
                    if let Some(f) = f {
                        body += &format!("            why = {f}(&v->ptr[i].{m});\n");
                        body += "            if (why != NULL) {\n                return why;\n";
                        body += "            }\n";
                    }
                }
                body += "        }\n    }\n";
            }
            body += "    return NULL;\n";
        }
        TypeDefKind::FixedList { ty, len } => {
            let f = check(ty).expect("a checked fixed list has checked elements");
            body += &format!("    size_t i;\n    for (i = 0; i < {len}; i++) {{\n");
            body += &format!("        const char *why = {f}(&v->elems[i]);\n");
            body += "        if (why != NULL) {\n            return why;\n        }\n    }\n";
            body += "    return NULL;\n";
        }
        TypeDefKind::Resource => {
            let vtable = names.vtable(id);
            body += "    if (v->self == NULL || v->vtable == NULL ||\n";
            body += "        (size_t)v->vtable->header.size <\n";
            body += &format!("            offsetof({vtable}, drop) + sizeof(void *) ||\n");
            body += "        v->vtable->drop == NULL) {\n";
            body += "        return PP_WHY_HANDLE;\n    }\n    return NULL;\n";
        }
        TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => return None,
    }
    if uses_why {
        body = format!("    const char *why;\n{body}    return NULL;\n");
    }
    let head = format!("static inline const char *{fn_name}(");
    let text = format!(
        "{}{body}}}\n",
        wrap(&head, &[format!("const {name} *v")], ") {")
    );
    Some(Item {
        name: fn_name,
        text,
    })
}

/// The `PP_WHY_*` descriptions a validator of `ty` can return, in a fixed order.
pub(super) fn whys(world: &World, checking: &Checking, ty: &Type) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    collect_whys(world, checking, ty, &mut out);
    out
}

fn collect_whys(world: &World, checking: &Checking, ty: &Type, out: &mut BTreeSet<&'static str>) {
    if !checking.needs(ty) {
        return;
    }
    let id = match ty {
        Type::Bool => {
            out.insert("PP_WHY_BOOL");
            return;
        }
        Type::Char => {
            out.insert("PP_WHY_CHAR");
            return;
        }
        Type::String => {
            out.extend(["PP_WHY_NULL_PTR", "PP_WHY_SIZE", "PP_WHY_UTF8"]);
            return;
        }
        Type::Id(id) => *id,
        _ => return,
    };
    let each = |types: Vec<Type>, out: &mut BTreeSet<&'static str>| {
        for t in types {
            collect_whys(world, checking, &t, out);
        }
    };
    match &world.ty(id).kind {
        TypeDefKind::Record { fields } => each(fields.iter().map(|f| f.ty).collect(), out),
        TypeDefKind::Tuple { types } => each(types.clone(), out),
        TypeDefKind::Alias { ty } => each(vec![*ty], out),
        TypeDefKind::Flags { .. } => {
            out.insert("PP_WHY_FLAGS");
        }
        TypeDefKind::Enum { .. } => {
            out.insert("PP_WHY_ENUM");
        }
        TypeDefKind::Variant { cases } => {
            out.insert("PP_WHY_TAG");
            each(cases.iter().filter_map(|c| c.ty).collect(), out);
        }
        TypeDefKind::Option { ty } => {
            out.insert("PP_WHY_OPTION");
            each(vec![*ty], out);
        }
        TypeDefKind::Result { ok, err } => {
            out.insert("PP_WHY_RESULT");
            each([*ok, *err].into_iter().flatten().collect(), out);
        }
        TypeDefKind::List { ty } => {
            out.extend(["PP_WHY_NULL_PTR", "PP_WHY_SIZE"]);
            each(vec![*ty], out);
        }
        TypeDefKind::Map { key, value } => {
            out.extend(["PP_WHY_NULL_PTR", "PP_WHY_SIZE"]);
            each(vec![*key, *value], out);
        }
        TypeDefKind::FixedList { ty, .. } => each(vec![*ty], out),
        TypeDefKind::Resource | TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {
            out.insert("PP_WHY_HANDLE");
        }
    }
}

/// True when a value of `ty` can hold a handle type `leaf` accepts (given the handle's
/// kind: `Own` or `Borrow`).
pub(crate) fn holds_handle(world: &World, ty: &Type, leaf: &dyn Fn(&TypeDefKind) -> bool) -> bool {
    let Type::Id(id) = ty else { return false };
    let kind = &world.ty(*id).kind;
    match kind {
        TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => leaf(kind),
        TypeDefKind::Record { fields } => fields.iter().any(|f| holds_handle(world, &f.ty, leaf)),
        TypeDefKind::Tuple { types } => types.iter().any(|t| holds_handle(world, t, leaf)),
        TypeDefKind::Variant { cases } => cases
            .iter()
            .filter_map(|c| c.ty.as_ref())
            .any(|t| holds_handle(world, t, leaf)),
        TypeDefKind::Option { ty }
        | TypeDefKind::Alias { ty }
        | TypeDefKind::List { ty }
        | TypeDefKind::FixedList { ty, .. } => holds_handle(world, ty, leaf),
        // Keys are scalars or strings: only values can hold handles.
        TypeDefKind::Map { value, .. } => holds_handle(world, value, leaf),
        TypeDefKind::Result { ok, err } => [ok, err]
            .into_iter()
            .flatten()
            .any(|t| holds_handle(world, t, leaf)),
        _ => false,
    }
}

/// One walk over the handles inside a C value, emitted as C statements: the generated code
/// follows records, tuples, valid option/result/variant discriminants and list elements
/// down to every handle `wants` accepts, and there emits `visit`'s statements. It is
/// shared by every back end that acts on the handles of an argument: the C trampolines
/// and checked callers drop `own` handles ([`drop_owns`]), the Go callee looks for
/// handles it did not make.
pub(crate) struct HandleWalk<'a> {
    pub names: &'a CNames<'a>,
    pub world: &'a World,
    /// Which handles the walk visits, by the handle type's kind (`Own` or `Borrow`).
    pub wants: &'a dyn Fn(&TypeDefKind) -> bool,
    /// Statements for one handle: the handle type's id, its place, the indentation and
    /// the nesting depth.
    pub visit: &'a dyn Fn(TypeId, &str, &str, usize) -> Vec<String>,
    /// Prefix of the loop counters over list elements (`pp_i`: `pp_i0_`, `pp_i1_`, …).
    pub counter: &'a str,
    /// Bound a list's length by `PTRDIFF_MAX / sizeof(element)` before walking it (values
    /// not validated yet); else only its pointer must be non-NULL.
    pub bound_lists: bool,
    /// Extra condition that keeps a loop over list elements going (`&& <cond>`), if any.
    pub loop_while: Option<&'a str>,
}

impl HandleWalk<'_> {
    /// The statements (one per line, indented by `indent`) for the value `place` (an
    /// lvalue of type `ty`) at nesting `depth`; nothing when it holds no wanted handle.
    pub(crate) fn walk(&self, ty: &Type, place: &str, indent: &str, depth: usize) -> Vec<String> {
        if !holds_handle(self.world, ty, self.wants) {
            return Vec::new();
        }
        let Type::Id(id) = ty else {
            return Vec::new();
        };
        let inner = |t: &Type, p: &str, ind: &str| self.walk(t, p, ind, depth + 1);
        let holds = |t: &&Type| holds_handle(self.world, t, self.wants);
        let deeper = format!("{indent}    ");
        let mut out = Vec::new();
        match &self.world.ty(*id).kind {
            TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {
                out = (self.visit)(*id, place, indent, depth);
            }
            TypeDefKind::Alias { ty } => out = inner(ty, place, indent),
            TypeDefKind::Record { fields } => {
                for f in fields {
                    out.extend(inner(
                        &f.ty,
                        &format!("{place}.{}", c_ident(&f.name)),
                        indent,
                    ));
                }
            }
            TypeDefKind::Tuple { types } => {
                for (i, t) in types.iter().enumerate() {
                    out.extend(inner(t, &format!("{place}.f{i}"), indent));
                }
            }
            TypeDefKind::Option { ty } => {
                out.push(format!("{indent}if ({place}.is_some == 1) {{"));
                out.extend(inner(ty, &format!("{place}.val"), &deeper));
                out.push(format!("{indent}}}"));
            }
            TypeDefKind::Result { ok, err } => {
                for (t, disc, member) in [(ok, 0, "ok"), (err, 1, "err")] {
                    if let Some(t) = t.as_ref().filter(holds) {
                        out.push(format!("{indent}if ({place}.is_err == {disc}) {{"));
                        out.extend(inner(t, &format!("{place}.val.{member}"), &deeper));
                        out.push(format!("{indent}}}"));
                    }
                }
            }
            TypeDefKind::Variant { cases } => {
                out.push(format!("{indent}switch ({place}.tag) {{"));
                for case in cases {
                    if let Some(t) = case.ty.as_ref().filter(holds) {
                        out.push(format!(
                            "{indent}case {}:",
                            self.names.case_const(*id, &case.name)
                        ));
                        out.extend(inner(
                            t,
                            &format!("{place}.val.{}", c_ident(&case.name)),
                            &deeper,
                        ));
                        out.push(format!("{deeper}break;"));
                    }
                }
                out.push(format!("{indent}default:"));
                out.push(format!("{deeper}break;"));
                out.push(format!("{indent}}}"));
            }
            TypeDefKind::List { .. } | TypeDefKind::Map { .. } => {
                // A list's elements, or a map's entries' values (keys need no walk).
                let (elem, walked, field) = match &self.world.ty(*id).kind {
                    TypeDefKind::Map { value, .. } => (self.names.map_entry(*id), value, ".value"),
                    TypeDefKind::List { ty } => (self.names.ty(ty), ty, ""),
                    _ => unreachable!("matched above"),
                };
                let i = format!("{}{depth}_", self.counter);
                if self.bound_lists {
                    out.push(format!(
                        "{indent}if ({place}.ptr != NULL && {place}.len <= (size_t)PTRDIFF_MAX / sizeof({elem})) {{"
                    ));
                } else {
                    out.push(format!("{indent}if ({place}.ptr != NULL) {{"));
                }
                out.push(format!("{deeper}size_t {i};"));
                let cond = self
                    .loop_while
                    .map(|c| format!(" && {c}"))
                    .unwrap_or_default();
                out.push(format!(
                    "{deeper}for ({i} = 0; {i} < {place}.len{cond}; {i}++) {{"
                ));
                out.extend(inner(
                    walked,
                    &format!("{place}.ptr[{i}]{field}"),
                    &format!("{deeper}    "),
                ));
                out.push(format!("{deeper}}}"));
                out.push(format!("{indent}}}"));
            }
            TypeDefKind::FixedList { ty, len } => {
                let i = format!("{}{depth}_", self.counter);
                out.push(format!("{indent}{{"));
                out.push(format!("{deeper}size_t {i};"));
                let cond = self
                    .loop_while
                    .map(|c| format!(" && {c}"))
                    .unwrap_or_default();
                out.push(format!(
                    "{deeper}for ({i} = 0; {i} < {len}{cond}; {i}++) {{"
                ));
                out.extend(inner(
                    ty,
                    &format!("{place}.elems[{i}]"),
                    &format!("{deeper}    "),
                ));
                out.push(format!("{deeper}}}"));
                out.push(format!("{indent}}}"));
            }
            _ => {}
        }
        out
    }
}

/// Statements (one per line, indented by `indent`) that drop every `own` handle inside the
/// argument value `place` (an lvalue of type `ty`), or nothing when it holds none. Handles
/// are copied into a local before they are released, so the argument's memory (which the
/// caller may have made `const`) is never written.
pub(crate) fn drop_owns(
    names: &CNames,
    world: &World,
    ty: &Type,
    place: &str,
    indent: &str,
    depth: usize,
) -> Vec<String> {
    let drop = |id: TypeId, place: &str, indent: &str, depth: usize| {
        let h = names.type_id(id);
        vec![format!(
            "{indent}{{ {h} pp_h{depth}_ = {place}; {h}_release(&pp_h{depth}_, NULL); }}"
        )]
    };
    HandleWalk {
        names,
        world,
        wants: &|k| matches!(k, TypeDefKind::Own { .. }),
        visit: &drop,
        counter: "pp_i",
        bound_lists: true,
        loop_while: None,
    }
    .walk(ty, place, indent, depth)
}
