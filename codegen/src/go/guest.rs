//! The plugin package `<world>plugin`: the Go interfaces a plugin implements (one per
//! exported interface and resource), Export to register them, Host to call the host's
//! imports, and the companion C file with the descriptor, the entry and the static
//! exports tables whose slots are the header's validating trampolines.

use plugport::ir::{snake, WorldItem};

use super::callee::{self, Impl};
use super::caller::{self, go_sig, method_name};
use super::names::camel;
use super::types;
use super::{c_banner, go_banner, imports_for, Ctx, Dir, GoOptions, Owner};

pub(crate) fn generate(ctx: &Ctx, opts: &GoOptions) -> (String, String, String) {
    (main_file(ctx), export_file(ctx), c_file(ctx, opts))
}

fn main_file(ctx: &Ctx) -> String {
    let w = ctx.world;
    let mut pre = format!(
        "#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"{}.h\"\n\nextern uintptr_t gp_imports_ptr(void);\n",
        ctx.world_snake
    );
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
        if dir == Dir::Import {
            pre += &format!(
                "static uintptr_t gp_get_{}(uintptr_t t) {{\n    return (uintptr_t){}((const {} *)t);\n}}\n",
                snake(&i.name),
                ctx.getter(Dir::Import, i),
                ctx.names.imports()
            );
        }
    }
    for slot in &ctx.slots {
        let calls = match slot.owner {
            Owner::Method(r) => !ctx.implements(r),
            _ => slot.dir == Dir::Import,
        };
        if calls {
            pre += &caller::c_trampoline(ctx, slot);
        }
    }

    let mut body = String::new();
    body += &types::declarations(ctx);
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
    let mut fields = Vec::new();
    let mut host_methods = String::new();
    for (dir, i) in ctx.interfaces() {
        let name = ctx.go.iface(dir, &i.name);
        if dir == Dir::Export {
            body += &format!(
                "// {name} is the plugin's implementation of the exported interface `{}`; hosts call\n// it from any thread at once. A returned error becomes PP_ERR_PANIC with its message\n// (PP_ERR_INVALID_ARGUMENT when it wraps plugport.ErrInvalidArgument); a panic is\n// recovered into PP_ERR_PANIC.\ntype {name} interface {{\n",
                i.name
            );
            for slot in ctx.slots.iter().filter(
                |s| matches!(s.owner, Owner::Iface(x) if x.name == i.name && s.dir == Dir::Export),
            ) {
                let (p, r) = go_sig(ctx, slot.f);
                body += &format!("\t{}({p}) {r}\n", method_name(ctx, slot.f));
            }
            body += "}\n\n";
            fields.push((
                name.to_string(),
                name.to_string(),
                format!("interface `{}`", i.name),
            ));
        } else {
            body += &caller::client(ctx, i, Dir::Import);
            host_methods += &format!(
                "// {name} is the host's interface `{}`.\nfunc (HostImports) {name}() {name} {{\n\treturn {name}{{t: uintptr(C.gp_get_{}(C.gp_imports_ptr()))}}\n}}\n\n",
                i.name,
                snake(&i.name)
            );
        }
    }
    for item in &w.exports {
        if let WorldItem::Function(f) = item {
            let (p, r) = go_sig(ctx, f);
            fields.push((
                camel(&f.name),
                format!("func({p}) {r}"),
                format!("function `{}`", f.name),
            ));
        }
    }
    for slot in ctx
        .slots
        .iter()
        .filter(|s| matches!(s.owner, Owner::World) && s.dir == Dir::Import)
    {
        let m = method_name(ctx, slot.f);
        let doc = format!("// {m} calls the host's function `{}`.\n", slot.what);
        host_methods +=
            &caller::go_method(ctx, slot, "HostImports", &m, "C.gp_imports_ptr()", "", &doc);
        host_methods += &format!(
            "// Has{m} says whether the host provides `{}`.\nfunc (HostImports) Has{m}() bool {{ return C.gp_has_{}(C.gp_imports_ptr()) != 0 }}\n\n",
            slot.what, slot.key
        );
    }
    body += "// Exports is the plugin's implementation of the world's exports; every field must be\n// set. Register it with Export in an init function.\ntype Exports struct {\n";
    for (n, t, what) in &fields {
        body += &format!("\t// {n} implements the {what}.\n\t{n} {t}\n");
    }
    body += "}\n\nvar gpExports atomic.Pointer[Exports]\n\n";
    body +=
        "// Export registers the plugin's implementation. Call it once, from an init function of\n// the plugin's main package (the entry refuses to initialise without it); it panics\n// when a field is nil.\nfunc Export(e Exports) {\n";
    for (n, _, _) in &fields {
        body += &format!(
            "\tif e.{n} == nil {{\n\t\tpanic(\"{}.Export: Exports.{n} is nil\")\n\t}}\n",
            ctx.pkg
        );
    }
    body += "\tgpExports.Store(&e)\n}\n\nfunc gpExported() *Exports {\n\te := gpExports.Load()\n\tif e == nil {\n\t\tpanic(\"plugport: no implementation registered (call Export in init)\")\n\t}\n\treturn e\n}\n\n";
    body += "// HostImports reaches the host's imports (the table the host passed at load).\ntype HostImports struct{}\n\n// Host is the host's side of the world: call its imports through it.\nvar Host HostImports\n\n";
    body += &host_methods;

    let doc = format!(
        "// Package {pkg} is the Go plugin binding of {package}, world `{name}`: implement the\n// interfaces, register them with Export in init, and build the plugin with\n// `go build -buildmode=c-shared`. The descriptor and entry are in {pkg}_cgo.c.\n// Generated by `plugport gen --lang go-guest`; see docs/go.md.\npackage {pkg}\n\n",
        pkg = ctx.pkg,
        package = w.package,
        name = w.name
    );
    format!(
        "{}{doc}/*\n{pre}*/\n{}\n{body}",
        go_banner(w),
        imports_for(&body, true)
    )
}

