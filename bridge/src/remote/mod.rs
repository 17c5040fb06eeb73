//! Remote plugins over gRPC (issue 9, scenario S7; `docs/remote.md`).
//!
//! A plugin served by `plugport serve <file> --listen <addr>` (`server::serve`) is
//! opened by URL, `grpc://host:port` or `grpcs://host:port` (TLS), with the same API as a
//! file: [`crate::loader::open`], `plugport_open`. The host fetches the remote descriptor
//! and runs exactly the compatibility check it runs on a file (same [`LoadError`]s), then
//! gets the same exports table an isolated open gives: the IR-driven proxy tables of
//! `crate::isolation`, with a gRPC session in place of the socketpair.
//!
//! - **Wire** (`pb.rs`, `docs/remote.md`): one service `plugport.remote.v1.Plugin` with
//!   `Describe` (unary: the descriptor, world JSON and fingerprint, limits) and `Session`
//!   (a bidirectional stream of frames: calls, returns, host imports; the values are in the
//!   wire encoding of `docs/isolation.md`). Plus the standard `grpc.health.v1.Health`.
//! - **Client** (`client.rs`): one session per open, calls multiplexed on it by call id;
//!   a lost session fails the calls in flight with [`PP_ERR_ISOLATION`] and a message
//!   naming the cause, and the next call opens a new session (proxy handles of the old one
//!   are refused).
//! - **Server** (`server.rs`): checks the file, then gives every session its own instance
//!   of the plugin, by default in an isolated child process (`crate::isolation`).
//! - **Per-world wire** (`protowire.rs` the host's side, `protoserve.rs` the server's,
//!   `protocodec.rs` the values, `connscope.rs` the connections `serve` scopes per-world
//!   objects to): the world's own services of `plugport gen --lang proto`, so that any
//!   gRPC server is a plugin and `serve` answers any gRPC client.
//!
//! Everything but `open_url` and [`is_url`] needs the `remote` cargo feature (tonic,
//! tokio, rustls); without it a URL is refused with a message saying so.

use std::ffi::c_void;
use std::path::Path;
use std::sync::Arc;

use crate::error::LoadError;
use crate::loader::Plugin;

#[cfg(feature = "remote")]
mod client;
#[cfg(feature = "remote")]
mod conn;
#[cfg(feature = "remote")]
mod connscope;
#[cfg(feature = "remote")]
// Messages and service glue written as prost/tonic would generate them: their meaning is
// the `.proto` text `pb::PROTO` and docs/remote.md, not per-field docs.
#[allow(missing_docs)]
pub mod pb;
#[cfg(feature = "remote")]
pub mod protocodec;
#[cfg(feature = "remote")]
mod protoserve;
#[cfg(feature = "remote")]
mod protowire;
#[cfg(feature = "remote")]
pub mod server;
#[cfg(feature = "remote")]
pub use protowire::{DynCodec, ProtoRemote};

pub use crate::abi::PP_ERR_ISOLATION;

/// Default largest message (the encoded arguments or result of one call), both ways:
/// 16 MiB. tonic's own default of 4 MiB never applies: both sides set their gRPC limits
/// from this one, and a call over it fails with a message naming both sizes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Whether `path` is a remote plugin URL (`grpc://` or `grpcs://`).
pub fn is_url(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.starts_with("grpc://") || s.starts_with("grpcs://"))
}

