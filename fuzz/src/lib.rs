//! What the fuzz targets share: the reference worlds (the test worlds of `tests/wit`, read
//! once through the front end) and a [`Handles`] for the wire decoder that hands out
//! fake handles and checks that every owned one it gave is released exactly once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plugport::ir::{TypeId, World};
use plugport::wire::{HandleId, Handles, RawHandle};

/// The WIT files the reference worlds come from, relative to the repository root.
pub const WORLD_FILES: &[&str] = &[
    "tests/wit/typecov.wit",
    "tests/wit/uses.wit",
    "tests/wit/worldtypes.wit",
    // Maps and fixed-length lists (issue 11, A.1 and A.2).
    "tests/wit/accept/collections.wit",
    "examples/greeter/wit",
    "examples/codec/wit",
];

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ has a parent")
        .to_path_buf()
}

/// Every world of [`WORLD_FILES`], parsed once per process. Panics when a file does not
/// parse: the targets cannot run without them.
pub fn worlds() -> &'static [World] {
    static WORLDS: OnceLock<Vec<World>> = OnceLock::new();
    WORLDS.get_or_init(|| {
        let root = repo_root();
        let mut out = Vec::new();
        for file in WORLD_FILES {
            let path = root.join(file);
            let text = if path.is_dir() {
                String::new()
            } else {
                std::fs::read_to_string(&path).expect("a test world")
            };
            let names: Vec<String> = if path.is_dir() {
                vec![]
            } else {
                text.lines()
                    .filter_map(|l| l.trim().strip_prefix("world "))
                    .map(|r| r.trim_end_matches(['{', ' ']).to_string())
                    .collect()
            };
            if names.is_empty() {
                out.push(
                    plugport_codegen::frontend::load_world(&path, None)
                        .unwrap_or_else(|e| panic!("{file}: {e}")),
                );
            }
            for n in names {
                out.push(
                    plugport_codegen::frontend::load_world(&path, Some(&n))
                        .unwrap_or_else(|e| panic!("{file} {n}: {e}")),
                );
            }
        }
        out
    })
}

/// Fake handles for the wire decoder: id `n` of generation 0 is the handle
/// `{self: n + 1, vtable: 1}` (never dereferenced: the decoder only copies handles, and
/// releasing goes through [`Handles::release`]). Generation 1 is an ended object (an
/// error). Every own handle given out must be released exactly once: [`FakeHandles::check`].
#[derive(Default)]
pub struct FakeHandles {
    live: HashMap<usize, u32>,
}

impl FakeHandles {
    /// Panics when an own handle given out was not released, or released twice.
    pub fn check(&self) {
        for (h, n) in &self.live {
            assert_eq!(
                *n, 0,
                "own handle {h:#x} given {n} more times than released"
            );
        }
    }
}

impl Handles for FakeHandles {
    /// Maps only: the target releases the decoded value itself after encoding it, so
    /// ownership is counted by `handle_of` and `release` alone.
    fn id_of(&mut self, _: TypeId, _: bool, h: RawHandle) -> Result<HandleId, String> {
        let n = h.self_ as usize;
        if n == 0 {
            return Err("a null handle".into());
        }
        Ok(HandleId {
            id: n as u64 - 1,
            generation: 0,
        })
    }

    fn handle_of(&mut self, _: TypeId, own: bool, id: HandleId) -> Result<RawHandle, String> {
        if id.generation != 0 || id.id > 1 << 20 {
            return Err(format!("unknown id {}/{}", id.id, id.generation));
        }
        let n = id.id as usize + 1;
        if own {
            *self.live.entry(n).or_default() += 1;
        }
        Ok(RawHandle {
            self_: n as *mut _,
            vtable: 1 as *const _,
        })
    }

    fn release(&mut self, _: TypeId, h: RawHandle) {
        let live = self.live.entry(h.self_ as usize).or_default();
        *live = live
            .checked_sub(1)
            .expect("an own handle released more often than given");
    }
}
