//! Steps 1–4 of `docs/abi.md` §8 before any code of a plugin runs: the file read once
//! (bounded), the allowlist over those bytes, the descriptor and the architecture from one
//! walk of the object file's headers, and the comparison with the host's world (in full,
//! or as identity when the plugin carries the host's world JSON byte for byte: the
//! module docs of [`crate::loader`], "The world of the host, byte for byte"). What it
//! finds is a [`CheckedFile`], from which the in-process, the isolated and the in-place
//! opens start.

use std::path::Path;
use std::sync::Arc;

use super::allowlist::Sha256Allowlist;
use super::host::{self, LazyDescriptor};
use super::in_place;
use crate::compat::{self, Compat};
use crate::descriptor::{self, Descriptor};
use crate::error::LoadError;
use crate::go::GoBuildInfo;
use crate::ir::World;

/// Steps 1–4 of `docs/abi.md` §8 on a file, without loading it: reads the descriptor and
/// checks it against `expected_world_json` (the `{"fingerprint","world"}` text of the
/// host's generated bindings, see [`descriptor::world_json`]). Returns the descriptor
/// and the comparison, which is always compatible.
///
/// Errors: everything [`descriptor::read_from_file`] returns, [`LoadError::HostWorld`],
/// [`LoadError::PackageMismatch`], [`LoadError::MajorVersionMismatch`],
/// [`LoadError::WorldMismatch`], [`LoadError::Incompatible`].
pub fn check(path: &Path, expected_world_json: &str) -> Result<(Descriptor, Compat), LoadError> {
    let host = parse_host_world(path, expected_world_json)?;
    let (fingerprint, world) = &*host;
    let descriptor = descriptor::read_from_file(path)?;
    let compat = check_descriptor(path, &descriptor, world, fingerprint)?;
    Ok((descriptor, compat))
}

/// Step 4 of `docs/abi.md` §8: compares a plugin's descriptor with the host's world
/// (`expected_fingerprint` is that world's [`World::fingerprint`]). Equal fingerprints
/// accept at once; otherwise the worlds are compared structurally with
/// [`compat::compare`].
pub fn check_descriptor(
    path: &Path,
    descriptor: &Descriptor,
    expected: &World,
    expected_fingerprint: &str,
) -> Result<Compat, LoadError> {
    let found = &descriptor.world;
    let (pe, pf) = (&expected.package, &found.package);
    if (&pe.namespace, &pe.name) != (&pf.namespace, &pf.name) {
        return Err(LoadError::PackageMismatch {
            path: path.to_path_buf(),
            expected: format!("{}:{}", pe.namespace, pe.name),
            found: format!("{}:{}", pf.namespace, pf.name),
        });
    }
    if pe.compat_line() != pf.compat_line() {
        let show = |p: &crate::ir::PackageName| {
            format!(
                "{}:{}@{} (line {})",
                p.namespace,
                p.name,
                p.version.as_deref().unwrap_or("0.0.0"),
                p.compat_line()
            )
        };
        return Err(LoadError::MajorVersionMismatch {
            path: path.to_path_buf(),
            expected: show(pe),
            found: show(pf),
        });
    }
    if expected.name != found.name {
        return Err(LoadError::WorldMismatch {
            path: path.to_path_buf(),
            expected: expected.name.clone(),
            found: found.name.clone(),
        });
    }
    if descriptor.fingerprint == expected_fingerprint {
        return Ok(Compat::identical());
    }
    let compat = compat::compare(expected, found);
    if !compat.is_compatible() {
        return Err(LoadError::Incompatible {
            path: path.to_path_buf(),
            items: compat.incompatibilities,
        });
    }
    Ok(compat)
}

/// A host's world, parsed and fingerprinted from its world JSON.
type HostWorld = Arc<(String, World)>;

