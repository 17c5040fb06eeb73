//! The Rust host releases every *successful* owned result through the callee table's
//! `dealloc`, exactly once per allocation (`docs/abi.md` §6), for every kind of owned
//! result of `test:typecov`: string, list, list of strings, option, result, tuple,
//! record, variant, a list alias, nesting of all of these, and a bare world function.
//!
//! A host that never released successful results passed every other test (issue 11 E.1):
//! the RSS bound could not see 10,000 small leaks. Here the guest's real tables are
//! copied with a counting `dealloc` that forwards to the guest's own, and each call
//! checks how many buffers were released once its result is dropped (a result that
//! holds the callee's allocation, instead of copying it, releases it on drop).
//!
//! The only test of this binary, so that no other call moves the counter.

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use plugport::abi::{PpDeallocFn, PP_OK};
use rust_roundtrip::typecov_guest::ffi as gffi;
use rust_roundtrip::typecov_host::exports::types::{Failure, Person, Point, Shape};
use rust_roundtrip::typecov_host::{self as host, ffi as hffi};

static RELEASED: AtomicUsize = AtomicUsize::new(0);
static RELEASED_BYTES: AtomicUsize = AtomicUsize::new(0);
static GUEST_DEALLOC: std::sync::OnceLock<PpDeallocFn> = std::sync::OnceLock::new();

unsafe extern "C" fn counting_dealloc(ptr: *mut c_void, size: usize, align: usize) {
    RELEASED.fetch_add(1, Ordering::SeqCst);
    RELEASED_BYTES.fetch_add(size, Ordering::SeqCst);
    let dealloc = GUEST_DEALLOC.get().expect("the guest's dealloc");
    // SAFETY: forwarded to the allocator of the guest that made the buffer.
    unsafe { dealloc(ptr, size, align) }
}

/// The guest's exports, with `counting_dealloc` in the world's and every interface's
/// table header.
fn counted_plugin() -> host::Typecov {
    let mut exports = std::ptr::null();
    let mut err = plugport::abi::PpString::EMPTY;
    // SAFETY: the entry's arguments of §7 (host and guest `ffi` are the same C types).
    let st = unsafe {
        rust_roundtrip::plugport_entry_test_typecov_v1_typecov(
            1,
            (host::Typecov::imports_table() as *const hffi::test_typecov_v1_typecov_imports).cast(),
            &mut exports,
            &mut err,
        )
    };
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static tables; copied, never written.
    let (mut world, mut echo, mut store) = unsafe {
        let w: gffi::test_typecov_v1_typecov_exports = *exports;
        (w, *w.echo, *w.store)
    };
    let guest = echo
        .header
        .dealloc
        .expect("the guest's tables have a dealloc");
    assert_eq!(
        world.header.dealloc.map(|f| f as usize),
        Some(guest as usize)
    );
    GUEST_DEALLOC.get_or_init(|| guest);
    echo.header.dealloc = Some(counting_dealloc);
    store.header.dealloc = Some(counting_dealloc);
    world.header.dealloc = Some(counting_dealloc);
    world.echo = Box::leak(Box::new(echo));
    world.store = Box::leak(Box::new(store));
    let world: &'static gffi::test_typecov_v1_typecov_exports = Box::leak(Box::new(world));
    // SAFETY: valid tables that live forever; same C layouts on both sides.
    unsafe {
        host::Typecov::from_raw_exports(
            world as *const gffi::test_typecov_v1_typecov_exports
                as *const hffi::test_typecov_v1_typecov_exports,
        )
    }
}

