//! `headers/plugport.h` is generated from `bridge/src/capi.rs` by cbindgen
//! (`bridge/cbindgen.toml`) and checked in. This test regenerates it in memory and fails
//! when the checked-in file is stale. Regenerate it with
//! `PLUGPORT_BLESS=1 cargo test -p plugport --test header_fresh`.

use std::path::Path;

const REGENERATE: &str = "PLUGPORT_BLESS=1 cargo test -p plugport --test header_fresh";

fn generate() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))
        .expect("bridge/cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/codes.rs"))
        .with_src(dir.join("src/capi.rs"))
        .with_src(dir.join("src/isolation/capi.rs"))
        .generate()
        .expect("cbindgen reads bridge/src/capi.rs");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen writes UTF-8")
}

#[test]
fn plugport_h_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../headers/plugport.h");
    let fresh = generate();
    if std::env::var_os("PLUGPORT_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write headers/plugport.h");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != fresh {
        let line = current
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(fresh.lines().count()));
        panic!(
            "headers/plugport.h is stale (first difference at line {}): run {REGENERATE}",
            line + 1
        );
    }
}

#[test]
fn plugport_h_has_the_runtime_guard_and_only_the_c_api() {
    let h = generate();
    assert!(
        h.contains("#ifndef PLUGPORT_RUNTIME_H\n#define PLUGPORT_RUNTIME_H"),
        "{h}"
    );
    for name in [
        "typedef struct plugport_plugin plugport_plugin;",
        "int32_t plugport_open(",
        "const char *plugport_last_error(void);",
        "const void *plugport_exports(const plugport_plugin *p);",
        "void plugport_close(plugport_plugin *p);",
        "#define PLUGPORT_E_MAJOR_VERSION_MISMATCH 7",
    ] {
        assert!(h.contains(name), "plugport.h lacks `{name}`:\n{h}");
    }
    // The ABI core types belong to the generated world headers, never to plugport.h.
    for name in [
        "pp_string",
        "pp_table_header",
        "pp_status",
        "#define PP_OK",
        "#define ABI_VERSION",
        "PLUGPORT_ABI_CORE_V1",
    ] {
        assert!(!h.contains(name), "plugport.h must not define `{name}`");
    }
}
