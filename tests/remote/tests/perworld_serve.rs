//! `plugport serve`'s per-world services (`docs/remote.md`, "`plugport serve` speaks it
//! too") under the fault world's Rust host forced onto that wire
//! (`PLUGPORT_REMOTE_WIRE=proto`, set once before any test opens anything): the host's
//! deadline, SIGTERM's grace period, scopes per connection (with raw gRPC clients too),
//! a reconnect, failover over a URL list. Every server is started and killed by its
//! test.

use std::sync::{mpsc, Once};
use std::time::{Duration, Instant};

use plugport::rt::CallError;
use plugport_remote_tests::pki::MutualTls;
use plugport_remote_tests::{fault_plugin, open_remote, temp_log, wait_for_line, Server};

/// The mutual TLS certificates of this file's `grpcs://` test (in cargo's temporary
/// directory for integration tests).
fn tls() -> &'static MutualTls {
    static TLS: std::sync::OnceLock<MutualTls> = std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("perworld-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        MutualTls::new(&dir)
    })
}

/// Forces the per-world wire for every open of this file's tests, and sets the client
/// side of [`tls`] (unused by `grpc://` opens), once, before any test opens anything.
fn per_world() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("PLUGPORT_REMOTE_WIRE", "proto");
        for (k, v) in tls().client_env() {
            std::env::set_var(k, v);
        }
    });
}

/// The message of a `PP_ERR_ISOLATION` error, or a panic naming what came instead.
fn isolation_error<T: std::fmt::Debug>(r: Result<T, CallError>, what: &str) -> String {
    match r {
        Err(CallError::Isolation(message)) => message,
        other => panic!("{what}: expected PP_ERR_ISOLATION, got {other:?}"),
    }
}

/// Waits (at most 10 s) for the server to exit; its status.
fn wait_exit(server: &mut Server) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            return st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM: a per-world call in flight finishes (the server waits for it within the
/// grace period), a new one is refused saying why, then the server exits with 0.
#[test]
fn sigterm_lets_a_per_world_call_in_flight_finish() {
    per_world();
    let log = temp_log("pw-sigterm");
    let mut server = Server::start_logged(&fault_plugin(), 0, &["--shutdown-grace", "5"], &log);
    let (_plugin, p) = open_remote(&server.url, 0).expect("open");
    assert_eq!(
        p.faults().inc(1).unwrap(),
        2,
        "the per-world services answer"
    );
    let (tx, rx) = mpsc::channel();
    let t = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(p.faults().hang(2_000)).unwrap());
        // Long enough for the call to reach the plugin on a busy machine, well within
        // its 2 s.
        std::thread::sleep(Duration::from_millis(600));
        server.signal(libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(200));
        let msg = isolation_error(p.faults().inc(1), "a call during the shutdown");
        assert!(msg.contains("shutting down"), "{msg}");
        let r = rx.recv_timeout(Duration::from_secs(10)).expect("returns");
        assert_eq!(r.unwrap(), 2_000, "the call in flight finished");
    });
    let status = wait_exit(&mut server);
    assert!(status.success(), "{status}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the server exited once the call was done, not at the end of its grace: {:?}",
        t.elapsed()
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        text.contains("per-world services' instance loaded") && !text.contains("session"),
        "the calls went to the per-world services:\n{text}"
    );
}

