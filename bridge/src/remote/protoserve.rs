//! `plugport serve`'s side of the per-world wire (`docs/remote.md`, "The per-world
//! wire"): beside `plugport.remote.v1.Plugin`, the server answers the world's own
//! services of `plugport gen --lang proto`, so that a gRPC client written from the
//! `.proto` in any language, or a plugport host forced to that wire
//! (`PLUGPORT_REMOTE_WIRE=proto`), calls the plugin file it serves.
//!
//! **Scopes.** There is no session on this wire; instead each connection (and within it
//! each value of the client's optional `plugport-session` metadata) is a scope with its
//! own instance of the plugin, loaded at the scope's first call (isolated in a child
//! process as the sessions' are; a crash fails the calls in flight and the next call
//! restarts it), so its objects and handle ids are its own. When the connection closes,
//! its scopes end: their instances and every object in them. Every answer carries the
//! scope's id (`plugport-scope`, unique across server runs); a call that names another
//! scope than its own (a client that reconnected and still holds handles of the old one)
//! is refused with `FAILED_PRECONDITION` before it runs.
//! Each call runs on a thread of tokio's blocking pool; the imports the plugin calls
//! during it, and its calls on objects the host made (methods and drops of an exported
//! resource), go back on the call's own stream as `ImportCall`s (a thread-local names the
//! stream), and an `ImportReturn` answers each.
//!
//! A call the plugin fails with a status other than `PP_OK` is the gRPC status `UNKNOWN`
//! with the plugin's message and the trailer `plugport-status: <status>`, which a
//! plugport host turns back into that status.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};
use tonic::codegen::{http, Body, BoxFuture, Context, Poll, StdError};

use super::connscope::{conn_id, ConnId};
use super::protocodec::{pool_of, ProtoCodec};
use super::protowire::DynCodec;
use super::server::Instance;
use crate::abi::{PP_ERR_ISOLATION, PP_OK};
use crate::ir::World;
use crate::isolation::endpoint::{Endpoint, Transport};
use crate::isolation::frames::{Frame as IsoFrame, Kind};
use crate::plan::Plan;
use crate::protomap::{map_world, ProtoMap};

/// The trailer that carries a plugin's own `pp_status` of a failed call.
pub const STATUS_TRAILER: &str = "plugport-status";

/// Request metadata: a client's name for a scope within its connection (optional; at
/// most 128 visible ASCII characters).
pub const SESSION_HEADER: &str = "plugport-session";

/// Response metadata: the id of the call's scope. Request metadata: the scope the
/// client's handles belong to; a call from another scope is refused.
pub const SCOPE_HEADER: &str = "plugport-scope";

/// One client's scope: its own instance of the plugin.
struct Scope {
    /// Unique across server runs (a random base plus a counter).
    id: u64,
    instance: Mutex<Option<Arc<Instance>>>,
}

/// Loads an instance of the served plugin whose imports go through the transport.
pub(super) type OpenInstance =
    Box<dyn Fn(Box<dyn Transport>) -> Result<Arc<Instance>, String> + Send + Sync>;

type OutTx = tokio::sync::mpsc::UnboundedSender<Result<DynamicMessage, tonic::Status>>;

/// The stream of one streaming call: where its import calls go and their answers come.
struct RpcCtx {
    out: OutTx,
    /// The `Output` message of the rpc (wraps `import_call`).
    output: MessageDescriptor,
    returns: Mutex<mpsc::Receiver<DynamicMessage>>,
}

thread_local! {
    /// The streaming call this thread serves.
    static CURRENT_RPC: RefCell<Option<Arc<RpcCtx>>> = const { RefCell::new(None) };
}

/// Field `n` of `m` when it is set and a message.
fn message_field(m: &DynamicMessage, n: u32) -> Option<DynamicMessage> {
    if !m.has_field_by_number(n) {
        return None;
    }
    m.get_field_by_number(n)?.as_message().cloned()
}

/// The per-world services of one served world.
pub(super) struct PerWorld {
    map: ProtoMap,
    pool: DescriptorPool,
    plan: Plan,
    max: usize,
    shutdown: tokio::sync::watch::Receiver<bool>,
    open: OpenInstance,
    /// The scopes by connection and `plugport-session` value.
    scopes: Mutex<HashMap<(ConnId, String), Arc<Scope>>>,
    next_scope: AtomicU64,
    /// Calls being served (for SIGTERM's grace period).
    inflight: AtomicUsize,
}

