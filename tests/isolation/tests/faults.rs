//! Process isolation, end to end, with the C fault plugin (`plugin-c/plugin.c`): every
//! fault of `docs/isolation.md` ("Faults") becomes an error status naming what happened,
//! and the next call works in a new plugin process; threads, imports, restarts, and the
//! host's exit.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use plugport::abi::PP_ERR_ISOLATION;
use plugport::rt::CallError;
use plugport_isolation_tests::{exports::faults::Pair, fault_plugin, open_isolated, Options};

fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_isolation-test-runner"))
}

fn open(options: Options) -> (Arc<plugport::Plugin>, plugport_isolation_tests::Plugin) {
    open_isolated(&fault_plugin(), &runner(), options).expect("open the fault plugin isolated")
}

fn pid_of(p: &plugport_isolation_tests::Plugin) -> u32 {
    p.faults().pid().expect("pid")
}

/// The message of an isolation error, or a panic naming what came instead.
fn isolation_error(r: Result<impl std::fmt::Debug, CallError>, what: &str) -> String {
    match r {
        Err(e @ CallError::Isolation(_)) => {
            assert_eq!(e.status(), PP_ERR_ISOLATION, "{what}");
            let CallError::Isolation(message) = e else {
                unreachable!()
            };
            message
        }
        other => panic!("{what}: expected PP_ERR_ISOLATION, got {other:?}"),
    }
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

#[test]
fn values_cross_and_the_plugin_runs_in_another_process() {
    let (plugin, p) = open(Options::default());
    let iso = plugin.isolated().expect("isolated");
    let child = iso.pid().expect("a child runs");
    assert_eq!(pid_of(&p), child as u32);
    assert_ne!(child as u32, std::process::id());
    assert_eq!(p.faults().inc(41).unwrap(), 42);
    let pair = Pair { a: 2, b: 0.5 };
    assert_eq!(p.faults().describe("x", &pair).unwrap(), "x:2.5");
    assert_eq!(plugin.descriptor().plugin_name, "fault-c");
}

#[test]
fn every_fault_is_an_error_naming_it_and_the_next_call_works() {
    let (plugin, p) = open(Options {
        call_timeout_ms: 400,
        ..Options::default()
    });
    let iso = plugin.isolated().unwrap();
    let first = pid_of(&p);

    // A plugin's own error is passed through unchanged, and the process stays.
    match p.faults().fail() {
        Err(CallError::Panic(m)) => assert_eq!(m, "deliberate panic"),
        other => panic!("fail: {other:?}"),
    }
    assert_eq!(pid_of(&p), first);
    assert_eq!(iso.restarts(), 0);

    type Fault = Box<dyn Fn(&plugport_isolation_tests::Plugin) -> String>;
    let cases: [(&str, Fault, &str); 5] = [
        (
            "abort",
            Box::new(|p| isolation_error(p.faults().abort(), "abort")),
            "SIGABRT",
        ),
        (
            "segv",
            Box::new(|p| isolation_error(p.faults().segv(), "segv")),
            "SIGSEGV",
        ),
        (
            "exit(0)",
            Box::new(|p| isolation_error(p.faults().quit(0), "exit(0)")),
            "exited with status 0",
        ),
        (
            "exit(3)",
            Box::new(|p| isolation_error(p.faults().quit(3), "exit(3)")),
            "exited with status 3",
        ),
        (
            "deadline",
            Box::new(|p| isolation_error(p.faults().hang(5_000), "hang")),
            "deadline of 400 ms",
        ),
    ];
    let mut last_pid = first;
    for (i, (what, fault, expect)) in cases.iter().enumerate() {
        let t = Instant::now();
        let msg = fault(&p);
        assert!(msg.contains(expect), "{what}: {msg:?} lacks {expect:?}");
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "{what} took {:?}",
            t.elapsed()
        );
        assert!(
            iso.last_exit().unwrap_or_default().contains(expect),
            "{what}: last exit {:?}",
            iso.last_exit()
        );
        // The next call starts a new process and works.
        assert_eq!(
            p.faults().inc(i as u32).unwrap(),
            i as u32 + 1,
            "after {what}"
        );
        let now = pid_of(&p);
        assert_ne!(now, last_pid, "after {what}: a new process");
        assert!(!alive(last_pid), "after {what}: the old process is gone");
        last_pid = now;
        assert_eq!(iso.restarts(), i as u64 + 1);
    }
}

