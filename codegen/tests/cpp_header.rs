//! The generated C++ headers (`plugport gen --lang cpp`), checked by real compilers: g++
//! and clang++, as C++17 and C++20, with `-Wall -Wextra -Werror -pedantic`, with and
//! without `-fno-exceptions -fno-rtti`, and g++ as C++23 (`pp::result` = `std::expected`), for every world of the repository; the headers of
//! several worlds in one translation unit; the export macro instantiated for every world;
//! and a plugin built with it exports nothing but its entry, descriptor and live-objects
//! function.
//!
//! Needs g++, clang++ and nm (`tests/c/install-compilers.sh`). A missing tool fails the
//! test; nothing is skipped.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugport_codegen::frontend::load_world;
use plugport_codegen::ir::{snake, World};
use plugport_codegen::{c, cpp};

const WARNINGS: &[&str] = &["-Wall", "-Wextra", "-Werror", "-pedantic"];

/// Every compiler × standard × exception mode the header must compile in.
fn modes() -> Vec<Vec<&'static str>> {
    let mut out = Vec::new();
    for cxx in ["g++", "clang++"] {
        for std in ["-std=c++17", "-std=c++20"] {
            out.push(vec![cxx, std]);
            out.push(vec![cxx, std, "-fno-exceptions", "-fno-rtti"]);
        }
    }
    // C++23, where pp::result is an alias of std::expected (libstdc++ 12 and later).
    out.push(vec!["g++", "-std=c++2b"]);
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen is in the workspace")
        .to_path_buf()
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cpp_header")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every world of the repository's WIT that the generator accepts.
fn all_repo_worlds() -> Vec<(String, World)> {
    let paths = common::repo_world_paths();
    paths
        .into_iter()
        .map(|p| {
            let (path, world) = common::split_world(&p);
            let w = load_world(&repo().join(path), world).unwrap_or_else(|e| panic!("{p}: {e}"));
            (p, w)
        })
        .collect()
}

/// Writes `<world>.h` and `<world>.hpp` into `dir`; returns the `.hpp` file name.
fn write_headers(dir: &Path, world: &World) -> String {
    let h = c::generate(world);
    fs::write(dir.join(&h.name), &h.contents).unwrap();
    let hpp = cpp::generate(world);
    fs::write(dir.join(&hpp.name), &hpp.contents).unwrap();
    hpp.name
}

