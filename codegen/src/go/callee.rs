//! C tables calling Go: per implemented slot a C shim with the slot's exact signature
//! that passes scalars, (ptr, len) pairs and addresses as integers to an `//export` Go
//! function, wrapped by the header's validating trampoline macro; the Go function lifts
//! the arguments, calls the implementation, recovers panics into PP_ERR_PANIC and lowers
//! the result into C memory (malloc; the table's dealloc is free). Resources implemented
//! in Go: interfaces, cells holding a cgo.Handle, static vtables.

use plugport::ir::{Type, TypeDefKind, TypeId};

use crate::c::{drop_owns, HandleWalk};

use super::caller::{go_sig, method_name, param_names};
use super::types::{go_ty, lift_at, lower_at};
use super::{Ctx, Dir, Owner, ParamKind, Slot};

/// How the `//export` function finds the implementation.
#[derive(Clone, Copy)]
pub(crate) enum Impl {
    /// Host imports: the Imports of the slot the table belongs to (`gpImports(gpSlot)`).
    HostSlot,
    /// Plugin exports: the registered Exports (`gpExported()`).
    Registered,
}

/// The C shim of an implemented slot, named `gp_impl_<key>` and wrapped as
/// `gp_tramp_<key>`. With `slotted`, both names get `_##N` and the text is the body of a
/// macro over `N` (without line continuations; the caller adds them).
pub(crate) fn c_shim(ctx: &Ctx, slot: &Slot, slotted: bool) -> String {
    let f = slot.f;
    let key = &slot.key;
    let sfx = if slotted { "_##N" } else { "" };
    let params: Vec<String> = ctx
        .slot_params(f)
        .into_iter()
        .map(|(t, n)| {
            if t.ends_with('*') {
                format!("{t}{n}")
            } else {
                format!("{t} {n}")
            }
        })
        .collect();
    let mut args = Vec::new();
    if slotted {
        args.push("N".to_string());
    }
    if matches!(slot.owner, Owner::Method(_)) {
        // self is a cell of this package (its vtable holds this shim; the trampoline
        // refused a NULL self): pass the cgo.Handle it holds, so that Go need not call
        // back into C to read it.
        args.push("*(const uintptr_t *)self".into());
    }
    for (n, p) in f.params.iter().enumerate() {
        match ctx.param_kind(p.ty) {
            ParamKind::Scalar(_) => args.push(format!("p{n}")),
            ParamKind::Slice { .. } => args.push(format!("(uintptr_t)p{n}.ptr, p{n}.len")),
            ParamKind::Blob => args.push(format!("(uintptr_t)&p{n}")),
        }
    }
    // A scalar result comes back from Go by value with the status (cgo's struct
    // `gpx_<key>_return {r0, r1}`): no Go allocation and no second cgo call to store it.
    let scalar_ret = f.result.and_then(|r| ctx.scalar_c(r)).is_some();
    if f.result.is_some() && !scalar_ret {
        args.push("(uintptr_t)ret".into());
    }
    args.push("(uintptr_t)err".into());
    let guard = foreign_guard(ctx, slot);
    let body = if scalar_ret {
        format!(
            "    struct gpx_{key}_return r = gpx_{key}({});\n    if (r.r0 == PP_OK) {{\n        *ret = r.r1;\n    }}\n    return r.r0;\n",
            args.join(", ")
        )
    } else {
        format!("    return gpx_{key}({});\n", args.join(", "))
    };
    format!(
        "static pp_status gp_impl_{key}{sfx}({}) {{\n{guard}{body}}}\n{}(gp_tramp_{key}{sfx}, gp_impl_{key}{sfx})\n",
        params.join(", "),
        ctx.trampoline_macro(slot)
    )
}

/// True for `own<R>` and `borrow<R>` of a resource `R` this package implements.
fn implemented_handle(ctx: &Ctx, kind: &TypeDefKind) -> bool {
    match kind {
        TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
            ctx.implements(*resource)
        }
        _ => false,
    }
}

