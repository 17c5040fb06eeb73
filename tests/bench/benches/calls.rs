//! `cargo bench -p plugport-bench`: calls through loaded plugins (Rust and C, both
//! dlopen'ed by the plugport loader) against a native `&dyn Trait` call of the same
//! function and a raw call of the C plugin's table slot. Results: docs/performance.md.
//!
//! The Rust plugin is a separate cdylib: build it first with
//! `cargo build --release -p bench-plugin-rust` (or set PLUGPORT_BENCH_RUST_PLUGIN).
//! The Go plugin (tests/bench/plugin-go, `go build -buildmode=c-shared`) is built by
//! `scripts/build-examples.sh target/examples` into target/examples/bench/libbench_go.so
//! (or set PLUGPORT_BENCH_GO_PLUGIN). A process holds one Go plugin image at most (a
//! second open would run in a child process, docs/go.md), so it is loaded once, here, for
//! every group: these are in-process calls.

include!(concat!(env!("OUT_DIR"), "/bench.rs"));

use criterion::{criterion_group, criterion_main, Criterion};
use plugport::abi::PpString;
use std::hint::black_box;
use std::path::PathBuf;

/// The native baseline: the same bodies as the plugins, behind a trait object.
trait Calls {
    fn add(&self, a: u64, b: u64) -> u64;
    fn str_len(&self, s: &str) -> u32;
    fn make_string(&self, n: u32) -> String;
    fn sum_bytes(&self, data: &[u8]) -> u64;
}

struct Native;

