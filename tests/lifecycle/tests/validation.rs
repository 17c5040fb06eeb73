//! Rule 5 in the C example plugin: data from the other side is validated. A Rust host
//! cannot pass invalid UTF-8 through its typed API, so this test calls the Chinese
//! greeter's `greet` slot directly through the raw exports table.

use lifecycle::{v1_0, zh_plugin, Host};
use plugport::abi::{PpString, PP_ERR_INVALID_ARGUMENT, PP_OK};

/// Calls `greet` with `bytes`; returns the status and the owned result or message.
fn raw_greet(g: &v1_0::Greeter, bytes: &[u8]) -> (i32, String) {
    // SAFETY: the plugin is loaded while `g` lives; tables follow docs/abi.md §5.
    let table = unsafe { &*(*g.exports_table()).greet };
    let greet = table.greet.expect("greet slot");
    let (mut ret, mut err) = (PpString::EMPTY, PpString::EMPTY);
    let name = PpString {
        ptr: bytes.as_ptr(),
        len: bytes.len(),
    };
    // SAFETY: a valid slot, valid out-pointers.
    let status = unsafe { greet(name, &mut ret, &mut err) };
    let owned = if status == PP_OK { ret } else { err };
    // SAFETY: `owned` was allocated by the plugin, released with its dealloc (§6).
    let text = unsafe {
        let s =
            String::from_utf8_lossy(std::slice::from_raw_parts(owned.ptr, owned.len)).into_owned();
        plugport::rt::release_string(&owned, table.header.dealloc);
        s
    };
    (status, text)
}

#[test]
fn the_c_greeter_refuses_invalid_utf8_and_null_pointers() {
    let dir = tempfile::tempdir().unwrap();
    let g = v1_0::Greeter::load::<Host>(zh_plugin(dir.path(), false)).unwrap();
    assert_eq!(
        raw_greet(&g, "Ada".as_bytes()),
        (PP_OK, "你好，Ada！".into())
    );
    for bad in [
        &b"\xff"[..],        // not a UTF-8 byte
        b"A\xc3",            // truncated sequence
        b"\xc0\xaf",         // overlong '/'
        b"\xed\xa0\x80",     // surrogate U+D800
        b"\xf4\x90\x80\x80", // above U+10FFFF
    ] {
        let (status, message) = raw_greet(&g, bad);
        assert_eq!(status, PP_ERR_INVALID_ARGUMENT, "{bad:x?}: {message}");
        assert!(message.contains("invalid UTF-8"), "{bad:x?}: {message}");
    }
    // A NULL pointer with a non-zero length.
    // SAFETY: as in raw_greet; the plugin must not dereference the pointer.
    let table = unsafe { &*(*g.exports_table()).greet };
    let (mut ret, mut err) = (PpString::EMPTY, PpString::EMPTY);
    let null = PpString {
        ptr: std::ptr::null(),
        len: 3,
    };
    let status = unsafe { table.greet.unwrap()(null, &mut ret, &mut err) };
    assert_eq!(status, PP_ERR_INVALID_ARGUMENT);
    // SAFETY: the message is owned by us, released with the plugin's dealloc.
    unsafe { plugport::rt::release_string(&err, table.header.dealloc) };
}
