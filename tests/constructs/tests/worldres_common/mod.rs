//! The Rust host of `test:worldres` shared by `worldres.rs` (the C plugin) and
//! `worldres_go.rs` (the Go plugin): it implements the world-level resource `counter`
//! and counts the counters alive, and [`exercise`] runs the round trip every plugin of
//! the world must pass.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use plugport_constructs_tests::worldres::imports::worldres::{self as wr, Counter};
use plugport_constructs_tests::worldres::{self as host, Slot, Worldres};

/// Counters alive in this host.
pub static LIVE: AtomicU32 = AtomicU32::new(0);
/// The values the host's `peek` saw.
pub static PEEKED: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// One test at a time: they share LIVE.
pub static SERIAL: Mutex<()> = Mutex::new(());

/// The host: implements the world's resource table and its bare imports.
pub struct Host;

/// The host's counter.
pub struct HostCounter(AtomicU32);

impl HostCounter {
    /// A new counter at `v`, counted alive.
    pub fn make(v: u32) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        HostCounter(AtomicU32::new(v))
    }
    /// Its value.
    pub fn value(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for HostCounter {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl wr::Host for Host {
    type Counter = HostCounter;
}

impl wr::HostCounter for HostCounter {
    fn new(start: u32) -> Self {
        HostCounter::make(start)
    }
    fn get(&self) -> u32 {
        self.value()
    }
    fn add(&self, n: u32) -> u32 {
        self.0.fetch_add(n, Ordering::SeqCst) + n
    }
    fn merge(a: &Self, b: Self) -> Self {
        HostCounter::make(a.value() + b.value())
    }
}

impl host::imports::Host for Host {
    fn peek(c: &Counter) -> u32 {
        let v = c
            .get::<HostCounter>()
            .expect("the plugin lends a counter of this host")
            .value();
        PEEKED.lock().unwrap().push(v);
        v
    }
    fn live() -> u32 {
        LIVE.load(Ordering::SeqCst)
    }
}

/// Counters alive in this host.
pub fn live() -> u32 {
    LIVE.load(Ordering::SeqCst)
}

/// The value of a counter of this host.
pub fn value(c: &Counter) -> u32 {
    c.get::<HostCounter>()
        .expect("a counter of this host")
        .value()
}

/// The round trip: the plugin creates counters through the host's constructor, borrows,
/// returns and takes them (also in lists, an option and a record), lends one to the
/// host's `peek` and merges with the static `merge`; every counter ends exactly once.
/// `what` names the plugin and mode in failures.
pub fn exercise(p: &Worldres, what: &str) {
    let base = live();

    // Made by the plugin through the host's constructor, returned as own.
    let c = p.make(41).unwrap();
    assert_eq!(value(&c), 41, "{what}");
    assert_eq!(live(), base + 1);
    // Borrowed by the plugin, which calls its methods through the vtable.
    assert_eq!(p.look(&c).unwrap(), 41);
    // Taken by the plugin: it reads and drops it.
    assert_eq!(p.take(c).unwrap(), 41);
    assert_eq!(
        live(),
        base,
        "{what}: the plugin dropped the counter it took"
    );

    // Lists of own and of borrowed handles, and an option of own.
    let items: Vec<Counter> = [1, 2, 3]
        .into_iter()
        .map(|v| Counter::new(HostCounter::make(v)))
        .collect();
    let kept = Counter::new(HostCounter::make(100));
    // SAFETY: `kept` outlives the call; the plugin only borrows the views.
    let views = [std::mem::ManuallyDrop::new(unsafe {
        Counter::from_raw(kept.as_raw()).expect("a handle")
    })];
    let extra = Some(Counter::new(HostCounter::make(1000)));
    assert_eq!(live(), base + 5);
    assert_eq!(p.sum(items, &views, extra).unwrap(), 1106, "{what}");
    assert_eq!(live(), base + 1, "{what}: owned items and extra dropped");
    assert_eq!(value(&kept), 100);
    drop(kept);
    assert_eq!(live(), base);
    assert_eq!(p.sum(Vec::new(), &[], None).unwrap(), 0);

    // Inside a record: made by the plugin, returned in a `slot`, given back.
    let s = p.wrap("held", &Some(7)).unwrap();
    assert_eq!(s.label, "held");
    assert_eq!(s.item.as_ref().map(value), Some(7));
    assert_eq!(live(), base + 1);
    let back = p
        .open(s)
        .unwrap()
        .expect("the plugin hands the counter back");
    assert_eq!(value(&back), 7);
    let s = Slot {
        label: "drop".into(),
        item: Some(back),
    };
    assert_eq!(p.open(s).unwrap().map(|c| value(&c)), None);
    assert_eq!(
        live(),
        base,
        "{what}: the plugin dropped the slot's counter"
    );
    let empty = p.wrap("", &None).unwrap();
    assert!(empty.label.is_empty() && empty.item.is_none());

    // Constructor, borrow to the host's bare import, static merge, method; all dropped.
    PEEKED.lock().unwrap().clear();
    assert_eq!(p.lend(4).unwrap(), 4 + 40 + 1, "{what}");
    assert_eq!(*PEEKED.lock().unwrap(), [4]);
    assert_eq!(live(), base, "{what}: lend dropped every counter it made");
}