#[test]
fn sigkill_from_outside_fails_the_call_in_flight_and_the_next_call_works() {
    let (plugin, p) = open(Options::default());
    let pid = pid_of(&p);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(p.faults().hang(10_000)).unwrap());
        std::thread::sleep(Duration::from_millis(200));
        // SAFETY: signals the plugin process this test started.
        assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
        let r = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the call in flight returns");
        let msg = isolation_error(r, "hang during SIGKILL");
        assert!(msg.contains("SIGKILL"), "{msg}");
    });
    assert_eq!(p.faults().inc(1).unwrap(), 2);
    assert_eq!(plugin.isolated().unwrap().restarts(), 1);
}

#[test]
fn sixteen_threads_calling_while_the_child_is_killed_never_hang() {
    let (plugin, p) = open(Options::default());
    let p = &p;
    let stop = AtomicBool::new(false);
    let (ok, failed) = (AtomicU64::new(0), AtomicU64::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::scope(|s| {
        for t in 0..16u32 {
            let done_tx = done_tx.clone();
            let (stop, ok, failed) = (&stop, &ok, &failed);
            s.spawn(move || {
                let mut x = t;
                while !stop.load(Ordering::Relaxed) {
                    match p.faults().inc(x) {
                        Ok(y) => {
                            assert_eq!(y, x + 1);
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            isolation_error(Err::<(), _>(e), "a call during a kill");
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    x = x.wrapping_add(16);
                }
                done_tx.send(()).unwrap();
            });
        }
        for _ in 0..5 {
            std::thread::sleep(Duration::from_millis(150));
            if let Some(pid) = plugin.isolated().unwrap().pid() {
                // SAFETY: signals the plugin process this test started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        std::thread::sleep(Duration::from_millis(150));
        stop.store(true, Ordering::Relaxed);
        for _ in 0..16 {
            done_rx
                .recv_timeout(Duration::from_secs(10))
                .expect("every thread finishes: no call hangs");
        }
    });
    assert!(ok.load(Ordering::Relaxed) > 0);
    assert!(
        failed.load(Ordering::Relaxed) > 0,
        "some calls were in flight when the process was killed"
    );
    assert_eq!(p.faults().inc(7).unwrap(), 8);
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Processes whose parent is this process, and how many of them are zombies.
fn children() -> (usize, usize) {
    let me = std::process::id().to_string();
    let (mut all, mut zombies) = (0, 0);
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rsplit(')').next() else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(1) == Some(&me.as_str()) {
            all += 1;
            if fields[0] == "Z" {
                zombies += 1;
            }
        }
    }
    (all, zombies)
}

/// Run alone in a process of its own by [`crash_restart_cycles_leave_fds_and_children_flat`]
/// (the other tests of this binary open descriptors and children in parallel).
#[test]
#[ignore = "run by crash_restart_cycles_leave_fds_and_children_flat as a separate process"]
fn helper_crash_restart_cycles() {
    let (plugin, p) = open(Options::default());
    // Warm up: the first cycles create the spawner thread and the pools.
    for _ in 0..3 {
        let _ = p.faults().segv();
        p.faults().inc(1).unwrap();
    }
    let fds = open_fds();
    for i in 0..1000u32 {
        let _ = isolation_error(p.faults().segv(), "segv");
        assert_eq!(p.faults().inc(i).unwrap(), i + 1);
    }
    assert_eq!(plugin.isolated().unwrap().restarts(), 1003);
    let after = open_fds();
    assert_eq!(
        after, fds,
        "open descriptors over 1,000 crash/restart cycles"
    );
    let (all, zombies) = children();
    assert_eq!(zombies, 0, "no zombie plugin processes");
    assert_eq!(all, 1, "only the current plugin process is a child");
    println!("HELPER_OK fds={fds}");
}

#[test]
fn crash_restart_cycles_leave_fds_and_children_flat() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_crash_restart_cycles",
            "--nocapture",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("HELPER_OK"),
        "{}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn imports_run_on_the_calling_thread_also_from_eight_threads() {
    let (_plugin, p) = open(Options::default());
    let p = &p;
    let me = plugport_isolation_tests::thread_number();
    assert_eq!(p.faults().call_host(3).unwrap(), me);
    let before = plugport_isolation_tests::NOTES.load(Ordering::Relaxed);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(move || {
                let mine = plugport_isolation_tests::thread_number();
                for _ in 0..20 {
                    assert_eq!(p.faults().call_host(5).unwrap(), mine);
                }
            });
        }
    });
    let notes = plugport_isolation_tests::NOTES.load(Ordering::Relaxed) - before;
    assert!(notes >= 8 * 20 * 5, "{notes} notes");
}

#[test]
fn a_refused_file_is_the_same_error_as_in_process() {
    // The runner is an executable, not a shared library.
    let imports =
        plugport_isolation_tests::Plugin::imports_table::<plugport_isolation_tests::Host>();
    let inproc = plugport::loader::open_in_process(
        &runner(),
        plugport_isolation_tests::WORLD_JSON,
        imports as *const _ as *const core::ffi::c_void,
    )
    .unwrap_err();
    let Err(isolated) = open_isolated(&runner(), &runner(), Options::default()) else {
        panic!("an executable opened as a plugin");
    };
    assert_eq!(isolated.to_string(), inproc.to_string());
    assert_eq!(isolated.code(), inproc.code());
}

/// Helper process of [`the_host_exiting_leaves_no_child`]: opens the plugin isolated,
/// prints the child's pid, and exits without closing anything.
#[test]
#[ignore = "run by the_host_exiting_leaves_no_child as a separate process"]
fn helper_host_that_exits() {
    let (plugin, p) = open(Options::default());
    let pid = pid_of(&p);
    println!("CHILD_PID={pid}");
    std::mem::forget(plugin);
    std::mem::forget(p);
    if std::env::var_os("HELPER_ABORT").is_some() {
        std::process::abort();
    }
    std::process::exit(0);
}

#[test]
fn the_host_exiting_leaves_no_child() {
    for abort in [false, true] {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--ignored",
            "--exact",
            "helper_host_that_exits",
            "--nocapture",
        ]);
        if abort {
            cmd.env("HELPER_ABORT", "1");
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let pid: u32 = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("CHILD_PID="))
            .unwrap_or_else(|| panic!("no pid in {text}"))
            .parse()
            .unwrap();
        let t = Instant::now();
        while alive(pid) && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !alive(pid),
            "plugin process {pid} outlived its host (abort: {abort})"
        );
    }
}

