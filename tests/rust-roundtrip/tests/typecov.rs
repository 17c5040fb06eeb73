//! `test:typecov` through the generated bindings, in one process: the host bindings call
//! the guest trampolines (exports table from the generated entry function).

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use plugport::abi::{
    rust_dealloc, PpString, PpTableHeader, PP_ERR_INIT, PP_ERR_INVALID_ARGUMENT, PP_OK,
};
use plugport::CallError;
use rust_roundtrip::typecov_guest::ffi as gffi;
use rust_roundtrip::typecov_host::exports::types::{
    Color, Failure, Perms, Person, Point, Shape, Wide,
};
use rust_roundtrip::typecov_host::{self as host, ffi as hffi};

/// Tests that create counters run one at a time (they check `live()`).
static RESOURCES: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    RESOURCES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Calls the guest's entry with ABI version `abi_version` and `imports`: status, exports
/// table, message.
fn entry_with(
    abi_version: u32,
    imports: *const hffi::test_typecov_v1_typecov_imports,
) -> (i32, *const gffi::test_typecov_v1_typecov_exports, PpString) {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: the arguments of §7 (host and guest `ffi` are the same C types).
    let st = unsafe {
        rust_roundtrip::plugport_entry_test_typecov_v1_typecov(
            abi_version,
            imports.cast(),
            &mut exports,
            &mut err,
        )
    };
    (st, exports, err)
}

/// Calls the guest's entry with ABI version `abi_version` and the host's (empty) imports
/// table: status, exports table, message.
fn entry(abi_version: u32) -> (i32, *const gffi::test_typecov_v1_typecov_exports, PpString) {
    entry_with(abi_version, host::Typecov::imports_table())
}

/// The guest's exports table, from its entry function.
fn guest_exports() -> *const gffi::test_typecov_v1_typecov_exports {
    let (st, exports, _) = entry(1);
    assert_eq!(st, PP_OK);
    assert!(!exports.is_null());
    exports
}

/// The plugin as the host sees it.
fn plugin() -> host::Typecov {
    // SAFETY: a valid exports table with static lifetime; the layouts of the guest and
    // host `ffi` mirrors are the same C types.
    unsafe { host::Typecov::from_raw_exports(guest_exports() as *const _) }
}

/// The guest's echo table (for feeding it raw, invalid values).
fn echo_table() -> &'static gffi::test_typecov_v1_echo_table {
    // SAFETY: static tables of the guest.
    unsafe { &*(*guest_exports()).echo }
}

fn store_table() -> &'static gffi::test_typecov_v1_store_table {
    // SAFETY: as above.
    unsafe { &*(*guest_exports()).store }
}

/// A table of type `T` (which starts with a header) with every slot absent.
fn blank_table<T>(size: usize) -> T {
    let mut t = std::mem::MaybeUninit::<T>::zeroed();
    // SAFETY: every table starts with its header; all other fields (optional function
    // pointers, raw pointers) are valid when zero.
    unsafe {
        (t.as_mut_ptr() as *mut PpTableHeader).write(PpTableHeader {
            size: size as u32,
            version: 1 << 16,
            dealloc: Some(counting_dealloc),
        });
        t.assume_init()
    }
}

/// Takes an owned error message written by a Rust callee.
fn take_err(err: PpString) -> String {
    // SAFETY: allocated by the guest with the global allocator.
    unsafe {
        let s = plugport::rt::lift_string(err).expect("UTF-8 message");
        plugport::rt::release_string(&err, Some(rust_dealloc));
        s
    }
}

