//! The plugin descriptor (`docs/abi.md` §7): the blob in a plugin's `.plugport` section
//! that says what the plugin implements, read straight from the file with no code of the
//! plugin running.
//!
//! Layout (integers in the byte order of the target):
//!
//! | offset | field | contents |
//! |---|---|---|
//! | 0 | `magic[8]` | `PLUGPORT` |
//! | 8 | `u32 abi_version` | `1` |
//! | 12 | `u32 name_len` | bytes of the plugin name |
//! | 16 | `u32 version_len` | bytes of the plugin version |
//! | 20 | `u32 world_len` | bytes of the world JSON |
//! | 24 | name, NUL, version, NUL, world JSON, NUL | UTF-8 |
//!
//! The world JSON is [`world_json`]: `{"fingerprint":"<hex>","world":<canonical IR>}`.
//! The section may be longer than the blob (alignment padding), but only by zero bytes.

use std::path::Path;

use object::{Object, ObjectSection, ReadRef};
use serde::Deserialize;

use crate::abi::{ABI_VERSION, DESCRIPTOR_MAGIC};
use crate::error::LoadError;
use crate::ir::{FunctionKind, Type, TypeDefKind, TypeId, World, WorldItem};

/// Size of the fixed header of a descriptor blob, in bytes.
pub const HEADER_LEN: usize = 24;

/// Deepest nesting of types a descriptor may contain (`list<list<...>>`); deeper IR is
/// refused as corrupt so that no recursive walk over it can exhaust the stack.
pub const MAX_TYPE_DEPTH: usize = 64;

/// A parsed, validated descriptor.
#[derive(Clone, Debug, PartialEq)]
pub struct Descriptor {
    /// Version of the plugport ABI the blob was written for; always
    /// [`ABI_VERSION`] once parsed (other versions are refused).
    pub abi_version: u32,
    /// The plugin author's name for the plugin build (e.g. `greeter-en`).
    pub plugin_name: String,
    /// The plugin author's version of the build (e.g. `1.0.3`), not the interface version.
    pub plugin_version: String,
    /// Lower-case hex SHA-256 of the world's canonical JSON; checked against the IR.
    pub fingerprint: String,
    /// The world the plugin was generated from.
    pub world: World,
}

/// Why a descriptor blob (or a world JSON text) was refused. The messages name the
/// field, the expected and the found value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// The blob is shorter than the 24-byte header.
    #[error("the descriptor is {len} bytes: expected at least the {HEADER_LEN}-byte header")]
    TooShort { len: usize },
    /// The first 8 bytes are not `PLUGPORT`.
    #[error("bad magic: expected \"PLUGPORT\", found \"{found}\"")]
    BadMagic { found: String },
    /// Another version of the plugport ABI.
    #[error("ABI version: expected {expected}, found {found}")]
    AbiVersion { expected: u32, found: u32 },
    /// A field's declared length (plus its NUL) runs past the end of the section.
    #[error(
        "the {field} ({len} bytes at offset {offset}, plus a NUL) ends past the end of the \
         section: expected at most {section_len} bytes in all"
    )]
    OutOfBounds {
        field: &'static str,
        offset: u64,
        len: u64,
        section_len: usize,
    },
    /// The byte after a field is not the NUL separator.
    #[error("after the {field}, at offset {offset}: expected a NUL byte, found {found:#04x}")]
    MissingNul {
        field: &'static str,
        offset: usize,
        found: u8,
    },
    /// A field contains a NUL byte (C hosts read them as NUL-terminated strings).
    #[error("the {field} contains a NUL byte at offset {offset}: expected none")]
    InteriorNul { field: &'static str, offset: usize },
    /// A field is not valid UTF-8.
    #[error("the {field} is not valid UTF-8: invalid byte at offset {offset}")]
    Utf8 { field: &'static str, offset: usize },
    /// Bytes other than zero padding follow the blob in the section.
    #[error(
        "{len} bytes follow the descriptor at offset {offset}: expected nothing but zero padding"
    )]
    TrailingData { offset: usize, len: usize },
    /// The world JSON does not parse as `{"fingerprint":"<hex>","world":<IR>}`.
    #[error("the world JSON does not parse as {{\"fingerprint\",\"world\"}}: {reason}")]
    Json { reason: String },
    /// The IR parses but breaks its own rules (dangling type id, cycle, ...).
    #[error("invalid world IR: {reason}")]
    InvalidWorld { reason: String },
    /// The world JSON parses and its fingerprint is right, but the text is not exactly
    /// the canonical form [`world_json`] writes (unknown keys, source locations, spacing,
    /// another key order): `docs/abi.md` §7.
    #[error(
        "the world JSON is not in canonical form (as plugport writes it: no unknown keys, \
         no spaces, fields in IR order): at byte {offset} expected {expected}, found {found}"
    )]
    NotCanonical {
        offset: usize,
        expected: String,
        found: String,
    },
    /// The fingerprint is not 64 lower-case hex digits, or not the hash of the IR.
    #[error(
        "fingerprint mismatch: expected {computed} (the SHA-256 of the canonical IR), found \
         {declared}"
    )]
    Fingerprint { declared: String, computed: String },
}

