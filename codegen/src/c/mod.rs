//! The C back end: one self-contained header per world, the contract of `docs/abi.md`.
//!
//! The header holds, in this order: the default `PP_CALLEE_ALLOC`, the core types (guarded
//! by `PLUGPORT_ABI_CORE_V1`) and the checked-caller core (`PLUGPORT_CALLERS_V1`), the
//! world's types in IR order, resource vtables, interface tables, the world's `_exports`
//! and `_imports` tables, release helpers, validators (`<type>_check`), checked callers
//! with their `has_` checks and invokers (those a plugin may call, with the world tables'
//! `get_<i>` accessors, then those of the exports under `#ifndef PP_PLUGIN_SIDE`), the
//! validating trampoline macros, and the plugin-file part (world JSON, entry, `EXPORT`
//! macro, C host helpers). Every struct comes with compile-time
//! layout checks. Definitions shared by several worlds of one package (types, vtables,
//! interface tables, release helpers) are each guarded by `PLUGPORT_DEF_<name>`, so the
//! headers of two worlds of one package can be included together; the guard's value is a
//! hash of the definition, and a different definition under the same name is an `#error`.
//!
//! Modules: [`layout`] (the C layout algorithm), `core_types` (the core blocks), `types`,
//! `tables`, `release`, `validate`, `callers`, `asserts` and `descriptor` (one part of
//! the header each), and [`idents`] (every C name the header defines, for the front end's
//! collision check).

mod asserts;
mod callers;
mod core_types;
pub mod descriptor;
pub mod idents;
pub mod layout;
mod release;
mod tables;
mod types;
mod validate;

/// For the Go back end's shims, which refuse a call as the header's trampolines do.
pub(crate) use validate::{drop_owns, HandleWalk};

use std::collections::HashMap;
use std::fmt::Write as _;

use plugport::ir::{snake, TypeDefKind, World};
use plugport::plan::Ownership;

use crate::names::{c_upper, CNames};
use crate::GeneratedFile;

use layout::Layouts;
use validate::Checking;

/// Everything the parts of the header need to know about the world.
struct Ctx<'w> {
    world: &'w World,
    names: CNames<'w>,
    layouts: Layouts<'w>,
    owning: Ownership,
    checking: Checking,
}

/// One C definition: the name it defines (and its guard is named after) and its text.
struct Item {
    name: String,
    text: String,
}

/// The header of `world`, named `<world snake>.h` (e.g. `greeter.h`).
pub fn generate(world: &World) -> GeneratedFile {
    let ctx = Ctx {
        world,
        names: CNames::new(world),
        layouts: Layouts::new(world),
        owning: Ownership::new(world),
        checking: Checking::new(world),
    };
    let world_snake = snake(&world.name);
    let guard = format!(
        "PLUGPORT_{}_{}_H",
        c_upper(&ctx.names.prefix),
        c_upper(&world.name)
    );
    let mut out = banner(world);
    out += &format!("#ifndef {guard}\n#define {guard}\n\n");
    out += "#include <stddef.h>\n#include <stdint.h>\n";
    out += ALLOC;
    out += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
    out += core_types::CORE;
    out += "\n";
    out += core_types::CALLERS;

    // An item defined twice with the same text is emitted once. (Different texts under
    // one name are refused by the front end; if a hand-made IR has them anyway, both are
    // emitted and the second guard's `#error` fires.)
    // Keyed by name, with the texts emitted under it: no text is hashed or copied.
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut section = |out: &mut String, title: &str, items: Vec<Item>| {
        let mut body = String::new();
        for item in items {
            let texts = seen.entry(item.name.clone()).or_default();
            if texts.contains(&item.text) {
                continue;
            }
            body.push('\n');
            guarded_into(&mut body, &item);
            texts.push(item.text);
        }
        if body.is_empty() {
            return;
        }
        let _ = write!(out, "\n/* ---- {title} ---- */\n");
        out.push_str(&body);
    };

    let ids = 0..world.types.len();
    let type_items = ids
        .clone()
        .filter_map(|id| types::type_item(&ctx, id))
        .collect();
    section(&mut out, "Types (docs/abi.md sections 3 and 4)", type_items);
    let vtables = ids
        .clone()
        .filter(|id| world.ty(*id).kind == TypeDefKind::Resource)
        .map(|id| tables::vtable_item(&ctx, id))
        .collect();
    section(&mut out, "Resource vtables (section 5)", vtables);
    let interfaces = tables::interfaces(world)
        .into_iter()
        .map(|i| tables::interface_item(&ctx, i))
        .collect();
    section(&mut out, "Interface tables (section 5)", interfaces);

    out +=
        "\n/* ---- World tables: filled by the plugin (exports) and the host (imports) ---- */\n\n";
    out += &tables::world_table(&ctx, &ctx.names.exports(), &world.exports);
    out += "\n";
    out += &tables::world_table(&ctx, &ctx.names.imports(), &world.imports);

    let releases = ids
        .clone()
        .filter_map(|id| release::release_item(&ctx, id))
        .collect();
    section(
        &mut out,
        "Release helpers (section 6): pass the dealloc of the table that produced the value",
        releases,
    );
    let checks = ids
        .filter_map(|id| validate::check_item(&ctx, id))
        .collect();
    section(
        &mut out,
        "Validators (section 11): NULL when the value is valid, else what is wrong",
        checks,
    );
    let parts = callers::items(&ctx);
    section(
        &mut out,
        "Checked callers and has_ checks (section 11)",
        parts.callers,
    );
    if !parts.host_callers.is_empty() {
        out += HOST_CALLERS_OPEN;
        section(
            &mut out,
            "Checked callers of the exports, for hosts (section 11)",
            parts.host_callers,
        );
        out += "\n#endif /* PP_PLUGIN_SIDE */\n";
    }
    section(
        &mut out,
        "Validating trampolines (section 11)",
        parts.trampolines,
    );

    out += "\n";
    out += &descriptor::emit(&ctx);
    out += "\n#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n";
    out += &format!("#endif /* {guard} */\n");
    GeneratedFile {
        name: format!("{world_snake}.h"),
        contents: out,
    }
}

