//! `Builder::baseline` applies the check of `plugport gen --baseline`, with its message
//! (issue 11 B): a world that breaks its baseline within one compatibility line fails the
//! build and writes nothing; compatible changes, another line, and `allow_breaking` pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use plugport_codegen::builder::BuildError;
use plugport_codegen::Builder;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn evolve(name: &str) -> PathBuf {
    repo(&format!("tests/wit/evolve/{name}.wit"))
}

/// What `plugport gen <new> --baseline <old>` says on stderr.
fn gen_refusal(new: &Path, old: &Path, out: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_plugport"))
        .arg("gen")
        .arg(new)
        .arg("--out")
        .arg(out)
        .arg("--baseline")
        .arg(old)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "gen must refuse");
    String::from_utf8(o.stderr).unwrap()
}

#[test]
fn a_breaking_world_fails_the_build_with_gens_message() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (evolve("v1.0.0"), evolve("v1.1.0-retype"));
    let err = Builder::new(&new)
        .baseline(&old)
        .write_c_header(dir.path().join("include"))
        .unwrap_err();
    let BuildError::Breaking { message, reports } = &err else {
        panic!("{err:?}")
    };
    for needle in [
        "refusing to generate test:evolve@1.1.0: it breaks the baseline test:evolve@1.0.0",
        "within compatibility line v1 in 1 item:",
        "  - export greet.greet",
        "    old: greet: func(name: string, options: options) -> string",
        "    new: greet: func(name: list<u8>, options: options) -> string",
        "bump the major version (to 2.0.0) or revert",
    ] {
        assert!(message.contains(needle), "lacks `{needle}`:\n{message}");
    }
    // The breaking item at its place in the new WIT.
    assert_eq!(reports.len(), 1, "{reports:?}");
    let at = reports[0].span.as_ref().unwrap();
    assert_eq!((at.line, at.column), (15, 3), "{at:?}");
    assert!(at.file.ends_with("v1.1.0-retype.wit"), "{at:?}");
    // Word for word what `plugport gen` prints (the located item with its source line,
    // then the message), but for the way to override it.
    let gen = gen_refusal(&new, &old, &dir.path().join("gen"));
    assert_eq!(
        format!("{err}\n"),
        gen.replace(
            "--allow-breaking generates anyway",
            "`Builder::allow_breaking(true)` generates anyway"
        )
    );
    assert!(
        err.to_string()
            .contains("15 |   greet: func(name: list<u8>"),
        "{err}"
    );
    assert!(err.to_string().ends_with(message.as_str()), "{err}");
    // `fn main() -> Result<(), BuildError>` prints Debug: the same text.
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(!dir.path().join("include").exists(), "nothing written");
}

#[test]
fn a_world_json_baseline_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    // The baseline `plugport gen` writes: <out>/greeter.world.json.
    let o = Command::new(env!("CARGO_BIN_EXE_plugport"))
        .arg("gen")
        .arg(evolve("v1.0.0"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    let baseline = dir.path().join("greeter.world.json");
    assert!(baseline.is_file());
    let err = Builder::new(evolve("v1.1.0-remove"))
        .baseline(&baseline)
        .rust_guest()
        .rust_bindings()
        .unwrap_err();
    let BuildError::Breaking { message, reports } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("(removed)"), "{message}");
    // A removed item has no place in the new WIT.
    assert!(reports.is_empty(), "{reports:?}");
    assert!(
        message.contains(&baseline.display().to_string()),
        "{message}"
    );
}

#[test]
fn compatible_changes_other_lines_and_allow_breaking_pass() {
    let old = evolve("v1.0.0");
    // Appended items, a new major version: generated.
    for new in ["v1.1.0-append", "v2.0.0-break"] {
        let header = Builder::new(evolve(new)).baseline(&old).c_header();
        assert!(header.is_ok(), "{new}: {:?}", header.err());
    }
    // Breaking, allowed.
    let header = Builder::new(evolve("v1.1.0-reorder"))
        .baseline(&old)
        .allow_breaking(true)
        .c_header()
        .unwrap();
    assert!(header.contents.contains("test_evolve_v1"));
    // Without the option the same world is refused (so `allow_breaking` is what let it
    // through).
    let err = Builder::new(evolve("v1.1.0-reorder"))
        .baseline(&old)
        .c_header()
        .unwrap_err();
    assert!(matches!(err, BuildError::Breaking { .. }), "{err:?}");
}

#[test]
fn an_unreadable_baseline_is_an_error() {
    let err = Builder::new(evolve("v1.0.0"))
        .baseline(repo("tests/wit/evolve/no-such-baseline.world.json"))
        .c_header()
        .unwrap_err();
    assert!(matches!(err, BuildError::Baseline(_)), "{err:?}");
    assert!(
        err.to_string().contains("no-such-baseline.world.json"),
        "{err}"
    );
}
