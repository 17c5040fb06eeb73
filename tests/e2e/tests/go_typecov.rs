//! The Go typecov plugin (`tests/typecov/plugin-go`, built by `scripts/build-examples.sh`
//! into `typecov/libtypecov_go.so`) under the C typecov host, which round-trips edge
//! values of every type, the counter resource, `boom` and `version`, and then passes
//! invalid arguments that the plugin's validating trampolines must refuse.
//! The refusals come from the validating trampolines of the C header, which the Go
//! plugin's tables are made of.

use std::path::PathBuf;
use std::process::Command;

fn examples() -> PathBuf {
    std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"))
}

#[test]
fn c_typecov_host_passes_every_check_against_the_go_plugin() {
    let tc = examples().join("typecov");
    let plugin = tc.join("libtypecov_go.so");
    assert!(
        plugin.is_file(),
        "{} missing: run scripts/build-examples.sh first",
        plugin.display()
    );
    let out = Command::new(tc.join("typecov-host-c"))
        .arg(&plugin)
        .output()
        .expect("run typecov-host-c");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" 0 failed"),
        "typecov-host-c x libtypecov_go.so ({}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("loaded typecov-go 1.0.0"), "{text}");
    // The invalid-argument section ran (and passed, by the count above).
    assert!(
        text.contains("PP_ERR_INVALID_ARGUMENT"),
        "no invalid-argument checks ran:\n{text}"
    );
}