#[test]
fn resources_cross_both_ways_and_handles_of_an_ended_process_are_refused() {
    use plugport_isolation_tests::{Token, LIVE_TOKENS};
    let (plugin, p) = open(Options::default());
    // A plugin object held by the host: method calls and drop go to the child.
    let cell = p.faults().cell_new(41).unwrap();
    assert_eq!(cell.get().unwrap(), 41);
    let second = p.faults().cell_new(7).unwrap();
    drop(second);
    assert_eq!(cell.get().unwrap(), 41);
    // Host objects passed to the plugin: borrowed (the plugin calls its method back in
    // the host) and owned (the plugin drops it, which reaches the host's drop).
    let before = LIVE_TOKENS.load(Ordering::SeqCst);
    let t = Token::handle(5);
    assert_eq!(p.faults().peek_token(&t).unwrap(), 5);
    assert_eq!(
        p.faults().peek_token(&t).unwrap(),
        5,
        "a borrow is still ours"
    );
    assert_eq!(p.faults().eat_token(t).unwrap(), 5);
    assert_eq!(
        LIVE_TOKENS.load(Ordering::SeqCst),
        before,
        "the plugin's drop of an owned token reached the host"
    );
    // After the process ends, its objects are gone: a handle of it is refused with
    // PP_ERR_ISOLATION (never mapped to another object), and dropping it is harmless.
    let _ = p.faults().segv();
    assert_eq!(p.faults().inc(1).unwrap(), 2);
    let msg = isolation_error(cell.get(), "a cell of the ended process");
    assert!(msg.contains("ended"), "{msg}");
    drop(cell);
    let fresh = p.faults().cell_new(9).unwrap();
    assert_eq!(fresh.get().unwrap(), 9);
    drop(fresh);
    assert!(plugin.isolated().unwrap().restarts() >= 1);
}

