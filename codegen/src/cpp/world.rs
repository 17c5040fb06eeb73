//! The world: what a host provides (`<w>_imports`: one server pointer per imported
//! interface), what a plugin provides (`<w>_exports`), the bare world functions (servers
//! `<w>_exports_server` / `<w>_imports_server`), the clients of the world tables
//! (`<w>_exports_client` for hosts, `<w>_imports_client` for plugins), the host class
//! `<w>` with `load` (when `plugport.h` was included first) and the plugin export macro
//! `<PREFIX>_<W>_CPP_EXPORT(NAME, VERSION, MAKE)`.

use plugport::ir::{snake, Function, WorldItem};

use super::classes::{Class, Method};
use super::iface::{resolved_client, server_slot, server_virtual, Fn};
use super::Ctx;
use crate::names::c_ident;

/// The host class's name: the world's, or `<w>_world` when an interface has that name.
pub(super) fn host_class(cx: &Ctx) -> String {
    let w = c_ident(&cx.world.name);
    if cx.interfaces().iter().any(|(i, _)| c_ident(&i.name) == w) {
        format!("{w}_world")
    } else {
        w
    }
}

/// `<PREFIX>_<W>_CPP_EXPORT`.
pub(super) fn export_macro(cx: &Ctx) -> String {
    format!(
        "{}_{}_CPP_EXPORT",
        cx.names.prefix.to_ascii_uppercase(),
        snake(&cx.world.name).to_ascii_uppercase()
    )
}

fn w(cx: &Ctx) -> String {
    c_ident(&cx.world.name)
}

/// The bare functions of the exports (`true`) or imports table.
fn bare<'w>(cx: &Ctx<'w>, exports: bool) -> Vec<Fn<'w>> {
    let items = if exports {
        &cx.world.exports
    } else {
        &cx.world.imports
    };
    let base = if exports {
        cx.names.exports()
    } else {
        cx.names.imports()
    };
    let pkg = format!("{}:{}", cx.world.package.namespace, cx.world.package.name);
    items
        .iter()
        .filter_map(|i| match i {
            WorldItem::Function(f) => Some(f),
            _ => None,
        })
        .map(|f: &Function| Fn {
            f,
            // The direction of the world table, for which resources are same side.
            iface: Some(if exports {
                super::WORLD_EXPORTS
            } else {
                super::WORLD_IMPORTS
            }),
            slot: cx.names.slot(&f.name, f.kind),
            base: base.clone(),
            display: format!("{pkg}/{}.{}", cx.world.name, f.name),
        })
        .collect()
}

fn ifaces(cx: &Ctx, exports: bool) -> Vec<String> {
    cx.interfaces()
        .into_iter()
        .filter(|(_, e)| *e == exports)
        .map(|(i, _)| i.name.clone())
        .collect()
}

pub(super) fn classes(cx: &Ctx) -> Vec<Class> {
    let mut out = Vec::new();
    let w = w(cx);
    for exports in [true, false] {
        let side = if exports { "exports" } else { "imports" };
        let table = if exports {
            cx.names.exports()
        } else {
            cx.names.imports()
        };
        let fns = bare(cx, exports);
        let names = ifaces(cx, exports);

        // The implementations one side provides.
        let mut st = Class::new(&cx.ns, &format!("{w}_{side}"), &format!("{table}_impls"));
        st.doc = format!(
            "The implementations of the world's {side} ({}): one pointer per interface (null: \
             not provided, callers get PP_ERR_UNSUPPORTED){}. They must outlive the plugin.",
            if exports {
                "the plugin's"
            } else {
                "the host's"
            },
            if fns.is_empty() {
                ""
            } else {
                ", and `functions` for the bare functions"
            }
        );
        for n in &names {
            st.public.push(format!(
                "::{}::{}::server *{} = nullptr;",
                cx.ns,
                c_ident(n),
                c_ident(n)
            ));
        }
        if !fns.is_empty() {
            st.public
                .push(format!("{w}_{side}_server *functions = nullptr;"));
        }
        out.push(st);

        // Bare functions: a server class with the slots.
        if !fns.is_empty() {
            let sname = format!("{w}_{side}_server");
            let mut s = Class::new(&cx.ns, &sname, &format!("{table}_server"));
            s.doc =
                format!("Implement the world's bare {side} functions by deriving from this class.");
            s.public = vec![format!("virtual ~{sname}() = default;")];
            for f in &fns {
                s.methods.push(server_virtual(cx, f));
            }
            s.methods.push(
                Method::new(
                    format!("::std::atomic<{}::{sname} *> &", cx.ns),
                    "pp_instance",
                )
                .static_()
                .body(format!(
                    "static ::std::atomic<{ns}::{sname} *> pp_i_{{nullptr}};\nreturn pp_i_;\n",
                    ns = cx.ns
                )),
            );
            for f in &fns {
                s.methods.push(server_slot(
                    cx,
                    f,
                    false,
                    &format!(
                        "{ns}::{sname} *pp_s_ = {ns}::{sname}::pp_instance().load();\nif (pp_s_ == nullptr) {{\n    ::pp::detail::set_error(pp_err_, \"{}: no implementation registered\");\n    return PP_ERR_PANIC;\n}}\n",
                        f.display,
                        ns = cx.ns
                    ),
                ));
            }
            out.push(s);
        }

        // The client of the world table: hosts read exports, plugins call imports.
        let cname = format!("{w}_{side}_client");
        let mut c = Class::new(&cx.ns, &cname, &format!("{table}_client"));
        c.doc = format!(
            "The {side} table as {} sees it: its interfaces' clients and bare functions.",
            if exports { "a host" } else { "a plugin" }
        );
        let (public, private, methods) = resolved_client(cx, &table, &cname, &fns);
        c.public = public;
        c.private = private;
        for n in &names {
            let i = c_ident(n);
            c.methods.push(
                Method::new(format!("{}::{i}::client", cx.ns), i.clone())
                    .qual("const noexcept")
                    .body(format!(
                        "return {}::{i}::client(::{table}_get_{}(t_));\n",
                        cx.ns,
                        snake(n)
                    )),
            );
        }
        c.methods.extend(methods);
        out.push(c);
    }
    out
}

