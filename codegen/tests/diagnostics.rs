//! WIT diagnostics a user can act on (issue 11 B): every refusal of the front end, and
//! wit-parser's own errors, rendered with `--> file:line:column`, the source line, a
//! caret under the token, and `= help:`; colour only on a terminal and without NO_COLOR;
//! the `--json` error output with `diagnostics` (file, line, column, message, help).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugport_codegen::frontend::{load_world, FrontendError};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn refused(path: &Path) -> FrontendError {
    load_world(path, None).expect_err("the world must be refused")
}

/// What one rendered diagnostic says about its primary location.
#[derive(Debug)]
struct Shown {
    /// `file:line:column` of the `-->` line.
    at: String,
    /// The source line as shown after `N | `.
    source: String,
    /// 0-based character column of the first `^` within the source line.
    caret: usize,
    /// How many `^`.
    carets: usize,
}

/// Parses the first diagnostic of `text` whose headline contains `headline`.
fn shown(text: &str, headline: &str) -> Shown {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("error: ") && l.contains(headline))
        .unwrap_or_else(|| panic!("no diagnostic `{headline}` in:\n{text}"));
    let at = lines[start + 1]
        .trim_start()
        .strip_prefix("--> ")
        .unwrap_or_else(|| panic!("no `-->` line after the headline:\n{text}"))
        .to_string();
    let line_no: &str = at.rsplit(':').nth(1).unwrap();
    // The source line: `<line_no> | <source>`; the caret line follows it.
    let (i, src) = lines[start..]
        .iter()
        .enumerate()
        .find_map(|(i, l)| {
            let rest = l.trim_start().strip_prefix(line_no)?;
            rest.strip_prefix(" | ").map(|s| (start + i, (l, s)))
        })
        .unwrap_or_else(|| panic!("source line {line_no} not shown:\n{text}"));
    let (full, source) = src;
    let prefix = full.len() - source.len();
    let caret_line = lines[i + 1];
    let first = caret_line
        .find('^')
        .unwrap_or_else(|| panic!("no caret under line {line_no}:\n{text}"));
    let carets = caret_line[first..]
        .chars()
        .take_while(|c| *c == '^')
        .count();
    Shown {
        at,
        source: source.to_string(),
        caret: caret_line[prefix..first].chars().count(),
        carets,
    }
}

/// The character column (0-based) of `token` in `source`.
fn column_of(source: &str, token: &str) -> usize {
    let byte = source
        .find(token)
        .unwrap_or_else(|| panic!("`{token}` not in `{source}`"));
    source[..byte].chars().count()
}

/// (fixture, headline fragment, line, token the caret must be under, help fragment)
const CASES: &[(&str, &str, u32, &str, &str)] = &[
    ("stream", "uses `stream<u8>`", 4, "stream<u8>", "list<"),
    (
        "future",
        "uses `future<string>`",
        5,
        "future<string>",
        "list<",
    ),
    (
        "fixed-list",
        "`list<u8, 0>`",
        4,
        "list<u8, 0>",
        "at least one element",
    ),
    ("async", "is `async`", 4, "run", "remove `async`"),
    ("accessor", "property accessor", 4, "level", "plain method"),
];

#[test]
fn refusals_show_file_line_column_source_line_caret_and_help() {
    for (name, headline, line, token, help) in CASES {
        let path = repo(&format!("tests/wit/refuse/{name}.wit"));
        let text = refused(&path).render(false);
        let s = shown(&text, headline);
        let source_line = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .nth(*line as usize - 1)
            .unwrap()
            .to_string();
        assert_eq!(s.source, source_line, "{name}: the source line\n{text}");
        let col = column_of(&source_line, token);
        assert_eq!(
            s.at,
            format!("{}:{line}:{}", path.display(), col + 1),
            "{name}: file:line:column\n{text}"
        );
        assert_eq!(s.caret, col, "{name}: caret under `{token}`\n{text}");
        assert!(s.carets >= 1, "{name}\n{text}");
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("= help: ") && l.contains(help)),
            "{name}: help naming `{help}`\n{text}"
        );
        assert!(
            !text.contains('\x1b'),
            "{name}: colour without asking\n{text}"
        );
    }
}

#[test]
fn every_refusal_of_a_world_is_rendered_and_counted() {
    let path = repo("tests/wit/refuse/two-problems.wit");
    let text = refused(&path).render(false);
    let stream = shown(&text, "`stream<u8>`");
    let run = shown(&text, "is `async`");
    assert!(stream.at.ends_with("two-problems.wit:4:23"), "{text}");
    assert!(run.at.ends_with("two-problems.wit:6:3"), "{text}");
    assert_eq!(run.carets, "run".len(), "{text}");
    assert!(
        text.trim_end().ends_with(
            "error: world `twice` cannot be generated: 2 problems (unsupported constructs or \
             C name clashes)"
        ),
        "{text}"
    );
}

