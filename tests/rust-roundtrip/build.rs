//! Generates guest *and* host bindings of the test worlds into `$OUT_DIR`, so that the
//! tests can call the guest's trampolines through the host's callers in one process.
use plugport_codegen::Builder;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let worlds = [
        ("tests/wit/typecov.wit", "typecov"),
        ("examples/greeter/wit/greeter.wit", "greeter"),
        ("examples/codec/wit/codec.wit", "codec"),
        ("tests/rust-roundtrip/wit/edge.wit", "edge"),
        ("tests/rust-roundtrip/wit/handles.wit", "handles"),
        // Maps and fixed-length lists (issue 11, A.1 and A.2; tests/collections.rs).
        ("tests/wit/accept/collections.wit", "collections"),
        // A resource declared at world level (issue 11, A.3; tests/worldres.rs).
        ("tests/wit/accept/worldres.wit", "worldres"),
        // The large package set (issue 11, A.9): compiled, not implemented (tests/large.rs).
        ("tests/wit/large", "proxy"),
        ("tests/wit/large", "command"),
        ("tests/wit/large", "worker"),
    ];
    for (wit, world) in worlds {
        let wit = root.join(wit);
        Builder::new(&wit)
            .world(world)
            .rust_guest()
            .write_rust_to_out_dir(&format!("{world}_guest.rs"))
            .unwrap_or_else(|e| panic!("guest bindings of {world}: {e}"));
        Builder::new(&wit)
            .world(world)
            .rust_host()
            .write_rust_to_out_dir(&format!("{world}_host.rs"))
            .unwrap_or_else(|e| panic!("host bindings of {world}: {e}"));
    }
}
