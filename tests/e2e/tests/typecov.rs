//! The type-coverage matrix from the C side: the C host (`tests/typecov/host-c`) against
//! the Rust, the C and the C++ typecov plugin, as built by `scripts/build-examples.sh` into
//! `$PLUGPORT_EXAMPLES/typecov` (default `target/examples`). The C host prints one line
//! per check and ends with `N passed, M failed`; every check must pass, also under
//! valgrind memcheck, which must find no leak and no memory error. (The Rust host side
//! of the matrix is `tests/typecov/host-rust/tests`.)

use std::path::PathBuf;
use std::process::{Command, Output};

const PLUGINS: [&str; 3] = ["libtypecov_rust.so", "libtypecov_c.so", "libtypecov_cpp.so"];

fn typecov_dir() -> PathBuf {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"))
        .join("typecov");
    assert!(
        dir.join("typecov-host-c").is_file(),
        "{} has no typecov build: run scripts/build-examples.sh first (scripts/test.sh does)",
        dir.display()
    );
    dir
}

fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Parses the host's last line, `N passed, M failed`.
fn summary(stdout: &str) -> Option<(u32, u32)> {
    let last = stdout.lines().last()?;
    let (passed, failed) = last.split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

/// Asserts a successful C host run: exit status 0, no `FAIL` line, and a final
/// `N passed, 0 failed` with a plausible N (every echo function is exercised).
fn assert_all_passed(out: &Output, what: &str) {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{what} failed:\n{}", describe(out));
    let (passed, failed) = summary(&text)
        .unwrap_or_else(|| panic!("{what}: no `N passed, M failed` line:\n{}", describe(out)));
    assert_eq!(failed, 0, "{what}:\n{}", describe(out));
    assert!(
        passed >= 200,
        "{what}: only {passed} checks ran:\n{}",
        describe(out)
    );
    assert!(!text.contains("\nFAIL "), "{what}:\n{}", describe(out));
}

#[test]
fn summary_line_is_parsed() {
    assert_eq!(summary("ok   a\n12 passed, 0 failed\n"), Some((12, 0)));
    assert_eq!(summary("12 passed, 3 failed"), Some((12, 3)));
    assert_eq!(summary("12 passed"), None);
}

/// The C host against one plugin: every check passes.
fn round_trip(plugin: &str) {
    let dir = typecov_dir();
    let out = output(Command::new(dir.join("typecov-host-c")).arg(dir.join(plugin)));
    assert_all_passed(&out, &format!("typecov-host-c {plugin}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let name = if plugin.contains("rust") {
        "typecov-rust"
    } else if plugin.contains("cpp") {
        "typecov-cpp"
    } else {
        "typecov-c"
    };
    assert!(
        text.contains(&format!("loaded {name} 1.0.0")),
        "{plugin}: wrong plugin identity:\n{text}"
    );
    // A few checks that must be among those run, for both plugins.
    for check in [
        "ok   boom(",
        "ok   echo_nested(some(ok([Ada,",
        "ok   live() = 0 after every counter is gone",
        "ok   echo_color(7, out of range) -> PP_ERR_INVALID_ARGUMENT",
        "ok   peek(handle with null self) -> PP_ERR_INVALID_ARGUMENT",
    ] {
        assert!(text.contains(check), "{plugin}: missing `{check}`:\n{text}");
    }
}

/// The C host against one plugin under valgrind memcheck: every check passes, and no
/// leak (definite or indirect) or memory error is found.
fn memcheck(plugin: &str) {
    let dir = typecov_dir();
    let out = output(
        Command::new("valgrind")
            // With RUST_BACKTRACE set, a Rust plugin's panic hook symbolises a backtrace and
            // std caches the debug info in the plugin's own statics, which an unload loses.
            .env_remove("RUST_BACKTRACE")
            .args([
                "--quiet",
                // symbols of the plugin even after it is unloaded (leak stacks)
                "--keep-debuginfo=yes",
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect",
                "--error-exitcode=99",
            ])
            .arg(dir.join("typecov-host-c"))
            .arg(dir.join(plugin)),
    );
    let what = format!("valgrind typecov-host-c {plugin}");
    assert_ne!(
        out.status.code(),
        Some(99),
        "{what}: memcheck errors or leaks:\n{}",
        describe(&out)
    );
    assert_all_passed(&out, &what);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("definitely lost"), "{what}: {err}");
    assert!(
        !err.contains("Invalid read") && !err.contains("Invalid write"),
        "{what}: {err}"
    );
}

#[test]
fn c_host_round_trips_every_type_through_the_rust_plugin() {
    round_trip(PLUGINS[0]);
}

#[test]
fn c_host_round_trips_every_type_through_the_c_plugin() {
    round_trip(PLUGINS[1]);
}

#[test]
fn c_host_with_the_rust_plugin_is_clean_under_valgrind() {
    memcheck(PLUGINS[0]);
}

#[test]
fn c_host_with_the_c_plugin_is_clean_under_valgrind() {
    memcheck(PLUGINS[1]);
}

#[test]
fn c_host_round_trips_every_type_through_the_cpp_plugin() {
    round_trip(PLUGINS[2]);
}

#[test]
fn c_host_with_the_cpp_plugin_is_clean_under_valgrind() {
    memcheck(PLUGINS[2]);
}

/// The C++ host (`tests/typecov/host-cpp`, through the generated `typecov.hpp`) against
/// every plugin, plain and under valgrind: every check passes, no leak, no memory error.
fn cpp_host(plugin: &str, wrapper: &[&str]) {
    cpp_host_with(plugin, wrapper, None);
}

/// [`cpp_host`] with `PLUGPORT_ISOLATION` set to `isolation` (unset: removed) and any
/// extra environment variables.
fn cpp_host_with(plugin: &str, wrapper: &[&str], isolation: Option<&str>) {
    cpp_host_env(plugin, wrapper, isolation, &[]);
}

fn cpp_host_env(
    plugin: &str,
    wrapper: &[&str],
    isolation: Option<&str>,
    env: &[(&str, &std::ffi::OsStr)],
) {
    let dir = typecov_dir();
    let host = dir.join("typecov-host-cpp");
    let mut cmd = match wrapper.split_first() {
        Some((w, args)) => {
            let mut c = Command::new(w);
            c.args(args).arg(&host);
            c
        }
        None => Command::new(&host),
    };
    match isolation {
        Some(mode) => cmd.env("PLUGPORT_ISOLATION", mode),
        None => cmd.env_remove("PLUGPORT_ISOLATION"),
    };
    cmd.envs(env.iter().copied());
    let out = output(cmd.env_remove("RUST_BACKTRACE").arg(dir.join(plugin)));
    let what = format!("{wrapper:?} PLUGPORT_ISOLATION={isolation:?} typecov-host-cpp {plugin}");
    assert!(out.status.success(), "{what}:\n{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let (passed, failed) =
        summary(&text).unwrap_or_else(|| panic!("{what}: no summary:\n{}", describe(&out)));
    assert_eq!(failed, 0, "{what}:\n{}", describe(&out));
    assert!(passed >= 100, "{what}: only {passed} checks:\n{text}");
    for check in [
        "ok   boom(kaboom 💥) -> PP_ERR_PANIC with the message",
        "ok   echo_nested(some(ok([Ada, Böb]))) round-trips",
        "ok   live() = 0 after every counter is gone",
        "ok   echo_color(7, out of range) -> PP_ERR_INVALID_ARGUMENT",
        "ok   peek(handle with null self) -> PP_ERR_INVALID_ARGUMENT",
        "ok   consume(foreign): the own handle was dropped",
        "ok   8 threads x 300 rounds",
    ] {
        assert!(text.contains(check), "{what}: missing `{check}`:\n{text}");
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("definitely lost") && !err.contains("Invalid read"),
        "{what}: {err}"
    );
}

#[test]
fn cpp_host_round_trips_every_type_through_every_plugin() {
    for plugin in PLUGINS {
        cpp_host(plugin, &[]);
    }
}

/// The C++ host against the Go typecov plugin (`tests/typecov/plugin-go`), in-process: a
/// foreign own handle passed to `consume` is refused with `PP_ERR_INVALID_ARGUMENT` and
/// dropped through its own vtable. Not under valgrind: the Go runtime's own memory
/// management is not valgrind-clean.
#[test]
fn cpp_host_round_trips_every_type_through_the_go_plugin() {
    cpp_host("libtypecov_go.so", &[]);
}

/// The C++ host, unchanged, with `PLUGPORT_ISOLATION=process`: every plugin (C, C++,
/// Rust, Go) runs in a `plugport-runner` child process behind the proxy tables, and every
/// check passes as in-process, the foreign own handle included (the plugin gets a proxy
/// of the host's object, refuses it and drops it, and the drop reaches the host).
///
/// The runner is started through a wrapper (`PLUGPORT_RUNNER`) that records each start
/// and execs the real `plugport-runner`, so the test knows each plugin really ran in a
/// child process.
#[test]
fn cpp_host_passes_every_check_with_every_plugin_isolated() {
    let runner = typecov_dir().join("../greeter/plugport-runner");
    assert!(
        runner.is_file(),
        "{} missing: run scripts/build-examples.sh",
        runner.display()
    );
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("typecov-cpp-isolated");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let starts = tmp.join("starts");
    let wrapper = tmp.join("runner.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho start >> '{}'\nexec '{}' \"$@\"\n",
            starts.display(),
            runner.canonicalize().expect("runner path").display()
        ),
    )
    .expect("write the runner wrapper");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for plugin in PLUGINS.into_iter().chain(["libtypecov_go.so"]) {
        let _ = std::fs::remove_file(&starts);
        cpp_host_env(
            plugin,
            &[],
            Some("process"),
            &[("PLUGPORT_RUNNER", wrapper.as_os_str())],
        );
        let n = std::fs::read_to_string(&starts)
            .unwrap_or_default()
            .lines()
            .count();
        assert!(n >= 1, "{plugin}: no plugport-runner was started");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn cpp_host_is_clean_under_valgrind_with_every_plugin() {
    for plugin in PLUGINS {
        cpp_host(
            plugin,
            &[
                "valgrind",
                "--quiet",
                "--keep-debuginfo=yes",
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect",
                "--error-exitcode=99",
            ],
        );
    }
}
