//! The bytes of a `.plugport` section (`docs/abi.md` §7), in both byte orders. Seeded
//! with the sections of real plugins. An accepted blob re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugport::descriptor::{encode_blob, parse_blob, world_json};
use plugport::plan::Plan;

fuzz_target!(|data: &[u8]| {
    for little_endian in [true, false] {
        if let Ok(d) = parse_blob(data, little_endian) {
            Plan::new(&d.world).expect("an accepted descriptor's world plans");
            let again = encode_blob(
                &d.plugin_name,
                &d.plugin_version,
                &world_json(&d.world),
                little_endian,
            );
            let reread = parse_blob(&again, little_endian).expect("a re-encoded blob parses");
            assert_eq!(reread.world, d.world);
            assert_eq!(
                (reread.plugin_name, reread.plugin_version),
                (d.plugin_name, d.plugin_version)
            );
        }
    }
});
