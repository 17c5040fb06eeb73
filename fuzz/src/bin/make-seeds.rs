//! Writes the seed inputs of the fuzz targets from the reference worlds:
//! `make-seeds <dir>` creates `<dir>/<target>/` for `descriptor_blob`, `world_json` and
//! `wire_decode` (the blob, world JSON and IR of each world; the encoding of every type's
//! all-zero value, where it has one). `scripts/fuzz.sh` adds the plugin files and their
//! `.plugport` sections of the built examples.

use std::path::Path;

use plugport::descriptor::{encode_blob, world_json};
use plugport::ir::Type;
use plugport::plan::Plan;
use plugport::wire::{Codec, NoHandles};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: make-seeds <dir>");
    let dir = Path::new(&dir);
    let write = |target: &str, name: String, bytes: &[u8]| {
        let d = dir.join(target);
        std::fs::create_dir_all(&d).expect("seed directory");
        std::fs::write(d.join(name), bytes).expect("seed file");
    };
    let mut count = 0;
    for (wi, w) in plugport_fuzz::worlds().iter().enumerate() {
        let json = world_json(w);
        for le in [true, false] {
            let blob = encode_blob(&w.name, "1.0.0", &json, le);
            write("descriptor_blob", format!("{}-{le}", w.name), &blob);
        }
        write("world_json", format!("{}.json", w.name), json.as_bytes());
        let ir = serde_json::to_string(w).expect("IR serialises");
        write("world_json", format!("{}.ir.json", w.name), ir.as_bytes());
        let plan = Plan::new(w).expect("a reference world plans");
        let codec = Codec::new(&plan);
        for id in 0..plan.type_count() {
            let size = plan.node(Type::Id(id)).layout.size as usize;
            let zero = vec![0u64; size.div_ceil(8).max(1)];
            let mut frame = vec![wi as u8, id as u8];
            // SAFETY: an all-zero value of the type's size, aligned to 8: empty strings
            // and lists, discriminant 0; handles (NULL) are refused by `NoHandles`.
            let ok = unsafe {
                codec.encode(
                    Type::Id(id),
                    zero.as_ptr().cast(),
                    &mut NoHandles,
                    &mut frame,
                )
            };
            if ok.is_ok() && id < 256 {
                write("wire_decode", format!("{}-{id}", w.name), &frame);
                count += 1;
            }
        }
    }
    eprintln!(
        "make-seeds: {} worlds, {count} wire frames, into {}",
        plugport_fuzz::worlds().len(),
        dir.display()
    );
}
