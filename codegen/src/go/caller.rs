//! Calls into C tables: one C trampoline per slot (in the cgo preamble) that calls the
//! header's checked caller with scalars and (ptr, len) pairs by value and returns
//! status, result bytes and error by value, and the Go method that lowers the
//! arguments, calls it and lifts the result. Interface clients, resource proxies.

use plugport::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, TypeId};

use super::names::{camel, param};
use super::types::{go_ty, lift_at, lower_at};
use super::{Ctx, Dir, Owner, ParamKind, Slot};

/// The Go method name of a function: `NewDecoder` for a constructor, `CounterZero` for
/// a static function, the function's name otherwise.
pub(crate) fn method_name(ctx: &Ctx, f: &Function) -> String {
    let rname = |r: TypeId| camel(ctx.world.ty(r).name.as_deref().unwrap_or("resource"));
    match f.kind {
        FunctionKind::Constructor(r) => format!("New{}", rname(r)),
        FunctionKind::Static(r) => format!("{}{}", rname(r), camel(&f.name)),
        FunctionKind::Method(_) => {
            // A handle has Close and a Has<Method> per method.
            let n = camel(&f.name);
            if n == "Close" {
                "Close_".into()
            } else if n.starts_with("Has") {
                format!("{n}Method")
            } else {
                n
            }
        }
        FunctionKind::Freestanding => {
            // Clients have a Has<Fn> per function.
            let n = camel(&f.name);
            if n.starts_with("Has") {
                format!("{n}Func")
            } else {
                n
            }
        }
    }
}

/// Go parameter names of a function, unique.
pub(crate) fn param_names(f: &Function) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &f.params {
        let mut n = param(&p.name);
        while out.contains(&n) {
            n.push('_');
        }
        out.push(n);
    }
    out
}

/// `(params, results)` of a function's Go signature: results are `(T, error)` or `error`.
pub(crate) fn go_sig(ctx: &Ctx, f: &Function) -> (String, String) {
    let names = param_names(f);
    let params: Vec<String> = f
        .params
        .iter()
        .zip(&names)
        .map(|(p, n)| format!("{n} {}", go_ty(ctx, &p.ty)))
        .collect();
    let results = match &f.result {
        Some(r) => format!("({}, error)", go_ty(ctx, r)),
        None => "error".into(),
    };
    (params.join(", "), results)
}

