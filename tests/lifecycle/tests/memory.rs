//! Scenario S4 at scale: 10,000 open / call / close cycles of one plugin keep the resident
//! set size flat (growth under 256 KiB after a warm-up) and leave no image mapped. A
//! memory bound, not a timing: the duration is printed (`--nocapture`), never asserted.
//!
//! The bound: a clean run grows 0 KiB; a host that never releases its two successful
//! owned string results per cycle grows about 650 KiB (issue 11 E.1), which 1 MiB did not
//! catch. `tests/rust-roundtrip/tests/release.rs` counts those releases exactly.
//!
//! The only test of this binary, so that no other test's allocations disturb VmRSS.

use std::time::Instant;

use lifecycle::{mapped_images, rss_bytes, v1_1, zh_plugin, Host};

const WARM_UP: usize = 200;
const CYCLES: usize = 10_000;
const MAX_GROWTH: u64 = 256 << 10;

fn cycle(path: &std::path::Path) {
    let g = v1_1::Greeter::load::<Host>(path).expect("loads");
    assert_eq!(g.greet().greet("Ada").unwrap(), "你好，Ada！");
    assert_eq!(g.greet().farewell("Ada").unwrap(), "再见，Ada！");
}

#[test]
fn ten_thousand_open_call_close_cycles_keep_rss_flat() {
    let dir = tempfile::tempdir().unwrap();
    // The C plugin: a small file, so the cycles measure the loader, not file copying.
    let path = zh_plugin(dir.path(), true);
    let file_name = path.file_name().unwrap().to_str().unwrap().to_owned();
    for _ in 0..WARM_UP {
        cycle(&path);
    }
    let before = rss_bytes();
    let start = Instant::now();
    for _ in 0..CYCLES {
        cycle(&path);
    }
    let elapsed = start.elapsed();
    let after = rss_bytes();
    let growth = after.saturating_sub(before);
    eprintln!(
        "{CYCLES} open/call/close cycles in {elapsed:.2?} ({:.1} us each): VmRSS {} KiB -> {} \
         KiB (growth {} KiB)",
        elapsed.as_secs_f64() * 1e6 / CYCLES as f64,
        before / 1024,
        after / 1024,
        growth / 1024
    );
    assert!(
        growth < MAX_GROWTH,
        "VmRSS grew by {growth} bytes over {CYCLES} cycles (from {before} to {after}): \
         expected less than {MAX_GROWTH}"
    );
    assert_eq!(mapped_images(&file_name), 0, "an image is still mapped");
}
