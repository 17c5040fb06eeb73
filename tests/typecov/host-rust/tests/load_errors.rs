//! Plugins the Rust host must refuse at load time, each with its specific
//! `LoadError` variant and a message that names the file (`docs/abi.md` §8):
//! - the typecov C plugin built against a 2.0.0 copy of the WIT → `MajorVersionMismatch`
//!   (expected 1, found 2);
//! - a shared library that is not a plugin → `NotAPlugin` (its ELF constructor aborts the
//!   process, so this also shows that no code of a refused file runs);
//! - a text file → `NotSharedLibrary`.

use plugport::error::LoadError;
use std::path::Path;
use typecov_host::{artefact, Typecov};

/// Loads `path`, which must fail; returns the error.
fn refused(path: &Path) -> LoadError {
    match Typecov::load(path) {
        Ok(p) => panic!(
            "{} loaded (as {} {}), but it must be refused",
            path.display(),
            p.descriptor().plugin_name,
            p.descriptor().plugin_version
        ),
        Err(e) => e,
    }
}

fn assert_names_file(err: &LoadError, path: &Path) {
    assert_eq!(err.path(), path, "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "the message does not name {}: {message}",
        path.display()
    );
}

#[test]
fn a_plugin_of_another_major_version_is_refused_naming_both_versions() {
    let path = artefact("v2/libtypecov_c_v2.so");
    let err = refused(&path);
    assert_names_file(&err, &path);
    match &err {
        LoadError::MajorVersionMismatch {
            expected, found, ..
        } => {
            assert!(
                expected.contains("test:typecov@1.0.0"),
                "expected: {expected}"
            );
            assert!(found.contains("test:typecov@2.0.0"), "found: {found}");
            assert!(
                !expected.contains("2.0.0") && !found.contains("1.0.0"),
                "{err}"
            );
        }
        other => panic!("expected MajorVersionMismatch, got {other:?}: {other}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("1.0.0") && message.contains("2.0.0"),
        "{message}"
    );
}

#[test]
fn a_shared_library_without_a_descriptor_is_not_a_plugin() {
    let path = artefact("libnot_a_plugin.so");
    let err = refused(&path);
    assert!(
        matches!(err, LoadError::NotAPlugin { .. }),
        "expected NotAPlugin, got {err:?}: {err}"
    );
    assert_names_file(&err, &path);
}

#[test]
fn a_text_file_is_not_a_shared_library() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libtypecov_text.so");
    std::fs::write(&path, "this is a text file, not a shared library\n").unwrap();
    let err = refused(&path);
    assert!(
        matches!(err, LoadError::NotSharedLibrary { .. }),
        "expected NotSharedLibrary, got {err:?}: {err}"
    );
    assert_names_file(&err, &path);
}

#[test]
fn the_c_source_of_a_plugin_is_not_a_shared_library_either() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-c/plugin.c");
    let err = refused(&path);
    assert!(
        matches!(err, LoadError::NotSharedLibrary { .. }),
        "expected NotSharedLibrary, got {err:?}: {err}"
    );
    assert_names_file(&err, &path);
}
