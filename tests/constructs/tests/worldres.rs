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

mod worldres_common;

use plugport::isolation::{Mode, Options};
use plugport_constructs_tests::worldres::Worldres;
use plugport_constructs_tests::WORLDRES_C;
use worldres_common::{exercise, live, Host, SERIAL};

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

#[test]
fn the_plugin_creates_borrows_returns_and_takes_host_counters() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for mode in modes() {
        let base = live();
        let p = load(mode);
        exercise(&p, &format!("C plugin, {mode:?}"));
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
