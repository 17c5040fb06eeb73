//! Helpers shared by the tests of the `plugport` binary (`cli.rs`, `tools.rs`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `rel`, a path relative to the repository root.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Runs the `plugport` binary with `args`.
pub fn plugport(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plugport"))
        .args(args)
        .output()
        .expect("run plugport")
}

/// Output bytes as text (lossy).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every world of the repository's WIT that the generator accepts, as paths relative to
/// the repository root (each directory or file holds one world, or `path#world` names one
/// of several): the examples, `tests/wit/*.wit` and `tests/wit/evolve/*.wit` (sorted),
/// `tests/wit/multi`, `tests/wit/accept/samename`, the hostile world of `tests/e2e`, and
/// the three worlds of the large package set `tests/wit/large` (issue 11, A.9), and
/// `tests/wit/accept/worldres.wit` (a world-level resource, A.3). The
/// header tests of every language compile each of them ([`split_world`]).
pub fn repo_world_paths() -> Vec<String> {
    let mut paths: Vec<String> = [
        "examples/greeter/wit",
        "examples/greeter/wit-1.1",
        "examples/codec/wit",
        "tests/wit/multi",
        "tests/wit/accept/samename",
        "tests/e2e/wit/hostile.wit",
        "tests/wit/large#proxy",
        "tests/wit/large#command",
        "tests/wit/large#worker",
        // A resource declared at world level (issue 11, A.3).
        "tests/wit/accept/worldres.wit",
    ]
    .map(String::from)
    .into();
    for dir in ["tests/wit", "tests/wit/evolve"] {
        let mut files: Vec<String> = std::fs::read_dir(repo(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".wit"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        files.sort();
        paths.extend(files);
    }
    paths
}

/// `(path, world)` of an entry of [`repo_world_paths`]: `path#world`, or a path of one
/// world.
pub fn split_world(entry: &str) -> (&str, Option<&str>) {
    match entry.split_once('#') {
        Some((path, world)) => (path, Some(world)),
        None => (entry, None),
    }
}

/// The worlds of the large package set `tests/wit/large` (issue 11, A.9).
pub const LARGE_WORLDS: [&str; 3] = ["proxy", "command", "worker"];

/// Writes `two.wit` into `dir` and returns its path: package `test:two@1.2.0` with worlds
/// `full` and `lite` that share the interface `shared` (a record, a resource and a
/// function), so headers of both worlds in one translation unit must define each shared
/// item once.
pub fn write_two_worlds(dir: &Path) -> PathBuf {
    let wit = dir.join("two.wit");
    std::fs::write(
        &wit,
        "package test:two@1.2.0;\n\
         interface shared { record item { name: string, tags: list<string> }\n\
           resource cursor { constructor(); next: func() -> option<item>; }\n\
           get: func(i: u32) -> result<item, string>; }\n\
         world full { export shared; export extra: func() -> list<string>; }\n\
         world lite { export shared; }\n",
    )
    .expect("write two.wit");
    wit
}
