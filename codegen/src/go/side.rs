//! What the host package and the plugin package share. Each calls the tables of one
//! direction (a host the plugin's exports, a plugin the host's imports) and implements
//! the other (`Ctx::implements_dir`): the C preamble of its calls, the common Go body
//! (types, conversions, resources), the Go interfaces it implements, its `//export` file
//! and the C tables of the slots it implements.

use plugport::ir::{snake, Interface, TypeId, WorldItem};

use super::callee::{self, Impl};
use super::caller::{self, go_sig, method_name};
use super::names::camel;
use super::types;
use super::{c_banner, go_banner, imports_for, Ctx, Dir, Owner, Slot};

/// Whether this package implements `slot` (else it calls it): a slot of the direction
/// it implements, or a method of a resource it implements.
fn implemented(ctx: &Ctx, slot: &Slot) -> bool {
    match slot.owner {
        Owner::Method(r) => ctx.implements(r),
        _ => ctx.implements_dir(slot.dir),
    }
}

/// The items of the world in the direction `dir`.
fn items<'a>(ctx: &Ctx<'a>, dir: Dir) -> &'a [WorldItem] {
    match dir {
        Dir::Import => &ctx.world.imports,
        Dir::Export => &ctx.world.exports,
    }
}

/// The C preamble of the calls this package makes: the vtable getters of the resources
/// it implements, the common helpers, one getter per interface it calls
/// (`gp_get_<i>(table)`) and one checked-caller trampoline per slot it calls.
pub(crate) fn c_calls(ctx: &Ctx) -> String {
    let mut pre = String::new();
    for r in ctx.resources() {
        if ctx.implements(r) {
            pre += &format!(
                "extern uintptr_t gp_vtable_ptr_{}(void);\n",
                ctx.names.mangle_id(r)
            );
        }
    }
    pre += caller::C_COMMON;
    for (dir, i) in ctx.interfaces() {
        if !ctx.implements_dir(dir) {
            let world_table = match dir {
                Dir::Import => ctx.names.imports(),
                Dir::Export => ctx.names.exports(),
            };
            pre += &format!(
                "static uintptr_t gp_get_{}(uintptr_t t) {{\n    return (uintptr_t){}((const {world_table} *)t);\n}}\n",
                snake(&i.name),
                ctx.getter(dir, i),
            );
        }
    }
    for slot in &ctx.slots {
        if !implemented(ctx, slot) {
            pre += &caller::c_trampoline(ctx, slot);
        }
    }
    pre
}

/// The Go declarations every package starts with: types, conversions, the common
/// helpers, and each resource as a Go interface (implemented here) or a handle proxy.
pub(crate) fn go_common(ctx: &Ctx) -> String {
    let mut body = types::declarations(ctx);
    body += &types::conversions(ctx);
    body += caller::GO_COMMON;
    body += callee::GO_CALLEE_COMMON;
    for r in ctx.resources() {
        if ctx.implements(r) {
            body += &callee::implemented_resource(ctx, r);
        } else {
            body += &caller::proxy(ctx, r);
        }
    }
    body
}

/// The Go interface `name` of an interface `i` this package implements, after the doc
/// comment `doc` (lines starting with `// `).
pub(crate) fn implemented_interface(ctx: &Ctx, i: &Interface, dir: Dir, doc: &str) -> String {
    let name = ctx.go.iface(dir, &i.name);
    let mut out = format!("{doc}type {name} interface {{\n");
    for slot in ctx
        .slots
        .iter()
        .filter(|s| matches!(s.owner, Owner::Iface(x) if x.name == i.name && s.dir == dir))
    {
        let (p, r) = go_sig(ctx, slot.f);
        out += &format!("\t{}({p}) {r}\n", method_name(ctx, slot.f));
    }
    out + "}\n\n"
}

/// The fields of the struct (`Imports` of a host, `Exports` of a plugin) that holds this
/// package's implementation of direction `dir`: (name, Go type, what it implements) for
/// each interface, then each bare function.
pub(crate) fn implementation_fields(ctx: &Ctx, dir: Dir) -> Vec<(String, String, String)> {
    let mut fields = Vec::new();
    for (d, i) in ctx.interfaces() {
        if d == dir {
            let name = ctx.go.iface(dir, &i.name).to_string();
            fields.push((name.clone(), name, format!("interface `{}`", i.name)));
        }
    }
    for item in items(ctx, dir) {
        if let WorldItem::Function(f) = item {
            let (p, r) = go_sig(ctx, f);
            fields.push((
                camel(&f.name),
                format!("func({p}) {r}"),
                format!("function `{}`", f.name),
            ));
        }
    }
    fields
}

