//! Golden fixtures (`tests/fixtures/README.md`, issue 11 E.2): the world JSON, fingerprint
//! and descriptor blob of `tests/fixtures/golden/golden.wit` as plugport 0.1.0 wrote them,
//! and a C plugin that release built. Every other test computes its expected values with
//! the code under test, so a changed fingerprint algorithm or IR serialisation passed
//! them all, and would have made every plugin built before unloadable. These expected
//! values are checked in: a change that breaks them must change the ABI version on
//! purpose (`docs/abi.md` §7).

use std::ffi::c_void;
use std::path::PathBuf;

use plugport::abi::{PpDeallocFn, PpString, PpTableHeader, PP_OK};
use plugport::descriptor;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/golden")
        .join(name)
}

fn read_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fingerprint plugport 0.1.0 computed (also the SHA-256 of the `world` text of
/// `golden.world.json`, checked with Python's hashlib when the fixture was made).
fn golden_fingerprint() -> String {
    let f = read_text("golden.fingerprint");
    assert_eq!(f.len(), 64, "golden.fingerprint: {f:?}");
    f
}

#[test]
fn the_front_end_still_writes_the_golden_world_json_and_fingerprint() {
    let mut world = plugport_codegen::frontend::load_world(&fixture("golden.wit"), None)
        .expect("golden.wit loads");
    world.strip_locations();
    assert_eq!(
        world.fingerprint(),
        golden_fingerprint(),
        "the fingerprint of an unchanged WIT world changed: plugins built by earlier \
         releases would no longer match their hosts"
    );
    assert_eq!(
        descriptor::world_json(&world),
        read_text("golden.world.json"),
        "the world JSON (IR serialisation) of an unchanged WIT world changed"
    );
    let (fingerprint, parsed) =
        descriptor::parse_world_json(&read_text("golden.world.json")).expect("reads");
    assert_eq!(fingerprint, golden_fingerprint());
    assert_eq!(parsed, world);
}

#[test]
fn the_golden_descriptor_blob_still_reads() {
    let blob = std::fs::read(fixture("golden.descriptor")).unwrap();
    // Extracted from libgolden.so with `objcopy -O binary --only-section=.plugport`:
    // little-endian x86_64.
    let d = descriptor::parse_blob(&blob, true).expect("the golden blob parses");
    assert_eq!(d.abi_version, 1);
    assert_eq!(d.plugin_name, "golden-c");
    assert_eq!(d.plugin_version, "1.0.0");
    assert_eq!(d.fingerprint, golden_fingerprint());
    assert_eq!(d.world.package.to_string(), "test:golden@1.0.0");
    assert_eq!(d.world.name, "golden");
    // The encoder writes the same bytes (the section may add zero padding).
    let encoded =
        descriptor::encode_blob("golden-c", "1.0.0", &read_text("golden.world.json"), true);
    assert!(blob.starts_with(&encoded));
    assert!(blob[encoded.len()..].iter().all(|&b| b == 0));
}

#[test]
fn the_golden_plugin_file_still_reads_and_checks() {
    let path = fixture("libgolden.so");
    let info = descriptor::read_plugin_info(&path).expect("libgolden.so reads");
    assert_eq!(info.descriptor.fingerprint, golden_fingerprint());
    assert_eq!(info.descriptor.plugin_name, "golden-c");
    assert_eq!(format!("{:?}", info.architecture), "Some(X86_64)");
    assert_eq!(
        info.descriptor,
        descriptor::parse_blob(&std::fs::read(fixture("golden.descriptor")).unwrap(), true)
            .unwrap()
    );
    let (_, compat) = plugport::loader::check(&path, &read_text("golden.world.json"))
        .expect("the golden plugin checks against its world");
    assert!(compat.is_identical());
}

/// `api` of `test:golden` (`golden.h`, generated from `golden.wit`).
#[repr(C)]
struct ApiTable {
    header: PpTableHeader,
    add: Option<unsafe extern "C" fn(u32, u32, *mut u32, *mut PpString) -> i32>,
    greet: Option<unsafe extern "C" fn(PpString, *mut PpString, *mut PpString) -> i32>,
    describe: Option<unsafe extern "C" fn(Pair, u8, *mut Answer, *mut PpString) -> i32>,
}

#[repr(C)]
struct Pair {
    left: u32,
    right: PpString,
}

#[repr(C)]
struct Answer {
    tag: u8,
    val: AnswerVal,
}

#[repr(C)]
union AnswerVal {
    number: u64,
    text: PpString,
}

#[repr(C)]
struct Exports {
    header: PpTableHeader,
    api: *const ApiTable,
    version: Option<unsafe extern "C" fn(*mut PpString, *mut PpString) -> i32>,
}

fn pp_str(s: &str) -> PpString {
    PpString {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

/// Copies an owned string result and releases it through `dealloc`.
unsafe fn take(s: PpString, dealloc: PpDeallocFn) -> String {
    // SAFETY: an owned result of the plugin (§6): `len` bytes at `ptr`, UTF-8 by contract
    // (checked here).
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    let text = std::str::from_utf8(bytes).expect("UTF-8").to_owned();
    // SAFETY: released once, through the table that produced it, with its size.
    unsafe { dealloc(s.ptr as *mut c_void, s.len, 1) };
    text
}

/// The prebuilt plugin loads and answers through its tables, laid out as 0.1.0 laid them
/// out (x86_64 Linux: the file is an x86_64 ELF).
#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn the_golden_plugin_still_loads_and_answers() {
    let imports = PpTableHeader {
        size: std::mem::size_of::<PpTableHeader>() as u32,
        version: 1 << 16,
        dealloc: None,
    };
    let plugin = plugport::loader::open(
        &fixture("libgolden.so"),
        &read_text("golden.world.json"),
        &imports as *const PpTableHeader as *const c_void,
    )
    .expect("the golden plugin loads");
    // SAFETY: the exports table of test:golden@1.0.0, alive while `plugin` is.
    let exports = unsafe { &*(plugin.exports() as *const Exports) };
    assert_eq!(exports.header.size as usize, std::mem::size_of::<Exports>());
    assert_eq!(exports.header.version, 1 << 16);
    // SAFETY: as above.
    let api = unsafe { &*exports.api };
    assert_eq!(api.header.size as usize, std::mem::size_of::<ApiTable>());
    let dealloc = api.header.dealloc.expect("dealloc");
    let mut err = PpString::EMPTY;
    // SAFETY: calls through the plugin's slots with valid arguments and out-pointers;
    // owned results are released through the table's dealloc.
    unsafe {
        let mut sum = 0u32;
        assert_eq!((api.add.unwrap())(40, 2, &mut sum, &mut err), PP_OK);
        assert_eq!(sum, 42);
        assert_eq!((api.add.unwrap())(u32::MAX, 2, &mut sum, &mut err), PP_OK);
        assert_eq!(sum, 1);

        let mut s = PpString::EMPTY;
        assert_eq!((api.greet.unwrap())(pp_str("Zoë"), &mut s, &mut err), PP_OK);
        assert_eq!(take(s, dealloc), "hello, Zoë");

        let mut a = Answer {
            tag: 9,
            val: AnswerVal { number: 0 },
        };
        let pair = || Pair {
            left: 7,
            right: pp_str("right"),
        };
        assert_eq!((api.describe.unwrap())(pair(), 0, &mut a, &mut err), PP_OK);
        assert_eq!((a.tag, a.val.number), (0, 7));
        assert_eq!((api.describe.unwrap())(pair(), 1, &mut a, &mut err), PP_OK);
        assert_eq!(a.tag, 1);
        assert_eq!(take(a.val.text, dealloc), "right");
        let empty = Pair {
            left: 7,
            right: PpString::EMPTY,
        };
        assert_eq!((api.describe.unwrap())(empty, 1, &mut a, &mut err), PP_OK);
        assert_eq!(a.tag, 2);

        let world_dealloc = exports.header.dealloc.expect("dealloc");
        assert_eq!((exports.version.unwrap())(&mut s, &mut err), PP_OK);
        assert_eq!(take(s, world_dealloc), "golden-c 1.0.0");
    }
}
