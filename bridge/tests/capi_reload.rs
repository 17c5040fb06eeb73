//! `plugport_reload`, `plugport_release_previous` and `plugport_loaded_images` of the C
//! API (`docs/abi.md` §10), called from Rust on the C plugins of
//! `tests/c-loader/plugin.c`: a reload serves the new file, keeps the old image (and its
//! table and strings) until released or closed, and a refused file changes nothing.
#![cfg(all(target_os = "linux", feature = "capi"))]

mod common;

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use common::*;
use plugport::capi::*;

fn build(dir: &Path, sub: &str, world_version: &str, plugin_version: &str) -> PathBuf {
    build_calc(dir, sub, "libcreload.so", world_version, plugin_version)
}

/// How many images of this process's private copies named `name` are mapped.
fn mapped_images(name: &str) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let dir = format!("/plugport-{}-", std::process::id());
    let mut paths: Vec<&str> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.contains(&dir) && p.ends_with(&format!("/{name}")))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths.len()
}

fn cstr(p: *const std::ffi::c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: a NUL-terminated string from the C API, still valid.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn calc(table: *const std::ffi::c_void) -> &'static CalcExports {
    // SAFETY: plugin.c's table; the tests keep its image loaded while they use it.
    unsafe { &*table.cast::<CalcExports>() }
}

#[test]
fn reload_serves_the_new_file_and_keeps_the_old_image_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = build(dir.path(), "v1", "1.2.0", "0.3.1");
    let v2 = build(dir.path(), "v2", "1.2.0", "0.4.0");
    let major = build(dir.path(), "major", "2.0.0", "2.0.0");
    let path = dir.path().join("libcreload.so");
    replace(&v1, &path);
    let p = capi_open(&path);
    // SAFETY (this block and below): `p` is live until plugport_close at the end.
    unsafe {
        let old = plugport_exports(p);
        let old_version = plugport_plugin_version(p);
        assert_eq!(cstr(old_version), "0.3.1");
        assert_eq!((calc(old).bump)(), 1);
        assert_eq!(plugport_loaded_images(p), 1);
        assert_eq!(mapped_images("libcreload.so"), 1);

        replace(&v2, &path);
        assert_eq!(plugport_reload(p), PLUGPORT_OK);
        assert!(plugport_last_error().is_null());
        let new = plugport_exports(p);
        assert_ne!(new, old, "the new image's table");
        assert_eq!(cstr(plugport_plugin_version(p)), "0.4.0");
        assert_eq!((calc(new).bump)(), 1, "fresh globals");
        assert_eq!((calc(old).bump)(), 2, "the old table still works");
        assert_eq!(cstr(old_version), "0.3.1", "old strings stay valid");
        assert_eq!(plugport_loaded_images(p), 2);
        assert_eq!(mapped_images("libcreload.so"), 2);

        // A refused file: an error with a message, and nothing changes.
        replace(&major, &path);
        assert_eq!(plugport_reload(p), PLUGPORT_E_MAJOR_VERSION_MISMATCH);
        let msg = cstr(plugport_last_error());
        assert!(
            msg.contains("expected test:calc@1.2.0 (line v1), found test:calc@2.0.0 (line v2)"),
            "{msg}"
        );
        assert!(msg.contains(path.to_str().unwrap()), "{msg}");
        std::fs::write(&path, "not a library").unwrap();
        assert_eq!(plugport_reload(p), PLUGPORT_E_NOT_SHARED_LIBRARY);
        assert_eq!(plugport_exports(p), new);
        assert_eq!(cstr(plugport_plugin_version(p)), "0.4.0");
        assert_eq!((calc(new).bump)(), 2);
        assert_eq!(plugport_loaded_images(p), 2);

        // The host holds nothing of the old image any more: release it.
        assert_eq!(plugport_release_previous(p), 1);
        assert_eq!(plugport_release_previous(p), 0);
        assert_eq!(plugport_loaded_images(p), 1);
        assert_eq!(mapped_images("libcreload.so"), 1);
        assert_eq!((calc(new).bump)(), 3);

        // Reload repeatedly, never releasing: close unloads every image.
        replace(&v1, &path);
        for _ in 0..3 {
            assert_eq!(plugport_reload(p), PLUGPORT_OK);
        }
        assert_eq!(plugport_loaded_images(p), 4);
        assert_eq!(mapped_images("libcreload.so"), 4);
        plugport_close(p);
    }
    assert_eq!(mapped_images("libcreload.so"), 0);
}

#[test]
fn null_arguments_of_the_lifecycle_functions() {
    // SAFETY: NULL is allowed for each.
    unsafe {
        assert_eq!(
            plugport_reload(std::ptr::null_mut()),
            PLUGPORT_E_INVALID_ARGUMENT
        );
        assert!(cstr(plugport_last_error()).contains("plugport_reload: p is NULL"));
        assert_eq!(plugport_release_previous(std::ptr::null_mut()), 0);
        assert_eq!(plugport_loaded_images(std::ptr::null()), 0);
    }
}
