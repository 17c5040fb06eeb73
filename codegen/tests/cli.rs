//! The `plugport` binary: help, `gen`, `ir`, exit codes and error output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn plugport(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugport"))
        .args(args)
        .output()
        .expect("run plugport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plugport-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn help_lists_the_commands() {
    let out = plugport(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for command in ["gen", "ir"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(command)),
            "`{command}` missing from --help:\n{help}"
        );
    }
    let gen_help = text(&plugport(&["gen", "--help"]).stdout);
    for needle in [
        "--out",
        "--lang",
        "--world",
        "rust-guest",
        "rust-host",
        "<world>.h",
    ] {
        assert!(
            gen_help.contains(needle),
            "`{needle}` missing from gen --help:\n{gen_help}"
        );
    }
}

#[test]
fn gen_refuses_unsupported_wit_with_file_line() {
    let dir = out_dir("refuse");
    let wit = repo("tests/wit/refuse/stream.wit");
    let out = plugport(&["gen", wit.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("stream.wit:4"), "{stderr}");
    assert!(stderr.contains("stream<u8>"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(text(&out.stdout).is_empty());
    assert!(!dir.exists(), "nothing is written for a refused world");
}

#[test]
fn gen_reports_every_problem() {
    let wit = repo("tests/wit/refuse/two-problems.wit");
    let out = plugport(&[
        "gen",
        wit.to_str().unwrap(),
        "--out",
        out_dir("two").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("2 constructs"), "{stderr}");
    assert!(
        stderr.contains("two-problems.wit:4") && stderr.contains("two-problems.wit:6"),
        "{stderr}"
    );
}

#[test]
fn gen_fails_on_wit_syntax_errors_and_bad_paths() {
    let missing = repo("tests/wit/does-not-exist.wit");
    let out = plugport(&[
        "gen",
        missing.to_str().unwrap(),
        "--out",
        out_dir("missing").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does-not-exist.wit"),
        "{}",
        text(&out.stderr)
    );

    let out = plugport(&["gen", "x.wit", "--out", "y", "--lang", "cobol"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cobol"));
}

#[test]
fn gen_writes_the_requested_languages() {
    let dir = out_dir("greeter");
    let wit = repo("examples/greeter/wit/greeter.wit");
    let out = plugport(&["gen", wit.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("greeter.h"), "{stdout}");
    let header = std::fs::read_to_string(dir.join("greeter.h")).unwrap();
    assert!(
        header.contains("example_greeter_v1_greet_table"),
        "header lacks the table"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "default is C only"
    );

    let out = plugport(&[
        "gen",
        wit.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
        "--lang",
        "c,rust",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for name in ["greeter.h", "greeter_guest.rs", "greeter_host.rs"] {
        assert!(dir.join(name).is_file(), "{name} not written");
        assert!(stdout.contains(name), "{name} not reported:\n{stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_needs_world_when_ambiguous() {
    let wit = repo("tests/wit/refuse/include.wit");
    let out = plugport(&[
        "gen",
        wit.to_str().unwrap(),
        "--out",
        out_dir("amb").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--world") && stderr.contains("base") && stderr.contains("extended"),
        "{stderr}"
    );
}

fn ir_round_trip(rel: &str) -> plugport::ir::World {
    let wit = repo(rel);
    let out = plugport(&["ir", wit.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let world: plugport::ir::World = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("`plugport ir {rel}` is not a plugport::ir::World: {e}"));
    let direct = plugport_codegen::frontend::load_world(&wit, None).unwrap();
    assert_eq!(world, direct);
    world
}

#[test]
fn ir_prints_the_world_as_json() {
    let world = ir_round_trip("examples/greeter/wit/greeter.wit");
    assert_eq!(world.name, "greeter");
    assert_eq!(world.imports[0].name(), "logger");

    let wit = repo("examples/greeter/wit/greeter.wit");
    let out = plugport(&["ir", wit.to_str().unwrap(), "--world", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nope"));
}

/// A world with a bare function (`export version: func()`): `WorldItem` is tagged with
/// `kind` and `Function` has a field `kind`, so this needs the IR's serde tagging to
/// keep the two apart.
#[test]
fn ir_json_round_trips_bare_world_functions() {
    let world = ir_round_trip("tests/wit/typecov.wit");
    assert_eq!(world.exports[2].name(), "version");
}
