//! The C API on a remote plugin, called as a C host calls it (`docs/remote.md`,
//! "Opening"): `plugport_open` with a URL, name, version and fingerprint of the remote
//! descriptor, the exports table, live objects, `plugport_reload` (a new session that
//! fetches and checks the descriptor again, refused when the server now serves another
//! plugin), `plugport_release_previous`, `plugport_close`, and `plugport_last_error` for
//! an unreachable server.

use std::ffi::{c_char, c_void, CStr, CString};

use plugport::capi::*;
use plugport::codes::{PLUGPORT_E_IO, PLUGPORT_E_PACKAGE_MISMATCH};
use plugport::isolation::capi::plugport_is_isolated;
use plugport_remote_tests::{fault_plugin, Host, Plugin, Server, WORLD_JSON};

fn open(url: &str) -> (i32, *mut PlugportPlugin) {
    let c = CString::new(url).unwrap();
    let imports = Plugin::imports_table::<Host>() as *const _ as *const c_void;
    let mut p = std::ptr::null_mut();
    // SAFETY: valid arguments per the C API's contract.
    let code = unsafe {
        plugport_open(
            c.as_ptr(),
            WORLD_JSON.as_ptr(),
            WORLD_JSON.len(),
            imports,
            &mut p,
        )
    };
    (code, p)
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: NUL-terminated strings owned by the runtime.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The bindings over the current exports table of `p`.
fn bindings(p: *const PlugportPlugin) -> Plugin {
    // SAFETY: a live plugin; its table stays valid until it is closed or released.
    unsafe {
        let t = plugport_exports(p);
        assert!(!t.is_null());
        Plugin::from_raw_exports(t as *const _)
    }
}

#[test]
fn the_c_api_works_on_a_remote_plugin() {
    let mut server = Server::start(&fault_plugin(), 0, &[]);
    let (code, p) = open(&server.url);
    assert_eq!(code, 0, "{}", text(plugport_last_error()));
    let local = plugport::descriptor::read_from_file(&fault_plugin()).unwrap();
    // SAFETY: `p` is live until plugport_close below.
    unsafe {
        assert_eq!(text(plugport_plugin_name(p)), "fault-c");
        assert_eq!(text(plugport_plugin_version(p)), local.plugin_version);
        assert_eq!(text(plugport_fingerprint(p)), local.fingerprint);
        assert_eq!(plugport_is_isolated(p), 0, "the isolation is on the server");
        // The C fault plugin exports no live-object count: -1, asked of the server.
        assert_eq!(plugport_live_objects(p), -1);
    }
    let first = bindings(p);
    assert_eq!(first.faults().inc(1).unwrap(), 2);
    let pid = first.faults().pid().unwrap();

    // Reload: a new session (a new instance on the server), the old one still answers.
    // SAFETY: as above.
    unsafe {
        assert_eq!(plugport_reload(p), 0, "{}", text(plugport_last_error()));
        assert_eq!(plugport_loaded_images(p), 2);
    }
    let second = bindings(p);
    assert_eq!(second.faults().inc(2).unwrap(), 3);
    assert_ne!(second.faults().pid().unwrap(), pid, "a new instance");
    assert_eq!(
        first.faults().pid().unwrap(),
        pid,
        "the old session still answers"
    );
    // SAFETY: nothing of the previous image is used after this.
    unsafe { assert_eq!(plugport_release_previous(p), 1) };
    drop(first);

    // The server now serves another plugin at the same address: the reload fetches the
    // descriptor again and refuses it with the file's error; the current image stays.
    if let Some(other) = other_plugin() {
        let port = server.port;
        server.kill();
        let _other = Server::start(&other, port, &[]);
        // SAFETY: as above.
        unsafe {
            assert_eq!(plugport_reload(p), PLUGPORT_E_PACKAGE_MISMATCH);
            let msg = text(plugport_last_error());
            assert!(msg.contains("package"), "{msg}");
            assert_eq!(plugport_loaded_images(p), 1);
        }
    }
    // SAFETY: closed once; nothing from it is used afterwards.
    unsafe { plugport_close(p) };
    drop(second);

    // An unreachable server: PLUGPORT_E_IO, and the last error names the URL.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("grpc://127.0.0.1:{port}");
    let (code, p) = open(&url);
    assert_eq!(code, PLUGPORT_E_IO);
    assert!(p.is_null());
    let msg = text(plugport_last_error());
    assert!(msg.contains(&url), "{msg}");
}

/// A plugin of another package (the greeter example), when the examples are built.
fn other_plugin() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples")
        });
    let p = dir.join("greeter/libgreeter_zh.so");
    p.is_file().then_some(p)
}
