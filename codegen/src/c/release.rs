//! Release helpers (`docs/abi.md` section 6): `static inline void <T>_release(<T> *v,
//! pp_dealloc_fn dealloc)` for every type that owns memory or handles.
//!
//! A helper walks the value: strings and lists with `len > 0` are released with
//! `dealloc(ptr, len * sizeof(T), <alignment of T>)` after their elements; options, results
//! and variants are followed only for a valid discriminant; `own` handles are dropped
//! through their vtable. Strings, lists and handles are emptied afterwards.
//!
//! Corrupt values leak rather than crash, as in the Rust bindings: a list with a NULL
//! pointer or a length of more than `PTRDIFF_MAX` bytes is neither walked nor released, a
//! handle with a NULL `self` or `vtable`, or whose vtable's `header.size` does not cover
//! `drop`, is not dropped, and nothing is passed to a NULL `dealloc` (§2).

use plugport::ir::{Type, TypeDefKind, TypeId, World};
use plugport::plan::Ownership;

use super::tables::wrap;
use super::{Ctx, Item};
use crate::names::{c_ident, CNames};

/// Why a list helper declares `struct pp_align { char c; T t; }`: `offsetof(struct
/// pp_align, t)` is the alignment of `T` (what the C ABI aligns a `T` member to, and what
/// Rust's `align_of` of the `#[repr(C)]` mirror is) in C99, C11 and C++ alike, on every
/// target, with no `_Alignof` (which a strict C99 compiler lacks). The struct is declared
/// on its own, not inside `offsetof`, where defining a type is undefined in ISO C.
const ALIGN_NOTE: &str = "offsetof(struct pp_align, t) is the elements' alignment, C99 too";

/// The name of the release helper of `ty`, or `None` when it owns nothing.
pub(super) fn release_fn(ctx: &Ctx, ty: &Type) -> Option<String> {
    if !ctx.owning.owns(ty) {
        return None;
    }
    Some(match ty {
        Type::String => "pp_string_release".to_string(),
        Type::Id(id) => format!("{}_release", ctx.names.type_id(*id)),
        _ => unreachable!("scalars own nothing"),
    })
}

/// The name of the release helper that type `id` defines, or `None` when it owns nothing
/// or its helper is the one of another type with the same C name: a resource `R` defines
/// the helper of its handle, which `own<R>` and `borrow<R>` name; an alias whose C name is
/// its target's shares the target's helper.
pub(super) fn helper_name(
    names: &CNames,
    owning: &Ownership,
    world: &World,
    id: TypeId,
) -> Option<String> {
    if !owning.owns(&Type::Id(id)) {
        return None;
    }
    let name = names.type_id(id);
    match &world.ty(id).kind {
        TypeDefKind::Flags { .. }
        | TypeDefKind::Enum { .. }
        | TypeDefKind::Own { .. }
        | TypeDefKind::Borrow { .. } => None,
        TypeDefKind::Alias { ty } if names.ty(ty) == name => None,
        _ => Some(format!("{name}_release")),
    }
}

