//! A resource declared at world level used by a Go plugin (issue 11, A.3; `docs/abi.md`
//! §5, "Resources declared at world level"; `docs/go.md`): `go-worldres/main.go` built
//! with `go build -buildmode=c-shared` against the generated package `worldresplugin`,
//! loaded by the generated Rust host that implements the resource. The Go plugin passes
//! the same round trip as the C plugin (`worldres_common::exercise`): counters made
//! through the host's table, borrowed, returned, taken, in lists, an option and a record,
//! each dropped exactly once; a counter used after its Close is an error, not a call.
//! Needs `go`, `pkg-config` and a C compiler (scripts/test.sh
//! installs them); a missing tool fails the test.

mod worldres_common;

use plugport_constructs_tests::gobuild::build_go_plugin;
use plugport_constructs_tests::worldres::Worldres;
use worldres_common::{exercise, live, Host, SERIAL};

#[test]
fn a_go_plugin_uses_the_hosts_world_level_resource() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let lib = build_go_plugin(
        dir.path(),
        "tests/constructs/go-worldres/main.go",
        "go-worldres",
        "worldresplugin",
        "libworldres_go.so",
    );
    let base = live();
    let p = Worldres::load::<Host>(&lib).expect("the Go plugin loads");
    exercise(&p, "Go plugin");
    // Go cannot make a foreign handle; a counter used after its Close is an error.
    let msg = p.forge().unwrap();
    assert!(msg.contains("used after Close"), "{msg:?}");
    drop(p);
    assert_eq!(live(), base);
}
