//! The live-object count of the Rust typecov plugin (`docs/abi.md` §10), which the export
//! macro provides from the runtime's counter: it follows every way a `store.counter` ends
//! (dropped by the host, moved into the plugin by `consume`) and agrees with the plugin's
//! own count (`store.live`), also under 8 threads. The C typecov plugin does not define the
//! optional function: its count is unknown (`None`).
//!
//! Requires the plugins built by `scripts/build-examples.sh` (see `typecov_host::typecov_dir`).

use typecov_host::{artefact, Typecov};

#[test]
fn the_rust_plugin_counts_counters_until_dropped_or_consumed() {
    let p = Typecov::load(artefact("libtypecov_rust.so")).unwrap();
    let s = p.store();
    let check = |n: usize, what: &str| {
        assert_eq!(p.live_objects(), Some(n), "{what}");
        assert_eq!(
            s.live().unwrap() as usize,
            n,
            "{what}: the plugin's own count"
        );
    };
    check(0, "before");
    let a = s.counter_new(5).unwrap();
    let z = s.counter_zero().unwrap();
    let b = s.counter_new(7).unwrap();
    check(3, "three counters");
    assert_eq!(s.peek(&a).unwrap(), 5);
    assert_eq!(a.add(1).unwrap(), 6);
    check(3, "a borrow and a method call change nothing");
    assert_eq!(s.consume(a).unwrap(), 6);
    check(2, "consume took an owned handle back into the plugin");
    drop(z);
    check(1, "dropped one");
    drop(b);
    check(0, "dropped all");
    let many: Vec<_> = (0..100).map(|i| s.counter_new(i).unwrap()).collect();
    check(100, "a hundred");
    drop(many);
    check(0, "after the hundred");
}

#[test]
fn the_count_is_exact_after_eight_threads() {
    let p = Typecov::load(artefact("libtypecov_rust.so")).unwrap();
    let p = &p;
    let keep: Vec<_> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(move || {
                    let s = p.store();
                    let mut kept = Vec::new();
                    for i in 0..500 {
                        let c = s.counter_new(i).unwrap();
                        if i % 100 == 0 {
                            kept.push(c); // 5 per thread outlive it
                        } else if i % 2 == 0 {
                            assert_eq!(s.consume(c).unwrap(), i);
                        } // odd ones are dropped here
                    }
                    kept
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    assert_eq!(keep.len(), 8 * 5);
    assert_eq!(p.live_objects(), Some(40));
    assert_eq!(p.store().live().unwrap(), 40);
    drop(keep);
    assert_eq!(p.live_objects(), Some(0));
}

#[test]
fn the_c_plugin_does_not_report_a_count() {
    let p = Typecov::load(artefact("libtypecov_c.so")).unwrap();
    let c = p.store().counter_new(1).unwrap();
    assert_eq!(p.store().live().unwrap(), 1);
    assert_eq!(p.live_objects(), None);
    assert_eq!(p.plugin().unwrap().live_objects(), None);
    drop(c);
}