/// The `<pkg>.go` file: banner, package `doc` and clause, the cgo preamble `pre`, the
/// imports `body` uses, `body`.
pub(crate) fn main_file(ctx: &Ctx, doc: &str, pre: &str, body: &str) -> String {
    format!(
        "{}{doc}/*\n{pre}*/\n{}\n{body}",
        go_banner(ctx.world),
        imports_for(body, true)
    )
}

/// The `<pkg>_export.go` file: the `//export` function of every slot this package
/// implements (finding the implementation as `how` says), the drop of every resource it
/// implements, then `extra`.
pub(crate) fn export_file(ctx: &Ctx, how: Impl, extra: &str) -> String {
    let mut body = String::new();
    for slot in &ctx.slots {
        if implemented(ctx, slot) {
            body += &callee::go_export(ctx, slot, how);
        }
    }
    for r in ctx.resources() {
        if ctx.implements(r) {
            body += &callee::go_drop(ctx, r);
        }
    }
    body += extra;
    if body.is_empty() {
        body += "// This world has no imports: nothing to export to C.\n";
    }
    format!(
        "{}package {}\n\n/*\n#include <stddef.h>\n#include <stdint.h>\n*/\n{}\n{body}",
        go_banner(ctx.world),
        ctx.pkg,
        imports_for(&body, true)
    )
}

/// The start of the companion C file: banner, includes, `defines`, the tables' dealloc
/// (`free`: results are built with `malloc`) and the resources this package implements.
pub(crate) fn c_prologue(ctx: &Ctx, defines: &str) -> String {
    let mut out = c_banner(ctx.world);
    out += &format!(
        "#include <stdint.h>\n#include <stdlib.h>\n\n#include \"{}.h\"\n#include \"_cgo_export.h\"\n\n{defines}static void gp_dealloc(void *ptr, size_t size, size_t align) {{\n    (void)size;\n    (void)align;\n    free(ptr);\n}}\n\n",
        ctx.world_snake
    );
    // The vtables' addresses, for the shims that refuse handles the package did not make
    // (a method's shim may come before its resource's vtable).
    let ours: Vec<TypeId> = ctx
        .resources()
        .into_iter()
        .filter(|r| ctx.implements(*r))
        .collect();
    for r in &ours {
        out += &format!(
            "uintptr_t gp_vtable_ptr_{}(void);\n",
            ctx.names.mangle_id(*r)
        );
    }
    if !ours.is_empty() {
        out.push('\n');
    }
    for r in ours {
        out += &callee::c_resource(ctx, r);
    }
    out
}

/// The initialiser of a table header `{size, version, dealloc}` of the C type `t`.
pub(crate) fn table_header(ctx: &Ctx, t: &str) -> String {
    format!(
        "{{(uint32_t)sizeof({t}), 0x{:08x}u, gp_dealloc}}",
        ctx.world.package.table_version()
    )
}

/// The C tables of direction `dir` (implemented here): per interface its shims and its
/// table `gp_table_<i>`, per bare function its shim. Returns the definitions and the
/// members of the world table after its header. With `slotted`, every name ends in
/// `_##N` and each definition is one line (the body of the host's `GP_SLOT(N)` macro).
pub(crate) fn c_tables(ctx: &Ctx, dir: Dir, slotted: bool) -> (String, Vec<String>) {
    let sfx = if slotted { "_##N" } else { "" };
    let sep = if slotted { ", " } else { ",\n    " };
    let mut defs = String::new();
    let mut world_members = Vec::new();
    for item in items(ctx, dir) {
        match item {
            WorldItem::Interface(i) => {
                let table = ctx.names.table(&i.name);
                let mut members = vec![table_header(ctx, &table)];
                for slot in ctx.slots.iter().filter(
                    |s| matches!(s.owner, Owner::Iface(x) if x.name == i.name && s.dir == dir),
                ) {
                    defs += &callee::c_shim(ctx, slot, slotted);
                    members.push(format!("gp_tramp_{}{sfx}", slot.key));
                }
                let body = if slotted {
                    members.join(sep)
                } else {
                    format!("\n    {},\n", members.join(sep))
                };
                defs += &format!(
                    "static const {table} gp_table_{}{sfx} = {{{body}}};\n{}",
                    snake(&i.name),
                    if slotted { "" } else { "\n" }
                );
                world_members.push(format!("&gp_table_{}{sfx}", snake(&i.name)));
            }
            WorldItem::Function(f) => {
                let slot = ctx
                    .slots
                    .iter()
                    .find(|s| {
                        matches!(s.owner, Owner::World) && s.dir == dir && std::ptr::eq(s.f, f)
                    })
                    .expect("slot of a bare world function");
                defs += &callee::c_shim(ctx, slot, slotted);
                world_members.push(format!("gp_tramp_{}{sfx}", slot.key));
            }
        }
    }
    (defs, world_members)
}
