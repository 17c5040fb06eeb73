//! The server behind `plugport serve <plugin-file> --listen <addr>` (`docs/remote.md`).
//!
//! At start it reads the file's descriptor and runs every check of `docs/abi.md` §8
//! steps 1–4 against the plugin's own world before any plugin code runs, then (isolated,
//! the default) loads one instance in a child process to see that it loads, and serves:
//!
//! - `Describe`: the descriptor (name, version, world JSON with its fingerprint) and the
//!   largest message it accepts;
//! - `Session`: each session gets its own instance of the plugin, loaded with the normal
//!   loader, by default in an isolated child (`crate::isolation`), so a crash of the
//!   plugin fails that session's calls, and the next call restarts the child. The
//!   session's endpoint serves the host's calls through the instance's exports table, each
//!   on a thread of tokio's blocking pool; imports the plugin calls go back to the host on
//!   the session as `IMPORT_CALL` with the call they serve as `parent`;
//! - `grpc.health.v1.Health` (tonic-health): `SERVING` for `""` and the service, until
//!   shutdown.
//!
//! **Shutdown** (SIGTERM or SIGINT): health turns `NOT_SERVING`, new sessions and new
//! calls are refused with [`PP_ERR_ISOLATION`] and a message saying so, calls in flight
//! finish (up to the grace period), then each session ends and the server returns.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::pb::{self, kind, Frame, FrameStream, Handler};
use crate::abi::{ABI_VERSION, PP_ERR_ISOLATION};
use crate::descriptor::Descriptor;
use crate::isolation::endpoint::{Endpoint, Role, Transport};
use crate::loader::Plugin;
use crate::plan::Plan;

/// Options of [`serve`] (the flags of `plugport serve`).
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The plugin file.
    pub plugin: PathBuf,
    /// `host:port` to listen on (port 0: any free port; the one chosen is printed).
    pub listen: String,
    /// Each session's instance in a child process (default) or in this process.
    pub isolated: bool,
    /// Largest message (a call's encoded arguments or result) accepted or sent, bytes.
    pub max_message_bytes: usize,
    /// PEM certificate chain and key: serve TLS (`grpcs://`).
    pub tls_cert: Option<PathBuf>,
    /// PEM key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// PEM CA: require client certificates signed by it (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// How long calls in flight may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// Per-call deadline inside the server (isolated instances), ms; 0 = none.
    pub call_timeout_ms: u32,
    /// The isolation runner (default: found as `crate::isolation::runner_path` does).
    pub runner: Option<PathBuf>,
}

impl ServeOptions {
    /// Defaults for `plugin` on `listen`: isolated, 16 MiB, plaintext, 10 s grace.
    pub fn new(plugin: PathBuf, listen: String) -> ServeOptions {
        ServeOptions {
            plugin,
            listen,
            isolated: true,
            max_message_bytes: super::DEFAULT_MAX_MESSAGE_BYTES,
            tls_cert: None,
            tls_key: None,
            client_ca: None,
            shutdown_grace: Duration::from_secs(10),
            call_timeout_ms: 0,
            runner: None,
        }
    }
}