/// The world JSON that descriptors and generated bindings embed:
/// `{"fingerprint":"<hex>","world":<canonical IR>}`.
pub fn world_json(world: &World) -> String {
    format!(
        "{{\"fingerprint\":\"{}\",\"world\":{}}}",
        world.fingerprint(),
        world.canonical_json()
    )
}

/// Builds a descriptor blob (`docs/abi.md` §7) from its parts, for tests and tools.
/// `world_json` is normally [`world_json`]`(&world)`; it is written as given.
/// Panics if a part is longer than `u32::MAX` bytes.
pub fn encode_blob(name: &str, version: &str, world_json: &str, little_endian: bool) -> Vec<u8> {
    let u32_bytes = |n: usize| {
        let n = u32::try_from(n).expect("descriptor field longer than u32::MAX bytes");
        if little_endian {
            n.to_le_bytes()
        } else {
            n.to_be_bytes()
        }
    };
    let mut out =
        Vec::with_capacity(HEADER_LEN + name.len() + version.len() + world_json.len() + 3);
    out.extend_from_slice(&DESCRIPTOR_MAGIC);
    out.extend_from_slice(&u32_bytes(ABI_VERSION as usize));
    out.extend_from_slice(&u32_bytes(name.len()));
    out.extend_from_slice(&u32_bytes(version.len()));
    out.extend_from_slice(&u32_bytes(world_json.len()));
    for part in [name, version, world_json] {
        out.extend_from_slice(part.as_bytes());
        out.push(0);
    }
    out
}

