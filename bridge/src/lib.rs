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

#![warn(missing_docs)]

pub mod abi;
pub mod rt;
pub use rt::CallError;

// Everything else is the host's and the tools' side, behind the features `ir` (what the
// generator needs) and `loader` (the default, which includes `ir`; bridge/Cargo.toml): a
// Rust plugin built without them compiles only `abi` and `rt`.
#[cfg(feature = "capi")]
pub mod capi;
#[cfg(feature = "ir")]
pub mod cnames;
#[cfg(feature = "loader")]
pub mod codes;
#[cfg(feature = "ir")]
pub mod compat;
#[cfg(feature = "ir")]
pub mod descriptor;
#[cfg(feature = "loader")]
pub mod error;
#[cfg(feature = "loader")]
pub mod go;
#[cfg(feature = "ir")]
pub mod ir;
// Its public items' docs are its owner's to complete (issue 11, C): not warned yet.
#[cfg(all(unix, feature = "loader"))]
#[allow(missing_docs)]
pub mod isolation;
#[cfg(feature = "ir")]
pub mod layout;
#[cfg(feature = "loader")]
pub mod loader;
#[cfg(feature = "loader")]
pub mod owned;
#[cfg(feature = "ir")]
pub mod plan;
#[cfg(feature = "proto")]
pub mod protomap;
#[cfg(feature = "loader")]
pub mod remote;
#[cfg(feature = "ir")]
pub mod wire;
#[cfg(feature = "ir")]
pub use compat::{compare, Compat, Incompatibility};
#[cfg(feature = "ir")]
pub use descriptor::Descriptor;
#[cfg(feature = "loader")]
pub use error::LoadError;
#[cfg(feature = "loader")]
pub use loader::Plugin;
#[cfg(feature = "loader")]
pub use owned::{OwnedList, OwnedStr};
