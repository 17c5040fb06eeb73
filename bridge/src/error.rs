//! Why a plugin was refused: [`LoadError`], one variant per refusal of `docs/abi.md` §8.
//!
//! Every message names the file, what the host expected and what it found (scenario S5:
//! "a mismatch names the exact item, expected and found"). `docs/errors.md` lists each
//! variant with its cause and fix; the C API maps each variant to a stable
//! `PLUGPORT_E_*` code ([`LoadError::code`]).

use std::path::PathBuf;

use crate::compat::Incompatibility;

/// A plugin file was refused by the descriptor reader ([`crate::descriptor::read_from_file`])
/// or the loader ([`crate::loader::open`]).
///
/// The variants follow the order of the checks in `docs/abi.md` §8: the first six are
/// found by reading the file, without running any of its code; the others during or
/// after `dlopen`.
///
/// The fields, the same in every variant that has them: `path` is the plugin file as the
/// host gave it (or its `grpc://` URL); `expected` is what the host's world or process
/// requires and `found` what the file has, as text in the message's terms (a package
/// `namespace:name`, a version with its line, a world name, an architecture; numbers for
/// [`LoadError::AbiVersion`]); `reason` and `message` are the explanation (the descriptor
/// reader's, the dynamic loader's `dlerror`, the plugin entry's own message); `source`
/// is the I/O error; `items` every structural difference; `symbol` the entry symbol
/// looked up; `status` the entry's `pp_status`; `go_version` the plugin's Go release.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[allow(missing_docs)] // the fields are documented above, once for all variants
pub enum LoadError {
    /// The file (or the loader's private copy of it) could not be read or written.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file is not a shared library of a known format (ELF `ET_DYN`, Mach-O dylib or
    /// bundle, PE DLL). `reason` says what it is instead.
    #[error(
        "{} is not a shared library: expected an ELF shared object, a Mach-O dylib or bundle \
         or a PE DLL, found {reason}",
        path.display()
    )]
    NotSharedLibrary { path: PathBuf, reason: String },

    /// The file is a shared library without a `.plugport` section (Mach-O
    /// `__DATA,__plugport`): it was not built as a plugport plugin.
    #[error(
        "{} is not a plugport plugin: expected a `.plugport` section (Mach-O `__DATA,__plugport`) \
         holding the descriptor, found a shared library without one",
        path.display()
    )]
    NotAPlugin { path: PathBuf },

    /// The descriptor blob is malformed: bad magic, a length past the section end, a missing
    /// NUL, invalid UTF-8 or JSON, an invalid IR, or a fingerprint that does not match the
    /// IR. `reason` names the field with expected and found values.
    #[error("{}: corrupt plugport descriptor: {reason}", path.display())]
    CorruptDescriptor { path: PathBuf, reason: String },

    /// The descriptor was written for another version of the plugport ABI itself.
    #[error(
        "{}: plugport ABI version mismatch: expected ABI version {expected}, found {found}",
        path.display()
    )]
    AbiVersion {
        path: PathBuf,
        expected: u32,
        found: u32,
    },

    /// The plugin implements a world of another package (`namespace:name`).
    #[error(
        "{}: package mismatch: expected a plugin for package {expected}, found {found}",
        path.display()
    )]
    PackageMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// Same package, but another compatibility line (major version, or minor for 0.x).
    /// `expected` and `found` are `namespace:name@version (line vN)`.
    #[error(
        "{}: incompatible major version: expected {expected}, found {found}",
        path.display()
    )]
    MajorVersionMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// Same package and line, but another world of it.
    #[error("{}: world mismatch: expected world {expected}, found {found}", path.display())]
    WorldMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// Same package, line and world, but the structures differ in a breaking way
    /// (`docs/abi.md` §9). `items` lists every difference; the message prints them all.
    #[error(
        "{}: the plugin's interface is incompatible with the host's ({} difference{}):{}",
        path.display(),
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        list_items(items)
    )]
    Incompatible {
        path: PathBuf,
        items: Vec<Incompatibility>,
    },

    /// The file is a shared library for another CPU architecture than this process.
    #[error(
        "{}: wrong architecture: expected a library for {expected}, found one for {found}",
        path.display()
    )]
    WrongArchitecture {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// The dynamic loader refused the file (missing dependency, unresolved symbol with
    /// `RTLD_NOW`, ...). `message` is the loader's own message (`dlerror`).
    #[error("{}: the dynamic loader refused the plugin: {message}", path.display())]
    Dlopen { path: PathBuf, message: String },

    /// The library has no entry symbol for the expected world.
    #[error(
        "{}: missing entry: expected the symbol `{symbol}` (the plugin's entry for this world), \
         found no such symbol",
        path.display()
    )]
    MissingEntry { path: PathBuf, symbol: String },

    /// The entry returned a status other than `PP_OK` (normally `PP_ERR_INIT`, 5);
    /// `message` is the plugin's own explanation (empty when it gave none).
    #[error(
        "{}: the plugin refused to initialise: expected status 0 (PP_OK), found {status}{}: {}",
        path.display(),
        status_name(*status),
        if message.is_empty() { "(no message)" } else { message.as_str() }
    )]
    InitFailed {
        path: PathBuf,
        status: i32,
        message: String,
    },

    /// The entry returned `PP_OK` but its exports table is unusable (null, misaligned,
    /// or its header's `size` is smaller than the header itself).
    #[error("{}: bad exports table: {reason}", path.display())]
    BadExports { path: PathBuf, reason: String },

    /// The world JSON the host passed (`expected_world_json`) is itself invalid: a bug in
    /// the host's generated bindings, not in the plugin.
    #[error(
        "{}: the host's expected world is invalid (expected the `{{\"fingerprint\",\"world\"}}` \
         JSON of generated bindings): {reason}",
        path.display()
    )]
    HostWorld { path: PathBuf, reason: String },

    /// The file is a Go plugin (a Go `c-shared` library, recognised by its
    /// `.go.buildinfo` section) that would start a second Go runtime in this process, and
    /// the open was forced in-process or `plugport-runner` cannot be found (otherwise the
    /// loader runs it in a child process: `docs/go.md`): the
    /// host already runs one (a Go host), or a Go plugin image was loaded before (another
    /// Go plugin, a second open of the same file, a reload). Go supports neither
    /// unloading a c-shared library nor two Go runtimes in one process (golang/go#11100,
    /// #18976, #65050). Found before `dlopen`: no code of the plugin has run.
    /// `reason` says which case; `go_version` is the plugin's Go release.
    #[error(
        "{}: cannot load this Go plugin (built by Go {go_version}) into this process: {reason}. \
         Go c-shared libraries can never be unloaded and a process can hold only one Go \
         runtime (golang/go#11100, #18976, #65050). Run it in a child process instead (leave \
         the isolation mode at its default with plugport-runner installed, or set \
         PLUGPORT_ISOLATION=process: docs/isolation.md), or load Go plugins from a host that \
         is not written in Go, one Go plugin per process, and restart the host process \
         instead of reloading the plugin",
        path.display()
    )]
    GoRuntime {
        path: PathBuf,
        go_version: String,
        reason: String,
    },

    /// The open has a SHA-256 allowlist (the `allow_sha256` option or
    /// `PLUGPORT_ALLOW_SHA256`) and the file's digest is not on it, or the variable is
    /// malformed (then every file is refused). Found by reading the file, before anything
    /// else is checked: no code of the plugin has run, in either mode. `sha256` is the
    /// file's digest (lower-case hex); `reason` says which list refused it.
    #[error(
        "{}: refused by the SHA-256 allowlist: the file's SHA-256 is {sha256}, and {reason}",
        path.display()
    )]
    NotAllowed {
        path: PathBuf,
        sha256: String,
        reason: String,
    },
}

