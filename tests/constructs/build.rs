//! Generates the Rust host bindings and the C header of `tests/wit/fallible.wit` into
//! `$OUT_DIR`, and builds the C plugin `c/fallible.c` against that header as
//! `$OUT_DIR/libfallible_c.so` (and the same for `tests/wit/accept/collections.wit` and
//! `c/collections.c`, `$OUT_DIR/libcollections_c.so`, and for `tests/wit/accept/worldres.wit`
//! and `c/worldres.c`, `$OUT_DIR/libworldres_c.so`) with the system C compiler (`$CC`, else
//! `cc`), with the strict flags every generated header must pass.
use std::path::Path;
use std::process::Command;

use plugport_codegen::Builder;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let wit = root.join("tests/wit/fallible.wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    println!("cargo:rerun-if-changed=c/fallible.c");
    println!("cargo:rerun-if-env-changed=CC");
    Builder::new(&wit)
        .world("fallible")
        .rust_host()
        .write_rust_to_out_dir("fallible_host.rs")
        .expect("host bindings of test:fallible");
    let world = plugport_codegen::frontend::load_world(&wit, Some("fallible")).expect("WIT");
    let header = plugport_codegen::c::generate(&world);
    std::fs::write(out.join(&header.name), &header.contents).expect("write the C header");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
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
        .arg(&out)
        .arg("c/fallible.c")
        .arg("-o")
        .arg(out.join("libfallible_c.so"))
        .status()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(status.success(), "{cc} failed to build c/fallible.c");

    // Maps and fixed-length lists (issue 11, A.1 and A.2): the same for collections.wit.
    let wit = root.join("tests/wit/accept/collections.wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    println!("cargo:rerun-if-changed=c/collections.c");
    Builder::new(&wit)
        .world("collections")
        .rust_host()
        .write_rust_to_out_dir("collections_host.rs")
        .expect("host bindings of test:collections");
    let world = plugport_codegen::frontend::load_world(&wit, Some("collections")).expect("WIT");
    let header = plugport_codegen::c::generate(&world);
    std::fs::write(out.join(&header.name), &header.contents).expect("write the C header");
    let status = Command::new(&cc)
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
        .arg(&out)
        .arg("c/collections.c")
        .arg("-o")
        .arg(out.join("libcollections_c.so"))
        .status()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(status.success(), "{cc} failed to build c/collections.c");

    // The Go plugin's generated package (tests/collections_go.rs builds go/ with it).
    println!("cargo:rerun-if-changed=go/main.go");
    let opts = plugport_codegen::go::GoOptions {
        plugin_name: Some("collections-go".into()),
        plugin_version: Some("1.0.0".into()),
    };
    for f in plugport_codegen::go::generate(&world, plugport_codegen::go::GoSide::Guest, &opts) {
        let path = out.join("go").join(&f.name);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write the Go package");
    }

    // The Go host package of collections (tests/go_host.rs runs go-host/ with it
    // against the C plugin).
    for f in plugport_codegen::go::generate(&world, plugport_codegen::go::GoSide::Host, &opts) {
        let path = out.join("go-host").join(&f.name);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write the Go package");
    }
    println!("cargo:rerun-if-changed=go-host/collections_test.go");

    // A resource declared at world level (issue 11, A.3): the host implements it.
    let wit = root.join("tests/wit/accept/worldres.wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    println!("cargo:rerun-if-changed=c/worldres.c");
    Builder::new(&wit)
        .world("worldres")
        .rust_host()
        .write_rust_to_out_dir("worldres_host.rs")
        .expect("host bindings of test:worldres");
    // Its 1.1 (members appended to the resource): a host of 1.1 loads the plugin of 1.0.
    let wit11 = root.join("tests/constructs/wit/worldres-1.1.wit");
    println!("cargo:rerun-if-changed={}", wit11.display());
    Builder::new(&wit11)
        .world("worldres")
        .rust_host()
        .write_rust_to_out_dir("worldres11_host.rs")
        .expect("host bindings of test:worldres@1.1.0");
    let world = plugport_codegen::frontend::load_world(&wit, Some("worldres")).expect("WIT");
    let header = plugport_codegen::c::generate(&world);
    std::fs::write(out.join(&header.name), &header.contents).expect("write the C header");
    let status = Command::new(&cc)
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
        .arg(&out)
        .arg("c/worldres.c")
        .arg("-o")
        .arg(out.join("libworldres_c.so"))
        .status()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(status.success(), "{cc} failed to build c/worldres.c");
    let opts = plugport_codegen::go::GoOptions {
        plugin_name: Some("worldres-go".into()),
        plugin_version: Some("1.0.0".into()),
    };
    for f in plugport_codegen::go::generate(&world, plugport_codegen::go::GoSide::Guest, &opts) {
        let path = out.join("go-worldres").join(&f.name);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write the Go package");
    }
    // Its Go host package (tests/go_host.rs runs go-host/worldres_test.go with it).
    for f in plugport_codegen::go::generate(&world, plugport_codegen::go::GoSide::Host, &opts) {
        let path = out.join("go-host").join(&f.name);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write the Go package");
    }
    println!("cargo:rerun-if-changed=go-host/worldres_test.go");
}