#[test]
fn scalars_round_trip_with_edge_values() {
    let p = plugin();
    let e = p.echo();
    for v in [false, true] {
        assert_eq!(e.echo_bool(v).unwrap(), v);
    }
    for v in [i8::MIN, -1, 0, i8::MAX] {
        assert_eq!(e.echo_s8(v).unwrap(), v);
    }
    for v in [i16::MIN, i16::MAX] {
        assert_eq!(e.echo_s16(v).unwrap(), v);
    }
    for v in [i32::MIN, i32::MAX] {
        assert_eq!(e.echo_s32(v).unwrap(), v);
    }
    for v in [i64::MIN, i64::MAX] {
        assert_eq!(e.echo_s64(v).unwrap(), v);
    }
    for v in [0, u8::MAX] {
        assert_eq!(e.echo_u8(v).unwrap(), v);
    }
    assert_eq!(e.echo_u16(u16::MAX).unwrap(), u16::MAX);
    assert_eq!(e.echo_u32(u32::MAX).unwrap(), u32::MAX);
    assert_eq!(e.echo_u64(u64::MAX).unwrap(), u64::MAX);
    for bits in [
        0x7fc0_0001u32,
        0xffc0_0000,
        0x8000_0000,
        0x7f80_0000,
        0x0000_0001,
    ] {
        let v = f32::from_bits(bits);
        assert_eq!(e.echo_f32(v).unwrap().to_bits(), bits, "f32 {bits:#x}");
    }
    for bits in [
        0x7ff8_0000_0000_0001u64,
        0x8000_0000_0000_0000,
        0xfff0_0000_0000_0000,
        f64::MIN_POSITIVE.to_bits(),
    ] {
        let v = f64::from_bits(bits);
        assert_eq!(e.echo_f64(v).unwrap().to_bits(), bits, "f64 {bits:#x}");
    }
    for c in [
        '\0',
        'a',
        'é',
        '€',
        '😀',
        '\u{10FFFF}',
        '\u{D7FF}',
        '\u{E000}',
    ] {
        assert_eq!(e.echo_char(c).unwrap(), c);
    }
}

#[test]
fn strings_and_lists_round_trip() {
    let p = plugin();
    let e = p.echo();
    for s in [
        "",
        "a",
        "héllo wörld",
        "日本語 😀 \u{10FFFF}",
        "\0inner\0nul",
    ] {
        assert_eq!(e.echo_string(s).unwrap(), s);
    }
    let big = "ü€😀x".repeat(300_000);
    assert_eq!(e.echo_string(&big).unwrap(), big);
    assert_eq!(e.echo_bytes(&[]).unwrap(), Vec::<u8>::new());
    let bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(e.echo_bytes(&bytes).unwrap(), bytes);
    let large: Vec<u8> = (0..4 << 20).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(e.echo_bytes(&large).unwrap(), large);
    assert_eq!(e.echo_strings(&[]).unwrap(), Vec::<String>::new());
    let strings: Vec<String> = vec!["".into(), "a".into(), "ü".into(), "😀😀".into()];
    assert_eq!(e.echo_strings(&strings).unwrap(), strings);
    let many: Vec<String> = (0..5000).map(|i| format!("s{i}")).collect();
    assert_eq!(e.echo_strings(&many).unwrap(), many);
    assert_eq!(e.echo_points(&[]).unwrap(), vec![]);
    let points: Vec<Point> = (0..1000).map(|i| Point { x: i, y: -i }).collect();
    assert_eq!(e.echo_points(&points).unwrap(), points);
}

