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
//! The world JSON is [`world_json`]: `{"fingerprint":"<hex>","world":<canonical IR>}`,
//! exactly (see [`parse_world_json`]). The section may be longer than the blob (alignment
//! padding), but only by zero bytes.
//!
//! This file parses and validates the blob and the world JSON; reading plugin files
//! (file checks, object formats, finding the section) is in `descriptor/file.rs`, whose
//! functions are re-exported here ([`read_plugin_info`], [`read_from_file`], ...).

use serde::Deserialize;

use crate::abi::{ABI_VERSION, DESCRIPTOR_MAGIC};
use crate::ir::{FunctionKind, Interface, Type, TypeDefKind, TypeId, World, WorldItem};

// Reading plugin files (the `object` crate) is the loader's; the blob and world JSON
// rules above and below need only feature `ir`.
#[cfg(feature = "loader")]
mod file;
#[cfg(feature = "loader")]
pub use file::{
    architecture, descriptor_error, host_architecture, open_plugin_file,
    open_plugin_file_with_metadata, read_from_bytes, read_from_file, read_plugin_file,
    read_plugin_file_keeping, read_plugin_head_from_bytes, read_plugin_info, read_plugin_info_from,
    read_plugin_info_from_bytes, PluginFileHead, PluginFileInfo, MAX_PLUGIN_FILE,
};

/// Size of the fixed header of a descriptor blob, in bytes.
pub const HEADER_LEN: usize = 24;

/// Deepest nesting of types a descriptor may contain (`list<list<...>>`); deeper IR is
/// refused as corrupt so that no recursive walk over it can exhaust the stack.
pub const MAX_TYPE_DEPTH: usize = 64;

/// The largest C `sizeof` of any type of a world, bytes (1 MiB): only fixed-length lists
/// (`list<T, N>`, inline) can make a type this large (`docs/abi.md` §3).
pub const MAX_VALUE_SIZE: u64 = 1 << 20;

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
    TooShort {
        /// The blob's length, bytes.
        len: usize,
    },
    /// The first 8 bytes are not `PLUGPORT`.
    #[error("bad magic: expected \"PLUGPORT\", found \"{found}\"")]
    BadMagic {
        /// The first 8 bytes, escaped as text.
        found: String,
    },
    /// Another version of the plugport ABI.
    #[error("ABI version: expected {expected}, found {found}")]
    AbiVersion {
        /// The ABI version this reader implements (1).
        expected: u32,
        /// The blob's `abi_version`.
        found: u32,
    },
    /// A field's declared length (plus its NUL) runs past the end of the section.
    #[error(
        "the {field} ({len} bytes at offset {offset}, plus a NUL) ends past the end of the \
         section: expected at most {section_len} bytes in all"
    )]
    OutOfBounds {
        /// The field: "plugin name", "plugin version" or "world JSON".
        field: &'static str,
        /// Where the field starts in the section, bytes.
        offset: u64,
        /// The field's declared length, bytes.
        len: u64,
        /// The section's length, bytes.
        section_len: usize,
    },
    /// The byte after a field is not the NUL separator.
    #[error("after the {field}, at offset {offset}: expected a NUL byte, found {found:#04x}")]
    MissingNul {
        /// The field the NUL should end.
        field: &'static str,
        /// Where the NUL should be in the section, bytes.
        offset: usize,
        /// The byte found there instead.
        found: u8,
    },
    /// A field contains a NUL byte (C hosts read them as NUL-terminated strings).
    #[error("the {field} contains a NUL byte at offset {offset}: expected none")]
    InteriorNul {
        /// The field.
        field: &'static str,
        /// Where the NUL is in the section, bytes.
        offset: usize,
    },
    /// A field is not valid UTF-8.
    #[error("the {field} is not valid UTF-8: invalid byte at offset {offset}")]
    Utf8 {
        /// The field.
        field: &'static str,
        /// Where the first invalid byte is in the section, bytes.
        offset: usize,
    },
    /// Bytes other than zero padding follow the blob in the section.
    #[error(
        "{len} bytes follow the descriptor at offset {offset}: expected nothing but zero padding"
    )]
    TrailingData {
        /// Where the blob ends in the section, bytes.
        offset: usize,
        /// How many bytes follow it.
        len: usize,
    },
    /// The world JSON does not parse as `{"fingerprint":"<hex>","world":<IR>}`.
    #[error("the world JSON does not parse as {{\"fingerprint\",\"world\"}}: {reason}")]
    Json {
        /// The JSON parser's message.
        reason: String,
    },
    /// The IR parses but breaks its own rules (dangling type id, cycle, ...).
    #[error("invalid world IR: {reason}")]
    InvalidWorld {
        /// The rule broken, naming the item.
        reason: String,
    },
    /// The world JSON parses and its fingerprint is right, but the text is not exactly
    /// the canonical form [`world_json`] writes (unknown keys, source locations, spacing,
    /// another key order): `docs/abi.md` §7.
    #[error(
        "the world JSON is not in canonical form (as plugport writes it: no unknown keys, \
         no spaces, fields in IR order): at byte {offset} expected {expected}, found {found}"
    )]
    NotCanonical {
        /// The first differing byte of the text.
        offset: usize,
        /// The canonical text from there (an excerpt).
        expected: String,
        /// The given text from there (an excerpt).
        found: String,
    },
    /// The fingerprint is not 64 lower-case hex digits, or not the hash of the IR.
    #[error(
        "fingerprint mismatch: expected {computed} (the SHA-256 of the canonical IR), found \
         {declared}"
    )]
    Fingerprint {
        /// The fingerprint the JSON declares.
        declared: String,
        /// The SHA-256 of the canonical IR, lower-case hex.
        computed: String,
    },
}

