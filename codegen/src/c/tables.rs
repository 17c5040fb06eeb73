//! Function tables (`docs/abi.md` section 5): resource vtables, interface tables and the
//! world's `_exports` / `_imports` tables, with their slot signatures and layout checks.

use std::collections::HashSet;

use plugport::ir::{Function, FunctionKind, Interface, TypeId, World, WorldItem};

use super::asserts::table_checks;
use super::{Ctx, Item};
use crate::names::c_ident;

/// Longest line the generator aims for before it wraps a slot's parameters.
const WIDTH: usize = 100;

/// The interfaces of the world, imports first, each once (an interface both imported and
/// exported has one table type).
pub(super) fn interfaces(world: &World) -> Vec<&Interface> {
    let mut seen = HashSet::new();
    world
        .imports
        .iter()
        .chain(&world.exports)
        .filter_map(|item| match item {
            WorldItem::Interface(i) if seen.insert(i.name.as_str()) => Some(i),
            _ => None,
        })
        .collect()
}

/// The vtable of resource `id`: header, `drop`, then one slot per method in WIT order.
/// The methods are those of the first interface that lists any for the resource.
pub(super) fn vtable_item(ctx: &Ctx, id: TypeId) -> Item {
    let methods: Vec<&Function> = interfaces(ctx.world)
        .into_iter()
        .map(|i| {
            i.functions
                .iter()
                .filter(|f| f.kind == FunctionKind::Method(id))
                .collect::<Vec<_>>()
        })
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    let name = ctx.names.vtable(id);
    let mut slots = vec!["drop".to_string()];
    let mut text =
        format!("struct {name} {{\n    pp_table_header header;\n    void (*drop)(void *self);\n");
    for f in methods {
        slots.push(ctx.names.slot(&f.name, f.kind));
        text += &slot_decl(ctx, f, "    ");
    }
    text += "};\n";
    text += &table_checks(&name, &slots);
    Item { name, text }
}

/// The function table of an interface: header, then one slot per function that is not a
/// method, in IR order.
pub(super) fn interface_item(ctx: &Ctx, iface: &Interface) -> Item {
    let name = ctx.names.table(&iface.name);
    let functions: Vec<&Function> = iface
        .functions
        .iter()
        .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
        .collect();
    let mut text = format!("typedef struct {name} {{\n    pp_table_header header;\n");
    for f in &functions {
        text += &slot_decl(ctx, f, "    ");
    }
    text += &format!("}} {name};\n");
    let slots: Vec<String> = functions
        .iter()
        .map(|f| ctx.names.slot(&f.name, f.kind))
        .collect();
    text += &table_checks(&name, &slots);
    Item { name, text }
}

/// A world table (`_exports` or `_imports`): header, then for each item a pointer to its
/// interface's table or the slot of a bare function.
pub(super) fn world_table(ctx: &Ctx, name: &str, items: &[WorldItem]) -> String {
    let mut text = format!("typedef struct {name} {{\n    pp_table_header header;\n");
    let mut slots = Vec::new();
    for item in items {
        match item {
            WorldItem::Interface(i) => {
                let field = c_ident(&i.name);
                text += &format!("    const {} *{field};\n", ctx.names.table(&i.name));
                slots.push(field);
            }
            WorldItem::Function(f) => {
                text += &slot_decl(ctx, f, "    ");
                slots.push(ctx.names.slot(&f.name, f.kind));
            }
        }
    }
    text += &format!("}} {name};\n");
    text + &table_checks(name, &slots)
}

/// `pp_status (*name)([void *self,] params..., [R *ret,] pp_string *err);` plus newline,
/// wrapped after a comma when longer than [`WIDTH`].
pub(super) fn slot_decl(ctx: &Ctx, f: &Function, indent: &str) -> String {
    let mut params = Vec::new();
    if let FunctionKind::Method(_) = f.kind {
        params.push("void *self".to_string());
    }
    for p in &f.params {
        params.push(format!("{} {}", ctx.names.ty(&p.ty), c_ident(&p.name)));
    }
    if let Some(r) = &f.result {
        params.push(format!("{} *ret", ctx.names.ty(r)));
    }
    params.push("pp_string *err".to_string());
    let head = format!("{indent}pp_status (*{})(", ctx.names.slot(&f.name, f.kind));
    wrap(&head, &params, ");")
}

/// `head` + `params` joined by `, ` + `tail` + newline, continuing lines under the first
/// parameter when a line would exceed [`WIDTH`].
pub(super) fn wrap(head: &str, params: &[String], tail: &str) -> String {
    let pad = " ".repeat(head.len());
    let mut out = head.to_string();
    let mut line_len = head.len();
    for (i, p) in params.iter().enumerate() {
        let last = i + 1 == params.len();
        let piece = if last {
            format!("{p}{tail}")
        } else {
            format!("{p},")
        };
        if i > 0 {
            if line_len + 1 + piece.len() > WIDTH {
                out += &format!("\n{pad}");
                line_len = pad.len();
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out += &piece;
        line_len += piece.len();
    }
    out + "\n"
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_signatures_wrap_under_the_first_parameter() {
        let params: Vec<String> = (0..8)
            .map(|i| format!("some_long_type_name_{i} p{i}"))
            .collect();
        let text = wrap("    pp_status (*f)(", &params, ");");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.len() <= super::WIDTH));
        assert!(lines[1].starts_with(&" ".repeat("    pp_status (*f)(".len())));
        assert!(text.ends_with(");\n"));
        assert_eq!(wrap("f(", &["int a".into()], ");"), "f(int a);\n");
    }
}
