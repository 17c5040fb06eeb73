//! A resource declared at world level (issue 11, A.3; `docs/abi.md` §5, "Resources
//! declared at world level") between a real C plugin (`c/worldres.c`) and the generated
//! Rust host that implements it, across `dlopen` and, in the isolated mode, through
//! `plugport-runner` and the wire codec. The host implements `counter` (constructor,
//! methods, static `merge`, drop) in the world's resource table `worldres`; the plugin
//! creates counters through it, lends them to the host's `peek`, returns them to the
//! host and takes them from it, also inside records, lists and options. Every counter the
//! host makes is dropped exactly once (the host counts them alive), and a handle the host
//! did not create is refused with an error while the own handle passed with it is still
//! dropped.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use plugport::isolation::{Mode, Options};
use plugport_constructs_tests::worldres::imports::worldres::{self as wr, Counter};
use plugport_constructs_tests::worldres::{self as host, Slot, Worldres};
use plugport_constructs_tests::WORLDRES_C;

/// Counters alive in this host.
static LIVE: AtomicU32 = AtomicU32::new(0);
/// The values the host's `peek` saw.
static PEEKED: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// One test at a time: they share LIVE.
static SERIAL: Mutex<()> = Mutex::new(());

struct Host;

/// The host's counter.
struct HostCounter(AtomicU32);

impl HostCounter {
    fn make(v: u32) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        HostCounter(AtomicU32::new(v))
    }
    fn value(&self) -> u32 {
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

fn live() -> u32 {
    LIVE.load(Ordering::SeqCst)
}

fn modes() -> Vec<Mode> {
    // PLUGPORT_ISOLATION overrides the option: both runs would be the same mode.
    if std::env::var_os("PLUGPORT_ISOLATION").is_some() {
        vec![Mode::InProcess]
    } else {
        vec![Mode::InProcess, Mode::Process]
    }
}

fn load(mode: Mode) -> Worldres {
    let p = Worldres::load_with_options::<Host>(
        WORLDRES_C,
        Options {
            mode,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{mode:?}: the C plugin loads: {e}"));
    let isolated = p.plugin().expect("a loaded plugin").isolated().is_some();
    assert_eq!(isolated, mode == Mode::Process, "{mode:?}");
    p
}

/// The value of a counter of this host.
fn value(c: &Counter) -> u32 {
    c.get::<HostCounter>()
        .expect("a counter of this host")
        .value()
}

#[test]
fn the_plugin_creates_borrows_returns_and_takes_host_counters() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mode in modes() {
        let base = live();
        let p = load(mode);

        // Made by the plugin through the host's constructor, returned as own.
        let c = p.make(41).unwrap();
        assert_eq!(value(&c), 41, "{mode:?}");
        assert_eq!(live(), base + 1);
        // Borrowed by the plugin, which calls its methods through the vtable.
        assert_eq!(p.look(&c).unwrap(), 41);
        // Taken by the plugin: it reads and drops it.
        assert_eq!(p.take(c).unwrap(), 41);
        assert_eq!(
            live(),
            base,
            "{mode:?}: the plugin dropped the counter it took"
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
        assert_eq!(p.sum(items, &views, extra).unwrap(), 1106, "{mode:?}");
        assert_eq!(live(), base + 1, "{mode:?}: owned items and extra dropped");
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
            "{mode:?}: the plugin dropped the slot's counter"
        );
        let empty = p.wrap("", &None).unwrap();
        assert!(empty.label.is_empty() && empty.item.is_none());

        // Constructor, borrow to the host's bare import, static merge, method; all dropped.
        PEEKED.lock().unwrap().clear();
        assert_eq!(p.lend(4).unwrap(), 4 + 40 + 1, "{mode:?}");
        assert_eq!(*PEEKED.lock().unwrap(), [4]);
        assert_eq!(live(), base, "{mode:?}: lend dropped every counter it made");

        drop(p);
        assert_eq!(live(), base, "{mode:?}");
    }
}

#[test]
fn a_handle_the_host_did_not_create_is_refused_and_the_own_one_still_dropped() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mode in modes() {
        let base = live();
        let p = load(mode);
        let msg = p.forge().unwrap();
        assert!(
            msg.contains("counter") && msg.contains("not created by this implementation"),
            "{mode:?}: {msg:?}"
        );
        assert_eq!(
            live(),
            base,
            "{mode:?}: the own `b` of the refused call was dropped by the host"
        );
    }
}

#[test]
fn the_descriptor_places_the_resource_table_first_among_the_imports() {
    let p = Worldres::load::<Host>(WORLDRES_C).expect("loads");
    let world = &p.descriptor().world;
    let names: Vec<&str> = world.imports.iter().map(|i| i.name()).collect();
    assert_eq!(names, ["worldres", "peek", "live"]);
    let plugport::ir::WorldItem::Interface(table) = &world.imports[0] else {
        panic!("{:?}", world.imports[0])
    };
    assert_eq!(table.functions.len(), 4);
    assert_eq!(
        world.ty(table.types[0]).interface.as_deref(),
        Some("worldres")
    );
}

/// A host of 1.1, whose world-level resource has a method and a static appended, loads
/// the C plugin of 1.0 (append-only evolution, `docs/abi.md` §5 and §9): the plugin's
/// calls reach the host's 1.1 table and vtable, and never look past what 1.0 knows.
#[test]
fn a_host_of_a_later_minor_version_loads_the_plugin_of_1_0() {
    use plugport_constructs_tests::worldres11::imports::worldres as wr11;
    use plugport_constructs_tests::worldres11::{self as host11, Worldres};

    struct Host11;
    struct Counter11(u32);
    impl wr11::Host for Host11 {
        type Counter = Counter11;
    }
    impl wr11::HostCounter for Counter11 {
        fn new(start: u32) -> Self {
            Counter11(start)
        }
        fn get(&self) -> u32 {
            self.0
        }
        fn add(&self, n: u32) -> u32 {
            self.0 + n
        }
        fn merge(a: &Self, b: Self) -> Self {
            Counter11(a.0 + b.0)
        }
        fn double(&self) -> u32 {
            self.0 * 2
        }
        fn zero() -> Self {
            Counter11(0)
        }
    }
    impl host11::imports::Host for Host11 {
        fn peek(c: &wr11::Counter) -> u32 {
            c.get::<Counter11>().map_or(0, |c| c.0)
        }
        fn live() -> u32 {
            0
        }
    }

    let p = Worldres::load::<Host11>(WORLDRES_C).expect("a host of 1.1 loads a plugin of 1.0");
    assert_eq!(
        p.descriptor().world.package.version.as_deref(),
        Some("1.0.0")
    );
    let c = p.make(20).unwrap();
    assert_eq!(c.get::<Counter11>().map(|c| c.0), Some(20));
    assert_eq!(p.take(c).unwrap(), 20);
    assert_eq!(p.lend(2).unwrap(), 2 + 20 + 1);
}
