//! 0.x packages in the CLI's messages (issue 11 B): semver makes every 0.x minor version
//! breaking, so a compatibility line is named by it, "compatibility line 0.3", and a
//! breaking change needs a new *minor* version, not a "major version".
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{plugport, text};

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `package test:zero@<version>;` with one function whose parameter is `param`.
fn wit(dir: &Path, version: &str, param: &str) -> PathBuf {
    let path = dir.join(format!(
        "zero-{version}-{}.wit",
        param.replace(['<', '>'], "_")
    ));
    std::fs::write(
        &path,
        format!(
            "package test:zero@{version};\ninterface api {{\n  f: func(x: {param}) -> u32;\n}}\n\
             world zero {{\n  export api;\n}}\n"
        ),
    )
    .unwrap();
    path
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = plugport(args);
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn diff_and_gen_name_the_line_0_3_and_ask_for_a_minor_bump() {
    let dir = tempfile::tempdir().unwrap();
    let old = wit(dir.path(), "0.3.0", "u32");
    let retyped = wit(dir.path(), "0.3.1", "string");
    let (code, msg) = run(&["diff", s(&old), s(&retyped)]);
    assert_eq!(code, Some(1), "{msg}");
    assert!(
        msg.contains(
            "0.3.0 -> 0.3.1 stays in compatibility line 0.3, but the change is breaking: bump \
             the minor version (to 0.4.0) or revert"
        ),
        "{msg}"
    );
    assert!(!msg.contains("v0_3") && !msg.contains("major"), "{msg}");

    let out = dir.path().join("gen");
    assert_eq!(run(&["gen", s(&old), "--out", s(&out)]).0, Some(0));
    let (code, msg) = run(&["gen", s(&retyped), "--out", s(&out)]);
    assert_eq!(code, Some(1), "{msg}");
    assert!(
        msg.contains("within compatibility line 0.3 in 1 item")
            && msg.contains("bump the minor version (to 0.4.0) or revert"),
        "{msg}"
    );

    // A new line is unrelated to the baseline: named as 0.3 and 0.4.
    let next = wit(dir.path(), "0.4.0", "string");
    let (code, msg) = run(&["gen", s(&next), "--out", s(&out), "--baseline", s(&old)]);
    assert_eq!(code, Some(0), "{msg}");
    assert!(
        msg.contains("is in compatibility line 0.3, test:zero@0.4.0 in 0.4"),
        "{msg}"
    );
}

#[test]
fn inspect_and_check_name_the_line_0_3() {
    let dir = tempfile::tempdir().unwrap();
    let gen = dir.path().join("gen");
    let plugin_wit = wit(dir.path(), "0.3.2", "u32");
    assert_eq!(run(&["gen", s(&plugin_wit), "--out", s(&gen)]).0, Some(0));
    let source = dir.path().join("plugin.c");
    std::fs::write(
        &source,
        "#include \"zero.h\"\n\
         static pp_status init(const test_zero_v0_3_zero_imports *i,\n\
         const test_zero_v0_3_zero_exports **e, pp_string *err) {\n\
         (void)i; (void)e; (void)err; return PP_ERR_INIT; }\n\
         TEST_ZERO_V0_3_ZERO_EXPORT(\"zero-c\", \"1.0.0\", init)\n",
    )
    .unwrap();
    let lib = dir.path().join("libzero.so");
    let status = Command::new("cc")
        .args(["-std=c99", "-shared", "-fPIC"])
        .arg(format!("-I{}", gen.display()))
        .arg(&source)
        .arg("-o")
        .arg(&lib)
        .status()
        .expect("cc");
    assert!(status.success());

    let (code, msg) = run(&["inspect", s(&lib)]);
    assert_eq!(code, Some(0), "{msg}");
    assert!(
        msg.contains("test:zero@0.3.2 (compatibility line 0.3, C prefix test_zero_v0_3)"),
        "{msg}"
    );

    let host_wit = wit(dir.path(), "0.4.0", "u32");
    let (code, msg) = run(&["check", s(&lib), "--wit", s(&host_wit)]);
    assert_eq!(code, Some(1), "{msg}");
    assert!(
        msg.contains(
            "incompatible: another compatibility line: expected test:zero@0.4.0 (compatibility \
             line 0.4), found test:zero@0.3.2 (compatibility line 0.3)"
        ),
        "{msg}"
    );
    assert!(!msg.contains("major version"), "{msg}");
}
