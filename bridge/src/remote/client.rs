//! The host's side of a remote plugin: the open (descriptor, checks, first session) and
//! the [`Transport`] of the host's proxy tables over a gRPC session.
//!
//! **Sessions.** An open holds one `Session` stream at a time. Calls from any number of
//! host threads are multiplexed on it by call id: each calling thread registers its id,
//! sends `CALL` and waits on a channel of its own; one reader task routes `RETURN`s by
//! call id and `IMPORT_CALL`s by `parent` (the call they serve) to the waiting thread,
//! which serves the import itself (so imports run on the thread that made the call, as
//! with isolation) and answers `IMPORT_RETURN`. A nested export call from inside an import
//! is just another call on the session.
//!
//! **Faults.** When the stream fails or ends, every call in flight fails with
//! [`PP_ERR_ISOLATION`](crate::abi::PP_ERR_ISOLATION) and a message naming the URL and the
//! cause; the next call opens a new session (a new connection), whose epoch differs, so
//! proxy handles of the old session are refused. A call past its deadline fails alone,
//! and the session goes on.
//!
//! **Deadlines.** A call's deadline travels in its `CALL` (`deadline_ms`); the server
//! gives up on the call when it passes (an isolated instance's child is killed, as at
//! `--call-timeout-ms`) and answers with that error. The host waits
//! [`DEADLINE_MARGIN`] more for that answer, so that its next call finds the server's
//! instance already restarted, then abandons the call itself (a server that cannot
//! stop: `--in-process`, or a network that lost the answer).

use std::collections::HashMap;
use std::ffi::c_void;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use super::conn::{block, connect_any, describe, error_text, grpc, runtime, status_text};
use super::pb::{self, kind, Frame};
use super::{io_error, ClientOptions, Url};
use crate::abi::{ABI_VERSION, PP_ERR_ISOLATION};
use crate::descriptor::{parse_world_json, Descriptor};
use crate::error::LoadError;
use crate::isolation::endpoint::{Endpoint, Role, Transport};
use crate::loader::Plugin;
use crate::plan::Plan;

/// How long past a call's deadline the host waits for the server's answer that it gave
/// up on the call (module docs).
pub(crate) const DEADLINE_MARGIN: Duration = Duration::from_millis(200);

/// One `Session` stream.
struct Session {
    epoch: u64,
    out: tokio::sync::mpsc::UnboundedSender<Frame>,
    /// Waiting threads by call id (0: the session's opening, for `READY`).
    pending: Mutex<HashMap<u64, mpsc::Sender<Frame>>>,
    /// Why the session ended, once it did.
    dead: Mutex<Option<String>>,
}

impl Session {
    fn is_dead(&self) -> bool {
        self.dead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    fn reason(&self) -> String {
        self.dead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| "the session ended".into())
    }

    /// Ends the session: every waiting thread wakes with the channel closed.
    fn fail(&self, reason: String) {
        {
            let mut d = self.dead.lock().unwrap_or_else(|e| e.into_inner());
            if d.is_none() {
                *d = Some(reason);
            }
        }
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn send(&self, f: Frame) -> Result<(), String> {
        if self.is_dead() {
            return Err(self.reason());
        }
        self.out.send(f).map_err(|_| self.reason())
    }

    fn register(&self, id: u64) -> mpsc::Receiver<Frame> {
        let (tx, rx) = mpsc::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        rx
    }

    fn unregister(&self, id: u64) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// The reader's routing: answers by call id, imports by the call they serve.
    fn route(&self, f: Frame) {
        let key = if f.kind == kind::IMPORT_CALL {
            f.parent
        } else {
            f.call_id
        };
        let tx = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        match tx {
            Some(tx) => {
                let _ = tx.send(f);
            }
            None if f.kind == kind::IMPORT_CALL => {
                // The call it serves was abandoned (its deadline passed): the plugin's
                // thread must not wait for an answer nobody will give.
                let _ = self.out.send(
                    Frame::new(
                        kind::IMPORT_RETURN,
                        f.call_id,
                        f.table,
                        f.slot,
                        PP_ERR_ISOLATION,
                    )
                    .with_payload(
                        b"the host abandoned the call this import serves (its deadline passed)"
                            .to_vec(),
                    ),
                );
            }
            None => {}
        }
    }
}

/// Why a session could not be opened.
enum StartError {
    /// Connecting or the stream failed.
    Connect(String),
    /// The server refused the session or could not load the plugin (JSON, as the
    /// isolation runner's load errors).
    Load(String),
}

struct ClientState {
    session: Option<Arc<Session>>,
    /// The channel `Describe` used, for the first session.
    first_channel: Option<Channel>,
    last_error: Option<String>,
}

/// The transport of a remote open.
pub(crate) struct Client {
    /// The URLs of the open: one server, or several serving the same plugin (failover).
    urls: Vec<Url>,
    /// The index in `urls` of the server of the current (or last) session.
    active: std::sync::atomic::AtomicUsize,
    opts: ClientOptions,
    /// The largest message both sides accept.
    max: usize,
    hello: String,
    state: Mutex<ClientState>,
    /// Held while a session is being opened.
    opening: Mutex<()>,
    next_call: AtomicU64,
    /// `table.slot` names for messages, by table and slot index.
    names: Vec<Vec<String>>,
    ep: OnceLock<usize>,
}

/// The open counter behind the round-robin of [`open`] over a URL list's servers.
static NEXT_OPEN: AtomicUsize = AtomicUsize::new(0);
static EPOCH: AtomicU64 = AtomicU64::new(1);

impl Client {
    fn endpoint(&self) -> Option<&Endpoint> {
        // SAFETY: set by `open` to the endpoint that owns this client (through its
        // transport), which lives as long as calls can arrive here.
        self.ep.get().map(|p| unsafe { &*(*p as *const Endpoint) })
    }