/// The C preamble of a caller slot: its out struct, trampoline and has-function.
pub(crate) fn c_trampoline(ctx: &Ctx, slot: &Slot) -> String {
    let f = slot.f;
    let key = &slot.key;
    let stem = ctx.caller_stem(slot);
    let table = ctx.table_type(slot);
    let mut out = format!(
        "typedef struct gp_out_{key} {{\n    int32_t st;\n    uintptr_t dealloc;\n    uintptr_t err_ptr;\n    size_t err_len;\n    uintptr_t err_dealloc;\n"
    );
    // A scalar result has its own C type (Go reads it as one field); any other result is
    // words of bytes (lifted from a byte view, or two words for a string or list).
    let scalar_ret = f.result.and_then(|r| ctx.scalar_c(r));
    match (&f.result, scalar_ret) {
        (Some(_), Some(c)) => out += &format!("    {c} ret;\n"),
        (Some(r), None) => out += &format!("    uint64_t ret[{}];\n", ctx.size(r).div_ceil(8)),
        (None, _) => {}
    }
    out += &format!("}} gp_out_{key};\n");
    let (target_params, target_setup, target, dealloc) = match slot.owner {
        Owner::Method(r) => {
            let handle = ctx.names.type_id(r);
            (
                "uintptr_t gp_self, uintptr_t gp_vt".to_string(),
                format!(
                    "    {handle} gp_h;\n    gp_h.self = (void *)gp_self;\n    gp_h.vtable = (const {table} *)gp_vt;\n"
                ),
                "gp_h".to_string(),
                "gp_h.vtable->header.dealloc".to_string(),
            )
        }
        _ => (
            "uintptr_t gp_t".to_string(),
            String::new(),
            format!("(const {table} *)gp_t"),
            format!("((const {table} *)gp_t)->header.dealloc"),
        ),
    };
    let mut params = vec![target_params.clone()];
    let mut locals = String::new();
    let mut setup = String::new();
    let mut args = vec![target.clone()];
    for (n, p) in f.params.iter().enumerate() {
        let cty = ctx.cty(&p.ty);
        match ctx.param_kind(p.ty) {
            ParamKind::Scalar(c) => {
                params.push(format!("{c} a{n}"));
                args.push(format!("({cty})a{n}"));
            }
            ParamKind::Slice { .. } => {
                params.push(format!("const void *a{n}_ptr, size_t a{n}_len"));
                locals += &format!("    {cty} a{n};\n");
                setup += &format!("    a{n}.ptr = a{n}_ptr;\n    a{n}.len = a{n}_len;\n");
                args.push(format!("a{n}"));
            }
            ParamKind::Blob => {
                params.push(format!("const void *a{n}_p"));
                locals += &format!("    {cty} a{n};\n");
                setup += &format!("    memcpy(&a{n}, a{n}_p, sizeof a{n});\n");
                args.push(format!("a{n}"));
            }
        }
    }
    if let Some(r) = &f.result {
        locals += &format!("    {} gp_r;\n", ctx.cty(r));
        args.push("&gp_r".into());
    }
    args.push("&gp_e".into());
    out += &format!(
        "static gp_out_{key} gp_call_{key}({}) {{\n    gp_out_{key} o;\n    pp_error gp_e;\n{locals}{target_setup}    memset(&o, 0, sizeof o);\n    memset(&gp_e, 0, sizeof gp_e);\n{setup}    o.st = {stem}_call_{}({});\n    if (o.st == PP_OK) {{\n",
        params.join(", "),
        slot.cslot,
        args.join(", ")
    );
    if scalar_ret.is_some() {
        out += "        o.ret = gp_r;\n";
    } else if f.result.is_some() {
        out += &format!("        memcpy(o.ret, &gp_r, sizeof gp_r);\n        o.dealloc = (uintptr_t)({dealloc});\n");
    }
    out += "    } else {\n        o.err_ptr = (uintptr_t)gp_e.message.ptr;\n        o.err_len = gp_e.message.len;\n        o.err_dealloc = (uintptr_t)gp_e.dealloc;\n    }\n    return o;\n}\n";
    let has_target = match slot.owner {
        Owner::Method(_) => "gp_h".to_string(),
        _ => target,
    };
    out += &format!(
        "static int gp_has_{key}({target_params}) {{\n{target_setup}    return {stem}_has_{}({has_target});\n}}\n\n",
        slot.cslot
    );
    out
}

/// The common preamble of every package that calls C tables.
pub(crate) const C_COMMON: &str = "\
static void gp_error_release(uintptr_t p, size_t n, uintptr_t d) {
    pp_error e;
    e.message.ptr = (const char *)p;
    e.message.len = n;
    e.dealloc = (pp_dealloc_fn)d;
    pp_error_release(&e);
}
";

/// Go helpers shared by every caller.
pub(crate) const GO_COMMON: &str = "\
// gpCallError copies a failed call's message into Go, releases it through the checked
// C API and returns it as a *plugport.CallError.
func gpCallError(st C.int32_t, what string, p C.uintptr_t, n C.size_t, d C.uintptr_t) error {
	msg := string(plugport.CopyBytes(uintptr(p), uintptr(n)))
	C.gp_error_release(p, n, d)
	return &plugport.CallError{Status: plugport.Status(st), Func: what, Message: msg}
}

";

