//! Nested calls over a remote session (`docs/remote.md`, "The model"): the host's import
//! calls the plugin back while the plugin waits for the import. The plugin's
//! `call-host(n)` calls the host's `note` n times and returns what the last one returned;
//! this host's `note` answers with the result of a call of the plugin's `inc` made from
//! inside the import, so `call-host` returns 42 only when the nested call went through.

use std::sync::atomic::{AtomicUsize, Ordering};

use plugport_isolation_tests::{imports, Plugin, Token, WORLD_JSON};
use plugport_remote_tests::{fault_plugin, Server};

/// The exports table of the open under test.
static EXPORTS: AtomicUsize = AtomicUsize::new(0);
/// How many nested calls `note` made.
static NESTED: AtomicUsize = AtomicUsize::new(0);

struct Nested;

impl imports::host::Host for Nested {
    type Token = Token;
    fn note(_msg: &str) -> u64 {
        // SAFETY: the exports table of the open below, alive while the test runs.
        let p = unsafe { Plugin::from_raw_exports(EXPORTS.load(Ordering::SeqCst) as *const _) };
        NESTED.fetch_add(1, Ordering::SeqCst);
        // A call of the plugin from inside the import: a new call on the session.
        p.faults().inc(41).map_or(0, u64::from)
    }
}

#[test]
fn an_import_calls_the_plugin_back_over_the_session() {
    let server = Server::start(&fault_plugin(), 0, &[]);
    let imports = Plugin::imports_table::<Nested>();
    let plugin = plugport::loader::open_with_options(
        std::path::Path::new(&server.url),
        WORLD_JSON,
        imports as *const _ as *const core::ffi::c_void,
        plugport::isolation::Options {
            call_timeout_ms: 10_000,
            ..Default::default()
        },
    )
    .expect("open");
    EXPORTS.store(plugin.exports() as usize, Ordering::SeqCst);
    // SAFETY: the table stays valid while `plugin` lives.
    let p = unsafe { Plugin::from_raw_exports(plugin.exports() as *const _) };
    assert_eq!(p.faults().call_host(1).unwrap(), 42);
    assert_eq!(p.faults().call_host(3).unwrap(), 42);
    assert_eq!(NESTED.load(Ordering::SeqCst), 4);
    // From several threads at once.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(p.faults().call_host(2).unwrap(), 42));
        }
    });
    assert_eq!(NESTED.load(Ordering::SeqCst), 12);
}
