//! The host's side of the per-world wire (`docs/remote.md`, "The per-world wire"): a
//! server whose `Describe` says `wire: "proto"` (any gRPC server written from the
//! `.proto` of `plugport gen --lang proto`, such as `tests/remote/python/greeter_server.py`)
//! is called through the same IR-driven proxy tables as every other plugin. The
//! [`Transport`] below turns each call's wire-encoded arguments into the rpc's request
//! message ([`ProtoCodec`]), calls `/<package>.<Service>/<Rpc>`, and turns the response
//! back into the wire-encoded result.
//!
//! **Imports.** When the world has imports or exported resources, every rpc is a bidi
//! stream: the host sends `Input{call}`; the server may send `Output{import_call}` (the
//! world's `ImportCall`, a oneof over the imported functions and then the methods and
//! `Drop` of exported resources, called on objects the host made), which the host serves
//! on the calling thread and
//! answers with `Input{import_return}`; the server ends with `Output{result}`. An import
//! that calls the plugin back opens a new rpc.
//!
//! **Faults** follow the session wire's table: a status of the server or the connection
//! is `PP_ERR_ISOLATION` with a message naming the URL; a deadline, arguments over the
//! limit, as there. Resource handles cross as `uint64` ids (`crate::protomap`).
//!
//! **Scopes.** Each open has its own connection, which `plugport serve` makes a scope
//! with its own instance of the plugin; every answer names the scope
//! (`plugport-scope`). The host sends the scope it knows with each call, so that after
//! the channel reconnected (a new connection: a new scope, without the old objects) the
//! server refuses the call before it runs; the host then moves to the new scope: its
//! proxy handles of the old one are refused from then on (a new epoch) and the host ends
//! its own objects the old scope held, as after a session is lost on the session wire.
//! A server that names no scope (any other gRPC server) is not checked.
//!
//! **Failover.** With a list of URLs, a call that finds the connection lost marks it;
//! the next call connects to the next server of the list that answers `Describe` with
//! the world checked at the open (a new scope, as above). With one URL, tonic's channel
//! reconnects to the same server.

use std::ffi::c_void;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage, Value};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use super::conn::{grpc, runtime, status_text};
use super::protocodec::{pool_of, ProtoCodec};
use super::protoserve::SCOPE_HEADER;
use super::{ClientOptions, Url};
use crate::abi::PP_OK;
use crate::compat::Compat;
use crate::descriptor::Descriptor;
use crate::error::LoadError;
use crate::isolation::endpoint::{Endpoint, Role, Transport};
use crate::isolation::frames::{Frame as IsoFrame, Kind};
use crate::loader::Plugin;
use crate::plan::Plan;
use crate::protomap::{map_world, ProtoMap};

/// A tonic codec of [`DynamicMessage`]s: encodes any, decodes messages of `decode`.
#[derive(Clone)]
pub struct DynCodec {
    decode: MessageDescriptor,
}

impl DynCodec {
    /// Decodes answers as messages of `decode`.
    pub fn new(decode: MessageDescriptor) -> DynCodec {
        DynCodec { decode }
    }
}

/// The encoder of [`DynCodec`].
pub struct DynEncoder;
/// The decoder of [`DynCodec`].
pub struct DynDecoder(MessageDescriptor);

impl Codec for DynCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynEncoder;
    type Decoder = DynDecoder;
    fn encoder(&mut self) -> DynEncoder {
        DynEncoder
    }
    fn decoder(&mut self) -> DynDecoder {
        DynDecoder(self.decode.clone())
    }
}

impl Encoder for DynEncoder {
    type Item = DynamicMessage;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: DynamicMessage,
        dst: &mut EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        item.encode(dst)
            .map_err(|e| tonic::Status::internal(format!("encoding a message: {e}")))
    }
}

impl Decoder for DynDecoder {
    type Item = DynamicMessage;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, tonic::Status> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| {
                tonic::Status::invalid_argument(format!(
                    "the answer is not a valid {}: {e}",
                    self.0.full_name()
                ))
            })
    }
}

