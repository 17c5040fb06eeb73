//! Interfaces and resources, both sides: the client classes a caller uses (every call goes
//! through the C header's checked caller `<base>_call_<slot>`), and the abstract server
//! classes a callee derives from, with their slot functions (arguments checked with the C
//! validators `<T>_check`, exceptions turned into `PP_ERR_PANIC`) and tables.

use plugport::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, TypeId};

use super::classes::{Class, Method};
use super::Ctx;

/// Names of member functions the generated classes define themselves; a WIT function
/// with one of these names gets a trailing underscore.
const RESERVED: &[&str] = &[
    "reset",
    "release",
    "c_handle",
    "c_table",
    "ref",
    "handle",
    "table",
    "pp_table",
    "pp_vtable",
    "pp_instance",
    "live_objects",
];

fn member(cx: &Ctx, name: &str) -> String {
    let n = cx.ident(name);
    if RESERVED.contains(&n.as_str()) {
        format!("{n}_")
    } else {
        n
    }
}

/// One function of an interface, resource or world table, as both sides see it.
pub(super) struct Fn<'w> {
    pub f: &'w Function,
    /// The interface the function belongs to; for a bare world function
    /// [`super::WORLD_EXPORTS`] or [`super::WORLD_IMPORTS`] (`None`: no direction known,
    /// every resource counts as same side).
    pub iface: Option<&'w str>,
    /// The C slot name.
    pub slot: String,
    /// `<base>` of the checked caller `<base>_call_<slot>` and `<base>_has_<slot>`.
    pub base: String,
    /// `example:greeter/greet.greet`: how messages name it.
    pub display: String,
}

impl Fn<'_> {
    pub(super) fn member(&self, cx: &Ctx) -> String {
        member(cx, &self.slot)
    }
}

/// The C++ package namespace of an interface.
pub(super) fn iface_ns(cx: &Ctx, name: &str) -> String {
    format!("{}::{}", cx.ns, cx.ident(name))
}

fn pkg_of(cx: &Ctx, i: Option<&Interface>) -> String {
    let p = i
        .and_then(|i| i.package.as_ref())
        .unwrap_or(&cx.world.package);
    format!("{}:{}", p.namespace, p.name)
}

fn version_of(cx: &Ctx, i: Option<&Interface>) -> u32 {
    i.and_then(|i| i.package.as_ref())
        .unwrap_or(&cx.world.package)
        .table_version()
}

fn resource_name(cx: &Ctx, r: TypeId) -> String {
    cx.world
        .ty(r)
        .name
        .clone()
        .unwrap_or_else(|| "resource".into())
}

/// The table functions (not methods) of an interface.
pub(super) fn table_fns<'w>(cx: &Ctx<'w>, i: &'w Interface) -> Vec<Fn<'w>> {
    let pkg = pkg_of(cx, Some(i));
    i.functions
        .iter()
        .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
        .map(|f| {
            let what = match f.kind {
                FunctionKind::Constructor(r) | FunctionKind::Static(r) => {
                    format!("{}.{}", resource_name(cx, r), f.name)
                }
                _ => f.name.clone(),
            };
            Fn {
                f,
                iface: Some(&i.name),
                slot: cx.names.slot(&f.name, f.kind),
                base: format!("{}_{}", cx.names.prefix, plugport::ir::snake(&i.name)),
                display: format!("{pkg}/{}.{what}", i.name),
            }
        })
        .collect()
}

/// The methods of resource `r` (from the first world interface that lists any).
fn methods<'w>(cx: &Ctx<'w>, r: TypeId) -> (Option<&'w Interface>, Vec<Fn<'w>>) {
    for (i, _) in cx.interfaces() {
        let ms: Vec<&Function> = i
            .functions
            .iter()
            .filter(|f| f.kind == FunctionKind::Method(r))
            .collect();
        if ms.is_empty() {
            continue;
        }
        let pkg = pkg_of(cx, Some(i));
        let fns = ms
            .into_iter()
            .map(|f| Fn {
                f,
                iface: Some(&i.name),
                slot: cx.names.slot(&f.name, f.kind),
                base: cx.names.type_id(r),
                display: format!("{pkg}/{}.{}.{}", i.name, resource_name(cx, r), f.name),
            })
            .collect();
        return (Some(i), fns);
    }
    (None, Vec::new())
}