thread_local! {
    /// The host's call this thread serves (`Some(0)`: the instance's load).
    static CURRENT_CALL: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The server's state, shared by its sessions.
struct Server {
    opts: ServeOptions,
    descriptor: Descriptor,
    world_json: String,
    reply: pb::DescribeReply,
    shutdown: tokio::sync::watch::Receiver<bool>,
    sessions: AtomicU64,
}

/// One session: the stream back to the host and the imports waiting for it.
struct Session {
    out: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Result<Frame, tonic::Status>>>>,
    imports: Mutex<HashMap<u64, mpsc::Sender<Frame>>>,
    next_import: AtomicU64,
    inflight: AtomicUsize,
    /// The largest message both sides accept.
    max: AtomicUsize,
    closed: AtomicBool,
}

impl Session {
    fn send(&self, f: Frame) -> Result<(), String> {
        let out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        match &*out {
            Some(tx) => tx
                .send(Ok(f))
                .map_err(|_| "the host's session ended".to_string()),
            None => Err("the host's session ended".into()),
        }
    }

    /// Ends the stream to the host and fails the imports waiting for it.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.out.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.imports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// The transport of a session's endpoint: imports go back to the host.
struct SessionImports(Weak<Session>);

impl Transport for SessionImports {
    fn call(
        &self,
        _ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        let Some(parent) = CURRENT_CALL.with(Cell::get) else {
            return Err(
                "an import was called outside a call from the host (from a thread \
                        the plugin started itself): remote plugins can call imports only \
                        while serving a call"
                    .into(),
            );
        };
        let sess = self.0.upgrade().ok_or("the host's session ended")?;
        let max = sess.max.load(Ordering::Relaxed);
        if args.len() > max {
            return Err(format!(
                "the import's arguments are {} bytes, over the largest message of {max} bytes",
                args.len()
            ));
        }
        let id = sess.next_import.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        sess.imports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        if sess.closed.load(Ordering::SeqCst) {
            return Err("the host's session ended".into());
        }
        let mut f = Frame::new(kind::IMPORT_CALL, id, table, slot, 0).with_payload(args);
        f.parent = parent;
        sess.send(f)?;
        drop(sess);
        match rx.recv() {
            Ok(r) => Ok((r.status, r.payload)),
            Err(_) => Err("the host's session ended while the plugin waited for an import".into()),
        }
    }

    fn epoch(&self) -> u64 {
        0
    }
}

/// A session's instance of the plugin and the endpoint that serves it.
pub(super) struct Instance {
    // Dropped before `ep`: the plugin holds `ep`'s proxy imports table.
    plugin: Option<Arc<Plugin>>,
    pub(super) ep: Box<Endpoint>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // The host of the session can no longer drop the plugin's objects it held.
        self.ep.drop_all_local(u64::MAX);
        self.plugin.take();
    }
}

/// The isolation runner's load-error JSON (the host maps it to the same `LoadError`).
fn load_error_json(e: &crate::LoadError) -> String {
    use crate::LoadError as E;
    let v = match e {
        E::Dlopen { message, .. } => serde_json::json!({"kind": "Dlopen", "message": message}),
        E::MissingEntry { symbol, .. } => {
            serde_json::json!({"kind": "MissingEntry", "symbol": symbol})
        }
        E::InitFailed {
            status, message, ..
        } => serde_json::json!({"kind": "InitFailed", "status": status, "message": message}),
        E::BadExports { reason, .. } => {
            serde_json::json!({"kind": "BadExports", "reason": reason})
        }
        other => serde_json::json!({"kind": "Other", "message": other.to_string()}),
    };
    v.to_string()
}

fn error_json(kind: &str, message: &str) -> String {
    serde_json::json!({"kind": kind, "message": message}).to_string()
}

impl Server {
    /// Loads an instance for `sess` (on a blocking thread).
    fn open_instance(&self, sess: &Arc<Session>) -> Result<Arc<Instance>, String> {
        self.open_instance_with(Box::new(SessionImports(Arc::downgrade(sess))))
    }

    /// Loads an instance whose imports go through `imports` (a session's, or the
    /// per-world services' of `super::protoserve`).
    fn open_instance_with(&self, imports: Box<dyn Transport>) -> Result<Arc<Instance>, String> {
        let plan = Plan::new(&self.descriptor.world).map_err(|e| error_json("Protocol", &e))?;
        let version = self.descriptor.world.package.table_version();
        let ep = Endpoint::new(Role::Child, plan, version, imports)
            .map_err(|e| error_json("Protocol", &e))?;
        let options = crate::isolation::Options {
            mode: if self.opts.isolated {
                crate::isolation::Mode::Process
            } else {
                crate::isolation::Mode::InProcess
            },
            call_timeout_ms: self.opts.call_timeout_ms,
            runner: self.opts.runner.clone(),
            ..Default::default()
        };
        // Imports the entry calls while loading go to the host with parent 0.
        let prev = CURRENT_CALL.with(|c| c.replace(Some(0)));
        let opened = crate::loader::open_with_options(
            &self.opts.plugin,
            &self.world_json,
            ep.proxy_world(),
            options,
        );
        CURRENT_CALL.with(|c| c.set(prev));
        let plugin = opened.map_err(|e| load_error_json(&e))?;
        ep.set_local(plugin.exports());
        Ok(Arc::new(Instance {
            plugin: Some(plugin),
            ep,
        }))
    }
}

impl Handler for Arc<Server> {
    fn describe(&self) -> Result<pb::DescribeReply, tonic::Status> {
        Ok(self.reply.clone())
    }

    fn session(&self, inbound: tonic::Streaming<Frame>) -> Result<FrameStream, tonic::Status> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let sess = Arc::new(Session {
            out: Mutex::new(Some(tx)),
            imports: Mutex::new(HashMap::new()),
            next_import: AtomicU64::new(1),
            inflight: AtomicUsize::new(0),
            max: AtomicUsize::new(self.opts.max_message_bytes),
            closed: AtomicBool::new(false),
        });
        tokio::spawn(run_session(self.clone(), sess, inbound));
        Ok(Box::pin(
            tokio_stream::wrappers::UnboundedReceiverStream::new(rx),
        ))
    }

    fn limits(&self) -> (usize, usize) {
        let m = self.opts.max_message_bytes + 64;
        (m, m)
    }
}