#[test]
fn compound_types_round_trip() {
    let p = plugin();
    let e = p.echo();
    for v in [None, Some(String::new()), Some("ö".to_string())] {
        assert_eq!(e.echo_option(&v).unwrap(), v);
    }
    for v in [Ok(u32::MAX), Err(String::new()), Err("nö".into())] {
        assert_eq!(e.echo_result(&v).unwrap(), v);
    }
    for v in [
        Ok(()),
        Err(Failure::Code(7)),
        Err(Failure::Message("bad ✗".into())),
    ] {
        assert_eq!(e.echo_result_unit(&v).unwrap(), v);
    }
    let t = (255u8, "tüple".to_string(), -0.0f64);
    let back = e.echo_tuple(&t).unwrap();
    assert_eq!((back.0, &back.1), (t.0, &t.1));
    assert_eq!(back.2.to_bits(), (-0.0f64).to_bits());
    let pt = Point {
        x: i32::MIN,
        y: i32::MAX,
    };
    assert_eq!(e.echo_point(&pt).unwrap(), pt);
    let people = [
        Person {
            name: String::new(),
            age: 0,
            tags: vec![],
            home: None,
        },
        Person {
            name: "Zoë".into(),
            age: 255,
            tags: vec!["a".into(), "".into(), "ß".into()],
            home: Some(Point { x: 1, y: 2 }),
        },
    ];
    for person in &people {
        assert_eq!(&e.echo_person(person).unwrap(), person);
    }
    for c in [Color::Red, Color::Green, Color::Blue] {
        assert_eq!(e.echo_color(c).unwrap(), c);
    }
    for f in [
        Perms::empty(),
        Perms::READ,
        Perms::WRITE | Perms::EXEC,
        Perms::all(),
    ] {
        assert_eq!(e.echo_perms(f).unwrap(), f);
    }
    assert_eq!(
        format!("{:?}", Perms::READ | Perms::EXEC),
        "Perms(READ | EXEC)"
    );
    assert_eq!(Perms::from_bits(0x8), None);
    for f in [Wide::empty(), Wide::F0 | Wide::F31, Wide::all()] {
        assert_eq!(e.echo_wide(f).unwrap(), f);
    }
    assert_eq!(Wide::all().bits(), u32::MAX);
    for s in [
        Shape::Circle(f64::NAN),
        Shape::Circle(-0.0),
        Shape::Rect(Point { x: -1, y: 1 }),
        Shape::Empty,
        Shape::Named("ñame".into()),
        Shape::Named(String::new()),
    ] {
        let back = e.echo_shape(&s).unwrap();
        match (&s, &back) {
            (Shape::Circle(a), Shape::Circle(b)) => assert_eq!(a.to_bits(), b.to_bits()),
            _ => assert_eq!(back, s),
        }
    }
    let nested = [
        None,
        Some(Ok(vec![])),
        Some(Ok(people.to_vec())),
        Some(Err(Shape::Empty)),
        Some(Err(Shape::Named("inner".into()))),
    ];
    for n in &nested {
        assert_eq!(&e.echo_nested(n).unwrap(), n);
    }
}

#[test]
fn sink_receives_several_parameters_and_bare_function_works() {
    let p = plugin();
    p.echo().sink(9, "sünk", &[1, u64::MAX, 0]).unwrap();
    let got = rust_roundtrip::SINK.lock().unwrap().clone();
    assert_eq!(got, Some((9, "sünk".to_string(), vec![1, u64::MAX, 0])));
    assert_eq!(p.version().unwrap(), "typecov-roundtrip 1.0");
    assert!(p.has_version());
    assert!(p.echo().has_boom() && p.store().has_live());
}

#[test]
fn a_panic_is_an_error_and_the_next_call_works() {
    let p = plugin();
    let e = p.echo();
    match e.boom("kaboom 💥") {
        Err(CallError::Panic(m)) => assert_eq!(m, "kaboom 💥"),
        other => panic!("expected a panic error, got {other:?}"),
    }
    assert_eq!(e.echo_string("after").unwrap(), "after");
    assert!(matches!(e.boom(""), Err(CallError::Panic(_))));
    assert_eq!(e.echo_u8(3).unwrap(), 3);
}

#[test]
fn resources_are_created_borrowed_moved_and_dropped() {
    let _g = lock();
    let p = plugin();
    let s = p.store();
    let base = s.live().unwrap();
    let c = s.counter_new(40).unwrap();
    assert_eq!(s.live().unwrap(), base + 1);
    assert_eq!(c.add(2).unwrap(), 42);
    assert_eq!(c.get().unwrap(), 42);
    assert!(c.has_add() && c.has_get());
    assert_eq!(s.peek(&c).unwrap(), 42);
    assert_eq!(s.peek(&c).unwrap(), 42, "borrowing keeps it alive");
    assert_eq!(s.live().unwrap(), base + 1);
    assert_eq!(s.consume(c).unwrap(), 42);
    assert_eq!(
        s.live().unwrap(),
        base,
        "consume took ownership and dropped it"
    );
    let z = s.counter_zero().unwrap();
    assert_eq!(z.get().unwrap(), 0);
    let many: Vec<_> = (0..100).map(|i| s.counter_new(i).unwrap()).collect();
    assert_eq!(s.live().unwrap(), base + 101);
    drop(many);
    drop(z);
    assert_eq!(s.live().unwrap(), base);
    assert!(format!("{:?}", s.counter_new(1).unwrap()).starts_with("Counter"));
    assert_eq!(s.live().unwrap(), base);
}