/// The client call of `f` through the checked caller; `target` is the C table pointer or
/// handle expression, `dealloc` the dealloc of what it returns.
pub(super) fn client_call(cx: &Ctx, f: &Fn, target: &str, dealloc: &str) -> Method {
    let ret = f.f.result.as_ref().map(|r| cx.recv(r, f.iface));
    let mut params = Vec::new();
    let mut args = vec![target.to_string()];
    for p in &f.f.params {
        let n = cx.ident(&p.name);
        params.push((cx.arg_in(&p.ty, f.iface), n.clone()));
        args.push(cx.to_c(&p.ty, f.iface, &n));
    }
    let mut body = String::new();
    if let Some(r) = &f.f.result {
        body += &format!("{} pp_ret_{{}};\n", cx.cq(r));
        args.push("&pp_ret_".into());
    }
    body += "::pp_error pp_err_{};\n";
    args.push("&pp_err_".into());
    body += &format!(
        "::pp_status pp_st_ = ::{}_call_{}({});\n",
        f.base,
        f.slot,
        args.join(", ")
    );
    body += "if (pp_st_ != PP_OK) {\n    return ::pp::unexpected<::pp::call_error>(::pp::call_error(pp_st_, pp_err_));\n}\n";
    let qual = if target.starts_with("h_") || target.starts_with("t_") {
        "const noexcept"
    } else {
        "noexcept"
    };
    let doc = format!(
        "{}: through the checked caller ::{}_call_{}",
        f.display, f.base, f.slot
    );
    call_method(cx, f, ret, params, body, dealloc, qual, doc)
}

/// A client call's method: `body` (the call, its status check) followed by the lifting of
/// `pp_ret_` into the C++ result type `ret` with `dealloc`.
#[allow(clippy::too_many_arguments)]
fn call_method(
    cx: &Ctx,
    f: &Fn,
    ret: Option<String>,
    params: Vec<(String, String)>,
    mut body: String,
    dealloc: &str,
    qual: &str,
    doc: String,
) -> Method {
    match &ret {
        Some(t) => body += &format!("return ::pp::detail::lift<{t}>(pp_ret_, {dealloc});\n"),
        None => body += "return {};\n",
    }
    Method::new(
        format!(
            "::pp::result<{}, ::pp::call_error>",
            ret.unwrap_or_else(|| "void".into())
        ),
        f.member(cx),
    )
    .params(params)
    .qual(qual)
    .body(body)
    .doc(doc)
}

/// The members, constructor and calls of a client of an interface or world table
/// (`table` the C table type, `cname` the class name) that resolves its slots
/// once: each slot is the table's function, or `pp::detail::absent_slot` when the table
/// lacks it (short table or NULL slot), so that a call goes straight through the C invoker
/// `<base>_invoke_<slot>` without the presence check (`docs/abi.md` section 11).
/// Returns `(public lines, private lines, methods)`.
pub(super) fn resolved_client(
    cx: &Ctx,
    table: &str,
    cname: &str,
    fns: &[Fn],
) -> (Vec<String>, Vec<String>, Vec<Method>) {
    let mut ctor = format!(
        "explicit {cname}(const table *t) noexcept : t_(t), dealloc_(t != nullptr ? t->header.dealloc : nullptr) {{"
    );
    let mut private = vec![
        "const table *t_ = nullptr;".to_string(),
        "::pp_dealloc_fn dealloc_ = nullptr;".to_string(),
    ];
    let mut methods = Vec::new();
    for f in fns {
        ctor += &format!(
            "\n        if (::{}_has_{}(t) != 0) {{ pp_f_{s}_ = t->{s}; }}",
            f.base,
            f.slot,
            s = f.slot
        );
        private.push(format!(
            "decltype(table::{s}) pp_f_{s}_ = &::pp::detail::absent_slot<decltype(table::{s})>::fn;",
            s = f.slot
        ));
        methods.push(has_method(cx, f, "t_"));
        methods.push(resolved_call(cx, f));
    }
    ctor += "\n    }";
    if fns.is_empty() {
        // Only interface getters: nothing to resolve, no dealloc to keep.
        ctor = format!("explicit {cname}(const table *t) noexcept : t_(t) {{}}");
        private.truncate(1);
    }
    let public = vec![
        format!("using table = ::{table};"),
        format!("{cname}() noexcept = default;"),
        ctor,
        "const table *c_table() const noexcept { return t_; }".into(),
    ];
    (public, private, methods)
}