/// C statements (one per line) that set `gp_foreign_` to `what` when a handle inside the
/// argument `place` (of type `ty`) belongs to a resource this package implements but its
/// vtable is not this package's: a handle the package did not make (another plugin's, the
/// host's, a proxy). The trampoline has validated the value already (tags, lengths,
/// non-NULL handles), so the walk follows valid discriminants only.
fn foreign_checks(
    ctx: &Ctx,
    ty: &Type,
    place: &str,
    what: &str,
    indent: &str,
    depth: usize,
) -> Vec<String> {
    let check = |id: TypeId, place: &str, indent: &str, _depth: usize| {
        let (TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource }) =
            &ctx.world.ty(id).kind
        else {
            return Vec::new();
        };
        let rkey = ctx.names.mangle_id(*resource);
        vec![
            format!(
                "{indent}if (gp_foreign_ == NULL && (uintptr_t){place}.vtable != gp_vtable_ptr_{rkey}()) {{"
            ),
            format!("{indent}    gp_foreign_ = \"{what}\";"),
            format!("{indent}}}"),
        ]
    };
    HandleWalk {
        names: &ctx.names,
        world: ctx.world,
        wants: &|k| implemented_handle(ctx, k),
        visit: &check,
        counter: "gp_i",
        bound_lists: false,
        loop_while: Some("gp_foreign_ == NULL"),
    }
    .walk(ty, place, indent, depth)
}

/// The start of a shim whose arguments can hold handles of resources this package
/// implements: a handle of such a resource that the package did not make (its vtable is
/// another's) refuses the call before any Go code runs, as the header's trampolines
/// refuse invalid arguments (`docs/abi.md` §5, §7): every `own` argument is dropped
/// through its own vtable (nested ones too, this package's cells included), and the call
/// returns `PP_ERR_INVALID_ARGUMENT` with a message naming the argument. Empty for every
/// other slot.
fn foreign_guard(ctx: &Ctx, slot: &Slot) -> String {
    let f = slot.f;
    let p = &ctx.world.package;
    let display = match slot.owner {
        Owner::World => format!("{}:{}/{}.{}", p.namespace, p.name, ctx.world.name, f.name),
        _ => format!("{}:{}/{}", p.namespace, p.name, slot.what),
    };
    let mut checks = Vec::new();
    for (n, param) in f.params.iter().enumerate() {
        let what = format!("{display}: argument `{}`: ", param.name);
        checks.extend(foreign_checks(
            ctx,
            &param.ty,
            &format!("p{n}"),
            &what,
            "    ",
            0,
        ));
    }
    if checks.is_empty() {
        return String::new();
    }
    let mut out = String::from("    const char *gp_foreign_ = NULL;\n");
    for line in checks {
        out += &line;
        out.push('\n');
    }
    out += "    if (gp_foreign_ != NULL) {\n";
    for (n, param) in f.params.iter().enumerate() {
        for line in drop_owns(
            &ctx.names,
            ctx.world,
            &param.ty,
            &format!("p{n}"),
            "        ",
            0,
        ) {
            out += &line;
            out.push('\n');
        }
    }
    out += "        return pp_argument_error(err, gp_foreign_, \"a handle that this implementation did not make\");\n    }\n";
    out
}

