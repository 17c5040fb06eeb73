//! The loader's side of the plugin lifecycle (`docs/abi.md` §10): an image is unmapped
//! when its last reference goes, [`Plugin::reopen`] loads the file as it is now as a new
//! image next to the old one, and a refused file leaves the old plugin serving.
//!
//! Plugins are the tiny C plugins of `tests/c-loader/plugin.c`; two builds are told apart
//! by the plugin version in their descriptors and by their own counters (`bump`).
#![cfg(target_os = "linux")] // reads /proc/self/maps

mod common;

use std::ffi::c_void;
use std::path::Path;
use std::sync::Arc;

use common::*;
use plugport::descriptor;
use plugport::error::LoadError;
use plugport::loader::{self, Plugin};

const HOST_VERSION: &str = "1.2.0";

fn host_json() -> String {
    descriptor::world_json(&calc_world(HOST_VERSION))
}

fn exports(p: &Plugin) -> &CalcExports {
    // SAFETY: plugin.c's table has this layout, and `p` keeps it alive.
    unsafe { &*p.exports().cast::<CalcExports>() }
}

/// Whether `image` (a [`Plugin::image_path`]) is mapped in this process.
fn mapped(image: &Path) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let image = image.to_str().unwrap();
    maps.lines().any(|l| {
        let path = l.split_whitespace().nth(5).unwrap_or("");
        l.contains(image) && (path == image || l.ends_with(&format!("{image} (deleted)")))
    })
}

#[test]
fn the_image_is_unmapped_when_the_last_reference_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_calc(dir.path(), "a", "libunmap.so", HOST_VERSION, "0.3.1");
    let p = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    let image = p.image_path().to_path_buf();
    assert_eq!(image.file_name(), path.file_name());
    assert!(
        image
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&format!("plugport-{}-", std::process::id())),
        "{}",
        image.display()
    );
    assert!(
        !image.exists(),
        "the private copy is deleted right after loading"
    );
    assert!(
        mapped(&image),
        "{} is not in /proc/self/maps",
        image.display()
    );

    let clone = Arc::clone(&p);
    drop(p);
    assert!(mapped(&image), "a clone still holds the image");
    assert_eq!((exports(&clone).bump)(), 1);
    drop(clone);
    assert!(!mapped(&image), "{} is still mapped", image.display());
}

#[test]
fn every_open_has_its_own_image_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_calc(dir.path(), "a", "libown.so", HOST_VERSION, "0.3.1");
    let a = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    let b = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    assert_ne!(a.image_path(), b.image_path());
    // In-memory copies (a memfd each), named after the file: nothing written to disk.
    for p in [&a, &b] {
        let image = p.image_path().to_str().unwrap();
        assert!(
            image.starts_with("/memfd:/plugport-") && image.ends_with("/libown.so"),
            "{image}"
        );
    }
    assert!(mapped(a.image_path()) && mapped(b.image_path()));
    let b_image = b.image_path().to_path_buf();
    drop(b);
    assert!(!mapped(&b_image));
    assert!(mapped(a.image_path()));
}

#[test]
fn reopen_loads_the_replaced_file_as_a_new_image_and_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = build_calc(dir.path(), "v1", "libcalc.so", HOST_VERSION, "0.3.1");
    let v2 = build_calc(dir.path(), "v2", "libcalc.so", HOST_VERSION, "0.4.0");
    let path = dir.path().join("libcalc.so");
    replace(&v1, &path);
    let imports = 0x5678usize as *const c_void; // opaque to the plugin: only stored
    let old = loader::open(&path, &host_json(), imports).unwrap();
    assert_eq!((exports(&old).bump)(), 1);

    replace(&v2, &path);
    let new = old.reopen().expect("the replaced file loads");
    assert_eq!(new.path(), path);
    assert_eq!(new.descriptor().plugin_version, "0.4.0");
    assert_eq!(old.descriptor().plugin_version, "0.3.1");
    assert_ne!(new.image_path(), old.image_path());
    assert_eq!(
        (exports(&new).imports_seen)(),
        imports,
        "same imports table"
    );
    assert_eq!((exports(&new).bump)(), 1, "fresh globals");
    assert_eq!((exports(&old).bump)(), 2, "the old image keeps its state");

    // Reopening an unchanged file also gives a fresh image.
    let again = new.reopen().unwrap();
    assert_eq!((exports(&again).bump)(), 1);
    assert_eq!((exports(&new).bump)(), 2);

    let old_image = old.image_path().to_path_buf();
    drop(old);
    assert!(!mapped(&old_image));
    assert!(mapped(new.image_path()) && mapped(again.image_path()));
}

