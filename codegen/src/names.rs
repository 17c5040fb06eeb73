//! C names of everything in a world (`docs/abi.md` section 4). The rules live in the
//! runtime crate, next to the IR, so the generator and the runtime share one copy:
//! [`plugport::cnames`]. This module re-exports them under their old path.

pub use plugport::cnames::*;