/// The world JSON that descriptors and generated bindings embed:
/// `{"fingerprint":"<hex>","world":<canonical IR>}`.
pub fn world_json(world: &World) -> String {
    let (json, fingerprint) = world.canonical_json_and_fingerprint();
    format!("{{\"fingerprint\":\"{fingerprint}\",\"world\":{json}}}")
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

/// A descriptor blob whose bytes are checked (magic, ABI version, lengths, NULs, UTF-8,
/// zero padding) but whose world JSON is not parsed yet: [`parse_blob_head`]. The loader
/// compares [`BlobHead::world_json`] with the host's own text and parses it only when it
/// differs (`crate::loader`, "The world of the host, byte for byte").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobHead<'a> {
    /// Always [`ABI_VERSION`].
    pub abi_version: u32,
    /// The plugin author's name for the build.
    pub plugin_name: &'a str,
    /// The plugin author's version of the build.
    pub plugin_version: &'a str,
    /// The world JSON text, unparsed (UTF-8 without NUL bytes, nothing more is known).
    pub world_json: &'a str,
}

/// The byte-level checks of [`parse_blob`], without parsing the world JSON: magic, ABI
/// version, lengths inside `bytes`, NUL separators, no NUL inside and UTF-8 of the three
/// strings, nothing but zero padding after the blob. Errors: as [`parse_blob`] but
/// [`DescriptorError::Json`], [`DescriptorError::InvalidWorld`],
/// [`DescriptorError::Fingerprint`] and [`DescriptorError::NotCanonical`].
pub fn parse_blob_head(bytes: &[u8], little_endian: bool) -> Result<BlobHead<'_>, DescriptorError> {
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
    let mut parts: [&str; 3] = [""; 3];
    for (i, (field, len)) in lens.into_iter().enumerate() {
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
        // `contains` on bytes is a `memchr` (the world JSON is kilobytes); the position
        // only for the error.
        if text.contains(&0) {
            let i = text.iter().position(|&b| b == 0).unwrap_or(0);
            return Err(DescriptorError::InteriorNul {
                field,
                offset: offset + i,
            });
        }
        parts[i] = simdutf8::compat::from_utf8(text).map_err(|e| DescriptorError::Utf8 {
            field,
            offset: offset + e.valid_up_to(),
        })?;
        offset = end + 1;
    }
    let rest = &bytes[offset..];
    if let Some(first) = rest.iter().position(|&b| b != 0) {
        return Err(DescriptorError::TrailingData {
            offset: offset + first,
            len: rest.len() - first,
        });
    }
    Ok(BlobHead {
        abi_version,
        plugin_name: parts[0],
        plugin_version: parts[1],
        world_json: parts[2],
    })
}

impl BlobHead<'_> {
    /// The whole [`parse_blob`]: the world JSON parsed, validated and fingerprinted
    /// ([`parse_world_json_cached`]).
    pub fn parse(&self) -> Result<Descriptor, DescriptorError> {
        let parsed = parse_world_json_cached(self.world_json)?;
        let (fingerprint, world) = (parsed.0.clone(), parsed.1.clone());
        Ok(Descriptor {
            abi_version: self.abi_version,
            plugin_name: self.plugin_name.to_string(),
            plugin_version: self.plugin_version.to_string(),
            fingerprint,
            world,
        })
    }
}

/// Parses and validates a descriptor blob: magic, ABI version, lengths inside `bytes`,
/// NUL separators, UTF-8, JSON, the IR's own consistency, and the fingerprint recomputed
/// from the re-serialised canonical IR. `bytes` is the whole section; after the blob only
/// zero padding is allowed. `little_endian` is the byte order of the file.
pub fn parse_blob(bytes: &[u8], little_endian: bool) -> Result<Descriptor, DescriptorError> {
    parse_blob_head(bytes, little_endian)?.parse()
}

/// What a world JSON text says about itself, read from its first bytes without parsing
/// or hashing it: [`world_json_head`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldJsonHead {
    /// The declared fingerprint (64 lower-case hex digits; not recomputed).
    pub fingerprint: String,
    /// The world's package (`world.package`).
    pub package: crate::ir::PackageName,
    /// The world's name (`world.name`).
    pub name: String,
}

