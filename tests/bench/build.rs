//! Generates the host bindings of the bench world, and builds the C plugin (the raw C
//! baseline) from a freshly generated header into $OUT_DIR/libbench_c.so.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let builder = plugport_codegen::Builder::new("wit/bench.wit").world("bench");
    builder
        .clone()
        .rust_host()
        .write_rust_to_out_dir("bench.rs")
        .expect("generate bench host bindings");
    builder.write_c_header(&out).expect("generate bench.h");
    println!("cargo:rerun-if-changed=plugin-c/plugin.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args([
            "-std=c99", "-O2", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", "-I",
        ])
        .arg(&out)
        .arg("plugin-c/plugin.c")
        .arg("-o")
        .arg(out.join("libbench_c.so"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "building the C bench plugin failed");
}