async fn run_session(
    server: Arc<Server>,
    sess: Arc<Session>,
    mut inbound: tonic::Streaming<Frame>,
) {
    let refuse = |sess: &Session, json: String| {
        let _ = sess.send(Frame::new(kind::ERROR, 0, 0, 0, 0).with_payload(json.into_bytes()));
        sess.close();
    };
    let hello = match inbound.message().await {
        Ok(Some(f)) if f.kind == kind::HELLO => f,
        _ => {
            return refuse(
                &sess,
                error_json("Protocol", "a session starts with a HELLO frame"),
            )
        }
    };
    if *server.shutdown.borrow() {
        return refuse(
            &sess,
            error_json("Shutdown", "the server is shutting down: no new sessions"),
        );
    }
    let h: serde_json::Value = serde_json::from_slice(&hello.payload).unwrap_or_default();
    let wire = h["wire_version"].as_u64().unwrap_or(0);
    if wire != crate::wire::WIRE_VERSION as u64 {
        return refuse(
            &sess,
            error_json(
                "Protocol",
                &format!(
                    "the host speaks wire version {wire}, this server version {}",
                    crate::wire::WIRE_VERSION
                ),
            ),
        );
    }
    let fp = h["plugin_fingerprint"].as_str().unwrap_or_default();
    if fp != server.descriptor.fingerprint {
        return refuse(
            &sess,
            error_json(
                "Changed",
                &format!(
                    "the host checked a plugin world with fingerprint {fp}, but this server \
                     serves {} (it was restarted with another plugin?): open it again",
                    server.descriptor.fingerprint
                ),
            ),
        );
    }
    if let Some(m) = h["max_message_bytes"].as_u64() {
        sess.max.store(
            (m as usize).clamp(1024, server.opts.max_message_bytes),
            Ordering::Relaxed,
        );
    }
    let (srv, s2) = (server.clone(), sess.clone());
    let inst = match tokio::task::spawn_blocking(move || srv.open_instance(&s2)).await {
        Ok(Ok(i)) => i,
        Ok(Err(j)) => return refuse(&sess, j),
        Err(e) => return refuse(&sess, error_json("Panic", &e.to_string())),
    };
    let n = server.sessions.fetch_add(1, Ordering::Relaxed) + 1;
    if std::env::var_os("PLUGPORT_SERVE_LOG").is_some() {
        eprintln!("plugport serve: session {n} opened");
    }
    let ready = serde_json::json!({"wire_version": crate::wire::WIRE_VERSION}).to_string();
    let _ = sess.send(Frame::new(kind::READY, 0, 0, 0, 0).with_payload(ready.into_bytes()));
    let mut shutdown = server.shutdown.clone();
    let mut grace_end: Option<Instant> = None;
    loop {
        tokio::select! {
            m = inbound.message() => match m {
                Ok(Some(f)) => handle(&sess, &inst, f, grace_end.is_some()),
                _ => break, // the host closed the session or its connection was lost
            },
            _ = shutdown.changed(), if grace_end.is_none() => {
                grace_end = Some(Instant::now() + server.opts.shutdown_grace);
            }
            _ = tokio::time::sleep(Duration::from_millis(5)), if grace_end.is_some() => {
                if sess.inflight.load(Ordering::SeqCst) == 0
                    || grace_end.is_some_and(|g| Instant::now() >= g)
                {
                    break;
                }
            }
        }
    }
    sess.close();
    // Ending the instance (killing its child, unloading it) blocks.
    tokio::task::spawn_blocking(move || drop(inst));
}

