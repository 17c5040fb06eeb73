//! Guest-only glue: the plugin entry (`docs/abi.md` §7) and the `export_<world>!` macro
//! that emits the entry symbol, the descriptor blob and the optional live-objects
//! function (§7, §10) for the plugin's type.
//!
//! ```text
//! include!(concat!(env!("OUT_DIR"), "/greeter.rs"));
//! struct MyPlugin;
//! impl exports::greet::Guest for MyPlugin { … }
//! export_greeter!(MyPlugin, name: "greeter-en", version: "1.0.0");
//! ```
//!
//! When the bindings are included in a module rather than at the crate root, pass its
//! path: `export_greeter!(MyPlugin, name: "…", version: "…", bindings: crate::bindings);`
//! (and invoke the macro as `bindings::export_greeter!` or after the module).

use plugport::ir::snake;

use super::{Gen, Out};

impl Gen<'_> {
    /// `exports::__entry::<P>`: checks the ABI version and the imports table, stores the
    /// imports for the import callers, and returns the static exports table.
    pub(crate) fn guest_entry(&self, o: &mut Out) {
        let depth = 1;
        let imports = self.ffi_path(&self.c.imports(), depth);
        let exports = self.ffi_path(&self.c.exports(), depth);
        o.line("/// The body of the plugin's entry function (`docs/abi.md` §7), for implementation `P`.");
        o.line("///");
        o.line("/// # Safety");
        o.line(
            "/// `imports` must be null or a valid imports table that outlives the plugin (null is",
        );
        o.line("/// refused); `exports` and `err` must be null or valid for writes.");
        o.line("#[doc(hidden)]");
        o.open(&format!(
            "pub unsafe fn __entry<P: Implementation>(abi_version: u32, imports: *const {imports}, exports: *mut *const {exports}, err: *mut ::plugport::abi::PpString) -> ::plugport::abi::PpStatus"
        ));
        o.open("let fail = |m: &'static str| -> ::plugport::abi::PpStatus");
        o.open("if !err.is_null()");
        o.line("// SAFETY: `err` is valid for writes; the message is static (§7).");
        o.line(
            "unsafe { err.write(::plugport::abi::PpString { ptr: m.as_ptr(), len: m.len() }) };",
        );
        o.close();
        o.line("::plugport::abi::PP_ERR_INIT");
        o.line("};");
        o.open("if abi_version != ::plugport::abi::ABI_VERSION");
        o.line(&format!(
            "return fail(\"{}: unsupported plugport ABI version (this plugin implements version 1)\");",
            self.w.name
        ));
        o.close();
        o.open("if exports.is_null()");
        o.line("return fail(\"null exports pointer\");");
        o.close();
        o.line("// Hosts always pass a table, an empty one for a world without imports (§7).");
        o.open("if imports.is_null()");
        o.line(&format!(
            "return fail(\"{}: the host passed no imports table (a host passes one even when the world has no imports)\");",
            self.w.name
        ));
        o.close();
        o.open("if (unsafe { (*imports).header.size } as usize) < ::core::mem::size_of::<::plugport::abi::PpTableHeader>()");
        o.line(&format!(
            "return fail(\"{}: the host's imports table is smaller than its header\");",
            self.w.name
        ));
        o.close();
        o.line("super::imports::__IMPORTS.store(imports as *mut _, ::core::sync::atomic::Ordering::Release);");
        o.line(&format!(
            "let table: &'static {exports} = &__World::<P>::TABLE;"
        ));
        o.line("// SAFETY: checked non-null; valid for writes by contract.");
        o.line("unsafe { exports.write(table) };");
        o.line("::plugport::abi::PP_OK");
        o.close();
    }

    /// The `export_<world>!` macro at the root.
    pub(crate) fn guest_root(&self, o: &mut Out) {
        let world = snake(&self.w.name);
        let mac = format!("export_{world}");
        let entry = self.c.entry();
        let descriptor = self.c.descriptor();
        o.line(&format!(
            "/// Exports a type that implements every export of world `{}` as this plugin:",
            self.w.name
        ));
        o.line(&format!(
            "/// `{mac}!(MyPlugin, name: \"my-plugin\", version: \"1.0.0\");` emits the entry symbol"
        ));
        let live = self.c.live_objects();
        o.line(&format!(
            "/// `{entry}`, the descriptor blob `{descriptor}` in section `.plugport`"
        ));
        o.line(&format!(
            "/// and the live-object count `{live}` (`docs/abi.md` §7)."
        ));
        o.line("/// Append `, bindings: path::to::module` when the bindings are");
        o.line("/// not included at the crate root.");
        o.line("#[allow(unused_macros)]");
        o.open(&format!("macro_rules! {mac}"));
        for (head, b) in [
            (
                "($ty:ty, name: $name:expr, version: $version:expr, bindings: $($p:ident)::+ $(,)?) => ",
                "$($p)::+",
            ),
            (
                "($ty:ty, name: $name:expr, version: $version:expr $(,)?) => ",
                "$crate",
            ),
        ] {
            o.open(head);
            self.macro_body(o, b);
            o.close_with("};");
        }
        o.close();
        o.line("#[allow(unused_imports)]");
        o.line(&format!("pub(crate) use {mac};"));
    }

    fn macro_body(&self, o: &mut Out, b: &str) {
        // With panic = "abort" the trampolines' panic guard cannot catch anything.
        o.line("#[cfg(panic = \"abort\")]");
        o.line("compile_error!(\"plugport: a plugin must be built with panic = \\\"unwind\\\": with panic = \\\"abort\\\" a panic would abort the host instead of becoming PP_ERR_PANIC (docs/abi.md §1 rule 4)\");");
        let entry = self.c.entry();
        let descriptor = self.c.descriptor();
        let imports = self.c.imports();
        let exports = self.c.exports();
        o.line("/// The plugin's entry (`docs/abi.md` §7).");
        o.line("///");
        o.line("/// # Safety");
        o.line("/// Called by the plugport loader with the arguments of §7.");
        o.line("#[unsafe(no_mangle)]");
        o.line("#[allow(clippy::missing_safety_doc)]");
        o.line("#[allow(unused_unsafe)]");
        o.line(&format!("pub unsafe extern \"C\" fn {entry}("));
        o.line("abi_version: u32,");
        o.line(&format!("imports: *const {b}::ffi::{imports},"));
        o.line(&format!("exports: *mut *const {b}::ffi::{exports},"));
        o.line("err: *mut ::plugport::abi::PpString,");
        o.close_open(") -> ::plugport::abi::PpStatus");
        o.line(&format!(
            "unsafe {{ {b}::exports::__entry::<$ty>(abi_version, imports, exports, err) }}"
        ));
        o.close();
        let live = self.c.live_objects();
        o.line("/// How many resource objects this plugin has created and not yet dropped (the");
        o.line("/// optional symbol of `docs/abi.md` §7, §10; `plugport::rt::live_objects`).");
        o.line("#[unsafe(no_mangle)]");
        o.open(&format!("pub extern \"C\" fn {live}() -> usize"));
        o.line("::plugport::rt::live_objects()");
        o.close();
        o.line("/// The plugin's descriptor blob (`docs/abi.md` §7).");
        o.line("#[unsafe(no_mangle)]");
        o.line("#[used]");
        o.line("#[cfg_attr(not(target_os = \"macos\"), unsafe(link_section = \".plugport\"))]");
        o.line("#[cfg_attr(target_os = \"macos\", unsafe(link_section = \"__DATA,__plugport\"))]");
        o.line("#[allow(non_upper_case_globals)]");
        o.line(&format!(
            "pub static {descriptor}: ::plugport::rt::DescriptorBlob<{{ ::plugport::rt::descriptor_len($name, $version, {b}::WORLD_JSON) }}> ="
        ));
        o.line(&format!(
            "::plugport::rt::descriptor_blob($name, $version, {b}::WORLD_JSON);"
        ));
        let fini = format!("{}_fini", self.c.entry());
        o.line(
            "/// Unload destructor: frees the plugin's vtables when `dlclose` unmaps it, unless",
        );
        o.line("/// one of its resource objects is still alive (then, and at process exit with");
        o.line("/// objects alive, they are leaked: `plugport::rt::release_type_statics`).");
        o.line("#[used]");
        o.line(
            "#[cfg_attr(all(unix, not(target_vendor = \"apple\")), unsafe(link_section = \".fini_array\"))]",
        );
        o.line("#[cfg_attr(target_vendor = \"apple\", unsafe(link_section = \"__DATA,__mod_term_func\"))]");
        o.line("#[allow(non_upper_case_globals)]");
        o.open(&format!("static {fini}: extern \"C\" fn() ="));
        o.open("extern \"C\" fn fini()");
        o.line("// SAFETY: runs while the library is unloaded or the process exits; nothing is");
        o.line("// freed while an object of the plugin is alive.");
        o.line("unsafe { ::plugport::rt::release_type_statics() };");
        o.close();
        o.line("fini");
        o.close_with("};");
    }
}
