//! The loader on real shared libraries (`docs/abi.md` §8): tiny C plugins built from
//! `tests/c-loader/plugin.c` by the system C compiler, each refusal of [`LoadError`],
//! and the guarantee that no plugin code runs before the checks pass.
#![cfg(unix)]

mod common;

use std::ffi::c_void;
use std::path::{Path, PathBuf};

use common::*;
use plugport::descriptor;
use plugport::error::LoadError;
use plugport::ir::Type;
use plugport::loader;

const HOST_VERSION: &str = "1.2.0";

fn host_json() -> String {
    descriptor::world_json(&calc_world(HOST_VERSION))
}

fn open(path: &Path) -> Result<std::sync::Arc<loader::Plugin>, LoadError> {
    loader::open(path, &host_json(), std::ptr::null())
}

/// A plugin implementing `world` (well-formed descriptor), with `-D` options.
fn plugin(dir: &Path, name: &str, world: &plugport::ir::World, defines: &[&str]) -> PathBuf {
    build_plugin(dir, name, world, &blob_for(world), defines, &[])
}

fn exports(p: &loader::Plugin) -> &CalcExports {
    // SAFETY: plugin.c's table has this layout, and `p` keeps it alive.
    unsafe { &*p.exports().cast::<CalcExports>() }
}

#[test]
fn opens_a_plugin_calls_its_entry_and_returns_its_exports() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(dir.path(), "libcalc.so", &calc_world(HOST_VERSION), &[]);
    let imports = 0x1234usize as *const c_void; // opaque to the plugin: only stored
    let p = loader::open(&path, &host_json(), imports).expect("plugin loads");
    let e = exports(&p);
    assert_eq!(e.header.size as usize, std::mem::size_of::<CalcExports>());
    assert_eq!((e.add)(2, 3), 5);
    assert_eq!(
        (e.imports_seen)(),
        imports,
        "the entry received the imports table"
    );
    assert_eq!(p.path(), path);
    let d = p.descriptor();
    assert_eq!(d.abi_version, 1);
    assert_eq!(d.plugin_name, "calc-c");
    assert_eq!(d.plugin_version, "0.3.1");
    assert_eq!(d.fingerprint, calc_world(HOST_VERSION).fingerprint());
    assert!(p.compat().is_identical());
    // read_from_file gives the same descriptor without loading anything.
    assert_eq!(&descriptor::read_from_file(&path).unwrap(), d);
}

#[test]
fn compatible_minor_versions_load_and_report_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    // An older plugin (1.1) without `bump`; the host (1.2) knows `bump`.
    let mut old = calc_world("1.1.0");
    math(&mut old).pop();
    let path = plugin(dir.path(), "libold.so", &old, &[]);
    let p = open(&path).expect("an older minor loads");
    let lacks: Vec<_> = p.compat().plugin_lacks().map(|e| e.item.clone()).collect();
    assert_eq!(lacks, ["math.bump"]);
    assert_eq!((exports(&p).add)(40, 2), 42);

    // A newer plugin (1.3) with an extra function: also fine, the host ignores it.
    let mut new = calc_world("1.3.0");
    math(&mut new).push(func(
        "mul",
        &[("a", Type::S32), ("b", Type::S32)],
        Some(Type::S32),
    ));
    let path = plugin(dir.path(), "libnew.so", &new, &[]);
    let p = open(&path).expect("a newer minor loads");
    assert_eq!(p.compat().only_found[0].item, "math.mul");
    assert_eq!(p.compat().plugin_lacks().count(), 0);
}

#[test]
fn wrong_major_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(dir.path(), "libcalc2.so", &calc_world("2.0.0"), &[]);
    let err = open(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::MajorVersionMismatch { expected, found, .. }
            if expected == "test:calc@1.2.0 (line v1)" && found == "test:calc@2.0.0 (line v2)"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("expected test:calc@1.2.0 (line v1), found test:calc@2.0.0 (line v2)"),
        "{msg}"
    );
}

#[test]
fn zero_x_minor_versions_are_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(dir.path(), "libcalc03.so", &calc_world("0.3.0"), &[]);
    let json = descriptor::world_json(&calc_world("0.4.0"));
    let err = loader::open(&path, &json, std::ptr::null()).unwrap_err();
    assert!(
        matches!(err, LoadError::MajorVersionMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("(line v0_4)"), "{err}");
}