fn export_file(ctx: &Ctx) -> String {
    let mut body = String::new();
    for slot in &ctx.slots {
        let implemented = match slot.owner {
            Owner::Method(r) => ctx.implements(r),
            _ => slot.dir == Dir::Export,
        };
        if implemented {
            body += &callee::go_export(ctx, slot, Impl::Registered);
        }
    }
    for r in ctx.resources() {
        if ctx.implements(r) {
            body += &callee::go_drop(ctx, r);
        }
    }
    body += "//export gpx_ready\nfunc gpx_ready() C.int {\n\tif gpExports.Load() == nil {\n\t\treturn 0\n\t}\n\treturn 1\n}\n\n";
    body +=
        "//export gpx_live\nfunc gpx_live() C.size_t { return C.size_t(plugport.LiveObjects()) }\n";
    format!(
        "{}package {}\n\n/*\n#include <stddef.h>\n#include <stdint.h>\n*/\n{}\n{body}",
        go_banner(ctx.world),
        ctx.pkg,
        imports_for(&body, true)
    )
}

fn c_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out += &format!("\\{b:03o}"),
        }
    }
    out.push('"');
    out
}

fn c_file(ctx: &Ctx, opts: &GoOptions) -> String {
    let w = ctx.world;
    let version = w.package.table_version();
    let name = opts
        .plugin_name
        .clone()
        .unwrap_or_else(|| format!("{}-go", w.name));
    let pversion = opts
        .plugin_version
        .clone()
        .unwrap_or_else(|| w.package.version.clone().unwrap_or_else(|| "0.0.0".into()));
    let mut out = c_banner(w);
    out += &format!(
        "#include <stdint.h>\n#include <stdlib.h>\n\n#include \"{ws}.h\"\n#include \"_cgo_export.h\"\n\n/* The plugin's own name and version in its descriptor (plugport gen --plugin-name,\n * --plugin-version). */\n#define GP_PLUGIN_NAME {}\n#define GP_PLUGIN_VERSION {}\n\nstatic void gp_dealloc(void *ptr, size_t size, size_t align) {{\n    (void)size;\n    (void)align;\n    free(ptr);\n}}\n\n",
        c_string(&name),
        c_string(&pversion),
        ws = ctx.world_snake
    );
    for r in ctx.resources() {
        if ctx.implements(r) {
            out += &callee::c_resource(ctx, r);
        }
    }
    let header = |t: &str| format!("{{(uint32_t)sizeof({t}), 0x{version:08x}u, gp_dealloc}}");
    let mut world_members = vec![header(&ctx.names.exports())];
    for item in &w.exports {
        match item {
            WorldItem::Interface(i) => {
                let mut members = vec![header(&ctx.names.table(&i.name))];
                for slot in ctx.slots.iter().filter(|s| matches!(s.owner, Owner::Iface(x) if x.name == i.name && s.dir == Dir::Export)) {
                    out += &callee::c_shim(ctx, slot, false);
                    members.push(format!("gp_tramp_{}", slot.key));
                }
                out += &format!(
                    "static const {} gp_table_{} = {{\n    {},\n}};\n\n",
                    ctx.names.table(&i.name),
                    snake(&i.name),
                    members.join(",\n    ")
                );
                world_members.push(format!("&gp_table_{}", snake(&i.name)));
            }
            WorldItem::Function(f) => {
                let slot = ctx
                    .slots
                    .iter()
                    .find(|s| {
                        matches!(s.owner, Owner::World)
                            && s.dir == Dir::Export
                            && std::ptr::eq(s.f, f)
                    })
                    .expect("slot of a bare export");
                out += &callee::c_shim(ctx, slot, false);
                world_members.push(format!("gp_tramp_{}", slot.key));
            }
        }
    }
    let exports = ctx.names.exports();
    let imports = ctx.names.imports();
    out += &format!(
        "static const {exports} gp_exports = {{\n    {},\n}};\n\n\
         static const {imports} *gp_imports;\n\n\
         uintptr_t gp_imports_ptr(void) {{\n    return (uintptr_t)gp_imports;\n}}\n\n\
         static pp_status gp_init(const {imports} *imports, const {exports} **exports, pp_string *err) {{\n\
         \x20   static const char not_registered[] =\n\
         \x20       \"{pkg}: no implementation registered (call {pkg}.Export in an init function)\";\n\
         \x20   if (!gpx_ready()) {{\n\
         \x20       err->ptr = not_registered;\n\
         \x20       err->len = sizeof not_registered - 1;\n\
         \x20       return PP_ERR_INIT;\n\
         \x20   }}\n\
         \x20   gp_imports = imports;\n\
         \x20   *exports = &gp_exports;\n\
         \x20   return PP_OK;\n}}\n\n\
         static size_t gp_live(void) {{\n    return (size_t)gpx_live();\n}}\n\n\
         {upper}_{wu}_EXPORT(GP_PLUGIN_NAME, GP_PLUGIN_VERSION, gp_init)\n\
         {upper}_{wu}_LIVE_OBJECTS(gp_live)\n",
        world_members.join(",\n    "),
        pkg = ctx.pkg,
        upper = ctx.upper,
        wu = ctx.world_snake.to_ascii_uppercase(),
    );
    out
}
