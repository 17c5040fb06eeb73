//! The checked C callers and validating trampolines of the generated header (docs/abi.md
//! section 11), with real compiled C: the host `tests/e2e/c/checked_host.c` against
//!
//! - `tests/e2e/c/hostile_plugin.c`, which returns invalid UTF-8, a bad enum and variant
//!   tag, a bool byte 2, unknown flag bits, a surrogate `char`, bad discriminants, a NULL
//!   pointer with `len > 0`, a NULL handle, a result pointing into its argument and an
//!   invalid error message, and has a NULL slot and short tables: through the checked
//!   callers each gives its specific status and message;
//! - `tests/e2e/c/strict_plugin.c`, whose slots are validating trampolines, sent invalid
//!   arguments through the raw table: each is refused with `PP_ERR_INVALID_ARGUMENT` and a
//!   message, and every `own` handle among the arguments is dropped.
//!
//! Each pair runs plain, under valgrind memcheck and built with ASan+UBSan, and must be
//! clean in all three. The header is generated here from `tests/e2e/wit/hostile.wit`.
//! Needs `cc` (gcc or clang, with the sanitizer runtimes) and valgrind, which
//! `scripts/test.sh` installs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugport_codegen::c;
use plugport_codegen::frontend::load_world;

const WARNINGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"];
const SANITIZE: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
];

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (install gcc and valgrind)"))
}

fn describe(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The two plugins and the host, compiled with `extra` flags into `dir`.
struct Build {
    host: PathBuf,
    hostile: PathBuf,
    strict: PathBuf,
}

fn build(dir: &Path, extra: &[&str]) -> Build {
    let src = here().join("c");
    let cc = |args: Vec<String>| {
        let out = run(Command::new("cc").args(WARNINGS).args(extra).args(&args));
        assert!(out.status.success(), "cc {args:?}:\n{}", describe(&out));
    };
    let inc = format!("-I{}", dir.display());
    let built = Build {
        host: dir.join("checked-host"),
        hostile: dir.join("libhostile.so"),
        strict: dir.join("libstrict.so"),
    };
    for (source, lib) in [
        ("hostile_plugin.c", &built.hostile),
        ("strict_plugin.c", &built.strict),
    ] {
        cc(vec![
            "-shared".into(),
            "-fPIC".into(),
            inc.clone(),
            src.join(source).display().to_string(),
            "-o".into(),
            lib.display().to_string(),
        ]);
    }
    cc(vec![
        "-D_POSIX_C_SOURCE=200809L".into(),
        inc,
        src.join("checked_host.c").display().to_string(),
        "-o".into(),
        built.host.display().to_string(),
        "-ldl".into(),
    ]);
    built
}

/// A fresh directory holding the generated `hostile.h`.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("checked_callers")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let world = load_world(&here().join("wit/hostile.wit"), None).expect("hostile.wit loads");
    let header = c::generate(&world);
    assert_eq!(header.name, "hostile.h");
    fs::write(dir.join(&header.name), &header.contents).unwrap();
    dir
}

/// Parses the host's last line, `N passed, M failed`.
fn summary(stdout: &str) -> Option<(u32, u32)> {
    let last = stdout.lines().last()?;
    let (passed, failed) = last.split_once(" passed, ")?;
    Some((
        passed.parse().ok()?,
        failed.strip_suffix(" failed")?.parse().ok()?,
    ))
}

