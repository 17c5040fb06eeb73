//! The loader's private copy on disk (`bridge/src/loader/image.rs`): on Linux the copy is a
//! memfd unless `PLUGPORT_TMPDIR` is set, which this test does (its own process, one
//! test, so no other thread reads the variable meanwhile). Each open is then a file in
//! a fresh `plugport-<pid>-<n>` directory there, deleted right after `dlopen`, and its
//! mapping keeps the file's name.
#![cfg(target_os = "linux")] // reads /proc/self/maps

mod common;

use common::*;
use plugport::descriptor;
use plugport::loader;

#[test]
fn with_plugport_tmpdir_each_image_is_a_deleted_file_there() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // SAFETY (edition 2024 wording): the only test of this process, before any thread of
    // the loader reads the environment.
    std::env::set_var("PLUGPORT_TMPDIR", tmp.path());
    let path = build_calc(dir.path(), "a", "libdisk.so", "1.2.0", "0.3.1");
    let json = descriptor::world_json(&calc_world("1.2.0"));
    let a = loader::open(&path, &json, std::ptr::null()).unwrap();
    let b = loader::open(&path, &json, std::ptr::null()).unwrap();
    let pid = std::process::id();
    for p in [&a, &b] {
        let image = p.image_path();
        assert!(image.starts_with(tmp.path()), "{}", image.display());
        let parent = image
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        assert!(parent.starts_with(&format!("plugport-{pid}-")), "{parent}");
        assert_eq!(image.file_name().unwrap(), "libdisk.so");
        assert!(!image.exists(), "the copy is deleted after dlopen");
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = format!("{} (deleted)", image.display());
        assert!(
            maps.lines().any(|l| l.ends_with(&line)),
            "{line} not mapped"
        );
    }
    assert_ne!(a.image_path(), b.image_path());
    // Nothing left in the directory: neither files nor the plugport-<pid>-<n> directories.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    std::env::remove_var("PLUGPORT_TMPDIR");
}