#[test]
fn guest_side_wrappers_hold_implementations() {
    use rust_roundtrip::typecov_guest::exports::store::Counter as GuestCounterHandle;
    let _g = lock();
    let base = rust_roundtrip::LIVE.load(Ordering::SeqCst);
    // SAFETY: `Counter::make` is the only way to make a counter.
    let w = GuestCounterHandle::new(counter(5));
    assert_eq!(
        w.get::<rust_roundtrip::Counter>().map(counter_value),
        Some(5)
    );
    // The host can call it through the raw handle: same C type on both sides.
    let raw = w.into_raw();
    // SAFETY: an owned handle of a live guest object.
    let h = unsafe {
        rust_roundtrip::typecov_host::exports::store::Counter::from_raw(std::mem::transmute::<
            gffi::test_typecov_v1_store_counter,
            hffi::test_typecov_v1_store_counter,
        >(raw))
    }
    .expect("non-null handle");
    assert_eq!(h.add(1).unwrap(), 6);
    let p = plugin();
    assert_eq!(p.store().consume(h).unwrap(), 6);
    assert_eq!(rust_roundtrip::LIVE.load(Ordering::SeqCst), base);
    let w = GuestCounterHandle::new(counter(9));
    let inner = w.into_inner::<rust_roundtrip::Counter>().ok().unwrap();
    assert_eq!(counter_value(&inner), 9);
    drop(inner);
    assert_eq!(rust_roundtrip::LIVE.load(Ordering::SeqCst), base);
}

fn counter(v: i64) -> rust_roundtrip::Counter {
    <rust_roundtrip::Counter as rust_roundtrip::typecov_guest::exports::store::GuestCounter>::new(v)
}

fn counter_value(c: &rust_roundtrip::Counter) -> i64 {
    <rust_roundtrip::Counter as rust_roundtrip::typecov_guest::exports::store::GuestCounter>::get(c)
}

#[test]
fn calls_from_many_threads() {
    let _g = lock();
    let p = plugin();
    let c = p.store().counter_new(0).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (p, c) = (&p, &c);
            scope.spawn(move || {
                for i in 0..500 {
                    let s = format!("thread {t} call {i} ✓");
                    assert_eq!(p.echo().echo_string(&s).unwrap(), s);
                    c.add(1).unwrap();
                }
            });
        }
    });
    assert_eq!(c.get().unwrap(), 2000);
}

// ---- the callee validates what it receives (abi.md §1.5) -------------------------------

/// Calls a guest slot with one raw argument and a `ret` of type `R`; returns the status
/// and the error message.
fn raw_call<A, R>(
    slot: Option<unsafe extern "C" fn(A, *mut R, *mut PpString) -> i32>,
    arg: A,
) -> (i32, String) {
    let mut ret = std::mem::MaybeUninit::<R>::uninit();
    let mut err = PpString::EMPTY;
    // SAFETY: a trampoline of the guest with a valid `ret` and `err`.
    let st = unsafe { slot.unwrap()(arg, ret.as_mut_ptr(), &mut err) };
    assert_ne!(st, PP_OK, "the callee accepted an invalid argument");
    (st, take_err(err))
}

