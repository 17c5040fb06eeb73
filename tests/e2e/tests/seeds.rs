//! The seeds' own programs rebuilt on plugport (examples/seeds, issue 7 item 5), run as
//! built by `scripts/build-examples.sh` (`PLUGPORT_EXAMPLES` names its output folder;
//! `scripts/test.sh` builds it first). Each test is named after the seed's scenario.

use std::path::PathBuf;
use std::process::{Command, Output};

fn seeds() -> PathBuf {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"))
        .join("seeds");
    assert!(
        dir.is_dir(),
        "{} is missing: run scripts/build-examples.sh first (scripts/test.sh does)",
        dir.display()
    );
    dir
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Seed 003 (S6): the seed's `Test` object, returned by a Go c-shared plugin as a
/// resource handle, is called from the C, Rust and Go hosts; each host compares every
/// value with the seed's and exits non-zero on a mismatch, and each prints the values it
/// received, checked here again.
#[test]
fn s6_seed003_interface_from_go_c_shared_called_from_c_rust_and_go_hosts() {
    let dir = seeds();
    for (host, who) in [
        ("seed003-host-c", "c host"),
        ("seed003-host-rust", "rust host"),
        ("seed003-host-go", "go host"),
    ] {
        let out = run(Command::new(dir.join(host)).arg(dir.join("libseed003_go.so")));
        let text = String::from_utf8_lossy(&out.stdout);
        for value in [
            "ReturnInterface",
            "9876543210",
            "123.456789",
            "1234567890",
            "哟哟,切克闹,煎饼果子来一套。",
            "我是一个粉刷匠,粉刷本领强",
        ] {
            assert!(text.contains(value), "{host}: no {value} in:\n{text}");
        }
        assert!(text.contains(&format!("{who}: OK")), "{host}:\n{text}");
    }
}

/// Seed 003 (S6) under process isolation: the same handles, vtable calls and nested
/// callback object across the process boundary (the C host, plugin in plugport-runner).
#[test]
fn s6_seed003_interface_isolated_in_a_child_process() {
    let dir = seeds();
    let out = run(Command::new(dir.join("seed003-host-c"))
        .arg(dir.join("libseed003_go.so"))
        .env("PLUGPORT_ISOLATION", "process"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("我是一个粉刷匠,粉刷本领强") && text.contains("c host: OK"),
        "{text}"
    );
}

/// Seed 003 (S6): the C host releases every string, the struct and both handles it
/// receives. Under valgrind memcheck with the plugin isolated (the Go runtime stays out of
/// the checked process; the proxies' copies of every result live in it), any leak or
/// memory error makes valgrind exit with 99.
#[test]
fn s6_seed003_c_host_releases_everything_under_valgrind() {
    let dir = seeds();
    let out = run(Command::new("valgrind")
        .env("PLUGPORT_ISOLATION", "process")
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .arg(dir.join("seed003-host-c"))
        .arg(dir.join("libseed003_go.so")));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("c host: OK"), "{text}");
}

/// Seed 000 (S1): the Go plugin in the C host's own process (no Go runtime in the host, so
/// no child), its `main(list<arg>)` called from 100 threads and the main thread at once;
/// the host checks every answer against `fmt.Sprint` of the arguments it sent, computed
/// in C. Forced in-process, so the test cannot pass through isolation by accident.
#[test]
fn s1_seed000_go_plugin_in_process_answers_101_threads_at_once() {
    let dir = seeds();
    let out = run(Command::new(dir.join("seed000-host-c"))
        .arg(dir.join("libseed000_go.so"))
        .args(["100", "50"])
        .env("PLUGPORT_ISOLATION", "inproc"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("all 5050 answers checked") && text.contains("c host: OK"),
        "{text}"
    );
}
