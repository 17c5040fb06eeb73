//! `plugport`: the command-line generator and plugin inspector. Run `plugport --help` for
//! the commands. Each command lives in its own module under `src/cli/`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use plugport_codegen::frontend::{self, FrontendError};

mod cli {
    pub mod check;
    pub mod completions;
    pub mod diff;
    pub mod gen;
    pub mod inspect;
    pub mod ir;
    pub mod man;
    pub mod render;
    pub mod serve;
}

/// A C-ABI bridge generator for plugins.
///
/// From a WIT world it generates a C header and Rust bindings for both sides of the
/// boundary (the host application and the plugin), following the plugport ABI v1
/// (docs/abi.md). WIT constructs the ABI does not support (async, stream, future, map,
/// error-context, ...) are refused with their file:line:column.
///
/// It also explains plugin files without running them (`inspect`, `check`) and
/// classifies interface changes between two versions of a WIT world (`diff`).
///
/// Exit status, the same rule for every command: 0 ok; 1 the answer is no (the plugin
/// cannot be loaded, the versions do not fit the change, the world is refused or breaks
/// its baseline, generated files are stale, the file is not a plugin); 2 usage errors,
/// files that cannot be read or written, WIT that does not parse or resolve. Errors go to
/// stderr as `error: <message>`; WIT problems as `error: <what>`, `--> file:line:column`,
/// the source line with a caret under the token, and `= help: <how to fix it>` (coloured
/// on a terminal unless NO_COLOR is set). With `--json` (every command) the output,
/// errors included, is one JSON object on stdout with `command`, `exit` and `ok`, and
/// `error` when the command could not answer (plus `diagnostics`, one object per WIT
/// problem with `file`, `line`, `column`, `message` and `help`).
///
/// Shell completions: `plugport completions bash > ~/.local/share/bash-completion/completions/plugport`
/// (also zsh, fish, elvish, powershell). Manual page: `plugport man | man -l -`, or
/// `plugport man --out-dir <dir>` for plugport.1 and one page per subcommand.
#[derive(Parser, Debug)]
#[command(name = "plugport", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate bindings (C header, Rust guest/host, Go host/plugin) from a WIT world.
    ///
    /// Writes one file per language into the output directory and prints the paths it
    /// wrote. File names follow the world name in snake_case: `c` writes `<world>.h`, `cpp` writes `<world>.h` and `<world>.hpp`,
    /// `rust-guest` writes `<world>_guest.rs`, `rust-host` writes `<world>_host.rs`.
    /// `go-host` writes the Go package `<world>/` (for hosts: Load, World), `go-guest`
    /// the package `<world>plugin/` (for plugins built with -buildmode=c-shared; name and
    /// version of the plugin from --plugin-name/--plugin-version); each holds its own copy
    /// of `<world>.h` for cgo (docs/go.md).
    ///
    /// Next to them it writes the baseline `<world>.world.json` (the world's descriptor
    /// JSON). When the output directory already holds a baseline of the same package and
    /// compatibility line (major version; minor for 0.x), gen compares the new world with
    /// it and refuses (exit 1, nothing written) a change that breaks it: a function,
    /// method, field or case removed, renamed, reordered or re-typed. Such a change needs
    /// a new major version, or a revert. Appending items is compatible (bump the minor
    /// version). `--baseline` compares with another file instead; `--allow-breaking`
    /// generates anyway. `--verify` writes nothing and checks that the files in the
    /// output directory are what gen would write (for CI).
    ///
    /// Exit status: 0 when written (or, with --verify, fresh); 1 when the world is
    /// refused (unsupported constructs, C name clashes), breaks its baseline, or with
    /// --verify a file is stale or missing; 2 for usage errors, WIT that cannot be read,
    /// parsed or resolved, and files that cannot be written.
    Gen(cli::gen::GenArgs),
    /// Print the world's plugport IR as pretty JSON (for debugging the front end).
    ///
    /// The IR is what every back end reads and what plugins carry in their descriptor
    /// (there without source locations). Output deserialises into `plugport::ir::World`.
    ///
    /// Exit status: 0 on success; 1 when the world is refused; 2 for usage errors and
    /// WIT that cannot be read, parsed or resolved.
    Ir(cli::ir::IrArgs),
    /// Show what a plugin file implements, without loading it.
    ///
    /// Reads the plugin's descriptor (the `.plugport` section) straight from the file: no
    /// dlopen, no code of the plugin runs, not even an ELF constructor. Prints the
    /// plugin's own name and version, its package and version, world, plugport ABI
    /// version, fingerprint, entry symbol and architecture, and the imports and exports
    /// as WIT-like signatures (interfaces with their types and functions, resources with
    /// constructor, methods and static functions).
    ///
    /// Exit status: 0 on success; 1 when the file is not a plugport plugin (not a
    /// regular file, not a shared library, no descriptor, corrupt descriptor); 2 for
    /// usage errors and files that cannot be read (missing, no permission). The reason
    /// goes to stderr.
    Inspect(cli::inspect::InspectArgs),
    /// Say whether a host generated from a WIT world can load a plugin file.
    ///
    /// Reads the plugin's descriptor without loading it (no code of the plugin runs) and
    /// does the checks the loader does before dlopen (docs/abi.md §8): the same package,
    /// compatibility line (major version) and world, then the structural comparison of
    /// §9. Prints "compatible", with notes for functions the plugin lacks (a plugin of an
    /// older minor: calls to them report PP_ERR_UNSUPPORTED) or has in addition (a
    /// newer minor: the host ignores them); or "incompatible" with every difference, each
    /// with what the host expects and what the plugin has, and `at: file:line:column`
    /// where the host's WIT declares it.
    ///
    /// Exit status: 0 when the host can load the plugin, 1 when it cannot (also for a
    /// file that is not a plugin), 2 for usage errors, unreadable files and WIT the
    /// front end refuses.
    Check(cli::check::CheckArgs),
    /// Classify the change between two versions of a WIT world, and check the versions.
    ///
    /// Compares the old and the new world structurally (docs/abi.md §9) and prints one of
    /// - identical: nothing but the version differs;
    /// - compatible-minor: items were only appended (functions at the end of an
    ///   interface, methods at the end of a resource, world items at the end);
    /// - breaking: something was removed, renamed, reordered or re-typed (functions,
    ///   parameters, results, record fields, variant or enum cases, flags...), each
    ///   breaking item with its old and new form, and `at: file:line:column` where the
    ///   new WIT declares it.
    ///
    /// Then says whether the version numbers fit the change: a breaking change needs a
    /// new compatibility line (major bump; minor bump for 0.x), appended items at least
    /// a minor bump (patch bump for 0.x).
    ///
    /// Exit status: 0 when the versions fit the change (always when identical), 1 when
    /// they do not (e.g. a breaking change within one major version), 2 for usage
    /// errors and WIT that cannot be read. Suited as a CI gate.
    Diff(cli::diff::DiffArgs),
    /// Serve a plugin file over gRPC, for hosts that open grpc://host:port (docs/remote.md).
    ///
    /// Checks the file as the loader does before any plugin code runs, then listens.
    /// Each host's open (a session) gets its own instance of the plugin, in a child
    /// process (plugport-runner) unless --in-process: a crash fails that session's calls
    /// and the next call restarts it. Serves the standard gRPC health service too.
    /// SIGTERM or SIGINT shuts down gracefully: new calls are refused, calls in flight
    /// finish (up to --shutdown-grace).
    ///
    /// Prints `plugport serve: <name> <version> on grpc://<addr>` once it listens.
    /// Exit status: 0 after a shutdown, 1 when the plugin is refused or cannot be
    /// served, 2 for usage errors.
    Serve(cli::serve::ServeArgs),
    /// Print a shell completion script on stdout (bash, zsh, fish, elvish, powershell).
    ///
    /// Install it where your shell looks for completions, e.g.
    /// - bash: `plugport completions bash > ~/.local/share/bash-completion/completions/plugport`
    /// - zsh: `plugport completions zsh > ~/.zfunc/_plugport` (with `fpath+=~/.zfunc`)
    /// - fish: `plugport completions fish > ~/.config/fish/completions/plugport.fish`
    ///
    /// Exit status: 0; 2 for usage errors (an unknown shell).
    Completions(cli::completions::CompletionsArgs),
    /// Print the manual page (roff) on stdout, or write one page per command.
    ///
    /// Read it with `plugport man | man -l -`; install it with
    /// `plugport man --out-dir /usr/local/share/man/man1` (plugport.1, plugport-gen.1, ...).
    ///
    /// Exit status: 0; 2 for usage errors and pages that cannot be written.
    Man(cli::man::ManArgs),
}