/// Parses and validates a descriptor blob: magic, ABI version, lengths inside `bytes`,
/// NUL separators, UTF-8, JSON, the IR's own consistency, and the fingerprint recomputed
/// from the re-serialised canonical IR. `bytes` is the whole section; after the blob only
/// zero padding is allowed. `little_endian` is the byte order of the file.
pub fn parse_blob(bytes: &[u8], little_endian: bool) -> Result<Descriptor, DescriptorError> {
    if bytes.len() < HEADER_LEN {
        return Err(DescriptorError::TooShort { len: bytes.len() });
    }
    if bytes[..8] != DESCRIPTOR_MAGIC {
        return Err(DescriptorError::BadMagic {
            found: bytes[..8].escape_ascii().to_string(),
        });
    }
    let u32_at = |off: usize| {
        let b: [u8; 4] = bytes[off..off + 4].try_into().expect("4 bytes");
        if little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let abi_version = u32_at(8);
    if abi_version != ABI_VERSION {
        return Err(DescriptorError::AbiVersion {
            expected: ABI_VERSION,
            found: abi_version,
        });
    }
    let lens = [
        ("plugin name", u32_at(12)),
        ("plugin version", u32_at(16)),
        ("world JSON", u32_at(20)),
    ];
    let mut offset = HEADER_LEN;
    let mut parts: Vec<&str> = Vec::with_capacity(3);
    for (field, len) in lens {
        let end = offset as u64 + u64::from(len);
        if end + 1 > bytes.len() as u64 {
            return Err(DescriptorError::OutOfBounds {
                field,
                offset: offset as u64,
                len: len.into(),
                section_len: bytes.len(),
            });
        }
        let end = end as usize;
        let text = &bytes[offset..end];
        if bytes[end] != 0 {
            return Err(DescriptorError::MissingNul {
                field,
                offset: end,
                found: bytes[end],
            });
        }
        if let Some(i) = text.iter().position(|&b| b == 0) {
            return Err(DescriptorError::InteriorNul {
                field,
                offset: offset + i,
            });
        }
        let text = simdutf8::compat::from_utf8(text).map_err(|e| DescriptorError::Utf8 {
            field,
            offset: offset + e.valid_up_to(),
        })?;
        parts.push(text);
        offset = end + 1;
    }
    let rest = &bytes[offset..];
    if let Some(first) = rest.iter().position(|&b| b != 0) {
        return Err(DescriptorError::TrailingData {
            offset: offset + first,
            len: rest.len() - first,
        });
    }
    let (fingerprint, world) = parse_world_json(parts[2])?;
    Ok(Descriptor {
        abi_version,
        plugin_name: parts[0].to_string(),
        plugin_version: parts[1].to_string(),
        fingerprint,
        world,
    })
}

/// Parses the `{"fingerprint":"<hex>","world":<IR>}` text of [`world_json`] (from a
/// descriptor, or the host's generated bindings), checks the IR with [`validate_world`],
/// the fingerprint against [`World::fingerprint`] of the parsed IR, and that `text` is
/// byte for byte what [`world_json`] writes for that IR, so that the fingerprint is the
/// SHA-256 of exactly the `world` text (`docs/abi.md` §7). Returns the fingerprint and
/// the world.
///
/// Errors: [`DescriptorError::Json`] (not JSON of that shape, unknown top-level keys),
/// [`DescriptorError::InvalidWorld`], [`DescriptorError::Fingerprint`],
/// [`DescriptorError::NotCanonical`] (unknown keys inside the IR, spacing, key order,
/// source locations).
pub fn parse_world_json(text: &str) -> Result<(String, World), DescriptorError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct WorldJson {
        fingerprint: String,
        world: World,
    }
    let parsed: WorldJson = serde_json::from_str(text).map_err(|e| DescriptorError::Json {
        reason: e.to_string(),
    })?;
    validate_world(&parsed.world).map_err(|reason| DescriptorError::InvalidWorld { reason })?;
    let canonical = parsed.world.canonical_json();
    let computed = sha256_hex(canonical.as_bytes());
    if parsed.fingerprint != computed {
        return Err(DescriptorError::Fingerprint {
            declared: parsed.fingerprint,
            computed,
        });
    }
    // The text must be exactly what `world_json` writes, so that the fingerprint is the
    // hash of exactly the `world` text it carries (docs/abi.md §7): unknown keys (which
    // serde would skip), locations, spacing or another key order are refused.
    let expected = format!("{{\"fingerprint\":\"{computed}\",\"world\":{canonical}}}");
    if text != expected {
        let offset = text
            .bytes()
            .zip(expected.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(text.len().min(expected.len()));
        return Err(DescriptorError::NotCanonical {
            offset,
            found: snippet(text, offset),
            expected: snippet(&expected, offset),
        });
    }
    Ok((computed, parsed.world))
}

/// Lower-case hex SHA-256 of `bytes` (as [`World::fingerprint`]).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Up to 24 characters of `text` from byte `offset` (rounded down to a character), for
/// error messages.
fn snippet(text: &str, offset: usize) -> String {
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let s: String = text[start..].chars().take(24).collect();
    if s.is_empty() {
        "the end of the text".into()
    } else {
        format!("{s:?}")
    }
}

/// Checks the rules of `bridge/src/ir.rs` that the loader relies on: every [`TypeId`]
/// (in types, functions and interfaces) is in range, handles and resource functions
/// point at resources, flags have at most 64 members, and types do not refer to
/// themselves, directly or not, nor nest deeper than [`MAX_TYPE_DEPTH`].
/// Returns a message naming the offending type or function.
pub fn validate_world(world: &World) -> Result<(), String> {
    let n = world.types.len();
    let in_range = |id: TypeId, what: &dyn Fn() -> String| {
        if id < n {
            Ok(())
        } else {
            Err(format!(
                "{} refers to type #{id}, but the world has {n} types",
                what()
            ))
        }
    };
    let is_resource = |id: TypeId, what: &dyn Fn() -> String| {
        in_range(id, what)?;
        match world.types[id].kind {
            TypeDefKind::Resource => Ok(()),
            _ => Err(format!(
                "{} names type #{id} as its resource, which is not a resource",
                what()
            )),
        }
    };
    let check_ty = |t: Type, what: &dyn Fn() -> String| match t {
        Type::Id(id) => in_range(id, what),
        _ => Ok(()),
    };
    for (i, d) in world.types.iter().enumerate() {
        let what = || format!("type #{i}");
        for t in children(&d.kind) {
            check_ty(t, &what)?;
        }
        match &d.kind {
            TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
                is_resource(*resource, &what)?
            }
            TypeDefKind::Flags { flags } if flags.len() > 64 => {
                return Err(format!(
                    "type #{i} has {} flags: expected at most 64",
                    flags.len()
                ))
            }
            _ => {}
        }
    }
    // Depth with cycle detection: 0 = unvisited, 1 = in progress, 2 + d = depth d.
    let mut state = vec![0usize; n];
    for i in 0..n {
        depth(world, i, &mut state, 0)?;
    }
    for item in world.imports.iter().chain(&world.exports) {
        let (iface, functions) = match item {
            WorldItem::Interface(i) => {
                for &t in &i.types {
                    in_range(t, &|| format!("interface {}", i.name))?;
                }
                (Some(i.name.as_str()), i.functions.as_slice())
            }
            WorldItem::Function(f) => (None, std::slice::from_ref(f)),
        };
        for f in functions {
            let what = || match iface {
                Some(i) => format!("function {i}.{}", f.name),
                None => format!("function {}", f.name),
            };
            for p in &f.params {
                check_ty(p.ty, &what)?;
            }
            if let Some(r) = f.result {
                check_ty(r, &what)?;
            }
            match f.kind {
                FunctionKind::Freestanding => {}
                FunctionKind::Method(r)
                | FunctionKind::Static(r)
                | FunctionKind::Constructor(r) => is_resource(r, &what)?,
            }
        }
    }
    Ok(())
}

