//! The bench world in Rust: the same trivial bodies as the C plugin, so the benchmark
//! measures the boundary (trampoline, validation, panic guard, allocation of results).

include!(concat!(env!("OUT_DIR"), "/bench.rs"));

use std::sync::atomic::{AtomicU64, Ordering};

struct Bench;

struct Acc(AtomicU64);

impl exports::calls::Guest for Bench {
    type Acc = Acc;

    fn add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    fn str_len(s: &str) -> u32 {
        s.len() as u32
    }

    fn make_string(n: u32) -> String {
        "x".repeat(n as usize)
    }

    fn sum_bytes(data: &[u8]) -> u64 {
        data.iter().map(|&b| u64::from(b)).sum()
    }
}

impl exports::calls::GuestAcc for Acc {
    fn new() -> Self {
        Acc(AtomicU64::new(0))
    }

    fn add(&self, v: u64) -> u64 {
        // A plain load and store, like the C plugin's `*acc += v`: no locked
        // read-modify-write, so the benchmark compares the boundary, not the body.
        let sum = self.0.load(Ordering::Relaxed).wrapping_add(v);
        self.0.store(sum, Ordering::Relaxed);
        sum
    }
}

export_bench!(Bench, name: "bench-rust", version: "1.0.0");