    /// The URL of the current (or last) session's server.
    fn url(&self) -> &Url {
        &self.urls[self.active.load(Ordering::Relaxed) % self.urls.len()]
    }

    fn name(&self, table: u32, slot: u32) -> String {
        self.names
            .get(table as usize)
            .and_then(|t| t.get(slot as usize))
            .cloned()
            .unwrap_or_else(|| format!("table {table} slot {slot}"))
    }

    /// Opens a session: connects (or uses `channel`), sends `HELLO`, and waits for
    /// `READY`, serving the imports the plugin's entry calls meanwhile on this thread.
    fn open_session(&self, channel: Option<Channel>) -> Result<Arc<Session>, StartError> {
        let channel = match channel {
            Some(c) => c,
            None => {
                // After a failure, the next server first (failover); the same one when
                // there is only one.
                let start = self.active.load(Ordering::Relaxed) + 1;
                let (ch, i) = block(connect_any(self.urls.clone(), start, self.opts.clone()))
                    .map_err(StartError::Connect)?;
                self.active.store(i, Ordering::Relaxed);
                ch
            }
        };
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
        let sess = Arc::new(Session {
            epoch: EPOCH.fetch_add(1, Ordering::Relaxed),
            out: out_tx,
            pending: Mutex::new(HashMap::new()),
            dead: Mutex::new(None),
        });
        let rx0 = sess.register(0);
        sess.send(
            Frame::new(kind::HELLO, 0, 0, 0, 0).with_payload(self.hello.clone().into_bytes()),
        )
        .map_err(StartError::Connect)?;
        let weak: Weak<Session> = Arc::downgrade(&sess);
        let (max, url) = (self.max, self.url().clone());
        runtime().spawn(async move {
            let fail = |w: &Weak<Session>, m: String| {
                if let Some(s) = w.upgrade() {
                    s.fail(m)
                }
            };
            let mut g = grpc(channel, max);
            if let Err(e) = g.ready().await {
                return fail(
                    &weak,
                    format!("the connection to {url} failed: {}", error_text(&e)),
                );
            }
            let codec = tonic_prost::ProstCodec::<Frame, Frame>::default();
            let req =
                tonic::Request::new(tokio_stream::wrappers::UnboundedReceiverStream::new(out_rx));
            let mut inbound = match g
                .streaming(req, PathAndQuery::from_static(pb::SESSION_PATH), codec)
                .await
            {
                Ok(r) => r.into_inner(),
                Err(st) => {
                    return fail(
                        &weak,
                        format!("the session with {url} failed: {}", status_text(&st)),
                    )
                }
            };
            loop {
                match inbound.message().await {
                    Ok(Some(f)) => match weak.upgrade() {
                        Some(s) => s.route(f),
                        None => return,
                    },
                    Ok(None) => {
                        return fail(
                            &weak,
                            format!(
                                "the server {url} ended the session (it shut down or restarted)"
                            ),
                        )
                    }
                    Err(st) => {
                        return fail(
                            &weak,
                            format!("the connection to {url} was lost: {}", status_text(&st)),
                        )
                    }
                }
            }
        });
        let deadline = Instant::now() + Duration::from_millis(self.opts.connect_timeout_ms as u64);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx0.recv_timeout(left) {
                Ok(f) if f.kind == kind::READY => {
                    sess.unregister(0);
                    return Ok(sess);
                }
                Ok(f) if f.kind == kind::ERROR => {
                    sess.fail("the server refused the session".into());
                    return Err(StartError::Load(
                        String::from_utf8_lossy(&f.payload).into_owned(),
                    ));
                }
                Ok(f) if f.kind == kind::IMPORT_CALL => {
                    // The plugin's entry calls an import while the server loads it.
                    let reply = match self.endpoint() {
                        Some(ep) => Frame::from_iso(ep.serve(&f.to_iso())),
                        None => Frame::new(
                            kind::IMPORT_RETURN,
                            f.call_id,
                            f.table,
                            f.slot,
                            PP_ERR_ISOLATION,
                        ),
                    };
                    let _ = sess.send(reply);
                }
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    sess.fail("no answer to the session's hello".into());
                    return Err(StartError::Connect(format!(
                        "{}: the server did not load the plugin within {} ms \
                         (PLUGPORT_CONNECT_TIMEOUT_MS)",
                        self.url(),
                        self.opts.connect_timeout_ms
                    )));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(StartError::Connect(sess.reason()));
                }
            }
        }
    }

    /// The live session, opening a new one when there is none or it ended. Returns the
    /// epoch of a session this one replaced, whose host objects the caller drops.
    fn current(&self) -> Result<(Arc<Session>, Option<u64>), String> {
        if let Some(s) = self.live() {
            return Ok((s, None));
        }
        // One thread reconnects; the others wait here and then use its session. The
        // state lock is not held while opening: imports served meanwhile read it.
        let _opening = self.opening.lock().unwrap_or_else(|e| e.into_inner());
        let (retired, first) = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let mut retired = None;
            if let Some(s) = &st.session {
                if !s.is_dead() {
                    return Ok((s.clone(), None));
                }
                retired = Some(s.epoch);
                st.last_error = Some(s.reason());
                st.session = None;
            }
            (retired, st.first_channel.take())
        };
        match self.open_session(first) {
            Ok(s) => {
                self.state.lock().unwrap_or_else(|e| e.into_inner()).session = Some(s.clone());
                Ok((s, retired))
            }
            Err(StartError::Connect(m)) => Err(format!("reconnecting failed: {m}")),
            Err(StartError::Load(j)) => Err(format!(
                "reconnecting failed: the server refused the session: {}",
                load_message(&j)
            )),
        }
    }

    fn live(&self) -> Option<Arc<Session>> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.session.clone().filter(|s| !s.is_dead())
    }

    /// The plugin instance's live-object count, asked of the server.
    pub(crate) fn live_objects(&self) -> Option<usize> {
        let sess = self.live()?;
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let rx = sess.register(id);
        sess.send(Frame::new(kind::LIVE_OBJECTS, id, 0, 0, 0))
            .ok()?;
        let r = rx.recv_timeout(Duration::from_secs(5));
        sess.unregister(id);
        String::from_utf8_lossy(&r.ok()?.payload).parse().ok()
    }
}

