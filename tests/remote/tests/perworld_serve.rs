//! `plugport serve`'s per-world services (`docs/remote.md`, "`plugport serve` speaks it
//! too") under the fault world's Rust host forced onto that wire
//! (`PLUGPORT_REMOTE_WIRE=proto`, set once before any test opens anything): the host's
//! deadline, SIGTERM's grace period. Every server is started and killed by its test.

use std::sync::{mpsc, Once};
use std::time::{Duration, Instant};

use plugport::rt::CallError;
use plugport_remote_tests::{fault_plugin, open_remote, temp_log, wait_for_line, Server};

/// Forces the per-world wire for every open of this file's tests.
fn per_world() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_var("PLUGPORT_REMOTE_WIRE", "proto"));
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
