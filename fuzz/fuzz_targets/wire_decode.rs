//! The isolation wire decoder (`docs/isolation.md`, "Wire encoding"): any frame, decoded
//! as any type of a reference world, gives a value or an error, never a crash, a leak or
//! a huge allocation (the allocation bound of `Limits` is lowered to 16 MiB). A decoded
//! value encodes, and that encoding decodes and re-encodes to the same bytes; every own
//! handle the decoder obtained is released exactly once.
//!
//! Input: byte 0 picks the world, byte 1 the type (ids, then the built-in types), the
//! rest is the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugport::ir::Type;
use plugport::plan::{Plan, BUILTINS};
use plugport::wire::{Codec, Global, Limits};
use plugport_fuzz::{worlds, FakeHandles};

fn plans() -> &'static [Plan] {
    static PLANS: std::sync::OnceLock<Vec<Plan>> = std::sync::OnceLock::new();
    PLANS.get_or_init(|| worlds().iter().map(|w| Plan::new(w).unwrap()).collect())
}

fuzz_target!(|data: &[u8]| {
    let [w, t, frame @ ..] = data else {
        return;
    };
    let plan = &plans()[*w as usize % plans().len()];
    let n = plan.type_count() + BUILTINS.len();
    let i = *t as usize % n;
    let ty = if i < plan.type_count() {
        Type::Id(i)
    } else {
        BUILTINS[i - plan.type_count()]
    };
    let codec = Codec::new(plan).with_limits(Limits {
        max_alloc: 16 << 20,
        ..Limits::default()
    });
    let size = plan.node(ty).layout.size as usize;
    let words = size.div_ceil(8).max(1);
    let mut handles = FakeHandles::default();
    let mut a = vec![0u64; words];
    let mut b = vec![0u64; words];
    let (pa, pb) = (a.as_mut_ptr().cast::<u8>(), b.as_mut_ptr().cast::<u8>());
    // SAFETY: `a` and `b` have the type's size, aligned to 8 (the largest C alignment of
    // a plugport type), and hold only what `decode` writes.
    unsafe {
        if codec
            .decode(ty, frame, pa, &mut Global, &mut handles)
            .is_err()
        {
            assert!(a.iter().all(|x| *x == 0), "a refused frame leaves zero");
            handles.check();
            return;
        }
        let mut e1 = Vec::new();
        codec
            .encode(ty, pa, &mut handles, &mut e1)
            .expect("a decoded value encodes");
        codec
            .decode(ty, &e1, pb, &mut Global, &mut handles)
            .expect("an encoding decodes");
        let mut e2 = Vec::new();
        codec
            .encode(ty, pb, &mut handles, &mut e2)
            .expect("a decoded value encodes");
        assert_eq!(e1, e2, "decode(encode(v)) encodes the same");
        codec.release(ty, pa, &mut Global, &mut handles);
        codec.release(ty, pb, &mut Global, &mut handles);
    }
    handles.check();
});