fn load_message(j: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(j).unwrap_or_default();
    v["message"]
        .as_str()
        .or(v["reason"].as_str())
        .unwrap_or(j)
        .to_string()
}

impl Transport for Client {
    fn call(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        if args.len() > self.max {
            return Err(format!(
                "{}: the arguments are {} bytes, over the largest message of {} bytes that \
                 this host and {} both accept (PLUGPORT_MAX_MESSAGE_BYTES here, \
                 --max-message-bytes on the server); nothing was sent",
                self.name(table, slot),
                args.len(),
                self.max,
                self.url()
            ));
        }
        let (sess, retired) = self.current()?;
        if let Some(epoch) = retired {
            // The old session's plugin instance is gone, and with it its references to
            // the host's objects: the host ends them.
            ep.drop_all_local(epoch);
        }
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let rx = sess.register(id);
        let mut f = Frame::new(kind::CALL, id, table, slot, 0).with_payload(args);
        // The server gives up on the call at the same deadline (docs/remote.md).
        f.deadline_ms = self.opts.call_timeout_ms;
        if let Err(m) = sess.send(f) {
            sess.unregister(id);
            return Err(m);
        }
        let deadline = (self.opts.call_timeout_ms > 0).then(|| {
            Instant::now()
                + Duration::from_millis(self.opts.call_timeout_ms as u64)
                + DEADLINE_MARGIN
        });
        loop {
            let r = match deadline {
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
                None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            };
            match r {
                Ok(f) if f.kind == kind::RETURN => {
                    sess.unregister(id);
                    return Ok((f.status, f.payload));
                }
                Ok(f) if f.kind == kind::IMPORT_CALL => {
                    let mut reply = Frame::from_iso(ep.serve(&f.to_iso()));
                    if reply.payload.len() > self.max {
                        reply = Frame::new(
                            kind::IMPORT_RETURN,
                            f.call_id,
                            f.table,
                            f.slot,
                            PP_ERR_ISOLATION,
                        )
                        .with_payload(
                            format!(
                                "the result of the host's {} is {} bytes, over the largest \
                                     message of {} bytes",
                                self.name(f.table, f.slot),
                                reply.payload.len(),
                                self.max
                            )
                            .into_bytes(),
                        );
                    }
                    if let Err(m) = sess.send(reply) {
                        sess.unregister(id);
                        return Err(m);
                    }
                }
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    sess.unregister(id);
                    return Err(format!(
                        "{}: the call did not return within its deadline of {} ms from {}; it \
                         was abandoned (the server is sent the same deadline)",
                        self.name(table, slot),
                        self.opts.call_timeout_ms,
                        self.url()
                    ));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    sess.unregister(id);
                    return Err(sess.reason());
                }
            }
        }
    }

    fn epoch(&self) -> u64 {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.session.as_ref().map_or(0, |s| s.epoch)
    }
}

