//! The lifecycle of an isolated plugin's process (`docs/isolation.md`, "Lifecycle"): the
//! drain when a plugin is closed or replaced (calls in flight finish, then the process
//! exits cleanly, or is killed past the drain time), and the child's resource limits
//! (`RLIMIT_CPU`, `RLIMIT_AS`, `RLIMIT_NOFILE`).

use std::ffi::{c_void, CString};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use plugport::capi::*;
use plugport::isolation::capi::*;
use plugport::CallError;
use plugport_isolation_tests::{fault_plugin, open_isolated, Host, Options, Plugin, WORLD_JSON};

fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_isolation-test-runner"))
}

fn alive(pid: u32) -> bool {
    // A zombie still has /proc/<pid>; its state is Z.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// `plugport_open_ex` of the fault plugin, isolated, with `drain_timeout_ms`.
fn open_c(drain_timeout_ms: u32) -> *mut PlugportPlugin {
    let o = PlugportOpenOptions {
        size: std::mem::size_of::<PlugportOpenOptions>() as u32,
        isolation: PLUGPORT_ISOLATION_PROCESS,
        call_timeout_ms: 0,
        max_restarts: 0,
        start_timeout_ms: 0,
        drain_timeout_ms,
        max_address_space_mb: 0,
        max_cpu_seconds: 0,
        idle_timeout_ms: 0,
        max_open_files: 0,
        allow_sha256: std::ptr::null(),
    };
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("PLUGPORT_RUNNER", runner()));
    let c = CString::new(fault_plugin().to_str().unwrap()).unwrap();
    let imports = Plugin::imports_table::<Host>() as *const _ as *const c_void;
    let mut p = std::ptr::null_mut();
    // SAFETY: valid arguments per the C API's contract.
    let code = unsafe {
        plugport_open_ex(
            c.as_ptr(),
            WORLD_JSON.as_ptr(),
            WORLD_JSON.len(),
            imports,
            &o,
            &mut p,
        )
    };
    assert_eq!(code, PLUGPORT_OK);
    p
}

/// The bindings over the plugin's current exports table.
fn bindings(p: *const PlugportPlugin) -> Plugin {
    // SAFETY: the table stays valid until close / release_previous, which drain the calls.
    unsafe { Plugin::from_raw_exports(plugport_exports(p) as *const _) }
}

/// A C host reloads while another thread's call is in flight on the old process, and
/// releases the old image at once: the release waits for that call, which gets its
/// answer, and then the old process is gone (it exited, and was reaped), while the new
/// one serves.
#[test]
fn release_previous_lets_calls_in_flight_finish_then_the_old_process_exits() {
    let p = open_c(0);
    let old = bindings(p);
    let old_pid = old.faults().pid().unwrap();
    let call = std::thread::spawn(move || old.faults().hang(600));
    std::thread::sleep(Duration::from_millis(150)); // the call is in the old process
                                                    // SAFETY (every call below): `p` is live until plugport_close at the end.
    unsafe {
        assert_eq!(plugport_reload(p), PLUGPORT_OK);
        let new = bindings(p);
        let new_pid = new.faults().pid().unwrap();
        assert_ne!(new_pid, old_pid);
        let t = Instant::now();
        assert_eq!(plugport_release_previous(p), 1);
        let waited = t.elapsed();
        assert!(
            waited >= Duration::from_millis(250),
            "the release did not wait for the call in flight ({waited:?})"
        );
        assert_eq!(
            call.join().unwrap(),
            Ok(600),
            "the call in flight finished with its answer"
        );
        assert!(!alive(old_pid), "the old process {old_pid} is still there");
        assert_eq!(plugport_loaded_images(p), 1);
        assert_eq!(new.faults().inc(1).unwrap(), 2);
        assert_eq!(new.faults().pid().unwrap(), new_pid);
        plugport_close(p);
    }
    assert!(!alive(old_pid));
}

