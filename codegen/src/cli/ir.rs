//! `plugport ir`: the world's IR as pretty JSON.

use std::process::ExitCode;

use crate::WitArgs;

/// Arguments of `plugport ir`.
#[derive(clap::Args, Debug)]
pub struct IrArgs {
    #[command(flatten)]
    wit: WitArgs,
    /// Errors as JSON too: `{"command": "ir", "exit", "ok": false, "error",
    /// "diagnostics"}` on stdout (`diagnostics`: file, line, column, message and help of
    /// each WIT problem), with the same exit status (the IR itself is always JSON).
    #[arg(long)]
    json: bool,
}

/// Prints the IR; exit 1 when the world is refused, 2 when the WIT cannot be read.
pub fn run(args: &IrArgs) -> ExitCode {
    let world = match crate::load_world(&args.wit.wit, args.wit.world.as_deref()) {
        Ok(w) => w,
        Err(e) => return crate::fail_with(args.json, "ir", e),
    };
    match serde_json::to_string_pretty(&world) {
        Ok(json) => {
            crate::emit(&format!("{json}\n"));
            ExitCode::SUCCESS
        }
        Err(e) => crate::fail_as(args.json, "ir", crate::EXIT_USAGE, e),
    }
}
