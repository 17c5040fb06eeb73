//! Benchmarks only: see `benches/calls.rs` and docs/performance.md.