/// Counts a call in [`PerWorld::inflight`] while it lives.
struct InFlight(Arc<PerWorld>);

impl InFlight {
    fn new(pw: &Arc<PerWorld>) -> InFlight {
        pw.inflight.fetch_add(1, Ordering::SeqCst);
        InFlight(pw.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The imports of a scope's instance: back to the streaming call this thread serves.
struct RpcImports(Weak<PerWorld>);

impl Transport for RpcImports {
    fn call(
        &self,
        _ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        let pw = self.0.upgrade().ok_or("the server is ending")?;
        let ctx = CURRENT_RPC.with(|c| c.borrow().clone()).ok_or(
            "an import was called outside a call of the per-world services (from a thread the \
             plugin started itself, or while loading): imports are served only during a call",
        )?;
        let (i, imp) = pw
            .map
            .imports
            .iter()
            .enumerate()
            .find(|(_, r)| r.table == table && r.slot == slot)
            .ok_or_else(|| {
                format!(
                    "table {table} slot {slot} is neither an import nor a method or drop of \
                     an exported resource: the per-world wire does not carry it"
                )
            })?;
        let codec = pw.codec();
        let req = codec.args_to_message(imp, &args)?;
        let mut ic = DynamicMessage::new(pw.desc(&pw.map.full("ImportCall"))?);
        ic.set_field_by_number(i as u32 + 2, Value::Message(req));
        let mut out = DynamicMessage::new(ctx.output.clone());
        out.set_field_by_number(2, Value::Message(ic));
        ctx.out
            .send(Ok(out))
            .map_err(|_| "the host ended the call while the plugin called an import")?;
        let ret = ctx
            .returns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .recv()
            .map_err(|_| "the host ended the call while the plugin waited for an import")?;
        if ret.has_field_by_number(1) {
            let m = ret
                .get_field_by_number(1)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            return Ok((PP_ERR_ISOLATION, m.into_bytes()));
        }
        let n = i as u32 + 2;
        if !ret.has_field_by_number(n) {
            return Err(format!(
                "the host's ImportReturn answers another import than {}",
                imp.method
            ));
        }
        let resp = message_field(&ret, n).ok_or("the import's result is not a message")?;
        let mut bytes = Vec::new();
        let result: Vec<_> = imp.result.into_iter().collect();
        codec.from_message(&resp, 1, &result, &mut bytes)?;
        Ok((PP_OK, bytes))
    }

    fn epoch(&self) -> u64 {
        0
    }
}

impl PerWorld {
    /// The services of `world`; an error when the world has no mapping.
    pub(super) fn new(
        world: &World,
        max: usize,
        shutdown: tokio::sync::watch::Receiver<bool>,
        open: OpenInstance,
    ) -> Result<Arc<PerWorld>, String> {
        let plan = Plan::new(world)?;
        let map = map_world(world, &plan)?;
        let pool = pool_of(&map)?;
        Ok(Arc::new(PerWorld {
            map,
            pool,
            plan,
            max,
            shutdown,
            open,
            scopes: Mutex::new(HashMap::new()),
            // A random base, so that a restarted server never reuses an id.
            next_scope: AtomicU64::new({
                use std::hash::{BuildHasher, Hasher};
                std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish()
                    >> 16
            }),
            inflight: AtomicUsize::new(0),
        }))
    }

    /// How many calls are being served (from their arrival to their answer).
    pub(super) fn inflight(&self) -> usize {
        self.inflight.load(Ordering::SeqCst)
    }

    fn codec(&self) -> ProtoCodec<'_> {
        ProtoCodec {
            map: &self.map,
            plan: &self.plan,
            pool: &self.pool,
        }
    }

    fn desc(&self, full: &str) -> Result<MessageDescriptor, String> {
        self.pool
            .get_message_by_name(full)
            .ok_or_else(|| format!("no message {full}"))
    }

    /// Adds a route for each of the world's services to `routes`.
    pub(super) fn routes(
        self: &Arc<Self>,
        routes: tonic::service::Routes,
    ) -> tonic::service::Routes {
        let mut services: Vec<&str> = self.map.rpcs.iter().map(|r| r.service.as_str()).collect();
        services.dedup();
        let mut router = routes.into_axum_router();
        for s in services {
            router = router.route_service(&format!("/{s}/{{*rest}}"), PerWorldSvc(self.clone()));
        }
        router.into()
    }

    /// The scope of connection `conn` (`None`: a connection not accepted through
    /// `ConnStream`, one shared scope) and `plugport-session` value `key`.
    fn scope(&self, conn: Option<ConnId>, key: &str) -> Arc<Scope> {
        let k = (conn.unwrap_or(ConnId(0)), key.to_string());
        let mut g = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        g.entry(k)
            .or_insert_with(|| {
                Arc::new(Scope {
                    id: self.next_scope.fetch_add(1, Ordering::Relaxed),
                    instance: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Ends the scopes of a connection that closed: their instances end (on a thread
    /// of their own: ending a child blocks) once their calls in flight are done.
    pub(super) fn connection_closed(&self, conn: ConnId) {
        let ended: Vec<Arc<Scope>> = {
            let mut g = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
            let keys: Vec<_> = g.keys().filter(|k| k.0 == conn).cloned().collect();
            keys.iter().filter_map(|k| g.remove(k)).collect()
        };
        if ended.is_empty() {
            return;
        }
        // Off the runtime's thread: a scope's instance may be loading (its lock held),
        // and ending a child blocks.
        let _ = std::thread::Builder::new()
            .name("plugport-scope-end".into())
            .spawn(move || {
                for scope in ended {
                    let inst = scope
                        .instance
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take();
                    if inst.is_some() && std::env::var_os("PLUGPORT_SERVE_LOG").is_some() {
                        eprintln!(
                            "plugport serve: per-world scope {} ended: its connection closed",
                            scope.id
                        );
                    }
                    drop(inst);
                }
            });
    }

    /// The instance of `scope`, loaded at its first call.
    fn instance(self: &Arc<Self>, scope: &Scope) -> Result<Arc<Instance>, tonic::Status> {
        let mut g = scope.instance.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = &*g {
            return Ok(i.clone());
        }
        let inst = (self.open)(Box::new(RpcImports(Arc::downgrade(self)))).map_err(|j| {
            tonic::Status::unavailable(format!("the plugin does not load on the server: {j}"))
        })?;
        if std::env::var_os("PLUGPORT_SERVE_LOG").is_some() {
            eprintln!(
                "plugport serve: the per-world services' instance loaded for scope {}",
                scope.id
            );
        }
        *g = Some(inst.clone());
        Ok(inst)
    }

    /// Serves one call of rpc `i` (on a blocking thread): the response message, or the
    /// status of the failure. `deadline`: the client's (`grpc-timeout`), at which the
    /// isolated instance's call is given up as at `--call-timeout-ms`.
    fn call(
        self: &Arc<Self>,
        scope: &Scope,
        i: usize,
        req: DynamicMessage,
        ctx: Option<Arc<RpcCtx>>,
        deadline: Deadline,
    ) -> Result<DynamicMessage, tonic::Status> {
        if *self.shutdown.borrow() {
            return Err(tonic::Status::unavailable(
                "the server is shutting down: the call was refused",
            ));
        }
        let rpc = &self.map.rpcs[i];
        let mut args = Vec::new();
        self.codec()
            .message_to_args(rpc, &req, &mut args)
            .map_err(|e| tonic::Status::invalid_argument(format!("{}: {e}", rpc.method)))?;
        let inst = self.instance(scope)?;
        let prev = CURRENT_RPC.with(|c| c.replace(ctx));
        let start = Instant::now();
        let reply = crate::isolation::with_call_deadline(deadline, || {
            inst.ep
                .serve(&IsoFrame::new(Kind::Call, 0, rpc.table, rpc.slot, 0).with_payload(args))
        });
        CURRENT_RPC.with(|c| c.replace(prev));
        if let Some((at, ms)) = deadline {
            super::server::log_given_up(0, rpc.table, rpc.slot, reply.status, start, at, ms);
        }
        if reply.status != PP_OK {
            let mut st =
                tonic::Status::unknown(String::from_utf8_lossy(&reply.payload).into_owned());
            if let Ok(v) = reply.status.to_string().parse() {
                st.metadata_mut().insert(STATUS_TRAILER, v);
            }
            return Err(st);
        }
        let result: Vec<_> = rpc.result.into_iter().collect();
        let resp = self
            .codec()
            .to_message(&rpc.response, 1, &result, &reply.payload)
            .map_err(|e| tonic::Status::internal(format!("{}: the result: {e}", rpc.method)))?;
        Ok(resp)
    }
}

/// A call's deadline: the instant and its length in ms.
type Deadline = Option<(Instant, u32)>;

/// The deadline a client sent as `grpc-timeout` (`<digits><unit>`, unit `H M S m u n`),
/// counted from now; `None` without one or when it does not parse. Below 1 ms it is
/// 1 ms; over `u32::MAX` ms, none.
fn grpc_timeout(headers: &http::HeaderMap) -> Deadline {
    let v = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    let d = match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    };
    let ms = u32::try_from(d.as_millis().max(1)).ok()?;
    Some((Instant::now() + d, ms))
}

/// The tower service of the world's services.
#[derive(Clone)]
struct PerWorldSvc(Arc<PerWorld>);

struct Unary(Arc<PerWorld>, usize, Deadline, Arc<Scope>);

impl tonic::server::UnaryService<DynamicMessage> for Unary {
    type Response = DynamicMessage;
    type Future = BoxFuture<tonic::Response<DynamicMessage>, tonic::Status>;
    fn call(&mut self, req: tonic::Request<DynamicMessage>) -> Self::Future {
        let (pw, i, deadline, scope) = (self.0.clone(), self.1, self.2, self.3.clone());
        let counted = InFlight::new(&pw);
        Box::pin(async move {
            let req = req.into_inner();
            tokio::task::spawn_blocking(move || {
                let _counted = counted;
                pw.call(&scope, i, req, None, deadline)
            })
            .await
            .map_err(|e| tonic::Status::internal(format!("the call panicked: {e}")))?
            .map(tonic::Response::new)
        })
    }
}

type OutStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<DynamicMessage, tonic::Status>> + Send + 'static>,
>;

struct Streaming(Arc<PerWorld>, usize, Deadline, Arc<Scope>);

impl tonic::server::StreamingService<DynamicMessage> for Streaming {
    type Response = DynamicMessage;
    type ResponseStream = OutStream;
    type Future = BoxFuture<tonic::Response<OutStream>, tonic::Status>;
    fn call(&mut self, req: tonic::Request<tonic::Streaming<DynamicMessage>>) -> Self::Future {
        let (pw, i, deadline, scope) = (self.0.clone(), self.1, self.2, self.3.clone());
        let counted = InFlight::new(&pw);
        Box::pin(async move {
            let mut inbound = req.into_inner();
            let first = inbound.message().await?.ok_or_else(|| {
                tonic::Status::invalid_argument("the stream ended before the call")
            })?;
            if !first.has_field_by_number(1) {
                return Err(tonic::Status::invalid_argument(
                    "the first message of the stream must hold the call",
                ));
            }
            let call = message_field(&first, 1)
                .ok_or_else(|| tonic::Status::invalid_argument("the call is not a message"))?;
            let rpc = &pw.map.rpcs[i];
            let output = pw
                .desc(rpc.output.as_deref().unwrap_or_default())
                .map_err(tonic::Status::internal)?;
            let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
            let (ret_tx, ret_rx) = mpsc::channel();
            let ctx = Arc::new(RpcCtx {
                out: out_tx.clone(),
                output: output.clone(),
                returns: Mutex::new(ret_rx),
            });
            tokio::spawn(async move {
                while let Ok(Some(m)) = inbound.message().await {
                    if let Some(r) = message_field(&m, 2) {
                        if ret_tx.send(r).is_err() {
                            return;
                        }
                    }
                }
            });
            tokio::task::spawn_blocking(move || {
                let _counted = counted;
                let r = pw.call(&scope, i, call, Some(ctx), deadline).map(|resp| {
                    let mut out = DynamicMessage::new(output);
                    out.set_field_by_number(1, Value::Message(resp));
                    out
                });
                let _ = out_tx.send(r);
            });
            let s: OutStream =
                Box::pin(tokio_stream::wrappers::UnboundedReceiverStream::new(out_rx));
            Ok(tonic::Response::new(s))
        })
    }
}

impl<B> tonic::codegen::Service<http::Request<B>> for PerWorldSvc
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let pw = self.0.clone();
        let path = req.uri().path().to_string();
        let found = pw
            .map
            .rpcs
            .iter()
            .position(|r| path == format!("/{}/{}", r.service, r.method));
        let lim = pw.max + super::conn::FRAME_OVERHEAD;
        let deadline = grpc_timeout(req.headers());
        let conn = conn_id(req.extensions());
        let header = |n: &str| {
            req.headers()
                .get(n)
                .map(|v| v.to_str().map(str::to_string).map_err(|_| ()))
        };
        let key = header(SESSION_HEADER);
        let expected = header(SCOPE_HEADER);
        let refuse = |st: tonic::Status| {
            let (parts, ()) = st.into_http::<()>().into_parts();
            Ok(http::Response::from_parts(
                parts,
                tonic::body::Body::empty(),
            ))
        };
        Box::pin(async move {
            let Some(i) = found else {
                return refuse(tonic::Status::unimplemented(format!("no rpc {path}")));
            };
            let key = match key {
                None => String::new(),
                Some(Ok(k)) if k.len() <= 128 => k,
                Some(_) => {
                    return refuse(tonic::Status::invalid_argument(format!(
                        "{SESSION_HEADER}: at most 128 visible ASCII characters"
                    )))
                }
            };
            let scope = pw.scope(conn, &key);
            let id: http::HeaderValue = scope.id.into();
            if let Some(e) = expected {
                if e.as_deref() != Ok(id.to_str().unwrap_or_default()) {
                    let mut st = tonic::Status::failed_precondition(format!(
                        "the call names scope {}, but its connection's scope is {} (the \
                         connection was made again: the objects of the old one are gone); \
                         the call was not made",
                        e.unwrap_or_default(),
                        scope.id
                    ));
                    st.metadata_mut()
                        .insert(SCOPE_HEADER, scope.id.to_string().parse().expect("digits"));
                    return refuse(st);
                }
            }
            let rpc = &pw.map.rpcs[i];
            let input = match pw.desc(rpc.input.as_deref().unwrap_or(&rpc.request)) {
                Ok(d) => d,
                Err(e) => {
                    let (parts, ()) = tonic::Status::internal(e).into_http::<()>().into_parts();
                    return Ok(http::Response::from_parts(
                        parts,
                        tonic::body::Body::empty(),
                    ));
                }
            };
            let mut grpc = tonic::server::Grpc::new(DynCodec::new(input))
                .apply_max_message_size_config(Some(lim), Some(lim));
            let mut resp = if rpc.input.is_some() {
                grpc.streaming(Streaming(pw.clone(), i, deadline, scope), req)
                    .await
            } else {
                grpc.unary(Unary(pw.clone(), i, deadline, scope), req).await
            };
            resp.headers_mut().insert(SCOPE_HEADER, id);
            Ok(resp)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &str) -> Option<u32> {
        let mut h = http::HeaderMap::new();
        h.insert("grpc-timeout", v.parse().unwrap());
        grpc_timeout(&h).map(|d| d.1)
    }

    /// Every unit of `grpc-timeout`, rounding below 1 ms up, and what does not parse.
    #[test]
    fn grpc_timeout_parses_every_unit() {
        assert_eq!(ms("2H"), Some(7_200_000));
        assert_eq!(ms("3M"), Some(180_000));
        assert_eq!(ms("4S"), Some(4_000));
        assert_eq!(ms("250m"), Some(250));
        assert_eq!(ms("1500u"), Some(1));
        assert_eq!(ms("7n"), Some(1));
        assert_eq!(ms("99999999H"), None, "over u32::MAX ms: none");
        assert_eq!(ms("5x"), None);
        assert_eq!(ms("m"), None);
        assert_eq!(grpc_timeout(&http::HeaderMap::new()), None);
    }
}