/// A parsed `grpc://host:port` / `grpcs://host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// `grpcs://`: TLS.
    pub tls: bool,
    /// The host name or address (IPv6 in brackets), as written.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl Url {
    /// Parses a URL. Errors name what is wrong and the expected form.
    pub fn parse(s: &str) -> Result<Url, String> {
        let (tls, rest) = if let Some(r) = s.strip_prefix("grpcs://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("grpc://") {
            (false, r)
        } else {
            return Err(format!(
                "{s:?} is not a remote plugin URL: expected grpc://host:port or grpcs://host:port"
            ));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let bad =
            |why: &str| format!("{s:?}: {why}: expected grpc://host:port or grpcs://host:port");
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.contains('/') || host.contains('@') || rest.contains('?') {
            return Err(bad("a path, user or query is not allowed"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?;
        Ok(Url {
            tls,
            host: host.to_string(),
            port,
        })
    }

    /// Parses one URL or several separated by commas (`grpc://a:1,grpc://b:2`): servers
    /// of the same plugin, tried in turn when a session is opened (failover). All must
    /// use the same scheme.
    pub fn parse_list(s: &str) -> Result<Vec<Url>, String> {
        let urls = s
            .split(',')
            .map(|u| Url::parse(u.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if urls.iter().any(|u| u.tls != urls[0].tls) {
            return Err(format!(
                "{s:?}: mixes grpc:// and grpcs://: expected one scheme for every server"
            ));
        }
        Ok(urls)
    }

    /// The host name without IPv6 brackets (the TLS server name).
    pub fn server_name(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }

    /// `http(s)://host:port`, the form tonic's endpoint takes.
    pub fn http(&self) -> String {
        format!(
            "{}://{}:{}",
            if self.tls { "https" } else { "http" },
            self.host,
            self.port
        )
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "grpcs" } else { "grpc" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// Options of a remote open, from the environment (C hosts have no other way to give
/// them; `docs/remote.md`):
///
/// | variable | meaning |
/// |---|---|
/// | `PLUGPORT_CALL_TIMEOUT_MS` | per-call deadline, ms (0: none); also the open's option |
/// | `PLUGPORT_CONNECT_TIMEOUT_MS` | connecting and the session handshake, ms (default 10,000) |
/// | `PLUGPORT_MAX_MESSAGE_BYTES` | largest message this host sends or accepts (default 16 MiB) |
/// | `PLUGPORT_TLS_CA` | PEM file of the CA that signed the server's certificate (`grpcs://`) |
/// | `PLUGPORT_TLS_CERT`, `PLUGPORT_TLS_KEY` | PEM client certificate and key (mutual TLS) |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Per-call deadline, milliseconds; 0 for none.
    pub call_timeout_ms: u32,
    /// Deadline of connecting and the session handshake, milliseconds.
    pub connect_timeout_ms: u32,
    /// Largest message this host sends or accepts, bytes.
    pub max_message_bytes: usize,
    /// PEM file of the CA that signed the server's certificate (`grpcs://`).
    pub tls_ca: Option<std::path::PathBuf>,
    /// PEM client certificate, for mutual TLS (with `tls_key`).
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM key of `tls_cert`.
    pub tls_key: Option<std::path::PathBuf>,
}

impl ClientOptions {
    /// The options of an open with isolation options `o` (its deadline; the environment
    /// has already been applied to it) and the other variables above.
    pub fn from_env(o: &crate::isolation::Options) -> ClientOptions {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let path = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from)
        };
        ClientOptions {
            call_timeout_ms: o.call_timeout_ms,
            connect_timeout_ms: num("PLUGPORT_CONNECT_TIMEOUT_MS")
                .map_or(10_000, |v| v.clamp(1, u32::MAX as u64) as u32),
            max_message_bytes: num("PLUGPORT_MAX_MESSAGE_BYTES")
                .map_or(DEFAULT_MAX_MESSAGE_BYTES, |v| {
                    v.clamp(1024, 1 << 30) as usize
                }),
            tls_ca: path("PLUGPORT_TLS_CA"),
            tls_cert: path("PLUGPORT_TLS_CERT"),
            tls_key: path("PLUGPORT_TLS_KEY"),
        }
    }
}

/// The loader's hook: `None` when `path` is not a URL (open it as a file); otherwise the
/// remote open ([`LoadError`]s as for a file, `path` being the URL: a malformed URL or an
/// unreachable server is [`LoadError::Io`], the descriptor checks are those of
/// `docs/abi.md` §8 step 4).
pub(crate) fn open_url(
    path: &Path,
    expected_world_json: &Arc<str>,
    imports: *const c_void,
    options: &crate::isolation::Options,
) -> Option<Result<Arc<Plugin>, LoadError>> {
    if !is_url(path) {
        return None;
    }
    #[cfg(feature = "remote")]
    {
        Some(client::open(
            path,
            expected_world_json.clone(),
            imports,
            ClientOptions::from_env(options),
        ))
    }
    #[cfg(not(feature = "remote"))]
    {
        let _ = (expected_world_json, imports, options);
        Some(Err(io_error(
            path,
            "this plugport runtime was built without remote plugins (the `remote` cargo \
             feature of the plugport crate; libplugport and the plugport CLI have it)"
                .into(),
        )))
    }
}

/// A [`LoadError::Io`] for a URL.
pub(crate) fn io_error(path: &Path, message: String) -> LoadError {
    LoadError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(message),
    }
}

#[cfg(feature = "remote")]
pub use client::Remote;

/// The remote state of a plugin opened by URL (its server's URL, why its last session
/// ended); `None` for a plugin opened from a file.
#[cfg(feature = "remote")]
pub fn of(plugin: &Plugin) -> Option<&Remote> {
    plugin.backing()?.as_any().downcast_ref::<Remote>()
}

/// The `<table>.<slot>` name of every slot of `plan`'s tables, by table and slot index:
/// what error messages call a remote call.
#[cfg(feature = "remote")]
pub(crate) fn slot_names(plan: &crate::plan::Plan) -> Vec<Vec<String>> {
    plan.tables()
        .map(|t| {
            t.slots
                .iter()
                .map(|s| format!("{}.{}", t.c_name, s.name))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_refuse() {
        let u = Url::parse("grpc://127.0.0.1:5000").unwrap();
        assert_eq!((u.tls, u.host.as_str(), u.port), (false, "127.0.0.1", 5000));
        assert_eq!(u.http(), "http://127.0.0.1:5000");
        let u = Url::parse("grpcs://[::1]:443/").unwrap();
        assert_eq!((u.tls, u.server_name(), u.port), (true, "::1", 443));
        assert_eq!(u.to_string(), "grpcs://[::1]:443");
        for bad in [
            "grpc://host",
            "grpc://:80",
            "grpc://h:0",
            "grpc://h:99999",
            "grpc://h:80/x",
            "http://h:80",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad} was accepted");
        }
        let l = Url::parse_list("grpc://a:1, grpc://b:2").unwrap();
        assert_eq!((l[0].port, l[1].host.as_str()), (1, "b"));
        assert!(Url::parse_list("grpc://a:1,grpcs://b:2").is_err());
        assert!(Url::parse_list("grpc://a:1,b:2").is_err());
        assert!(is_url(Path::new("grpcs://h:1")));
        assert!(!is_url(Path::new("./grpc:/x.so")));
    }
}