fn children(k: &TypeDefKind) -> Vec<Type> {
    match k {
        TypeDefKind::Record { fields } => fields.iter().map(|f| f.ty).collect(),
        TypeDefKind::Tuple { types } => types.clone(),
        TypeDefKind::Variant { cases } => cases.iter().filter_map(|c| c.ty).collect(),
        TypeDefKind::Option { ty } | TypeDefKind::List { ty } | TypeDefKind::Alias { ty } => {
            vec![*ty]
        }
        TypeDefKind::Result { ok, err } => ok.iter().chain(err).copied().collect(),
        TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
            vec![Type::Id(*resource)]
        }
        TypeDefKind::Flags { .. } | TypeDefKind::Enum { .. } | TypeDefKind::Resource => vec![],
    }
}

fn depth(world: &World, i: TypeId, state: &mut [usize], level: usize) -> Result<usize, String> {
    match state[i] {
        0 => {}
        1 => return Err(format!("type #{i} contains itself")),
        s => return Ok(s - 2),
    }
    if level > MAX_TYPE_DEPTH {
        return Err(format!(
            "types nest deeper than {MAX_TYPE_DEPTH} levels at type #{i}"
        ));
    }
    state[i] = 1;
    let mut d = 0;
    for t in children(&world.types[i].kind) {
        if let Type::Id(c) = t {
            d = d.max(1 + depth(world, c, state, level + 1)?);
        }
    }
    if d > MAX_TYPE_DEPTH {
        return Err(format!(
            "type #{i} nests {d} levels deep: expected at most {MAX_TYPE_DEPTH}"
        ));
    }
    state[i] = 2 + d;
    Ok(d)
}

/// Reads and validates the descriptor of a plugin file without loading it (no `dlopen`,
/// no code of the plugin runs): `docs/abi.md` §8 steps 1–3. Reads only the headers and
/// sections it needs, as [`read_plugin_info`] does.
///
/// Errors: [`LoadError::Io`] (unreadable), [`LoadError::NotSharedLibrary`] (not a regular
/// file, larger than [`MAX_PLUGIN_FILE`], not an object file, or not a shared library: an
/// executable, a `.o`, an archive...), [`LoadError::NotAPlugin`] (no `.plugport`
/// section), [`LoadError::AbiVersion`], [`LoadError::CorruptDescriptor`].
pub fn read_from_file(path: &Path) -> Result<Descriptor, LoadError> {
    read_plugin_info(path).map(|info| info.descriptor)
}

/// What [`read_plugin_info`] finds in a plugin file.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginFileInfo {
    /// The parsed, validated descriptor.
    pub descriptor: Descriptor,
    /// The CPU architecture the file was built for (`None` when `object` does not know it).
    pub architecture: Option<object::Architecture>,
    /// The Go build information of a Go `c-shared` plugin (its `.go.buildinfo` section),
    /// `None` for plugins in other languages.
    pub go: Option<crate::go::GoBuildInfo>,
}

/// Reads a plugin file's descriptor, architecture and Go build information without
/// loading it and without reading the whole file: after the checks of
/// [`open_plugin_file`] (a regular file of at most [`MAX_PLUGIN_FILE`] bytes), it reads
/// the object file's headers, for ELF only the file header, the section headers and
/// their name table, and then the sections it needs (`.plugport`, `.dynamic` for the
/// PIE check, `.go.buildinfo`), each with one bounded read (`object::ReadCache`). A FIFO,
/// a device, a directory or a sparse file of many GiB is refused before any read.
/// `plugport inspect` and `plugport check` use it.
///
/// Errors: those of [`read_from_file`].
pub fn read_plugin_info(path: &Path) -> Result<PluginFileInfo, LoadError> {
    let (file, _) = open_plugin_file(path)?;
    read_plugin_info_from(path, file)
}