/// A call that outlasts the drain time is ended: the process is killed, the call fails
/// with `PP_ERR_ISOLATION` naming the drain, and the release returns soon after the
/// drain time.
#[test]
fn a_drain_past_its_time_kills_the_process_and_fails_the_call() {
    let p = open_c(300);
    let b = bindings(p);
    let pid = b.faults().pid().unwrap();
    let call = std::thread::spawn(move || b.faults().hang(10_000));
    std::thread::sleep(Duration::from_millis(150));
    let t = Instant::now();
    // SAFETY: live until here; close drains the call on the other thread.
    unsafe { plugport_close(p) };
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "close took {waited:?}"
    );
    match call.join().unwrap() {
        Err(e @ CallError::Isolation(_)) => {
            assert!(e.to_string().contains("drain time of 300 ms"), "{e}")
        }
        other => panic!("the call past the drain: {other:?}"),
    }
    assert!(!alive(pid), "the killed process {pid} is still there");
}

/// Helper process of [`a_replaced_process_exits_cleanly`]: prints a marker through the
/// plugin (C stdio, buffered: stdout is a pipe), then drops the plugin.
#[test]
#[ignore = "run by a_replaced_process_exits_cleanly as a separate process"]
fn helper_print_then_drop() {
    let (plugin, p) = open_isolated(&fault_plugin(), &runner(), Options::default()).unwrap();
    println!("CHILD_PID={}", p.faults().pid().unwrap());
    p.faults().print("MARKER-FROM-THE-PLUGIN").unwrap();
    drop(p);
    drop(plugin);
    println!();
    println!("DROPPED");
}

/// Dropping an isolated plugin (the last reference, as after a reload) ends its process
/// cleanly: it flushes its output and exits, instead of being killed with what it printed
/// still in its buffers.
#[test]
fn a_replaced_process_exits_cleanly() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_print_then_drop",
            "--nocapture",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let dropped = text.find("DROPPED").expect("the helper finished");
    let marker = text
        .find("MARKER-FROM-THE-PLUGIN")
        .unwrap_or_else(|| panic!("the plugin's buffered output was lost:\n{text}"));
    assert!(marker < dropped, "{text}");
    let pid: u32 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("CHILD_PID="))
        .expect("pid")
        .parse()
        .unwrap();
    assert!(!alive(pid));
}

