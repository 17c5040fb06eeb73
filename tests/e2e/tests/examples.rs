//! The example matrix, end to end: {C host, Rust host, Go host} × {Rust plugin, C plugin,
//! Go plugin} for the greeter and the codec, as built by `scripts/build-examples.sh`
//! (which `scripts/test.sh` runs first; `PLUGPORT_EXAMPLES` names its output folder),
//! except a Go plugin in the Go host (two Go runtimes in one process: unsupported by Go,
//! docs/go.md). The C hosts also run under valgrind memcheck, which must report no leak
//! and no error.

use std::path::PathBuf;
use std::process::{Command, Output};

fn examples() -> PathBuf {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"));
    assert!(
        dir.join("greeter").is_dir(),
        "{} has no built examples: run scripts/build-examples.sh {} first (scripts/test.sh does)",
        dir.display(),
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const GREETER_PAIRS: [(&str, &str, &str, &str); 4] = [
    (
        "greeter-host-c",
        "libgreeter_en.so",
        "c host",
        "Hello, 世界!",
    ),
    (
        "greeter-host-c",
        "libgreeter_zh.so",
        "c host",
        "你好，世界！",
    ),
    (
        "greeter-host-rust",
        "libgreeter_en.so",
        "rust host",
        "Hello, 世界!",
    ),
    (
        "greeter-host-rust",
        "libgreeter_zh.so",
        "rust host",
        "你好，世界！",
    ),
];

#[test]
fn greeter_every_host_loads_every_plugin_and_the_plugin_logs_through_the_host() {
    let dir = examples().join("greeter");
    for (host, plugin, who, answer) in GREETER_PAIRS {
        let out = run(Command::new(dir.join(host))
            .arg(dir.join(plugin))
            .arg("世界"));
        let text = stdout(&out);
        assert!(
            text.contains(&format!("{who}: {answer}")),
            "{host} x {plugin}:\n{text}"
        );
        // The plugin called the host's logger import during greet.
        assert!(
            text.contains("host log"),
            "{host} x {plugin}: no logger call\n{text}"
        );
        let lang = if plugin.contains("zh") { "zh-CN" } else { "en" };
        assert!(
            text.contains(&format!("language {lang}")),
            "{host} x {plugin}:\n{text}"
        );
    }
}

/// The pairs with a Go host or a Go plugin: (host, plugin, who, answer, language).
/// Every pair with a Go side. The Go host with a Go plugin runs it in a child process (two Go
/// runtimes cannot share one: docs/go.md), which the loader chooses by itself.
const GO_GREETER_PAIRS: [(&str, &str, &str, &str, &str); 9] = [
    (
        "greeter-host-go",
        "libgreeter_en_go.so",
        "go host",
        "Hello, 世界!",
        "en-x-go",
    ),
    (
        "greeter-host-go",
        "libgreeter_zh_go.so",
        "go host",
        "你好，Ada！",
        "zh-CN-x-go",
    ),
    (
        "greeter-host-go",
        "libgreeter_en.so",
        "go host",
        "Hello, 世界!",
        "en",
    ),
    (
        "greeter-host-go",
        "libgreeter_zh.so",
        "go host",
        "你好，世界！",
        "zh-CN",
    ),
    (
        "greeter-host-c",
        "libgreeter_en_go.so",
        "c host",
        "Hello, 世界!",
        "en-x-go",
    ),
    (
        "greeter-host-rust",
        "libgreeter_en_go.so",
        "rust host",
        "Hello, 世界!",
        "en-x-go",
    ),
    (
        "greeter-host-c",
        "libgreeter_zh_go.so",
        "c host",
        "你好，世界！",
        "zh-CN-x-go",
    ),
    (
        "greeter-host-rust",
        "libgreeter_zh_go.so",
        "rust host",
        "你好，Ada！",
        "zh-CN-x-go",
    ),
    // The second name of the same run.
    (
        "greeter-host-go",
        "libgreeter_zh.so",
        "go host",
        "你好，Ada！",
        "zh-CN",
    ),
];

#[test]
fn greeter_go_host_loads_c_and_rust_plugins_and_go_plugin_answers_c_and_rust_hosts() {
    let dir = examples().join("greeter");
    for (host, plugin, who, answer, lang) in GO_GREETER_PAIRS {
        let out = run(Command::new(dir.join(host))
            .arg(dir.join(plugin))
            .arg("世界")
            .arg("Ada"));
        let text = stdout(&out);
        assert!(
            text.contains(&format!("{who}: {answer}")),
            "{host} x {plugin}:\n{text}"
        );
        assert!(
            text.contains(&format!("{who}: language {lang}\n")),
            "{host} x {plugin}:\n{text}"
        );
        // Every greeting went through the host's logger import (one per name).
        assert_eq!(
            text.matches("host log").count(),
            2,
            "{host} x {plugin}: expected one logger call per name\n{text}"
        );
        if plugin.contains("en_go") {
            assert!(text.contains("greeting in English (Go)"), "{text}");
        }
        if plugin.contains("zh_go") {
            assert!(text.contains("greeting in Chinese (Go)"), "{text}");
        }
    }
}

#[test]
fn go_host_reports_a_file_that_is_not_a_plugin_with_the_loader_message() {
    let dir = examples().join("greeter");
    let not_a_plugin = examples().join("typecov/libnot_a_plugin.so");
    let out = Command::new(dir.join("greeter-host-go"))
        .arg(&not_a_plugin)
        .arg("x")
        .output()
        .expect("run greeter-host-go");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot load plugin"), "{err}");
    assert!(err.contains("libnot_a_plugin.so"), "{err}");
}

#[test]
fn codec_every_host_streams_through_every_plugin_and_sees_the_error_values() {
    let dir = examples().join("codec");
    for host in ["codec-host-c", "codec-host-rust", "codec-host-go"] {
        for plugin in ["libcodec_rust.so", "libcodec_c.so", "libcodec_go.so"] {
            let out = run(Command::new(dir.join(host)).arg(dir.join(plugin)).arg("3"));
            let text = stdout(&out);
            assert!(
                text.contains("frames verified"),
                "{host} x {plugin}:\n{text}"
            );
            assert!(
                text.contains("frame-too-large(1000), truncated(5)"),
                "{host} x {plugin}:\n{text}"
            );
            assert!(
                text.trim_end().ends_with("OK"),
                "{host} x {plugin}:\n{text}"
            );
        }
    }
}

/// Runs a C host under valgrind memcheck: any leak (definite or indirect) or memory error
/// makes valgrind exit with 99.
fn memcheck(args: &[PathBuf]) {
    let out = run(Command::new("valgrind")
        // See tests/typecov.rs: backtrace caches of an unloaded Rust plugin.
        .env_remove("RUST_BACKTRACE")
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .args(args));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("definitely lost"), "{args:?}: {err}");
}

#[test]
fn c_hosts_leak_nothing_under_valgrind() {
    let g = examples().join("greeter");
    for plugin in ["libgreeter_en.so", "libgreeter_zh.so"] {
        memcheck(&[
            g.join("greeter-host-c"),
            g.join(plugin),
            "Ada".into(),
            "世界".into(),
        ]);
    }
    let c = examples().join("codec");
    for plugin in ["libcodec_rust.so", "libcodec_c.so"] {
        memcheck(&[c.join("codec-host-c"), c.join(plugin), "1".into()]);
    }
}
