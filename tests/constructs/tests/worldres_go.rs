//! A resource declared at world level used by a Go plugin (issue 11, A.3; `docs/abi.md`
//! §5, "Resources declared at world level"; `docs/go.md`): `go-worldres/main.go` built
//! with `go build -buildmode=c-shared` against the generated package `worldresplugin`,
//! loaded by the generated Rust host that implements the resource. The Go plugin passes
//! the same round trip as the C plugin (`worldres_common::exercise`): counters made
//! through the host's table, borrowed, returned, taken, in lists, an option and a record,
//! each dropped exactly once; a counter used after its Close is an error, not a call.
//! Needs `go`, `pkg-config` and a C compiler (scripts/test.sh
//! installs them); a missing tool fails the test.

mod worldres_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use plugport_constructs_tests::worldres::Worldres;
use plugport_constructs_tests::OUT_DIR;
use worldres_common::{exercise, live, Host, SERIAL};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs it)"))
}

/// Builds the Go plugin into `dir` and returns the path of the shared library.
fn build_go_plugin(dir: &Path) -> PathBuf {
    let root = repo();
    let module = dir.join("module");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        module.join("go.mod"),
        format!(
            "module example.invalid/plugport/tests/constructs/go\n\ngo 1.22\n\nrequire example.invalid/plugport/go v0.0.0\n\nreplace example.invalid/plugport/go => {}\n",
            root.join("bridge/go").display()
        ),
    )
    .unwrap();
    std::fs::copy(
        root.join("tests/constructs/go-worldres/main.go"),
        module.join("main.go"),
    )
    .unwrap();
    let pkg = module.join("worldresplugin");
    std::fs::create_dir_all(&pkg).unwrap();
    for e in std::fs::read_dir(Path::new(OUT_DIR).join("go-worldres/worldresplugin")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), pkg.join(e.file_name())).unwrap();
    }
    let pc = std::fs::read_to_string(root.join("bridge/capi/plugport.pc.in")).unwrap();
    let pc = pc
        .replace("@PREFIX@", &root.display().to_string())
        .replace("@LIBDIR@", &dir.display().to_string())
        .replace("@INCLUDEDIR@", &root.join("headers").display().to_string())
        .replace("@VERSION@", "0.0.0");
    std::fs::create_dir_all(dir.join("pkgconfig")).unwrap();
    std::fs::write(dir.join("pkgconfig/plugport.pc"), pc).unwrap();
    let lib = dir.join("libworldres_go.so");
    let out = run(Command::new("go")
        .args(["build", "-buildmode=c-shared", "-o"])
        .arg(&lib)
        .arg(".")
        .current_dir(&module)
        .env("PKG_CONFIG_PATH", dir.join("pkgconfig"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod"));
    assert!(
        out.status.success(),
        "go build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lib
}

#[test]
fn a_go_plugin_uses_the_hosts_world_level_resource() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let lib = build_go_plugin(dir.path());
    let base = live();
    let p = Worldres::load::<Host>(&lib).expect("the Go plugin loads");
    exercise(&p, "Go plugin");
    // Go cannot make a foreign handle; a counter used after its Close is an error.
    let msg = p.forge().unwrap();
    assert!(msg.contains("used after Close"), "{msg:?}");
    drop(p);
    assert_eq!(live(), base);
}
