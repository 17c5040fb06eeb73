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