/// A call of a resolved client (see [`resolved_client`]): the C invoker with the resolved
/// slot; when the slot was absent, the checked caller, for its message and its drops.
fn resolved_call(cx: &Ctx, f: &Fn) -> Method {
    let ret = f.f.result.as_ref().map(|r| cx.recv(r, f.iface));
    let mut params = Vec::new();
    let mut body = String::new();
    let mut args = Vec::new();
    for (k, p) in f.f.params.iter().enumerate() {
        let n = cx.ident(&p.name);
        params.push((cx.arg_in(&p.ty, f.iface), n.clone()));
        body += &format!("auto pp_a{k}_ = {};\n", cx.to_c(&p.ty, f.iface, &n));
        args.push(format!("pp_a{k}_"));
    }
    if let Some(r) = &f.f.result {
        body += &format!("{} pp_ret_;\n", cx.cq(r));
        args.push("&pp_ret_".into());
    }
    body += "::pp_error pp_err_;\n";
    args.push("&pp_err_".into());
    body += &format!(
        "::pp_status pp_st_ = ::{}_invoke_{}(pp_f_{s}_, dealloc_, {});\n",
        f.base,
        f.slot,
        args.join(", "),
        s = f.slot
    );
    body += &format!(
        "if (pp_st_ != PP_OK) {{\n    if (pp_f_{s}_ == &::pp::detail::absent_slot<decltype(table::{s})>::fn) {{\n        pp_st_ = ::{}_call_{s}(t_, {});\n    }}\n    return ::pp::unexpected<::pp::call_error>(::pp::call_error(pp_st_, pp_err_));\n}}\n",
        f.base,
        args.join(", "),
        s = f.slot
    );
    let doc = format!(
        "{}: through ::{}_invoke_{} with the slot resolved at construction",
        f.display, f.base, f.slot
    );
    call_method(cx, f, ret, params, body, "dealloc_", "const noexcept", doc)
}

/// `has_<slot>()` of a client.
pub(super) fn has_method(cx: &Ctx, f: &Fn, target: &str) -> Method {
    Method::new("bool", format!("has_{}", f.member(cx)))
        .qual("const noexcept")
        .body(format!(
            "return ::{}_has_{}({target}) != 0;\n",
            f.base, f.slot
        ))
}

/// True when `ty` contains an `own` (`own == true`) or a `borrow` handle.
fn contains(cx: &Ctx, ty: &Type, own: bool, depth: usize) -> bool {
    if depth > 80 {
        return false;
    }
    let Type::Id(id) = ty else { return false };
    match &cx.world.ty(*id).kind {
        TypeDefKind::Own { .. } => own,
        TypeDefKind::Borrow { .. } => !own,
        TypeDefKind::Record { fields } => {
            fields.iter().any(|f| contains(cx, &f.ty, own, depth + 1))
        }
        TypeDefKind::Tuple { types } => types.iter().any(|t| contains(cx, t, own, depth + 1)),
        TypeDefKind::Variant { cases } => cases
            .iter()
            .filter_map(|c| c.ty.as_ref())
            .any(|t| contains(cx, t, own, depth + 1)),
        TypeDefKind::Option { ty }
        | TypeDefKind::Alias { ty }
        | TypeDefKind::List { ty }
        | TypeDefKind::FixedList { ty, .. } => contains(cx, ty, own, depth + 1),
        TypeDefKind::Map { value, .. } => contains(cx, value, own, depth + 1),
        TypeDefKind::Result { ok, err } => [ok, err]
            .into_iter()
            .flatten()
            .any(|t| contains(cx, t, own, depth + 1)),
        _ => false,
    }
}

