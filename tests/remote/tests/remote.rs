//! Remote plugins over gRPC, end to end (`docs/remote.md`): `plugport serve` of the C
//! fault plugin (each session's instance in a child process) opened by
//! `grpc://127.0.0.1:<port>`, and the greeter example's C host, unchanged, against it.
//! Every server is started and killed by its test, on loopback, with bounded waits.

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use plugport::rt::CallError;
use plugport_isolation_tests::{Token, NOTES};
use plugport_remote_tests::{fault_plugin, open_remote, open_with_world, Server, WORLD_JSON};

/// The message of a `PP_ERR_ISOLATION` error (`CallError::Isolation`), or a panic naming
/// what came instead.
fn isolation_error<T: std::fmt::Debug>(r: Result<T, CallError>, what: &str) -> String {
    match r {
        Err(CallError::Isolation(message)) => message,
        other => panic!("{what}: expected PP_ERR_ISOLATION, got {other:?}"),
    }
}

#[test]
fn values_imports_and_handles_cross_and_each_open_has_its_own_instance() {
    let server = Server::start(&fault_plugin(), 0, &[]);
    let (plugin, p) = open_remote(&server.url, 0).expect("open the remote fault plugin");
    assert_eq!(plugin.descriptor().plugin_name, "fault-c");
    assert_eq!(plugin.path().to_str(), Some(server.url.as_str()));
    let f = p.faults();
    assert_eq!(f.inc(41).unwrap(), 42);
    let pair = plugport_isolation_tests::exports::faults::Pair { a: 2, b: 0.5 };
    assert_eq!(f.describe("x", &pair).unwrap(), "x:2.5");
    // The instance runs in a child process of the server, not here nor in the server.
    let pid = f.pid().unwrap();
    assert_ne!(pid, std::process::id());
    assert_ne!(pid as i32, server.pid());
    // Imports travel back on the session and run on the thread that made the call.
    let before = NOTES.load(std::sync::atomic::Ordering::Relaxed);
    let thread = f.call_host(3).unwrap();
    assert_eq!(thread, plugport_isolation_tests::thread_number());
    assert_eq!(NOTES.load(std::sync::atomic::Ordering::Relaxed), before + 3);
    // A plugin object held by the host, and host objects lent and given to the plugin.
    let cell = f.cell_new(7).unwrap();
    assert_eq!(cell.get().unwrap(), 7);
    assert_eq!(f.peek_token(&Token::handle(5)).unwrap(), 5);
    assert_eq!(f.eat_token(Token::handle(9)).unwrap(), 9);
    drop(cell);
    // A plugin error passes through unchanged.
    match f.fail() {
        Err(CallError::Panic(m)) => assert_eq!(m, "deliberate panic"),
        other => panic!("fail: {other:?}"),
    }
    // A second open is a second session with its own instance (another process).
    let (_plugin2, p2) = open_remote(&server.url, 0).expect("open again");
    let pid2 = p2.faults().pid().unwrap();
    assert_ne!(pid2, pid);
    // A crash of the plugin fails that call only; the server restarts the instance.
    let msg = isolation_error(f.segv(), "segv");
    assert!(msg.contains("SIGSEGV"), "{msg}");
    assert_eq!(f.inc(1).unwrap(), 2);
    assert_ne!(f.pid().unwrap(), pid);
    assert_eq!(
        p2.faults().pid().unwrap(),
        pid2,
        "the other session is untouched"
    );
}

#[test]
fn server_killed_mid_call_fails_the_call_and_the_next_call_succeeds_after_restart() {
    let mut server = Server::start(&fault_plugin(), 0, &[]);
    let url = server.url.clone();
    let (_plugin, p) = open_remote(&url, 0).expect("open");
    let cell = p.faults().cell_new(3).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(p.faults().hang(20_000)).unwrap());
        std::thread::sleep(Duration::from_millis(300));
        server.kill();
        let r = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the call in flight returns when the server dies");
        let msg = isolation_error(r, "hang while the server is killed");
        assert!(msg.contains(&url), "the message names the server: {msg}");
        assert!(
            msg.contains("lost") || msg.contains("ended"),
            "the message names the cause: {msg}"
        );
    });
    // No server: the next call says that it cannot reconnect.
    let msg = isolation_error(p.faults().inc(1), "a call with the server down");
    assert!(msg.contains("reconnecting failed"), "{msg}");
    // The server comes back on the same port: the next call reconnects.
    let _server = Server::start(&fault_plugin(), server.port, &[]);
    assert_eq!(p.faults().inc(1).unwrap(), 2);
    // Handles of the old session are refused, never mapped to another object.
    let msg = isolation_error(cell.get(), "a handle of the old session");
    assert!(!msg.is_empty());
}