/// The statements that fill the C world table `var` from the implementations `impls`
/// and register them.
fn fill_table(cx: &Ctx, exports: bool, var: &str, impls: &str) -> String {
    let w = w(cx);
    let side = if exports { "exports" } else { "imports" };
    let table = if exports {
        cx.names.exports()
    } else {
        cx.names.imports()
    };
    let mut s = format!(
        "{var}.header.size = static_cast<uint32_t>(sizeof(::{table}));\n{var}.header.version = 0x{:08x}u;\n{var}.header.dealloc = &::pp::malloc_dealloc;\n",
        cx.world.package.table_version()
    );
    for n in ifaces(cx, exports) {
        let i = c_ident(&n);
        s += &format!(
            "{ns}::{i}::server::pp_instance().store({impls}.{i});\n{var}.{i} = {impls}.{i} != nullptr ? {ns}::{i}::server::pp_table() : nullptr;\n",
            ns = cx.ns
        );
    }
    let fns = bare(cx, exports);
    if !fns.is_empty() {
        s += &format!(
            "{ns}::{w}_{side}_server::pp_instance().store({impls}.functions);\n",
            ns = cx.ns
        );
        for f in &fns {
            s += &format!(
                "{var}.{slot} = {impls}.functions != nullptr ? &{ns}::{w}_{side}_server::pp_slot_{slot} : nullptr;\n",
                slot = f.slot,
                ns = cx.ns
            );
        }
    }
    s
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// The host class (only with the runtime's C API, `plugport.h`, included first) and the
/// plugin's initialisation.
pub(super) fn host_load(cx: &Ctx) -> String {
    let w = w(cx);
    let hc = host_class(cx);
    let ns = &cx.ns;
    let imports = cx.names.imports();
    let exports = cx.names.exports();
    let prefix_w = format!("{}_{}", cx.names.prefix, snake(&cx.world.name));
    let mut getters = String::new();
    for n in ifaces(cx, true) {
        let i = c_ident(&n);
        getters += &format!(
            "    /* The client of exported interface {n} (of the current image). */\n    {ns}::{i}::client {i}() const noexcept {{ return exports().{i}(); }}\n"
        );
    }
    let fill = fill_table(cx, false, "pp_t_", "imports");
    let init_fill = fill_table(cx, true, "pp_t_", "pp_impls_");
    format!(
        "#ifdef PLUGPORT_RUNTIME_H
#ifndef PLUGPORT_CPP_HOST_{prefix_w}
#define PLUGPORT_CPP_HOST_{prefix_w}
namespace {ns} {{
/* A loaded plugin of world {world} (RAII: closing it unloads the image; release every
 * result and resource from it first). */
class {hc} {{
  public:
    /* Loads and checks the plugin at `path` (plugport_open, docs/abi.md section 8) with
     * the host's implementations of the imports; they serve every plugin of this world in
     * the process (the C tables have no context pointer) and must outlive it. */
    static ::pp::result<{hc}, ::pp::load_error> load(const char *path, const {w}_imports &imports) {{
        return pp_load_(path, imports, nullptr);
    }}
    /* load() with the options of plugport_open_ex (docs/isolation.md): where the plugin
     * runs (PLUGPORT_ISOLATION_PROCESS: in a child process, behind the same API), the
     * per-call deadline, restart limit, drain and idle times, the child's limits, the
     * SHA-256 allowlist. Set `options.size = sizeof options`. The PLUGPORT_* variables
     * override them. */
    static ::pp::result<{hc}, ::pp::load_error> load(const char *path, const {w}_imports &imports,
                                                   const ::plugport_open_options &options) {{
        return pp_load_(path, imports, &options);
    }}
    /* The exports of the current image (after reload(), of the new one). */
    {w}_exports_client exports() const noexcept {{
        return {w}_exports_client(::{prefix_w}_exports_of(p_.c_plugin()));
    }}
{getters}    /* Loads the file now at the plugin's path; on failure the old image keeps serving. */
    ::pp::result<void, ::pp::load_error> reload() {{ return p_.reload(); }}
    ::pp::plugin &plugin() noexcept {{ return p_; }}
    const ::pp::plugin &plugin() const noexcept {{ return p_; }}

  private:
    static ::pp::result<{hc}, ::pp::load_error> pp_load_(const char *path, const {w}_imports &imports,
                                                        const ::plugport_open_options *options) {{
        static ::{imports} pp_t_;
        (void)imports;
{fill_ind}        ::plugport_plugin *pp_p_ = nullptr;
        int32_t pp_code_ = ::{prefix_w}_open_ex(path, &pp_t_, options, &pp_p_);
        if (pp_code_ != PLUGPORT_OK) {{
            return ::pp::unexpected<::pp::load_error>(::pp::plugin::last_error(pp_code_));
        }}
        return {hc}(::pp::plugin(pp_p_));
    }}
    explicit {hc}(::pp::plugin p) noexcept : p_(std::move(p)) {{}}
    ::pp::plugin p_;
}};
}} // namespace
#endif
#endif /* PLUGPORT_RUNTIME_H */

#ifndef PLUGPORT_CPP_INIT_{prefix_w}
#define PLUGPORT_CPP_INIT_{prefix_w}
namespace {ns} {{
namespace detail_{w} {{
/* The plugin entry's work (see the export macro): MAKE(imports) gives the implementations;
 * an exception from it, or a null result, refuses initialisation with PP_ERR_INIT. */
template <class Make>
::pp_status init(const ::{imports} *imports, const ::{exports} **exports, ::pp_string *err, Make &&make) noexcept {{
    static char pp_msg_[512];
    static ::{exports} pp_t_;
    {w}_imports_client pp_client_(imports);
    {w}_exports pp_impls_;
    ::pp_string pp_e_{{nullptr, 0}};
    ::pp_status pp_st_ = ::pp::detail::guard(\"plugin initialisation\", &pp_e_, [&]() -> ::pp_status {{
        pp_impls_ = make(static_cast<const {w}_imports_client &>(pp_client_));
        return PP_OK;
    }});
    if (pp_st_ != PP_OK) {{
        size_t n = pp_e_.len < sizeof pp_msg_ ? pp_e_.len : sizeof pp_msg_;
        if (n > 0) {{
            ::std::memcpy(pp_msg_, pp_e_.ptr, n);
        }}
        ::pp_string_release(&pp_e_, &::pp::malloc_dealloc);
        err->ptr = pp_msg_;
        err->len = n;
        return PP_ERR_INIT;
    }}
{init_ind}    *exports = &pp_t_;
    return PP_OK;
}}
}} // namespace detail_{w}
}} // namespace
#endif

",
        world = cx.world.name,
        fill_ind = indent(&indent(&fill)),
        init_ind = indent(&init_fill),
    )
}

