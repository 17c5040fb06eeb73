//! `example:greeter` in one process: a world with imports. The host implements the
//! `logger` import, the guest calls it from inside `greet`.

use std::sync::Mutex;

use plugport::abi::{PpString, PpTableHeader, PP_ERR_INIT, PP_ERR_INVALID_ARGUMENT, PP_OK};
use plugport::CallError;
use rust_roundtrip::greeter_guest::ffi as gffi;
use rust_roundtrip::greeter_host::imports::logger::{self, Level};
use rust_roundtrip::greeter_host::{self as host, ffi as hffi};

/// Every message the host logger received.
static LOG: Mutex<Vec<(Level, String)>> = Mutex::new(Vec::new());

struct Host;

/// The guest keeps one imports table per process: tests that call the entry with
/// another table, or call through the guest's imports, run one at a time.
static IMPORTS: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    IMPORTS.lock().unwrap_or_else(|p| p.into_inner())
}

impl logger::Host for Host {
    fn log(level: Level, message: &str) {
        if message.contains("host-panic") {
            panic!("the host logger refuses");
        }
        LOG.lock().unwrap().push((level, message.to_string()));
    }
}

/// Calls the guest's entry with `imports`.
fn entry(
    imports: *const hffi::example_greeter_v1_greeter_imports,
) -> (
    i32,
    *const gffi::example_greeter_v1_greeter_exports,
    PpString,
) {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: §7 arguments; the host and guest `ffi` types are the same C types.
    let st = unsafe {
        rust_roundtrip::plugport_entry_example_greeter_v1_greeter(
            1,
            imports.cast(),
            &mut exports,
            &mut err,
        )
    };
    (st, exports, err)
}

fn plugin() -> host::Greeter {
    let (st, exports, _) = entry(host::Greeter::imports_table::<Host>());
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static exports table.
    unsafe { host::Greeter::from_raw_exports(exports.cast()) }
}

#[test]
fn the_guest_calls_the_hosts_logger_while_greeting() {
    let _g = serial();
    let p = plugin();
    assert_eq!(p.greet().greet("Wörld").unwrap(), "Hello, Wörld!");
    assert_eq!(p.greet().language().unwrap(), "en");
    assert!(p.greet().has_greet() && p.greet().has_language());
    let log = LOG.lock().unwrap();
    assert!(
        log.contains(&(Level::Info, "greeting Wörld".to_string())),
        "{log:?}"
    );
}

#[test]
fn a_host_panic_reaches_the_guest_as_an_error() {
    let _g = serial();
    let p = plugin();
    // The guest `expect`s its log call, so the host's panic becomes a guest panic.
    match p.greet().greet("host-panic") {
        Err(CallError::Panic(m)) => {
            assert!(
                m.contains("host logger") && m.contains("the host logger refuses"),
                "{m}"
            )
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(p.greet().greet("again").unwrap(), "Hello, again!");
}

#[test]
fn the_entry_checks_the_imports_table() {
    let _g = serial();
    let (st, exports, err) = entry(std::ptr::null());
    assert_eq!(st, PP_ERR_INIT);
    assert!(exports.is_null());
    // SAFETY: a static message.
    let msg = unsafe { plugport::rt::lift_str(err) }.unwrap();
    assert!(msg.contains("no imports table"), "{msg}");
    let short = hffi::example_greeter_v1_greeter_imports {
        header: PpTableHeader {
            size: 4,
            version: 1 << 16,
            dealloc: Some(plugport::abi::rust_dealloc),
        },
        logger: std::ptr::null(),
    };
    let (st, _, _) = entry(&short);
    assert_eq!(st, PP_ERR_INIT);
}

#[test]
fn a_logger_missing_from_the_imports_is_unsupported_in_the_guest() {
    let _g = serial();
    // The guest still greets: its log call fails with Unsupported, which it `expect`s,
    // so the greeting turns into a panic error naming the function.
    let bare = hffi::example_greeter_v1_greeter_imports {
        header: PpTableHeader {
            size: std::mem::size_of::<PpTableHeader>() as u32,
            version: 1 << 16,
            dealloc: Some(plugport::abi::rust_dealloc),
        },
        logger: std::ptr::null(),
    };
    let bare: &'static _ = Box::leak(Box::new(bare));
    let (st, exports, _) = entry(bare);
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static exports table.
    let p = unsafe { host::Greeter::from_raw_exports(exports.cast()) };
    let r = p.greet().greet("x");
    // Restore the complete imports for the other tests of this process.
    let _ = plugin();
    match r {
        Err(CallError::Panic(m)) => assert!(m.contains("logger"), "{m}"),
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn the_host_import_trampolines_validate_their_arguments() {
    let table = host::Greeter::imports_table::<Host>();
    // SAFETY: the host's static logger table.
    let logger = unsafe { &*table.logger };
    let log = logger.log.unwrap();
    let mut err = PpString::EMPTY;
    // SAFETY: a trampoline with valid `err`; the level tag is out of range.
    let st = unsafe { log(4, PpString::borrowed("x"), &mut err) };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    // SAFETY: an owned message from the host trampoline.
    let msg = unsafe { plugport::rt::lift_string(err) }.unwrap();
    // SAFETY: as above.
    unsafe { plugport::rt::release_string(&err, Some(plugport::abi::rust_dealloc)) };
    assert!(
        msg.contains("logger.log") && msg.contains("`level`"),
        "{msg}"
    );
    let bad = [0xF0u8, 0x9F];
    let mut err = PpString::EMPTY;
    // SAFETY: as above; the message is truncated UTF-8.
    let st = unsafe {
        log(
            1,
            PpString {
                ptr: bad.as_ptr(),
                len: 2,
            },
            &mut err,
        )
    };
    assert_eq!(st, PP_ERR_INVALID_ARGUMENT);
    // SAFETY: as above.
    unsafe { plugport::rt::release_string(&err, Some(plugport::abi::rust_dealloc)) };
}