/// Runs `call` (which checks and drops its result) and asserts that it released
/// `buffers` buffers of `bytes` bytes in all.
fn released(what: &str, buffers: usize, bytes: usize, call: impl FnOnce()) {
    let (n0, b0) = (
        RELEASED.load(Ordering::SeqCst),
        RELEASED_BYTES.load(Ordering::SeqCst),
    );
    call();
    let n = RELEASED.load(Ordering::SeqCst) - n0;
    let b = RELEASED_BYTES.load(Ordering::SeqCst) - b0;
    assert_eq!(
        (n, b),
        (buffers, bytes),
        "{what}: released {n} buffers of {b} bytes, expected {buffers} of {bytes}"
    );
}

#[test]
fn every_successful_owned_result_is_released_once_per_buffer() {
    let p = counted_plugin();
    let e = p.echo();
    let point = std::mem::size_of::<hffi::test_typecov_v1_types_point>();
    let pp_string = std::mem::size_of::<plugport::abi::PpString>();
    let person_size = std::mem::size_of::<hffi::test_typecov_v1_types_person>();

    // Nothing owned: nothing released.
    released("u32", 0, 0, || assert_eq!(e.echo_u32(7).unwrap(), 7));
    released("empty string", 0, 0, || {
        assert_eq!(e.echo_string("").unwrap(), "")
    });
    released("result ok(u32)", 0, 0, || {
        assert_eq!(e.echo_result(&Ok(3)).unwrap(), Ok(3))
    });

    released("string", 1, 6, || {
        assert_eq!(e.echo_string("héllo").unwrap().len(), 6)
    });
    released("list<u8>", 1, 300, || {
        assert_eq!(e.echo_bytes(&[9; 300]).unwrap(), vec![9u8; 300])
    });
    let strings = vec!["a".to_string(), "bc".into(), "".into()];
    // Two non-empty strings and the list buffer of three elements.
    released("list<string>", 3, 1 + 2 + 3 * pp_string, || {
        assert_eq!(e.echo_strings(&strings).unwrap(), strings)
    });
    released("option<string>", 1, 3, || {
        assert_eq!(
            e.echo_option(&Some("xyz".into())).unwrap().as_deref(),
            Some("xyz")
        )
    });
    released("result<u32, string> err", 1, 4, || {
        assert_eq!(
            e.echo_result(&Err("oops".into())).unwrap(),
            Err("oops".into())
        )
    });
    released("result<_, failure> err(message)", 1, 2, || {
        assert_eq!(
            e.echo_result_unit(&Err(Failure::Message("no".into())))
                .unwrap(),
            Err(Failure::Message("no".into()))
        )
    });
    released("tuple", 1, 3, || {
        assert_eq!(e.echo_tuple(&(1, "tup".into(), 2.5)).unwrap().1, "tup")
    });
    released("variant named(string)", 1, 4, || {
        assert_eq!(
            e.echo_shape(&Shape::Named("name".into())).unwrap(),
            Shape::Named("name".into())
        )
    });
    let points: Vec<Point> = (0..10).map(|i| Point { x: i, y: i }).collect();
    released("list alias of records", 1, 10 * point, || {
        assert_eq!(e.echo_points(&points).unwrap(), points)
    });
    let person = Person {
        name: "Zoë".into(),
        age: 3,
        tags: vec!["t1".into(), "tag2".into()],
        home: Some(Point { x: 1, y: 2 }),
    };
    // The name, the two tags and the tags' list buffer.
    let person_buffers = (4, 4 + 2 + 4 + 2 * pp_string);
    released("record", person_buffers.0, person_buffers.1, || {
        assert_eq!(e.echo_person(&person).unwrap(), person)
    });
    let nested = Some(Ok(vec![person.clone(), person.clone()]));
    released(
        "option<result<list<person>, shape>>",
        2 * person_buffers.0 + 1,
        2 * person_buffers.1 + 2 * person_size,
        || assert_eq!(e.echo_nested(&nested).unwrap(), nested),
    );
    // A bare world function: released through the world table's dealloc.
    released("world function", 1, "typecov-roundtrip 1.0".len(), || {
        assert_eq!(p.version().unwrap(), "typecov-roundtrip 1.0")
    });
}
