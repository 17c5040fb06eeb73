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

use object::{Object, ObjectSection};
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
    let parsed = parse_world_json_cached(parts[2])?;
    let (fingerprint, world) = (parsed.0.clone(), parsed.1.clone());
    Ok(Descriptor {
        abi_version,
        plugin_name: parts[0].to_string(),
        plugin_version: parts[1].to_string(),
        fingerprint,
        world,
    })
}

/// Parses the `{"fingerprint":"<hex>","world":<IR>}` text of [`world_json`] (from a
/// descriptor, or the host's generated bindings), checks the IR with [`validate_world`]
/// and the fingerprint against [`World::fingerprint`] of the parsed IR. Returns the
/// fingerprint and the world.
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
    let computed = parsed.world.fingerprint();
    if parsed.fingerprint != computed {
        return Err(DescriptorError::Fingerprint {
            declared: parsed.fingerprint,
            computed,
        });
    }
    Ok((computed, parsed.world))
}

/// [`parse_world_json`], once per distinct text in this process: the results are kept
/// (the first [`MAX_CACHED_WORLDS`] texts) and found again by comparing the text, which
/// costs far less than parsing, validating and fingerprinting it again. The loader opens
/// plugins of the host's world over and over (each open, reload and plugin of one world
/// carries the same text), so this makes the check of an unchanged world a comparison.
/// Errors are not kept: every call with an invalid text reports it.
pub fn parse_world_json_cached(
    text: &str,
) -> Result<std::sync::Arc<(String, World)>, DescriptorError> {
    use std::sync::{Arc, Mutex, OnceLock};
    type Seen = Vec<(Box<str>, Arc<(String, World)>)>;
    static SEEN: OnceLock<Mutex<Seen>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let find = |list: &Seen| {
        list.iter()
            .find(|(t, _)| **t == *text)
            .map(|(_, w)| w.clone())
    };
    if let Some(w) = find(&seen.lock().unwrap_or_else(|p| p.into_inner())) {
        return Ok(w);
    }
    let parsed = Arc::new(parse_world_json(text)?);
    let mut list = seen.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(w) = find(&list) {
        return Ok(w);
    }
    if list.len() < MAX_CACHED_WORLDS {
        list.push((text.into(), parsed.clone()));
    }
    Ok(parsed)
}

/// How many distinct world texts [`parse_world_json_cached`] keeps.
pub const MAX_CACHED_WORLDS: usize = 64;

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
/// no code of the plugin runs): `docs/abi.md` §8 steps 1–3.
///
/// Errors: [`LoadError::Io`] (unreadable), [`LoadError::NotSharedLibrary`] (not an
/// object file, or not a shared library: an executable, a `.o`, an archive...),
/// [`LoadError::NotAPlugin`] (no `.plugport` section), [`LoadError::AbiVersion`],
/// [`LoadError::CorruptDescriptor`].
pub fn read_from_file(path: &Path) -> Result<Descriptor, LoadError> {
    let data = read_plugin_file(path)?;
    read_from_bytes(path, &data)
}

/// The largest plugin file the loader reads: 1 GiB.
pub const MAX_PLUGIN_FILE: u64 = 1 << 30;

