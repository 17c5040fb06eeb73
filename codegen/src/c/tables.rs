//! Function tables (`docs/abi.md` section 5): resource vtables, interface tables and the
//! world's `_exports` / `_imports` tables, with their slot signatures and layout checks.

use std::collections::HashSet;

use plugport::ir::{
    Function, FunctionKind, Interface, PackageName, Type, TypeDefKind, TypeId, World, WorldItem,
};

use super::asserts::table_checks;
use super::release::release_fn;
use super::validate::holds_handle;
use super::{comment_safe, Ctx, Item};
use crate::names::{c_ident, c_upper};

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
    let mut text = version_define(&name, resource_package(ctx.world, id));
    text += &format!(
        "struct {name} {{\n    pp_table_header header;\n    \
         /* Ends the object; cannot fail. Called once per own handle, by its last holder. */\n    \
         void (*drop)(void *self);\n"
    );
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
    let package = iface.package.as_ref().unwrap_or(&ctx.world.package);
    let mut text = version_define(&name, package);
    text += &format!("typedef struct {name} {{\n    pp_table_header header;\n");
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
    let mut text = version_define(name, &ctx.world.package);
    text += &format!("typedef struct {name} {{\n    pp_table_header header;\n");
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

/// The name of the `header.version` constant of table type `table` (an interface table,
/// vtable or world table): `<TABLE IN UPPER CASE>_VERSION`, e.g.
/// `EXAMPLE_GREETER_V1_GREET_TABLE_VERSION`.
pub(super) fn version_name(table: &str) -> String {
    format!("{}_VERSION", c_upper(table))
}

/// A comment and `#define <TABLE>_VERSION 0x…u`: the `header.version` an implementer of table type
/// `table` writes, `major << 16 | minor` of `package` (docs/abi.md section 5,
/// "Versions"). Nothing checks it at call time; it says which minor version filled the
/// table, for diagnostics.
fn version_define(table: &str, package: &PackageName) -> String {
    let note = format!(
        "The header.version of the table below: {} as major.minor in 16 + 16 bits \
         (docs/abi.md section 5).",
        comment_safe(&package.to_string())
    );
    comment("", &note)
        + &format!(
            "#define {} 0x{:08x}u\n",
            version_name(table),
            package.table_version()
        )
}

/// The package whose version a resource's vtable carries: that of the interface that
/// declares the resource, or the world's for a world-level resource.
fn resource_package(world: &World, id: TypeId) -> &PackageName {
    let declared_in = world.ty(id).interface.as_deref();
    interfaces(world)
        .into_iter()
        .find(|i| Some(i.name.as_str()) == declared_in)
        .and_then(|i| i.package.as_ref())
        .unwrap_or(&world.package)
}

/// The comment above a slot: which arguments are borrowed and which pass `own` handles,
/// and how the caller releases `*ret` (docs/abi.md sections 3, 5 and 6). Arguments of
/// plain values (numbers, enums, flags, and structs of them) are not named. `*err` is the
/// same for every slot and said once, in section 5.
fn ownership_comment(ctx: &Ctx, f: &Function, indent: &str) -> String {
    let is_own = |k: &TypeDefKind| matches!(k, TypeDefKind::Own { .. });
    let is_handle =
        |k: &TypeDefKind| matches!(k, TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. });
    let mut borrowed = Vec::new();
    let mut parts = Vec::new();
    for p in &f.params {
        let name = format!("`{}`", c_ident(&p.name));
        match p.ty {
            Type::Id(id) if is_own(&ctx.world.ty(id).kind) => parts.push(format!(
                "{name} own: the callee drops it, also when the call fails"
            )),
            ty if holds_handle(ctx.world, &ty, &is_own) => parts.push(format!(
                "{name} borrowed, but the own handles in it pass to the callee"
            )),
            ty if ctx.owning.owns(&ty) || holds_handle(ctx.world, &ty, &is_handle) => {
                borrowed.push(name)
            }
            _ => {}
        }
    }
    if !borrowed.is_empty() {
        parts.insert(0, format!("{} borrowed for the call", borrowed.join(", ")));
    }
    let dealloc = match f.kind {
        FunctionKind::Method(_) => "vtable->header.dealloc",
        _ => "header.dealloc",
    };
    match f.result.as_ref().map(|r| release_fn(ctx, r)) {
        None => parts.push("no result".to_string()),
        Some(Some(release)) => parts.push(format!(
            "*ret owned by the caller, released with {release}(ret, {dealloc})"
        )),
        Some(None) => parts.push("*ret a plain value".to_string()),
    }
    comment(indent, &format!("{}.", parts.join("; ")))
}

/// `text` as a C block comment at `indent`, words wrapped at [`WIDTH`].
fn comment(indent: &str, text: &str) -> String {
    let mut out = format!("{indent}/*");
    let mut line_len = out.len();
    for word in text.split(' ') {
        if line_len + 1 + word.len() > WIDTH - 3 && line_len > indent.len() + 3 {
            out += &format!("\n{indent} *");
            line_len = indent.len() + 2;
        }
        out.push(' ');
        out += word;
        line_len += 1 + word.len();
    }
    out + " */\n"
}

