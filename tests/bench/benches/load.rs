//! `cargo bench -p plugport-bench --bench load`: what checking costs at load time.
//! - open+check+close through the plugport loader (read, parse and check the
//!   descriptor, private copy, dlopen, entry, dlclose) against a bare
//!   `dlopen`+`dlclose` of the same file (libloading);
//! - `inspect` without loading: reading and checking the descriptor from the file.
//!
//! Uses the C bench plugin built by this crate's build script. Results:
//! docs/performance.md.

include!(concat!(env!("OUT_DIR"), "/bench.rs"));

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;

fn benches(c: &mut Criterion) {
    let path = PathBuf::from(env!("OUT_DIR")).join("libbench_c.so");
    let mut g = c.benchmark_group("load bench plugin (C, 16 KiB)");
    g.bench_function("bare dlopen+dlclose (libloading)", |b| {
        b.iter(|| {
            // SAFETY: the bench plugin's constructors are the C runtime's only.
            let lib = unsafe { libloading::Library::new(black_box(&path)) }.unwrap();
            drop(lib);
        })
    });
    g.bench_function("plugport open+check+close", |b| {
        b.iter(|| {
            let p = Bench::load(black_box(&path)).unwrap();
            drop(p);
        })
    });
    g.bench_function("inspect without loading (read+check descriptor)", |b| {
        b.iter(|| plugport::descriptor::read_from_file(black_box(&path)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = load;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(load);