struct ClientRef(Arc<Client>);

impl Transport for ClientRef {
    fn call(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        self.0.call(ep, table, slot, args)
    }
    fn epoch(&self) -> u64 {
        self.0.epoch()
    }
}

/// What a remote [`Plugin`] holds: the host's endpoint (proxy tables) and its client.
pub struct Remote {
    // Dropped first: its closures refer to the client.
    ep: Box<Endpoint>,
    client: Arc<Client>,
}

impl Remote {
    /// The URL of the server of the current (or last) session: with several URLs, the
    /// one failover chose.
    pub fn url(&self) -> String {
        self.client.url().to_string()
    }
    /// Why the last session ended, if one did.
    pub fn last_error(&self) -> Option<String> {
        let st = self.client.state.lock().unwrap_or_else(|e| e.into_inner());
        match &st.session {
            Some(s) if s.is_dead() => Some(s.reason()),
            _ => st.last_error.clone(),
        }
    }
}

impl crate::loader::Backing for Remote {
    fn live_objects(&self) -> Option<usize> {
        self.client.live_objects()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // The server's instance ends with the session: the host ends the objects of its
        // own that the instance held.
        self.ep.drop_all_local(u64::MAX);
    }
}

/// The remote open (`super::open_url`).
pub(crate) fn open(
    path: &Path,
    expected_world_json: Arc<str>,
    imports: *const c_void,
    opts: ClientOptions,
) -> Result<Arc<Plugin>, LoadError> {
    let (host_fp, host_world) =
        parse_world_json(&expected_world_json).map_err(|e| LoadError::HostWorld {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let urls = Url::parse_list(&path.to_string_lossy()).map_err(|m| io_error(path, m))?;
    // Opens are balanced over the servers of a list: each open of this process starts at
    // the next server in turn and takes the first that answers from there.
    let start = NEXT_OPEN.fetch_add(1, Ordering::Relaxed) % urls.len();
    let (channel, active) =
        block(connect_any(urls.clone(), start, opts.clone())).map_err(|m| io_error(path, m))?;
    let url = urls[active].clone();
    let reply = block(describe(channel.clone(), opts.max_message_bytes)).map_err(|st| {
        io_error(
            path,
            format!("Describe on {url} failed: {}", status_text(&st)),
        )
    })?;
    let corrupt = |reason: String| LoadError::CorruptDescriptor {
        path: path.to_path_buf(),
        reason,
    };
    if reply.abi_version != ABI_VERSION {
        return Err(LoadError::AbiVersion {
            path: path.to_path_buf(),
            expected: ABI_VERSION,
            found: reply.abi_version,
        });
    }
    if reply.wire_version != crate::wire::WIRE_VERSION {
        return Err(corrupt(format!(
            "the server speaks wire version {}, this runtime version {}",
            reply.wire_version,
            crate::wire::WIRE_VERSION
        )));
    }
    for (field, v) in [
        ("plugin name", &reply.plugin_name),
        ("plugin version", &reply.plugin_version),
    ] {
        if v.contains('\0') {
            return Err(corrupt(format!(
                "the {field} contains a NUL byte: expected none"
            )));
        }
    }
    let (fingerprint, world) =
        parse_world_json(&reply.world_json).map_err(|e| corrupt(e.to_string()))?;
    let descriptor = Descriptor {
        abi_version: reply.abi_version,
        plugin_name: reply.plugin_name,
        plugin_version: reply.plugin_version,
        fingerprint,
        world,
    };
    // Exactly the check of a file (`docs/abi.md` §8 step 4), with the same errors.
    let compat = crate::loader::check_descriptor(path, &descriptor, &host_world, &host_fp)?;
    let plan = Plan::new(&descriptor.world).map_err(corrupt)?;
    // `PLUGPORT_REMOTE_WIRE=proto`: the per-world services of a server that also speaks
    // the session wire (`plugport serve`).
    let forced = std::env::var("PLUGPORT_REMOTE_WIRE").unwrap_or_default();
    let wire = if reply.wire.is_empty() && forced == "proto" {
        "proto"
    } else {
        reply.wire.as_str()
    };
    match wire {
        "" => {}
        "proto" => {
            let max = opts
                .max_message_bytes
                .min(reply.max_message_bytes.clamp(1024, 1 << 30) as usize);
            return super::protowire::open(
                path,
                descriptor,
                compat,
                expected_world_json,
                imports,
                opts,
                channel,
                urls,
                active,
                max,
                plan,
            );
        }
        other => {
            return Err(corrupt(format!(
                "the server speaks the wire {other:?}: this runtime knows \"\" (session \
                 frames) and \"proto\" (the per-world services)"
            )))
        }
    }
    let names = super::slot_names(&plan);
    let max = opts
        .max_message_bytes
        .min(reply.max_message_bytes.clamp(1024, 1 << 30) as usize);
    let hello = serde_json::json!({
        "wire_version": crate::wire::WIRE_VERSION,
        "host_fingerprint": host_fp,
        "plugin_fingerprint": descriptor.fingerprint,
        "max_message_bytes": max,
    })
    .to_string();
    let client = Arc::new(Client {
        urls,
        active: std::sync::atomic::AtomicUsize::new(active),
        opts,
        max,
        hello,
        state: Mutex::new(ClientState {
            session: None,
            first_channel: Some(channel),
            last_error: None,
        }),
        opening: Mutex::new(()),
        next_call: AtomicU64::new(1),
        names,
        ep: OnceLock::new(),
    });
    let version = descriptor.world.package.table_version();
    let ep = Endpoint::new(
        Role::Host,
        plan,
        version,
        Box::new(ClientRef(client.clone())),
    )
    .map_err(corrupt)?;
    let _ = client.ep.set(&*ep as *const Endpoint as usize);
    ep.set_local(imports);
    // The first session: the server loads an instance of the plugin for this open, so
    // its load errors are the open's.
    let first = client
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .first_channel
        .take();
    match client.open_session(first) {
        Ok(s) => {
            client
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .session = Some(s)
        }
        Err(StartError::Connect(m)) => return Err(io_error(path, m)),
        Err(StartError::Load(j)) => return Err(load_error(path, &j)),
    }
    let remote = Arc::new(Remote { ep, client });
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

/// The server's load error (JSON of the isolation runner's form) as the [`LoadError`] a
/// local open would give.
fn load_error(path: &Path, j: &str) -> LoadError {
    let v: serde_json::Value = serde_json::from_str(j).unwrap_or_default();
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let p = path.to_path_buf();
    match v["kind"].as_str().unwrap_or_default() {
        "MissingEntry" => LoadError::MissingEntry {
            path: p,
            symbol: s("symbol"),
        },
        "InitFailed" => LoadError::InitFailed {
            path: p,
            status: v["status"].as_i64().unwrap_or(PP_ERR_ISOLATION as i64) as i32,
            message: s("message"),
        },
        "BadExports" => LoadError::BadExports {
            path: p,
            reason: s("reason"),
        },
        "Dlopen" => LoadError::Dlopen {
            path: p,
            message: format!("on the server: {}", s("message")),
        },
        _ => LoadError::InitFailed {
            path: p,
            status: PP_ERR_ISOLATION,
            message: format!("the server refused the session: {}", load_message(j)),
        },
    }
}
