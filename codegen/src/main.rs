//! `plugport`: the command-line generator. Run `plugport --help` for the commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use plugport_codegen::frontend::{self, FrontendError};
use plugport_codegen::rust::Side;
use plugport_codegen::{c, rust, GeneratedFile};

/// plugport: a C-ABI bridge generator for plugins.
///
/// From a WIT world it generates a C header and Rust bindings for both sides of the
/// boundary (the host application and the plugin), following the plugport ABI v1
/// (docs/abi.md). WIT constructs the ABI does not support (async, stream, future, map,
/// error-context, ...) are refused with their file:line.
#[derive(Parser, Debug)]
#[command(name = "plugport", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate bindings (C header, Rust guest/host) from a WIT world.
    ///
    /// Writes one file per language into the output directory and prints the paths it
    /// wrote. File names follow the world name in snake_case: `c` writes `<world>.h`,
    /// `rust-guest` writes `<world>_guest.rs`, `rust-host` writes `<world>_host.rs`.
    Gen(GenArgs),
    /// Print the world's plugport IR as pretty JSON (for debugging the front end).
    ///
    /// The IR is what every back end reads and what plugins carry in their descriptor
    /// (there without source locations). Output deserialises into `plugport::ir::World`.
    Ir(IrArgs),
    // `inspect`, `check` and `diff` are added here by the inspection tooling.
}

/// Where the WIT comes from and which world to use.
#[derive(clap::Args, Debug)]
struct WitArgs {
    /// A `.wit` file, or a directory holding a WIT package (with an optional `deps/`
    /// directory for the packages it uses).
    wit: PathBuf,
    /// The world to use, by its WIT name. Required when the package defines several
    /// worlds.
    #[arg(long, short = 'w', value_name = "NAME")]
    world: Option<String>,
}

#[derive(clap::Args, Debug)]
struct GenArgs {
    #[command(flatten)]
    wit: WitArgs,
    /// Output directory (created if missing).
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
}

#[derive(clap::Args, Debug)]
struct IrArgs {
    #[command(flatten)]
    wit: WitArgs,
}

/// An output language of `plugport gen`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    /// C header `<world>.h` (for hosts and plugins written in C or C++).
    C,
    /// Rust bindings for a plugin: `<world>_guest.rs`.
    RustGuest,
    /// Rust bindings for a host application: `<world>_host.rs`.
    RustHost,
    /// Both Rust sides: `<world>_guest.rs` and `<world>_host.rs`.
    Rust,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(args) => gen(&args),
        Command::Ir(args) => ir(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: &WitArgs) -> Result<plugport::ir::World, String> {
    frontend::load_world(&args.wit, args.world.as_deref()).map_err(|e| match &e {
        FrontendError::Unsupported { world, refusals } => format!(
            "world `{world}` uses {} construct{} that plugport ABI v1 does not support:\n{e}",
            refusals.len(),
            if refusals.len() == 1 { "" } else { "s" }
        ),
        _ => e.to_string(),
    })
}

fn gen(args: &GenArgs) -> Result<(), String> {
    let world = load(&args.wit)?;
    let mut files: Vec<GeneratedFile> = Vec::new();
    let mut push = |f: GeneratedFile| {
        if !files.iter().any(|g| g.name == f.name) {
            files.push(f);
        }
    };
    for lang in &args.lang {
        match lang {
            Lang::C => push(c::generate(&world)),
            Lang::RustGuest => push(rust::generate(&world, Side::Guest)),
            Lang::RustHost => push(rust::generate(&world, Side::Host)),
            Lang::Rust => {
                push(rust::generate(&world, Side::Guest));
                push(rust::generate(&world, Side::Host));
            }
        }
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    for file in &files {
        let path = args.out.join(&file.name);
        write(&path, &file.contents)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn ir(args: &IrArgs) -> Result<(), String> {
    let world = load(&args.wit)?;
    let json = serde_json::to_string_pretty(&world).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}