/// The server slot function of `f`: checks `self`, `ret`, `err` and every argument with
/// the C validators, then calls the implementation `instance` under `pp::detail::guard`.
/// `instance` declares `pp_s_` (and returns on failure).
pub(super) fn server_slot(cx: &Ctx, f: &Fn, method: bool, instance: &str) -> Method {
    let mut params = Vec::new();
    if method {
        params.push(("void *".to_string(), "self".to_string()));
    }
    for p in &f.f.params {
        params.push((cx.cq(&p.ty), cx.ident(&p.name)));
    }
    if let Some(r) = &f.f.result {
        params.push((format!("{} *", cx.cq(r)), "pp_ret_".into()));
    }
    params.push(("::pp_string *".into(), "pp_err_".into()));

    // Every own argument is dropped when the call is refused (docs/abi.md section 5).
    let mut drop = String::new();
    for p in &f.f.params {
        let n = cx.ident(&p.name);
        let t = cx.resolve(&p.ty);
        if contains(cx, &t, true, 0) && !contains(cx, &t, false, 0) {
            drop += &format!("::{}_release(&{n}, nullptr);\n", cx.c(&t));
        }
    }
    let refuse = |what: &str, why: &str| {
        format!(
            "{drop}return ::pp_argument_error(pp_err_, \"{}: {what}: \", {why});\n",
            f.display
        )
    };
    let mut body = String::new();
    if f.f.result.is_some() {
        body += "if (pp_ret_ == nullptr || pp_err_ == nullptr) {\n";
    } else {
        body += "if (pp_err_ == nullptr) {\n";
    }
    body += &format!("{}    return PP_ERR_INVALID_ARGUMENT;\n}}\n", indent(&drop));
    if method {
        body += &format!(
            "if (self == nullptr) {{\n{}}}\n",
            indent(&refuse("self", "\"NULL pointer\""))
        );
    }
    body += "const char *pp_why_ = nullptr;\n(void)pp_why_;\n";
    for p in &f.f.params {
        let n = cx.ident(&p.name);
        if let Some(check) = cx.check_fn(&cx.resolve(&p.ty)) {
            body += &format!(
                "if ((pp_why_ = {check}(&{n})) != nullptr) {{\n{}}}\n",
                indent(&refuse(&format!("argument `{}`", p.name), "pp_why_"))
            );
        }
        if let Some((r, _)) = cx.handle(&p.ty) {
            if cx.same_side(r, f.iface) {
                body += &format!(
                    "if ({n}.vtable != {}::pp_vtable()) {{\n{}}}\n",
                    cx.qualified(r, "_server"),
                    indent(&refuse(
                        &format!("argument `{}`", p.name),
                        "\"a handle this side did not create\""
                    ))
                );
            }
        }
    }
    // No implementation registered: the own arguments are dropped as for a refusal.
    body += &instance.replace(
        "    return PP_ERR_PANIC;\n",
        &format!("{}    return PP_ERR_PANIC;\n", indent(&drop)),
    );
    let args: Vec<String> =
        f.f.params
            .iter()
            .map(|p| cx.view_of_c(&p.ty, f.iface, &cx.ident(&p.name)))
            .collect();
    let call = format!("pp_s_->{}({})", f.member(cx), args.join(", "));
    let inner = match &f.f.result {
        Some(_) => format!(
            "if (!::pp::detail::lower({call}, pp_ret_)) {{\n    ::pp_zero(pp_ret_, sizeof *pp_ret_);\n    ::pp::detail::set_error(pp_err_, \"{}: out of memory\");\n    return PP_ERR_PANIC;\n}}\nreturn PP_OK;\n",
            f.display
        ),
        None => format!("{call};\nreturn PP_OK;\n"),
    };
    body += &format!(
        "return ::pp::detail::guard(\"{}\", pp_err_, [&]() -> ::pp_status {{\n{}}});\n",
        f.display,
        indent(&inner)
    );
    Method::new("::pp_status", format!("pp_slot_{}", f.slot))
        .params(params)
        .static_()
        .body(body)
}

