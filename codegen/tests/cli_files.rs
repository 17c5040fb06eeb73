//! `plugport inspect` and `plugport check` on paths that are not plugin files: a FIFO,
//! `/dev/zero`, a directory and a sparse file larger than the loader's limit. They used
//! to hang, grow without bound, dump `FileType { .. }` or read 1.5 GiB (issue 11 D.1,
//! D.3); now each is refused from its metadata with the message of `docs/errors.md`
//! (NotSharedLibrary), before anything is read.
#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{repo, text};

/// Runs `plugport args`, killing it if it has not ended after 60 s (a hang guard, not a
/// speed check: a refusal takes milliseconds).
fn plugport_guarded(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plugport"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run plugport");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("plugport {args:?} did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn inspect_and_check_refuse_special_and_huge_files_from_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plugin.fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let sparse = dir.path().join("huge.so");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(3 << 29) // 1.5 GiB, no blocks on disk
        .unwrap();
    let wit = repo("examples/greeter/wit");
    let cases: [(&Path, &str); 4] = [
        (&fifo, "found a named pipe (FIFO), not a regular file"),
        (
            Path::new("/dev/zero"),
            "found a character device, not a regular file",
        ),
        (dir.path(), "found a directory, not a regular file"),
        (
            &sparse,
            "found a file of 1610612736 bytes, more than the 1073741824 bytes plugport reads",
        ),
    ];
    for (path, found) in cases {
        let out = plugport_guarded(&["inspect", s(path)]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "inspect {}: {stderr}", s(path));
        assert!(
            stderr.contains(&format!("{} is not a shared library", s(path)))
                && stderr.contains(found),
            "inspect {}: {stderr}",
            s(path)
        );
        assert!(!stderr.contains("FileType"), "{stderr}");
        // The error names the section of docs/errors.md that explains it, which exists.
        assert!(
            stderr.contains("(cause and fix: docs/errors.md, section NotSharedLibrary)"),
            "{stderr}"
        );
        assert!(text(&out.stdout).is_empty());

        let out = plugport_guarded(&["check", s(path), "--wit", s(&wit)]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "check {}: {stdout}", s(path));
        assert!(
            stdout.starts_with("incompatible: the file cannot be loaded as a plugin:")
                && stdout.contains(found),
            "check {}: {stdout}",
            s(path)
        );
        assert!(
            stdout.contains("docs/errors.md, section NotSharedLibrary"),
            "{stdout}"
        );
    }
    let errors = std::fs::read_to_string(repo("docs/errors.md")).unwrap();
    assert!(errors.contains("\n## NotSharedLibrary\n"));
    // A missing file: an I/O error, exit 2, section Io.
    let out = plugport_guarded(&["inspect", s(&dir.path().join("missing.so"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("docs/errors.md, section Io)"));
    assert!(errors.contains("\n## Io\n"));
}