#[test]
fn the_restart_limit_stops_restarts() {
    let (plugin, p) = open(Options {
        restart_limit: 2,
        ..Options::default()
    });
    for _ in 0..2 {
        let _ = isolation_error(p.faults().segv(), "segv");
        assert_eq!(p.faults().inc(1).unwrap(), 2);
    }
    let _ = isolation_error(p.faults().segv(), "segv");
    let msg = isolation_error(p.faults().inc(1), "past the limit");
    assert!(msg.contains("restarted 2 times, the limit"), "{msg}");
    assert!(msg.contains("SIGSEGV"), "names the last exit: {msg}");
    assert_eq!(plugin.isolated().unwrap().restarts(), 2);
}

/// Helper process of [`the_variables_override_the_open_options`]: opens with the options
/// the test names, prints what the open and a hanging call did.
#[test]
#[ignore = "run by the_variables_override_the_open_options as a separate process"]
fn helper_host_with_variables() {
    let imports =
        plugport_isolation_tests::Plugin::imports_table::<plugport_isolation_tests::Host>();
    let options = Options {
        mode: plugport::isolation::Mode::InProcess,
        call_timeout_ms: 0,
        runner: Some(runner()),
        ..Options::default()
    };
    let plugin = plugport::loader::open_with_options(
        &fault_plugin(),
        plugport_isolation_tests::WORLD_JSON,
        imports as *const _ as *const core::ffi::c_void,
        options,
    )
    .unwrap();
    // SAFETY: `plugin` lives until the end of this function.
    let p =
        unsafe { plugport_isolation_tests::Plugin::from_raw_exports(plugin.exports() as *const _) };
    println!("ISOLATED={}", plugin.isolated().is_some());
    match p.faults().hang(3_000) {
        Ok(_) => println!("HANG=ok"),
        Err(e) => println!("HANG={e}"),
    }
}

#[test]
fn the_variables_override_the_open_options() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_host_with_variables",
            "--nocapture",
        ])
        .env("PLUGPORT_ISOLATION", "process")
        .env("PLUGPORT_CALL_TIMEOUT_MS", "200")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("ISOLATED=true"),
        "PLUGPORT_ISOLATION=process wins:\n{text}"
    );
    assert!(
        text.contains("deadline of 200 ms"),
        "PLUGPORT_CALL_TIMEOUT_MS=200 applies:\n{text}"
    );
}

#[test]
fn structs_by_value_of_every_register_class_cross_intact() {
    use plugport_isolation_tests::exports::faults::{Bd, Dd, Du, Ff, Fi};
    let args = |p: &plugport_isolation_tests::Plugin| {
        p.faults()
            .mix(
                &Ff { a: 1.5, b: -2.25 },
                &Dd { a: 3.125, b: 1e300 },
                &Fi {
                    a: 0.5,
                    b: 4_000_000_000,
                },
                &Bd { a: 255, b: -7.75 },
                &Du { a: 6.5, b: 17 },
                &(8.5, 9.25, -10.0),
                &Some(11.5),
                12.75,
                13,
                &Ff { a: 14.5, b: 15.5 },
                &Dd { a: 16.25, b: -17.0 },
            )
            .unwrap()
    };
    let expected = "1.5 -2.25 3.125 1e+300 0.5 4000000000 255 -7.75 6.5 17 8.5 9.25 -10 some 11.5 \
                    12.75 13 14.5 15.5 16.25 -17";
    // In-process: what the C compiler's own calling convention gives.
    let imports =
        plugport_isolation_tests::Plugin::imports_table::<plugport_isolation_tests::Host>();
    let inproc = plugport::loader::open_in_process(
        &fault_plugin(),
        plugport_isolation_tests::WORLD_JSON,
        imports as *const _ as *const core::ffi::c_void,
    )
    .unwrap();
    // SAFETY: `inproc` lives until the end of this test.
    let direct =
        unsafe { plugport_isolation_tests::Plugin::from_raw_exports(inproc.exports() as *const _) };
    assert_eq!(args(&direct), expected);
    // Isolated: the proxy's libffi closure reads them, the runner's ffi_call passes them.
    let (_plugin, p) = open(Options::default());
    assert_eq!(args(&p), expected);
}