#[test]
fn refusals_inside_records_point_at_the_field_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.wit");
    std::fs::write(
        &path,
        "package test:nested@1.0.0;\n\
         interface i {\n\
           record bag {\n\
             ok: u32,\n\
             items: stream<list<u8>>,\n\
           }\n\
           get: func() -> bag;\n\
         }\n\
         world nested { export i; }\n",
    )
    .unwrap();
    let text = refused(&path).render(false);
    let s = shown(&text, "field `items` of record `bag`");
    assert_eq!(s.source, "items: stream<list<u8>>,");
    assert_eq!(s.caret, column_of(&s.source, "stream<"), "{text}");
    assert!(s.at.ends_with("nested.wit:5:8"), "{text}");
}

#[test]
fn c_name_collisions_point_at_both_items() {
    let path = repo("tests/wit/refuse/c-name-list.wit");
    let text = refused(&path).render(false);
    let s = shown(&text, "both have the C name `test_refuse_v1_list_u8`");
    // The primary caret under the item that introduced the collision (`list<u8>`)...
    assert_eq!(s.caret, column_of(&s.source, "list<u8>"), "{text}");
    // ...and the other item underlined on its own line, with a label.
    let record_line = text
        .lines()
        .position(|l| l.contains("| ") && l.contains("record list-u8"))
        .unwrap_or_else(|| panic!("record line not shown:\n{text}"));
    let under = text.lines().nth(record_line + 1).unwrap();
    let record_src = "  record list-u8 { a: u32, b: u32, c: u32 }";
    let bar = text.lines().nth(record_line).unwrap().find("| ").unwrap() + 2;
    assert_eq!(
        under[bar..].find('-'),
        Some(column_of(record_src, "list-u8")),
        "{text}"
    );
    assert!(under.contains("record `list-u8` is here"), "{text}");
    assert!(text.contains("= help: rename one of them"), "{text}");
}

#[test]
fn wit_parser_errors_render_with_the_same_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.wit");
    std::fs::write(
        &path,
        "package test:typo@1.0.0;\ninterface i {\n  f: func(x: strng);\n}\nworld w { export i; }\n",
    )
    .unwrap();
    let err = refused(&path);
    let FrontendError::Wit { report, .. } = &err else {
        panic!("{err:?}")
    };
    let report = report.as_ref().expect("wit-parser's span kept as data");
    let span = report.span.as_ref().unwrap();
    assert_eq!((span.line, span.column), (3, 14), "{report:?}");
    let text = err.render(false);
    let s = shown(&text, "strng");
    assert_eq!(s.source, "  f: func(x: strng);");
    assert_eq!(s.caret, 13, "{text}");
    assert_eq!(s.carets, "strng".len(), "{text}");
}

#[test]
fn colour_only_when_asked() {
    let err = refused(&repo("tests/wit/refuse/stream.wit"));
    let plain = err.render(false);
    let coloured = err.render(true);
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(coloured.contains("\x1b["), "{coloured}");
    // The same text once the colour codes are removed.
    let mut stripped = String::new();
    let mut chars = coloured.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            stripped.push(c);
        }
    }
    assert_eq!(stripped, plain);
}