/// `<PREFIX>_<W>_CPP_EXPORT(NAME, VERSION, MAKE)`.
pub(super) fn export_macro_def(cx: &Ctx) -> String {
    let m = export_macro(cx);
    let up = format!(
        "{}_{}",
        cx.names.prefix.to_ascii_uppercase(),
        snake(&cx.world.name).to_ascii_uppercase()
    );
    let w = w(cx);
    format!(
        "/* {m}(NAME, VERSION, MAKE) makes a C++ plugin of world {world}: it emits the
 * descriptor, the entry and the live-objects function (the only symbols a plugin exports;
 * everything of the C++ layer has hidden visibility). NAME and VERSION are string
 * literals; MAKE is
 *   {ns}::{w}_exports MAKE(const {ns}::{w}_imports_client &imports);
 * returning pointers to the plugin's implementations (objects that live as long as the
 * image, e.g. static ones). Use it once, at file scope, without a trailing semicolon. */
#define {m}(NAME, VERSION, MAKE)                                                        \\
    static ::pp_status pp_cpp_init_(const ::{imports} *imports,                           \\
                                    const ::{exports} **exports, ::pp_string *err) {{     \\
        return ::{ns}::detail_{w}::init(imports, exports, err, MAKE);                     \\
    }}                                                                                    \\
    {up}_EXPORT(NAME, VERSION, pp_cpp_init_)                                             \\
    {up}_LIVE_OBJECTS(::pp::resource_server::live_objects)
",
        world = cx.world.name,
        ns = cx.ns,
        imports = cx.names.imports(),
        exports = cx.names.exports(),
    )
}
