//! Issue 11 A.7: `list<own<z>>` and `list<borrow<z>>` (and the two options) in one world
//! are distinct types with distinct C names, and both round-trip (`wit/handles.wit`):
//! owned handles come back from the guest, borrowed ones are lent to it and stay the
//! host's.

use std::mem::ManuallyDrop;

use plugport::abi::{PpString, PP_OK};
use rust_roundtrip::handles_host as host;

fn plugin() -> host::Handles {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: §7 arguments; host and guest `ffi` mirror the same C types.
    let st = unsafe {
        rust_roundtrip::plugport_entry_test_handles_v1_handles(
            1,
            host::Handles::imports_table() as *const _ as *const _,
            &mut exports,
            &mut err,
        )
    };
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static exports table.
    unsafe { host::Handles::from_raw_exports(exports.cast()) }
}

#[test]
fn lists_and_options_of_owned_and_borrowed_handles_round_trip() {
    let p = plugin();
    let s = p.store();
    let owned = s.make_all(4).unwrap();
    let values: Vec<u32> = owned.iter().map(|z| z.get().unwrap()).collect();
    assert_eq!(values, [0, 10, 20, 30]);

    // Lend them (list<borrow<z>>): the guest reads them, the host keeps them.
    let lent: Vec<ManuallyDrop<host::exports::store::Z>> =
        owned.into_iter().map(ManuallyDrop::new).collect();
    assert_eq!(s.sum_all(&lent).unwrap(), 60);
    assert_eq!(s.sum_all(&[]).unwrap(), 0);

    // option<borrow<z>> in, option<own<z>> out.
    let next = s
        .maybe(&Some(ManuallyDrop::new(s.z_new(41).unwrap())))
        .unwrap();
    assert_eq!(next.expect("some").get().unwrap(), 42);
    assert!(s.maybe(&None).unwrap().is_none());

    // Still the host's after being lent: usable, then dropped once.
    let back: Vec<host::exports::store::Z> =
        lent.into_iter().map(ManuallyDrop::into_inner).collect();
    assert_eq!(back[3].get().unwrap(), 30);
    drop(back);
}

/// The C mirror has one struct per type, named as in the C header: the bindings would
/// not compile (and the front end refused the world) while the names collided.
#[test]
fn the_two_list_types_have_distinct_c_names() {
    use host::ffi;
    let names = [
        std::any::type_name::<ffi::test_handles_v1_list_store_z>(),
        std::any::type_name::<ffi::test_handles_v1_list_borrow_store_z>(),
        std::any::type_name::<ffi::test_handles_v1_option_store_z>(),
        std::any::type_name::<ffi::test_handles_v1_option_borrow_store_z>(),
    ];
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            assert_ne!(a, b);
        }
    }
}