/// The Go method calling a slot. `recv` is the receiver (`c Greet`), `target` the Go
/// expression(s) of the trampoline's table arguments, `prelude` statements that set up
/// `gpSelf` for methods (and may return early).
pub(crate) fn go_method(
    ctx: &Ctx,
    slot: &Slot,
    recv: &str,
    name: &str,
    target: &str,
    prelude: &str,
    doc: &str,
) -> String {
    let f = slot.f;
    let key = &slot.key;
    let (params, results) = go_sig(ctx, f);
    let names = param_names(f);
    let zero_ret = |err: &str| match &f.result {
        Some(r) => format!("var gpZ {}\n\t\treturn gpZ, {err}", go_ty(ctx, r)),
        None => format!("return {err}"),
    };
    let mut body = String::new();
    let mut args = vec![target.to_string()];
    let needs_arena = f.params.iter().any(|p| {
        !matches!(
            ctx.param_kind(p.ty),
            ParamKind::Scalar(_) | ParamKind::Slice { direct: true }
        )
    });
    if needs_arena {
        body += "\tvar gpArena plugport.Arena\n\tgpA := &gpArena\n\tdefer gpA.Free()\n";
    }
    body += prelude;
    for (n, (p, v)) in f.params.iter().zip(&names).enumerate() {
        match ctx.param_kind(p.ty) {
            ParamKind::Scalar(c) => {
                let ct = format!("C.{}", c);
                if ctx.resolve(p.ty) == Type::Bool {
                    args.push(format!("{ct}(plugport.Bool8({v}))"));
                } else {
                    args.push(format!("{ct}({v})"));
                }
            }
            ParamKind::Slice { direct: true } => {
                if ctx.resolve(p.ty) == Type::String {
                    args.push(format!(
                        "unsafe.Pointer(unsafe.StringData({v})), C.size_t(len({v}))"
                    ));
                } else {
                    args.push(format!(
                        "unsafe.Pointer(unsafe.SliceData({v})), C.size_t(len({v}))"
                    ));
                }
            }
            ParamKind::Slice { direct: false } => {
                let Type::Id(id) = ctx.resolve(p.ty) else {
                    unreachable!()
                };
                body += &format!("\tgpE{n} := gpLowerElems{id}(gpA, {v})\n");
                args.push(format!(
                    "unsafe.Pointer(unsafe.SliceData(gpE{n})), C.size_t(len({v}))"
                ));
            }
            ParamKind::Blob => {
                let size = ctx.size(&p.ty);
                body += &format!(
                    "\tgpB{n} := plugport.Buf({size})\n\t{}\n",
                    lower_at(ctx, &p.ty, &format!("gpB{n}"), "0", v)
                );
                args.push(format!("unsafe.Pointer(&gpB{n}[0])"));
            }
        }
    }
    // Once the call is made, own handles among the arguments belong to the callee (or
    // were dropped by the checked caller): the arena must not drop them again.
    let sent = if needs_arena { "\tgpA.Sent()\n" } else { "" };
    body += &format!(
        "\tgpO := C.gp_call_{key}({})\n{sent}\tif gpO.st != 0 {{\n\t\t{}\n\t}}\n",
        args.join(", "),
        zero_ret(&format!(
            "gpCallError(gpO.st, \"{}\", gpO.err_ptr, gpO.err_len, gpO.err_dealloc)",
            slot.what
        ))
    );
    // A scalar result is read as its own field, a string or list as two words: no copy
    // of gpO and no byte view of it (other results are lifted from a byte view).
    let scalar_ret = f.result.and_then(|r| ctx.scalar_c(r));
    let slice_ret = f
        .result
        .filter(|r| matches!(ctx.param_kind(*r), ParamKind::Slice { .. }));
    match &f.result {
        Some(r) if scalar_ret.is_some() => {
            let v = match ctx.resolve(*r) {
                Type::Bool => "gpO.ret != 0".to_string(),
                _ => format!("{}(gpO.ret)", go_ty(ctx, r)),
            };
            body += &format!("\treturn {v}, nil\n");
        }
        Some(r) if slice_ret.is_some() => {
            let lift = match ctx.resolve(*r) {
                Type::String => "plugport.TakeString".to_string(),
                Type::Id(id) => format!("gpLiftElems{id}"),
                _ => unreachable!("a slice result is a string or a list"),
            };
            if holds_map(ctx, r) {
                body += &format!(
                    "\treturn plugport.LiftResult(\"{}\", func() {} {{\n\t\treturn {lift}(uintptr(gpO.ret[0]), uintptr(gpO.ret[1]), uintptr(gpO.dealloc))\n\t}})\n",
                    slot.what,
                    go_ty(ctx, r)
                );
            } else {
                body += &format!(
                    "\treturn {lift}(uintptr(gpO.ret[0]), uintptr(gpO.ret[1]), uintptr(gpO.dealloc)), nil\n"
                );
            }
        }
        Some(r) if holds_map(ctx, r) => {
            // A map inside may hold a duplicate key: plugport.LiftResult turns that into
            // PP_ERR_INVALID_RESULT (`docs/abi.md` §3, "Maps").
            let words = ctx.size(r).div_ceil(8);
            body += &format!(
                "\tgpR := unsafe.Slice((*byte)(unsafe.Pointer(&gpO.ret[0])), {})\n\treturn plugport.LiftResult(\"{}\", func() {} {{\n\t\treturn {}\n\t}})\n",
                words * 8,
                slot.what,
                go_ty(ctx, r),
                lift_at(ctx, r, "gpR", "0", "uintptr(gpO.dealloc)")
            );
        }
        Some(r) => {
            let words = ctx.size(r).div_ceil(8);
            body += &format!(
                "\tgpR := unsafe.Slice((*byte)(unsafe.Pointer(&gpO.ret[0])), {})\n\treturn {}, nil\n",
                words * 8,
                lift_at(ctx, r, "gpR", "0", "uintptr(gpO.dealloc)")
            );
        }
        None => body += "\treturn nil\n",
    }
    format!("{doc}func ({recv}) {name}({params}) {results} {{\n{body}}}\n\n")
}

