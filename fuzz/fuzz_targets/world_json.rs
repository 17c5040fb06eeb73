//! The world JSON of a descriptor (`{"fingerprint","world"}`, `docs/abi.md` §7) and the
//! IR inside it, then the compatibility check (`docs/abi.md` §9) against every reference
//! world in both directions. Seeded with the world JSON and IR of the test worlds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugport::compat::compare;
use plugport::descriptor::{parse_world_json, validate_world, world_json, world_json_head};
use plugport::ir::World;
use plugport::plan::Plan;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The loader's head reader (used on the host's own text) never panics on any text,
    // and on a text that parses it reads exactly what the parse finds.
    let head = world_json_head(text);
    if let Ok((fingerprint, w)) = parse_world_json(text) {
        assert_eq!(fingerprint, w.fingerprint());
        if let Some(h) = &head {
            assert_eq!(h.fingerprint, fingerprint);
            assert_eq!(h.package, w.package);
            assert_eq!(h.name, w.name);
        }
        exercise(&w);
    }
    // The IR alone, past the fingerprint, so that mutations reach validation and the
    // compatibility check.
    if let Ok(w) = serde_json::from_str::<World>(text) {
        if validate_world(&w).is_ok() {
            exercise(&w);
            // The canonical JSON leaves out source locations; the rest survives.
            let own = world_json(&w);
            let (fingerprint, back) = parse_world_json(&own).expect("own JSON parses");
            assert_eq!(fingerprint, w.fingerprint());
            // The canonical text is what the head reader reads.
            let h = world_json_head(&own).expect("the canonical text has a readable head");
            assert_eq!(
                (h.fingerprint, h.package, h.name),
                (fingerprint, w.package.clone(), w.name.clone())
            );
            assert_eq!(back.canonical_json(), w.canonical_json());
        }
    }
});

fn exercise(w: &World) {
    Plan::new(w).expect("a validated world plans");
    let same = compare(w, w);
    assert!(
        same.is_compatible(),
        "a world is compatible with itself:\n{same}"
    );
    for r in plugport_fuzz::worlds() {
        let _ = compare(r, w);
        let _ = compare(w, r);
    }
}