fn plugport(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plugport"));
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn cli_prints_the_rendered_refusals_without_colour_on_a_pipe() {
    let wit = repo("tests/wit/refuse/stream.wit");
    let out = plugport(&["ir", wit.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains('\x1b'), "stderr is a pipe: no colour\n{err}");
    let s = shown(&err, "uses `stream<u8>`");
    assert_eq!(s.caret, column_of(&s.source, "stream<u8>"), "{err}");
    assert!(err.contains("= help: "), "{err}");
}

/// On a terminal (a pseudo-terminal from util-linux `script`), stderr is coloured, and
/// NO_COLOR turns it off. Skipped (with a note) where `script` is missing.
#[test]
fn cli_colours_a_terminal_unless_no_color() {
    let script_ok = Command::new("script")
        .args(["-q", "-e", "-c", "true", "/dev/null"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !script_ok {
        eprintln!("note: util-linux `script` not available; terminal colour not tested");
        return;
    }
    let wit = repo("tests/wit/refuse/stream.wit");
    let run = |no_color: Option<&str>| {
        let line = format!(
            "{} ir {} 2>&1",
            env!("CARGO_BIN_EXE_plugport"),
            wit.display()
        );
        let mut cmd = Command::new("script");
        cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tty = run(None);
    assert!(tty.contains("uses `stream<u8>`"), "{tty}");
    assert!(tty.contains("\x1b["), "a terminal gets colour:\n{tty:?}");
    let no_color = run(Some("1"));
    assert!(no_color.contains("uses `stream<u8>`"), "{no_color}");
    assert!(!no_color.contains("\x1b["), "NO_COLOR=1:\n{no_color:?}");
    // An empty NO_COLOR does not count (no-color.org).
    assert!(run(Some("")).contains("\x1b["));
}

#[test]
fn json_errors_carry_the_diagnostics_with_columns() {
    let wit = repo("tests/wit/refuse/two-problems.wit");
    let out = plugport(&["ir", wit.to_str().unwrap(), "--json"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The documented fields stay.
    assert_eq!(v["command"], "ir");
    assert_eq!(v["exit"], 1);
    assert_eq!(v["ok"], false);
    let error = v["error"].as_str().unwrap();
    assert!(error.contains("two-problems.wit:4:23"), "{error}");
    let d = v["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(d.len(), 2, "{v}");
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["column"].as_u64()),
        (Some(4), Some(23))
    );
    assert_eq!(
        (d[1]["line"].as_u64(), d[1]["column"].as_u64()),
        (Some(6), Some(3))
    );
    assert!(d[0]["file"].as_str().unwrap().ends_with("two-problems.wit"));
    assert!(d[0]["message"].as_str().unwrap().contains("stream<u8>"));
    assert!(d[1]["help"].as_str().unwrap().contains("async"));
}

/// `plugport gen` refusing a world that breaks its baseline: each breaking item that the
/// new WIT still has is shown at its declaration, with the old form and how to fix it.
#[test]
fn baseline_refusals_point_at_the_changed_items_in_the_wit() {
    let dir = tempfile::tempdir().unwrap();
    let old = repo("tests/wit/evolve/v1.0.0.wit");
    // (release, headline, line, token under the caret)
    let cases = [
        (
            "v1.1.0-retype",
            "export greet.greet breaks the baseline",
            15,
            "greet:",
        ),
        (
            "v1.1.0-field",
            "greet.options.repeat breaks the baseline",
            11,
            "options",
        ),
        (
            "v1.1.0-reorder",
            "export greet.language breaks the baseline",
            14,
            "language:",
        ),
    ];
    for (release, headline, line, token) in cases {
        let new = repo(&format!("tests/wit/evolve/{release}.wit"));
        let out = plugport(
            &[
                "gen",
                new.to_str().unwrap(),
                "--out",
                dir.path().to_str().unwrap(),
                "--baseline",
                old.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{release}");
        let err = String::from_utf8(out.stderr).unwrap();
        let s = shown(&err, headline);
        let col = column_of(&s.source, token);
        assert_eq!(
            s.at,
            format!("{}:{line}:{}", new.display(), col + 1),
            "{release}\n{err}"
        );
        assert_eq!(s.caret, col, "{release}\n{err}");
        assert!(err.contains("= help: revert it, or bump the major version (to 2.0.0)"));
        // The summary (the message `--json` keeps as `error`) comes last.
        let last = err
            .lines()
            .rev()
            .find(|l| l.starts_with("error: "))
            .unwrap();
        assert!(last.starts_with("error: refusing to generate"), "{err}");
    }

    // --json: the same places as data.
    let new = repo("tests/wit/evolve/v1.1.0-retype.wit");
    let out = plugport(
        &[
            "gen",
            new.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
            "--baseline",
            old.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]
        .as_str()
        .unwrap()
        .starts_with("refusing to generate"));
    let d = &v["diagnostics"][0];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(15), Some(3))
    );
}

/// Columns count characters, not bytes: a comment with non-ASCII text before the token
/// does not shift the caret.
#[test]
fn columns_count_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unicode.wit");
    std::fs::write(
        &path,
        "package test:u@1.0.0;\n\
         /* héllo wörld */ interface i { f: func() -> stream<u8>; }\n\
         world w { export i; }\n",
    )
    .unwrap();
    let err = refused(&path);
    let FrontendError::Unsupported { refusals, .. } = &err else {
        panic!("{err:?}")
    };
    let at = refusals[0].location.as_ref().unwrap();
    let source = "/* héllo wörld */ interface i { f: func() -> stream<u8>; }";
    let col = column_of(source, "stream<u8>");
    assert_eq!((at.line, at.column as usize), (2, col + 1));
    assert_ne!(
        col,
        source.find("stream").unwrap(),
        "the line has multi-byte characters"
    );
    // The byte range is the token's.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text[at.range.clone()].starts_with("stream"), "{at:?}");
    let s = shown(&err.render(false), "uses `stream<u8>`");
    assert_eq!(s.caret, col);
}

/// `plugport diff` says where the new WIT declares each breaking item it still has.
#[test]
fn diff_places_breaking_items_in_the_new_wit() {
    let old = repo("tests/wit/evolve/v1.0.0.wit");
    let new = repo("tests/wit/evolve/v1.1.0-field.wit");
    let out = plugport(&["diff", old.to_str().unwrap(), new.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let source = std::fs::read_to_string(&new).unwrap();
    let line = source.lines().nth(10).unwrap();
    assert_eq!(line, "  record options {");
    let at = format!("{}:11:{}", new.display(), column_of(line, "options") + 1);
    assert!(
        text.contains(&format!(
            "  breaking: greet.options.repeat\n    old: u32\n    new: u64\n    at: {at}\n"
        )),
        "{text}"
    );

    let out = plugport(
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &v["breaking_at"][0];
    assert_eq!(b["item"], "greet.options.repeat");
    assert_eq!(
        (b["line"].as_u64(), b["column"].as_u64()),
        (Some(11), Some(10))
    );

    // A removed item has no place in the new WIT.
    let removed = repo("tests/wit/evolve/v1.1.0-remove.wit");
    let out = plugport(
        &["diff", old.to_str().unwrap(), removed.to_str().unwrap()],
        &[],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("(removed)") && !text.contains("    at: "),
        "{text}"
    );
}

/// `plugport check` says where the host's WIT declares each difference from the plugin.
#[test]
fn check_places_differences_in_the_host_wit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // A C plugin built against the greeter world.
    let gen = plugport(
        &[
            "gen",
            repo("examples/greeter/wit").to_str().unwrap(),
            "--out",
            d,
        ],
        &[],
    );
    assert!(gen.status.success(), "{gen:?}");
    let plugin = dir.path().join("libgreeter_zh.so");
    let cc = Command::new("cc")
        .args(["-std=c99", "-shared", "-fPIC", "-pthread"])
        .arg(format!("-I{d}"))
        .arg(repo("examples/greeter/plugin-zh-c/plugin.c"))
        .arg("-o")
        .arg(&plugin)
        .output()
        .unwrap();
    assert!(cc.status.success(), "{cc:?}");
    // A host WIT of the same version whose `greet` takes bytes.
    let wit = std::fs::read_to_string(repo("examples/greeter/wit/greeter.wit")).unwrap();
    let retyped = wit.replace("greet: func(name: string)", "greet: func(name: list<u8>)");
    assert_ne!(wit, retyped);
    let host = dir.path().join("host.wit");
    std::fs::write(&host, &retyped).unwrap();
    let (line, source) = retyped
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("greet: func(name: list<u8>)"))
        .unwrap();

    let out = plugport(
        &[
            "check",
            plugin.to_str().unwrap(),
            "--wit",
            host.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let at = format!(
        "    at: {}:{}:{}\n",
        host.display(),
        line + 1,
        column_of(source, "greet:") + 1
    );
    assert!(
        text.contains(&format!(
            "  - export greet.greet: expected greet: func(name: list<u8>) -> string, found \
             greet: func(name: string) -> string\n{at}"
        )),
        "{text}"
    );
}

/// A report whose file is gone (or changed so that the span no longer fits) still says
/// where, in its headline, with its help.
#[test]
fn a_report_without_its_file_keeps_the_location() {
    use plugport_codegen::frontend::{Report, SourceSpan};
    let report = Report {
        message: String::from("function `f` uses `stream<u8>`"),
        span: Some(SourceSpan {
            file: String::from("/nonexistent/gone.wit"),
            line: 3,
            column: 7,
            range: 40..46,
        }),
        related: Vec::new(),
        help: Some(String::from("pass the values whole")),
    };
    let text = report.render(false);
    assert!(
        text.starts_with("error: /nonexistent/gone.wit:3:7: function `f` uses `stream<u8>`"),
        "{text}"
    );
    assert!(text.contains("= help: pass the values whole"), "{text}");
    assert!(!text.contains("-->"), "{text}");
    assert_eq!(
        report.short(),
        "/nonexistent/gone.wit:3:7: function `f` uses `stream<u8>`; pass the values whole"
    );
}
