//! The C++ layer's GoogleTest suites (`tests/e2e/cpp`, docs/cpp.md), configured with CMake
//! and run with ctest: plain and under valgrind memcheck, and again built with
//! ASan+UBSan. The suites are a C++ host (the generated `hostile.hpp`) against the hostile
//! C plugin (invalid results, a result pointing into its argument, a NULL slot and short
//! tables), invalid arguments and exceptions sent into a C++ plugin, 8 threads at once,
//! unit tests of `headers/plugport/cpp.hpp`, and the typecov C++ host (through
//! libplugport) against the typecov C++ plugin. Every run must pass with zero reports.
//!
//! Needs cmake, a C and C++ compiler with the sanitizer runtimes, GoogleTest
//! (`libgtest-dev`) and valgrind, which `scripts/test.sh` installs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugport_codegen::frontend::load_world;
use plugport_codegen::{c, cpp};

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (install cmake, g++, libgtest-dev and valgrind)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The folder of this test's profile (`target/<profile>`), whose libplugport.so the typecov
/// C++ host links (built by `scripts/build-examples.sh`, or `cargo build -p plugport-capi`).
fn runtime_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    assert!(
        dir.join("libplugport.so").is_file(),
        "{} has no libplugport.so: run scripts/build-examples.sh (scripts/test.sh does) or \
         cargo build -p plugport-capi",
        dir.display()
    );
    dir
}

/// Generates `hostile.h`, `hostile.hpp`, `typecov.h` and `typecov.hpp`, configures, builds and runs ctest with `args`;
/// returns ctest's output.
fn ctest(name: &str, args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cpp_gtest")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    let gen = dir.join("gen");
    fs::create_dir_all(&gen).unwrap();
    for wit in [
        here().join("wit/hostile.wit"),
        here().join("../wit/typecov.wit"),
    ] {
        let world = load_world(&wit, None).expect("the WIT loads");
        for file in [c::generate(&world), cpp::generate(&world)] {
            fs::write(gen.join(&file.name), &file.contents).unwrap();
        }
    }
    let build = dir.join("build");
    run(Command::new("cmake")
        .arg("-S")
        .arg(here().join("cpp"))
        .arg("-B")
        .arg(&build)
        .arg(format!("-DPLUGPORT_GEN_DIR={}", gen.display()))
        .arg(format!(
            "-DPLUGPORT_RUNTIME_DIR={}",
            runtime_dir().display()
        ))
        .args(args));
    run(Command::new("cmake").arg("--build").arg(&build));
    let out = run(Command::new("ctest")
        .arg("--test-dir")
        .arg(&build)
        .arg("--output-on-failure"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cpp_suites_pass_plain_and_under_valgrind() {
    let text = ctest("plain", &["-DPLUGPORT_VALGRIND=ON"]);
    for suite in [
        "host_test ",
        "host_test_valgrind",
        "helpers_test ",
        "helpers_test_valgrind",
        "typecov_cpp ",
        "typecov_cpp_valgrind",
        "load_options_test ",
        "load_options_test_valgrind",
    ] {
        assert!(text.contains(suite), "{suite} did not run:\n{text}");
    }
    assert!(
        text.contains("100% tests passed, 0 tests failed out of 8"),
        "{text}"
    );
}

#[test]
fn cpp_suites_pass_under_asan_and_ubsan() {
    let text = ctest("sanitizers", &["-DPLUGPORT_SANITIZE=ON"]);
    assert!(
        text.contains("100% tests passed, 0 tests failed out of 4"),
        "{text}"
    );
}