/// The host's world JSON parsed, validated and fingerprinted: once per process and text
/// ([`descriptor::parse_world_json_cached`]), not on every open.
fn parse_host_world(path: &Path, json: &str) -> Result<HostWorld, LoadError> {
    descriptor::parse_world_json_cached(json).map_err(|e| LoadError::HostWorld {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// What steps 1–4 of `docs/abi.md` §8 found, before any code of the plugin ran: the
/// file's bytes, its descriptor, how it compares with the host's world (`world`), and its
/// Go runtime if it has one. Both the in-process and the isolated open start from it.
pub(crate) struct CheckedFile {
    pub(crate) data: Vec<u8>,
    pub(crate) descriptor: LazyDescriptor,
    pub(crate) compat: Compat,
    /// The fingerprint of the host's world JSON.
    pub(crate) host_fingerprint: String,
    pub(crate) go: Option<GoBuildInfo>,
    /// The open file the bytes were read from, and its metadata before the read: what an
    /// in-place open loads and compares (`in_place`). `None` where the file was read
    /// otherwise (the isolation runner's check).
    pub(crate) source: Option<(std::fs::File, in_place::Stamp)>,
}

/// Steps 1–4 of `docs/abi.md` §8 for the file at `path` against the host's world JSON,
/// after the SHA-256 allowlist `allow` (when there is one) accepted the bytes read.
///
/// Errors: [`LoadError::NotAllowed`]; [`LoadError::HostWorld`] for an invalid `expected_world_json`; every file and
/// descriptor error of [`descriptor::read_plugin_file`] and
/// [`descriptor::read_plugin_info_from_bytes`]; the compatibility errors of [`check_descriptor`];
/// [`LoadError::WrongArchitecture`].
pub(crate) fn check_file(
    path: &Path,
    expected_world_json: &str,
    allow: Option<&Sha256Allowlist>,
) -> Result<CheckedFile, LoadError> {
    // The light check of the host's own text (once per process and text), not a parse.
    let host = host::head(path, expected_world_json)?;
    let (data, file, meta) = descriptor::read_plugin_file_keeping(path)?;
    // The digest of the very bytes that are checked and loaded (`allowlist`).
    if let Some(allow) = allow {
        allow.check(path, &data)?;
    }
    let head = descriptor::read_plugin_head_from_bytes(path, &data)?;
    let (descriptor, compat) = if head.blob.world_json == expected_world_json {
        // The host's world byte for byte: identical, nothing to parse (module docs).
        (
            LazyDescriptor::identical(&head.blob, &host),
            Compat::identical(),
        )
    } else {
        let world = parse_host_world(path, expected_world_json)?;
        let descriptor = head
            .blob
            .parse()
            .map_err(|e| descriptor::descriptor_error(path, e))?;
        let compat = check_descriptor(path, &descriptor, &world.1, &world.0)?;
        (LazyDescriptor::from(descriptor), compat)
    };
    check_architecture(path, head.architecture)?;
    let go = head.go;
    Ok(CheckedFile {
        data,
        descriptor,
        compat,
        host_fingerprint: host.fingerprint.clone(),
        go,
        source: Some((file, in_place::Stamp::of(&meta))),
    })
}

/// Steps 1–3: the file read once (bounded), the allowlist over those bytes, the
/// descriptor parsed and validated from them, with the architecture and the Go build
/// information found in the same walk of the headers (one parse of the object file,
/// `descriptor::read_plugin_info_from_bytes`).
fn read_checked(
    path: &Path,
    allow: Option<&Sha256Allowlist>,
) -> Result<(Vec<u8>, descriptor::PluginFileInfo), LoadError> {
    let data = descriptor::read_plugin_file(path)?;
    // The digest of the very bytes that are checked and loaded (`allowlist`).
    if let Some(allow) = allow {
        allow.check(path, &data)?;
    }
    let info = descriptor::read_plugin_info_from_bytes(path, &data)?;
    Ok((data, info))
}

/// [`LoadError::WrongArchitecture`] when the file's architecture (`found`, from its
/// headers) is known and is not this process's.
fn check_architecture(path: &Path, found: Option<object::Architecture>) -> Result<(), LoadError> {
    if let (Some(found), Some(host)) = (found, descriptor::host_architecture()) {
        if found != host {
            return Err(LoadError::WrongArchitecture {
                path: path.to_path_buf(),
                expected: format!("{host:?}"),
                found: format!("{found:?}"),
            });
        }
    }
    Ok(())
}

/// The isolation runner's check of the file (`docs/isolation.md`, "The runner"): steps
/// 1–3 and the architecture on its own read, whose bytes it then loads
/// ([`load_checked_in_process`]). Step 4, the comparison with the host's world, was made
/// by the host; the runner makes sure it holds for these bytes by requiring the
/// descriptor's fingerprint to be the one the host compared (`plugin_fingerprint`), which
/// spares it parsing the host's world. `compat` is then the host's verdict, not
/// recomputed ([`Compat::identical`]).
///
/// Errors: as [`check_file`] but the comparison; `Err(Ok(found))` when the file's
/// fingerprint is another one (the file was replaced after the host's check).
pub(crate) fn check_file_checked_by_host(
    path: &Path,
    plugin_fingerprint: &str,
    allow: Option<&Sha256Allowlist>,
) -> Result<CheckedFile, Result<String, LoadError>> {
    let (data, info) = read_checked(path, allow).map_err(Err)?;
    let descriptor = info.descriptor;
    if descriptor.fingerprint != plugin_fingerprint {
        return Err(Ok(descriptor.fingerprint));
    }
    check_architecture(path, info.architecture).map_err(Err)?;
    let go = info.go;
    Ok(CheckedFile {
        data,
        host_fingerprint: descriptor.fingerprint.clone(),
        descriptor: descriptor.into(),
        compat: Compat::identical(),
        go,
        source: None,
    })
}