/// The pure virtual function a server implements for `f`.
pub(super) fn server_virtual(cx: &Ctx, f: &Fn) -> Method {
    let ret =
        f.f.result
            .as_ref()
            .map_or("void".into(), |r| cx.out(r, f.iface));
    let params =
        f.f.params
            .iter()
            .map(|p| (cx.arg_view(&p.ty, f.iface), cx.ident(&p.name)))
            .collect();
    let mut m = Method::new(ret, f.member(cx)).params(params);
    m.doc = Some(f.display.clone());
    m
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// Client (RAII) and server classes of every resource.
pub(super) fn resource_classes(cx: &Ctx) -> Vec<Class> {
    let mut out = Vec::new();
    for id in 0..cx.world.types.len() {
        if cx.world.ty(id).kind != TypeDefKind::Resource {
            continue;
        }
        let def = cx.world.ty(id);
        let name = cx.ident(def.name.as_deref().unwrap_or("resource"));
        let ns = match &def.interface {
            Some(i) => iface_ns(cx, i),
            None => cx.ns.clone(),
        };
        let handle = cx.names.type_id(id);
        let vtable = cx.names.vtable(id);
        let (iface, fns) = methods(cx, id);
        let version = version_of(cx, iface);

        // The client: move-only, drops the handle exactly once.
        let mut c = Class::new(&ns, &name, &handle);
        c.base = Some("::pp::detail::client_resource".into());
        c.doc = format!(
            "An owned handle of resource {}: move-only; the destructor drops it exactly once \
             (vtable->drop). Methods call the C header's checked callers.",
            def.name.as_deref().unwrap_or("")
        );
        c.public = vec![
            format!("using handle = ::{handle};"),
            "/* A borrowed handle (borrow<R> arguments): non-owning. */".into(),
            "class ref {".into(),
            "  public:".into(),
            format!("    ref(const {name} &r) noexcept : h_(r.c_handle()) {{}}"),
            "    explicit ref(handle h) noexcept : h_(h) {}".into(),
            "    handle c_handle() const noexcept { return h_; }".into(),
            "  private:".into(),
            "    handle h_;".into(),
            "};".into(),
            format!("{name}() noexcept : h_{{nullptr, nullptr}} {{}}"),
            "/* Adopts an owned handle. */".into(),
            format!("explicit {name}(handle h) noexcept : h_(h) {{}}"),
            format!("{name}({name} &&o) noexcept : h_(o.release()) {{}}"),
            format!("{name} &operator=({name} &&o) noexcept {{"),
            "    if (this != &o) {".into(),
            "        reset();".into(),
            "        h_ = o.release();".into(),
            "    }".into(),
            "    return *this;".into(),
            "}".into(),
            format!("{name}(const {name} &) = delete;"),
            format!("{name} &operator=(const {name} &) = delete;"),
            format!("~{name}() {{ reset(); }}"),
            "/* Drops the handle now (once; nothing when empty). */".into(),
            format!("void reset() noexcept {{ ::{handle}_release(&h_, nullptr); }}"),
            "/* Gives up ownership of the handle. */".into(),
            "handle release() noexcept {".into(),
            "    handle h = h_;".into(),
            "    h_ = handle{nullptr, nullptr};".into(),
            "    return h;".into(),
            "}".into(),
            "handle c_handle() const noexcept { return h_; }".into(),
            "explicit operator bool() const noexcept { return h_.self != nullptr; }".into(),
        ];
        c.private = vec!["handle h_;".into()];
        for f in &fns {
            c.methods.push(has_method(cx, f, "h_"));
            c.methods
                .push(client_call(cx, f, "h_", "h_.vtable->header.dealloc"));
        }
        out.push(c);

        // The server: what an implementation derives from.
        let sname = format!("{name}_server");
        let mut s = Class::new(&ns, &sname, &format!("{handle}_server"));
        s.base = Some("::pp::resource_server".into());
        s.doc = format!(
            "Implement resource {} by deriving from this class; objects are created by the \
             constructor / static functions of the interface's server and handed out as \
             std::unique_ptr. Calls may come from several threads at once.",
            def.name.as_deref().unwrap_or("")
        );
        s.public = vec![format!("~{sname}() override = default;")];
        for f in &fns {
            s.methods.push(server_virtual(cx, f));
        }
        let mut slots = vec![format!(
            "{{static_cast<uint32_t>(sizeof(::{vtable})), 0x{version:08x}u, &::pp::malloc_dealloc}}"
        )];
        slots.push(format!("&{ns}::{sname}::pp_drop"));
        for f in &fns {
            slots.push(format!("&{ns}::{sname}::pp_slot_{}", f.slot));
        }
        s.methods.push(
            Method::new(format!("const ::{vtable} *"), "pp_vtable")
                .static_()
                .body(format!(
                    "static const ::{vtable} pp_v_ = {{{}}};\nreturn &pp_v_;\n",
                    slots.join(", ")
                ))
                .doc("The C vtable of every handle made from this class."),
        );
        s.private_methods.push(
            Method::new("void", "pp_drop")
                .params(vec![("void *".into(), "self".into())])
                .static_()
                .body(format!("delete static_cast<{ns}::{sname} *>(self);\n")),
        );
        for f in &fns {
            s.private_methods.push(server_slot(
                cx,
                f,
                true,
                &format!("{ns}::{sname} *pp_s_ = static_cast<{ns}::{sname} *>(self);\n"),
            ));
        }
        out.push(s);
    }
    out
}

/// Client and server classes of every world interface.
pub(super) fn interface_classes(cx: &Ctx) -> Vec<Class> {
    let mut out = Vec::new();
    for (i, _) in cx.interfaces() {
        let ns = iface_ns(cx, &i.name);
        let table = cx.names.table(&i.name);
        let fns = table_fns(cx, i);
        let version = version_of(cx, Some(i));

        let mut c = Class::new(&ns, "client", &format!("{table}_client"));
        c.doc = format!(
            "Calls interface {} through a table (null: every call is PP_ERR_UNSUPPORTED).",
            i.name
        );
        let (mut public, private, methods) = resolved_client(cx, &table, "client", &fns);
        public.push("explicit operator bool() const noexcept { return t_ != nullptr; }".into());
        c.public = public;
        c.private = private;
        c.methods = methods;
        out.push(c);

        let mut s = Class::new(&ns, "server", &format!("{table}_server"));
        s.doc = format!(
            "Implement interface {} by deriving from this class (calls may come from several \
             threads at once). Exceptions become PP_ERR_PANIC with what().",
            i.name
        );
        s.public = vec!["virtual ~server() = default;".into()];
        for f in &fns {
            s.methods.push(server_virtual(cx, f));
        }
        let mut slots = vec![format!(
            "{{static_cast<uint32_t>(sizeof(::{table})), 0x{version:08x}u, &::pp::malloc_dealloc}}"
        )];
        for f in &fns {
            slots.push(format!("&{ns}::server::pp_slot_{}", f.slot));
        }
        s.methods.push(
            Method::new(format!("const ::{table} *"), "pp_table")
                .static_()
                .body(format!(
                    "static const ::{table} pp_t_ = {{{}}};\nreturn &pp_t_;\n",
                    slots.join(", ")
                ))
                .doc("The C table whose slots call the registered implementation."),
        );
        s.methods.push(
            Method::new(format!("::std::atomic<{ns}::server *> &"), "pp_instance")
                .static_()
                .body(format!(
                    "static ::std::atomic<{ns}::server *> pp_i_{{nullptr}};\nreturn pp_i_;\n"
                ))
                .doc("The implementation the table's slots call (set by load / the export macro)."),
        );
        for f in &fns {
            s.private_methods.push(server_slot(
                cx,
                f,
                false,
                &format!(
                    "{ns}::server *pp_s_ = {ns}::server::pp_instance().load();\nif (pp_s_ == nullptr) {{\n    ::pp::detail::set_error(pp_err_, \"{}: no implementation registered\");\n    return PP_ERR_PANIC;\n}}\n",
                    f.display
                ),
            ));
        }
        out.push(s);
    }
    out
}