fn list_items(items: &[Incompatibility]) -> String {
    items.iter().map(|i| format!("\n  - {i}")).collect()
}

fn status_name(status: i32) -> &'static str {
    match status {
        crate::abi::PP_ERR_PANIC => " (PP_ERR_PANIC)",
        crate::abi::PP_ERR_INVALID_ARGUMENT => " (PP_ERR_INVALID_ARGUMENT)",
        crate::abi::PP_ERR_UNSUPPORTED => " (PP_ERR_UNSUPPORTED)",
        crate::abi::PP_ERR_INVALID_RESULT => " (PP_ERR_INVALID_RESULT)",
        crate::abi::PP_ERR_INIT => " (PP_ERR_INIT)",
        _ => "",
    }
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            LoadError::Io { path, .. }
            | LoadError::NotSharedLibrary { path, .. }
            | LoadError::NotAPlugin { path }
            | LoadError::CorruptDescriptor { path, .. }
            | LoadError::AbiVersion { path, .. }
            | LoadError::PackageMismatch { path, .. }
            | LoadError::MajorVersionMismatch { path, .. }
            | LoadError::WorldMismatch { path, .. }
            | LoadError::Incompatible { path, .. }
            | LoadError::WrongArchitecture { path, .. }
            | LoadError::Dlopen { path, .. }
            | LoadError::MissingEntry { path, .. }
            | LoadError::InitFailed { path, .. }
            | LoadError::BadExports { path, .. }
            | LoadError::HostWorld { path, .. }
            | LoadError::GoRuntime { path, .. }
            | LoadError::NotAllowed { path, .. } => path,
        }
    }

    /// The section of `docs/errors.md` that explains this error (cause and fix): the
    /// variant's name, which is also the section's heading (`NotSharedLibrary`).
    pub fn docs_section(&self) -> &'static str {
        match self {
            LoadError::Io { .. } => "Io",
            LoadError::NotSharedLibrary { .. } => "NotSharedLibrary",
            LoadError::NotAPlugin { .. } => "NotAPlugin",
            LoadError::CorruptDescriptor { .. } => "CorruptDescriptor",
            LoadError::AbiVersion { .. } => "AbiVersion",
            LoadError::PackageMismatch { .. } => "PackageMismatch",
            LoadError::MajorVersionMismatch { .. } => "MajorVersionMismatch",
            LoadError::WorldMismatch { .. } => "WorldMismatch",
            LoadError::Incompatible { .. } => "Incompatible",
            LoadError::WrongArchitecture { .. } => "WrongArchitecture",
            LoadError::Dlopen { .. } => "Dlopen",
            LoadError::MissingEntry { .. } => "MissingEntry",
            LoadError::InitFailed { .. } => "InitFailed",
            LoadError::BadExports { .. } => "BadExports",
            LoadError::HostWorld { .. } => "HostWorld",
            LoadError::GoRuntime { .. } => "GoRuntime",
            LoadError::NotAllowed { .. } => "NotAllowed",
        }
    }

    /// The stable C error code of this error: one of the `PLUGPORT_E_*` constants of
    /// `headers/plugport.h` (defined in [`crate::codes`]), never 0.
    pub fn code(&self) -> i32 {
        use crate::codes::*;
        match self {
            LoadError::Io { .. } => PLUGPORT_E_IO,
            LoadError::NotSharedLibrary { .. } => PLUGPORT_E_NOT_SHARED_LIBRARY,
            LoadError::NotAPlugin { .. } => PLUGPORT_E_NOT_A_PLUGIN,
            LoadError::CorruptDescriptor { .. } => PLUGPORT_E_CORRUPT_DESCRIPTOR,
            LoadError::AbiVersion { .. } => PLUGPORT_E_ABI_VERSION,
            LoadError::PackageMismatch { .. } => PLUGPORT_E_PACKAGE_MISMATCH,
            LoadError::MajorVersionMismatch { .. } => PLUGPORT_E_MAJOR_VERSION_MISMATCH,
            LoadError::WorldMismatch { .. } => PLUGPORT_E_WORLD_MISMATCH,
            LoadError::Incompatible { .. } => PLUGPORT_E_INCOMPATIBLE,
            LoadError::WrongArchitecture { .. } => PLUGPORT_E_WRONG_ARCHITECTURE,
            LoadError::Dlopen { .. } => PLUGPORT_E_DLOPEN,
            LoadError::MissingEntry { .. } => PLUGPORT_E_MISSING_ENTRY,
            LoadError::InitFailed { .. } => PLUGPORT_E_INIT_FAILED,
            LoadError::BadExports { .. } => PLUGPORT_E_BAD_EXPORTS,
            LoadError::HostWorld { .. } => PLUGPORT_E_HOST_WORLD,
            LoadError::GoRuntime { .. } => PLUGPORT_E_GO_RUNTIME,
            LoadError::NotAllowed { .. } => PLUGPORT_E_NOT_ALLOWED,
        }
    }
}
