//! Go plugins (`docs/abi.md` §10 "Go plugins", `plugport::go`): a real Go `c-shared`
//! greeter (`tests/lifecycle/go/plugin`: Go code behind the generated C header's EXPORT
//! macro) is recognised from its file, loads once into a host that is not Go (this test
//! process), answers from Go, and is never loaded a second time into the process: a second
//! open, a second file and a reload run in a child process instead (`plugport-runner`,
//! docs/isolation.md), as does any Go plugin in a Go host (`tests/lifecycle/go/host`, cgo
//! and libplugport); forced in-process (`PLUGPORT_ISOLATION=inproc` or the mode option) they
//! are refused with `LoadError::GoRuntime` (C: `PLUGPORT_E_GO_RUNTIME`).
//! Closing it leaves its image mapped, and a C host says so with `PLUGPORT_DEBUG`.
//!
//! The Rust test loads a Go runtime into this process for good, so every in-process step
//! is in one test; the Go host and the C host run as child processes.
//!
//! Needs `go` (Go 1.18 or later; `scripts/test.sh` installs it): without it the tests say
//! SKIPPED loudly on stderr and pass.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use lifecycle::{artefact, include_dir, mapped, repo, v1_0, zh_plugin, Host};
use plugport::error::LoadError;

/// `go env GOVERSION` (`go1.26.8`), or `None` with a loud message when Go is missing.
fn go_version(test: &str) -> Option<String> {
    match Command::new("go").args(["env", "GOVERSION"]).output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => {
            eprintln!(
                "\n*** SKIPPED {test}: `go` is not installed (scripts/test.sh installs \
                 golang-go); the Go plugin rules of the loader are NOT tested ***\n"
            );
            None
        }
    }
}

/// Runs `go build` in a copy of `tests/lifecycle/go/<what>` (in `target/tmp`) with extra
/// environment; returns the built file `out_name` in that copy.
fn go_build(what: &str, args: &[&str], env: &[(&str, String)], out_name: &str) -> PathBuf {
    // In cargo's folder for test scratch files (target/tmp), replaced on every run.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("go_plugin-{what}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = repo().join("tests/lifecycle/go").join(what);
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let out = Command::new("go")
        .arg("build")
        .args(args)
        .args(["-o", out_name, "."])
        .current_dir(&dir)
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run go build");
    assert!(
        out.status.success(),
        "go build of tests/lifecycle/go/{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(out_name)
}

/// The Go greeter plugin, built once per test process.
fn go_plugin() -> &'static Path {
    static PLUGIN: OnceLock<PathBuf> = OnceLock::new();
    PLUGIN.get_or_init(|| {
        let cflags = format!("-I{}", include_dir("greeter-1.0").display());
        go_build(
            "plugin",
            &["-buildmode=c-shared"],
            &[("CGO_CFLAGS", cflags)],
            "libgreeter_go.so",
        )
    })
}

/// The folder of the build profile's artefacts (`target/debug`): libplugport and the CLI.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

