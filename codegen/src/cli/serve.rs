//! `plugport serve`: serve a plugin file over gRPC (`docs/remote.md`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `plugport serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The plugin file (a shared library built with plugport).
    file: PathBuf,
    /// The address to listen on, `host:port` (`127.0.0.1:0`: any free port; the chosen
    /// one is printed).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Load each session's instance in this process instead of a child process. A crash
    /// of the plugin then ends the server.
    #[arg(long)]
    in_process: bool,
    /// The largest message, in bytes: a call's encoded arguments or result (both ways).
    /// Calls over it fail with a message naming both sizes; hosts use the smaller of this
    /// and their PLUGPORT_MAX_MESSAGE_BYTES.
    #[arg(long, value_name = "BYTES", default_value_t = plugport::remote::DEFAULT_MAX_MESSAGE_BYTES)]
    max_message_bytes: usize,
    /// PEM certificate (chain) of the server: serve TLS; hosts open grpcs://.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// PEM CA certificate: require client certificates it signed (mutual TLS).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// Seconds calls in flight may take to finish after SIGTERM or SIGINT.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    shutdown_grace: u64,
    /// Per-call deadline inside the server, in milliseconds (0: none): a call past it
    /// kills the instance's child process and fails.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    call_timeout_ms: u32,
    /// The isolation runner, plugport-runner (default: next to this program, or on PATH).
    #[arg(long, value_name = "PATH")]
    runner: Option<PathBuf>,
    /// The most plugin instances alive at once: one per host's open on the session wire,
    /// one per client connection (or plugport-session) on the per-world wire; each
    /// isolated one is a child process. An open past it is refused with a message naming
    /// this option (per-world calls: RESOURCE_EXHAUSTED). 0: no limit.
    #[arg(long, value_name = "N", default_value_t = plugport::remote::server::DEFAULT_MAX_INSTANCES)]
    max_instances: usize,
}

/// Serves until SIGTERM/SIGINT: exit 0; 1 when the plugin is refused or cannot be served.
pub fn run(args: &ServeArgs) -> ExitCode {
    if !(1024..=(1 << 30)).contains(&args.max_message_bytes) {
        return crate::fail(
            2,
            format!(
                "--max-message-bytes {}: expected 1024 to 1073741824",
                args.max_message_bytes
            ),
        );
    }
    let mut o = plugport::remote::server::ServeOptions::new(args.file.clone(), args.listen.clone());
    o.isolated = !args.in_process;
    o.max_message_bytes = args.max_message_bytes;
    o.tls_cert = args.tls_cert.clone();
    o.tls_key = args.tls_key.clone();
    o.client_ca = args.client_ca.clone();
    o.shutdown_grace = Duration::from_secs(args.shutdown_grace);
    o.call_timeout_ms = args.call_timeout_ms;
    o.runner = args.runner.clone();
    o.max_instances = args.max_instances;
    match plugport::remote::server::serve(o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => crate::fail(1, e),
    }
}