/// The host's deadline reaches `serve` as `grpc-timeout`: the server gives up on the
/// per-world call there (not at its far `--call-timeout-ms`) and kills the instance's
/// child, so a later call runs in a new child.
#[test]
fn the_hosts_deadline_reaches_the_per_world_services() {
    per_world();
    let log = temp_log("pw-deadline");
    let server = Server::start_logged(&fault_plugin(), 0, &["--call-timeout-ms", "20000"], &log);
    let (_plugin, p) = open_remote(&server.url, 400).expect("open");
    let pid = p.faults().pid().unwrap();
    let msg = isolation_error(p.faults().hang(8_000), "hang past the deadline");
    assert!(msg.contains("deadline of 400 ms"), "{msg}");
    let line = wait_for_line(&log, "given up after", Duration::from_secs(5)).unwrap_or_else(|| {
        panic!(
            "the server did not give up on the call:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    assert!(line.contains("the host's deadline of 400 ms"), "{line}");
    let t = Instant::now();
    let pid2 = loop {
        // The host may see tonic's own end of the call before the server has killed
        // the child: a call in between can fail as the child ends.
        match p.faults().pid() {
            Ok(v) => break v,
            Err(e) => assert!(t.elapsed() < Duration::from_secs(5), "{e:?}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_ne!(pid2, pid, "the instance's child was killed and restarted");
    let _ = std::fs::remove_file(&log);
}

/// Whether process `pid` still runs (a zombie does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            // pid (comm) state ...: the state follows the last ')'.
            s.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                != Some("Z")
        })
        .unwrap_or(false)
}

/// A raw gRPC client of the fault world's per-world services (as any gRPC client written
/// from the `.proto` would be), on a connection of its own.
struct Raw {
    rt: tokio::runtime::Runtime,
    channel: tonic::transport::Channel,
    map: plugport::protomap::ProtoMap,
    pool: prost_reflect::DescriptorPool,
}

impl Raw {
    fn connect(url: &str) -> Raw {
        let (_, world) = plugport::descriptor::parse_world_json(plugport_remote_tests::WORLD_JSON)
            .expect("the fault world");
        let plan = plugport::plan::Plan::new(&world).unwrap();
        let map = plugport::protomap::map_world(&world, &plan).unwrap();
        let pool = plugport::remote::protocodec::pool_of(&map).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let channel = rt
            .block_on(
                tonic::transport::Endpoint::from_shared(url.replace("grpc://", "http://"))
                    .unwrap()
                    .connect(),
            )
            .expect("connect");
        Raw {
            rt,
            channel,
            map,
            pool,
        }
    }

    /// Calls rpc `method` (the world has imports: a stream of one `Input{call}`) with
    /// `fields` set by number; its `result` field, or the status.
    fn call(&self, method: &str, fields: &[(u32, u64)]) -> Result<u64, tonic::Status> {
        use prost_reflect::{DynamicMessage, ReflectMessage, Value};
        let rpc = self
            .map
            .rpcs
            .iter()
            .find(|r| r.method == method)
            .unwrap_or_else(|| panic!("no rpc {method}"));
        let desc = |n: &str| self.pool.get_message_by_name(n).unwrap();
        let mut req = DynamicMessage::new(desc(&rpc.request));
        for (n, v) in fields {
            let f = req.descriptor().get_field(*n).unwrap();
            let v = match f.kind() {
                prost_reflect::Kind::Uint32 => Value::U32(*v as u32),
                _ => Value::U64(*v),
            };
            req.set_field_by_number(*n, v);
        }
        let mut first = DynamicMessage::new(desc(rpc.input.as_deref().unwrap()));
        first.set_field_by_number(1, Value::Message(req));
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!(
            "/{}/{}",
            rpc.service, rpc.method
        ))
        .unwrap();
        let codec = plugport::remote::DynCodec::new(desc(rpc.output.as_deref().unwrap()));
        self.rt.block_on(async {
            let mut g = tonic::client::Grpc::new(self.channel.clone());
            g.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            let resp = g
                .streaming(
                    tonic::Request::new(tokio_stream::iter(vec![first])),
                    path,
                    codec,
                )
                .await?;
            let out = resp
                .into_inner()
                .message()
                .await?
                .ok_or_else(|| tonic::Status::internal("no output"))?;
            let result = out.get_field_by_number(1).unwrap();
            let result = result.as_message().unwrap();
            Ok(result
                .get_field_by_number(1)
                .map(|v| v.as_u64().or(v.as_u32().map(u64::from)).unwrap_or(0))
                .unwrap_or(0))
        })
    }
}

/// Scopes: each connection has its own instance of the plugin (its own child process),
/// so one client's handle ids reach nothing of another's, and a client that goes away
/// has its objects ended with its scope (its child ends) while the other goes on.
#[test]
fn each_connection_is_a_scope_of_its_own_and_ends_with_it() {
    per_world();
    let log = temp_log("pw-scopes");
    let server = Server::start_logged(&fault_plugin(), 0, &[], &log);

    // Two raw clients: a cell of the first is not reachable from the second.
    let one = Raw::connect(&server.url);
    let two = Raw::connect(&server.url);
    let cell = one.call("CellNew", &[(1, 7)]).expect("CellNew");
    assert_eq!(one.call("Get", &[(1, cell)]).expect("Get on its own"), 7);
    let st = two
        .call("Get", &[(1, cell)])
        .expect_err("another client's handle id");
    assert_eq!(st.code(), tonic::Code::Unknown, "{st:?}");
    assert_eq!(
        st.metadata()
            .get("plugport-status")
            .and_then(|v| v.to_str().ok()),
        Some("2"),
        "PP_ERR_INVALID_ARGUMENT: {st:?}"
    );
    assert_eq!(one.call("Get", &[(1, cell)]).unwrap(), 7, "still its own");
    drop(one);
    drop(two);

    // Two plugport hosts: their own child processes; one goes away with a cell it never
    // dropped, and its child ends; the other's cell lives on.
    let (plugin_a, a) = open_remote(&server.url, 10_000).expect("open a");
    let (_plugin_b, b) = open_remote(&server.url, 10_000).expect("open b");
    let (pid_a, pid_b) = (a.faults().pid().unwrap(), b.faults().pid().unwrap());
    assert_ne!(pid_a, pid_b, "each open has its own instance");
    let ca = a.faults().cell_new(7).unwrap();
    let cb = b.faults().cell_new(9).unwrap();
    assert_eq!((ca.get().unwrap(), cb.get().unwrap()), (7, 9));
    std::mem::forget(ca); // never dropped by the host: the scope's end drops it
    drop(a);
    drop(plugin_a);
    let t = Instant::now();
    while alive(pid_a) {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the child of the closed connection's scope still runs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(alive(pid_b), "the other client's instance goes on");
    assert_eq!(cb.get().unwrap(), 9);
    drop(cb);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("ended: its connection closed"),
        "the server ended the scopes:\n{text}"
    );
    let _ = std::fs::remove_file(&log);
}

/// A reconnect is a new scope: after the server restarted, a handle of the old scope is
/// refused by the host, never taken for an object of the new one (here a cell made after
/// the restart, with the same id in the new instance's table).
#[test]
fn handles_of_the_scope_before_a_reconnect_are_refused() {
    per_world();
    let mut server = Server::start(&fault_plugin(), 0, &[]);
    let (_plugin, p) = open_remote(&server.url, 10_000).expect("open");
    let old = p.faults().cell_new(7).unwrap();
    assert_eq!(old.get().unwrap(), 7);
    let port = server.port;
    server.kill();
    let _server = Server::start(&fault_plugin(), port, &[]);
    let t = Instant::now();
    // The first calls fail (the connection was lost, or made again: the call was not
    // made); then the channel is on the new server.
    let new = loop {
        match p.faults().cell_new(9) {
            Ok(c) => break c,
            Err(e) => {
                let msg = isolation_error(Err::<(), _>(e), "cell_new after the restart");
                assert!(
                    msg.contains(&server.url)
                        && (msg.contains("lost") || msg.contains("made again")),
                    "{msg}"
                );
                assert!(t.elapsed() < Duration::from_secs(10), "{msg}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert_eq!(new.get().unwrap(), 9);
    let msg = isolation_error(old.get(), "a handle of the scope before the reconnect");
    assert!(!msg.is_empty());
    assert_eq!(new.get().unwrap(), 9, "the new cell is untouched");
}

/// The parent process of `pid` (from /proc).
fn parent_of(pid: u32) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().nth(1))
        .and_then(|p| p.parse().ok())
        .unwrap_or(-1)
}

/// Failover over a URL list on the per-world wire: losing the server in use fails the
/// call that finds it lost, and the next call goes to the other server (whose child
/// process serves it); objects of the lost server are refused from then on.
#[test]
fn several_urls_fail_over_on_the_per_world_wire() {
    per_world();
    let mut a = Server::start(&fault_plugin(), 0, &[]);
    let mut b = Server::start(&fault_plugin(), 0, &[]);
    let list = format!("{},{}", a.url, b.url);
    let (_plugin, p) = open_remote(&list, 10_000).expect("open the list");
    let pid = p.faults().pid().unwrap();
    // Opens are balanced over the list: name the two by where this one went.
    if parent_of(pid) == b.pid() {
        std::mem::swap(&mut a, &mut b);
    }
    assert_eq!(parent_of(pid), a.pid(), "served by a child of a server");
    let cell = p.faults().cell_new(7).unwrap();
    a.kill();
    let mut failures = Vec::new();
    let v = loop {
        match p.faults().inc(1) {
            Ok(v) => break v,
            Err(e) => {
                let msg = isolation_error(Err::<(), _>(e), "a call after the kill");
                assert!(msg.contains(&a.url), "names the lost server: {msg}");
                failures.push(msg);
                assert!(failures.len() <= 2, "{failures:?}");
            }
        }
    };
    assert_eq!(v, 2, "failed over to the other server");
    assert_eq!(failures.len(), 1, "{failures:?}");
    let pid_b = p.faults().pid().unwrap();
    assert_eq!(parent_of(pid_b), b.pid(), "now served by the other server");
    let msg = isolation_error(cell.get(), "a cell of the lost server");
    assert!(!msg.is_empty());
}

/// Scopes over mutual TLS too: two `grpcs://` opens are two scopes (their own child
/// processes), found by their TLS connections.
#[test]
fn each_tls_connection_is_a_scope_of_its_own() {
    per_world();
    let server = Server::start(&fault_plugin(), 0, &tls().server_args());
    assert!(server.url.starts_with("grpcs://"), "{}", server.url);
    let (_pa, a) = open_remote(&server.url, 10_000).expect("open a over grpcs");
    let (_pb, b) = open_remote(&server.url, 10_000).expect("open b over grpcs");
    let (pid_a, pid_b) = (a.faults().pid().unwrap(), b.faults().pid().unwrap());
    assert_ne!(pid_a, pid_b, "each TLS connection has its own instance");
    assert_eq!(parent_of(pid_a), server.pid());
}
