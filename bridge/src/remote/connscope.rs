//! The connections `plugport serve` accepts, numbered, with a hook when each closes: the
//! per-world services scope their objects to a connection (`docs/remote.md`, "Scopes on
//! the per-world wire"), and a connection that closes ends its scopes.
//!
//! [`ConnStream`] wraps an accepted TCP stream; tonic puts its [`ConnId`] into every
//! request's extensions (over TLS too, beside its `TlsConnectInfo`), where [`conn_id`]
//! finds it.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tonic::transport::server::Connected;

/// The number of an accepted connection (from 1, in order of acceptance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ConnId(pub u64);

/// Called with a connection's number when it closes.
pub(super) type OnClose = Arc<dyn Fn(ConnId) + Send + Sync>;

/// An accepted connection: the TCP stream, its number, and what to call when hyper drops
/// it (the connection ended, whichever side closed it).
pub(super) struct ConnStream {
    io: TcpStream,
    id: ConnId,
    on_close: Option<OnClose>,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

impl ConnStream {
    /// Numbers `io`; `on_close` runs when it is dropped.
    pub(super) fn new(io: TcpStream, on_close: Option<OnClose>) -> ConnStream {
        let _ = io.set_nodelay(true);
        ConnStream {
            io,
            id: ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed)),
            on_close,
        }
    }
}

impl Drop for ConnStream {
    fn drop(&mut self) {
        if let Some(f) = self.on_close.take() {
            f(self.id);
        }
    }
}

impl Connected for ConnStream {
    type ConnectInfo = ConnId;
    fn connect_info(&self) -> ConnId {
        self.id
    }
}

impl AsyncRead for ConnStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The number of the connection a request came on (plaintext or TLS), when it came
/// through a [`ConnStream`].
pub(super) fn conn_id(ext: &tonic::codegen::http::Extensions) -> Option<ConnId> {
    ext.get::<ConnId>().copied()
}
