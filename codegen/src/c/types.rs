//! C definitions of the world's types (`docs/abi.md` sections 3 and 4): one typedef per
//! type, with its case or flag constants and its layout checks.

use plugport::ir::{Type, TypeDefKind, TypeId, World};

use super::asserts::struct_checks;
use super::layout::{flags_bytes, tag_bytes, uint_type, Member};
use super::{Ctx, Item};
use crate::names::{c_ident, CNames};

/// Whether type `id` has a C definition of its own: all types but `own<R>` and
/// `borrow<R>` (they are the handle of `R`) and anonymous aliases whose C name is already
/// their target's.
pub(super) fn defines_type(names: &CNames, world: &World, id: TypeId) -> bool {
    match &world.ty(id).kind {
        TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => false,
        TypeDefKind::Alias { ty } => names.ty(ty) != names.type_id(id),
        _ => true,
    }
}

/// The definition of type `id`, or `None` when it has none ([`defines_type`]).
pub(super) fn type_item(ctx: &Ctx, id: TypeId) -> Option<Item> {
    let names = &ctx.names;
    if !defines_type(names, ctx.world, id) {
        return None;
    }
    let name = names.type_id(id);
    let ty = |t: &Type| names.ty(t);
    let mut text = match &ctx.world.ty(id).kind {
        TypeDefKind::Record { fields } => {
            let members: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {};", ty(&f.ty), c_ident(&f.name)))
                .collect();
            struct_def(&name, &members)
        }
        TypeDefKind::Tuple { types } => {
            let members: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, t)| format!("{} f{i};", ty(t)))
                .collect();
            struct_def(&name, &members)
        }
        TypeDefKind::Flags { flags } => {
            let mut text = format!("typedef {} {name};\n", uint_type(flags_bytes(flags.len())));
            for (i, flag) in flags.iter().enumerate() {
                text += &format!(
                    "#define {} (({name})((uint64_t)1 << {i}))\n",
                    names.case_const(id, flag)
                );
            }
            text
        }
        TypeDefKind::Enum { cases } => {
            let mut text = format!("typedef {} {name};\n", uint_type(tag_bytes(cases.len())));
            for (i, case) in cases.iter().enumerate() {
                text += &format!("#define {} (({name}){i})\n", names.case_const(id, case));
            }
            text
        }
        TypeDefKind::Variant { cases } => {
            let tag = uint_type(tag_bytes(cases.len()));
            let payloads: Vec<String> = cases
                .iter()
                .filter_map(|c| c.ty.map(|t| format!("{} {};", ty(&t), c_ident(&c.name))))
                .collect();
            let mut text = tagged_def(&name, &format!("{tag} tag;"), &payloads);
            for (i, case) in cases.iter().enumerate() {
                text += &format!(
                    "#define {} (({tag}){i})\n",
                    names.case_const(id, &case.name)
                );
            }
            text
        }
        TypeDefKind::Option { ty: t } => struct_def(
            &name,
            &["uint8_t is_some;".into(), format!("{} val;", ty(t))],
        ),
        TypeDefKind::Result { ok, err } => {
            let mut payloads = Vec::new();
            if let Some(t) = ok {
                payloads.push(format!("{} ok;", ty(t)));
            }
            if let Some(t) = err {
                payloads.push(format!("{} err;", ty(t)));
            }
            tagged_def(&name, "uint8_t is_err;", &payloads)
        }
        TypeDefKind::List { ty: t } => struct_def(
            &name,
            &[format!("const {} *ptr;", ty(t)), "size_t len;".into()],
        ),
        TypeDefKind::Map { key, value } => {
            // The entry struct first, with its own layout checks, then the list of them.
            let entry = names.map_entry(id);
            let mut text = struct_def(
                &entry,
                &[format!("{} key;", ty(key)), format!("{} value;", ty(value))],
            );
            let (k, v) = (ctx.layouts.of(key), ctx.layouts.of(value));
            text += &struct_checks(
                &entry,
                &[
                    Member {
                        name: "key".into(),
                        layout: k,
                    },
                    Member {
                        name: "value".into(),
                        layout: v,
                    },
                ],
            );
            text + &struct_def(
                &name,
                &[format!("const {entry} *ptr;"), "size_t len;".into()],
            )
        }
        TypeDefKind::FixedList { ty: t, len } => {
            struct_def(&name, &[format!("{} elems[{len}];", ty(t))])
        }
        TypeDefKind::Alias { ty: t } => format!("typedef {} {name};\n", ty(t)),
        TypeDefKind::Resource => {
            let vtable = names.vtable(id);
            format!(
                "typedef struct {vtable} {vtable};\n{}",
                struct_def(
                    &name,
                    &["void *self;".into(), format!("const {vtable} *vtable;")]
                )
            )
        }
        TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => return None,
    };
    if let Some(members) = ctx.layouts.members(id) {
        text += &struct_checks(&name, &members);
    }
    Some(Item { name, text })
}

/// `typedef struct NAME { members } NAME;`, one member declaration per line.
pub(super) fn struct_def(name: &str, members: &[String]) -> String {
    let mut text = format!("typedef struct {name} {{\n");
    for m in members {
        text += &format!("    {m}\n");
    }
    text + &format!("}} {name};\n")
}

/// A discriminated struct: `{ TAG; union { payloads } val; }`, or just `{ TAG; }` when no
/// case has a payload.
fn tagged_def(name: &str, tag: &str, payloads: &[String]) -> String {
    let mut members = vec![tag.to_string()];
    if !payloads.is_empty() {
        let mut union = String::from("union {\n");
        for p in payloads {
            union += &format!("        {p}\n");
        }
        union += "    } val;";
        members.push(union);
    }
    struct_def(name, &members)
}
