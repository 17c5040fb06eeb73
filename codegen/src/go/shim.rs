//! TEMPORARY stand-in for the checked C callers and validating trampolines that the C
//! back end is adding to every `<world>.h` on another branch (the API of
//! /work/briefs/checked-callers-api.md, same names). Until that lands, `plugport gen`
//! appends these, without any validation, to the header copies of the Go packages when
//! the environment variable `PLUGPORT_GO_CALLERS_SHIM=1` is set (scripts and tests set it).
//! The block is skipped by the preprocessor once the real header defines
//! `PLUGPORT_CALLERS_V1`. Delete this module (and the variable) after the merge.

use plugport::ir::{snake, FunctionKind};

use super::{Ctx, Dir, Owner};
use crate::names::c_ident;

/// The shim text for the world of `ctx`.
pub(crate) fn callers(ctx: &Ctx) -> String {
    let mut out = String::from(
        "\n/* ---- TEMPORARY (plugport Go back end, codegen/src/go/shim.rs): unchecked stand-ins for\n * the checked callers and trampolines, until the C back end generates them. ---- */\n#ifndef PLUGPORT_CALLERS_V1\n#include <string.h>\n#ifndef PP_GO_SHIM_CORE\n#define PP_GO_SHIM_CORE\ntypedef struct pp_error { pp_string message; pp_dealloc_fn dealloc; } pp_error;\nstatic inline void pp_error_release(pp_error *e) {\n    if (e->dealloc != NULL && e->message.len > 0 && e->message.ptr != NULL) {\n        e->dealloc((void *)(uintptr_t)e->message.ptr, e->message.len, 1);\n    }\n    e->message.ptr = NULL;\n    e->message.len = 0;\n}\n#endif\n",
    );
    let mut done = std::collections::HashSet::new();
    for slot in &ctx.slots {
        let f = slot.f;
        let stem = ctx.caller_stem(slot);
        let s = &slot.cslot;
        // An interface both imported and exported has one table type: one caller.
        if !done.insert(format!("{stem}_{s}")) {
            continue;
        }
        let table = ctx.table_type(slot);
        let (target_decl, tbl, first) = match slot.owner {
            Owner::Method(r) => (
                format!("{} self", ctx.names.type_id(r)),
                "self.vtable".to_string(),
                Some("self.self"),
            ),
            _ => (format!("const {table} *t"), "t".to_string(), None),
        };
        out += &format!(
            "static inline int {stem}_has_{s}({target_decl}) {{\n    return {null} {tbl} != NULL && offsetof({table}, {s}) + sizeof(void *) <= {tbl}->header.size && {tbl}->{s} != NULL;\n}}\n",
            null = if first.is_some() { "self.self != NULL &&" } else { "" },
        );
        let mut params = vec![target_decl.clone()];
        let mut args: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        for (n, p) in f.params.iter().enumerate() {
            params.push(format!("{} p{n}", ctx.cty(&p.ty)));
            args.push(format!("p{n}"));
        }
        if let Some(r) = &f.result {
            params.push(format!("{} *ret", ctx.cty(r)));
            args.push("ret".into());
        }
        params.push("pp_error *err".into());
        args.push("&e".into());
        let msg = format!(
            "{}: not provided by this plugin (older minor version?)",
            slot.what
        );
        out += &format!(
            "static inline pp_status {stem}_call_{s}({}) {{\n    pp_string e;\n    pp_status st;\n    e.ptr = NULL;\n    e.len = 0;\n    memset(err, 0, sizeof *err);\n    if (!{stem}_has_{s}({})) {{\n        err->message.ptr = \"{msg}\";\n        err->message.len = sizeof \"{msg}\" - 1;\n        return PP_ERR_UNSUPPORTED;\n    }}\n{}    st = {tbl}->{s}({});\n    if (st != PP_OK) {{\n        err->message = e;\n        err->dealloc = {tbl}->header.dealloc;\n    }}\n    return st;\n}}\n",
            params.join(", "),
            if first.is_some() { "self" } else { "t" },
            if f.result.is_some() { "    memset(ret, 0, sizeof *ret);\n" } else { "" },
            args.join(", ")
        );
        // The trampoline macro.
        let cparams = ctx.slot_params(f);
        let decl: Vec<String> = cparams
            .iter()
            .map(|(t, n)| {
                if t.ends_with('*') {
                    format!("{t}{n}")
                } else {
                    format!("{t} {n}")
                }
            })
            .collect();
        let names: Vec<String> = cparams.iter().map(|(_, n)| n.clone()).collect();
        out += &format!(
            "#define {}(NAME, IMPL) static pp_status NAME({}) {{ return IMPL({}); }}\n",
            ctx.trampoline_macro(slot),
            decl.join(", "),
            names.join(", ")
        );
        let _ = FunctionKind::Freestanding;
    }
    for (dir, i) in ctx.interfaces() {
        let w = match dir {
            Dir::Import => ctx.names.imports(),
            Dir::Export => ctx.names.exports(),
        };
        let m = c_ident(&i.name);
        out += &format!(
            "static inline const {} *{}(const {w} *t) {{\n    return t != NULL && offsetof({w}, {m}) + sizeof(void *) <= t->header.size ? t->{m} : NULL;\n}}\n",
            ctx.names.table(&i.name),
            ctx.getter(dir, i),
        );
        let _ = snake(&i.name);
    }
    out += "#endif /* PLUGPORT_CALLERS_V1 */\n";
    out
}