/// [`read_plugin_info`] on a file already opened (and checked, see [`open_plugin_file`]):
/// reads from `reader` only the ranges it needs. `path` is only used in error messages.
///
/// Errors: those of [`read_from_file`] but [`LoadError::Io`]; a read error shows as a
/// damaged file or an unreadable section.
pub fn read_plugin_info_from<R: std::io::Read + std::io::Seek>(
    path: &Path,
    reader: R,
) -> Result<PluginFileInfo, LoadError> {
    let cache = object::ReadCache::new(reader);
    let located = locate(path, &cache)?;
    let descriptor = parse_located(path, located.section, located.little_endian)?;
    Ok(PluginFileInfo {
        descriptor,
        architecture: located.architecture,
        go: located.go,
    })
}

/// The largest plugin file the loader reads: 1 GiB.
pub const MAX_PLUGIN_FILE: u64 = 1 << 30;

/// Opens a plugin file for reading after checking that it is a regular file of at most
/// [`MAX_PLUGIN_FILE`] bytes: a FIFO would block the open or the read, a device such as
/// `/dev/zero` would never end, a directory cannot be read. The type is checked on the
/// path before opening (opening a FIFO blocks until a writer appears) and again on the
/// open handle (in case the path was swapped in between). Symbolic links are followed.
/// Returns the open file and its length in bytes.
///
/// Errors: [`LoadError::Io`] (missing or unreadable), [`LoadError::NotSharedLibrary`]
/// (not a regular file: the reason names its type, e.g. `a directory`; or too large).
pub fn open_plugin_file(path: &Path) -> Result<(std::fs::File, u64), LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_library = |reason: String| LoadError::NotSharedLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let regular = |meta: &std::fs::Metadata| {
        if meta.is_file() {
            Ok(())
        } else {
            Err(not_library(file_type_name(meta.file_type()).into()))
        }
    };
    regular(&std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    regular(&meta)?;
    if meta.len() > MAX_PLUGIN_FILE {
        return Err(not_library(format!(
            "a file of {} bytes, more than the {MAX_PLUGIN_FILE} bytes plugport reads",
            meta.len()
        )));
    }
    Ok((file, meta.len()))
}

/// What a file that is not a regular file is, for the "found" part of
/// [`LoadError::NotSharedLibrary`] (`docs/errors.md`).
fn file_type_name(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO), not a regular file";
        }
        if t.is_char_device() {
            return "a character device, not a regular file";
        }
        if t.is_block_device() {
            return "a block device, not a regular file";
        }
        if t.is_socket() {
            return "a socket, not a regular file";
        }
    }
    if t.is_dir() {
        "a directory, not a regular file"
    } else if t.is_symlink() {
        "a symbolic link that cannot be followed, not a regular file"
    } else {
        "a special file, not a regular file"
    }
}

/// Reads a whole plugin file into memory after the checks of [`open_plugin_file`] (the
/// loader checks and loads these same bytes).
///
/// Errors: [`LoadError::Io`] (missing or unreadable), [`LoadError::NotSharedLibrary`]
/// (not a regular file, or too large).
pub fn read_plugin_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let (file, len) = open_plugin_file(path)?;
    let mut data = Vec::with_capacity(len as usize);
    // `take`: a file that grows while being read cannot push past the limit either.
    file.take(MAX_PLUGIN_FILE + 1)
        .read_to_end(&mut data)
        .map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if data.len() as u64 > MAX_PLUGIN_FILE {
        return Err(LoadError::NotSharedLibrary {
            path: path.to_path_buf(),
            reason: format!("a file of more than the {MAX_PLUGIN_FILE} bytes plugport reads"),
        });
    }
    Ok(data)
}

/// [`read_from_file`] on the bytes of a file already in memory; `path` is only used in
/// error messages.
pub fn read_from_bytes(path: &Path, data: &[u8]) -> Result<Descriptor, LoadError> {
    let located = locate(path, data)?;
    parse_located(path, located.section, located.little_endian)
}