fn handle(sess: &Arc<Session>, inst: &Arc<Instance>, f: Frame, shutting: bool) {
    match f.kind {
        kind::CALL if shutting => {
            let _ = sess.send(
                Frame::new(kind::RETURN, f.call_id, f.table, f.slot, PP_ERR_ISOLATION)
                    .with_payload(b"the server is shutting down: the call was refused".to_vec()),
            );
        }
        kind::CALL => {
            sess.inflight.fetch_add(1, Ordering::SeqCst);
            let (sess, inst) = (sess.clone(), inst.clone());
            // The host's deadline, from now: the isolated instance's call is given up
            // (its child killed) at the earlier of it and --call-timeout-ms.
            let start = Instant::now();
            let deadline = (f.deadline_ms > 0).then(|| {
                (
                    start + Duration::from_millis(f.deadline_ms as u64),
                    f.deadline_ms,
                )
            });
            tokio::task::spawn_blocking(move || {
                let prev = CURRENT_CALL.with(|c| c.replace(Some(f.call_id)));
                let reply =
                    crate::isolation::with_call_deadline(deadline, || inst.ep.serve(&f.to_iso()));
                CURRENT_CALL.with(|c| c.set(prev));
                if let Some((at, ms)) = deadline {
                    log_given_up(f.call_id, f.table, f.slot, reply.status, start, at, ms);
                }
                let mut r = Frame::from_iso(reply);
                r.kind = kind::RETURN;
                let max = sess.max.load(Ordering::Relaxed);
                if r.payload.len() > max {
                    r = Frame::new(kind::RETURN, f.call_id, f.table, f.slot, PP_ERR_ISOLATION)
                        .with_payload(
                            format!(
                                "the result is {} bytes, over the largest message of {max} \
                                 bytes that the host and the server both accept \
                                 (PLUGPORT_MAX_MESSAGE_BYTES on the host, --max-message-bytes \
                                 on the server)",
                                r.payload.len()
                            )
                            .into_bytes(),
                        );
                }
                let _ = sess.send(r);
                sess.inflight.fetch_sub(1, Ordering::SeqCst);
            });
        }
        kind::IMPORT_RETURN => {
            let tx = sess
                .imports
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&f.call_id);
            if let Some(tx) = tx {
                let _ = tx.send(f);
            }
        }
        kind::LIVE_OBJECTS => {
            let (sess, inst) = (sess.clone(), inst.clone());
            tokio::task::spawn_blocking(move || {
                let n = inst
                    .plugin
                    .as_ref()
                    .and_then(|p| p.live_objects())
                    .map_or("-1".to_string(), |n| n.to_string());
                let _ = sess
                    .send(Frame::new(kind::READY, f.call_id, 0, 0, 0).with_payload(n.into_bytes()));
            });
        }
        _ => {}
    }
}

/// With `PLUGPORT_SERVE_LOG`, says that a call with the host's deadline `ms` (at `at`)
/// failed at or past it: the server gave up on it there.
pub(super) fn log_given_up(
    call_id: u64,
    table: u32,
    slot: u32,
    status: i32,
    start: Instant,
    at: Instant,
    ms: u32,
) {
    let now = Instant::now();
    if status == PP_ERR_ISOLATION && now >= at && std::env::var_os("PLUGPORT_SERVE_LOG").is_some() {
        eprintln!(
            "plugport serve: call {call_id} (table {table} slot {slot}) given up after {} ms: \
             the host's deadline of {ms} ms passed",
            now.duration_since(start).as_millis()
        );
    }
}

/// Reads a PEM file named by a flag.
fn read_pem(p: &PathBuf, flag: &str) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{flag} {}: {e}", p.display()))
}