#[test]
fn invalid_arguments_are_rejected_with_a_message() {
    let t = echo_table();
    let bad = [b'o', b'k', 0xC3, 0x28];
    let (st, m) = raw_call(
        t.echo_string,
        PpString {
            ptr: bad.as_ptr(),
            len: bad.len(),
        },
    );
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("`v`") && m.contains("UTF-8"), "{m}");
    let (st, m) = raw_call(t.echo_bool, 2u8);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("echo.echo-bool") && m.contains("bool"), "{m}");
    for c in [0xD800u32, 0xDFFF, 0x11_0000, u32::MAX] {
        let (st, m) = raw_call(t.echo_char, c);
        assert_eq!(st, PP_ERR_INVALID_ARGUMENT, "{c:#x}");
        assert!(m.contains("scalar"), "{m}");
    }
    let (st, m) = raw_call(t.echo_color, 3u8);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("enum `color`"), "{m}");
    let (st, m) = raw_call(t.echo_perms, 0x8u8);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("unknown bits 0x8"), "{m}");
    let (st, _) = raw_call(t.echo_perms, 0xFFu8);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    let (st, m) = raw_call(
        t.echo_bytes,
        gffi::test_typecov_v1_list_u8 {
            ptr: std::ptr::null(),
            len: 4,
        },
    );
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("null pointer"), "{m}");
    let (st, m) = raw_call(
        t.echo_option,
        gffi::test_typecov_v1_option_string {
            is_some: 2,
            val: PpString::EMPTY,
        },
    );
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("discriminant"), "{m}");
    // SAFETY: zeroed is a valid bit pattern for these plain C structs.
    let mut shape: gffi::test_typecov_v1_types_shape = unsafe { std::mem::zeroed() };
    shape.tag = 4;
    let (st, m) = raw_call(t.echo_shape, shape);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("variant `shape`"), "{m}");
    // A nested invalid string: person.tags[1].
    let tags = [
        PpString::borrowed("fine"),
        PpString {
            ptr: bad.as_ptr(),
            len: bad.len(),
        },
    ];
    // SAFETY: as above.
    let mut person: gffi::test_typecov_v1_types_person = unsafe { std::mem::zeroed() };
    person.name = PpString::borrowed("x");
    person.tags = gffi::test_typecov_v1_list_string {
        ptr: tags.as_ptr(),
        len: 2,
    };
    let (st, m) = raw_call(t.echo_person, person);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("field `tags`: [1]: invalid UTF-8"), "{m}");
    // A length that fits the C elements (16 bytes) but not the native ones (24): the
    // lift must not reserve it up front (a "capacity overflow" panic); the first element
    // is rejected before any other is read.
    let first = [PpString {
        ptr: bad.as_ptr(),
        len: bad.len(),
    }];
    let (st, m) = raw_call(
        t.echo_strings,
        gffi::test_typecov_v1_list_string {
            ptr: first.as_ptr(),
            len: isize::MAX as usize / std::mem::size_of::<PpString>(),
        },
    );
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT, "{m}");
    assert!(m.contains("[0]: invalid UTF-8"), "{m}");
    // A null `ret` pointer.
    let mut err = PpString::EMPTY;
    // SAFETY: the trampoline checks `ret` before writing.
    let st = unsafe { t.echo_u8.unwrap()(1, std::ptr::null_mut(), &mut err) };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(take_err(err).contains("ret"));
}

