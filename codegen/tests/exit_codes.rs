//! One exit-status rule across every subcommand (`plugport --help`, issue 11 B): 0 ok,
//! 1 the answer is no, 2 usage or I/O errors; and `plugport gen --verify`.

mod common;

use std::path::Path;

use common::{plugport, repo, text};

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Runs `plugport args` and asserts its exit status.
fn status(args: &[&str], expected: i32) -> String {
    let out = plugport(args);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(expected),
        "plugport {args:?}:\n{all}"
    );
    all
}

#[test]
fn every_subcommand_follows_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let greeter = repo("examples/greeter/wit");
    let refused = repo("tests/wit/refuse/stream.wit");
    let missing = dir.path().join("missing.wit");
    let golden_wit = repo("tests/fixtures/golden/golden.wit");
    let golden_so = repo("tests/fixtures/golden/libgolden.so");
    let not_plugin = repo("README.md");
    let evolve = |n: &str| repo(&format!("tests/wit/evolve/{n}"));

    // gen
    status(&["gen", s(&greeter), "--out", s(&out)], 0);
    status(&["gen", s(&refused), "--out", s(&out)], 1);
    status(&["gen", s(&missing), "--out", s(&out)], 2);
    status(&["gen", s(&greeter)], 2); // --out missing: usage
    status(
        &["gen", s(&greeter), "--out", s(&out), "--lang", "cobol"],
        2,
    );
    // ir
    status(&["ir", s(&greeter)], 0);
    status(&["ir", s(&refused)], 1);
    status(&["ir", s(&missing)], 2);
    // inspect
    status(&["inspect", s(&golden_so)], 0);
    status(&["inspect", s(&not_plugin)], 1);
    status(&["inspect", s(&dir.path().join("missing.so"))], 2);
    status(&["inspect"], 2);
    // check
    status(&["check", s(&golden_so), "--wit", s(&golden_wit)], 0);
    status(&["check", s(&golden_so), "--wit", s(&greeter)], 1);
    status(&["check", s(&not_plugin), "--wit", s(&greeter)], 1);
    status(
        &["check", s(&dir.path().join("x.so")), "--wit", s(&greeter)],
        2,
    );
    status(&["check", s(&golden_so), "--wit", s(&missing)], 2);
    // diff
    let (v1, append, retype) = (
        evolve("v1.0.0.wit"),
        evolve("v1.1.0-append.wit"),
        evolve("v1.1.0-retype.wit"),
    );
    status(&["diff", s(&v1), s(&append)], 0);
    status(&["diff", s(&v1), s(&retype)], 1);
    status(&["diff", s(&missing), s(&append)], 2);
    // --help states the rule
    let help = status(&["--help"], 0);
    assert!(
        help.contains("0 ok; 1 the answer is no") && help.contains("2 usage errors"),
        "{help}"
    );
}

#[test]
fn gen_verify_reports_stale_and_missing_files_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let wit = repo("examples/greeter/wit");
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "gen".to_string(),
            s(&wit).to_string(),
            "--out".into(),
            s(&out).to_string(),
            "--lang".into(),
            "c,rust".into(),
        ];
        v.extend(extra.iter().map(|e| e.to_string()));
        v
    };
    let run = |extra: &[&'static str], expected: i32| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        status(&a, expected)
    };
    // Nothing generated yet: every file is missing, and nothing is written.
    let msg = run(&["--verify"], 1);
    assert!(msg.contains("4 of 4 generated files are stale"), "{msg}");
    assert!(msg.contains("greeter.h is missing"), "{msg}");
    assert!(!out.exists(), "--verify wrote {}", out.display());
    // Fresh after a generation.
    run(&[], 0);
    let msg = run(&["--verify"], 0);
    assert_eq!(msg.matches("fresh ").count(), 4, "{msg}");
    // One file edited, one deleted: both named, neither rewritten.
    let header = out.join("greeter.h");
    std::fs::write(&header, "/* edited */\n").unwrap();
    std::fs::remove_file(out.join("greeter_host.rs")).unwrap();
    let msg = run(&["--verify"], 1);
    assert!(msg.contains("2 of 4 generated files are stale"), "{msg}");
    assert!(
        msg.contains("greeter.h differs from what gen writes")
            && msg.contains("greeter_host.rs is missing"),
        "{msg}"
    );
    assert_eq!(std::fs::read_to_string(&header).unwrap(), "/* edited */\n");
    assert!(!out.join("greeter_host.rs").exists());
    // A WIT that cannot be read is still exit 2 with --verify.
    status(
        &[
            "gen",
            s(&dir.path().join("missing.wit")),
            "--out",
            s(&out),
            "--verify",
        ],
        2,
    );
}