fn run(cmd: &mut Command) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{program}`: {e}. Install the toolchain: tests/c/install-compilers.sh \
             (Debian: apt-get install g++ clang binutils)"
        )
    })
}

fn assert_compiles(mode: &[&str], source: &Path, dir: &Path, extra: &[&str]) {
    let out = run(Command::new(mode[0])
        .args(&mode[1..])
        .args(WARNINGS)
        .arg(format!("-I{}", repo().join("headers").display()))
        .arg(format!("-I{}", dir.display()))
        .args(extra)
        .arg(source));
    assert!(
        out.status.success(),
        "{mode:?} {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn upper(world: &World) -> String {
    format!("{}_{}", world.package.c_prefix(), snake(&world.name)).to_ascii_uppercase()
}

/// A plugin TU: the export macro with a MAKE that provides nothing.
fn plugin_source(world: &World, hpp: &str) -> String {
    let ns = format!(
        "{}::{}::{}",
        snake(&world.package.namespace),
        snake(&world.package.name),
        world.package.compat_line()
    );
    let w = snake(&world.name);
    format!(
        "#include \"{hpp}\"\n\
         static {ns}::{w}_exports make(const {ns}::{w}_imports_client &) {{ return {ns}::{w}_exports(); }}\n\
         {}_CPP_EXPORT(\"test-plugin\", \"1.2.3\", make)\n",
        upper(world)
    )
}

#[test]
fn every_world_compiles_in_every_mode_for_hosts_and_plugins() {
    for (label, world) in all_repo_worlds() {
        let dir = workdir(&label.replace(['/', '.'], "_"));
        let hpp = write_headers(&dir, &world);
        // One TU with the host part (plugport.h first) and the export macro expanded.
        let source = dir.join("both.cpp");
        fs::write(
            &source,
            format!("#include \"plugport.h\"\n{}", plugin_source(&world, &hpp)),
        )
        .unwrap();
        for mode in modes() {
            assert_compiles(&mode, &source, &dir, &["-c", "-o", "/dev/null"]);
        }
    }
}

#[test]
fn headers_of_several_worlds_compile_together() {
    let dir = workdir("together");
    let mut includes = String::from("#include \"plugport.h\"\n");
    for rel in [
        "examples/greeter/wit",
        "examples/codec/wit",
        "tests/wit/typecov.wit",
        "tests/wit/multi",
        "tests/wit/accept/samename",
        "tests/wit/uses.wit",
        "tests/wit/worldtypes.wit",
    ] {
        let world = load_world(&repo().join(rel), None).unwrap();
        includes += &format!("#include \"{}\"\n", write_headers(&dir, &world));
    }
    // The large package set: three worlds of one package over five dependency packages.
    for w in common::LARGE_WORLDS {
        let world = load_world(&repo().join("tests/wit/large"), Some(w)).unwrap();
        includes += &format!("#include \"{}\"\n", write_headers(&dir, &world));
    }
    // Two worlds of one package share interfaces: each class is defined once.
    let wit = common::write_two_worlds(&dir);
    for w in ["full", "lite"] {
        let world = load_world(&wit, Some(w)).unwrap();
        includes += &format!("#include \"{}\"\n", write_headers(&dir, &world));
    }
    let source = dir.join("all.cpp");
    fs::write(&source, includes).unwrap();
    for mode in modes() {
        assert_compiles(&mode, &source, &dir, &["-c", "-o", "/dev/null"]);
    }
}

#[test]
fn a_cpp_plugin_exports_only_entry_descriptor_and_live_objects() {
    let dir = workdir("exports");
    let world = load_world(&repo().join("examples/codec/wit"), None).unwrap();
    let hpp = write_headers(&dir, &world);
    let source = dir.join("plugin.cpp");
    fs::write(&source, plugin_source(&world, &hpp)).unwrap();
    let lib = dir.join("libplugin.so");
    let lib_arg = lib.display().to_string();
    assert_compiles(
        &["g++", "-std=c++17"],
        &source,
        &dir,
        &[
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "-fvisibility-inlines-hidden",
            "-o",
            &lib_arg,
        ],
    );
    let out = run(Command::new("nm").args(["-D", "--defined-only"]).arg(&lib));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut symbols: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    symbols.sort();
    assert_eq!(
        symbols,
        [
            "plugport_descriptor_example_codec_v1_codec",
            "plugport_entry_example_codec_v1_codec",
            "plugport_live_objects_example_codec_v1_codec",
        ],
        "{text}"
    );
}

/// Every checked caller and validator of the C header that a C++ class needs is used:
/// calls go through `<base>_call_<slot>`, arguments are checked with `<T>_check`, and no
/// slot of a C table is called directly by a client.
#[test]
fn clients_use_every_checked_caller_and_slots_are_noexcept() {
    for (label, world) in all_repo_worlds() {
        let h = c::generate(&world).contents;
        let hpp = cpp::generate(&world).contents;
        let mut callers = 0;
        for line in h.lines() {
            let Some(rest) = line.strip_prefix("static inline pp_status ") else {
                continue;
            };
            let name = rest.split('(').next().unwrap();
            if name.contains("_call_") {
                callers += 1;
                assert!(
                    hpp.contains(&format!("::{name}(")),
                    "{label}: {name} is not used by the C++ header"
                );
            }
        }
        assert!(callers > 0 || !h.contains("_call_"), "{label}");
        // Every slot function a server defines is noexcept and guarded.
        for line in hpp
            .lines()
            .filter(|l| l.contains(" pp_slot_") && l.starts_with("inline"))
        {
            assert!(line.ends_with(" noexcept {"), "{label}: {line}");
        }
        // (and the plugin's initialisation runs under one more)
        let slots = hpp.matches("::pp::detail::guard(").count() - 1;
        let defs = hpp
            .lines()
            .filter(|l| l.starts_with("inline ::pp_status ") && l.contains("::pp_slot_"))
            .count();
        assert_eq!(slots, defs, "{label}: every slot runs under the guard");
    }
}