/// The fingerprint, package and world name of a world JSON text in the canonical form
/// [`world_json`] writes, read from its first bytes: `{"fingerprint":"<64 lower-case
/// hex>","world":{"package":{"namespace":"…","name":"…","version":"…" or null},"name":"…",`
/// … `}`, each string without escapes. `None` for any other text, also a valid one
/// (then parse it, [`parse_world_json`]).
///
/// This checks nothing else: not that the rest is JSON, not the fingerprint (no SHA-256),
/// not the IR. The loader uses it only on the host's own generated text, when a plugin
/// carries the same bytes (`crate::loader`, "The world of the host, byte for byte");
/// every text from a plugin that differs from the host's is parsed in full.
pub fn world_json_head(text: &str) -> Option<WorldJsonHead> {
    /// The string at the start of `rest` (which must start with its opening quote), and
    /// what follows its closing quote. `None` for a string with escapes or control
    /// characters.
    fn string(rest: &str) -> Option<(&str, &str)> {
        let rest = rest.strip_prefix('"')?;
        let end = rest.find('"')?;
        let s = &rest[..end];
        if s.bytes().any(|b| b == b'\\' || b < 0x20) {
            return None;
        }
        Some((s, &rest[end + 1..]))
    }
    let rest = text.strip_prefix("{\"fingerprint\":\"")?;
    let fingerprint = rest.get(..64)?;
    if !fingerprint
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    if !text.ends_with("}}") {
        return None;
    }
    let rest = rest[64..].strip_prefix("\",\"world\":{\"package\":{\"namespace\":")?;
    let (namespace, rest) = string(rest)?;
    let (package, rest) = string(rest.strip_prefix(",\"name\":")?)?;
    let rest = rest.strip_prefix(",\"version\":")?;
    let (version, rest) = match rest.strip_prefix("null") {
        Some(rest) => (None, rest),
        None => {
            let (v, rest) = string(rest)?;
            (Some(v.to_string()), rest)
        }
    };
    let (name, rest) = string(rest.strip_prefix("},\"name\":")?)?;
    rest.strip_prefix(',')?;
    Some(WorldJsonHead {
        fingerprint: fingerprint.to_string(),
        package: crate::ir::PackageName {
            namespace: namespace.to_string(),
            name: package.to_string(),
            version,
        },
        name: name.to_string(),
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
    PARSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

/// How many times [`parse_world_json`] ran in this process ([`world_json_parses`]).
static PARSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many times this process parsed a world JSON text ([`parse_world_json`], also
/// through [`parse_world_json_cached`] and [`parse_blob`]): for tests that check a path
/// parses nothing (the loader's open of a plugin that carries the host's world JSON byte
/// for byte).
#[doc(hidden)]
pub fn world_json_parses() -> usize {
    PARSES.load(std::sync::atomic::Ordering::Relaxed)
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

/// Checks the rules of `bridge/src/ir.rs` that the loader relies on: package versions
/// are Semantic Versioning ([`crate::ir::PackageName::parse_version`]), every [`TypeId`]
/// (in types, functions and interfaces) is in range, handles and resource functions
/// point at resources, resources are named (the compatibility check of `docs/abi.md` §9
/// matches vtables by resource name), flags have at most 64 members, and types do not refer to
/// themselves, directly or not, nor nest deeper than [`MAX_TYPE_DEPTH`].
/// Returns a message naming the offending type or function.
pub fn validate_world(world: &World) -> Result<(), String> {
    world.package.parse_version()?;
    for item in world.imports.iter().chain(&world.exports) {
        if let WorldItem::Interface(Interface {
            package: Some(p), ..
        }) = item
        {
            p.parse_version()?;
        }
    }
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
            TypeDefKind::Resource if d.name.is_none() => {
                return Err(format!("type #{i} is a resource without a name"))
            }
            TypeDefKind::Map { key, .. } if !is_map_key(key) => {
                return Err(format!(
                    "type #{i} is a map whose key is not bool, an integer, char or string"
                ))
            }
            TypeDefKind::FixedList { len, .. }
                if *len == 0 || *len > crate::ir::MAX_FIXED_LIST_LEN =>
            {
                return Err(format!(
                    "type #{i} is a fixed-length list of {len} elements: expected 1 to {}",
                    crate::ir::MAX_FIXED_LIST_LEN
                ))
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
    // Fixed-length lists travel inline: bound the size of every value (no cycles now).
    let layouts = crate::layout::Layouts::new(world);
    for i in 0..n {
        let size = layouts.of(&Type::Id(i)).size;
        if size > MAX_VALUE_SIZE {
            return Err(format!(
                "type #{i} is {size} bytes in C: expected at most {MAX_VALUE_SIZE} \
                 (fixed-length lists travel inline, docs/abi.md §3)"
            ));
        }
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

/// The key types WIT allows in `map<K, V>`: `bool`, the integer types, `char` and
/// `string` (no floats, no compound types).
pub fn is_map_key(t: &Type) -> bool {
    !matches!(t, Type::F32 | Type::F64 | Type::Id(_))
}

fn children(k: &TypeDefKind) -> Vec<Type> {
    match k {
        TypeDefKind::Map { key, value } => vec![*key, *value],
        TypeDefKind::FixedList { ty, .. } => vec![*ty],
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

/// Lower-case hex SHA-256 of `bytes` (as [`World::fingerprint`]).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in sha2::Sha256::digest(bytes) {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
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
