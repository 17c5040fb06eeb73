//! `libplugport`: the runtime's C API for hosts written in C. The functions live in
//! [`runtime::capi`] (`bridge/src/capi.rs`, the source of `headers/plugport.h`); this
//! crate only links them into a shared and a static library.

pub use runtime::capi::*;
