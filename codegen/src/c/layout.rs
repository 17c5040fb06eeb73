//! The C layout algorithm (`docs/abi.md` section 3). It lives in the runtime crate, next
//! to the IR, so the generator and the runtime share one copy: [`plugport::layout`]. This
//! module re-exports it under its old path.

pub use plugport::layout::*;
