//! `descriptor::read_plugin_info` (what `plugport inspect` and `check` use) reads only
//! the headers and the sections it needs, never the whole file (issue 11 D.1, issue 10
//! item 5), and refuses files that are not regular before reading them.
#![cfg(target_os = "linux")] // ELF plugins built by the system C compiler

mod common;

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use common::*;
use plugport::descriptor;
use plugport::error::LoadError;

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Reads `path` through a counting reader; returns the result and the bytes read.
fn read_counted(
    path: &Path,
) -> (
    Result<descriptor::PluginFileInfo, LoadError>,
    u64, /* bytes read */
) {
    let file = std::fs::File::open(path).unwrap();
    let mut counting = Counting {
        inner: file,
        read: 0,
    };
    let info = descriptor::read_plugin_info_from(path, &mut counting);
    (info, counting.read)
}

/// A plugin followed by 64 MiB of bytes no loader looks at (a sparse hole: the section
/// headers come before it, so the file stays a valid shared library).
#[test]
fn inspect_reads_a_few_kib_of_a_64_mib_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let world = calc_world("1.2.0");
    let path = build_plugin(
        dir.path(),
        "libcalc.so",
        &world,
        &blob_for(&world),
        &[],
        &[],
    );
    let small = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(small + (64 << 20)).unwrap();
    drop(file);

    let (info, read) = read_counted(&path);
    let info = info.expect("the padded plugin reads");
    assert_eq!(info.descriptor.world, world);
    assert_eq!(info.descriptor.plugin_name, "calc-c");
    assert_eq!(info.architecture, descriptor::host_architecture());
    assert_eq!(info.go, None);
    assert!(
        read < small,
        "read {read} bytes of a {} byte file (the plugin itself is {small} bytes): expected \
         only its headers and sections",
        small + (64 << 20)
    );
    // The same answer as the whole-file reader the loader uses.
    let whole = descriptor::read_plugin_file(&path).unwrap();
    assert_eq!(
        descriptor::read_from_bytes(&path, &whole).unwrap(),
        info.descriptor
    );
    assert_eq!(descriptor::read_from_file(&path).unwrap(), info.descriptor);
}

/// Refusals read only what they need too: a shared library without a descriptor and a
/// text file.
#[test]
fn refusals_read_little() {
    let dir = tempfile::tempdir().unwrap();
    let world = calc_world("1.2.0");
    let path = build_plugin(
        dir.path(),
        "libplain.so",
        &world,
        &blob_for(&world),
        &["PP_NO_DESCRIPTOR"],
        &[],
    );
    let (info, _) = read_counted(&path);
    assert!(
        matches!(info, Err(LoadError::NotAPlugin { .. })),
        "{info:?}"
    );

    let text = dir.path().join("notes.so");
    std::fs::write(&text, "not a library\n".repeat(1 << 16)).unwrap();
    let (info, read) = read_counted(&text);
    let Err(LoadError::NotSharedLibrary { reason, .. }) = info else {
        panic!("{info:?}")
    };
    assert_eq!(reason, "a text file");
    assert!(read <= 4096, "read {read} bytes of a text file");

    // Zeros are not text.
    let zeros = dir.path().join("zeros.so");
    std::fs::File::create(&zeros)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let Err(LoadError::NotSharedLibrary { reason, .. }) = descriptor::read_plugin_info(&zeros)
    else {
        panic!("zeros accepted")
    };
    assert!(
        reason.starts_with("a file of an unknown format"),
        "{reason}"
    );
}

/// A FIFO, `/dev/zero`, a directory and a sparse file larger than the limit are refused
/// from their metadata, each naming what it is (`docs/errors.md`, NotSharedLibrary).
#[test]
fn files_that_are_not_regular_or_too_large_name_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plugin.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let sparse = dir.path().join("huge.so");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(descriptor::MAX_PLUGIN_FILE + (512 << 20))
        .unwrap();
    let cases: [(&Path, &str); 4] = [
        (&fifo, "a named pipe (FIFO), not a regular file"),
        (
            Path::new("/dev/zero"),
            "a character device, not a regular file",
        ),
        (dir.path(), "a directory, not a regular file"),
        (
            &sparse,
            "a file of 1610612736 bytes, more than the 1073741824 bytes plugport reads",
        ),
    ];
    for (path, expected) in cases {
        for err in [
            descriptor::read_plugin_info(path).unwrap_err(),
            descriptor::read_plugin_file(path).unwrap_err(),
            descriptor::read_from_file(path).unwrap_err(),
        ] {
            let LoadError::NotSharedLibrary { reason, .. } = &err else {
                panic!("{}: {err:?}", path.display())
            };
            assert_eq!(reason, expected, "{}", path.display());
            assert!(!err.to_string().contains("FileType"), "{err}");
        }
    }
}
