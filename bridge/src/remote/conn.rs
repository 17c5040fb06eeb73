//! The connection side of the remote client: the runtime that drives connections,
//! connecting (plaintext or TLS, with failover over several URLs), `Describe`, and
//! error texts with their causes.

use std::path::PathBuf;
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use super::pb;
use super::{ClientOptions, Url};

/// Bytes a gRPC message may carry beyond the largest payload (the frame's other fields).
pub(super) const FRAME_OVERHEAD: usize = 64;

/// The runtime that drives every remote open's connections (2 worker threads, started on
/// first use). Host threads never run on it: they wait on channels.
pub(super) fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("plugport-grpc")
            .enable_all()
            .build()
            .expect("start the plugport gRPC runtime")
    })
}

/// Runs `f` on the runtime and waits for it on this thread (which may be any thread).
pub(super) fn block<F>(f: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv().expect("the plugport gRPC runtime dropped a task")
}

/// A gRPC status as text, with its transport cause (`Unavailable: tcp connect error
/// (Connection refused)`).
pub(super) fn status_text(s: &tonic::Status) -> String {
    let mut out = format!("{:?}: {}", s.code(), s.message());
    let mut src = std::error::Error::source(s);
    while let Some(e) = src {
        let t = e.to_string();
        if !out.contains(&t) {
            out.push_str(&format!(" ({t})"));
        }
        src = e.source();
    }
    out
}

pub(super) fn error_text(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(&format!(": {t}"));
        }
        src = s.source();
    }
    out
}

pub(super) async fn connect(url: Url, o: ClientOptions) -> Result<Channel, String> {
    let mut ep = tonic::transport::Endpoint::from_shared(url.http())
        .map_err(|e| format!("{url}: {}", error_text(&e)))?
        .connect_timeout(Duration::from_millis(o.connect_timeout_ms as u64))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true);
    if url.tls {
        let read = |p: &PathBuf, what: &str| {
            std::fs::read(p)
                .map_err(|e| format!("{url}: cannot read the {what} {}: {e}", p.display()))
        };
        let mut tls = ClientTlsConfig::new().domain_name(url.server_name());
        match &o.tls_ca {
            Some(ca) => {
                tls = tls.ca_certificate(Certificate::from_pem(read(ca, "CA certificate")?))
            }
            None => {
                return Err(format!(
                    "{url}: a grpcs:// open needs the CA certificate that signed the \
                     server's certificate: set PLUGPORT_TLS_CA to its PEM file"
                ))
            }
        }
        match (&o.tls_cert, &o.tls_key) {
            (Some(c), Some(k)) => {
                tls = tls.identity(Identity::from_pem(
                    read(c, "client certificate")?,
                    read(k, "client key")?,
                ))
            }
            (None, None) => {}
            _ => {
                return Err(format!(
                    "{url}: mutual TLS needs both PLUGPORT_TLS_CERT and PLUGPORT_TLS_KEY"
                ))
            }
        }
        ep = ep
            .tls_config(tls)
            .map_err(|e| format!("{url}: TLS configuration: {}", error_text(&e)))?;
    }
    let limit = Duration::from_millis(o.connect_timeout_ms as u64);
    match tokio::time::timeout(limit, ep.connect()).await {
        Ok(Ok(ch)) => Ok(ch),
        Ok(Err(e)) => Err(format!("cannot connect to {url}: {}", error_text(&e))),
        Err(_) => Err(format!(
            "cannot connect to {url}: no connection within {} ms (PLUGPORT_CONNECT_TIMEOUT_MS)",
            o.connect_timeout_ms
        )),
    }
}

/// Connects to the first reachable of `urls`, trying them in turn from index `start`
/// (failover, `docs/remote.md`): the channel and the index of the URL it reached.
pub(super) async fn connect_any(
    urls: Vec<Url>,
    start: usize,
    o: ClientOptions,
) -> Result<(Channel, usize), String> {
    let mut errors = Vec::new();
    for k in 0..urls.len() {
        let i = (start + k) % urls.len();
        match connect(urls[i].clone(), o.clone()).await {
            Ok(ch) => return Ok((ch, i)),
            Err(e) => errors.push(e),
        }
    }
    Err(errors.join("; "))
}

pub(super) fn grpc(ch: Channel, max: usize) -> tonic::client::Grpc<Channel> {
    tonic::client::Grpc::new(ch)
        .max_decoding_message_size(max + FRAME_OVERHEAD)
        .max_encoding_message_size(max + FRAME_OVERHEAD)
}

pub(super) async fn describe(ch: Channel, max: usize) -> Result<pb::DescribeReply, tonic::Status> {
    let mut g = grpc(ch, max.max(1 << 20));
    g.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(error_text(&e)))?;
    let codec = tonic_prost::ProstCodec::<pb::DescribeRequest, pb::DescribeReply>::default();
    g.unary(
        tonic::Request::new(pb::DescribeRequest {}),
        PathAndQuery::from_static(pb::DESCRIBE_PATH),
        codec,
    )
    .await
    .map(tonic::Response::into_inner)
}