#[test]
fn package_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = calc_world(HOST_VERSION);
    w.package.namespace = "other".into();
    let path = plugin(dir.path(), "libother.so", &w, &[]);
    let err = open(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::PackageMismatch { expected, found, .. }
            if expected == "test:calc" && found == "other:calc"),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .contains("expected a plugin for package test:calc, found other:calc"));
}

#[test]
fn world_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = calc_world(HOST_VERSION);
    w.name = "calc-pro".into();
    let path = plugin(dir.path(), "libpro.so", &w, &[]);
    let err = open(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::WorldMismatch { expected, found, .. }
            if expected == "calc" && found == "calc-pro"),
        "{err:?}"
    );
}

#[test]
fn structural_difference_is_refused_naming_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = calc_world(HOST_VERSION);
    math(&mut w)[0].params[1].ty = Type::S64;
    let path = plugin(dir.path(), "libs64.so", &w, &[]);
    let err = open(&path).unwrap_err();
    let LoadError::Incompatible { items, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].item, "math.add");
    let msg = err.to_string();
    assert!(
        msg.contains(
            "export math.add: expected add: func(a: s32, b: s32) -> s32, \
             found add: func(a: s32, b: s64) -> s32"
        ),
        "{msg}"
    );
}

#[test]
fn corrupt_descriptors_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = calc_world(HOST_VERSION);
    // The fingerprint no longer matches the IR (one hex digit changed).
    let json = descriptor::world_json(&w);
    let i = json.find("\"fingerprint\":\"").unwrap() + 15;
    let mut bad = json.clone().into_bytes();
    bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).unwrap();
    let blob = descriptor::encode_blob("calc-c", "0.3.1", &bad, cfg!(target_endian = "little"));
    let path = build_plugin(dir.path(), "libfp.so", &w, &blob, &[], &[]);
    let err = open(&path).unwrap_err();
    assert!(
        matches!(err, LoadError::CorruptDescriptor { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("fingerprint mismatch"), "{err}");

    // A world length that runs past the end of the section.
    let mut blob = blob_for(&w);
    let len = (blob.len() as u32 * 2).to_ne_bytes();
    blob[20..24].copy_from_slice(&len);
    let path = build_plugin(dir.path(), "liblen.so", &w, &blob, &[], &[]);
    let err = open(&path).unwrap_err();
    assert!(
        matches!(err, LoadError::CorruptDescriptor { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("world JSON"), "{err}");

    // Bad magic.
    let mut blob = blob_for(&w);
    blob[0] = b'X';
    let path = build_plugin(dir.path(), "libmagic.so", &w, &blob, &[], &[]);
    let err = open(&path).unwrap_err();
    assert!(
        err.to_string()
            .contains("bad magic: expected \"PLUGPORT\", found \"XLUGPORT\""),
        "{err}"
    );

    // Another ABI version.
    let mut blob = blob_for(&w);
    blob[8..12].copy_from_slice(&2u32.to_ne_bytes());
    let path = build_plugin(dir.path(), "libabi2.so", &w, &blob, &[], &[]);
    let err = open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::AbiVersion {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_shared_library_without_descriptor_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(
        dir.path(),
        "libplain.so",
        &calc_world(HOST_VERSION),
        &["PP_NO_DESCRIPTOR"],
    );
    let err = open(&path).unwrap_err();
    assert!(matches!(err, LoadError::NotAPlugin { .. }), "{err:?}");
    assert!(
        err.to_string().contains("expected a `.plugport` section"),
        "{err}"
    );
}

#[test]
#[cfg(target_os = "linux")] // ELF-specific files or linker options
fn files_that_are_not_shared_libraries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.so");
    std::fs::write(&text, "this is not a library\n").unwrap();
    let err = open(&text).unwrap_err();
    assert!(matches!(err, LoadError::NotSharedLibrary { .. }), "{err:?}");
    assert!(err.to_string().contains("found a text file"), "{err}");

    let random = dir.path().join("random.so");
    let bytes: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 0x80)
        .collect();
    std::fs::write(&random, bytes).unwrap();
    let err = open(&random).unwrap_err();
    assert!(err.to_string().contains("unknown format"), "{err}");

    let empty = dir.path().join("empty.so");
    std::fs::write(&empty, b"").unwrap();
    assert!(open(&empty)
        .unwrap_err()
        .to_string()
        .contains("an empty file"));

    let src = c_loader_dir().join("not_a_library.c");
    let obj = build_c(dir.path(), "main.o", &src, &["-c", "-fPIC"]);
    let err = open(&obj).unwrap_err();
    assert!(
        err.to_string().contains("ELF relocatable object (ET_REL"),
        "{err}"
    );

    for (name, flags) in [
        ("exe-pie", &["-fPIE", "-pie"][..]),
        ("exe", &["-no-pie"][..]),
    ] {
        let exe = build_c(dir.path(), name, &src, flags);
        let err = open(&exe).unwrap_err();
        assert!(
            matches!(err, LoadError::NotSharedLibrary { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("executable"), "{name}: {err}");
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.so");
    let err = open(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    assert!(err.to_string().contains("nowhere.so"), "{err}");
}

/// A FIFO would block a plain read forever and `/dev/zero` would never end: both are
/// refused from their file type before anything is read, as is a directory.
#[test]
#[cfg(unix)]
fn files_that_are_not_regular_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plugin.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    for path in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
        let err = open(path).unwrap_err();
        assert!(
            matches!(&err, LoadError::NotSharedLibrary { reason, .. } if reason.contains("not a regular file")),
            "{}: {err:?}",
            path.display()
        );
        let err = descriptor::read_from_file(path).unwrap_err();
        assert!(
            matches!(err, LoadError::NotSharedLibrary { .. }),
            "{}: {err:?}",
            path.display()
        );
    }
}

#[test]
#[cfg(target_os = "linux")] // ELF-specific files or linker options
fn a_library_the_dynamic_loader_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(
        dir.path(),
        "libundef.so",
        &calc_world(HOST_VERSION),
        &["PP_UNDEFINED"],
    );
    let err = open(&path).unwrap_err();
    let LoadError::Dlopen { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("pp_licence_check"), "{message}");
    assert!(message.contains("private copy"), "{message}");
}

#[test]
fn a_missing_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(
        dir.path(),
        "libnoentry.so",
        &calc_world(HOST_VERSION),
        &["PP_NO_ENTRY"],
    );
    let err = open(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::MissingEntry { symbol, .. } if symbol == "plugport_entry_test_calc_v1_calc"),
        "{err:?}"
    );
}

#[test]
fn an_entry_that_refuses_reports_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(
        dir.path(),
        "libinit.so",
        &calc_world(HOST_VERSION),
        &["PP_INIT_FAIL"],
    );
    let err = open(&path).unwrap_err();
    assert!(
        matches!(&err, LoadError::InitFailed { status: 5, message, .. }
            if message == "calc plugin: no licence key found in $CALC_LICENCE"),
        "{err:?}"
    );
    assert!(err.to_string().contains("found 5 (PP_ERR_INIT)"), "{err}");
}