/// Serves the plugin until SIGTERM or SIGINT (module docs). Prints one line to stdout
/// when it listens: `plugport serve: <name> <version> on grpc://<addr>` (the address
/// chosen, for `--listen host:0`).
///
/// Errors (as text for the CLI): the file fails a check (the loader's message), the
/// plugin does not load, the address cannot be bound, a TLS file cannot be read or used.
pub fn serve(opts: ServeOptions) -> Result<(), String> {
    let path = opts.plugin.clone();
    let descriptor = crate::descriptor::read_from_file(&path).map_err(|e| e.to_string())?;
    let world_json = crate::descriptor::world_json(&descriptor.world);
    // Every check of docs/abi.md §8 steps 1–4, before any plugin code runs.
    crate::loader::check(&path, &world_json).map_err(|e| e.to_string())?;
    if opts.tls_cert.is_some() != opts.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    if opts.client_ca.is_some() && opts.tls_cert.is_none() {
        return Err("--client-ca needs --tls-cert and --tls-key".into());
    }
    let tls = match (&opts.tls_cert, &opts.tls_key) {
        (Some(c), Some(k)) => {
            let mut t = ServerTlsConfig::new().identity(Identity::from_pem(
                read_pem(c, "--tls-cert")?,
                read_pem(k, "--tls-key")?,
            ));
            if let Some(ca) = &opts.client_ca {
                t = t.client_ca_root(Certificate::from_pem(read_pem(ca, "--client-ca")?));
            }
            Some(t)
        }
        _ => None,
    };
    let reply = pb::DescribeReply {
        abi_version: ABI_VERSION,
        plugin_name: descriptor.plugin_name.clone(),
        plugin_version: descriptor.plugin_version.clone(),
        world_json: world_json.clone(),
        wire_version: crate::wire::WIRE_VERSION,
        max_message_bytes: opts.max_message_bytes as u64,
        wire: String::new(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("plugport-serve")
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let server = Arc::new(Server {
        opts: opts.clone(),
        descriptor,
        world_json,
        reply,
        shutdown: shutdown_rx.clone(),
        sessions: AtomicU64::new(0),
    });
    if opts.isolated {
        // See that the plugin loads (in a child process) before listening, with the
        // imports table of a session that has no host (imports the entry calls fail).
        let probe = Arc::new(Session {
            out: Mutex::new(None),
            imports: Mutex::new(HashMap::new()),
            next_import: AtomicU64::new(1),
            inflight: AtomicUsize::new(0),
            max: AtomicUsize::new(opts.max_message_bytes),
            closed: AtomicBool::new(true),
        });
        if let Err(j) = server.open_instance(&probe) {
            let v: serde_json::Value = serde_json::from_str(&j).unwrap_or_default();
            let m = ["message", "reason", "symbol"]
                .iter()
                .find_map(|k| v[*k].as_str())
                .unwrap_or(&j);
            return Err(format!(
                "{}: the plugin does not load ({}): {m}",
                path.display(),
                v["kind"].as_str().unwrap_or("error")
            ));
        }
    }
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .map_err(|e| format!("--listen {}: {e}", opts.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        reporter
            .set_service_status(pb::SERVICE_NAME, tonic_health::ServingStatus::Serving)
            .await;
        let mut builder = tonic::transport::Server::builder();
        if let Some(t) = tls {
            builder = builder
                .tls_config(t)
                .map_err(|e| format!("TLS configuration: {e}"))?;
        }
        // The per-world services of `plugport gen --lang proto` beside the session
        // service (docs/remote.md, "The per-world wire"), when the world maps.
        let mut routes = tonic::service::Routes::new(health)
            .add_service(pb::PluginServer(Arc::new(server.clone())));
        let srv = server.clone();
        let mut per_world = None;
        let open: super::protoserve::OpenInstance =
            Box::new(move |imports| srv.open_instance_with(imports));
        match super::protoserve::PerWorld::new(
            &server.descriptor.world,
            opts.max_message_bytes,
            server.shutdown.clone(),
            open,
        ) {
            Ok(pw) => {
                routes = pw.routes(routes);
                per_world = Some(pw);
            }
            Err(e) => eprintln!("plugport serve: the per-world services are not served: {e}"),
        }
        let router = builder.add_routes(routes);
        // Connections numbered, so that the per-world services scope objects to them and
        // end a connection's scopes when it closes.
        let on_close: Option<super::connscope::OnClose> = per_world
            .clone()
            .map(|pw| Arc::new(move |c| pw.connection_closed(c)) as super::connscope::OnClose);
        let incoming = tokio_stream::StreamExt::map(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            move |s| s.map(|s| super::connscope::ConnStream::new(s, on_close.clone())),
        );
        {
            use std::io::Write;
            let scheme = if opts.tls_cert.is_some() {
                "grpcs"
            } else {
                "grpc"
            };
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "plugport serve: {} {} on {scheme}://{addr}",
                server.descriptor.plugin_name, server.descriptor.plugin_version
            );
            let _ = out.flush();
        }
        let (sig_tx, sig_rx) = tokio::sync::oneshot::channel::<()>();
        let grace = opts.shutdown_grace;
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("plugport serve: shutting down (calls in flight may take {grace:?})");
            let _ = shutdown_tx.send(true);
            reporter
                .set_service_status("", tonic_health::ServingStatus::NotServing)
                .await;
            reporter
                .set_service_status(pb::SERVICE_NAME, tonic_health::ServingStatus::NotServing)
                .await;
            // Per-world calls in flight finish (within the grace period) before the
            // transport stops taking streams, so that new calls meanwhile are refused
            // with a status saying why rather than cut off; sessions wait for theirs in
            // `run_session`.
            let grace_end = Instant::now() + grace;
            while per_world.as_ref().is_some_and(|pw| pw.inflight() > 0)
                && Instant::now() < grace_end
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let _ = sig_tx.send(());
        });
        let mut stop = shutdown_rx;
        let serving = router.serve_with_incoming_shutdown(incoming, async {
            let _ = sig_rx.await;
        });
        tokio::select! {
            r = serving => r.map_err(|e| format!("serving: {e}")),
            _ = async {
                let _ = stop.wait_for(|s| *s).await;
                tokio::time::sleep(grace + Duration::from_secs(2)).await;
            } => Ok(()),
        }
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install the SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("install the SIGINT handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