/// Where the WIT comes from and which world to use.
#[derive(clap::Args, Debug)]
pub(crate) struct WitArgs {
    /// A `.wit` file, or a directory holding a WIT package (with an optional `deps/`
    /// directory for the packages it uses).
    pub(crate) wit: PathBuf,
    /// The world to use, by its WIT name. Required when the package defines several
    /// worlds.
    #[arg(long, short = 'w', value_name = "NAME")]
    pub(crate) world: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Gen(args) => cli::gen::run(&args),
        Command::Ir(args) => cli::ir::run(&args),
        Command::Inspect(args) => cli::inspect::run(&args),
        Command::Check(args) => cli::check::run(&args),
        Command::Diff(args) => cli::diff::run(&args),
        Command::Serve(args) => cli::serve::run(&args),
        Command::Completions(args) => cli::completions::run(&args, Cli::command()),
        Command::Man(args) => cli::man::run(&args, Cli::command()),
    }
}

/// Prints `error: <message>` on stderr and returns exit status `code`.
pub(crate) fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

/// With `--json`: prints `{"command", "exit", "ok": false, "error"}` on stdout (and the
/// error on stderr too); without: `error: <message>` on stderr. Returns exit status `code`.
pub(crate) fn fail_as(
    json: bool,
    command: &str,
    code: u8,
    message: impl std::fmt::Display,
) -> ExitCode {
    if json {
        emit_json(serde_json::json!({
            "command": command,
            "exit": code,
            "ok": false,
            "error": message.to_string(),
        }));
    }
    fail(code, message)
}

