//! The C API on an isolated plugin, called as a C host calls it: `plugport_open_ex` with
//! options, `plugport_is_isolated`, `plugport_child_pid`, `plugport_restart_count`,
//! `plugport_last_exit_reason`, and every function that works in-process (name, version,
//! fingerprint, live objects, loaded images, reload, release_previous, close, last error).
//! Also: correct exit reasons when the host ignores `SIGCHLD` (in a helper process, since
//! the disposition is per process).

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use plugport::capi::*;
use plugport::isolation::capi::*;
use plugport_isolation_tests::{fault_plugin, Host, Plugin, WORLD_JSON};

fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_isolation-test-runner"))
}

fn options(mode: u32) -> PlugportOpenOptions {
    PlugportOpenOptions {
        size: std::mem::size_of::<PlugportOpenOptions>() as u32,
        isolation: mode,
        call_timeout_ms: 2_000,
        max_restarts: 0,
        start_timeout_ms: 0,
        drain_timeout_ms: 0,
        max_address_space_mb: 0,
        max_cpu_seconds: 0,
        idle_timeout_ms: 0,
        max_open_files: 0,
        allow_sha256: std::ptr::null(),
    }
}

fn open_ex(path: &std::path::Path, o: Option<&PlugportOpenOptions>) -> (i32, *mut PlugportPlugin) {
    // The runner under test, for the runtime's lookup ($PLUGPORT_RUNNER comes first); set
    // once, before any open of this binary reads the environment.
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("PLUGPORT_RUNNER", runner()));
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let imports = Plugin::imports_table::<Host>() as *const _ as *const c_void;
    let mut p = std::ptr::null_mut();
    // SAFETY: valid arguments per the C API's contract.
    let code = unsafe {
        plugport_open_ex(
            c.as_ptr(),
            WORLD_JSON.as_ptr(),
            WORLD_JSON.len(),
            imports,
            o.map_or(std::ptr::null(), |o| o as *const _),
            &mut p,
        )
    };
    (code, p)
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: NUL-terminated strings owned by the plugin handle.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn reason(p: *const PlugportPlugin) -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: a live plugin and a buffer of its length.
    let n = unsafe { plugport_last_exit_reason(p, buf.as_mut_ptr(), buf.len()) };
    let s = text(buf.as_ptr());
    assert_eq!(n, s.len().min(n), "length");
    s
}

/// The bindings over the plugin's current exports table.
fn bindings(p: *const PlugportPlugin) -> Plugin {
    // SAFETY: the table stays valid until close / release_previous, after the calls.
    unsafe { Plugin::from_raw_exports(plugport_exports(p) as *const _) }
}