/// [`parse_blob`] with its errors as [`LoadError`]s of `path`.
fn parse_located(
    path: &Path,
    section: &[u8],
    little_endian: bool,
) -> Result<Descriptor, LoadError> {
    parse_blob(section, little_endian).map_err(|e| match e {
        DescriptorError::AbiVersion { expected, found } => LoadError::AbiVersion {
            path: path.to_path_buf(),
            expected,
            found,
        },
        e => LoadError::CorruptDescriptor {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    })
}

/// The CPU architecture a shared library was built for, or `None` when `data` is not a
/// shared library plugport can read. Used by the loader to refuse foreign libraries with
/// a clear message before `dlopen`.
pub fn architecture(data: &[u8]) -> Option<object::Architecture> {
    let data = thin_slice(data).ok()?;
    object::File::parse(data).ok().map(|f| f.architecture())
}

/// For a Mach-O universal binary, the slice of the host's architecture; otherwise `data`.
fn thin_slice(data: &[u8]) -> Result<&[u8], String> {
    use object::macho::{FatArch32, FatArch64};
    use object::read::macho::{FatArch, MachOFatFile};
    let kind = object::FileKind::parse(data).map_err(|e| e.to_string())?;
    let want = host_architecture();
    type Slices<'d> = Vec<(object::Architecture, Result<&'d [u8], object::Error>)>;
    fn pick(arches: Slices<'_>, want: Option<object::Architecture>) -> Result<&[u8], String> {
        let names: Vec<String> = arches.iter().map(|(a, _)| format!("{a:?}")).collect();
        arches
            .into_iter()
            .find(|(a, _)| Some(*a) == want)
            .map(|(_, d)| d.map_err(|e| e.to_string()))
            .unwrap_or_else(|| {
                Err(format!(
                    "a Mach-O universal binary without a slice for this host ({}); it has: {}",
                    want.map(|a| format!("{a:?}"))
                        .unwrap_or_else(|| "unknown".into()),
                    names.join(", ")
                ))
            })
    }
    /// The architecture and bytes of each slice of a universal binary (32- or 64-bit).
    fn slices<Fat: FatArch>(data: &[u8]) -> Result<Slices<'_>, String> {
        let fat = MachOFatFile::<Fat>::parse(data).map_err(|e| e.to_string())?;
        Ok(fat
            .arches()
            .iter()
            .map(|a| (a.architecture(), a.data(data)))
            .collect())
    }
    match kind {
        object::FileKind::MachOFat32 => pick(slices::<FatArch32>(data)?, want),
        object::FileKind::MachOFat64 => pick(slices::<FatArch64>(data)?, want),
        _ => Ok(data),
    }
}

/// The architecture of this process, as `object` names it (`None` if unknown to plugport).
pub fn host_architecture() -> Option<object::Architecture> {
    use object::Architecture as A;
    if cfg!(target_arch = "x86_64") {
        Some(if cfg!(target_pointer_width = "32") {
            A::X86_64_X32
        } else {
            A::X86_64
        })
    } else if cfg!(target_arch = "aarch64") {
        Some(if cfg!(target_pointer_width = "32") {
            A::Aarch64_Ilp32
        } else {
            A::Aarch64
        })
    } else if cfg!(target_arch = "x86") {
        Some(A::I386)
    } else if cfg!(target_arch = "arm") {
        Some(A::Arm)
    } else if cfg!(target_arch = "riscv64") {
        Some(A::Riscv64)
    } else if cfg!(target_arch = "riscv32") {
        Some(A::Riscv32)
    } else if cfg!(target_arch = "powerpc64") {
        Some(A::PowerPc64)
    } else if cfg!(target_arch = "s390x") {
        Some(A::S390x)
    } else if cfg!(target_arch = "loongarch64") {
        Some(A::LoongArch64)
    } else {
        None
    }
}

/// What [`locate`] finds in an object file: the descriptor section, the byte order, the
/// architecture and the Go build information.
struct Located<'d> {
    section: &'d [u8],
    little_endian: bool,
    architecture: Option<object::Architecture>,
    go: Option<crate::go::GoBuildInfo>,
}

/// Steps 1 and 2 of `docs/abi.md` §8: checks that `data` is a shared library and finds
/// its descriptor section. Generic over [`ReadRef`] so that it reads either bytes in
/// memory or, through `object::ReadCache`, only the ranges it needs from a file.
fn locate<'d, R: ReadRef<'d>>(path: &Path, data: R) -> Result<Located<'d>, LoadError> {
    let not_lib = |reason: String| LoadError::NotSharedLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let kind = object::FileKind::parse(data).map_err(|_| {
        let len = data.len().unwrap_or(0);
        let head = data.read_bytes_at(0, len.min(512)).unwrap_or(&[]);
        not_lib(if len == 0 {
            "an empty file".into()
        } else if !head.contains(&0)
            // A multi-byte character cut at the end of `head` is still text.
            && std::str::from_utf8(head).map_or_else(|e| e.error_len().is_none(), |_| true)
        {
            "a text file".into()
        } else {
            format!(
                "a file of an unknown format (first bytes {})",
                head[..head.len().min(8)].escape_ascii()
            )
        })
    })?;
    use object::FileKind as K;
    match kind {
        K::MachOFat32 => {
            let slice = fat_slice::<object::macho::FatArch32, R>(data).map_err(not_lib)?;
            locate_thin(path, slice)
        }
        K::MachOFat64 => {
            let slice = fat_slice::<object::macho::FatArch64, R>(data).map_err(not_lib)?;
            locate_thin(path, slice)
        }
        _ => locate_thin(path, data),
    }
}