/// A foreign vtable whose `drop` counts calls.
static FOREIGN_DROPS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn foreign_drop(_: *mut c_void) {
    FOREIGN_DROPS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn null_and_foreign_handles_are_rejected() {
    let _g = lock();
    let t = store_table();
    let null = gffi::test_typecov_v1_store_counter {
        self_: std::ptr::null_mut(),
        vtable: std::ptr::null(),
    };
    let (st, m) = raw_call(t.peek, null);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("null handle"), "{m}");
    let (st, _) = raw_call(t.consume, null);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    let mut vt: gffi::test_typecov_v1_store_counter_vtable = blank_table(std::mem::size_of::<
        gffi::test_typecov_v1_store_counter_vtable,
    >());
    vt.drop = Some(foreign_drop);
    let mut dummy = 0u8;
    let foreign = gffi::test_typecov_v1_store_counter {
        self_: (&mut dummy as *mut u8).cast(),
        vtable: &vt,
    };
    let (st, m) = raw_call(t.peek, foreign);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(m.contains("not created by this implementation"), "{m}");
    assert_eq!(
        FOREIGN_DROPS.load(Ordering::SeqCst),
        0,
        "a borrow is not dropped"
    );
    let (st, _) = raw_call(t.consume, foreign);
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert_eq!(
        FOREIGN_DROPS.load(Ordering::SeqCst),
        1,
        "an owned foreign handle is dropped exactly once"
    );
    // A method called with a null self.
    let p = plugin();
    let c = p.store().counter_new(1).unwrap();
    let raw = c.as_raw();
    // SAFETY: the vtable of a live handle.
    let vt = unsafe { &*raw.vtable };
    let mut ret = 0i64;
    let mut err = PpString::EMPTY;
    // SAFETY: the trampoline checks `self`.
    let st = unsafe { vt.get.unwrap()(std::ptr::null_mut(), &mut ret, &mut err) };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    assert!(take_err(err).contains("null `self`"));
}

#[test]
fn entry_refuses_a_wrong_abi_version() {
    let (st, exports, err) = entry(2);
    assert_eq!(st, PP_ERR_INIT);
    assert!(exports.is_null());
    // SAFETY: a static message (not owned: never released).
    let msg = unsafe { plugport::rt::lift_str(err) }.unwrap();
    assert!(msg.contains("ABI version"), "{msg}");
}

#[test]
fn entry_refuses_null_imports_also_without_imports() {
    // A host passes a table even when the world has no imports (§7).
    let (st, exports, err) = entry_with(1, std::ptr::null());
    assert_eq!(st, PP_ERR_INIT);
    assert!(exports.is_null());
    // SAFETY: a static message (not owned: never released).
    let msg = unsafe { plugport::rt::lift_str(err) }.unwrap();
    assert!(msg.contains("no imports table"), "{msg}");
    let (st, exports, _) = entry(1);
    assert_eq!(st, PP_OK);
    assert!(!exports.is_null());
}

#[test]
fn descriptor_blob_matches_the_world() {
    let blob = &rust_roundtrip::plugport_descriptor_test_typecov_v1_typecov.bytes;
    let d = plugport::descriptor::parse_blob(blob, cfg!(target_endian = "little"))
        .expect("the blob parses");
    assert_eq!(d.plugin_name, "typecov-roundtrip");
    assert_eq!(d.plugin_version, "1.2.3");
    assert_eq!(d.world.name, "typecov");
    let (fingerprint, _) =
        plugport::descriptor::parse_world_json(rust_roundtrip::typecov_guest::WORLD_JSON).unwrap();
    assert_eq!(d.fingerprint, fingerprint);
    assert_eq!(
        rust_roundtrip::typecov_guest::WORLD_JSON,
        rust_roundtrip::typecov_host::WORLD_JSON
    );
    let p = plugin();
    assert_eq!(p.descriptor().world.name, "typecov");
    assert!(p.plugin().is_none());
}

// ---- the caller validates results and handles older tables (abi.md §5) -----------------

static DEALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn counting_dealloc(ptr: *mut c_void, size: usize, align: usize) {
    DEALLOCS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: forwarded.
    unsafe { rust_dealloc(ptr, size, align) }
}

/// Returns an owned string that is not UTF-8.
unsafe extern "C" fn bad_echo_string(_v: PpString, ret: *mut PpString, _err: *mut PpString) -> i32 {
    let (ptr, len) = plugport::rt::alloc_vec(vec![0xFFu8, 0xFE]);
    // SAFETY: valid `ret`.
    unsafe { ret.write(PpString { ptr, len }) };
    PP_OK
}

/// Returns an out-of-range enum tag.
unsafe extern "C" fn bad_echo_color(_v: u8, ret: *mut u8, _err: *mut PpString) -> i32 {
    // SAFETY: valid `ret`.
    unsafe { ret.write(9) };
    PP_OK
}

