//! plugport runtime: the core C-ABI types ([`abi`]), the interface IR every plugin
//! carries ([`ir`]), the C layout and naming rules of that IR ([`layout`], [`cnames`]),
//! the per-world value plan every marshaller follows ([`plan`]) and the isolation wire
//! codec on it ([`wire`]), helpers used by generated Rust bindings ([`rt`]) and the owned results of Rust hosts
//! ([`owned`]), the descriptor
//! reader ([`descriptor`]), the structural compatibility check ([`compat`]), the loader
//! ([`loader`]), the rules for Go plugins ([`go`]) and the C API for hosts written in C
//! (module `capi`, built with the feature `capi`; `headers/plugport.h`).
//!
//! The ABI these implement is written down in `docs/abi.md`.

pub mod abi;
#[cfg(feature = "capi")]
pub mod capi;
pub mod cnames;
pub mod codes;
pub mod compat;
pub mod descriptor;
pub mod error;
pub mod go;
pub mod ir;
#[cfg(unix)]
pub mod isolation;
pub mod layout;
pub mod loader;
pub mod owned;
pub mod plan;
pub mod remote;
pub mod rt;
pub mod wire;
pub use compat::{compare, Compat, Incompatibility};
pub use descriptor::Descriptor;
pub use error::LoadError;
pub use loader::Plugin;
pub use owned::{OwnedList, OwnedStr};
pub use rt::CallError;