/// `pp_status (*name)([void *self,] params..., [R *ret,] pp_string *err);` plus newline,
/// wrapped after a comma when longer than [`WIDTH`], after a comment on the ownership of
/// its arguments and result.
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
    ownership_comment(ctx, f, indent) + &wrap(&head, &params, ");")
}

/// `head` + `params` joined by `, ` + `tail` + newline, continuing lines under the first
/// parameter when a line would exceed [`WIDTH`].
pub(super) fn wrap(head: &str, params: &[String], tail: &str) -> String {
    // Written into one buffer sized up front: the header has a few of these per function.
    let size = head.len() + tail.len() + params.iter().map(|p| p.len() + 2).sum::<usize>();
    let mut out = String::with_capacity(size + size / WIDTH * (head.len() + 1) + 1);
    out.push_str(head);
    let mut line_len = head.len();
    for (i, p) in params.iter().enumerate() {
        let last = i + 1 == params.len();
        let end = if last { tail } else { "," };
        let piece_len = p.len() + end.len();
        if i > 0 {
            if line_len + 1 + piece_len > WIDTH {
                out.push('\n');
                push_spaces(&mut out, head.len());
                line_len = head.len();
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(p);
        out.push_str(end);
        line_len += piece_len;
    }
    out.push('\n');
    out
}

/// Appends `n` spaces.
pub(super) fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    /// The header of a WIT package written to a temporary directory.
    fn header_of(wit: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.wit");
        std::fs::write(&path, wit).unwrap();
        let world = crate::frontend::load_world(&path, None).expect("the test WIT loads");
        super::super::generate(&world).contents
    }

    /// The comment line(s) right above the slot declaration `pp_status (*<slot>)(`.
    fn comment_above(h: &str, slot: &str) -> String {
        let at = h
            .find(&format!("pp_status (*{slot})("))
            .unwrap_or_else(|| panic!("no slot {slot}"));
        let start = h[..at].rfind("/*").unwrap();
        let lines: Vec<&str> = h[start..at]
            .lines()
            .map(|l| l.trim())
            .map(|l| l.strip_prefix("* ").unwrap_or(l))
            .collect();
        lines.join(" ").trim().to_string()
    }

    #[test]
    fn every_table_has_its_version_constant() {
        let h = header_of(
            "package t:v@2.7.1;\n\
             interface api { resource r { m: func(); } f: func(); }\n\
             world w { export api; export g: func(); }\n",
        );
        for name in [
            "T_V_V2_API_TABLE_VERSION",
            "T_V_V2_API_R_VTABLE_VERSION",
            "T_V_V2_W_EXPORTS_VERSION",
            "T_V_V2_W_IMPORTS_VERSION",
        ] {
            // 2 << 16 | 7: the patch level is not part of it.
            let define = format!("#define {name} 0x00020007u\n");
            let at = h
                .find(&define)
                .unwrap_or_else(|| panic!("no {define:?} in\n{h}"));
            // Right above the table it belongs to.
            let table = name.strip_suffix("_VERSION").unwrap().to_ascii_lowercase();
            let next = &h[at + define.len()..];
            assert!(
                next.starts_with(&format!("struct {table} {{"))
                    || next.starts_with(&format!("typedef struct {table} {{")),
                "{name} is not followed by its table: {:?}",
                &next[..next.len().min(80)]
            );
        }
    }

    #[test]
    fn slot_comments_say_what_is_borrowed_what_is_owned_and_which_dealloc() {
        let h = header_of(
            "package t:o@1.0.0;\n\
             interface api {\n\
               resource z { constructor(id: u32); name: func() -> string; id: func() -> u32; }\n\
               give: func(a: z, s: string, n: u32);\n\
               take: func(a: list<z>) -> u32;\n\
               look: func(a: borrow<z>, b: list<borrow<z>>, n: u32) -> list<string>;\n\
             }\n\
             world w { export api; }\n",
        );
        assert_eq!(
            comment_above(&h, "give"),
            "/* `s` borrowed for the call; `a` own: the callee drops it, also when the call \
             fails; no result. */"
        );
        assert_eq!(
            comment_above(&h, "take"),
            "/* `a` borrowed, but the own handles in it pass to the callee; *ret a plain \
             value. */"
        );
        assert_eq!(
            comment_above(&h, "look"),
            "/* `a`, `b` borrowed for the call; *ret owned by the caller, released with \
             t_o_v1_list_string_release(ret, header.dealloc). */"
        );
        assert_eq!(
            comment_above(&h, "z_new"),
            "/* *ret owned by the caller, released with t_o_v1_api_z_release(ret, \
             header.dealloc). */"
        );
        // A method's result is released with the dealloc of the handle's vtable.
        assert_eq!(
            comment_above(&h, "name"),
            "/* *ret owned by the caller, released with pp_string_release(ret, \
             vtable->header.dealloc). */"
        );
    }

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