/// Lines the run must contain, per mode: one per kind of failure.
const HOSTILE_LINES: &[&str] = &[
    "ok   text: invalid UTF-8 -> status 4",
    "ok   echo: a result pointing into its argument -> status 4",
    "ok   echo: the argument is intact, not released",
    "ok   bytes: NULL ptr with len 5 -> status 4",
    "ok   names: invalid UTF-8 in a member -> status 4",
    "ok   hue: enum 7 of 3 -> status 4",
    "ok   form: variant tag 9 of 3 -> status 4",
    "ok   flag: bool byte 2 -> status 4",
    "ok   rights: unknown flag bits 0x18 -> status 4",
    "ok   letter: char 0xD800 -> status 4",
    "ok   someone: option discriminant 2",
    "ok   maybe: result discriminant 3 -> status 4",
    "ok   fail: PP_ERR_PANIC with an invalid UTF-8 message",
    "ok   take: an unknown status 42 passed through",
    "ok   missing: a NULL slot -> status 3",
    "ok   beyond: a slot past the table's header.size -> status 3",
    "ok   beyond: the owned token argument was dropped by the checked caller",
    "ok   version: past the exports table's header.size -> status 3",
    "ok   token constructor: a handle with a NULL self -> status 4",
    "ok   token.bump: a NULL vtable slot -> status 3",
];

const STRICT_LINES: &[&str] = &[
    "ok   raw text(NULL, 3) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw text(\"\\xff\") -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw give(own token, invalid UTF-8): the own token was dropped",
    "ok   raw give(color 9, some(own token)): both own tokens (one nested) were dropped",
    "ok   raw take(bool 2) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw take(char 0xD800) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw take(perms 0x10) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw take(shape tag 7) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw take(list NULL, 2) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw take(person.home discriminant 5) -> PP_ERR_INVALID_ARGUMENT",
    "ok   raw token.id(self = NULL) -> PP_ERR_INVALID_ARGUMENT",
];

/// Runs the host (optionally under `wrapper`) in `mode` against `lib` and checks that
/// every check passed and each expected line is there.
fn check_run(b: &Build, lib: &Path, mode: &str, wrapper: &[&str]) -> Output {
    let mut cmd = match wrapper.split_first() {
        Some((w, args)) => {
            let mut c = Command::new(w);
            c.args(args).arg(&b.host);
            c
        }
        None => Command::new(&b.host),
    };
    let out = run(cmd.arg(lib).arg(mode));
    let what = format!("{wrapper:?} {} {mode}", lib.display());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{what}:\n{}", describe(&out));
    let (passed, failed) =
        summary(&text).unwrap_or_else(|| panic!("{what}: no summary:\n{}", describe(&out)));
    assert_eq!(failed, 0, "{what}:\n{}", describe(&out));
    let (lines, min) = if mode == "hostile" {
        (HOSTILE_LINES, 60)
    } else {
        (STRICT_LINES, 30)
    };
    assert!(passed >= min, "{what}: only {passed} checks:\n{text}");
    for line in lines {
        assert!(text.contains(line), "{what}: missing `{line}`:\n{text}");
    }
    assert!(!text.contains("\nFAIL "), "{what}:\n{text}");
    out
}

#[test]
fn hostile_results_and_invalid_arguments_give_their_statuses() {
    let dir = workdir("plain");
    let b = build(&dir, &[]);
    check_run(&b, &b.hostile, "hostile", &[]);
    check_run(&b, &b.strict, "strict", &[]);
}

#[test]
fn checked_callers_and_trampolines_are_clean_under_valgrind() {
    let dir = workdir("valgrind");
    let b = build(&dir, &[]);
    let valgrind = [
        "valgrind",
        "--quiet",
        "--leak-check=full",
        "--show-leak-kinds=definite,indirect",
        "--errors-for-leak-kinds=definite,indirect",
        "--error-exitcode=99",
    ];
    for (lib, mode) in [(&b.hostile, "hostile"), (&b.strict, "strict")] {
        let out = check_run(&b, lib, mode, &valgrind);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("definitely lost")
                && !err.contains("Invalid read")
                && !err.contains("Invalid write")
                && !err.contains("Invalid free")
                && !err.contains("uninitialised"),
            "valgrind {mode}: {err}"
        );
    }
}

