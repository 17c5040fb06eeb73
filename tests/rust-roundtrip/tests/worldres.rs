//! `test:worldres` (`tests/wit/accept/worldres.wit`) in one process: a Rust plugin uses a
//! resource declared at world level, which the Rust host implements (`docs/abi.md` §5,
//! "Resources declared at world level"): the plugin creates counters through the host's
//! constructor, calls their methods and the static `merge`, lends them to the host's bare
//! import `peek`, returns them (`make`, `wrap`, `open`) and takes them (`take`, `sum`),
//! also inside records, lists and options. Every counter is dropped exactly once, and a
//! handle the host did not create is refused while the own one passed with it is dropped.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use plugport::abi::{PpString, PP_OK};
use rust_roundtrip::worldres_host::imports::worldres::{self as wr, Counter};
use rust_roundtrip::worldres_host::{self as host, Slot};

/// Counters alive in this host.
static LIVE: AtomicU32 = AtomicU32::new(0);
/// One test at a time: they share LIVE.
static SERIAL: Mutex<()> = Mutex::new(());

struct Host;

struct HostCounter(AtomicU32);

impl HostCounter {
    fn make(v: u32) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        HostCounter(AtomicU32::new(v))
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
        self.0.load(Ordering::SeqCst)
    }
    fn add(&self, n: u32) -> u32 {
        self.0.fetch_add(n, Ordering::SeqCst) + n
    }
    fn merge(a: &Self, b: Self) -> Self {
        HostCounter::make(a.get() + b.get())
    }
}

use wr::HostCounter as _;

impl host::imports::Host for Host {
    fn peek(c: &Counter) -> u32 {
        c.get::<HostCounter>()
            .expect("a counter of this host")
            .get()
    }
    fn live() -> u32 {
        LIVE.load(Ordering::SeqCst)
    }
}

fn plugin() -> host::Worldres {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: §7 arguments; host and guest `ffi` mirror the same C types.
    let st = unsafe {
        rust_roundtrip::plugport_entry_test_worldres_v1_worldres(
            1,
            host::Worldres::imports_table::<Host>() as *const _ as *const _,
            &mut exports,
            &mut err,
        )
    };
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static exports table.
    unsafe { host::Worldres::from_raw_exports(exports.cast()) }
}

fn value(c: &Counter) -> u32 {
    c.get::<HostCounter>()
        .expect("a counter of this host")
        .get()
}

fn live() -> u32 {
    LIVE.load(Ordering::SeqCst)
}

#[test]
fn a_rust_plugin_uses_the_hosts_world_level_resource_and_everything_is_dropped() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = plugin();
    let c = p.make(41).unwrap();
    assert_eq!(value(&c), 41);
    assert_eq!(live(), 1);
    assert_eq!(p.look(&c).unwrap(), 41);
    assert_eq!(p.take(c).unwrap(), 41);
    assert_eq!(live(), 0, "the plugin dropped the counter it took");

    let items: Vec<Counter> = [1, 2, 3]
        .into_iter()
        .map(|v| Counter::new(HostCounter::make(v)))
        .collect();
    let kept = Counter::new(HostCounter::make(100));
    // SAFETY: `kept` outlives the call; the plugin only borrows the view.
    let views = [std::mem::ManuallyDrop::new(unsafe {
        Counter::from_raw(kept.as_raw()).expect("a handle")
    })];
    let extra = Some(Counter::new(HostCounter::make(1000)));
    assert_eq!(p.sum(items, &views, extra).unwrap(), 1106);
    assert_eq!(
        live(),
        1,
        "owned items and extra dropped, the borrowed one kept"
    );
    drop(kept);
    assert_eq!(live(), 0);

    let s = p.wrap("held", &Some(7)).unwrap();
    assert_eq!(
        (s.label.as_str(), s.item.as_ref().map(value)),
        ("held", Some(7))
    );
    let back = p.open(s).unwrap().expect("handed back");
    assert_eq!(value(&back), 7);
    let gone = p
        .open(Slot {
            label: "drop".into(),
            item: Some(back),
        })
        .unwrap();
    assert!(gone.is_none());
    assert_eq!(live(), 0, "the plugin dropped the slot's counter");

    assert_eq!(p.lend(4).unwrap(), 4 + 40 + 1);
    assert_eq!(live(), 0, "lend dropped every counter it made");
}

#[test]
fn a_handle_the_host_did_not_create_is_refused_and_the_own_one_still_dropped() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = plugin();
    let msg = p.forge().unwrap();
    assert!(
        msg.contains("counter") && msg.contains("not created by this implementation"),
        "{msg:?}"
    );
    assert_eq!(live(), 0);
}
