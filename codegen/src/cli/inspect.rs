//! `plugport inspect`: what a plugin file implements, read from its descriptor without
//! loading it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use plugport::descriptor::{self, Descriptor};
use plugport::go::GoBuildInfo;
use plugport::ir::World;
use serde::{Deserialize, Serialize};

use super::render::{self, ItemView};

/// Arguments of `plugport inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The plugin file (a shared library: `.so`, `.dylib`, `.dll`).
    file: PathBuf,
    /// Print the report as JSON (one object; the full IR under `ir`). Errors too:
    /// `{"command": "inspect", "exit", "ok": false, "error"}`, with the same exit status.
    #[arg(long)]
    json: bool,
}

/// The report of `plugport inspect`, printed as text or (with `--json`) as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// The file as given on the command line.
    pub file: PathBuf,
    /// The plugin author's name for the build (`greeter-zh`).
    pub plugin_name: String,
    /// The plugin author's version of the build (not the interface version).
    pub plugin_version: String,
    /// `namespace:name@version` of the interface package.
    pub package: String,
    /// The interface version (`None` when the WIT package has none: `0.0.0`).
    pub package_version: Option<String>,
    /// The compatibility line: `v<major>`, or `v0_<minor>` for 0.x.
    pub compat_line: String,
    /// The C prefix of every generated name (`example_greeter_v1`).
    pub c_prefix: String,
    /// The world's WIT name.
    pub world: String,
    /// The plugport ABI version of the descriptor.
    pub abi_version: u32,
    /// SHA-256 of the canonical IR (what the loader compares first).
    pub fingerprint: String,
    /// The one symbol the loader requires.
    pub entry_symbol: String,
    /// The CPU architecture the file was built for, as the `object` crate names it.
    pub architecture: Option<String>,
    /// A language runtime the plugin carries that limits how it loads: set for a Go
    /// plugin (a Go `c-shared` library, recognised by its `.go.buildinfo` section), which
    /// cannot be unloaded and loads at most once per process, never into a Go host
    /// (`docs/abi.md` §10). `None` for plugins in C, C++ or Rust.
    #[serde(default)]
    pub runtime: Option<RuntimeView>,
    /// What the host provides to the plugin.
    pub imports: Vec<ItemView>,
    /// What the plugin provides to the host.
    pub exports: Vec<ItemView>,
    /// Named types no world item defines (world-level, or from used-only interfaces).
    pub other_types: Vec<String>,
    /// The full IR from the descriptor (deserialises into `plugport::ir::World`).
    pub ir: World,
}

/// The `runtime` of a [`Report`]: what the plugin's own language runtime means for loading.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeView {
    /// `go`.
    pub language: String,
    /// The toolchain release (`go1.26.8`); empty when the file does not record it.
    pub version: String,
    /// The build mode the file records (`c-shared`), if any.
    pub build_mode: Option<String>,
    /// Whether closing the plugin unloads it (false for Go).
    pub can_unload: bool,
    /// The one-line summary the text form prints (`Go go1.26.8 (c-shared; cannot be
    /// unloaded)`).
    pub summary: String,
}

impl RuntimeView {
    fn go(info: &GoBuildInfo) -> RuntimeView {
        RuntimeView {
            language: "go".into(),
            version: info.go_version.clone(),
            build_mode: info.build_mode.clone(),
            can_unload: false,
            summary: info.describe(),
        }
    }
}

impl Report {
    /// The report of a descriptor read from `file` (built for `architecture`; `go` when
    /// the file is a Go plugin).
    pub fn new(
        file: &Path,
        d: &Descriptor,
        architecture: Option<String>,
        go: Option<&GoBuildInfo>,
    ) -> Report {
        let w = &d.world;
        Report {
            file: file.to_path_buf(),
            plugin_name: d.plugin_name.clone(),
            plugin_version: d.plugin_version.clone(),
            package: w.package.to_string(),
            package_version: w.package.version.clone(),
            compat_line: w.package.compat_line(),
            c_prefix: w.package.c_prefix(),
            world: w.name.clone(),
            abi_version: d.abi_version,
            fingerprint: d.fingerprint.clone(),
            entry_symbol: w.entry_symbol(),
            architecture,
            runtime: go.map(RuntimeView::go),
            imports: render::items(w, &w.imports),
            exports: render::items(w, &w.exports),
            other_types: render::other_types(w),
            ir: w.clone(),
        }
    }

    /// The text form.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let mut field = |k: &str, v: &str| s.push_str(&format!("{k:<14}{v}\n"));
        field("file:", &self.file.display().to_string());
        field(
            "plugin:",
            &format!("{} {}", self.plugin_name, self.plugin_version),
        );
        field(
            "package:",
            &format!(
                "{} (compatibility line {}, C prefix {})",
                self.package,
                plugport_codegen::baseline::line_name(&self.ir.package),
                self.c_prefix
            ),
        );
        field("world:", &self.world);
        field("abi version:", &self.abi_version.to_string());
        field("fingerprint:", &self.fingerprint);
        field("entry:", &self.entry_symbol);
        if let Some(a) = &self.architecture {
            field("architecture:", a);
        }
        if let Some(r) = &self.runtime {
            field("runtime:", &r.summary);
        }
        s.push_str("\nimports (provided by the host):\n");
        render::write_items(&mut s, &self.imports);
        s.push_str("\nexports (provided by the plugin):\n");
        render::write_items(&mut s, &self.exports);
        if !self.other_types.is_empty() {
            s.push_str("\nother types:\n");
            for t in &self.other_types {
                s.push_str(&format!("  {t}\n"));
            }
        }
        s
    }
}

/// Reads a plugin's descriptor without loading the plugin, with the file's architecture.
pub fn read(file: &Path) -> Result<(Descriptor, Option<String>), plugport::LoadError> {
    read_with_runtime(file).map(|(d, arch, _)| (d, arch))
}

/// What [`read_with_runtime`] returns: the descriptor, the file's architecture and, for a
/// Go plugin, its Go build information.
pub type Read = (Descriptor, Option<String>, Option<GoBuildInfo>);

/// [`read`], plus the Go build information of a Go plugin (`.go.buildinfo`). Reads only
/// the headers and sections it needs, after the loader's file-type and size checks
/// ([`descriptor::read_plugin_info`]).
pub fn read_with_runtime(file: &Path) -> Result<Read, plugport::LoadError> {
    let info = descriptor::read_plugin_info(file)?;
    Ok((
        info.descriptor,
        info.architecture.map(|a| format!("{a:?}")),
        info.go,
    ))
}

/// A loader error with the section of `docs/errors.md` that explains it.
pub fn explained(e: &plugport::LoadError) -> String {
    format!(
        "{e}\n(cause and fix: docs/errors.md, section {})",
        e.docs_section()
    )
}

/// Prints the report; exit 1 when the file is not a plugport plugin, 2 when it cannot be
/// read.
pub fn run(args: &InspectArgs) -> ExitCode {
    let (d, arch, go) = match read_with_runtime(&args.file) {
        Ok(x) => x,
        Err(e @ plugport::LoadError::Io { .. }) => {
            return crate::fail_as(args.json, "inspect", crate::EXIT_USAGE, explained(&e))
        }
        Err(e) => return crate::fail_as(args.json, "inspect", crate::EXIT_NO, explained(&e)),
    };
    let report = Report::new(&args.file, &d, arch, go.as_ref());
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => crate::emit(&format!("{json}\n")),
            Err(e) => return crate::fail(crate::EXIT_USAGE, e),
        }
    } else {
        crate::emit(&report.text());
    }
    ExitCode::SUCCESS
}
