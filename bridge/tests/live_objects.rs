//! The live-object count (`docs/abi.md` §7, §10): the loader finds a plugin's optional
//! `plugport_live_objects_<prefix>_<world>` at open ([`Plugin::live_objects`]), the C API
//! sums it over the images of a plugin (`plugport_live_objects`, -1 when unknown), and with
//! `PLUGPORT_DEBUG` set `plugport_close` and `plugport_release_previous` report objects
//! still alive on stderr.
//!
//! Plugins are the C plugins of `tests/c-loader/plugin.c`: with `-DPP_LIVE_OBJECTS` an
//! image reports its `bump` counter as its live objects, without it it exports no count.
//! (The real counters, of Rust plugins and of the C codec plugin, are tested in
//! `tests/typecov/host-rust/tests/live_objects.rs` and `tests/lifecycle/tests/live_objects.rs`.)
#![cfg(all(target_os = "linux", feature = "capi"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use plugport::capi::*;
use plugport::descriptor;
use plugport::loader;

/// Builds a calc plugin (with or without the live-objects function) into `<dir>/<sub>/`.
fn build(dir: &Path, sub: &str, live: bool) -> PathBuf {
    let dir = dir.join(sub);
    std::fs::create_dir_all(&dir).unwrap();
    let w = calc_world("1.2.0");
    let defines: &[&str] = if live { &["PP_LIVE_OBJECTS"] } else { &[] };
    build_plugin(&dir, "libclive.so", &w, &blob_for(&w), defines, &[])
}

fn host_json() -> String {
    descriptor::world_json(&calc_world("1.2.0"))
}

/// Calls `bump` of `p`'s current image `n` times: `n` more "objects" in that image.
fn bump(p: *mut PlugportPlugin, n: usize) {
    // SAFETY: `p` is live; its table is plugin.c's `calc_exports`.
    let t = unsafe { &*plugport_exports(p).cast::<CalcExports>() };
    for _ in 0..n {
        (t.bump)();
    }
}

fn live(p: *mut PlugportPlugin) -> i64 {
    // SAFETY: `p` is NULL or live.
    unsafe { plugport_live_objects(p) }
}

#[test]
fn the_loader_finds_the_optional_function_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let with = build(dir.path(), "with", true);
    let without = build(dir.path(), "without", false);
    let json = host_json();

    let p = loader::open(&with, &json, std::ptr::null()).unwrap();
    assert_eq!(p.live_objects(), Some(0));
    // SAFETY: plugin.c's table, kept alive by `p`.
    let t = unsafe { &*p.exports().cast::<CalcExports>() };
    (t.bump)();
    (t.bump)();
    assert_eq!(p.live_objects(), Some(2));
    // A second image of the same file has its own count.
    let q = loader::open(&with, &json, std::ptr::null()).unwrap();
    assert_eq!(q.live_objects(), Some(0));
    assert_eq!(q.reopen().unwrap().live_objects(), Some(0));
    assert_eq!(p.live_objects(), Some(2));

    let p = loader::open(&without, &json, std::ptr::null()).unwrap();
    assert_eq!(p.live_objects(), None);
}

#[test]
fn the_c_api_sums_the_images_and_says_minus_one_when_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let with = build(dir.path(), "with", true);
    let without = build(dir.path(), "without", false);
    let path = dir.path().join("libclive.so");
    replace(&with, &path);

    assert_eq!(live(std::ptr::null_mut()), -1);
    let p = capi_open(&path);
    assert_eq!(live(p), 0);
    bump(p, 2);
    assert_eq!(live(p), 2);
    // SAFETY: `p` is live and not used concurrently.
    assert_eq!(unsafe { plugport_reload(p) }, PLUGPORT_OK);
    assert_eq!(live(p), 2, "the replaced image still counts");
    bump(p, 1);
    assert_eq!(live(p), 3, "2 in the old image, 1 in the new one");
    // SAFETY: as above; nothing from the old image is used afterwards.
    assert_eq!(unsafe { plugport_release_previous(p) }, 1);
    assert_eq!(live(p), 1);

    // A new image without the function: the total is unknown while it is loaded.
    replace(&without, &path);
    // SAFETY: as above.
    assert_eq!(unsafe { plugport_reload(p) }, PLUGPORT_OK);
    assert_eq!(live(p), -1);
    // SAFETY: as above.
    unsafe { plugport_release_previous(p) };
    assert_eq!(live(p), -1);
    // SAFETY: live, closed once.
    unsafe { plugport_close(p) };

    let q = capi_open(&without);
    assert_eq!(live(q), -1);
    // SAFETY: live, closed once.
    unsafe { plugport_close(q) };
}

/// Set to a plugin path (built with `PP_LIVE_OBJECTS`) by
/// [`plugport_debug_reports_objects_still_alive`] to run [`live_objects_child`].
const CHILD_ENV: &str = "PLUGPORT_TEST_LIVE_CHILD";

/// Runs only as the child process of [`plugport_debug_reports_objects_still_alive`]
/// (`PLUGPORT_DEBUG` is read once per process), hence `#[ignore]`: leaves 3 objects in a
/// replaced image and 1 in the current one, then releases and closes; a second plugin is
/// closed with none.
#[test]
#[ignore = "the child process of plugport_debug_reports_objects_still_alive"]
fn live_objects_child() {
    let path = std::env::var_os(CHILD_ENV).unwrap_or_else(|| {
        panic!("run by plugport_debug_reports_objects_still_alive ({CHILD_ENV})")
    });
    let path = PathBuf::from(path);
    let clean = capi_open(&path);
    // SAFETY: live, closed once.
    unsafe { plugport_close(clean) };

    let p = capi_open(&path);
    bump(p, 3);
    // SAFETY: `p` is live and not used concurrently.
    assert_eq!(unsafe { plugport_reload(p) }, PLUGPORT_OK);
    bump(p, 1);
    assert_eq!(live(p), 4);
    // SAFETY: as above.
    assert_eq!(unsafe { plugport_release_previous(p) }, 1);
    // SAFETY: live, closed once.
    unsafe { plugport_close(p) };
    println!("live objects child: done");
}

fn run_child(path: &Path, debug: Option<&str>) -> (String, Vec<String>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "live_objects_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, path)
    .env_remove("PLUGPORT_DEBUG");
    if let Some(v) = debug {
        cmd.env("PLUGPORT_DEBUG", v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "child failed:\n{stdout}{stderr}");
    assert!(
        stdout.contains("live objects child: done"),
        "the child did not run:\n{stdout}{stderr}"
    );
    let lines = stderr
        .lines()
        .filter(|l| l.starts_with("plugport"))
        .map(String::from)
        .collect();
    (stderr, lines)
}

#[test]
fn plugport_debug_reports_objects_still_alive() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), "with", true);
    let shown = path.display();

    let (stderr, lines) = run_child(&path, Some("1"));
    assert_eq!(
        lines,
        [
            format!(
                "plugport: releasing calc-c 0.3.1 ({shown}, replaced by a reload): 3 objects \
                 still alive"
            ),
            format!("plugport: closing calc-c 0.3.1 ({shown}): 1 object still alive"),
        ],
        "stderr:\n{stderr}"
    );

    for debug in [None, Some("0"), Some("")] {
        let (stderr, lines) = run_child(&path, debug);
        assert!(
            lines.is_empty(),
            "PLUGPORT_DEBUG={debug:?} printed:\n{stderr}"
        );
    }
}