#[test]
fn every_c_api_function_works_on_an_isolated_plugin() {
    let o = options(PLUGPORT_ISOLATION_PROCESS);
    let (code, p) = open_ex(&fault_plugin(), Some(&o));
    assert_eq!(code, PLUGPORT_OK, "{:?}", unsafe {
        plugport_last_error().as_ref()
    });
    // SAFETY (every call below): `p` is live until plugport_close at the end.
    unsafe {
        assert_eq!(plugport_is_isolated(p), 1);
        let pid = plugport_child_pid(p);
        assert!(pid > 0 && pid != std::process::id() as i64);
        assert_eq!(text(plugport_plugin_name(p)), "fault-c");
        assert_eq!(text(plugport_plugin_version(p)), "1.0.0");
        assert_eq!(text(plugport_fingerprint(p)).len(), 64);
        assert_eq!(plugport_live_objects(p), -1, "the C plugin does not count");
        assert_eq!(plugport_loaded_images(p), 1);
        assert_eq!(plugport_restart_count(p), 0);
        assert_eq!(plugport_last_exit_reason(p, std::ptr::null_mut(), 0), 0);

        let b = bindings(p);
        assert_eq!(b.faults().pid().unwrap() as i64, pid);
        let e = b.faults().segv().unwrap_err();
        assert_eq!(e.status(), PP_ERR_ISOLATION);
        assert_eq!(b.faults().inc(1).unwrap(), 2);
        assert_eq!(plugport_restart_count(p), 1);
        assert!(reason(p).contains("SIGSEGV"), "{}", reason(p));
        let pid2 = plugport_child_pid(p);
        assert!(pid2 > 0 && pid2 != pid);

        // Reload: a new plugin process serves the new table; the old one keeps serving
        // the old table until released.
        assert_eq!(plugport_reload(p), PLUGPORT_OK);
        assert_eq!(plugport_loaded_images(p), 2);
        let nb = bindings(p);
        let pid3 = nb.faults().pid().unwrap() as i64;
        assert_ne!(pid3, pid2);
        assert_eq!(
            b.faults().pid().unwrap() as i64,
            pid2,
            "the old table still works"
        );
        assert_eq!(plugport_release_previous(p), 1);
        assert_eq!(plugport_loaded_images(p), 1);
        let t = Instant::now();
        while std::path::Path::new(&format!("/proc/{pid2}")).exists()
            && t.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !std::path::Path::new(&format!("/proc/{pid2}")).exists(),
            "released child gone"
        );
        plugport_close(p);
        assert!(
            !std::path::Path::new(&format!("/proc/{pid3}")).exists(),
            "closed child gone"
        );
    }
}

#[test]
fn options_are_checked_and_inproc_is_not_isolated() {
    let mut o = options(PLUGPORT_ISOLATION_PROCESS);
    o.size = 4;
    let (code, p) = open_ex(&fault_plugin(), Some(&o));
    assert_eq!(code, PLUGPORT_E_INVALID_ARGUMENT);
    assert!(p.is_null());
    assert!(text(plugport_last_error()).contains("options->size"));
    let mut o = options(7);
    o.isolation = 7;
    let (code, _) = open_ex(&fault_plugin(), Some(&o));
    assert_eq!(code, PLUGPORT_E_INVALID_ARGUMENT);
    if std::env::var("PLUGPORT_ISOLATION").as_deref() != Ok("process") {
        let o = options(PLUGPORT_ISOLATION_INPROC);
        let (code, p) = open_ex(&fault_plugin(), Some(&o));
        assert_eq!(code, PLUGPORT_OK);
        // SAFETY: a live plugin, closed once.
        unsafe {
            assert_eq!(plugport_is_isolated(p), 0);
            assert_eq!(plugport_child_pid(p), -1);
            assert_eq!(bindings(p).faults().pid().unwrap(), std::process::id());
            plugport_close(p);
        }
    }
}

/// Helper process of [`exit_reasons_are_right_when_the_host_ignores_sigchld`].
#[test]
#[ignore = "run by exit_reasons_are_right_when_the_host_ignores_sigchld as a separate process"]
fn helper_host_ignoring_sigchld() {
    // SAFETY: changes this helper process's disposition only.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let o = options(PLUGPORT_ISOLATION_PROCESS);
    let (code, p) = open_ex(&fault_plugin(), Some(&o));
    assert_eq!(code, PLUGPORT_OK);
    let b = bindings(p);
    for (fault, expect) in [(0, "SIGSEGV"), (1, "SIGABRT"), (2, "exited with status 7")] {
        let e = match fault {
            0 => b.faults().segv(),
            1 => b.faults().abort(),
            _ => b.faults().quit(7),
        }
        .unwrap_err();
        assert_eq!(e.status(), PP_ERR_ISOLATION);
        assert!(e.to_string().contains(expect), "{e}");
        assert_eq!(b.faults().inc(1).unwrap(), 2);
    }
    // SAFETY: live until here.
    unsafe { plugport_close(p) };
    println!("HELPER_OK");
}

#[test]
fn exit_reasons_are_right_when_the_host_ignores_sigchld() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_host_ignoring_sigchld",
            "--nocapture",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("HELPER_OK"),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