/// Opening a file again after its plugin was unloaded reuses the sealed memfd of the first
/// open (`loader/image.rs`, "Reuse"): same image name, yet a fresh image with fresh globals;
/// a changed file, a file of another path and an open while the first is still loaded
/// each get a new memfd.
#[test]
fn an_unloaded_image_file_is_reused_for_the_same_bytes_and_only_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = build_calc(dir.path(), "v1", "libreuse.so", HOST_VERSION, "0.3.1");
    let v2 = build_calc(dir.path(), "v2", "libreuse.so", HOST_VERSION, "0.4.0");
    let path = dir.path().join("libreuse.so");
    let other = dir.path().join("other").join("libreuse.so");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    replace(&v1, &path);
    replace(&v1, &other);

    let a = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    assert_eq!((exports(&a).bump)(), 1);
    assert_eq!((exports(&a).bump)(), 2);
    let first = a.image_path().to_path_buf();
    // Loaded: a second open of the same bytes cannot share the memfd.
    let b = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    let second = b.image_path().to_path_buf();
    assert_ne!(second, first);
    drop(b);
    drop(a);
    assert!(!mapped(&first) && !mapped(&second));

    let c = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    assert!(
        c.image_path() == first || c.image_path() == second,
        "{} is the kept memfd of an earlier open",
        c.image_path().display()
    );
    assert_eq!((exports(&c).bump)(), 1, "a fresh image: fresh globals");
    // The same bytes from another path: a memfd of its own (named after that file).
    let d = loader::open(&other, &host_json(), std::ptr::null()).unwrap();
    assert!(d.image_path() != first && d.image_path() != second);
    drop(d);
    drop(c);

    // Changed bytes at the same path: never the memfd of the old bytes.
    replace(&v2, &path);
    let e = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    assert_eq!(e.descriptor().plugin_version, "0.4.0");
    assert!(e.image_path() != first && e.image_path() != second);
    assert_eq!((exports(&e).bump)(), 1);
}

#[test]
fn reopen_of_a_refused_file_leaves_the_old_plugin_serving() {
    let dir = tempfile::tempdir().unwrap();
    let good = build_calc(dir.path(), "v1", "libcalc.so", HOST_VERSION, "0.3.1");
    let major = build_calc(dir.path(), "v2", "libcalc.so", "2.0.0", "2.0.0");
    let path = dir.path().join("libcalc.so");
    replace(&good, &path);
    let p = loader::open(&path, &host_json(), std::ptr::null()).unwrap();
    assert_eq!((exports(&p).bump)(), 1);

    replace(&major, &path);
    let err = p.reopen().unwrap_err();
    assert!(
        matches!(&err, LoadError::MajorVersionMismatch { expected, found, .. }
            if expected == "test:calc@1.2.0 (line v1)" && found == "test:calc@2.0.0 (line v2)"),
        "{err:?}"
    );
    std::fs::write(&path, "not a library").unwrap();
    assert!(matches!(
        p.reopen().unwrap_err(),
        LoadError::NotSharedLibrary { .. }
    ));
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(p.reopen().unwrap_err(), LoadError::Io { .. }));

    assert_eq!((exports(&p).bump)(), 2, "the old image serves on");
    assert!(mapped(p.image_path()));
}

#[test]
fn a_world_text_is_parsed_once_per_process() {
    // The host's world JSON (and a plugin's identical one) is parsed, validated and
    // fingerprinted once; later opens find it by its text.
    let json = descriptor::world_json(&calc_world("7.7.7"));
    let a = descriptor::parse_world_json_cached(&json).unwrap();
    let b = descriptor::parse_world_json_cached(&json.clone()).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(*a, descriptor::parse_world_json(&json).unwrap());
    // Errors are not kept: a tampered fingerprint is refused every time.
    let bad = json.replacen("\"fingerprint\":\"", "\"fingerprint\":\"0", 1);
    for _ in 0..2 {
        assert!(descriptor::parse_world_json_cached(&bad).is_err());
    }
}