#[test]
fn a_call_past_its_deadline_fails_and_the_session_goes_on() {
    let server = Server::start(&fault_plugin(), 0, &[]);
    let (_plugin, p) = open_remote(&server.url, 300).expect("open");
    let t = Instant::now();
    let msg = isolation_error(p.faults().hang(3_000), "hang past the deadline");
    assert!(msg.contains("deadline of 300 ms"), "{msg}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(p.faults().inc(9).unwrap(), 10);
}

/// The host's deadline travels with the call: the server, though started with a far
/// `--call-timeout-ms`, gives up on the call at the host's deadline (its log says after
/// how long) and kills the instance's child as `--call-timeout-ms` would, so the next
/// call runs in a new child.
#[test]
fn the_hosts_deadline_reaches_the_server_which_gives_up_at_it() {
    let log = plugport_remote_tests::temp_log("deadline");
    let server = Server::start_logged(&fault_plugin(), 0, &["--call-timeout-ms", "20000"], &log);
    let (_plugin, p) = open_remote(&server.url, 400).expect("open");
    let pid = p.faults().pid().unwrap();
    let t = Instant::now();
    let msg = isolation_error(p.faults().hang(8_000), "hang past the deadline");
    assert!(msg.contains("deadline of 400 ms"), "{msg}");
    let line = plugport_remote_tests::wait_for_line(&log, "given up after", Duration::from_secs(5))
        .unwrap_or_else(|| {
            panic!(
                "the server did not give up on the call:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(line.contains("the host's deadline of 400 ms"), "{line}");
    let ms: u64 = line
        .split("given up after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {line:?}"));
    assert!((400..4_000).contains(&ms), "gave up after {ms} ms: {line}");
    let pid2 = p.faults().pid().unwrap();
    assert_ne!(pid2, pid, "the instance's child was killed and restarted");
    let _ = std::fs::remove_file(&log);
}

#[test]
fn an_incompatible_remote_descriptor_is_refused_naming_the_item_as_for_the_file() {
    let server = Server::start(&fault_plugin(), 0, &[]);
    // The host's world: `inc` takes a u64 instead of a u32.
    let (_, world) = plugport::descriptor::parse_world_json(WORLD_JSON).unwrap();
    let text = serde_json::to_string(&world).unwrap();
    let old = r#"{"name":"x","ty":"u32"}],"result":"u32""#;
    assert_eq!(text.matches(old).count(), 1, "inc's signature in {text}");
    let changed: plugport::ir::World =
        serde_json::from_str(&text.replace(old, r#"{"name":"x","ty":"u64"}],"result":"u32""#))
            .unwrap();
    let host = plugport::descriptor::world_json(&changed);
    let remote = open_with_world(&server.url, &host, 0)
        .map(|_| ())
        .expect_err("an incompatible open");
    let local = open_with_world(fault_plugin().to_str().unwrap(), &host, 0)
        .map(|_| ())
        .expect_err("the file is refused too");
    assert!(
        matches!(remote, plugport::LoadError::Incompatible { .. }),
        "{remote}"
    );
    let (r, l) = (remote.to_string(), local.to_string());
    assert!(r.contains("inc"), "{r}");
    assert_eq!(
        r.replace(&server.url, "<plugin>"),
        l.replace(fault_plugin().to_str().unwrap(), "<plugin>"),
        "the same check, the same error"
    );
}

#[test]
fn a_message_over_the_limit_is_a_clear_error_and_nothing_breaks() {
    let server = Server::start(&fault_plugin(), 0, &["--max-message-bytes", "65536"]);
    let (_plugin, p) = open_remote(&server.url, 0).expect("open");
    // 100,000 bytes and their length (3 bytes of LEB128).
    let msg = isolation_error(p.faults().count(&vec![7u8; 100_000]), "100 kB");
    assert!(
        msg.contains("100003 bytes") && msg.contains("65536"),
        "both sizes: {msg}"
    );
    assert!(msg.contains("--max-message-bytes"), "{msg}");
    assert_eq!(p.faults().count(&vec![7u8; 60_000]).unwrap(), 60_000);
}

#[test]
fn an_unreachable_server_is_an_io_error_naming_the_url() {
    // A port nobody listens on: bind one and close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("grpc://127.0.0.1:{port}");
    match open_remote(&url, 0) {
        Err(e @ plugport::LoadError::Io { .. }) => {
            assert!(e.to_string().contains(&url), "{e}")
        }
        other => panic!("expected an I/O error, got {:?}", other.map(|_| ())),
    }
    match open_remote("grpc://127.0.0.1", 0) {
        Err(e) => assert!(e.to_string().contains("grpc://host:port"), "{e}"),
        Ok(_) => panic!("a URL without a port was accepted"),
    }
}

#[test]
fn sigterm_lets_the_call_in_flight_finish_then_the_server_exits() {
    let mut server = Server::start(&fault_plugin(), 0, &["--shutdown-grace", "5"]);
    // The standard health service says SERVING.
    let status = health(&server.url, "plugport.remote.v1.Plugin");
    assert_eq!(status, 1, "SERVING");
    let (_plugin, p) = open_remote(&server.url, 0).expect("open");
    assert_eq!(p.faults().inc(1).unwrap(), 2, "the session is up");
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(p.faults().hang(2_000)).unwrap());
        // Long enough for the call to reach the plugin on a busy machine, well within
        // its 2 s.
        std::thread::sleep(Duration::from_millis(600));
        server.signal(libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(200));
        // A new call while the old one finishes is refused, saying why.
        let msg = isolation_error(p.faults().inc(1), "a call during the shutdown");
        assert!(msg.contains("shutting down"), "{msg}");
        let r = rx.recv_timeout(Duration::from_secs(10)).expect("returns");
        assert_eq!(r.unwrap(), 2_000, "the call in flight finished");
    });
    let t = Instant::now();
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    // The session ended with the server (if the host has not read its end yet, the call
    // fails as lost); no server to reconnect to.
    let msg = isolation_error(p.faults().inc(1), "a call after the shutdown");
    assert!(
        msg.contains("reconnecting failed") || msg.contains("ended the session"),
        "{msg}"
    );
}

/// The gRPC health status of `service` (1 SERVING, 2 NOT_SERVING).
fn health(url: &str, service: &str) -> i32 {
    let http = url.replace("grpc://", "http://");
    let service = service.to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let ch = tonic::transport::Endpoint::from_shared(http)
            .unwrap()
            .connect()
            .await
            .expect("connect for health");
        let mut c = tonic_health::pb::health_client::HealthClient::new(ch);
        c.check(tonic_health::pb::HealthCheckRequest { service })
            .await
            .expect("health check")
            .into_inner()
            .status
    })
}

