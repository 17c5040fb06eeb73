//! Generates the Rust host bindings and the C header of `tests/wit/fallible.wit` into
//! `$OUT_DIR`, and builds the C plugin `c/fallible.c` against that header as
//! `$OUT_DIR/libfallible_c.so` (and the same for `tests/wit/accept/collections.wit` and
//! `c/collections.c`, `$OUT_DIR/libcollections_c.so`, and for `tests/wit/accept/worldres.wit`
//! and `c/worldres.c`, `$OUT_DIR/libworldres_c.so`) with the system C compiler (`$CC`, else
//! `cc`), with the strict flags every generated header must pass. The Go guest and host
//! packages of collections and worldres go to `$OUT_DIR/go*/` (tests/collections_go.rs,
//! worldres_go.rs and go_host.rs build them).
use std::path::{Path, PathBuf};
use std::process::Command;

use plugport_codegen::go::{GoOptions, GoSide};
use plugport_codegen::ir::World;
use plugport_codegen::Builder;

/// Writes the Rust host bindings of `world` in `wit` to `$OUT_DIR/<rust_name>` and the C
/// header to `$OUT_DIR`, builds `c/<world>.c` against it into `$OUT_DIR/lib<world>_c.so`
/// with `cc`, and returns the world.
fn host_and_c_plugin(wit: &Path, world: &str, rust_name: &str, out: &Path, cc: &str) -> World {
    println!("cargo:rerun-if-changed={}", wit.display());
    println!("cargo:rerun-if-changed=c/{world}.c");
    Builder::new(wit)
        .world(world)
        .rust_host()
        .write_rust_to_out_dir(rust_name)
        .unwrap_or_else(|e| panic!("host bindings of {world}: {e}"));
    let ir = plugport_codegen::frontend::load_world(wit, Some(world)).expect("WIT");
    let header = plugport_codegen::c::generate(&ir);
    std::fs::write(out.join(&header.name), &header.contents).expect("write the C header");
    let status = Command::new(cc)
        .args([
            "-std=c99",
            "-O1",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
        ])
        .args(["-shared", "-fPIC", "-fvisibility=hidden", "-I"])
        .arg(out)
        .arg(format!("c/{world}.c"))
        .arg("-o")
        .arg(out.join(format!("lib{world}_c.so")))
        .status()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(status.success(), "{cc} failed to build c/{world}.c");
    ir
}

/// Writes the Go package of `side` for `world` (as the plugin `<name>` 1.0.0) into
/// `$OUT_DIR/<dir>/`.
fn go_package(world: &World, side: GoSide, name: &str, out: &Path, dir: &str) {
    let opts = GoOptions {
        plugin_name: Some(name.into()),
        plugin_version: Some("1.0.0".into()),
    };
    for f in plugport_codegen::go::generate(world, side, &opts) {
        let path = out.join(dir).join(&f.name);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write the Go package");
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-env-changed=CC");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());

    let wit = root.join("tests/wit/fallible.wit");
    host_and_c_plugin(&wit, "fallible", "fallible_host.rs", &out, &cc);

    // Maps and fixed-length lists (issue 11, A.1 and A.2), with the Go plugin's package
    // (tests/collections_go.rs builds go/ with it) and the Go host's (tests/go_host.rs
    // runs go-host/ with it against the C plugin).
    let wit = root.join("tests/wit/accept/collections.wit");
    let world = host_and_c_plugin(&wit, "collections", "collections_host.rs", &out, &cc);
    println!("cargo:rerun-if-changed=go/main.go");
    println!("cargo:rerun-if-changed=go-host/collections_test.go");
    go_package(&world, GoSide::Guest, "collections-go", &out, "go");
    go_package(&world, GoSide::Host, "collections-go", &out, "go-host");

    // A resource declared at world level (issue 11, A.3): the host implements it.
    let wit = root.join("tests/wit/accept/worldres.wit");
    let world = host_and_c_plugin(&wit, "worldres", "worldres_host.rs", &out, &cc);
    // Its 1.1 (members appended to the resource): a host of 1.1 loads the plugin of 1.0.
    let wit11 = root.join("tests/constructs/wit/worldres-1.1.wit");
    println!("cargo:rerun-if-changed={}", wit11.display());
    Builder::new(&wit11)
        .world("worldres")
        .rust_host()
        .write_rust_to_out_dir("worldres11_host.rs")
        .expect("host bindings of test:worldres@1.1.0");
    println!("cargo:rerun-if-changed=go-worldres/main.go");
    println!("cargo:rerun-if-changed=go-host/worldres_test.go");
    go_package(&world, GoSide::Guest, "worldres-go", &out, "go-worldres");
    go_package(&world, GoSide::Host, "worldres-go", &out, "go-host");
}