/// Returns a list of strings whose second element is not UTF-8.
unsafe extern "C" fn bad_echo_strings(
    _v: hffi::test_typecov_v1_list_string,
    ret: *mut hffi::test_typecov_v1_list_string,
    _err: *mut PpString,
) -> i32 {
    let good = plugport::rt::alloc_string("good".into());
    let (p, n) = plugport::rt::alloc_vec(vec![0xC0u8]);
    let (ptr, len) = plugport::rt::alloc_vec(vec![good, PpString { ptr: p, len: n }]);
    // SAFETY: valid `ret`.
    unsafe { ret.write(hffi::test_typecov_v1_list_string { ptr, len }) };
    PP_OK
}

/// Fails with a status other than the three a callee may return.
unsafe extern "C" fn odd_status(_v: u8, _ret: *mut u8, err: *mut PpString) -> i32 {
    // SAFETY: valid `err`.
    unsafe { err.write(plugport::rt::alloc_string("odd".into())) };
    42
}

fn fake_echo_table() -> hffi::test_typecov_v1_echo_table {
    let mut t: hffi::test_typecov_v1_echo_table =
        blank_table(std::mem::size_of::<hffi::test_typecov_v1_echo_table>());
    t.echo_string = Some(bad_echo_string);
    t.echo_color = Some(bad_echo_color);
    t.echo_strings = Some(bad_echo_strings);
    t.echo_u8 = Some(odd_status);
    t
}

#[test]
fn invalid_results_are_reported_and_still_released() {
    let table = Box::leak(Box::new(fake_echo_table()));
    let mut exports: hffi::test_typecov_v1_typecov_exports =
        blank_table(std::mem::size_of::<hffi::test_typecov_v1_typecov_exports>());
    exports.echo = table;
    let exports = Box::leak(Box::new(exports));
    // SAFETY: a valid (fake) exports table that lives forever.
    let p = unsafe { host::Typecov::from_raw_exports(exports) };
    let before = DEALLOCS.load(Ordering::SeqCst);
    match p.echo().echo_string("x") {
        Err(CallError::InvalidResult(m)) => assert!(m.contains("echo.echo-string"), "{m}"),
        other => panic!("expected InvalidResult, got {other:?}"),
    }
    assert_eq!(
        DEALLOCS.load(Ordering::SeqCst),
        before + 1,
        "the bad string was released"
    );
    assert!(matches!(
        p.echo().echo_color(Color::Red),
        Err(CallError::InvalidResult(_))
    ));
    let before = DEALLOCS.load(Ordering::SeqCst);
    match p.echo().echo_strings(&[]) {
        Err(CallError::InvalidResult(m)) => assert!(m.contains("[1]"), "{m}"),
        other => panic!("expected InvalidResult, got {other:?}"),
    }
    assert_eq!(
        DEALLOCS.load(Ordering::SeqCst),
        before + 3,
        "both strings and the list were released"
    );
    match p.echo().echo_u8(1) {
        Err(CallError::Status { code: 42, message }) => assert_eq!(message, "odd"),
        other => panic!("expected Status, got {other:?}"),
    }
    // Absent slots, a missing interface, a missing bare function.
    assert_eq!(
        p.echo().echo_u16(1),
        Err(CallError::Unsupported {
            function: "echo.echo-u16"
        })
    );
    assert!(!p.echo().has_echo_u16());
    assert!(p.echo().has_echo_string());
    assert!(matches!(
        p.store().live(),
        Err(CallError::Unsupported { .. })
    ));
    assert!(!p.store().has_live());
    assert_eq!(
        p.version(),
        Err(CallError::Unsupported {
            function: "version"
        })
    );
}

/// Whether every `ret` the discriminant-only callees below received was all zero.
static RET_ZEROED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Records whether the `size_of::<T>()` bytes at `ret` are zero.
unsafe fn check_zeroed<T>(ret: *mut T) {
    let bytes = ret as *const u8;
    // SAFETY: the caller hands out a `ret` of `T` (zeroed, so initialised).
    let zero = (0..std::mem::size_of::<T>()).all(|i| unsafe { bytes.add(i).read_volatile() } == 0);
    if !zero {
        RET_ZEROED.store(false, Ordering::SeqCst);
    }
}

