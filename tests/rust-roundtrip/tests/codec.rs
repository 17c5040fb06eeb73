//! `example:codec` in one process: a resource with methods that return records and
//! variants, streamed through the host bindings.

use plugport::abi::{PpString, PP_OK};
use rust_roundtrip::codec_host::exports::framing::{CodecError, Frame};
use rust_roundtrip::codec_host::{self as host};

fn plugin() -> host::Codec {
    let mut exports = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: §7 arguments: the host's (empty) imports table, as host and guest `ffi`
    // are the same C types.
    let st = unsafe {
        rust_roundtrip::plugport_entry_example_codec_v1_codec(
            1,
            host::Codec::imports_table() as *const _ as *const _,
            &mut exports,
            &mut err,
        )
    };
    assert_eq!(st, PP_OK);
    // SAFETY: the guest's static exports table (same C types on both sides).
    unsafe { host::Codec::from_raw_exports(exports.cast()) }
}

fn frame(i: u32) -> Frame {
    Frame {
        stream: i % 7,
        payload: (0..(i * 37 % 3000)).map(|k| (k ^ i) as u8).collect(),
    }
}

#[test]
fn frames_stream_through_a_decoder() {
    let p = plugin();
    let framing = p.framing();
    let mut wire = Vec::new();
    for i in 0..200 {
        wire.extend(framing.encode(&frame(i)).unwrap().unwrap());
    }
    let d = framing.decoder_new(4096).unwrap();
    let mut next = 0;
    for chunk in wire.chunks(997) {
        d.push(chunk).unwrap().unwrap();
        while let Some(f) = d.pull().unwrap() {
            assert_eq!(f, frame(next));
            next += 1;
        }
    }
    assert_eq!(next, 200);
    assert_eq!(d.finish().unwrap(), Ok(()));
    assert_eq!(d.pull().unwrap(), None);
}

#[test]
fn codec_errors_are_values() {
    let p = plugin();
    let small = p.framing().decoder_new(16).unwrap();
    assert_eq!(
        small.push(&[0, 0, 0, 1, 0, 0, 0x03, 0xE8]).unwrap(),
        Err(CodecError::FrameTooLarge(1000))
    );
    assert_eq!(small.push(&[0, 0, 0, 1, 0]).unwrap(), Ok(0));
    assert_eq!(small.finish().unwrap(), Err(CodecError::Truncated(5)));
}

#[test]
fn a_panicking_drop_does_not_unwind_into_the_host() {
    let p = plugin();
    let d = p
        .framing()
        .decoder_new(rust_roundtrip::PANIC_ON_DROP)
        .unwrap();
    drop(d);
    let d = p.framing().decoder_new(64).unwrap();
    assert_eq!(d.push(&[]).unwrap(), Ok(0));
}
