//! The stable error codes of the C API (`PLUGPORT_E_*` in `headers/plugport.h`), one per
//! [`crate::LoadError`] variant ([`crate::LoadError::code`]). Always compiled, unlike the
//! C functions of the module `capi` (feature `capi`). Published: never renumber.

/// Success.
pub const PLUGPORT_OK: i32 = 0;
/// The plugin file, or the loader's private copy of it, could not be read or written.
pub const PLUGPORT_E_IO: i32 = 1;
/// The file is not a shared library (text, random bytes, executable, `.o`, archive...).
pub const PLUGPORT_E_NOT_SHARED_LIBRARY: i32 = 2;
/// A shared library without a `.plugport` descriptor section.
pub const PLUGPORT_E_NOT_A_PLUGIN: i32 = 3;
/// The descriptor is malformed (magic, lengths, NULs, UTF-8, JSON, IR, fingerprint).
pub const PLUGPORT_E_CORRUPT_DESCRIPTOR: i32 = 4;
/// The descriptor is for another version of the plugport ABI.
pub const PLUGPORT_E_ABI_VERSION: i32 = 5;
/// The plugin implements another package.
pub const PLUGPORT_E_PACKAGE_MISMATCH: i32 = 6;
/// The plugin implements another major version (compatibility line) of the package.
pub const PLUGPORT_E_MAJOR_VERSION_MISMATCH: i32 = 7;
/// The plugin implements another world of the package.
pub const PLUGPORT_E_WORLD_MISMATCH: i32 = 8;
/// The plugin's interface differs structurally in a breaking way.
pub const PLUGPORT_E_INCOMPATIBLE: i32 = 9;
/// The dynamic loader (`dlopen`) refused the file.
pub const PLUGPORT_E_DLOPEN: i32 = 10;
/// The library lacks the entry symbol of the expected world.
pub const PLUGPORT_E_MISSING_ENTRY: i32 = 11;
/// The plugin's entry returned an error status (normally `PP_ERR_INIT`).
pub const PLUGPORT_E_INIT_FAILED: i32 = 12;
/// The entry succeeded but returned an unusable exports table.
pub const PLUGPORT_E_BAD_EXPORTS: i32 = 13;
/// The host's `expected_world_json` is invalid (not the JSON of generated bindings).
pub const PLUGPORT_E_HOST_WORLD: i32 = 14;
/// The library is for another CPU architecture.
pub const PLUGPORT_E_WRONG_ARCHITECTURE: i32 = 15;
/// A required pointer argument was NULL, or the path is not valid on this platform.
pub const PLUGPORT_E_INVALID_ARGUMENT: i32 = 16;
/// plugport itself failed unexpectedly (an internal panic, caught); a bug in plugport.
pub const PLUGPORT_E_PANIC: i32 = 17;
/// A Go plugin that cannot be loaded into this process: the host runs a Go runtime, or a
/// Go plugin image was loaded before (a second one, a reload or a second open would start
/// a second Go runtime). Since 0.1 (appended).
pub const PLUGPORT_E_GO_RUNTIME: i32 = 18;
/// The open has a SHA-256 allowlist (`plugport_open_options.allow_sha256` or
/// `PLUGPORT_ALLOW_SHA256`) that does not list the file's digest, or the variable is
/// malformed. Found before any code of the plugin runs, in both modes. Since 0.1
/// (appended).
pub const PLUGPORT_E_NOT_ALLOWED: i32 = 19;
