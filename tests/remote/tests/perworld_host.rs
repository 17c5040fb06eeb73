//! The fault world's Rust host on the per-world wire of `plugport serve`
//! (`docs/remote.md`, "The per-world wire"), forced with `PLUGPORT_REMOTE_WIRE=proto`
//! (this file holds one test, so setting the variable races with nothing):
//!
//! - nested calls: the plugin's `call-host(n)` calls the host's `note` import n times (an
//!   `ImportCall` on the call's stream); this host's `note` calls the plugin's `inc` from
//!   inside the import, which opens a new rpc, so `call-host` returns 42 only when the
//!   nested call went through; from several threads at once;
//! - a plugin resource, a plugin's own error (`PP_ERR_PANIC` through the
//!   `plugport-status` trailer), a crash of the plugin on the server (the call fails, the
//!   next succeeds), the server killed mid-call (the call fails naming the server) and
//!   restarted on the same port (the next call succeeds);
//! - the server's log shows that no session was opened.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use plugport::rt::CallError;
use plugport_isolation_tests::{imports, Plugin, Token, WORLD_JSON};
use plugport_remote_tests::{fault_plugin, plugport_cli};

/// The exports table of the open under test.
static EXPORTS: AtomicUsize = AtomicUsize::new(0);
/// How many nested calls `note` made.
static NESTED: AtomicUsize = AtomicUsize::new(0);

struct Nested;

impl imports::host::Host for Nested {
    type Token = Token;
    fn note(_msg: &str) -> u64 {
        // SAFETY: the exports table of the open below, alive while the test runs.
        let p = unsafe { Plugin::from_raw_exports(EXPORTS.load(Ordering::SeqCst) as *const _) };
        NESTED.fetch_add(1, Ordering::SeqCst);
        p.faults().inc(41).map_or(0, u64::from)
    }
}

#[test]
fn the_fault_world_on_the_per_world_wire_of_plugport_serve() {
    std::env::set_var("PLUGPORT_REMOTE_WIRE", "proto");
    let log = std::env::temp_dir().join(format!("plugport-pw-nested-{}.log", std::process::id()));
    let mut child = Command::new(plugport_cli())
        .arg("serve")
        .arg(fault_plugin())
        .args(["--listen", "127.0.0.1:0"])
        .env("PLUGPORT_SERVE_LOG", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start plugport serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("plugport serve's address");
    let url = line.split_whitespace().last().unwrap().to_string();
    let imports = Plugin::imports_table::<Nested>();
    let plugin = plugport::loader::open_with_options(
        std::path::Path::new(&url),
        WORLD_JSON,
        imports as *const _ as *const core::ffi::c_void,
        plugport::isolation::Options {
            call_timeout_ms: 10_000,
            ..Default::default()
        },
    )
    .expect("open");
    EXPORTS.store(plugin.exports() as usize, Ordering::SeqCst);
    // SAFETY: the table stays valid while `plugin` lives.
    let p = unsafe { Plugin::from_raw_exports(plugin.exports() as *const _) };
    assert_eq!(p.faults().inc(1).unwrap(), 2);
    assert_eq!(p.faults().call_host(1).unwrap(), 42);
    assert_eq!(p.faults().call_host(3).unwrap(), 42);
    assert_eq!(NESTED.load(Ordering::SeqCst), 4);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..5 {
                    assert_eq!(p.faults().call_host(2).unwrap(), 42);
                }
            });
        }
    });
    assert_eq!(NESTED.load(Ordering::SeqCst), 44);

    let f = p.faults();
    let cell = f.cell_new(7).unwrap();
    assert_eq!(cell.get().unwrap(), 7);
    drop(cell);
    let pair = plugport_isolation_tests::exports::faults::Pair { a: 2, b: 0.5 };
    assert_eq!(f.describe("x", &pair).unwrap(), "x:2.5");
    match f.fail() {
        Err(CallError::Panic(m)) => assert_eq!(m, "deliberate panic"),
        other => panic!("fail: {other:?}"),
    }
    match f.segv() {
        Err(CallError::Isolation(m)) => assert!(m.contains("SIGSEGV"), "{m}"),
        other => panic!("segv: {other:?}"),
    }
    assert_eq!(f.inc(1).unwrap(), 2, "the server restarted the instance");

    // The server killed mid-call, then restarted on the same port.
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let r = std::thread::scope(|s| {
        let h = s.spawn(|| p.faults().hang(20_000));
        std::thread::sleep(Duration::from_millis(300));
        let _ = child.kill();
        let _ = child.wait();
        h.join().unwrap()
    });
    match r {
        Err(CallError::Isolation(m)) => assert!(m.contains(&url), "names the server: {m}"),
        other => panic!("hang while the server is killed: {other:?}"),
    }
    let mut child = Command::new(plugport_cli())
        .arg("serve")
        .arg(fault_plugin())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("PLUGPORT_SERVE_LOG", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::OpenOptions::new().append(true).open(&log).unwrap())
        .spawn()
        .expect("restart plugport serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("plugport serve's address");
    let start = std::time::Instant::now();
    let mut r = p.faults().inc(5);
    while r.is_err() && start.elapsed() < Duration::from_secs(10) {
        // tonic's channel reconnects with a backoff.
        std::thread::sleep(Duration::from_millis(100));
        r = p.faults().inc(5);
    }
    assert_eq!(r.unwrap(), 6, "a call after the restart");

    drop(p);
    drop(plugin);
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(50));
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(
        text.contains("per-world services' instance loaded") && !text.contains("session"),
        "the calls went to the per-world services:\n{text}"
    );
}
