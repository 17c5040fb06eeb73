//! `plugport check`: can a host generated from a WIT world load a plugin file? The
//! loader's checks before `dlopen` (`docs/abi.md` §8), on the descriptor alone.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use plugport::compat::{self, Compat, Side};
use plugport::descriptor;
use plugport::ir::World;
use plugport::LoadError;
use plugport_codegen::baseline::{self, line_name};
use plugport_codegen::frontend::Places;

/// Arguments of `plugport check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The plugin file (a shared library: `.so`, `.dylib`, `.dll`).
    file: PathBuf,
    /// The WIT the host is generated from: a `.wit` file or a package directory.
    #[arg(long, value_name = "PATH")]
    wit: PathBuf,
    /// The host's world, by its WIT name. Required when the package defines several
    /// worlds.
    #[arg(long, short = 'w', value_name = "NAME")]
    world: Option<String>,
    /// Print one JSON object on stdout instead of text: `command`, `exit`, `ok`,
    /// `compatible`, `plugin` (`file`, `name`, `version`, `package`, `world`,
    /// `fingerprint`; absent when the file is not a plugin), `host` (`wit`, `package`,
    /// `world`, `fingerprint`), and `lines` (the text output: the verdict, notes and
    /// differences); on errors `error` (and `diagnostics`, file/line/column of each WIT
    /// problem). Same exit status.
    #[arg(long)]
    json: bool,
}

/// Exit 0 when loadable, 1 when not, 2 when the WIT or the file cannot be read.
pub fn run(args: &CheckArgs) -> ExitCode {
    let (host, places) = match crate::load(&args.wit, args.world.as_deref()) {
        Ok(l) => (l.world, l.places),
        Err(e) => return crate::fail_with(args.json, "check", e.with_code(crate::EXIT_USAGE)),
    };
    let host_json = serde_json::json!({
        "wit": args.wit.display().to_string(),
        "package": host.package.to_string(),
        "world": host.name,
        "fingerprint": host.fingerprint(),
    });
    let (d, arch) = match super::inspect::read(&args.file) {
        Ok(x) => x,
        Err(e @ LoadError::Io { .. }) => {
            return crate::fail_as(
                args.json,
                "check",
                crate::EXIT_USAGE,
                super::inspect::explained(&e),
            )
        }
        Err(e) => {
            let text = format!(
                "incompatible: the file cannot be loaded as a plugin:\n  - {e}\n(cause and fix: \
                 docs/errors.md, section {})\n",
                e.docs_section()
            );
            let fields = serde_json::json!({
                "compatible": false,
                "host": host_json,
                "error": e.to_string(),
            });
            return crate::finish(args.json, "check", crate::EXIT_NO, &text, fields);
        }
    };
    let plugin = &d.world;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plugin: {} ({} {}): {} world {}",
        args.file.display(),
        d.plugin_name,
        d.plugin_version,
        plugin.package,
        plugin.name
    );
    let _ = writeln!(
        out,
        "host:   {}: {} world {}",
        args.wit.display(),
        host.package,
        host.name
    );
    let fingerprint = host.fingerprint();
    let code = match plugport::loader::check_descriptor(&args.file, &d, &host, &fingerprint) {
        Ok(c) => {
            compatible(&mut out, &c, d.fingerprint == fingerprint, &host, plugin);
            0
        }
        Err(e) => {
            let all = compat::compare(&host, plugin);
            incompatible(&mut out, &e, &all, (&host, &places), plugin);
            1
        }
    };
    if let (Some(found), Some(this)) = (arch, descriptor::host_architecture()) {
        let this = format!("{this:?}");
        if found != this {
            let _ = writeln!(
                out,
                "warning: the file is built for {found}: a host process on this machine \
                 ({this}) cannot load it"
            );
        }
    }
    let fields = serde_json::json!({
        "compatible": code == 0,
        "plugin": {
            "file": args.file.display().to_string(),
            "name": d.plugin_name,
            "version": d.plugin_version,
            "package": plugin.package.to_string(),
            "world": plugin.name,
            "fingerprint": d.fingerprint,
        },
        "host": host_json,
    });
    crate::finish(args.json, "check", code, &out, fields)
}