#[test]
fn a_rust_host_loads_one_go_plugin_and_refuses_a_second_go_runtime() {
    let Some(version) = go_version("a_rust_host_loads_one_go_plugin_...") else {
        return;
    };
    let go = go_plugin();
    let dir = tempfile::tempdir().unwrap();
    let zh = zh_plugin(dir.path(), false);

    // Recognised from the file, before loading.
    let info = plugport::go::build_info(&std::fs::read(go).unwrap()).expect("a Go binary");
    assert_eq!(info.go_version, version);
    assert_eq!(info.build_mode.as_deref(), Some("c-shared"));
    assert_eq!(plugport::go::build_info(&std::fs::read(&zh).unwrap()), None);

    // `plugport inspect` prints it, as text and JSON (the CLI is built next to this test).
    let cli = profile_dir().join("plugport");
    assert!(
        cli.is_file(),
        "{} missing: run scripts/build-examples.sh (scripts/test.sh does)",
        cli.display()
    );
    let out = Command::new(&cli).arg("inspect").arg(go).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let expected = format!("runtime:      Go {version} (c-shared; cannot be unloaded)\n");
    assert!(text.contains(&expected), "{text}");
    let out = Command::new(&cli)
        .args(["inspect", "--json"])
        .arg(go)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["runtime"]["language"], "go");
    assert_eq!(json["runtime"]["version"], version.as_str());
    assert_eq!(json["runtime"]["build_mode"], "c-shared");
    assert_eq!(json["runtime"]["can_unload"], false);
    let out = Command::new(&cli)
        .args(["inspect", "--json"])
        .arg(&zh)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["runtime"].is_null(), "{json}");

    // A C plugin before: unaffected.
    let c = v1_0::Greeter::load::<Host>(&zh).unwrap();
    assert!(c.plugin().unwrap().can_unload());
    assert!(c.plugin().unwrap().go_runtime().is_none());

    // The first Go plugin loads, and its Go code answers.
    let mut g = v1_0::Greeter::load::<Host>(go).unwrap();
    assert_eq!(
        g.greet().greet("Ada").unwrap(),
        format!("Hello, Ada! (from Go {version})")
    );
    assert_eq!(g.greet().language().unwrap(), "go");
    let plugin = g.plugin().unwrap().clone();
    assert_eq!(plugin.go_runtime(), Some(&info));
    assert!(!plugin.can_unload());
    let image = plugin.image_path().to_path_buf();
    drop(plugin);

    // A second open of the same file, a copy at another path, and a reload would each be a
    // second Go runtime in this process. Forced in-process, they are refused with the
    // reason and the remedy...
    assert!(
        profile_dir().join("plugport-runner").is_file(),
        "plugport-runner missing: run scripts/build-examples.sh (scripts/test.sh does)"
    );
    let in_process = |path: &Path| {
        plugport::loader::open_with_options(
            path,
            v1_0::WORLD_JSON,
            std::ptr::null(),
            plugport::isolation::Options {
                mode: plugport::isolation::Mode::InProcess,
                ..Default::default()
            },
        )
    };
    let refused =
        |r: Result<std::sync::Arc<plugport::loader::Plugin>, LoadError>, want: &str| match r {
            Err(e @ LoadError::GoRuntime { .. }) => {
                let msg = e.to_string();
                assert_eq!(e.code(), plugport::codes::PLUGPORT_E_GO_RUNTIME);
                assert!(msg.contains(want), "{msg}");
                assert!(
                    msg.contains("one Go plugin per process") && msg.contains("not written in Go"),
                    "the message names the remedy: {msg}"
                );
            }
            Err(e) => panic!("expected LoadError::GoRuntime, got {e}"),
            Ok(_) => panic!("a second Go plugin image was loaded"),
        };
    refused(in_process(go), "already loaded this Go plugin once");
    let copy = dir.path().join("libgreeter_go_copy.so");
    std::fs::copy(go, &copy).unwrap();
    refused(in_process(&copy), "already loaded a Go plugin");

    // ... and left to the default, they run in a child process and answer from Go.
    for path in [go, copy.as_path()] {
        let again = v1_0::Greeter::load::<Host>(path).unwrap();
        assert!(
            again.plugin().unwrap().isolated().is_some(),
            "{}: not isolated",
            path.display()
        );
        assert_eq!(
            again.greet().greet("Ada").unwrap(),
            format!("Hello, Ada! (from Go {version})")
        );
    }
    g.reload().unwrap();
    assert!(
        g.plugin().unwrap().isolated().is_some(),
        "the reload of a Go plugin runs in a child process"
    );
    assert_eq!(g.greet().language().unwrap(), "go");

    // Dropping it does not unload it (Go c-shared libraries are NODELETE): the image stays
    // mapped, and the process's Go runtime stays taken.
    drop(g);
    assert!(
        mapped(&image),
        "a Go image stays mapped after its last drop"
    );
    refused(in_process(go), "already loaded this Go plugin once");

    // Plugins in other languages are unaffected, reloads included.
    let mut c2 = v1_0::Greeter::load::<Host>(&zh).unwrap();
    assert_eq!(c2.greet().greet("Ada").unwrap(), "你好，Ada！");
    c2.reload().unwrap();
    assert_eq!(c2.greet().greet("Ada").unwrap(), "你好，Ada！");
    let c_image = c.plugin().unwrap().image_path().to_path_buf();
    drop(c);
    assert!(!mapped(&c_image), "a C plugin is still unloaded");
}

