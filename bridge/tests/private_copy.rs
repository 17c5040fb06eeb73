//! Where the loader writes a private copy of a plugin (`bridge/src/loader.rs`, "Private
//! copies"; `docs/abi.md` §10), nothing planted in its way is used or written to, and the
//! copy is private: its directory mode 0700, the file not writable by others
//! (issue 11 E.3). Also: an entry returning a misaligned exports table is refused.
//!
//! A copy is always needed when the same file is opened while an image of it is still
//! loaded (two images side by side, scenario S2), so the test does that; a first open
//! may load the file in place. The plugin reports, from its ELF constructor, which file
//! the dynamic loader mapped and the modes of that file and its directory.
//!
//! One test in this binary: it sets `PLUGPORT_TMPDIR` for the whole process, and the
//! names of private copies (`plugport-<pid>-<n>`) count opens from the start of the
//! process.
#![cfg(target_os = "linux")]

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::*;
use plugport::descriptor;
use plugport::error::LoadError;
use plugport::loader;

fn host_json() -> String {
    descriptor::world_json(&calc_world("1.2.0"))
}

#[test]
fn planted_names_are_skipped_copies_are_private_and_misaligned_tables_refused() {
    let work = tempfile::tempdir().unwrap();
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let report = work.path().join("report.txt");
    let w = calc_world("1.2.0");
    let report_define = format!("PP_REPORT_FILE=\"{}\"", report.display());
    let path = build_plugin(
        work.path(),
        "libcalc.so",
        &w,
        &blob_for(&w),
        &["_GNU_SOURCE", &report_define],
        &[],
    );

    // Plant, at the first names this process would use, directories open to everyone
    // and symbolic links to a directory of ours.
    let victim = work.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let pid = std::process::id();
    let mut planted = Vec::new();
    for n in 0..8 {
        let name = tmp.join(format!("plugport-{pid}-{n}"));
        if n % 2 == 0 {
            std::fs::create_dir(&name).unwrap();
            std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o777)).unwrap();
        } else {
            std::os::unix::fs::symlink(&victim, &name).unwrap();
        }
        planted.push(name);
    }
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe { std::env::set_var("PLUGPORT_TMPDIR", &tmp) };

    let first = loader::open(&path, &host_json(), std::ptr::null()).expect("first image");
    let second = loader::open(&path, &host_json(), std::ptr::null()).expect("second image");
    // Two images: each counts on its own.
    let bump = |p: &loader::Plugin| {
        // SAFETY: plugin.c's table layout, alive while `p` is.
        (unsafe { &*p.exports().cast::<CalcExports>() }.bump)()
    };
    assert_eq!((bump(&first), bump(&first), bump(&second)), (1, 2, 1));

    let lines = std::fs::read_to_string(&report).expect("the constructors reported");
    let images: Vec<(u32, u32, &str)> = lines
        .lines()
        .map(|l| {
            let mut it = l.splitn(3, ' ');
            let file = u32::from_str_radix(it.next().unwrap(), 8).unwrap();
            let dir = u32::from_str_radix(it.next().unwrap(), 8).unwrap();
            (file, dir, it.next().unwrap())
        })
        .collect();
    assert_eq!(images.len(), 2, "{lines}");
    assert_ne!(images[0].2, images[1].2, "two images of one file: {lines}");
    let mut copies = 0;
    for &(file_mode, dir_mode, mapped) in &images {
        let mapped = Path::new(mapped);
        if mapped == path {
            continue; // loaded in place
        }
        if !mapped.starts_with(&tmp) {
            // Not a file in the temporary directory (e.g. a memfd): nothing to plant on.
            assert!(!mapped.starts_with(work.path()), "{}", mapped.display());
            continue;
        }
        copies += 1;
        let dir = mapped.parent().unwrap();
        assert!(
            !planted.iter().any(|p| p == dir),
            "the copy went into a planted name: {}",
            mapped.display()
        );
        assert_eq!(dir_mode, 0o700, "{}", dir.display());
        assert_eq!(
            file_mode & 0o022,
            0,
            "the copy {} is writable by others: {file_mode:o}",
            mapped.display()
        );
    }
    // Today both images load from copies; a loader that loads the first in place and
    // copies (into the temporary directory) only when needed makes one.
    assert!(
        copies >= 1
            || images
                .iter()
                .any(|i| Path::new(i.2) != path && !Path::new(i.2).starts_with(&tmp)),
        "no private copy was made for the second image: {lines}"
    );
    // Nothing was written into what was planted, and it is all still there.
    for p in &planted {
        let meta = std::fs::symlink_metadata(p).unwrap();
        if meta.file_type().is_symlink() {
            continue;
        }
        assert!(meta.is_dir());
        assert_eq!(meta.mode() & 0o777, 0o777);
        assert_eq!(std::fs::read_dir(p).unwrap().count(), 0, "{}", p.display());
    }
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    drop((first, second));
    // Copies are removed: only the planted names remain.
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !planted.contains(p))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // An entry that returns a pointer one byte past its table.
    let path = build_plugin(
        work.path(),
        "libmisaligned.so",
        &w,
        &blob_for(&w),
        &["PP_MISALIGNED_EXPORTS"],
        &[],
    );
    let err = loader::open(&path, &host_json(), std::ptr::null()).unwrap_err();
    assert!(matches!(err, LoadError::BadExports { .. }), "{err:?}");
    assert!(err.to_string().contains("misaligned"), "{err}");
}
