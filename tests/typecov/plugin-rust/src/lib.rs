//! The type-coverage plugin for `test:typecov@1.0.0`, in Rust: every echo function is the
//! identity, `boom` panics with its message (the generated trampolines turn the panic into
//! `PP_ERR_PANIC`), and `counter` is a resource whose live instances are counted.
//!
//! The same plugin is written in C in `../plugin-c`; both are exercised by the C host
//! (`../host-c`) and the Rust host tests (`../host-rust/tests`).

include!(concat!(env!("OUT_DIR"), "/typecov.rs"));

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

struct Typecov;

/// Number of `Counter`s alive in this plugin: incremented on creation, decremented in
/// `Drop`, so it also counts the ones the host still holds.
static LIVE: AtomicU32 = AtomicU32::new(0);

/// The `echo` interface (`echo.rs`, shared with `tests/rust-roundtrip`).
mod echo {
    use super::{exports, Typecov};

    /// `sink` accepts `b == "<a>:<c, comma-separated>"` and otherwise panics with
    /// `sink received a=<a> b="<b>" c=[<c>]` (`PP_ERR_PANIC`), as the C plugin does, so
    /// that hosts can check the values that crossed.
    fn on_sink(a: u8, b: &str, c: &[u64]) {
        let list = c.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        if b != format!("{a}:{list}") {
            panic!("sink received a={a} b=\"{b}\" c=[{list}]");
        }
    }

    include!("echo.rs");
}

/// The `counter` resource. An atomic, so that one counter can be used from many threads.
struct Counter {
    value: AtomicI64,
}

impl Counter {
    fn with(start: i64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counter {
            value: AtomicI64::new(start),
        }
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl exports::store::GuestCounter for Counter {
    fn new(start: i64) -> Self {
        Counter::with(start)
    }

    fn add(&self, delta: i64) -> i64 {
        // fetch_add wraps on overflow, as the C plugin does.
        self.value
            .fetch_add(delta, Ordering::SeqCst)
            .wrapping_add(delta)
    }

    fn get(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }

    fn zero() -> Self {
        Counter::with(0)
    }
}

impl exports::store::Guest for Typecov {
    type Counter = Counter;

    fn peek(c: &Counter) -> i64 {
        c.value.load(Ordering::SeqCst)
    }

    fn consume(c: Counter) -> i64 {
        // `c` is dropped at the end of this function: ownership moved to the plugin.
        c.value.load(Ordering::SeqCst)
    }

    fn live() -> u32 {
        LIVE.load(Ordering::SeqCst)
    }
}

impl exports::Guest for Typecov {
    fn version() -> String {
        "typecov-rust 1.0.0".to_string()
    }
}

export_typecov!(Typecov, name: "typecov-rust", version: "1.0.0");
