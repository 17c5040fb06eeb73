//! `plugport gen`: bindings from a WIT world, guarded by a baseline.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use plugport::ir::World;
use plugport_codegen::baseline::{self, Class, Verdict};
use plugport_codegen::frontend::{Places, Report};
use plugport_codegen::go::{GoOptions, GoSide};
use plugport_codegen::rust::Side;
use plugport_codegen::{c, cpp, go, rust, GeneratedFile};

use crate::{Failure, WitArgs};

/// Arguments of `plugport gen`.
#[derive(clap::Args, Debug)]
pub struct GenArgs {
    #[command(flatten)]
    wit: WitArgs,
    /// Output directory (created if missing). Also holds the baseline
    /// `<world>.world.json` of the last generation.
    #[arg(long, short = 'o', value_name = "DIR")]
    out: PathBuf,
    /// Languages to generate, comma-separated.
    #[arg(
        long,
        short = 'l',
        value_enum,
        value_delimiter = ',',
        default_value = "c",
        value_name = "LANG,..."
    )]
    lang: Vec<Lang>,
    /// Compare with this baseline instead of `<out>/<world>.world.json`: a world JSON
    /// written by an earlier `plugport gen` (`*.json`), or the WIT (file or package
    /// directory) of the previous release. Only a baseline of the same package and
    /// compatibility line is compared.
    #[arg(long, value_name = "WIT_OR_WORLD_JSON")]
    baseline: Option<PathBuf>,
    /// Generate even when the world breaks its baseline within one compatibility line
    /// (the baseline is then replaced by the new world).
    #[arg(long)]
    allow_breaking: bool,
    /// Write nothing: compare the files in `--out` with what gen would write (every
    /// binding and the baseline) and exit 1 when one differs or is missing, naming it
    /// (for CI: generated files checked in must be fresh; cbindgen's `--verify`). The
    /// baseline check is skipped: the baseline in `--out` is one of the files compared.
    #[arg(long)]
    verify: bool,
    /// Print one JSON object on stdout instead of text: `command`, `exit`, `ok`, the
    /// paths `written` (or with `--verify` `fresh`), and `lines`; on errors `error` (and
    /// `diagnostics`: file, line, column, message and help of each WIT problem).
    /// Same exit status. Notes and warnings still go to stderr.
    #[arg(long)]
    json: bool,
    /// Go plugins (`go-guest`, `go`): the plugin's own name in its descriptor
    /// (default `<world>-go`).
    #[arg(long, value_name = "NAME")]
    plugin_name: Option<String>,
    /// Go plugins (`go-guest`, `go`): the plugin's own version in its descriptor
    /// (default the WIT package version).
    #[arg(long, value_name = "VERSION")]
    plugin_version: Option<String>,
}

/// An output language of `plugport gen`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    /// C header `<world>.h` (for hosts and plugins written in C or C++).
    C,
    /// C++17 header `<world>.hpp` over the C header (written too): clients, servers,
    /// resources as RAII classes, host `load` and the plugin export macro (docs/cpp.md).
    /// Compile with the helper header `plugport/cpp.hpp` on the include path.
    Cpp,
    /// Rust bindings for a plugin: `<world>_guest.rs`.
    RustGuest,
    /// Rust bindings for a host application: `<world>_host.rs`.
    RustHost,
    /// Both Rust sides: `<world>_guest.rs` and `<world>_host.rs`.
    Rust,
    /// Go package for a host application: `<world>/` (package `<world>`: Load, World;
    /// needs libplugport through pkg-config). See docs/go.md.
    GoHost,
    /// Go package for a plugin built with `go build -buildmode=c-shared`:
    /// `<world>plugin/` (package `<world>plugin`: Export, Host, the descriptor and entry).
    GoGuest,
    /// Both Go packages: `<world>/` and `<world>plugin/`.
    Go,
}

/// Generates the requested files. Exit 1 when the world is refused, when it breaks its
/// baseline (without `--allow-breaking`), or with `--verify` when a file is stale; exit 2
/// when the WIT cannot be read or a file cannot be written.
pub fn run(args: &GenArgs) -> ExitCode {
    match gen(args) {
        Ok(paths) => {
            let verb = if args.verify { "fresh" } else { "wrote" };
            let text: String = paths
                .iter()
                .map(|p| format!("{verb} {}\n", p.display()))
                .collect();
            let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            let key = if args.verify { "fresh" } else { "written" };
            crate::finish(args.json, "gen", 0, &text, serde_json::json!({ key: list }))
        }
        Err(f) => crate::fail_with(args.json, "gen", f),
    }
}

