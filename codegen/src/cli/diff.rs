//! `plugport diff`: classify the change between two versions of a WIT world and check
//! that the version numbers fit it.

use std::path::PathBuf;
use std::process::ExitCode;

use plugport::ir::World;
use plugport_codegen::baseline::{self, Class};
use plugport_codegen::frontend::Places;

use crate::Failure;

/// Arguments of `plugport diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The old WIT (a `.wit` file or a package directory), or a world JSON written by
    /// `plugport gen` (`<world>.world.json`).
    old: PathBuf,
    /// The new WIT (a `.wit` file or a package directory), or a world JSON.
    new: PathBuf,
    /// The world to compare, by its WIT name (in both). Required when a package defines
    /// several worlds.
    #[arg(long, short = 'w', value_name = "NAME")]
    world: Option<String>,
    /// Print one JSON object on stdout instead of text: `command`, `exit`, `ok`, `old` and
    /// `new` (`package`, `world`, `path`), `change` (`identical`, `compatible-minor`,
    /// `breaking`), `breaking` and `added` (one string per item), `breaking_at` (`item`,
    /// `file`, `line`, `column`: where the new WIT declares each breaking item it still
    /// has), `versions_fit`, `reason`, and `lines` (the text output); on errors `error`
    /// (and `diagnostics`, file/line/column of each WIT problem). Same exit status.
    #[arg(long)]
    json: bool,
}

/// A world JSON (no places) or WIT (with where its items are declared).
fn load(path: &std::path::Path, world: Option<&str>) -> Result<(World, Places), Failure> {
    if path.extension().is_some_and(|e| e == "json") {
        let w = baseline::read_baseline(path).map_err(Failure::usage)?;
        return Ok((w, Places::default()));
    }
    crate::load(path, world).map(|l| (l.world, l.places))
}

/// Exit 0 when the versions fit the change, 1 when not, 2 when a world cannot be read.
pub fn run(args: &DiffArgs) -> ExitCode {
    let fail = |f: Failure| crate::fail_with(args.json, "diff", f.with_code(crate::EXIT_USAGE));
    let old = match load(&args.old, args.world.as_deref()) {
        Ok((w, _)) => w,
        Err(e) => return fail(e),
    };
    // Without --world, the new side uses the old world's name when the package has several.
    let (new, places) = match load(&args.new, args.world.as_deref()) {
        Ok(w) => w,
        Err(e) if args.world.is_none() => match load(&args.new, Some(&old.name)) {
            Ok(w) => w,
            Err(_) => return fail(e),
        },
        Err(e) => return fail(e),
    };
    let ev = baseline::evolve(&old, &new);
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "old: {} world {} ({})",
        old.package,
        old.name,
        args.old.display()
    ));
    line(format!(
        "new: {} world {} ({})",
        new.package,
        new.name,
        args.new.display()
    ));
    let breaking = ev.breaking_items();
    let added: Vec<_> = ev.added_items().collect();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    line(match ev.class() {
        Class::Identical => "change: identical".to_string(),
        Class::CompatibleMinor => format!(
            "change: compatible-minor ({} item{} appended)",
            added.len(),
            plural(added.len())
        ),
        Class::Breaking => format!(
            "change: breaking ({} breaking item{})",
            breaking.len(),
            plural(breaking.len())
        ),
    });
    let mut located = Vec::new();
    for item in &breaking {
        line(format!("  breaking: {item}"));
        // Where the new WIT declares it (not for removed items or a world JSON).
        if let Some(at) = baseline::locate(&new, &places, item) {
            line(format!("    at: {at}"));
            located.push(serde_json::json!({
                "item": item.item,
                "file": at.file,
                "line": at.line,
                "column": at.column,
            }));
        }
    }
    for e in &added {
        line(format!("  added: {} {} ({})", e.side, e.item, e.what));
    }
    let fit = ev.fit();
    line(format!(
        "versions: {}: {}",
        if fit.fits { "fit" } else { "do not fit" },
        fit.reason
    ));
    let side = |w: &plugport::ir::World, path: &std::path::Path| {
        serde_json::json!({
            "package": w.package.to_string(),
            "world": w.name,
            "path": path.display().to_string(),
        })
    };
    let fields = serde_json::json!({
        "old": side(&old, &args.old),
        "new": side(&new, &args.new),
        "change": match ev.class() {
            Class::Identical => "identical",
            Class::CompatibleMinor => "compatible-minor",
            Class::Breaking => "breaking",
        },
        "breaking": breaking.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        "breaking_at": located,
        "added": added
            .iter()
            .map(|e| format!("{} {} ({})", e.side, e.item, e.what))
            .collect::<Vec<_>>(),
        "versions_fit": fit.fits,
        "reason": fit.reason,
    });
    let code = if fit.fits { 0 } else { crate::EXIT_NO };
    crate::finish(args.json, "diff", code, &out, fields)
}