#[test]
fn a_go_host_runs_a_go_plugin_isolated_or_refuses_it_in_process() {
    let Some(_) = go_version("a_go_host_runs_a_go_plugin_isolated_...") else {
        return;
    };
    let go = go_plugin();
    let dir = tempfile::tempdir().unwrap();
    let zh = zh_plugin(dir.path(), false);
    let lib = profile_dir();
    assert!(
        lib.join("libplugport.so").exists(),
        "{} missing: run scripts/build-examples.sh (scripts/test.sh does)",
        lib.join("libplugport.so").display()
    );
    let host = go_build(
        "host",
        &[],
        &[
            (
                "CGO_CFLAGS",
                format!(
                    "-I{} -I{}",
                    repo().join("headers").display(),
                    include_dir("greeter-1.0").display()
                ),
            ),
            (
                "CGO_LDFLAGS",
                format!("-L{0} -lplugport -Wl,-rpath,{0}", lib.display()),
            ),
        ],
        "gohost",
    );
    // Forced in-process, the Go plugin is refused: it would be a second Go runtime.
    let out = Command::new(&host)
        .arg(go)
        .arg(&zh)
        .env("PLUGPORT_ISOLATION", "inproc")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{}: rc=18 go_runtime=1 ", go.display())),
        "{stdout}"
    );
    assert!(
        lines[0].contains("the host process already runs a Go runtime"),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        format!("{}: rc=0 greet=你好，Go host！", zh.display())
    );

    // Left to the default, the Go plugin runs in a child process (plugport-runner, found
    // next to libplugport) and its Go code answers the Go host.
    let version = go_version("a_go_host_...").unwrap();
    let out = Command::new(&host)
        .arg(go)
        .env_remove("PLUGPORT_ISOLATION")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim_end(),
        format!(
            "{}: rc=0 greet=Hello, Go host! (from Go {version})",
            go.display()
        )
    );
}

#[test]
fn a_c_host_closing_a_go_plugin_says_the_image_stays_mapped() {
    let Some(version) = go_version("a_c_host_closing_a_go_plugin_...") else {
        return;
    };
    let go = go_plugin();
    let host = artefact("greeter/greeter-host-c");
    let out = Command::new(&host)
        .arg(go)
        .arg("C")
        .env("PLUGPORT_DEBUG", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("c host: Hello, C! (from Go {version})")),
        "{stdout}"
    );
    let expected = format!(
        "plugport: closing greeter-go 1.0.0 ({}): a Go plugin (Go {version} (c-shared; cannot \
         be unloaded)) cannot be unloaded; its image stays mapped until the process exits",
        go.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    // plugport_can_unload says so, and the closed Go plugin cannot be opened again, while
    // a C plugin can.
    let dir = tempfile::tempdir().unwrap();
    let zh = zh_plugin(dir.path(), false);
    let lib = profile_dir();
    let c_host = dir.path().join("can-unload-host");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(repo().join("tests/lifecycle/c/can_unload_host.c"))
        .arg("-I")
        .arg(repo().join("headers"))
        .arg("-I")
        .arg(include_dir("greeter-1.0"))
        .arg(format!("-L{}", lib.display()))
        .arg("-lplugport")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&c_host)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Forced in-process, reopening the closed Go plugin is refused (the default would run
    // it in a child process).
    let out = Command::new(&c_host)
        .arg(go)
        .arg(&zh)
        .env("PLUGPORT_ISOLATION", "inproc")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(
        stdout,
        format!(
            "{0}: can_unload=0\n{0}: reopen rc=18\n{1}: can_unload=1\n{1}: reopen rc=0\n\
             null: can_unload=-1\n",
            go.display(),
            zh.display()
        )
    );

    // Without PLUGPORT_DEBUG, closing is silent.
    let out = Command::new(&host)
        .arg(go)
        .arg("C")
        .env_remove("PLUGPORT_DEBUG")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("cannot be unloaded"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