/// True when a value of `ty` can hold a `map<K, V>` (whose lift refuses duplicate keys).
fn holds_map(ctx: &Ctx, ty: &Type) -> bool {
    fn walk(ctx: &Ctx, ty: &Type, seen: &mut Vec<TypeId>) -> bool {
        let Type::Id(id) = ty else { return false };
        if seen.contains(id) {
            return false;
        }
        seen.push(*id);
        match &ctx.world.ty(*id).kind {
            TypeDefKind::Map { .. } => true,
            TypeDefKind::Record { fields } => fields.iter().any(|f| walk(ctx, &f.ty, seen)),
            TypeDefKind::Tuple { types } => types.iter().any(|t| walk(ctx, t, seen)),
            TypeDefKind::Variant { cases } => cases
                .iter()
                .filter_map(|c| c.ty)
                .any(|t| walk(ctx, &t, seen)),
            TypeDefKind::Option { ty }
            | TypeDefKind::List { ty }
            | TypeDefKind::FixedList { ty, .. }
            | TypeDefKind::Alias { ty } => walk(ctx, ty, seen),
            TypeDefKind::Result { ok, err } => {
                [ok, err].into_iter().flatten().any(|t| walk(ctx, t, seen))
            }
            _ => false,
        }
    }
    walk(ctx, ty, &mut Vec::new())
}

/// The client of an interface the other side implements: a struct with one method per
/// slot (and a Has method each).
pub(crate) fn client(ctx: &Ctx, iface: &Interface, dir: Dir) -> String {
    let name = ctx.go.iface(dir, &iface.name);
    let side = if dir == Dir::Export { "plugin" } else { "host" };
    let mut out = format!(
        "// {name} calls the {side}'s interface `{}` (its function table). The zero value has no\n// table: every call returns plugport.ErrUnsupported.\ntype {name} struct{{ t uintptr }}\n\n",
        iface.name
    );
    for slot in ctx
        .slots
        .iter()
        .filter(|s| matches!(s.owner, Owner::Iface(i) if i.name == iface.name && s.dir == dir))
    {
        let m = method_name(ctx, slot.f);
        let doc = format!("// {m} calls `{}`.\n", slot.what);
        out += &go_method(
            ctx,
            slot,
            &format!("gpC {name}"),
            &m,
            "C.uintptr_t(gpC.t)",
            "",
            &doc,
        );
        out += &format!(
            "// Has{m} says whether the {side} provides `{}` (an older minor version may not).\nfunc (c {name}) Has{m}() bool {{\n\treturn C.gp_has_{}(C.uintptr_t(c.t)) != 0\n}}\n\n",
            slot.what, slot.key
        );
    }
    out
}