impl Calls for Native {
    #[inline(never)]
    fn add(&self, a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
    #[inline(never)]
    fn str_len(&self, s: &str) -> u32 {
        s.len() as u32
    }
    #[inline(never)]
    fn make_string(&self, n: u32) -> String {
        "x".repeat(n as usize)
    }
    #[inline(never)]
    fn sum_bytes(&self, data: &[u8]) -> u64 {
        data.iter().map(|&b| u64::from(b)).sum()
    }
}

fn rust_plugin() -> PathBuf {
    if let Some(p) = std::env::var_os("PLUGPORT_BENCH_RUST_PLUGIN") {
        return p.into();
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/libbench_rust.so");
    assert!(
        p.exists(),
        "{} missing: run `cargo build --release -p bench-plugin-rust` first",
        p.display()
    );
    p
}

fn go_plugin() -> PathBuf {
    if let Some(p) = std::env::var_os("PLUGPORT_BENCH_GO_PLUGIN") {
        return p.into();
    }
    let examples = std::env::var_os("PLUGPORT_EXAMPLES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"),
        PathBuf::from,
    );
    let p = examples.join("bench/libbench_go.so");
    assert!(
        p.exists(),
        "{} missing: run `scripts/build-examples.sh target/examples` first (it builds the Go bench plugin)",
        p.display()
    );
    p
}

fn c_plugin() -> PathBuf {
    PathBuf::from(env!("OUT_DIR")).join("libbench_c.so")
}

fn benches(c: &mut Criterion) {
    let rust = Bench::load(rust_plugin()).expect("load the Rust bench plugin");
    let cplug = Bench::load(c_plugin()).expect("load the C bench plugin");
    let goplug = Bench::load(go_plugin()).expect("load the Go bench plugin");
    let native: &dyn Calls = black_box(&Native);
    let s64 = "0123456789abcdef".repeat(4);
    let bytes = vec![7u8; 64 * 1024];

    // The C plugin's table, called directly: the floor for a call through dlopen.
    // SAFETY: the plugin is loaded (cplug lives to the end) and its table is valid.
    let ctable = unsafe { &*(*cplug.exports_table()).calls };
    let raw_add = ctable.add.expect("add slot");
    // SAFETY: as above, for the Rust plugin's generated trampoline.
    let rtable = unsafe { &*(*rust.exports_table()).calls };
    let raw_rust_add = rtable.add.expect("add slot");
    // SAFETY: as above, for the Go plugin's validating trampoline (C shim, then cgo into Go).
    let gtable = unsafe { &*(*goplug.exports_table()).calls };
    let raw_go_add = gtable.add.expect("add slot");

    let mut g = c.benchmark_group("scalar add(u64, u64) -> u64");
    g.bench_function("native &dyn Trait", |b| {
        b.iter(|| native.add(black_box(1), black_box(2)))
    });
    g.bench_function("raw C slot via dlopen", |b| {
        b.iter(|| {
            let (mut r, mut e) = (0u64, PpString::EMPTY);
            // SAFETY: a valid slot called per docs/abi.md §5.
            unsafe { raw_add(black_box(1), black_box(2), &mut r, &mut e) };
            r
        })
    });
    g.bench_function("raw Rust trampoline via dlopen", |b| {
        b.iter(|| {
            let (mut r, mut e) = (0u64, PpString::EMPTY);
            // SAFETY: a valid slot called per docs/abi.md §5.
            unsafe { raw_rust_add(black_box(1), black_box(2), &mut r, &mut e) };
            r
        })
    });
    g.bench_function("raw Go trampoline via dlopen", |b| {
        b.iter(|| {
            let (mut r, mut e) = (0u64, PpString::EMPTY);
            // SAFETY: a valid slot called per docs/abi.md §5.
            unsafe { raw_go_add(black_box(1), black_box(2), &mut r, &mut e) };
            r
        })
    });
    g.bench_function("plugport host -> C plugin", |b| {
        b.iter(|| cplug.calls().add(black_box(1), black_box(2)).unwrap())
    });
    g.bench_function("plugport host -> Rust plugin", |b| {
        b.iter(|| rust.calls().add(black_box(1), black_box(2)).unwrap())
    });
    g.bench_function("plugport host -> Go plugin", |b| {
        b.iter(|| goplug.calls().add(black_box(1), black_box(2)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("64-byte string argument");
    g.bench_function("native &dyn Trait", |b| {
        b.iter(|| native.str_len(black_box(&s64)))
    });
    g.bench_function("plugport host -> C plugin", |b| {
        b.iter(|| cplug.calls().str_len(black_box(&s64)).unwrap())
    });
    g.bench_function("plugport host -> Rust plugin", |b| {
        b.iter(|| rust.calls().str_len(black_box(&s64)).unwrap())
    });
    g.bench_function("plugport host -> Go plugin", |b| {
        b.iter(|| goplug.calls().str_len(black_box(&s64)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("64-byte owned string result");
    g.bench_function("native &dyn Trait", |b| {
        b.iter(|| native.make_string(black_box(64)))
    });
    g.bench_function("plugport host -> C plugin", |b| {
        b.iter(|| cplug.calls().make_string(black_box(64)).unwrap())
    });
    g.bench_function("plugport host -> Rust plugin", |b| {
        b.iter(|| rust.calls().make_string(black_box(64)).unwrap())
    });
    g.bench_function("plugport host -> Go plugin", |b| {
        b.iter(|| goplug.calls().make_string(black_box(64)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("64 KiB list<u8> argument");
    g.bench_function("native &dyn Trait", |b| {
        b.iter(|| native.sum_bytes(black_box(&bytes)))
    });
    g.bench_function("plugport host -> C plugin", |b| {
        b.iter(|| cplug.calls().sum_bytes(black_box(&bytes)).unwrap())
    });
    g.bench_function("plugport host -> Rust plugin", |b| {
        b.iter(|| rust.calls().sum_bytes(black_box(&bytes)).unwrap())
    });
    g.bench_function("plugport host -> Go plugin", |b| {
        b.iter(|| goplug.calls().sum_bytes(black_box(&bytes)).unwrap())
    });
    g.finish();

    let cacc = cplug.calls().acc_new().unwrap();
    let racc = rust.calls().acc_new().unwrap();
    let gacc = goplug.calls().acc_new().unwrap();
    let mut g = c.benchmark_group("resource method acc.add(u64) -> u64");
    g.bench_function("plugport host -> C plugin", |b| {
        b.iter(|| cacc.add(black_box(1)).unwrap())
    });
    g.bench_function("plugport host -> Rust plugin", |b| {
        b.iter(|| racc.add(black_box(1)).unwrap())
    });
    g.bench_function("plugport host -> Go plugin", |b| {
        b.iter(|| gacc.add(black_box(1)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = calls;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(calls);