/// `RLIMIT_CPU`: a plugin that burns more CPU time than allowed is ended by `SIGXCPU`;
/// the call fails naming it, and the restarted process (limited again) answers.
#[test]
fn the_cpu_limit_ends_a_spinning_plugin() {
    let (plugin, p) = open_isolated(
        &fault_plugin(),
        &runner(),
        Options {
            max_cpu_seconds: Some(1),
            ..Options::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    match p.faults().spin(20_000) {
        Err(CallError::Isolation(m)) => assert!(m.contains("SIGXCPU"), "{m}"),
        other => panic!("spin past the CPU limit: {other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert_eq!(p.faults().spin(10).unwrap(), 10);
    assert_eq!(plugin.isolated().unwrap().restarts(), 1);
}

/// `RLIMIT_AS`: an allocation larger than the limit fails inside the plugin (which says
/// so), a small one succeeds, and the process lives on.
#[test]
fn the_address_space_limit_makes_a_large_allocation_fail() {
    let (plugin, p) = open_isolated(
        &fault_plugin(),
        &runner(),
        Options {
            max_address_space: Some(768 << 20),
            ..Options::default()
        },
    )
    .unwrap();
    let pid = p.faults().pid().unwrap();
    assert_eq!(p.faults().alloc(16), Ok(true));
    assert_eq!(p.faults().alloc(2048), Ok(false));
    assert_eq!(p.faults().alloc(16), Ok(true));
    assert_eq!(p.faults().pid().unwrap(), pid);
    // Without a limit, the same allocation succeeds (so the limit made the difference).
    let (_plugin2, q) = open_isolated(&fault_plugin(), &runner(), Options::default()).unwrap();
    assert_eq!(q.faults().alloc(2048), Ok(true));
    drop(plugin);
}

/// `RLIMIT_NOFILE`: a plugin that opens more files than allowed sees `EMFILE` inside its
/// call (an error it reports, not a crash), fewer files open fine, and the process lives
/// on; a limit too small for the runner itself fails the open with an error.
#[test]
fn the_open_files_limit_makes_opening_too_many_files_fail_in_the_plugin() {
    let (plugin, p) = open_isolated(
        &fault_plugin(),
        &runner(),
        Options {
            max_open_files: Some(32),
            ..Options::default()
        },
    )
    .unwrap();
    let pid = p.faults().pid().unwrap();
    assert_eq!(p.faults().open_files(8), Ok(Ok(8)));
    match p.faults().open_files(64) {
        Ok(Err(m)) => assert!(m.contains("Too many open files"), "{m}"),
        other => panic!("64 files under a limit of 32: {other:?}"),
    }
    assert_eq!(p.faults().open_files(8), Ok(Ok(8)));
    assert_eq!(p.faults().inc(1), Ok(2));
    assert_eq!(p.faults().pid().unwrap(), pid, "the process lived on");
    assert_eq!(plugin.isolated().unwrap().restarts(), 0);
    // Without a limit, the same 64 files open (so the limit made the difference).
    let (_plugin2, q) = open_isolated(&fault_plugin(), &runner(), Options::default()).unwrap();
    assert_eq!(q.faults().open_files(64), Ok(Ok(64)));
    // Room for nothing but stdio and the control connection: the runner cannot load the
    // plugin, and the open says why.
    let e = open_isolated(
        &fault_plugin(),
        &runner(),
        Options {
            max_open_files: Some(4),
            ..Options::default()
        },
    )
    .map(|_| ())
    .unwrap_err();
    assert!(e.to_string().contains("Too many open files"), "{e}");
    drop(plugin);
}

fn idle_options(ms: u32) -> Options {
    Options {
        idle_timeout_ms: ms,
        ..Options::default()
    }
}

/// Waits until `f` holds, at most `limit`.
fn eventually(limit: Duration, f: impl Fn() -> bool) -> bool {
    let t = Instant::now();
    while !f() {
        if t.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Idle stop and on-demand start: without calls the child exits after the idle time
/// (cleanly, its reason says so), and the next call starts a new one, which is not a
/// restart after a failure.
#[test]
fn an_idle_plugin_process_stops_and_the_next_call_starts_it() {
    let (plugin, p) = open_isolated(&fault_plugin(), &runner(), idle_options(200)).unwrap();
    let iso = plugin.isolated().unwrap();
    let first = iso.pid().expect("the open starts the child") as u32;
    assert!(
        eventually(Duration::from_secs(5), || iso.pid().is_none()),
        "the idle child {first} was not stopped"
    );
    assert!(eventually(Duration::from_secs(2), || !alive(first)));
    // The watcher records the reason right after it reaped the child: wait for it.
    eventually(Duration::from_secs(2), || {
        iso.last_exit().is_some_and(|w| w.contains("without calls"))
    });
    let why = iso.last_exit().unwrap_or_default();
    assert!(
        why.contains("without calls") && why.contains("exited with status 0"),
        "{why}"
    );
    assert_eq!(iso.idle_stops(), 1);
    // On demand: the next call starts a new child.
    assert_eq!(p.faults().inc(1).unwrap(), 2);
    let second = p.faults().pid().unwrap();
    assert_ne!(second, first);
    assert_eq!(iso.restarts(), 0, "an idle stop is not a failure");
    // Calls more often than the idle time keep it running.
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(p.faults().pid().unwrap(), second);
    }
    assert!(eventually(Duration::from_secs(5), || iso.pid().is_none()));
    assert_eq!(iso.idle_stops(), 2);
}

/// A child is not stopped while a call runs (longer than the idle time) or while an
/// object crosses: the host holds one of the plugin's cells, or the plugin a host token.
#[test]
fn a_busy_plugin_process_or_one_with_objects_is_not_stopped() {
    let (plugin, p) = open_isolated(&fault_plugin(), &runner(), idle_options(100)).unwrap();
    let iso = plugin.isolated().unwrap();
    let pid = p.faults().pid().unwrap();
    assert_eq!(p.faults().hang(500).unwrap(), 500);
    assert_eq!(p.faults().pid().unwrap(), pid, "stopped during a call");
    let cell = p.faults().cell_new(7).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        iso.pid(),
        Some(pid as i32),
        "stopped while the host held a cell"
    );
    assert_eq!(cell.get().unwrap(), 7);
    drop(cell);
    assert!(
        eventually(Duration::from_secs(5), || iso.pid().is_none()),
        "not stopped once the cell was dropped"
    );
    assert_eq!(iso.idle_stops(), 1);
    assert_eq!(p.faults().inc(2).unwrap(), 3);
}