/// The proxy of a resource the other side implements: a Go struct holding the handle,
/// with Close, a method per vtable slot and the handle conversions.
pub(crate) fn proxy(ctx: &Ctx, r: TypeId) -> String {
    let name = ctx.go.ty(r);
    let wit = format!(
        "{}.{}",
        ctx.world.ty(r).interface.as_deref().unwrap_or(""),
        ctx.world.ty(r).name.as_deref().unwrap_or("resource")
    );
    let mut out = format!(
        "// {name} is a handle of a `{wit}` object of the other side. Close it when done (a\n// finalizer only reports a forgotten Close); a borrowed {name} (an argument of a call\n// into Go) is valid during that call only and its Close does nothing.\ntype {name} struct {{\n\tself   atomic.Uintptr\n\tvtable uintptr\n\towned  bool\n}}\n\n"
    );
    out += &format!(
        "func gpNew{name}(self, vt uintptr, owned bool) *{name} {{
	r := &{name}{{vtable: vt, owned: owned}}
	r.self.Store(self)
	if owned {{
		runtime.SetFinalizer(r, func(r *{name}) {{
			if r.self.Load() != 0 {{
				fmt.Fprintln(os.Stderr, \"plugport: a {name} ({wit}) was garbage-collected without Close: its object leaks\")
			}}
		}})
	}}
	return r
}}

// Close drops the object (once; later calls do nothing).
func (r *{name}) Close() {{
	if r == nil || !r.owned {{
		return
	}}
	if s := r.self.Swap(0); s != 0 {{
		runtime.SetFinalizer(r, nil)
		plugport.Drop(s, r.vtable)
	}}
}}

func gpLiftOwn{r}(self, vt uintptr) *{name} {{\n\treturn gpNew{name}(self, vt, true)\n}}

func gpLiftBorrow{r}(self, vt uintptr) *{name} {{\n\treturn gpNew{name}(self, vt, false)\n}}

// gpLowerOwn{r} moves the handle out of r (passing ownership): r is closed afterwards;
// gpA drops it if the value is not handed over (a later argument fails to lower).
func gpLowerOwn{r}(gpA *plugport.Arena, r *{name}) (uintptr, uintptr) {{
	if r == nil || !r.owned {{
		panic(\"plugport: a nil or borrowed {name} passed where an owned one is expected\")
	}}
	s := r.self.Swap(0)
	if s == 0 {{
		panic(\"plugport: {name} used after Close\")
	}}
	runtime.SetFinalizer(r, nil)
	gpA.MoveHandle(s, r.vtable)
	return s, r.vtable
}}

func gpLowerBorrow{r}(_ *plugport.Arena, r *{name}) (uintptr, uintptr) {{
	if r == nil {{
		panic(\"plugport: nil {name}\")
	}}
	s := r.self.Load()
	if s == 0 {{
		panic(\"plugport: {name} used after Close\")
	}}
	return s, r.vtable
}}

"
    );
    for slot in ctx.methods(r) {
        let m = method_name(ctx, slot.f);
        let zero = match &slot.f.result {
            Some(t) => format!(
                "var gpZ {}\n\t\treturn gpZ, plugport.ErrClosed",
                go_ty(ctx, t)
            ),
            None => "return plugport.ErrClosed".into(),
        };
        let prelude =
            format!("\tgpSelf := gpP.self.Load()\n\tif gpSelf == 0 {{\n\t\t{zero}\n\t}}\n");
        let doc = format!("// {m} calls `{}`.\n", slot.what);
        out += &go_method(
            ctx,
            slot,
            &format!("gpP *{name}"),
            &m,
            "C.uintptr_t(gpSelf), C.uintptr_t(gpP.vtable)",
            &prelude,
            &doc,
        );
        out += &format!(
            "// Has{m} says whether the object's vtable provides `{}`.\nfunc (r *{name}) Has{m}() bool {{\n\ts := r.self.Load()\n\treturn s != 0 && C.gp_has_{}(C.uintptr_t(s), C.uintptr_t(r.vtable)) != 0\n}}\n\n",
            slot.what, slot.key
        );
    }
    out
}