/// The transport of a per-world open.
pub(crate) struct ProtoClient {
    /// The servers of the URL list.
    urls: Vec<Url>,
    /// The channel in use and the index of its server in `urls`.
    active: Mutex<(Channel, usize)>,
    /// A call found the connection lost: the next call fails over to the next server of
    /// the list that answers (lists of more than one server).
    lost: std::sync::atomic::AtomicBool,
    /// The fingerprint of the world checked at the open; a server failed over to must
    /// serve the same.
    fingerprint: String,
    opts: ClientOptions,
    max: usize,
    map: ProtoMap,
    pool: DescriptorPool,
    plan: Plan,
    names: Vec<Vec<String>>,
    /// The server's scope of this open's connection, once an answer named it.
    scope: Mutex<Option<String>>,
    /// Proxy handles of an earlier epoch (an earlier scope) are refused.
    epoch: AtomicU64,
}

/// The scope an answer's metadata names.
fn scope_of(md: &tonic::metadata::MetadataMap) -> Option<String> {
    md.get(SCOPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// What the rpc task reports to the calling thread.
enum Event {
    /// The scope the server's answer names (before its messages).
    Scope(String),
    Message(DynamicMessage),
    Status(tonic::Status),
    End,
}

impl ProtoClient {
    fn codec(&self) -> ProtoCodec<'_> {
        ProtoCodec {
            map: &self.map,
            plan: &self.plan,
            pool: &self.pool,
        }
    }

    fn name(&self, table: u32, slot: u32) -> String {
        self.names
            .get(table as usize)
            .and_then(|t| t.get(slot as usize))
            .cloned()
            .unwrap_or_else(|| format!("table {table} slot {slot}"))
    }

    fn desc(&self, full: &str) -> Result<MessageDescriptor, String> {
        self.pool
            .get_message_by_name(full)
            .ok_or_else(|| format!("no message {full}"))
    }

    fn deadline_error(&self, what: &str, url: &Url) -> String {
        format!(
            "{what}: the call did not return within its deadline of {} ms from {url}; it was \
             abandoned (the server is sent the same deadline)",
            self.opts.call_timeout_ms
        )
    }

    /// The channel to call on and its server: the one in use, or, when a call found the
    /// connection lost and the list has more servers, a new channel to the next server
    /// from there that answers `Describe` with the world checked at the open. The host's
    /// objects held by the old server are ended and its handles refused (a new scope).
    fn current(&self, ep: &Endpoint) -> Result<(Channel, Url), String> {
        let mut g = self.active.lock().unwrap_or_else(|e| e.into_inner());
        if self.urls.len() < 2 || !self.lost.swap(false, Ordering::SeqCst) {
            return Ok((g.0.clone(), self.urls[g.1].clone()));
        }
        let start = (g.1 + 1) % self.urls.len();
        let (urls, opts, max, fingerprint) = (
            self.urls.clone(),
            self.opts.clone(),
            self.max,
            self.fingerprint.clone(),
        );
        let found = super::conn::block(async move {
            let mut errors = Vec::new();
            for k in 0..urls.len() {
                let i = (start + k) % urls.len();
                let url = &urls[i];
                let ch = match super::conn::connect(url.clone(), opts.clone()).await {
                    Ok(ch) => ch,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                match super::conn::describe(ch.clone(), max).await {
                    Ok(r) => match crate::descriptor::parse_world_json(&r.world_json) {
                        Ok((fp, _)) if fp == fingerprint => return Ok((ch, i)),
                        _ => errors.push(format!(
                            "{url} serves another plugin world than the one checked at the \
                             open"
                        )),
                    },
                    Err(st) => errors.push(format!("Describe on {url}: {}", status_text(&st))),
                }
            }
            Err(errors.join("; "))
        });
        match found {
            Ok((ch, i)) => {
                *g = (ch.clone(), i);
                drop(g);
                // A new connection: a new scope on the new server.
                let old = {
                    let mut s = self.scope.lock().unwrap_or_else(|e| e.into_inner());
                    *s = None;
                    self.epoch.fetch_add(1, Ordering::SeqCst)
                };
                ep.drop_all_local(old);
                Ok((ch, self.urls[i].clone()))
            }
            Err(e) => {
                self.lost.store(true, Ordering::SeqCst);
                Err(format!("failing over failed: {e}"))
            }
        }
    }

    /// A plugin's own failure (`plugport serve` sets the trailer): its status and message.
    fn plugin_status(st: &tonic::Status) -> Option<(i32, Vec<u8>)> {
        let v = st.metadata().get(super::protoserve::STATUS_TRAILER)?;
        let n: i32 = v.to_str().ok()?.parse().ok()?;
        (n != PP_OK).then(|| (n, st.message().as_bytes().to_vec()))
    }

    fn status_error(&self, what: &str, st: &tonic::Status, url: &Url) -> String {
        match st.code() {
            tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled => {
                self.lost.store(true, Ordering::SeqCst);
                format!(
                    "{what}: the connection to {url} was lost: {}",
                    status_text(st)
                )
            }
            _ => format!("{what}: the server {url} answered {}", status_text(st)),
        }
    }

    /// Serves one `ImportCall` on this thread: the `ImportReturn` to send.
    fn serve_import(&self, ep: &Endpoint, ic: &DynamicMessage) -> Result<DynamicMessage, String> {
        let ret_desc = self.desc(&self.map.full("ImportReturn"))?;
        let mut ret = DynamicMessage::new(ret_desc);
        let Some(i) = (0..self.map.imports.len()).find(|i| ic.has_field_by_number(*i as u32 + 2))
        else {
            ret.set_field_by_number(
                1,
                Value::String("the ImportCall names no import the host knows".into()),
            );
            return Ok(ret);
        };
        let imp = &self.map.imports[i];
        let n = i as u32 + 2;
        let req = ic.get_field_by_number(n).ok_or("no import field")?;
        let req = req.as_message().ok_or("the import call is not a message")?;
        let mut args = Vec::new();
        let fail = |m: String| -> DynamicMessage {
            let mut r = DynamicMessage::new(ret.descriptor());
            r.set_field_by_number(1, Value::String(m));
            r
        };
        if let Err(e) = self.codec().message_to_args(imp, req, &mut args) {
            return Ok(fail(format!(
                "the host refused the call of its {}: {e}",
                self.name(imp.table, imp.slot)
            )));
        }
        let frame = IsoFrame::new(Kind::ImportCall, 0, imp.table, imp.slot, 0).with_payload(args);
        let reply = ep.serve(&frame);
        if reply.status != PP_OK {
            return Ok(fail(format!(
                "the host's {} failed with status {}: {}",
                self.name(imp.table, imp.slot),
                reply.status,
                String::from_utf8_lossy(&reply.payload)
            )));
        }
        let result: Vec<_> = imp.result.into_iter().collect();
        let resp = self
            .codec()
            .to_message(&imp.response, 1, &result, &reply.payload)?;
        ret.set_field_by_number(n, Value::Message(resp));
        Ok(ret)
    }

    /// Takes `scope`, named by the answer to a call made in epoch `epoch`, as the open's:
    /// the first one named, or (`moved`) one that replaces the old one after a reconnect,
    /// which ends the old scope's objects here. An answer from before the epoch changed
    /// (a call on the channel before a failover) is ignored.
    fn learn_scope(&self, ep: &Endpoint, scope: String, moved: bool, epoch: u64) {
        let mut g = self.scope.lock().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        match &*g {
            Some(s) if *s == scope => {}
            None if !moved => *g = Some(scope),
            _ => {
                *g = Some(scope);
                let old = self.epoch.fetch_add(1, Ordering::SeqCst);
                drop(g);
                ep.drop_all_local(old);
            }
        }
    }

    fn call_inner(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        let what = self.name(table, slot);
        let rpc = self
            .map
            .rpc(table, slot)
            .ok_or_else(|| format!("{what} is not a function of the server's services"))?;
        let req = self
            .codec()
            .args_to_message(rpc, &args)
            .map_err(|e| format!("{what}: the arguments cannot be sent: {e}"))?;
        let (channel, url) = self.current(ep).map_err(|e| format!("{what}: {e}"))?;
        let epoch = self.epoch.load(Ordering::SeqCst);
        let len = req.encoded_len();
        if len > self.max {
            return Err(format!(
                "{what}: the arguments are {len} bytes, over the largest message of {} bytes \
                 that this host and {} both accept (PLUGPORT_MAX_MESSAGE_BYTES here); nothing \
                 was sent",
                self.max, url
            ));
        }
        let path = PathAndQuery::try_from(format!("/{}/{}", rpc.service, rpc.method))
            .map_err(|e| format!("{what}: bad rpc path: {e}"))?;
        let (tx, rx) = mpsc::channel::<Event>();
        let g = grpc(channel, self.max);
        let first = match &rpc.input {
            Some(inp) => {
                let mut m = DynamicMessage::new(self.desc(inp)?);
                m.set_field_by_number(1, Value::Message(req));
                m
            }
            None => req,
        };
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel::<DynamicMessage>();
        let decode = self.desc(rpc.output.as_deref().unwrap_or(&rpc.response))?;
        let codec = DynCodec::new(decode);
        // The deadline travels as `grpc-timeout`, so the server may stop working on an
        // abandoned call.
        let timeout = (self.opts.call_timeout_ms > 0)
            .then(|| Duration::from_millis(self.opts.call_timeout_ms as u64));
        // The scope this open's handles belong to: the server refuses the call when the
        // connection's scope is another.
        let known: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>> = self
            .scope
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref()
            .and_then(|s| s.parse().ok());
        if rpc.input.is_some() {
            let _ = out_tx.send(first);
            runtime().spawn(async move {
                let mut g = g;
                if let Err(e) = g.ready().await {
                    let _ = tx.send(Event::Status(tonic::Status::unavailable(
                        super::conn::error_text(&e),
                    )));
                    return;
                }
                let mut req = tonic::Request::new(
                    tokio_stream::wrappers::UnboundedReceiverStream::new(out_rx),
                );
                if let Some(t) = timeout {
                    req.set_timeout(t);
                }
                if let Some(s) = known {
                    req.metadata_mut().insert(SCOPE_HEADER, s);
                }
                match g.streaming(req, path, codec).await {
                    Err(st) => {
                        let _ = tx.send(Event::Status(st));
                    }
                    Ok(resp) => {
                        if let Some(s) = scope_of(resp.metadata()) {
                            let _ = tx.send(Event::Scope(s));
                        }
                        let mut inbound = resp.into_inner();
                        loop {
                            match inbound.message().await {
                                Ok(Some(m)) => {
                                    if tx.send(Event::Message(m)).is_err() {
                                        return;
                                    }
                                }
                                Ok(None) => {
                                    let _ = tx.send(Event::End);
                                    return;
                                }
                                Err(st) => {
                                    let _ = tx.send(Event::Status(st));
                                    return;
                                }
                            }
                        }
                    }
                }
            });
        } else {
            drop(out_rx);
            runtime().spawn(async move {
                let mut g = g;
                if let Err(e) = g.ready().await {
                    let _ = tx.send(Event::Status(tonic::Status::unavailable(
                        super::conn::error_text(&e),
                    )));
                    return;
                }
                let mut req = tonic::Request::new(first);
                if let Some(t) = timeout {
                    req.set_timeout(t);
                }
                if let Some(s) = known {
                    req.metadata_mut().insert(SCOPE_HEADER, s);
                }
                let ev = match g.unary(req, path, codec).await {
                    Ok(r) => {
                        if let Some(s) = scope_of(r.metadata()) {
                            let _ = tx.send(Event::Scope(s));
                        }
                        Event::Message(r.into_inner())
                    }
                    Err(st) => Event::Status(st),
                };
                let _ = tx.send(ev);
            });
        }
        let deadline = (self.opts.call_timeout_ms > 0)
            .then(|| Instant::now() + Duration::from_millis(self.opts.call_timeout_ms as u64));
        loop {
            let ev = match deadline {
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            let m = match ev {
                Ok(Event::Scope(s)) => {
                    self.learn_scope(ep, s, false, epoch);
                    continue;
                }
                Ok(Event::Message(m)) => m,
                Ok(Event::Status(st)) => {
                    if st.code() == tonic::Code::FailedPrecondition {
                        if let Some(s) = scope_of(st.metadata()) {
                            // Refused before it ran: the connection is a new one.
                            self.learn_scope(ep, s, true, epoch);
                            return Err(format!(
                                "{what}: the connection to {} was made again, and the server's \
                                 objects of the old one are gone (handles of them are \
                                 refused from now on); the call was not made",
                                url
                            ));
                        }
                    }
                    if let Some(s) = scope_of(st.metadata()) {
                        self.learn_scope(ep, s, false, epoch);
                    }
                    if let Some(r) = Self::plugin_status(&st) {
                        return Ok(r);
                    }
                    // tonic ends a call past its `grpc-timeout` itself, as may the server.
                    let expired = st.code() == tonic::Code::DeadlineExceeded
                        || (st.code() == tonic::Code::Cancelled
                            && st.message().contains("Timeout expired"));
                    if timeout.is_some() && expired {
                        return Err(self.deadline_error(&what, &url));
                    }
                    return Err(self.status_error(&what, &st, &url));
                }
                Ok(Event::End) => {
                    return Err(format!(
                        "{what}: the server {} ended the call without a result",
                        url
                    ))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(self.deadline_error(&what, &url))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("{what}: the call to {} ended", url))
                }
            };
            let resp = if rpc.output.is_some() {
                if m.has_field_by_number(2) {
                    let ic = m.get_field_by_number(2).ok_or("no import_call")?;
                    let ic = ic.as_message().ok_or("import_call is not a message")?;
                    let ret = self.serve_import(ep, ic)?;
                    let mut inp =
                        DynamicMessage::new(self.desc(rpc.input.as_deref().unwrap_or(""))?);
                    inp.set_field_by_number(2, Value::Message(ret));
                    if out_tx.send(inp).is_err() {
                        return Err(format!("{what}: the call to {} ended", url));
                    }
                    continue;
                }
                if !m.has_field_by_number(1) {
                    return Err(format!(
                        "{what}: the server {} sent an Output with neither result nor import_call",
                        url
                    ));
                }
                let r = m.get_field_by_number(1).ok_or("no result")?;
                r.as_message().ok_or("result is not a message")?.clone()
            } else {
                m
            };
            drop(out_tx);
            let mut out = Vec::new();
            let result: Vec<_> = rpc.result.into_iter().collect();
            self.codec()
                .from_message(&resp, 1, &result, &mut out)
                .map_err(|e| format!("{what}: the server {} sent a bad result: {e}", url))?;
            return Ok((PP_OK, out));
        }
    }
}

impl Transport for ProtoClient {
    fn call(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        self.call_inner(ep, table, slot, args)
    }
    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
}

/// What a per-world remote [`Plugin`] holds.
pub struct ProtoRemote {
    ep: Box<Endpoint>,
}

impl crate::loader::Backing for ProtoRemote {
    fn live_objects(&self) -> Option<usize> {
        None
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Drop for ProtoRemote {
    fn drop(&mut self) {
        self.ep.drop_all_local(u64::MAX);
    }
}

/// The open of a server that speaks the per-world wire, after `Describe` and the
/// compatibility check (`client::open`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn open(
    path: &Path,
    descriptor: Descriptor,
    compat: Compat,
    expected_world_json: Arc<str>,
    imports: *const c_void,
    opts: ClientOptions,
    channel: Channel,
    urls: Vec<Url>,
    active: usize,
    max: usize,
    plan: Plan,
) -> Result<Arc<Plugin>, LoadError> {
    let corrupt = |reason: String| LoadError::CorruptDescriptor {
        path: path.to_path_buf(),
        reason,
    };
    let map = map_world(&descriptor.world, &plan).map_err(corrupt)?;
    let pool = pool_of(&map).map_err(corrupt)?;
    let names = super::slot_names(&plan);
    let client = ProtoClient {
        urls,
        active: Mutex::new((channel, active)),
        lost: std::sync::atomic::AtomicBool::new(false),
        fingerprint: descriptor.fingerprint.clone(),
        opts,
        max,
        map,
        pool,
        plan: plan.clone(),
        names,
        scope: Mutex::new(None),
        epoch: AtomicU64::new(1),
    };
    let version = descriptor.world.package.table_version();
    let ep = Endpoint::new(Role::Host, plan, version, Box::new(client)).map_err(corrupt)?;
    ep.set_local(imports);
    let remote = Arc::new(ProtoRemote { ep });
    let exports = remote.ep.proxy_world();
    Ok(Plugin::new_backed(
        path,
        descriptor,
        compat,
        expected_world_json,
        imports,
        exports,
        remote,
    ))
}
