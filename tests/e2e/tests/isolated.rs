//! The example hosts and the typecov C host, unchanged, with `PLUGPORT_ISOLATION=process`
//! (`docs/isolation.md`): each plugin runs in a `plugport-runner` child process, and every
//! host prints exactly what it prints in-process. The runner is found the way a deployed
//! host finds it: the C hosts beside libplugport, the Rust hosts beside themselves
//! (`scripts/build-examples.sh` puts it there).

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

/// Runs `host args` in-process and isolated; both must succeed. Returns both outputs.
fn both(host: &PathBuf, args: &[PathBuf]) -> (Output, Output) {
    let run = |isolation: &str| {
        let out = Command::new(host)
            .args(args)
            .env("PLUGPORT_ISOLATION", isolation)
            .env_remove("PLUGPORT_RUNNER")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", host.display()));
        assert!(
            out.status.success(),
            "{} {args:?} ({isolation}) failed ({}):\nstdout:\n{}\nstderr:\n{}",
            host.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    (run("inproc"), run("process"))
}

#[test]
fn greeter_hosts_print_the_same_isolated() {
    let dir = examples().join("greeter");
    for host in ["greeter-host-c", "greeter-host-rust"] {
        for plugin in ["libgreeter_en.so", "libgreeter_zh.so"] {
            let (inproc, isolated) = both(
                &dir.join(host),
                &[dir.join(plugin), "世界".into(), "Ada".into()],
            );
            let (a, b) = (
                String::from_utf8_lossy(&inproc.stdout),
                String::from_utf8_lossy(&isolated.stdout),
            );
            assert_eq!(a, b, "{host} x {plugin}: isolated output differs");
            // The plugin's logger calls reached the host's import from the child.
            assert!(b.contains("host log"), "{host} x {plugin}:\n{b}");
        }
    }
}

#[test]
fn codec_hosts_stream_the_same_isolated() {
    let dir = examples().join("codec");
    for host in ["codec-host-c", "codec-host-rust"] {
        for plugin in ["libcodec_rust.so", "libcodec_c.so"] {
            let (inproc, isolated) = both(&dir.join(host), &[dir.join(plugin), "3".into()]);
            let (a, b) = (
                String::from_utf8_lossy(&inproc.stdout),
                String::from_utf8_lossy(&isolated.stdout),
            );
            assert_eq!(a, b, "{host} x {plugin}: isolated output differs");
            assert!(b.contains("frames verified"), "{host} x {plugin}:\n{b}");
        }
    }
}

/// `N passed, M failed` of the typecov host.
fn summary(text: &str) -> (u32, u32) {
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or_else(|| panic!("no summary in:\n{text}"));
    let nums: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    (nums[0], nums[1])
}

#[test]
fn typecov_c_host_passes_every_check_isolated() {
    let dir = examples().join("typecov");
    for plugin in ["libtypecov_c.so", "libtypecov_rust.so"] {
        let (inproc, isolated) = both(&dir.join("typecov-host-c"), &[dir.join(plugin)]);
        let (a, b) = (
            String::from_utf8_lossy(&inproc.stdout),
            String::from_utf8_lossy(&isolated.stdout),
        );
        let (passed, failed) = summary(&b);
        assert_eq!(failed, 0, "typecov {plugin} isolated:\n{b}");
        assert_eq!(
            (passed, failed),
            summary(&a),
            "typecov {plugin}: isolated ran other checks"
        );
        // Every value check (not only the error paths) gives the same line; the refusal
        // messages of invalid arguments are the proxy's own, which validates before
        // sending.
        for line in a
            .lines()
            .filter(|l| l.starts_with("ok ") && !l.contains("->"))
        {
            assert!(
                b.contains(line),
                "typecov {plugin}: `{line}` missing isolated"
            );
        }
    }
}

/// The C hosts, isolated, under valgrind memcheck (the host process; the plugin runs in
/// the child): every result and error message the proxies allocate is released through
/// the table's `dealloc`, and nothing of the runtime leaks or is misused.
#[test]
fn c_hosts_leak_nothing_isolated_under_valgrind() {
    let ex = examples();
    let runs: [(PathBuf, Vec<PathBuf>); 4] = [
        (
            ex.join("greeter/greeter-host-c"),
            vec![ex.join("greeter/libgreeter_zh.so"), "Ada".into()],
        ),
        (
            ex.join("greeter/greeter-host-c"),
            vec![ex.join("greeter/libgreeter_en.so"), "Ada".into()],
        ),
        (
            ex.join("codec/codec-host-c"),
            vec![ex.join("codec/libcodec_c.so"), "1".into()],
        ),
        (
            ex.join("typecov/typecov-host-c"),
            vec![ex.join("typecov/libtypecov_c.so")],
        ),
    ];
    for (host, args) in runs {
        let out = Command::new("valgrind")
            .env("PLUGPORT_ISOLATION", "process")
            .env_remove("RUST_BACKTRACE")
            .args([
                "--quiet",
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect",
                "--error-exitcode=99",
            ])
            .arg(&host)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run valgrind: {e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "valgrind {} {args:?} isolated ({}):\n{err}",
            host.display(),
            out.status
        );
        assert!(
            !err.contains("definitely lost"),
            "{}: {err}",
            host.display()
        );
    }
}