/// Generates (or with `--verify` compares) the files; returns their paths.
fn gen(args: &GenArgs) -> Result<Vec<PathBuf>, Failure> {
    let loaded = crate::load(&args.wit.wit, args.wit.world.as_deref())?;
    let world = loaded.world;
    if !args.verify {
        check_baseline(args, &world, &loaded.places)?;
    }

    let mut files: Vec<GeneratedFile> = Vec::new();
    let mut push = |f: GeneratedFile| {
        if !files.iter().any(|g| g.name == f.name) {
            files.push(f);
        }
    };
    let go_opts = GoOptions {
        plugin_name: args.plugin_name.clone(),
        plugin_version: args.plugin_version.clone(),
    };
    for lang in &args.lang {
        match lang {
            Lang::GoHost => go::generate(&world, GoSide::Host, &go_opts)
                .into_iter()
                .for_each(&mut push),
            Lang::GoGuest => go::generate(&world, GoSide::Guest, &go_opts)
                .into_iter()
                .for_each(&mut push),
            Lang::Go => {
                for side in [GoSide::Host, GoSide::Guest] {
                    go::generate(&world, side, &go_opts)
                        .into_iter()
                        .for_each(&mut push);
                }
            }
            Lang::C => push(c::generate(&world)),
            Lang::Cpp => {
                push(c::generate(&world));
                push(cpp::generate(&world));
            }
            Lang::RustGuest => push(rust::generate(&world, Side::Guest)),
            Lang::RustHost => push(rust::generate(&world, Side::Host)),
            Lang::Rust => {
                push(rust::generate(&world, Side::Guest));
                push(rust::generate(&world, Side::Host));
            }
        }
    }
    files.push(GeneratedFile {
        name: baseline::baseline_file_name(&world),
        contents: plugport::descriptor::world_json(&world),
    });
    if args.verify {
        return verify(&args.out, &files);
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", args.out.display())))?;
    let mut written = Vec::new();
    for file in &files {
        let path = args.out.join(&file.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
        }
        write(&path, &file.contents)?;
        written.push(path);
    }
    Ok(written)
}

/// `--verify`: every file in `out` equals what gen would write. Prints `fresh <path>` for
/// each; fails (exit 1) naming every stale or missing file. Files in `out` that gen would
/// not write are not looked at.
fn verify(out: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>, Failure> {
    let mut stale = Vec::new();
    let mut fresh = Vec::new();
    for file in files {
        let path = out.join(&file.name);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == file.contents.as_bytes() => fresh.push(path),
            Ok(_) => stale.push(format!("{} differs from what gen writes", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                stale.push(format!("{} is missing", path.display()))
            }
            Err(e) => {
                return Err(Failure::usage(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        }
    }
    if stale.is_empty() {
        return Ok(fresh);
    }
    Err(Failure::no(format!(
        "{} of {} generated file{} stale (run the same command without --verify to \
         regenerate):\n  - {}",
        stale.len(),
        files.len(),
        if files.len() == 1 { " is" } else { "s are" },
        stale.join("\n  - ")
    )))
}

/// Compares `world` with its baseline (explicit, or the one in `--out`) and refuses a
/// breaking change within the baseline's compatibility line, pointing at the WIT of each
/// breaking item (`places`).
fn check_baseline(args: &GenArgs, world: &World, places: &Places) -> Result<(), Failure> {
    let (path, old) = match &args.baseline {
        Some(path) => (
            path.clone(),
            baseline::load_baseline(path, &world.name).map_err(baseline_failure)?,
        ),
        None => {
            let path = baseline::baseline_path(&args.out, world);
            if !path.exists() {
                return Ok(());
            }
            let old = baseline::read_baseline(&path).map_err(|e| {
                Failure::usage(format!(
                    "{e}\n(delete it to generate without comparing with the previous \
                     generation)"
                ))
            })?;
            (path, old)
        }
    };
    let show = |p: &Path| p.display().to_string();
    match baseline::judge(&old, world, args.allow_breaking) {
        Verdict::Unrelated(why) => {
            if args.baseline.is_some() {
                eprintln!("note: not compared with {}: {why}", show(&path));
            }
            Ok(())
        }
        Verdict::Refuse(ev) => {
            let message =
                baseline::breaking_message(&ev, &path, "--allow-breaking generates anyway");
            let reports = baseline::breaking_reports(&ev, world, places);
            let color = plugport_codegen::frontend::color_for_stderr();
            Err(Failure {
                rendered: Some(baseline::render_breaking(&reports, &message, color)),
                diagnostics: reports.iter().map(Report::to_json).collect(),
                ..Failure::no(message)
            })
        }
        Verdict::Accept(ev) => {
            match ev.class() {
                Class::Identical => {}
                Class::CompatibleMinor => {
                    let fit = ev.fit();
                    if !fit.fits {
                        eprintln!(
                            "note: compared with the baseline {} ({}): {}",
                            ev.old,
                            show(&path),
                            fit.reason
                        );
                    }
                }
                Class::Breaking => {
                    eprintln!(
                        "warning: {} breaks the baseline {} ({}) within compatibility line {} \
                         (generating anyway: --allow-breaking):",
                        ev.new,
                        ev.old,
                        show(&path),
                        baseline::line_name(&ev.old)
                    );
                    for item in ev.breaking_items() {
                        eprintln!("  - {item}");
                    }
                }
            }
            Ok(())
        }
    }
}

/// A baseline that cannot be read (exit 2); a WIT baseline's front-end errors keep their
/// source snippets, after a line naming the baseline.
fn baseline_failure(e: baseline::BaselineError) -> Failure {
    match &e {
        baseline::BaselineError::Wit { path, source } => {
            let mut f = Failure::frontend(source).with_code(crate::EXIT_USAGE);
            f.message = e.to_string();
            f.rendered = f.rendered.map(|r| {
                format!(
                    "error: the baseline {} cannot be read:\n{r}",
                    path.display()
                )
            });
            f
        }
        _ => Failure::usage(e),
    }
}

fn write(path: &Path, contents: &str) -> Result<(), Failure> {
    std::fs::write(path, contents)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}