fn compatible(out: &mut String, c: &Compat, same_fingerprint: bool, host: &World, plugin: &World) {
    if same_fingerprint {
        let _ = writeln!(
            out,
            "compatible: identical interface (fingerprint {})",
            host.fingerprint()
        );
        return;
    }
    if c.is_identical() {
        let _ = writeln!(
            out,
            "compatible: the same interface structure (host {}, plugin {})",
            host.package, plugin.package
        );
        return;
    }
    let _ = writeln!(
        out,
        "compatible: host {} and plugin {} differ only in appended items",
        host.package, plugin.package
    );
    for e in &c.only_expected {
        let _ = match e.side {
            Side::Exports => writeln!(
                out,
                "note: the plugin lacks export {} ({}), added in a later minor version: the \
                 host's calls to it report unsupported (PP_ERR_UNSUPPORTED)",
                e.item, e.what
            ),
            Side::Imports => writeln!(
                out,
                "note: the host provides import {} ({}), which the plugin does not know and \
                 never calls",
                e.item, e.what
            ),
        };
    }
    for e in &c.only_found {
        let _ = match e.side {
            Side::Exports => writeln!(
                out,
                "note: the plugin has an extra export {} ({}), which the host ignores",
                e.item, e.what
            ),
            Side::Imports => writeln!(
                out,
                "note: the plugin expects import {} ({}), which the host lacks: the plugin's \
                 calls to it report unsupported (PP_ERR_UNSUPPORTED), or it refuses to \
                 initialise if it cannot do without it",
                e.item, e.what
            ),
        };
    }
}

/// Writes why the plugin cannot be loaded: the loader's error, then every structural
/// difference, each with `at: file:line:column` where the host's WIT declares it.
fn incompatible(
    out: &mut String,
    e: &LoadError,
    all: &Compat,
    (host, places): (&World, &Places),
    plugin: &World,
) {
    let item = |out: &mut String, i: &compat::Incompatibility| {
        let _ = writeln!(out, "  - {i}");
        if let Some(at) = baseline::locate_path(host, places, &i.item) {
            let _ = writeln!(out, "    at: {at}");
        }
    };
    let _ = match e {
        LoadError::Incompatible { items, .. } => {
            let _ = writeln!(
                out,
                "incompatible: {} difference{} (expected: the host's, found: the plugin's):",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            );
            for i in items {
                item(out, i);
            }
            return;
        }
        LoadError::PackageMismatch {
            expected, found, ..
        } => writeln!(
            out,
            "incompatible: another package: expected {expected}, found {found}"
        ),
        LoadError::MajorVersionMismatch { .. } if host.package.semver().0 == 0 => {
            // 0.x: every minor version is its own line (semver), so "major" would mislead.
            let (h, p) = (&host.package, &plugin.package);
            writeln!(
                out,
                "incompatible: another compatibility line: expected {h} (compatibility line \
                 {}), found {p} (compatibility line {}); for 0.x versions each minor version \
                 is a compatibility line",
                line_name(h),
                line_name(p)
            )
        }
        LoadError::MajorVersionMismatch {
            expected, found, ..
        } => writeln!(
            out,
            "incompatible: another compatibility line (major version): expected {expected}, \
             found {found}"
        ),
        LoadError::WorldMismatch {
            expected, found, ..
        } => writeln!(
            out,
            "incompatible: another world: expected world {expected}, found world {found}"
        ),
        other => writeln!(out, "incompatible: {other}"),
    };
    // The loader stops at the package, line or world; show the structure too.
    let rest: Vec<_> = all
        .incompatibilities
        .iter()
        .filter(|i| i.side.is_some() || !matches!(i.item.as_str(), "package" | "world"))
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "the interfaces also differ in {} item{} (expected: the host's, found: the \
             plugin's):",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        );
        for i in rest {
            item(out, i);
        }
    }
}