/// The bytes of the slice for this host's architecture in a Mach-O universal binary.
fn fat_slice<'d, Fat: object::read::macho::FatArch, R: ReadRef<'d>>(
    data: R,
) -> Result<&'d [u8], String> {
    let fat = object::read::macho::MachOFatFile::<Fat>::parse(data).map_err(|e| e.to_string())?;
    let want = host_architecture();
    match fat.arches().iter().find(|a| Some(a.architecture()) == want) {
        Some(a) => a.data(data).map_err(|e| e.to_string()),
        None => Err(format!(
            "a Mach-O universal binary without a slice for this host ({}); it has: {}",
            want.map(|a| format!("{a:?}"))
                .unwrap_or_else(|| "unknown".into()),
            fat.arches()
                .iter()
                .map(|a| format!("{:?}", a.architecture()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// [`locate`] on a file that is not a universal binary (one nested in a universal binary
/// is refused).
fn locate_thin<'d, R: ReadRef<'d>>(path: &Path, data: R) -> Result<Located<'d>, LoadError> {
    let not_lib = |reason: String| LoadError::NotSharedLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let kind = object::FileKind::parse(data)
        .map_err(|e| not_lib(format!("a damaged or truncated object file ({e})")))?;
    use object::FileKind as K;
    match kind {
        K::Elf32 => {
            return locate_elf::<object::elf::FileHeader32<object::Endianness>, R>(path, data)
        }
        K::Elf64 => {
            return locate_elf::<object::elf::FileHeader64<object::Endianness>, R>(path, data)
        }
        K::MachO32 | K::MachO64 | K::Pe32 | K::Pe64 => {}
        K::MachOFat32 | K::MachOFat64 => {
            return Err(not_lib(
                "a Mach-O universal binary nested in a universal binary".into(),
            ))
        }
        K::Archive => return Err(not_lib("a static library archive (.a / .lib)".into())),
        K::Coff | K::CoffBig | K::CoffImport => {
            return Err(not_lib(
                "a COFF object file (.obj), not a linked DLL".into(),
            ))
        }
        K::DyldCache => return Err(not_lib("a dyld shared cache".into())),
        other => return Err(not_lib(format!("an object file of kind {other:?}"))),
    }
    let file = object::File::parse(data)
        .map_err(|e| not_lib(format!("a damaged or truncated object file ({e})")))?;
    let format = file.format();
    match format {
        object::BinaryFormat::MachO => {
            let filetype = macho_filetype(data, file.is_little_endian());
            if !matches!(filetype, Some(MH_DYLIB) | Some(MH_BUNDLE)) {
                let what = match filetype {
                    Some(MH_OBJECT) => "a Mach-O object file (MH_OBJECT)",
                    Some(MH_EXECUTE) => "a Mach-O executable (MH_EXECUTE)",
                    _ => "a Mach-O file that is neither a dylib nor a bundle",
                };
                return Err(not_lib(what.into()));
            }
        }
        object::BinaryFormat::Pe => {
            if file.kind() != object::ObjectKind::Dynamic {
                return Err(not_lib("a PE executable (.exe), not a DLL".into()));
            }
        }
        other => return Err(not_lib(format!("an object file of format {other:?}"))),
    }
    let section = file.sections().find(|s| {
        let Ok(name) = s.name_bytes() else {
            return false;
        };
        match format {
            object::BinaryFormat::MachO => name == b"__plugport",
            // PE images truncate section names to 8 bytes.
            _ => name == b".plugport" || name == b".plugpor",
        }
    });
    let Some(section) = section else {
        return Err(LoadError::NotAPlugin {
            path: path.to_path_buf(),
        });
    };
    let bytes = section.data().map_err(|e| unreadable_section(path, e))?;
    Ok(Located {
        section: bytes,
        little_endian: file.is_little_endian(),
        architecture: Some(file.architecture()),
        go: crate::go::from_object(&file),
    })
}

fn unreadable_section(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::CorruptDescriptor {
        path: path.to_path_buf(),
        reason: format!("the .plugport section cannot be read: {e}"),
    }
}

/// [`locate`] for ELF, from the file header, the section headers and their names only
/// (not the program headers nor the symbol tables, which `object::File` would read).
fn locate_elf<'d, Elf, R>(path: &Path, data: R) -> Result<Located<'d>, LoadError>
where
    Elf: object::read::elf::FileHeader<Endian = object::Endianness>,
    R: ReadRef<'d>,
{
    use object::elf::{ET_CORE, ET_DYN, ET_EXEC, ET_REL};
    use object::read::elf::{Dyn, SectionHeader};
    use object::Endian;
    let not_lib = |reason: String| LoadError::NotSharedLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let damaged = |e: object::Error| not_lib(format!("a damaged or truncated object file ({e})"));
    let header = Elf::parse(data).map_err(damaged)?;
    let endian = header.endian().map_err(damaged)?;
    let sections = header.sections(endian, data).map_err(damaged)?;
    match header.e_type(endian) {
        ET_DYN => {}
        e_type => {
            return Err(not_lib(
                match e_type {
                    ET_REL => "an ELF relocatable object (ET_REL, a .o file)",
                    ET_EXEC => "an ELF executable (ET_EXEC)",
                    ET_CORE => "an ELF core dump (ET_CORE)",
                    _ => "an ELF file of unknown type",
                }
                .into(),
            ))
        }
    }
    // A position-independent executable is ET_DYN too, but has DF_1_PIE in DT_FLAGS_1.
    if let Ok(Some((entries, _))) = sections.dynamic(endian, data) {
        let pie = entries.iter().any(|d| {
            d.d_tag(endian) == object::elf::DT_FLAGS_1
                && d.d_val(endian).into() & object::elf::DF_1_PIE.0 != 0
        });
        if pie {
            return Err(not_lib(
                "an ELF position-independent executable (ET_DYN with DF_1_PIE)".into(),
            ));
        }
    }
    let Some((_, section)) =
        sections.section_by_name(endian, crate::abi::DESCRIPTOR_SECTION_ELF.as_bytes())
    else {
        return Err(LoadError::NotAPlugin {
            path: path.to_path_buf(),
        });
    };
    let bytes = section
        .data(endian, data)
        .map_err(|e| unreadable_section(path, e))?;
    let go = sections
        .section_by_name(endian, b".go.buildinfo")
        .and_then(|(_, s)| s.data(endian, data).ok())
        .map(crate::go::parse_section);
    let architecture = elf_architecture(header.e_machine(endian), header.is_class_64())
        // Architectures plugport has no host for: ask `object`, which reads more.
        .or_else(|| object::File::parse(data).ok().map(|f| f.architecture()));
    Ok(Located {
        section: bytes,
        little_endian: endian.is_little_endian(),
        architecture,
        go,
    })
}

/// The architectures of [`host_architecture`] from an ELF `e_machine` and class, as
/// `object` names them; `None` for the others.
fn elf_architecture(machine: object::elf::Machine, is_64: bool) -> Option<object::Architecture> {
    use object::elf;
    use object::Architecture as A;
    Some(match (machine, is_64) {
        (elf::EM_X86_64, true) => A::X86_64,
        (elf::EM_X86_64, false) => A::X86_64_X32,
        (elf::EM_AARCH64, true) => A::Aarch64,
        (elf::EM_AARCH64, false) => A::Aarch64_Ilp32,
        (elf::EM_386, _) => A::I386,
        (elf::EM_ARM, _) => A::Arm,
        (elf::EM_RISCV, true) => A::Riscv64,
        (elf::EM_RISCV, false) => A::Riscv32,
        (elf::EM_PPC64, true) => A::PowerPc64,
        (elf::EM_S390, true) => A::S390x,
        (elf::EM_LOONGARCH, true) => A::LoongArch64,
        _ => return None,
    })
}

// Mach-O `filetype` values (the Mach-O specification).
const MH_OBJECT: u32 = 1;
const MH_EXECUTE: u32 = 2;
const MH_DYLIB: u32 = 6;
const MH_BUNDLE: u32 = 8;

/// `filetype` of a Mach-O header (offset 12, 4 bytes, file byte order).
fn macho_filetype<'d, R: ReadRef<'d>>(data: R, little_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.read_bytes_at(12, 4).ok()?.try_into().ok()?;
    Some(if little_endian {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}
