//! plugport-codegen: WIT front end → IR ([`plugport::ir`]) → one back end per language.
//!
//! - [`frontend`]: reads WIT with `wit-parser`, resolves a world, refuses what the ABI
//!   does not support (with file:line), and produces the IR.
//! - [`names`]: the C names of every item (`docs/abi.md` section 4), shared by back ends.
//! - [`c`]: the C header back end.
//! - [`cpp`]: the C++ back end (`<world>.hpp` over the C header).
//! - [`rust`]: the Rust back end (guest and host bindings).
//! - [`go`]: the Go back end (host and plugin packages, on cgo; docs/go.md).
//! - [`builder`]: the build-script API ([`Builder`]).

#![warn(missing_docs)]

pub mod baseline;
pub mod builder;
pub mod c;
pub mod cpp;
// Its error type's fields are for the diagnostics work of issue 11 (B) to document.
#[allow(missing_docs)]
pub mod frontend;
pub mod go;
pub mod names;
pub mod rust;

pub use builder::Builder;
pub use plugport::ir;

/// One generated file: a name relative to the output directory, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The file name, relative to the output directory (`greeter.h`, `greeter/host.go`).
    pub name: String,
    /// The whole text of the file.
    pub contents: String,
}

/// The Rust snippets of `README.md`, compiled as doc-tests so that they compile as
/// written (`rust,ignore` blocks excepted).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The Rust snippets of `docs/rust.md`, compiled as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/rust.md")]
pub struct RustGuideDoctests;
