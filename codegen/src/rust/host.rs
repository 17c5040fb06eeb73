//! Host-only glue: the world struct that loads a plugin (`docs/abi.md` §8) and reaches
//! its exports, and `ImportsImpl`, the bound on the host's implementation of the imports.
//!
//! ```text
//! include!(concat!(env!("OUT_DIR"), "/greeter.rs"));
//! struct MyHost;
//! impl imports::logger::Host for MyHost { fn log(level: Level, message: &str) { … } }
//! let plugin = Greeter::load::<MyHost>("libgreeter_en.so")?;   // `load(path)` without imports
//! let hello: String = plugin.greet().greet("x")?;
//! plugin.reload()?;                  // the file was replaced: new calls reach the new code
//! ```

use plugport::ir::WorldItem;

use super::call::Reach;
use super::idents::{camel, ffi_field, rs_ident};
use super::{Dir, Gen, Out};
use crate::names::c_ident;

/// Inherent methods of the world struct that accessors must not shadow.
const RESERVED: &[&str] = &[
    "load",
    "reload",
    "from_raw_exports",
    "imports_table",
    "plugin",
    "descriptor",
    "exports_table",
    "live_objects",
];

impl Gen<'_> {
    /// The world struct's method name for an export item.
    fn accessor(name: &str) -> String {
        let n = rs_ident(name);
        if RESERVED.contains(&n.as_str()) {
            format!("{n}_")
        } else {
            n
        }
    }

    pub(crate) fn host_root(&self, o: &mut Out) {
        let depth = 0;
        let world = camel(&self.w.name);
        let exports = self.ffi_path(&self.c.exports(), depth);
        let imports = self.ffi_path(&self.c.imports(), depth);
        let has_imports = !self.w.imports.is_empty();
        o.line(&format!(
            "/// What a host implements to load a `{}` plugin: every import interface's `Host`",
            self.w.name
        ));
        o.line("/// trait (and `imports::Host` for bare import functions).");
        o.line("pub use imports::Implementation as ImportsImpl;");
        o.line("");
        o.line(&format!(
            "/// A loaded plugin of world `{}` of `{}` (or a statically linked one, see",
            self.w.name, self.w.package
        ));
        o.line("/// [`Self::from_raw_exports`]). Interfaces are reached through accessor methods, bare");
        o.line("/// functions are methods. Cloning is cheap; the plugin stays loaded while a clone, an");
        o.line("/// interface wrapper or a resource object from it lives.");
        o.line("#[derive(Clone)]");
        o.line("#[allow(dead_code, clippy::all)]");
        o.open(&format!("pub struct {world}"));
        o.line(&format!("exports: *const {exports},"));
        o.line("keep: __Keep,");
        o.line("/// The exports' slots, resolved from `exports` once, when it is set.");
        o.line("slots: __ExportSlots,");
        o.line("raw_descriptor: ::std::sync::OnceLock<::plugport::descriptor::Descriptor>,");
        o.close();
        o.line("// SAFETY: plugins are thread-safe (`docs/abi.md` §5 \"Threads\"); the exports table is");
        o.line("// immutable.");
        o.line(&format!(
            "unsafe impl ::core::marker::Send for {world} {{}}"
        ));
        o.line("// SAFETY: as above.");
        o.line(&format!(
            "unsafe impl ::core::marker::Sync for {world} {{}}"
        ));
        o.line(Self::ALLOWS);
        o.open(&format!("impl {world}"));
        // load
        o.line(
            "/// Loads the plugin at `path`: reads and checks its descriptor against this world",
        );
        o.line("/// (no plugin code runs before that), then opens it and calls its entry with the");
        if has_imports {
            o.line("/// imports implemented by `H` (`docs/abi.md` §8).");
        } else {
            o.line("/// (empty) imports table (`docs/abi.md` §8).");
        }
        o.line("///");
        o.line("/// Errors: every [`LoadError`](::plugport::error::LoadError) of the loader.");
        let (generics, impl_ty) = if has_imports {
            ("<H: ImportsImpl>", "H")
        } else {
            ("", "()")
        };
        o.open(&format!(
            "pub fn load{generics}(path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<Self, ::plugport::error::LoadError>"
        ));
        // The default open (`plugport::loader::open` is `open_with_options` with the
        // default options).
        let turbo = if has_imports { "::<H>" } else { "" };
        o.line(&format!(
            "Self::load_with_options{turbo}(path, ::plugport::isolation::Options::default())"
        ));
        o.close();
        // load with options
        o.line("/// [`Self::load`] with the options of an open (`docs/isolation.md`): where the plugin");
        o.line("/// runs (`Mode::Process`: in a child process, behind the same API), the per-call");
        o.line(
            "/// deadline, restart limit, drain and idle times, the child's limits, the SHA-256",
        );
        o.line("/// allowlist of plugin files. The `PLUGPORT_*` variables override them.");
        o.line("///");
        o.line("/// Errors: every [`LoadError`](::plugport::error::LoadError) of the loader.");
        o.open(&format!(
            "pub fn load_with_options{generics}(path: impl ::core::convert::AsRef<::std::path::Path>, options: ::plugport::isolation::Options) -> ::core::result::Result<Self, ::plugport::error::LoadError>"
        ));
        o.line(&format!(
            "let imports: &'static {imports} = &imports::__World::<{impl_ty}>::TABLE;"
        ));
        o.line("let plugin = ::plugport::loader::open_with_options(path.as_ref(), WORLD_JSON, imports as *const _ as *const ::core::ffi::c_void, options)?;");
        o.line(&format!(
            "let exports = plugin.exports() as *const {exports};"
        ));
        o.line("// SAFETY: the loader checked the table (non-null, aligned, header); it lives with `plugin`.");
        o.line("let slots = unsafe { __ExportSlots::resolve(exports) };");
        o.line("::core::result::Result::Ok(Self { exports, keep: ::core::option::Option::Some(plugin), slots, raw_descriptor: ::std::sync::OnceLock::new() })");
        o.close();
        // reload
        o.line(
            "/// Reloads the plugin in place (`docs/abi.md` §10): opens the file at the plugin's",
        );
        o.line(
            "/// path as it is on disk now, with the same imports, checks it like [`Self::load`],",
        );
        o.line("/// and on success makes this value use the new image: calls made through it from");
        o.line("/// now on reach the new code. Objects created before (resources, clones of this");
        o.line(
            "/// value) keep the old image loaded and keep working until they are dropped; then it",
        );
        o.line("/// is unloaded. Interface wrappers borrow `self`, so none can be alive here.");
        o.line("///");
        o.line("/// Errors: every [`LoadError`](::plugport::error::LoadError) of the loader; then");
        o.line("/// nothing changed and the old image keeps serving. For a value made by");
        o.line("/// [`Self::from_raw_exports`] there is no file: `LoadError::Io` with");
        o.line("/// `ErrorKind::Unsupported`.");
        o.open(
            "pub fn reload(&mut self) -> ::core::result::Result<(), ::plugport::error::LoadError>",
        );
        o.open("let plugin = match &self.keep");
        o.line("::core::option::Option::Some(p) => p.reopen()?,");
        o.open("::core::option::Option::None => return ::core::result::Result::Err(::plugport::error::LoadError::Io");
        o.line("path: ::std::path::PathBuf::new(),");
        o.line("source: ::std::io::Error::new(::std::io::ErrorKind::Unsupported, \"reload: this plugin was wrapped with from_raw_exports (statically linked), there is no file to reload\"),");
        o.close_with("}),");
        o.close_with("};");
        o.line(&format!(
            "self.exports = plugin.exports() as *const {exports};"
        ));
        o.line("// SAFETY: as in `load`.");
        o.line("self.slots = unsafe { __ExportSlots::resolve(self.exports) };");
        o.line("self.keep = ::core::option::Option::Some(plugin);");
        o.line("::core::result::Result::Ok(())");
        o.close();
        o.line("/// The imports table this host passes to a plugin's entry: static, one per");
        o.line("/// implementation (for calling the entry of a statically linked plugin).");
        o.open(&format!(
            "pub fn imports_table{generics}() -> &'static {imports}"
        ));
        o.line(&format!("&imports::__World::<{impl_ty}>::TABLE"));
        o.close();
        o.line("/// Wraps an exports table obtained without the loader, e.g. from the entry of a");
        o.line("/// statically linked plugin (called with [`Self::imports_table`]).");
        o.line("///");
        o.line("/// # Safety");
        o.line("/// `exports` must be a valid exports table of this world that stays valid (with");
        o.line(
            "/// everything it points to) for as long as the returned value and the objects made",
        );
        o.line("/// from it live.");
        o.open(&format!(
            "pub unsafe fn from_raw_exports(exports: *const {exports}) -> Self"
        ));
        o.line("assert!(!exports.is_null(), \"null exports table\");");
        o.line("// SAFETY: a valid exports table (contract).");
        o.line("let slots = unsafe { __ExportSlots::resolve(exports) };");
        o.line("Self { exports, keep: ::core::option::Option::None, slots, raw_descriptor: ::std::sync::OnceLock::new() }");
        o.close();
        o.line("/// The loaded plugin (`None` for [`Self::from_raw_exports`]).");
        o.open("pub fn plugin(&self) -> ::core::option::Option<&::std::sync::Arc<::plugport::loader::Plugin>>");
        o.line("self.keep.as_ref()");
        o.close();
        o.line("/// How many resource objects the plugin's current image has created and not yet");
        o.line("/// dropped ([`Plugin::live_objects`](::plugport::loader::Plugin::live_objects));");
        o.line("/// `None` when the plugin does not report it or for [`Self::from_raw_exports`].");
        o.open("pub fn live_objects(&self) -> ::core::option::Option<usize>");
        o.line("self.keep.as_ref().and_then(|p| p.live_objects())");
        o.close();
        o.line("/// The plugin's descriptor: its name, version and world. For");
        o.line("/// [`Self::from_raw_exports`] the name and version are empty and the world is this one.");
        o.open("pub fn descriptor(&self) -> &::plugport::descriptor::Descriptor");
        o.open("match &self.keep");
        o.line("::core::option::Option::Some(p) => p.descriptor(),");
        o.open("::core::option::Option::None => self.raw_descriptor.get_or_init(|| ");
        o.line("let (fingerprint, world) = ::plugport::descriptor::parse_world_json(WORLD_JSON).expect(\"generated WORLD_JSON parses\");");
        o.line("::plugport::descriptor::Descriptor { abi_version: ::plugport::abi::ABI_VERSION, plugin_name: ::std::string::String::new(), plugin_version: ::std::string::String::new(), fingerprint, world }");
        o.close_with("}),");
        o.close();
        o.close();
        o.line("/// The raw exports table.");
        o.open(&format!("pub fn exports_table(&self) -> *const {exports}"));
        o.line("self.exports");
        o.close();
        let reach = Reach {
            table: format!("// SAFETY: non-null, checked at construction.\nlet t: &{exports} = unsafe {{ &*self.exports }};"),
            keep: "&self.keep".into(),
            receiver: "&self, ",
            slots: Some("self.slots".into()),
        };
        for item in &self.w.exports {
            match item {
                WorldItem::Interface(i) => {
                    let field = ffi_field(&c_ident(&i.name));
                    let m = rs_ident(&i.name);
                    let client = self.client_name(i);
                    o.line(&format!(
                        "/// Interface `{}` of the plugin (calls fail with `Unsupported` when the plugin",
                        i.name
                    ));
                    o.line("/// does not provide it).");
                    o.open(&format!(
                        "pub fn {}(&self) -> exports::{m}::{client}<'_>",
                        Self::accessor(&i.name)
                    ));
                    o.line(
                        "// Its slots were resolved when the plugin was loaded (`__ExportSlots`).",
                    );
                    o.line(&format!(
                        "exports::{m}::{client}::__new(&self.slots.{field}, &self.keep)"
                    ));
                    o.close();
                }
                WorldItem::Function(f) => {
                    let cx = self.fn_ctx(f, None, Dir::Exports);
                    let name = Self::accessor(&f.name);
                    self.caller_fn(o, &cx, &name, &reach, depth);
                }
            }
        }
        o.close();
        // The exports' resolved slots: bare functions and one `__Slots` per interface.
        let mut fns = Vec::new();
        let mut subs = Vec::new();
        for item in &self.w.exports {
            match item {
                WorldItem::Interface(i) => subs.push((
                    ffi_field(&c_ident(&i.name)),
                    format!("exports::{}::__Slots", rs_ident(&i.name)),
                )),
                WorldItem::Function(f) => {
                    fns.push((self.fn_ctx(f, None, Dir::Exports).slot, f));
                }
            }
        }
        self.slots_struct(o, "__ExportSlots", &exports, &fns, &subs, depth);
    }
}