/// The release helper of type `id`, or `None` when it defines none ([`helper_name`]).
pub(super) fn release_item(ctx: &Ctx, id: TypeId) -> Option<Item> {
    let fn_name = helper_name(&ctx.names, &ctx.owning, ctx.world, id)?;
    let name = ctx.names.type_id(id);
    let mut body = String::new();
    let call =
        |t: &Type, place: &str| release_fn(ctx, t).map(|f| format!("{f}(&{place}, dealloc);"));
    match &ctx.world.ty(id).kind {
        TypeDefKind::Record { fields } => {
            for f in fields {
                if let Some(c) = call(&f.ty, &format!("v->{}", c_ident(&f.name))) {
                    body += &format!("    {c}\n");
                }
            }
        }
        TypeDefKind::Tuple { types } => {
            for (i, t) in types.iter().enumerate() {
                if let Some(c) = call(t, &format!("v->f{i}")) {
                    body += &format!("    {c}\n");
                }
            }
        }
        TypeDefKind::Variant { cases } => {
            body += "    switch (v->tag) {\n";
            for case in cases {
                let Some(t) = &case.ty else { continue };
                if let Some(c) = call(t, &format!("v->val.{}", c_ident(&case.name))) {
                    body += &format!(
                        "    case {}:\n        {c}\n        break;\n",
                        ctx.names.case_const(id, &case.name)
                    );
                }
            }
            body += "    default:\n        break; /* no payload, or an invalid tag */\n    }\n";
        }
        TypeDefKind::Option { ty } => {
            let c = call(ty, "v->val").expect("owning option has owning payload");
            body += &format!("    if (v->is_some == 1) {{\n        {c}\n    }}\n");
        }
        TypeDefKind::Result { ok, err } => {
            let ok = ok.and_then(|t| call(&t, "v->val.ok"));
            let err = err.and_then(|t| call(&t, "v->val.err"));
            if let Some(c) = &ok {
                body += &format!("    if (v->is_err == 0) {{\n        {c}\n    }}\n");
            }
            if let Some(c) = &err {
                if ok.is_some() {
                    // Join `} else if` onto the closing brace of the `ok` branch.
                    body.truncate(body.len() - 1);
                    body += " else if";
                } else {
                    body += "    if";
                }
                body += &format!(" (v->is_err == 1) {{\n        {c}\n    }}\n");
            }
        }
        TypeDefKind::List { ty } => {
            // A null pointer or a length no allocation can have (more than PTRDIFF_MAX
            // bytes, so `len * sizeof` could also wrap) is corrupt: leak it rather than
            // walk it or free a wrong size (§5).
            let elem = ctx.names.ty(ty);
            body +=
                &format!("    /* {ALIGN_NOTE} */\n    struct pp_align {{ char c; {elem} t; }};\n");
            body += "    if (v->len > 0 && v->ptr != NULL &&\n";
            body += &format!("        v->len <= (size_t)PTRDIFF_MAX / sizeof({elem})) {{\n");
            if let Some(f) = release_fn(ctx, ty) {
                body += "        size_t i;\n";
                body += "        for (i = 0; i < v->len; i++) {\n";
                body += &format!("            {f}(({elem} *)(uintptr_t)&v->ptr[i], dealloc);\n");
                body += "        }\n";
            }
            body += "        if (dealloc != NULL) {\n";
            body += &wrap(
                "            dealloc(",
                &[
                    "(void *)(uintptr_t)v->ptr".to_string(),
                    format!("v->len * sizeof({elem})"),
                    "offsetof(struct pp_align, t)".to_string(),
                ],
                ");",
            );
            body += "        }\n";
            body += "    }\n    v->ptr = NULL;\n    v->len = 0;\n";
        }
        TypeDefKind::Map { key, value } => {
            // As a list of entries (§6): each entry's key and value, then the array.
            let elem = ctx.names.map_entry(id);
            body +=
                &format!("    /* {ALIGN_NOTE} */\n    struct pp_align {{ char c; {elem} t; }};\n");
            body += "    if (v->len > 0 && v->ptr != NULL &&\n";
            body += &format!("        v->len <= (size_t)PTRDIFF_MAX / sizeof({elem})) {{\n");
            let k = release_fn(ctx, key);
            let val = release_fn(ctx, value);
            if k.is_some() || val.is_some() {
                body += "        size_t i;\n";
                body += "        for (i = 0; i < v->len; i++) {\n";
                body += &format!("            {elem} *e = ({elem} *)(uintptr_t)&v->ptr[i];\n");
                if let Some(f) = &k {
                    body += &format!("            {f}(&e->key, dealloc);\n");
                }
                if let Some(f) = &val {
                    body += &format!("            {f}(&e->value, dealloc);\n");
                }
                body += "        }\n";
            }
            body += "        if (dealloc != NULL) {\n";
            body += &wrap(
                "            dealloc(",
                &[
                    "(void *)(uintptr_t)v->ptr".to_string(),
                    format!("v->len * sizeof({elem})"),
                    "offsetof(struct pp_align, t)".to_string(),
                ],
                ");",
            );
            body += "        }\n";
            body += "    }\n    v->ptr = NULL;\n    v->len = 0;\n";
        }
        TypeDefKind::FixedList { ty, len } => {
            // N elements inline: release each; nothing of its own to free.
            let f = release_fn(ctx, ty).expect("owning fixed list has owning elements");
            body += "    size_t i;\n";
            body += &format!("    for (i = 0; i < {len}; i++) {{\n");
            body += &format!("        {f}(&v->elems[i], dealloc);\n    }}\n");
        }
        TypeDefKind::Alias { ty } => {
            let f = release_fn(ctx, ty).expect("owning alias has owning target");
            body += &format!("    {f}(v, dealloc);\n");
        }
        TypeDefKind::Resource => {
            // Like the Rust bindings: only a valid handle (§5: `self` and `vtable` not
            // NULL) whose vtable is long enough to have `drop` is dropped through.
            let vtable = ctx.names.vtable(id);
            body += "    (void)dealloc;\n";
            body += "    if (v->self != NULL && v->vtable != NULL &&\n";
            body += "        v->vtable->header.size >=\n";
            body += &format!("            offsetof({vtable}, drop) + sizeof(void *) &&\n");
            body += "        v->vtable->drop != NULL) {\n";
            body += "        v->vtable->drop(v->self);\n    }\n";
            body += "    v->self = NULL;\n    v->vtable = NULL;\n";
        }
        TypeDefKind::Flags { .. }
        | TypeDefKind::Enum { .. }
        | TypeDefKind::Own { .. }
        | TypeDefKind::Borrow { .. } => return None,
    }
    let head = format!("static inline void {fn_name}(");
    let params = [format!("{name} *v"), "pp_dealloc_fn dealloc".to_string()];
    let text = format!("{}{body}}}\n", wrap(&head, &params, ") {"));
    Some(Item {
        name: fn_name,
        text,
    })
}