/// The `//export` Go function of an implemented slot.
pub(crate) fn go_export(ctx: &Ctx, slot: &Slot, how: Impl) -> String {
    let f = slot.f;
    let key = &slot.key;
    let mut params = Vec::new();
    if matches!(how, Impl::HostSlot) && !matches!(slot.owner, Owner::Method(_)) {
        params.push("gpSlot C.int".to_string());
    }
    if matches!(slot.owner, Owner::Method(_)) {
        params.push("gpSelf C.uintptr_t".into());
    }
    let names = param_names(f);
    let mut lifts = String::new();
    let mut call_args = Vec::new();
    for (n, (p, v)) in f.params.iter().zip(&names).enumerate() {
        match ctx.param_kind(p.ty) {
            ParamKind::Scalar(c) => {
                params.push(format!("p{n} C.{c}"));
                let val = if ctx.resolve(p.ty) == Type::Bool {
                    format!("p{n} != 0")
                } else {
                    format!("{}(p{n})", go_ty(ctx, &p.ty))
                };
                lifts += &format!("\t{v} := {val}\n");
            }
            ParamKind::Slice { .. } => {
                params.push(format!("p{n} C.uintptr_t, p{n}n C.size_t"));
                let val = match ctx.resolve(p.ty) {
                    Type::String => {
                        format!("plugport.TakeString(uintptr(p{n}), uintptr(p{n}n), 0)")
                    }
                    Type::Id(id) => format!("gpLiftElems{id}(uintptr(p{n}), uintptr(p{n}n), 0)"),
                    _ => unreachable!(),
                };
                lifts += &format!("\t{v} := {val}\n");
            }
            ParamKind::Blob => {
                params.push(format!("p{n} C.uintptr_t"));
                lifts += &format!(
                    "\tgpB{n} := plugport.CopyBytes(uintptr(p{n}), {})\n\t{v} := {}\n",
                    ctx.size(&p.ty),
                    lift_at(ctx, &p.ty, &format!("gpB{n}"), "0", "0")
                );
            }
        }
        call_args.push(v.clone());
    }
    let scalar_ret = f.result.and_then(|r| ctx.scalar_c(r));
    if f.result.is_some() && scalar_ret.is_none() {
        params.push("gpRet C.uintptr_t".into());
    }
    params.push("gpErr C.uintptr_t".into());
    let m = method_name(ctx, f);
    let target = match (&slot.owner, &how) {
        (Owner::Method(r), _) => format!(
            "plugport.HandleValue(uintptr(gpSelf)).({}).{m}",
            ctx.go.ty(*r)
        ),
        (Owner::Iface(i), Impl::HostSlot) => {
            format!(
                "gpImports(gpSlot).{}.{m}",
                ctx.go.iface(Dir::Import, &i.name)
            )
        }
        (Owner::Iface(i), Impl::Registered) => {
            format!("gpExported().{}.{m}", ctx.go.iface(Dir::Export, &i.name))
        }
        (Owner::World, Impl::HostSlot) => format!("gpImports(gpSlot).{m}"),
        (Owner::World, Impl::Registered) => format!("gpExported().{m}"),
    };
    let mut body = String::new();
    // Results built in C memory need an arena (freed when lowering fails).
    let has_result = f.result.is_some() && scalar_ret.is_none();
    if has_result {
        body += "\tvar gpArena plugport.Arena\n\tgpA := &gpArena\n";
    }
    body += "\tdefer func() {\n\t\tif r := recover(); r != nil {\n";
    if has_result {
        body += "\t\t\tgpA.Free()\n";
    }
    body += "\t\t\tgpSt = C.int32_t(gpPanicked(uintptr(gpErr), r))\n\t\t}\n\t}()\n";
    body += &lifts;
    let results = match scalar_ret {
        Some(c) => format!("(gpSt C.int32_t, gpRv C.{c})"),
        None => "(gpSt C.int32_t)".into(),
    };
    match &f.result {
        Some(r) if scalar_ret.is_some() => {
            let c = scalar_ret.unwrap_or_default();
            let v = if ctx.resolve(*r) == Type::Bool {
                "plugport.Bool8(gpR)".to_string()
            } else {
                "gpR".to_string()
            };
            body += &format!(
                "\tgpR, gpE := {target}({})\n\tif gpE != nil {{\n\t\treturn C.int32_t(gpFailed(uintptr(gpErr), gpE)), 0\n\t}}\n\treturn 0, C.{c}({v})\n",
                call_args.join(", ")
            );
        }
        Some(r) => {
            body += &format!(
                "\tgpR, gpE := {target}({})\n\tif gpE != nil {{\n\t\treturn C.int32_t(gpFailed(uintptr(gpErr), gpE))\n\t}}\n\tgpB := plugport.Buf({})\n\t{}\n\tplugport.Store(uintptr(gpRet), gpB)\n\tgpA.Keep()\n\treturn 0\n",
                call_args.join(", "),
                ctx.size(r),
                lower_at(ctx, r, "gpB", "0", "gpR")
            );
        }
        None => {
            body += &format!(
                "\tif gpE := {target}({}); gpE != nil {{\n\t\treturn C.int32_t(gpFailed(uintptr(gpErr), gpE))\n\t}}\n\treturn 0\n",
                call_args.join(", ")
            );
        }
    }
    format!(
        "//export gpx_{key}\nfunc gpx_{key}({}) {results} {{\n{body}}}\n\n",
        params.join(", ")
    )
}

