//! Rust host bindings of the worlds the tests in `tests/` load from real C plugins.

/// Host bindings of `test:fallible` (`tests/wit/fallible.wit`).
pub mod fallible {
    include!(concat!(env!("OUT_DIR"), "/fallible_host.rs"));
}

/// The C plugin of `test:fallible`, built by `build.rs`.
pub const FALLIBLE_C: &str = concat!(env!("OUT_DIR"), "/libfallible_c.so");

/// Host bindings of `test:collections` (`tests/wit/accept/collections.wit`): maps and
/// fixed-length lists.
pub mod collections {
    include!(concat!(env!("OUT_DIR"), "/collections_host.rs"));
}

/// The C plugin of `test:collections`, built by `build.rs`.
pub const COLLECTIONS_C: &str = concat!(env!("OUT_DIR"), "/libcollections_c.so");

/// Where `build.rs` wrote the C header `collections.h` and the Go package
/// `go/collectionsplugin` of `test:collections` (for tests/collections_go.rs).
pub const OUT_DIR: &str = env!("OUT_DIR");

/// Host bindings of `test:worldres` (`tests/wit/accept/worldres.wit`): a resource declared
/// at world level, implemented by the host.
pub mod worldres {
    include!(concat!(env!("OUT_DIR"), "/worldres_host.rs"));
}

/// Host bindings of `test:worldres@1.1.0` (`wit/worldres-1.1.wit`): a method and a static
/// appended to the world-level resource.
pub mod worldres11 {
    include!(concat!(env!("OUT_DIR"), "/worldres11_host.rs"));
}

/// The C plugin of `test:worldres`, built by `build.rs`.
pub const WORLDRES_C: &str = concat!(env!("OUT_DIR"), "/libworldres_c.so");