/// The allocator of the messages the validating trampolines return (`docs/abi.md`
/// section 11): `malloc` unless the includer defined `PP_CALLEE_ALLOC(size)` first; none
/// in a freestanding build (the trampolines then return no message). Outside the
/// `extern "C"` block, since a C++ `<stdlib.h>` declares templates.
const ALLOC: &str =
    "#if !defined(PP_CALLEE_ALLOC) && (!defined(__STDC_HOSTED__) || __STDC_HOSTED__)
#include <stdlib.h>
#define PP_CALLEE_ALLOC(size) malloc(size)
#endif

";

/// Opens the block of the exports' checked callers. A plugin's translation unit defines
/// `PP_PLUGIN_SIDE` before the header to leave out the callers it never calls (about half
/// the compile time of a header of 1,000 functions, docs/performance.md).
const HOST_CALLERS_OPEN: &str = "
/* The checked callers of what this world exports: hosts call them, a plugin implements
 * those slots. A C plugin may define PP_PLUGIN_SIDE before including this header to
 * leave them out (docs/abi.md section 11); the callers of imports stay. */
#ifndef PP_PLUGIN_SIDE
";

/// The comment at the top of the header.
fn banner(world: &World) -> String {
    format!(
        "/* {world_file}.h: generated by plugport from {package}, world `{name}`. DO NOT EDIT.
 *
 * The C side of the plugport ABI version 1 (docs/abi.md). Ownership in short:
 *  - arguments are borrowed: the callee reads them during the call only;
 *  - a result (*ret) and an error message (*err) are owned by the caller, who releases
 *    them with the header.dealloc of the callee's table (the *_release helpers below);
 *  - a handle received as own is released exactly once with vtable->drop(self).
 */

",
        world_file = snake(&world.name),
        package = comment_safe(&world.package.to_string()),
        name = comment_safe(&world.name),
    )
}

/// Text that cannot end or nest a C block comment.
fn comment_safe(text: &str) -> String {
    text.replace("*/", "* /").replace("/*", "/ *")
}

/// Appends an item's text under its `PLUGPORT_DEF_<name>` guard to `out`. The guard's value is a hash of
/// the text: a second header that defines the name differently (a world-level type of
/// another world of the package with the same name, or a header of another generator
/// version; `+ 0` for headers whose guards had no value) fails to compile instead of
/// silently using the first definition.
fn guarded_into(out: &mut String, item: &Item) {
    let hash = fnv1a(item.text.as_bytes());
    let name = &item.name;
    let _ = write!(
        out,
        "#ifndef PLUGPORT_DEF_{name}\n#define PLUGPORT_DEF_{name} 0x{hash:08x}\n"
    );
    out.push_str(&item.text);
    let _ = write!(
        out,
        "#elif (PLUGPORT_DEF_{name} + 0) != 0x{hash:08x}\n\
         #error \"plugport: {name} is already defined differently by another header\"\n\
         #endif\n"
    );
}

/// 32-bit FNV-1a: a stable hash of a definition's text.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}