/// Like a conforming C callee (`decoder_pull` of the codec's C plugin): writes only the
/// discriminant of an empty option, leaving `val` as it was.
unsafe extern "C" fn none_only(
    _v: hffi::test_typecov_v1_option_string,
    ret: *mut hffi::test_typecov_v1_option_string,
    _err: *mut PpString,
) -> i32 {
    // SAFETY: a valid `ret`.
    unsafe {
        check_zeroed(ret);
        (ret as *mut u8).write(0);
    }
    PP_OK
}

/// Writes only the tag of `shape.empty`, a case without payload.
unsafe extern "C" fn tag_only(
    _v: hffi::test_typecov_v1_types_shape,
    ret: *mut hffi::test_typecov_v1_types_shape,
    _err: *mut PpString,
) -> i32 {
    // SAFETY: a valid `ret`.
    unsafe {
        check_zeroed(ret);
        (ret as *mut u8).write(2);
    }
    PP_OK
}

#[test]
fn a_callee_may_write_only_the_discriminant() {
    let mut t: hffi::test_typecov_v1_echo_table =
        blank_table(std::mem::size_of::<hffi::test_typecov_v1_echo_table>());
    t.echo_option = Some(none_only);
    t.echo_shape = Some(tag_only);
    let mut exports: hffi::test_typecov_v1_typecov_exports =
        blank_table(std::mem::size_of::<hffi::test_typecov_v1_typecov_exports>());
    exports.echo = Box::leak(Box::new(t));
    let exports = Box::leak(Box::new(exports));
    // SAFETY: a valid (fake) exports table that lives forever.
    let p = unsafe { host::Typecov::from_raw_exports(exports) };
    for _ in 0..3 {
        assert_eq!(p.echo().echo_option(&Some("x".into())).unwrap(), None);
        assert_eq!(
            p.echo().echo_shape(&Shape::Circle(1.0)).unwrap(),
            Shape::Empty
        );
    }
    assert!(
        RET_ZEROED.load(Ordering::SeqCst),
        "the caller's `ret` was not zeroed"
    );
}

#[test]
fn slots_beyond_an_older_tables_size_are_unsupported() {
    // The real guest table, but claiming to end before `boom` (an older minor version).
    let mut t = *echo_table();
    t.header.size = std::mem::offset_of!(gffi::test_typecov_v1_echo_table, boom) as u32;
    let t = Box::leak(Box::new(t));
    // SAFETY: copy of the real exports, pointing at the shortened table.
    let mut exports = unsafe { *guest_exports() };
    exports.echo = t;
    // Also claim the world table ends before `version`.
    exports.header.size =
        std::mem::offset_of!(gffi::test_typecov_v1_typecov_exports, version) as u32;
    let exports = Box::leak(Box::new(exports));
    // SAFETY: valid, static tables (identical C layouts on both sides).
    let p = unsafe { host::Typecov::from_raw_exports(exports as *const _ as *const _) };
    assert_eq!(p.echo().echo_u8(5).unwrap(), 5);
    p.echo().sink(1, "x", &[]).unwrap();
    assert_eq!(
        p.echo().boom("never called"),
        Err(CallError::Unsupported {
            function: "echo.boom"
        })
    );
    assert!(!p.echo().has_boom());
    assert!(p.echo().has_sink());
    assert!(matches!(p.version(), Err(CallError::Unsupported { .. })));
    assert!(!p.has_version());
}

#[test]
fn call_errors_display_their_message() {
    let e = CallError::Unsupported {
        function: "greet.language",
    };
    assert!(e.to_string().contains("greet.language"));
    assert_eq!(
        CallError::Panic("x".into()).status(),
        plugport::abi::PP_ERR_PANIC
    );
}