/// Go helpers of every package that implements slots.
pub(crate) const GO_CALLEE_COMMON: &str = "\
// gpPanicked turns a recovered panic into PP_ERR_PANIC with its message.
func gpPanicked(errp uintptr, r any) plugport.Status {
	if inv, ok := r.(plugport.InvalidData); ok {
		// A received argument that cannot be its Go value (a map with a duplicate key).
		plugport.SetError(errp, inv.Message)
		return plugport.StatusInvalidArgument
	}
	plugport.SetError(errp, fmt.Sprint(r))
	return plugport.StatusPanic
}

// gpFailed turns an error returned by an implementation into its status
// (plugport.StatusOf) with the error's message.
func gpFailed(errp uintptr, err error) plugport.Status {
	plugport.SetError(errp, err.Error())
	return plugport.StatusOf(err)
}

";

/// The Go interface of a resource implemented in this package, and its handle
/// conversions (cells with a cgo.Handle, this package's static vtable).
pub(crate) fn implemented_resource(ctx: &Ctx, r: TypeId) -> String {
    let name = ctx.go.ty(r);
    let def = ctx.world.ty(r);
    let wit = format!(
        "{}.{}",
        def.interface.as_deref().unwrap_or(""),
        def.name.as_deref().unwrap_or("resource")
    );
    let rkey = ctx.names.mangle_id(r);
    let mut out = format!(
        "// {name} is implemented in Go: an object of `{wit}`. Each object crosses as a handle\n// whose self is a C cell holding a cgo.Handle; when the other side drops it, the\n// object's Drop method runs if it has one (`interface{{ Drop() }}`).\ntype {name} interface {{\n"
    );
    for slot in ctx.methods(r) {
        let (p, res) = go_sig(ctx, slot.f);
        out += &format!("\t{}({p}) {res}\n", method_name(ctx, slot.f));
    }
    out += "}\n\n";
    out += &format!(
        "func gpVtable{r}() uintptr {{\n\treturn uintptr(C.gp_vtable_ptr_{rkey}())\n}}

func gpLiftOwn{r}(self, vt uintptr) {name} {{
	if vt != gpVtable{r}() {{
		panic(\"plugport: a {wit} handle that this package did not make\")
	}}
	return plugport.TakeCell(self).({name})
}}

func gpLiftBorrow{r}(self, vt uintptr) {name} {{
	if vt != gpVtable{r}() {{
		panic(\"plugport: a {wit} handle that this package did not make\")
	}}
	return plugport.CellValue(self).({name})
}}

func gpLowerOwn{r}(gpA *plugport.Arena, v {name}) (uintptr, uintptr) {{
	if v == nil {{
		panic(\"plugport: nil {name}\")
	}}
	return gpA.OwnCell(v), gpVtable{r}()
}}

func gpLowerBorrow{r}(gpA *plugport.Arena, v {name}) (uintptr, uintptr) {{
	if v == nil {{
		panic(\"plugport: nil {name}\")
	}}
	return gpA.TempCell(v), gpVtable{r}()
}}

"
    );
    out
}

/// The `//export` drop function of a resource implemented in Go.
pub(crate) fn go_drop(ctx: &Ctx, r: TypeId) -> String {
    let rkey = ctx.names.mangle_id(r);
    format!(
        "//export gpx_drop_{rkey}\nfunc gpx_drop_{rkey}(gpSelf C.uintptr_t) {{\n\tplugport.DropCell(uintptr(gpSelf))\n}}\n\n"
    )
}

/// The C side of a resource implemented in Go: method shims, drop, static vtable.
pub(crate) fn c_resource(ctx: &Ctx, r: TypeId) -> String {
    let rkey = ctx.names.mangle_id(r);
    let vt = ctx.names.vtable(r);
    let version = ctx.world.package.table_version();
    let mut out = String::new();
    let mut slots = vec![format!("gp_drop_{rkey}")];
    for slot in ctx.methods(r) {
        out += &c_shim(ctx, slot, false);
        slots.push(format!("gp_tramp_{}", slot.key));
    }
    out += &format!(
        "static void gp_drop_{rkey}(void *self) {{\n    gpx_drop_{rkey}((uintptr_t)self);\n}}\nstatic const {vt} gp_vtable_{rkey} = {{\n    {{(uint32_t)sizeof({vt}), 0x{version:08x}u, gp_dealloc}},\n    {},\n}};\nuintptr_t gp_vtable_ptr_{rkey}(void) {{\n    return (uintptr_t)&gp_vtable_{rkey};\n}}\n\n",
        slots.join(",\n    ")
    );
    out
}