#[test]
fn bad_exports_tables_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = calc_world(HOST_VERSION);
    let path = plugin(dir.path(), "libnull.so", &w, &["PP_NULL_EXPORTS"]);
    let err = open(&path).unwrap_err();
    assert!(matches!(err, LoadError::BadExports { .. }), "{err:?}");
    assert!(err.to_string().contains("NULL"), "{err}");

    let path = plugin(dir.path(), "libsmall.so", &w, &["PP_SMALL_EXPORTS"]);
    let err = open(&path).unwrap_err();
    assert!(
        err.to_string()
            .contains("size 4 bytes: expected at least 16"),
        "{err}"
    );
}

#[test]
fn an_invalid_host_world_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(dir.path(), "libcalc.so", &calc_world(HOST_VERSION), &[]);
    let err = loader::open(&path, "{\"world\": 1}", std::ptr::null()).unwrap_err();
    assert!(matches!(err, LoadError::HostWorld { .. }), "{err:?}");
}

/// The plugin's ELF constructor writes a marker file; a refused plugin must never run it.
#[test]
fn no_plugin_code_runs_before_the_checks_pass() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("constructor-ran");
    let define = format!("PP_MARKER=\"{}\"", marker.display());
    let path = plugin(
        dir.path(),
        "libmarker2.so",
        &calc_world("2.0.0"),
        &[&define],
    );
    let err = open(&path).unwrap_err();
    assert!(
        matches!(err, LoadError::MajorVersionMismatch { .. }),
        "{err:?}"
    );
    assert!(!marker.exists(), "the refused plugin's constructor ran");
    // Also not for the other refusals found in the file.
    let mut w = calc_world(HOST_VERSION);
    math(&mut w)[0].name = "plus".into();
    let path = plugin(dir.path(), "libmarker-incompat.so", &w, &[&define]);
    assert!(matches!(
        open(&path).unwrap_err(),
        LoadError::Incompatible { .. }
    ));
    assert!(!marker.exists(), "the refused plugin's constructor ran");

    // Control: the same plugin, compatible, does run its constructor when loaded.
    let path = plugin(
        dir.path(),
        "libmarker1.so",
        &calc_world(HOST_VERSION),
        &[&define],
    );
    let _p = open(&path).expect("loads");
    assert!(marker.exists(), "the marker mechanism works");
}

