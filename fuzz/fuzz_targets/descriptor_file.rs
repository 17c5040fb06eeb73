//! A whole plugin file, as the loader reads it before `dlopen` (`docs/abi.md` §8 steps
//! 1–3): any bytes give a descriptor or an error, never a crash, hang or huge allocation.
//! A descriptor it accepts has a world that plans (the loader builds proxies from it).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use plugport::descriptor::{read_from_bytes, read_plugin_head_from_bytes};
use plugport::plan::Plan;

fuzz_target!(|data: &[u8]| {
    let _ = plugport::descriptor::architecture(data);
    // The loader's first step (the bytes checked, the world JSON not parsed) accepts
    // every file the whole reader accepts, with the same strings.
    let head = read_plugin_head_from_bytes(Path::new("fuzz.so"), data);
    if let Ok(d) = read_from_bytes(Path::new("fuzz.so"), data) {
        Plan::new(&d.world).expect("an accepted descriptor's world plans");
        let h = head.expect("the head of an accepted descriptor reads");
        assert_eq!(h.blob.plugin_name, d.plugin_name);
        assert_eq!(h.blob.plugin_version, d.plugin_version);
    }
});
