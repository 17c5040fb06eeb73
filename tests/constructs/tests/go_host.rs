//! Go hosts against the C plugins of tests/constructs, end to end through libplugport:
//! runs `go test` on `go-host/*_test.go` in a module of its own, with the Go host packages
//! that build.rs generates.
//!
//! - `collections_test.go`: a Go host receiving a map with a duplicate key from
//!   `c/collections.c` (issue 11, A.1; `docs/abi.md` §3, "Maps") refuses the result as
//!   invalid (`plugport.ErrInvalidResult`, the duplicate key named), and the plugin keeps
//!   serving.
//! - `worldres_test.go`: a Go host implements the resource declared at world level of
//!   `test:worldres` (issue 11, A.3; `docs/abi.md` §5) for `c/worldres.c`: every counter
//!   ends once, and a handle the host did not make is refused.
//!
//! Needs `go`, `pkg-config`, a C
//! compiler and libplugport built (scripts/build-examples.sh builds it, or `cargo build
//! -p plugport-capi` and the `libplugport.so.0` link next to it); a missing one fails the
//! test with what to do.

use std::path::{Path, PathBuf};
use std::process::Command;

use plugport_constructs_tests::{COLLECTIONS_C, OUT_DIR, WORLDRES_C};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The directory holding libplugport.so and its SONAME link libplugport.so.0:
/// `$PLUGPORT_LIBDIR`, else this test's profile directory, else `target/release` (where
/// scripts/build-examples.sh builds it), else `target/debug`.
fn libplugport_dir() -> PathBuf {
    let root = repo();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("PLUGPORT_LIBDIR") {
        candidates.push(PathBuf::from(d));
    }
    if let Some(profile) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
    {
        candidates.push(profile);
    }
    candidates.push(root.join("target/release"));
    candidates.push(root.join("target/debug"));
    candidates
        .iter()
        .find(|d| d.join("libplugport.so").is_file() && d.join("libplugport.so.0").exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "libplugport.so with its libplugport.so.0 link not found in {candidates:?}: run \
                 scripts/build-examples.sh (or set PLUGPORT_LIBDIR)"
            )
        })
}

#[test]
fn go_hosts_refuse_duplicate_map_keys_and_implement_a_world_level_resource() {
    let root = repo();
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("module");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(
        module.join("go.mod"),
        format!(
            "module example.invalid/plugport/tests/constructs/gohost\n\ngo 1.22\n\nrequire example.invalid/plugport/go v0.0.0\n\nreplace example.invalid/plugport/go => {}\n",
            root.join("bridge/go").display()
        ),
    )
    .unwrap();
    for test in ["collections_test.go", "worldres_test.go"] {
        std::fs::copy(
            root.join("tests/constructs/go-host").join(test),
            module.join(test),
        )
        .unwrap();
    }
    for world in ["collections", "worldres"] {
        let pkg = module.join(world);
        std::fs::create_dir_all(&pkg).unwrap();
        for e in std::fs::read_dir(Path::new(OUT_DIR).join("go-host").join(world)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), pkg.join(e.file_name())).unwrap();
        }
    }
    let libdir = libplugport_dir();
    let pc = std::fs::read_to_string(root.join("bridge/capi/plugport.pc.in"))
        .unwrap()
        .replace("@PREFIX@", &root.display().to_string())
        .replace("@LIBDIR@", &libdir.display().to_string())
        .replace("@INCLUDEDIR@", &root.join("headers").display().to_string())
        .replace("@VERSION@", "0.0.0");
    std::fs::create_dir_all(dir.path().join("pkgconfig")).unwrap();
    std::fs::write(dir.path().join("pkgconfig/plugport.pc"), pc).unwrap();
    let out = Command::new("go")
        .args(["test", "-count=1", "-v", "."])
        .current_dir(&module)
        .env("PKG_CONFIG_PATH", dir.path().join("pkgconfig"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("COLLECTIONS_C", COLLECTIONS_C)
        .env("WORLDRES_C", WORLDRES_C)
        .output()
        .unwrap_or_else(|e| panic!("cannot run go: {e} (scripts/test.sh installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "go test:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for test in [
        "TestADuplicateKeyFromTheCPluginIsAnInvalidResult",
        "TestTheCPluginUsesTheGoHostsWorldLevelResource",
    ] {
        assert!(
            stdout.contains(&format!("--- PASS: {test}")),
            "{test} did not pass:\n{stdout}"
        );
    }
}