fn examples() -> Option<PathBuf> {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"));
    dir.join("greeter/greeter-host-c").is_file().then_some(dir)
}

#[test]
fn the_greeter_c_host_unchanged_prints_the_same_over_grpc() {
    let Some(dir) = examples() else {
        // scripts/test.sh always builds them; a bare `cargo test -p` may not have.
        assert!(
            std::env::var_os("PLUGPORT_EXAMPLES").is_none(),
            "PLUGPORT_EXAMPLES is set but holds no greeter-host-c"
        );
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    let dir = dir.join("greeter");
    let host = dir.join("greeter-host-c");
    for plugin in ["libgreeter_zh.so", "libgreeter_en.so"] {
        let server = Server::start(&dir.join(plugin), 0, &[]);
        let run = |target: &str| {
            let out = Command::new(&host)
                .args([target, "世界", "Ada"])
                .env_remove("PLUGPORT_ISOLATION")
                .output()
                .expect("run greeter-host-c");
            assert!(
                out.status.success(),
                "greeter-host-c {target}: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let local = run(dir.join(plugin).to_str().unwrap());
        let remote = run(&server.url);
        assert_eq!(remote, local, "{plugin}: remote output differs");
        assert!(
            remote.contains("host log"),
            "the logger import ran: {remote}"
        );
    }
}

/// Four opens (four sessions, four instances on the server) × 16 threads each call one
/// server at once; every answer is checked, and the imports of each call come back to
/// the thread that made it.
#[test]
fn four_opens_times_sixteen_threads_call_one_server_and_every_answer_is_right() {
    let server = Server::start(&fault_plugin(), 0, &[]);
    let opens: Vec<_> = (0..4)
        .map(|_| open_remote(&server.url, 0).expect("open"))
        .collect();
    let pids: std::collections::HashSet<u32> = opens
        .iter()
        .map(|(_, p)| p.faults().pid().unwrap())
        .collect();
    assert_eq!(pids.len(), 4, "one instance per open");
    let t = Instant::now();
    std::thread::scope(|s| {
        for (o, (_, p)) in opens.iter().enumerate() {
            for th in 0..16u32 {
                s.spawn(move || {
                    let f = p.faults();
                    for i in 0..200u32 {
                        let x = (o as u32) << 24 | th << 16 | i;
                        assert_eq!(f.inc(x).unwrap(), x + 1);
                        let pair = plugport_isolation_tests::exports::faults::Pair { a: i, b: 0.5 };
                        let name = format!("o{o}t{th}");
                        assert_eq!(f.describe(&name, &pair).unwrap(), format!("{name}:{i}.5"));
                        if i % 50 == 0 {
                            assert_eq!(
                                f.call_host(2).unwrap(),
                                plugport_isolation_tests::thread_number()
                            );
                        }
                    }
                });
            }
        }
    });
    assert!(
        t.elapsed() < Duration::from_secs(120),
        "took {:?}",
        t.elapsed()
    );
}

/// The greeter C host against a remote plugin under valgrind memcheck: every result and
/// error message the proxies allocate is released through the table's `dealloc`, and
/// nothing of the remote client (its connection, session, runtime) is misused or leaks
/// definitely.
#[test]
fn the_greeter_c_host_over_grpc_leaks_nothing_under_valgrind() {
    let Some(dir) = examples() else {
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    let dir = dir.join("greeter");
    let server = Server::start(&dir.join("libgreeter_zh.so"), 0, &[]);
    let out = Command::new("valgrind")
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .arg(dir.join("greeter-host-c"))
        .args([server.url.as_str(), "Ada"])
        .env_remove("PLUGPORT_ISOLATION")
        .output()
        .expect("run valgrind (scripts/install-deps.sh installs it)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "valgrind greeter-host-c {}: {}\n{stdout}\n{stderr}",
        server.url,
        out.status
    );
    assert!(stdout.contains("你好，Ada！"), "{stdout}");
}

/// Two servers of one plugin in one URL list: losing the one in use fails the call in
/// flight, and the next call fails over to the other; the first, restarted, takes over
/// again when the second goes. (`a` is the server the open chose.)
#[test]
fn several_urls_fail_over_to_a_live_server() {
    let mut a = Server::start(&fault_plugin(), 0, &[]);
    let mut b = Server::start(&fault_plugin(), 0, &[]);
    let list = format!("{},{}", a.url, b.url);
    let (plugin, p) = open_remote(&list, 0).expect("open the list");
    assert_eq!(p.faults().inc(1).unwrap(), 2);
    assert!(plugport::remote::of(&plugin).is_some());
    // Opens are balanced over the list (`balance.rs`): name the two by where this one went.
    if plugport::remote::of(&plugin).unwrap().url() == b.url {
        std::mem::swap(&mut a, &mut b);
    }
    assert_eq!(plugport::remote::of(&plugin).unwrap().url(), a.url);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(p.faults().hang(20_000)).unwrap());
        std::thread::sleep(Duration::from_millis(300));
        a.kill(); // the first URL is the one in use
        let msg = isolation_error(
            rx.recv_timeout(Duration::from_secs(10)).expect("returns"),
            "hang while the server in use dies",
        );
        assert!(msg.contains(&a.url), "{msg}");
    });
    assert_eq!(
        p.faults().inc(2).unwrap(),
        3,
        "failed over to the second server"
    );
    let remote = plugport::remote::of(&plugin).expect("a remote plugin");
    assert_eq!(remote.url(), b.url, "the session is on the second server");
    assert!(
        remote.last_error().unwrap_or_default().contains(&a.url),
        "why the last session ended: {:?}",
        remote.last_error()
    );
    let a_port = a.port;
    let _a2 = Server::start(&fault_plugin(), a_port, &[]);
    b.kill();
    // A call sent before the host has noticed the loss fails like a call in flight (it
    // may have run: calls are not retried); the one after it reconnects.
    match p.faults().inc(3) {
        Ok(v) => assert_eq!(v, 4),
        Err(e) => {
            let msg = isolation_error(Err::<(), _>(e), "a call right after the kill");
            assert!(msg.contains("lost") || msg.contains("ended"), "{msg}");
        }
    }
    assert_eq!(
        p.faults().inc(4).unwrap(),
        5,
        "back to the first, restarted"
    );
}