/// With `--json`: prints `fields` plus `command`, `exit`, `ok` and `lines` (the text the
/// command prints without `--json`, one string per line) as one JSON object on stdout;
/// without: prints `text`. Returns exit status `code`.
pub(crate) fn finish(
    json: bool,
    command: &str,
    code: u8,
    text: &str,
    fields: serde_json::Value,
) -> ExitCode {
    if json {
        let mut object = serde_json::json!({
            "command": command,
            "exit": code,
            "ok": code == 0,
        });
        if let (Some(o), serde_json::Value::Object(f)) = (object.as_object_mut(), fields) {
            o.extend(f);
            o.insert(
                "lines".into(),
                text.lines().map(serde_json::Value::from).collect(),
            );
        }
        emit_json(object);
    } else {
        emit(text);
    }
    ExitCode::from(code)
}

/// Prints one JSON value, pretty, with a final newline.
pub(crate) fn emit_json(value: serde_json::Value) {
    let text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
    emit(&format!("{text}\n"));
}

/// Writes `text` to stdout. A closed pipe (`plugport inspect x.so | head`) is not an
/// error: the reader has what it wanted. Any other write error ends the process with
/// exit status 2.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to stdout: {e}");
            std::process::exit(2);
        }
    }
}

/// Exit status 1: the answer is no (incompatible, breaking, refused, not a plugin).
pub(crate) const EXIT_NO: u8 = 1;
/// Exit status 2: a usage error, a file that cannot be read or written, WIT that does not
/// parse or resolve.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a command failed: the exit status of the rule in `plugport --help` and the message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    /// The short form: `error` in JSON; on stderr when there is no `rendered` form.
    pub(crate) message: String,
    /// The long form for stderr (WIT diagnostics with source lines and carets), complete
    /// with its `error: ` prefixes.
    pub(crate) rendered: Option<String>,
    /// WIT diagnostics as JSON (`diagnostics` in `--json` output), see
    /// [`frontend::Report::to_json`].
    pub(crate) diagnostics: Vec<serde_json::Value>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failure {
    /// The answer is no (exit 1).
    pub(crate) fn no(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: EXIT_NO,
            message: message.to_string(),
            rendered: None,
            diagnostics: Vec::new(),
        }
    }

    /// A usage or I/O error (exit 2).
    pub(crate) fn usage(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.to_string(),
            rendered: None,
            diagnostics: Vec::new(),
        }
    }

    /// The same failure with another exit status.
    pub(crate) fn with_code(mut self, code: u8) -> Failure {
        self.code = code;
        self
    }

    /// A front-end error: [`EXIT_NO`] for a refused world, [`EXIT_USAGE`] otherwise; the
    /// long form rendered for stderr (coloured when [`frontend::color_for_stderr`]).
    pub(crate) fn frontend(e: &FrontendError) -> Failure {
        let (code, message) = match e {
            FrontendError::Unsupported { world, refusals } => (
                EXIT_NO,
                format!(
                    "{}:\n{e}",
                    frontend::unsupported_summary(world, refusals.len())
                ),
            ),
            _ => (EXIT_USAGE, e.to_string()),
        };
        Failure {
            code,
            message,
            rendered: Some(e.render(frontend::color_for_stderr())),
            diagnostics: e.reports().iter().map(frontend::Report::to_json).collect(),
        }
    }
}

/// Reports `f`: with `--json` one JSON object on stdout (`command`, `exit`, `ok: false`,
/// `error`, and `diagnostics` when it has WIT diagnostics); on stderr its long form, or
/// `error: <message>`. Returns its exit status.
pub(crate) fn fail_with(json: bool, command: &str, f: Failure) -> ExitCode {
    if json {
        let mut object = serde_json::json!({
            "command": command,
            "exit": f.code,
            "ok": false,
            "error": f.message,
        });
        if !f.diagnostics.is_empty() {
            object["diagnostics"] = serde_json::Value::Array(f.diagnostics);
        }
        emit_json(object);
    }
    match f.rendered {
        Some(text) => {
            eprint!("{text}");
            ExitCode::from(f.code)
        }
        None => fail(f.code, f.message),
    }
}

/// Loads a world from WIT, with a summary line for refused constructs. A world the front
/// end refuses (unsupported constructs, C name clashes) is [`EXIT_NO`]; WIT that cannot be
/// read, parsed or resolved, or a world that is missing or ambiguous, is [`EXIT_USAGE`].
pub(crate) fn load_world(
    wit: &std::path::Path,
    world: Option<&str>,
) -> Result<plugport::ir::World, Failure> {
    frontend::load_world(wit, world).map_err(|e| Failure::frontend(&e))
}

/// Like [`load_world`], with where the items are declared (for diagnostics).
pub(crate) fn load(
    wit: &std::path::Path,
    world: Option<&str>,
) -> Result<frontend::Loaded, Failure> {
    frontend::load(wit, world).map_err(|e| Failure::frontend(&e))
}
