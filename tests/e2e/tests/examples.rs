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
    for host in [
        "codec-host-c",
        "codec-host-cpp",
        "codec-host-rust",
        "codec-host-go",
    ] {
        for plugin in [
            "libcodec_rust.so",
            "libcodec_c.so",
            "libcodec_cpp.so",
            "libcodec_go.so",
        ] {
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

/// The C++ pairs (docs/cpp.md): the C++ hosts with every plugin, every host with the C++
/// plugins, completing {C, C++, Rust} host × {C, C++, Rust} plugin for both examples.
#[test]
fn cpp_hosts_and_plugins_complete_the_example_matrix() {
    let dir = examples().join("greeter");
    let answers = [
        ("libgreeter_en.so", "Hello, 世界!", "en"),
        ("libgreeter_zh.so", "你好，世界！", "zh-CN"),
        ("libgreeter_fr.so", "Bonjour, 世界 !", "fr-FR"),
    ];
    for (host, who) in [
        ("greeter-host-cpp", "cpp host"),
        ("greeter-host-c", "c host"),
        ("greeter-host-rust", "rust host"),
    ] {
        for (plugin, answer, lang) in answers {
            if host != "greeter-host-cpp" && plugin != "libgreeter_fr.so" {
                continue; // covered by the test above
            }
            let out = run(Command::new(dir.join(host))
                .arg(dir.join(plugin))
                .arg("世界"));
            let text = stdout(&out);
            assert!(
                text.contains(&format!("{who}: {answer}")),
                "{host} x {plugin}:\n{text}"
            );
            assert!(text.contains("host log"), "{host} x {plugin}:\n{text}");
            assert!(
                text.contains(&format!("language {lang}")),
                "{host} x {plugin}:\n{text}"
            );
        }
    }
    // The codec pairs with C++ are in the codec matrix above.
}

/// The C++ hosts and plugins under valgrind memcheck: no leak, no memory error.
#[test]
fn cpp_hosts_and_plugins_leak_nothing_under_valgrind() {
    let g = examples().join("greeter");
    for plugin in ["libgreeter_en.so", "libgreeter_zh.so", "libgreeter_fr.so"] {
        memcheck(&[g.join("greeter-host-cpp"), g.join(plugin), "Ada".into()]);
    }
    memcheck(&[
        g.join("greeter-host-c"),
        g.join("libgreeter_fr.so"),
        "Ada".into(),
    ]);
    let c = examples().join("codec");
    for plugin in ["libcodec_rust.so", "libcodec_c.so", "libcodec_cpp.so"] {
        memcheck(&[c.join("codec-host-cpp"), c.join(plugin), "1".into()]);
    }
    memcheck(&[
        c.join("codec-host-c"),
        c.join("libcodec_cpp.so"),
        "1".into(),
    ]);
}

/// Waits up to 20 s for `path` to contain `needle`; returns the contents.
fn wait_for(path: &std::path::Path, needle: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) || start.elapsed() > std::time::Duration::from_secs(20) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The C++ greeter host's `--watch` mode: a replaced file is reloaded and greets in its
/// own language; a file the loader refuses leaves the old plugin serving.
#[test]
fn cpp_host_watch_reloads_a_replaced_plugin() {
    let g = examples().join("greeter");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpp_watch");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plugin = dir.join("plugin.so");
    let replace = |from: &std::path::Path| {
        let tmp = dir.join(".tmp");
        std::fs::copy(from, &tmp).unwrap();
        std::fs::rename(&tmp, &plugin).unwrap();
    };
    replace(&g.join("libgreeter_fr.so"));
    let log = dir.join("out.txt");
    let mut child = Command::new(g.join("greeter-host-cpp"))
        .env("GREETER_WATCH_MS", "20")
        .args(["--watch".as_ref(), plugin.as_os_str(), "Ada".as_ref()])
        .stdout(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let first = wait_for(&log, "Bonjour, Ada !");
    replace(&g.join("libgreeter_zh.so"));
    let second = wait_for(&log, "你好，Ada！");
    std::fs::write(dir.join(".tmp"), "not a library").unwrap();
    std::fs::rename(dir.join(".tmp"), &plugin).unwrap();
    let third = wait_for(&log, "reload failed, still serving greeter-zh");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.contains("cpp host: Bonjour, Ada !"), "{first}");
    assert!(
        second.contains("cpp host: reloaded greeter-zh 1.0.0") && second.contains("你好，Ada！"),
        "{second}"
    );
    assert!(
        third.contains("reload failed, still serving greeter-zh 1.0.0"),
        "{third}"
    );
}

/// The C++ host with the Go plugins, and the Go host with the C++ plugins.
#[test]
fn cpp_and_go_hosts_and_plugins_answer_each_other() {
    let dir = examples().join("greeter");
    for (host, plugin, who, answer, lang) in [
        (
            "greeter-host-cpp",
            "libgreeter_en_go.so",
            "cpp host",
            "Hello, 世界!",
            "en-x-go",
        ),
        (
            "greeter-host-cpp",
            "libgreeter_zh_go.so",
            "cpp host",
            "你好，世界！",
            "zh-CN-x-go",
        ),
        (
            "greeter-host-go",
            "libgreeter_fr.so",
            "go host",
            "Bonjour, 世界 !",
            "fr-FR",
        ),
    ] {
        let out = run(Command::new(dir.join(host))
            .arg(dir.join(plugin))
            .arg("世界"));
        let text = stdout(&out);
        assert!(
            text.contains(&format!("{who}: {answer}"))
                && text.contains(&format!("language {lang}")),
            "{host} x {plugin}:\n{text}"
        );
    }
    let dir = examples().join("codec");
    for (host, plugin) in [
        ("codec-host-cpp", "libcodec_go.so"),
        ("codec-host-go", "libcodec_cpp.so"),
    ] {
        let out = run(Command::new(dir.join(host)).arg(dir.join(plugin)).arg("2"));
        let text = stdout(&out);
        assert!(
            text.contains("frames verified")
                && text.contains("frame-too-large(1000), truncated(5)")
                && text.trim_end().ends_with("OK"),
            "{host} x {plugin}:\n{text}"
        );
    }
}
