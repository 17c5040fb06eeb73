//! The `plugport` binary: help, `gen` (with its baseline), `ir`, exit codes and error
//! output. `inspect`, `check` and `diff` are tested in `tools.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{plugport, repo, text};

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plugport-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn help_lists_the_commands() {
    let out = plugport(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for command in ["gen", "ir", "inspect", "check", "diff"] {
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
        "<world>.world.json",
        "--baseline",
        "--allow-breaking",
        "needs a new major version, or a revert",
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
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(
        stderr.contains("two-problems.wit:4") && stderr.contains("two-problems.wit:6"),
        "{stderr}"
    );
}

#[test]
fn gen_refuses_items_with_one_c_name() {
    let dir = out_dir("c-names");
    let wit = repo("tests/wit/refuse/c-name-list.wit");
    let out = plugport(&["gen", wit.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("c-name-list.wit:4") && stderr.contains("c-name-list.wit:5"),
        "{stderr}"
    );
    assert!(stderr.contains("`test_refuse_v1_list_u8`"), "{stderr}");
    assert!(!dir.exists(), "nothing is written for a refused world");
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
    assert_eq!(out.status.code(), Some(2)); // usage or I/O error (exit rule)
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
    let names = listing(&dir);
    assert_eq!(
        names,
        ["greeter.h", "greeter.world.json"],
        "default is C only, plus the baseline"
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
    for name in [
        "greeter.h",
        "greeter_guest.rs",
        "greeter_host.rs",
        "greeter.world.json",
    ] {
        assert!(dir.join(name).is_file(), "{name} not written");
        assert!(stdout.contains(name), "{name} not reported:\n{stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `gen` writes every file atomically (no temporary file is left, a changed file is
/// replaced) and always, also an unchanged one: a build system that runs `gen` as a
/// custom command (the CMake module) needs its outputs newer than the WIT afterwards.
#[test]
fn gen_rewrites_every_file_atomically_also_unchanged_ones() {
    let dir = out_dir("rewrite");
    let wit = repo("examples/greeter/wit/greeter.wit");
    let gen = || {
        let out = plugport(&["gen", wit.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    gen();
    let header = dir.join("greeter.h");
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    let f = std::fs::File::options().write(true).open(&header).unwrap();
    f.set_modified(old).unwrap();
    drop(f);
    gen();
    assert!(
        mtime(&header) > old,
        "an unchanged header was not written again"
    );

    let good = std::fs::read_to_string(&header).unwrap();
    std::fs::write(&header, "stale").unwrap();
    gen();
    assert_eq!(
        std::fs::read_to_string(&header).unwrap(),
        good,
        "a changed header is replaced"
    );
    assert_eq!(
        listing(&dir),
        ["greeter.h", "greeter.world.json"],
        "no temporary file is left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_needs_world_when_ambiguous() {
    let wit = repo("tests/wit/accept/include.wit");
    let out = plugport(&[
        "gen",
        wit.to_str().unwrap(),
        "--out",
        out_dir("amb").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2)); // usage or I/O error (exit rule)
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
    assert_eq!(out.status.code(), Some(2)); // usage or I/O error (exit rule)
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

#[test]
fn help_of_the_inspection_tools_explains_exit_statuses() {
    for (command, needles) in [
        (
            "inspect",
            &["without loading it", "--json", "Exit status: 0", "1 when"][..],
        ),
        (
            "check",
            &[
                "--wit",
                "--world",
                "PP_ERR_UNSUPPORTED",
                "0 when",
                "1 when",
                "2 for",
            ][..],
        ),
        (
            "diff",
            &[
                "compatible-minor",
                "breaking",
                "--world",
                "0 when",
                "1 when",
                "CI",
            ][..],
        ),
    ] {
        let out = plugport(&[command, "--help"]);
        assert!(out.status.success());
        let help = text(&out.stdout);
        for needle in needles {
            assert!(
                help.contains(needle),
                "`{needle}` missing from {command} --help:\n{help}"
            );
        }
    }
}

fn evolve(name: &str) -> String {
    repo(&format!("tests/wit/evolve/{name}"))
        .to_str()
        .unwrap()
        .to_string()
}

/// `plugport gen <fixture> --out <dir> [extra...]`.
fn gen_into(dir: &Path, fixture: &str, extra: &[&str]) -> Output {
    let wit = evolve(fixture);
    let mut args = vec!["gen", wit.as_str(), "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    plugport(&args)
}

fn baseline_of(dir: &Path) -> plugport::ir::World {
    plugport_codegen::baseline::read_baseline(&dir.join("greeter.world.json"))
        .expect("gen wrote a readable baseline")
}

#[test]
fn gen_writes_the_world_json_as_baseline() {
    let dir = out_dir("baseline");
    let out = gen_into(&dir, "v1.0.0.wit", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("greeter.world.json"),
        "{}",
        text(&out.stdout)
    );
    let world =
        plugport_codegen::frontend::load_world(&repo("tests/wit/evolve/v1.0.0.wit"), None).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("greeter.world.json")).unwrap(),
        plugport::descriptor::world_json(&world)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_refuses_a_breaking_minor_bump_against_the_baseline_in_out() {
    let dir = out_dir("refuse-breaking");
    assert!(gen_into(&dir, "v1.0.0.wit", &[]).status.success());
    let header = std::fs::read(dir.join("greeter.h")).unwrap();
    let json = std::fs::read(dir.join("greeter.world.json")).unwrap();
    for (fixture, item) in [
        (
            "v1.1.0-retype.wit",
            "  - export greet.greet\n    old: greet: func(name: string, options: options) -> \
             string\n    new: greet: func(name: list<u8>, options: options) -> string",
        ),
        ("v1.1.0-reorder.wit", "  - export greet.greet\n"),
        (
            "v1.1.0-remove.wit",
            "  - export greet.language (removed)\n    old: language: func() -> string\n    \
             new: (nothing)",
        ),
        (
            "v1.1.0-field.wit",
            "  - greet.options.repeat\n    old: u32\n    new: u64",
        ),
    ] {
        let out = gen_into(&dir, fixture, &["--lang", "c,rust"]);
        assert_eq!(out.status.code(), Some(1), "{fixture} was accepted");
        let stderr = text(&out.stderr);
        // The breaking items still in the WIT are shown at their place first
        // (tests/diagnostics.rs), then the summary.
        assert!(
            stderr.contains(
                "\nerror: refusing to generate test:evolve@1.1.0: it breaks the baseline \
                 test:evolve@1.0.0"
            ) || stderr.starts_with("error: refusing to generate test:evolve@1.1.0"),
            "{fixture}: {stderr}"
        );
        assert!(
            stderr.contains("within compatibility line v1"),
            "{fixture}: {stderr}"
        );
        assert!(
            stderr.contains(item),
            "{fixture}: `{item}` missing:\n{stderr}"
        );
        assert!(
            stderr.contains("bump the major version (to 2.0.0) or revert"),
            "{stderr}"
        );
        assert!(text(&out.stdout).is_empty(), "nothing is written");
        assert_eq!(std::fs::read(dir.join("greeter.h")).unwrap(), header);
        assert_eq!(std::fs::read(dir.join("greeter.world.json")).unwrap(), json);
        assert!(!dir.join("greeter_guest.rs").exists());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_accepts_compatible_minors_and_new_majors_and_updates_the_baseline() {
    let dir = out_dir("accept");
    assert!(gen_into(&dir, "v1.0.0.wit", &[]).status.success());

    let out = gen_into(&dir, "v1.1.0-append.wit", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let base = baseline_of(&dir);
    assert_eq!(base.package.version.as_deref(), Some("1.1.0"));

    // Removing the appended function again is breaking against the new baseline.
    let out = gen_into(&dir, "v1.0.0.wit", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("  - export greet.farewell (removed)"),
        "{}",
        text(&out.stderr)
    );

    // A new major may break anything.
    let out = gen_into(&dir, "v2.0.0-break.wit", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(baseline_of(&dir).package.version.as_deref(), Some("2.0.0"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_notes_appended_items_without_a_minor_bump() {
    let dir = out_dir("patch-append");
    assert!(gen_into(&dir, "v1.0.0.wit", &[]).status.success());
    let out = gen_into(&dir, "v1.0.1-append.wit", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("note: compared with the baseline test:evolve@1.0.0 (")
            && text(&out.stderr).contains("appended items need at least a minor bump (to 1.1.0)"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_allow_breaking_overrides_and_replaces_the_baseline() {
    let dir = out_dir("allow-breaking");
    assert!(gen_into(&dir, "v1.0.0.wit", &[]).status.success());
    let out = gen_into(&dir, "v1.1.0-retype.wit", &["--allow-breaking"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("warning: test:evolve@1.1.0 breaks the baseline test:evolve@1.0.0")
            && stderr.contains("  - export greet.greet"),
        "{stderr}"
    );
    let retyped =
        plugport_codegen::frontend::load_world(&repo("tests/wit/evolve/v1.1.0-retype.wit"), None)
            .unwrap();
    assert_eq!(baseline_of(&dir).fingerprint(), retyped.fingerprint());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_compares_with_an_explicit_baseline() {
    // Against the WIT of the previous release, into an empty directory.
    let dir = out_dir("explicit");
    let base_wit = evolve("v1.0.0.wit");
    let out = gen_into(&dir, "v1.1.0-field.wit", &["--baseline", &base_wit]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("test:evolve@1.0.0 ({base_wit})"))
            && stderr.contains("  - greet.options.repeat"),
        "{stderr}"
    );
    assert!(!dir.exists(), "nothing is written");
    assert!(
        gen_into(&dir, "v1.1.0-append.wit", &["--baseline", &base_wit])
            .status
            .success()
    );

    // Against a world JSON kept elsewhere; it replaces the one in --out for this run.
    let kept = out_dir("explicit-kept");
    assert!(gen_into(&kept, "v1.0.0.wit", &[]).status.success());
    let kept_json = kept.join("greeter.world.json");
    let out = gen_into(
        &dir,
        "v1.1.0-remove.wit",
        &["--baseline", kept_json.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("  - export greet.language (removed)"),
        "{}",
        text(&out.stderr)
    );

    // A baseline of another line is not compared (a new major may break anything).
    let v2 = evolve("v2.0.0-break.wit");
    let out = gen_into(&dir, "v1.1.0-retype.wit", &["--baseline", &v2]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("note: not compared with"),
        "{}",
        text(&out.stderr)
    );

    // An unreadable baseline is an error that names it.
    let out = gen_into(
        &dir,
        "v1.0.0.wit",
        &["--baseline", "/nonexistent/old.world.json"],
    );
    assert_eq!(out.status.code(), Some(2)); // usage or I/O error (exit rule)
    assert!(text(&out.stderr).contains("/nonexistent/old.world.json"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&kept);
}

#[test]
fn gen_reports_a_corrupt_baseline_in_out() {
    let dir = out_dir("corrupt-baseline");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("greeter.world.json"), "not json").unwrap();
    let out = gen_into(&dir, "v1.0.0.wit", &[]);
    assert_eq!(out.status.code(), Some(2)); // usage or I/O error (exit rule)
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("greeter.world.json") && stderr.contains("delete it"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