#[test]
fn checked_callers_and_trampolines_are_clean_under_asan_and_ubsan() {
    let dir = workdir("sanitizers");
    let b = build(&dir, SANITIZE);
    for (lib, mode) in [(&b.hostile, "hostile"), (&b.strict, "strict")] {
        let out = check_run(&b, lib, mode, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("AddressSanitizer")
                && !err.contains("LeakSanitizer")
                && !err.contains("runtime error"),
            "sanitizers {mode}: {err}"
        );
    }
}

/// The built examples (`scripts/build-examples.sh`, `PLUGPORT_EXAMPLES`), as in
/// `tests/examples.rs`.
fn examples() -> PathBuf {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| here().join("../../target/examples"));
    assert!(
        dir.join("greeter/greeter.h").is_file() && dir.join("codec/codec.h").is_file(),
        "{} has no built examples: run scripts/build-examples.sh first (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// A greeter or codec plugin whose exports are broken as `variant` says: `null-slot` (the
/// interface table's slots are NULL) or `short` (the exports table is just a header).
fn broken_plugin(example: &str, variant: &str, out: &Path) {
    let (p, w, i, slots) = match example {
        "greeter" => ("example_greeter_v1", "greeter", "greet", 2),
        _ => ("example_codec_v1", "codec", "framing", 2),
    };
    let upper = format!("{p}_{w}").to_ascii_uppercase();
    let nulls = vec!["NULL"; slots].join(", ");
    let exports = if variant == "short" {
        "{{sizeof(pp_table_header), 0x00010000u, d}, NULL}".to_string()
    } else {
        format!("{{{{sizeof({p}_{w}_exports), 0x00010000u, d}}, &TABLE}}")
    };
    let source = format!(
        r#"#include <stdlib.h>
#include "{w}.h"
static void d(void *ptr, size_t size, size_t align) {{
    (void)size;
    (void)align;
    free(ptr);
}}
static const {p}_{i}_table TABLE = {{{{sizeof({p}_{i}_table), 0x00010000u, d}}, {nulls}}};
static const {p}_{w}_exports EXPORTS = {exports};
static pp_status init(const {p}_{w}_imports *imports, const {p}_{w}_exports **exports,
                      pp_string *err) {{
    (void)imports;
    (void)err;
    (void)TABLE;
    *exports = &EXPORTS;
    return PP_OK;
}}
{upper}_EXPORT("broken-{variant}", "1.0.0", init)
"#
    );
    let file = out.with_extension("c");
    fs::write(&file, source).unwrap();
    let include = examples().join(example);
    let result = run(Command::new("cc")
        .args(WARNINGS)
        .args(["-shared", "-fPIC"])
        .arg(format!("-I{}", include.display()))
        .arg(&file)
        .arg("-o")
        .arg(out));
    assert!(result.status.success(), "{}", describe(&result));
}

/// The example C hosts, given a plugin with a NULL slot or a short exports table, report
/// PP_ERR_UNSUPPORTED (3) from the checked callers and exit with a failure status; they
/// do not crash.
#[test]
fn example_c_hosts_report_unsupported_for_a_null_slot_and_a_short_table() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("checked_callers/examples");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for (example, host, args, expect) in [
        (
            "greeter",
            "greeter-host-c",
            vec!["Ada"],
            "greet failed (3): example:greeter/greet.greet: not provided by the callee",
        ),
        (
            "codec",
            "codec-host-c",
            vec!["1"],
            "FAILED: encode: status 3: example:codec/framing.encode: not provided by the callee",
        ),
    ] {
        for variant in ["null-slot", "short"] {
            let lib = dir.join(format!("lib{example}_{}.so", variant.replace('-', "_")));
            broken_plugin(example, variant, &lib);
            let out = run(Command::new(examples().join(example).join(host))
                .arg(&lib)
                .args(&args));
            let what = format!("{host} x {variant}");
            assert_eq!(out.status.code(), Some(1), "{what}:\n{}", describe(&out));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(expect),
                "{what}: lacks `{expect}`:\n{}",
                describe(&out)
            );
        }
    }
}