/// Scenario S2: two opens of one file, and two files with the same soname, are
/// independent images with their own globals.
#[test]
#[cfg(target_os = "linux")] // ELF-specific files or linker options
fn the_same_plugin_loads_twice_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let w = calc_world(HOST_VERSION);
    let path = build_plugin(
        dir.path(),
        "libtwice.so",
        &w,
        &blob_for(&w),
        &[],
        &["-Wl,-soname,libcalc.so"],
    );
    let a = open(&path).unwrap();
    let b = open(&path).unwrap();
    assert_ne!(a.exports(), b.exports(), "two images");
    assert_eq!((exports(&a).bump)(), 1);
    assert_eq!((exports(&a).bump)(), 2);
    assert_eq!((exports(&b).bump)(), 1, "b has its own counter");

    let other = dir.path().join("sub");
    std::fs::create_dir(&other).unwrap();
    let path2 = build_plugin(
        &other,
        "libtwice.so",
        &w,
        &blob_for(&w),
        &[],
        &["-Wl,-soname,libcalc.so"],
    );
    let c = open(&path2).unwrap();
    assert_eq!((exports(&c).bump)(), 1, "same soname, another image");
    assert_eq!((exports(&a).bump)(), 3);

    // Unloading one leaves the others working.
    drop(b);
    assert_eq!((exports(&a).bump)(), 4);
    assert_eq!((exports(&c).bump)(), 2);

    // No private copy is left on disk.
    let tmp = std::env::temp_dir();
    let prefix = format!("plugport-{}-", std::process::id());
    for entry in std::fs::read_dir(tmp).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) {
            assert!(
                !entry.path().join("libtwice.so").exists(),
                "a private copy was left in {}",
                entry.path().display()
            );
        }
    }
}

/// The plugin is unloaded when the last reference goes, and a fresh open after that
/// starts from fresh globals (reload, scenario S4).
#[test]
fn dropping_the_plugin_unloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(dir.path(), "libreload.so", &calc_world(HOST_VERSION), &[]);
    for _ in 0..3 {
        let p = open(&path).unwrap();
        assert_eq!((exports(&p).bump)(), 1);
        assert_eq!((exports(&p).bump)(), 2);
    }
}

#[test]
#[cfg(target_os = "linux")] // ELF-specific files or linker options
fn a_library_for_another_architecture_is_refused_before_dlopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin(dir.path(), "libarch.so", &calc_world(HOST_VERSION), &[]);
    let mut data = std::fs::read(&path).unwrap();
    // e_machine (offset 18): x86-64 (62) <-> AArch64 (183).
    let machine = u16::from_ne_bytes([data[18], data[19]]);
    let other: u16 = if machine == 62 { 183 } else { 62 };
    data[18..20].copy_from_slice(&other.to_ne_bytes());
    std::fs::write(&path, data).unwrap();
    let err = open(&path).unwrap_err();
    assert!(
        matches!(err, LoadError::WrongArchitecture { .. }),
        "{err:?}"
    );
}