/// `--json` on every subcommand: one JSON object on stdout, errors included, whose `exit`
/// is the process's exit status.
#[test]
fn json_on_every_subcommand_errors_included() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    let greeter = repo("examples/greeter/wit");
    let refused = repo("tests/wit/refuse/stream.wit");
    let missing = dir.path().join("missing.wit");
    let golden_wit = repo("tests/fixtures/golden/golden.wit");
    let golden_so = repo("tests/fixtures/golden/libgolden.so");
    let not_plugin = repo("README.md");
    let v1 = repo("tests/wit/evolve/v1.0.0.wit");
    let retype = repo("tests/wit/evolve/v1.1.0-retype.wit");
    let json = |args: &[&str], expected: i32| -> serde_json::Value {
        let o = plugport(args);
        assert_eq!(o.status.code(), Some(expected), "plugport {args:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("plugport {args:?}: not JSON ({e}): {}", text(&o.stdout)));
        assert!(v.is_object(), "{v}");
        v
    };
    let check_common = |v: &serde_json::Value, command: &str, exit: i32| {
        if command == "inspect" && exit == 0 {
            return; // the report itself
        }
        assert_eq!(v["command"], command, "{v}");
        assert_eq!(v["exit"], exit, "{v}");
        assert_eq!(v["ok"], exit == 0, "{v}");
    };
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["gen", s(&greeter), "--out", s(&out)], "gen", 0),
        (
            vec!["gen", s(&greeter), "--out", s(&out), "--verify"],
            "gen",
            0,
        ),
        (vec!["gen", s(&refused), "--out", s(&out)], "gen", 1),
        (vec!["gen", s(&missing), "--out", s(&out)], "gen", 2),
        (vec!["ir", s(&refused)], "ir", 1),
        (vec!["ir", s(&missing)], "ir", 2),
        (vec!["inspect", s(&golden_so)], "inspect", 0),
        (vec!["inspect", s(&not_plugin)], "inspect", 1),
        (vec!["inspect", s(&missing)], "inspect", 2),
        (
            vec!["check", s(&golden_so), "--wit", s(&golden_wit)],
            "check",
            0,
        ),
        (
            vec!["check", s(&golden_so), "--wit", s(&greeter)],
            "check",
            1,
        ),
        (
            vec!["check", s(&not_plugin), "--wit", s(&greeter)],
            "check",
            1,
        ),
        (
            vec!["check", s(&golden_so), "--wit", s(&missing)],
            "check",
            2,
        ),
        (vec!["diff", s(&v1), s(&v1)], "diff", 0),
        (vec!["diff", s(&v1), s(&retype)], "diff", 1),
        (vec!["diff", s(&missing), s(&v1)], "diff", 2),
    ];
    for (mut args, command, exit) in cases {
        args.push("--json");
        let v = json(&args, exit);
        check_common(&v, command, exit);
        if exit == 2 || (exit == 1 && matches!(command, "gen" | "ir" | "inspect")) {
            assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
        }
    }
    // A few fields.
    let v = json(&["gen", s(&greeter), "--out", s(&out), "--json"], 0);
    assert!(
        v["written"][0].as_str().unwrap().ends_with("greeter.h"),
        "{v}"
    );
    let v = json(
        &["check", s(&golden_so), "--wit", s(&golden_wit), "--json"],
        0,
    );
    assert_eq!(v["compatible"], true);
    assert_eq!(v["plugin"]["name"], "golden-c");
    assert_eq!(v["plugin"]["fingerprint"], v["host"]["fingerprint"]);
    let v = json(&["diff", s(&v1), s(&retype), "--json"], 1);
    assert_eq!(v["change"], "breaking");
    assert_eq!(v["versions_fit"], false);
    assert_eq!(v["breaking"].as_array().unwrap().len(), 1, "{v}");
    let v = json(&["inspect", s(&golden_so), "--json"], 0);
    assert_eq!(v["plugin_name"], "golden-c");
}
