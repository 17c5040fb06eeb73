//! Generates the Rust host bindings of the fault world and builds the C fault plugin from
//! a freshly generated header into $OUT_DIR/libfault_c.so.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let builder = plugport_codegen::Builder::new("wit/fault.wit").world("plugin");
    builder
        .clone()
        .rust_host()
        .write_rust_to_out_dir("fault.rs")
        .expect("generate fault host bindings");
    builder.write_c_header(&out).expect("generate fault.h");
    println!("cargo:rerun-if-changed=plugin-c/plugin.c");
    println!("cargo:rerun-if-changed=wit/fault.wit");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args([
            "-std=c99",
            "-O2",
            "-g",
            "-shared",
            "-fPIC",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-I",
        ])
        .arg(&out)
        .arg("plugin-c/plugin.c")
        .arg("-o")
        .arg(out.join("libfault_c.so"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "building the C fault plugin failed");
}