/// Reads a whole plugin file into memory, refusing anything that is not a regular file
/// (a FIFO or a device such as `/dev/zero` would block or never end) or is larger than
/// [`MAX_PLUGIN_FILE`] bytes, before reading it. Symbolic links are followed.
///
/// Errors: [`LoadError::Io`] (missing or unreadable), [`LoadError::NotSharedLibrary`]
/// (not a regular file, or too large).
pub fn read_plugin_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
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
            Err(not_library(format!(
                "not a regular file (file type {:?})",
                meta.file_type()
            )))
        }
    };
    // Before opening: opening a FIFO blocks until a writer appears.
    regular(&std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::File::open(path).map_err(io)?;
    // And on the handle, in case the path was swapped in between.
    let meta = file.metadata().map_err(io)?;
    regular(&meta)?;
    if meta.len() > MAX_PLUGIN_FILE {
        return Err(not_library(format!(
            "{} bytes, more than the {MAX_PLUGIN_FILE} bytes plugport reads",
            meta.len()
        )));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // `take`: a file that grows while being read cannot push past the limit either.
    file.take(MAX_PLUGIN_FILE + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 > MAX_PLUGIN_FILE {
        return Err(not_library(format!(
            "more than the {MAX_PLUGIN_FILE} bytes plugport reads"
        )));
    }
    Ok(data)
}

/// [`read_from_file`] on the bytes of a file already in memory; `path` is only used in
/// error messages.
pub fn read_from_bytes(path: &Path, data: &[u8]) -> Result<Descriptor, LoadError> {
    let (section, little_endian) = find_section(path, data)?;
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

/// Steps 1 and 2 of `docs/abi.md` §8: checks that `data` is a shared library and returns
/// its descriptor section and byte order.
fn find_section<'d>(path: &Path, data: &'d [u8]) -> Result<(&'d [u8], bool), LoadError> {
    let not_lib = |reason: String| LoadError::NotSharedLibrary {
        path: path.to_path_buf(),
        reason,
    };
    let kind = object::FileKind::parse(data).map_err(|_| {
        not_lib(if data.is_empty() {
            "an empty file".into()
        } else if std::str::from_utf8(&data[..data.len().min(512)]).is_ok() {
            "a text file".into()
        } else {
            format!(
                "a file of an unknown format (first bytes {})",
                data[..data.len().min(8)].escape_ascii()
            )
        })
    })?;
    use object::FileKind as K;
    match kind {
        K::Elf32
        | K::Elf64
        | K::MachO32
        | K::MachO64
        | K::MachOFat32
        | K::MachOFat64
        | K::Pe32
        | K::Pe64 => {}
        K::Archive => return Err(not_lib("a static library archive (.a / .lib)".into())),
        K::Coff | K::CoffBig | K::CoffImport => {
            return Err(not_lib(
                "a COFF object file (.obj), not a linked DLL".into(),
            ))
        }
        K::DyldCache => return Err(not_lib("a dyld shared cache".into())),
        other => return Err(not_lib(format!("an object file of kind {other:?}"))),
    }
    let data = thin_slice(data).map_err(not_lib)?;
    let file = object::File::parse(data)
        .map_err(|e| not_lib(format!("a damaged or truncated object file ({e})")))?;
    let format = file.format();
    match format {
        object::BinaryFormat::Elf => {
            let e_type = elf_type(data, file.is_little_endian());
            let pie = match kind {
                K::Elf32 => elf_is_pie::<object::elf::FileHeader32<object::Endianness>>(data),
                _ => elf_is_pie::<object::elf::FileHeader64<object::Endianness>>(data),
            };
            if e_type == Some(ET_DYN) && pie {
                return Err(not_lib(
                    "an ELF position-independent executable (ET_DYN with DF_1_PIE)".into(),
                ));
            }
            if e_type != Some(ET_DYN) {
                let what = match e_type {
                    Some(ET_REL) => "an ELF relocatable object (ET_REL, a .o file)",
                    Some(ET_EXEC) => "an ELF executable (ET_EXEC)",
                    Some(ET_CORE) => "an ELF core dump (ET_CORE)",
                    _ => "an ELF file of unknown type",
                };
                return Err(not_lib(what.into()));
            }
        }
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
            object::BinaryFormat::Pe => name == b".plugport" || name == b".plugpor",
            _ => name == crate::abi::DESCRIPTOR_SECTION_ELF.as_bytes(),
        }
    });
    let Some(section) = section else {
        return Err(LoadError::NotAPlugin {
            path: path.to_path_buf(),
        });
    };
    let bytes = section.data().map_err(|e| LoadError::CorruptDescriptor {
        path: path.to_path_buf(),
        reason: format!("the .plugport section cannot be read: {e}"),
    })?;
    Ok((bytes, file.is_little_endian()))
}

// ELF `e_type` and Mach-O `filetype` values (the ELF and Mach-O specifications).
const ET_REL: u16 = 1;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const ET_CORE: u16 = 4;
const MH_OBJECT: u32 = 1;
const MH_EXECUTE: u32 = 2;
const MH_DYLIB: u32 = 6;
const MH_BUNDLE: u32 = 8;

/// True when an ELF file's dynamic section has `DT_FLAGS_1` with `DF_1_PIE`: a
/// position-independent executable, which is `ET_DYN` but cannot be loaded as a library.
fn elf_is_pie<Elf>(data: &[u8]) -> bool
where
    Elf: object::read::elf::FileHeader<Endian = object::Endianness>,
{
    use object::read::elf::Dyn;
    const DT_FLAGS_1: i32 = 0x6fff_fffb;
    const DF_1_PIE: u32 = 0x0800_0000;
    let Ok(header) = Elf::parse(data) else {
        return false;
    };
    let Ok(endian) = header.endian() else {
        return false;
    };
    let Ok(sections) = header.sections(endian, data) else {
        return false;
    };
    let Ok(Some((entries, _))) = sections.dynamic(endian, data) else {
        return false;
    };
    entries.iter().any(|d| {
        d.tag32(endian) == Some(DT_FLAGS_1) && d.val32(endian).is_some_and(|v| v & DF_1_PIE != 0)
    })
}

/// `e_type` of an ELF header (offset 16, 2 bytes, file byte order).
fn elf_type(data: &[u8], little_endian: bool) -> Option<u16> {
    let b: [u8; 2] = data.get(16..18)?.try_into().ok()?;
    Some(if little_endian {
        u16::from_le_bytes(b)
    } else {
        u16::from_be_bytes(b)
    })
}

/// `filetype` of a Mach-O header (offset 12, 4 bytes, file byte order).
fn macho_filetype(data: &[u8], little_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(12..16)?.try_into().ok()?;
    Some(if little_endian {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}
