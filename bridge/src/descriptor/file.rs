//! Reading a plugin file (`docs/abi.md` §8 steps 1 and 2): the file checks of
//! [`open_plugin_file`], the object-file formats (ELF, Mach-O and universal binaries,
//! PE), and the `.plugport` section, whose blob [`super::parse_blob`] then parses.
//! [`read_plugin_info`] reads only the headers and sections it needs; the loader reads
//! the whole file once ([`read_plugin_file`]) and checks and loads those same bytes.

use std::path::Path;

use object::{Object, ObjectSection, ReadRef};

use super::{parse_blob, parse_blob_head, BlobHead, Descriptor, DescriptorError};
use crate::error::LoadError;

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
    open_plugin_file_with_metadata(path).map(|(file, meta)| (file, meta.len()))
}

/// [`open_plugin_file`], returning the open file's metadata (its `fstat`, taken before
/// anything is read) instead of its length.
///
/// Errors: those of [`open_plugin_file`].
pub fn open_plugin_file_with_metadata(
    path: &Path,
) -> Result<(std::fs::File, std::fs::Metadata), LoadError> {
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
    Ok((file, meta))
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
    read_plugin_file_keeping(path).map(|(data, _, _)| data)
}

/// [`read_plugin_file`], also returning the open file and its metadata as it was before
/// the read (the loader's in-place mode loads that same file and compares the metadata
/// again after loading).
///
/// Errors: those of [`read_plugin_file`].
pub fn read_plugin_file_keeping(
    path: &Path,
) -> Result<(Vec<u8>, std::fs::File, std::fs::Metadata), LoadError> {
    use std::io::Read;
    let (file, meta) = open_plugin_file_with_metadata(path)?;
    let len = meta.len();
    // The size `open_plugin_file` saw, plus one byte to see a file that grew: usually one
    // `read` and one at the end, instead of `read_to_end`'s growing chunks. `take`: a file
    // that grows while being read cannot push past the limit either.
    let mut data = vec![0u8; len as usize + 1];
    let mut reader = (&file).take(MAX_PLUGIN_FILE + 1);
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut filled = 0;
    loop {
        if filled == data.len() {
            data.resize(filled.saturating_mul(2).max(4096), 0);
        }
        match reader.read(&mut data[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    data.truncate(filled);
    if data.len() as u64 > MAX_PLUGIN_FILE {
        return Err(LoadError::NotSharedLibrary {
            path: path.to_path_buf(),
            reason: format!("a file of more than the {MAX_PLUGIN_FILE} bytes plugport reads"),
        });
    }
    Ok((data, file, meta))
}

/// [`read_from_file`] on the bytes of a file already in memory; `path` is only used in
/// error messages.
pub fn read_from_bytes(path: &Path, data: &[u8]) -> Result<Descriptor, LoadError> {
    let located = locate(path, data)?;
    parse_located(path, located.section, located.little_endian)
}

/// [`read_plugin_info`] on the bytes of a file already in memory (the loader's, which it
/// checks and then loads): the descriptor, the architecture and the Go build information
/// from one walk of the object file's headers. `path` is only used in error messages.
///
/// Errors: those of [`read_from_bytes`].
pub fn read_plugin_info_from_bytes(path: &Path, data: &[u8]) -> Result<PluginFileInfo, LoadError> {
    let located = locate(path, data)?;
    let descriptor = parse_located(path, located.section, located.little_endian)?;
    Ok(PluginFileInfo {
        descriptor,
        architecture: located.architecture,
        go: located.go,
    })
}

/// What [`read_plugin_head_from_bytes`] finds: the descriptor's checked bytes with its
/// world JSON unparsed ([`BlobHead`]), the architecture and the Go build information.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginFileHead<'d> {
    /// The descriptor blob, checked byte by byte, its world JSON not parsed.
    pub blob: BlobHead<'d>,
    /// As [`PluginFileInfo::architecture`].
    pub architecture: Option<object::Architecture>,
    /// As [`PluginFileInfo::go`].
    pub go: Option<crate::go::GoBuildInfo>,
}

/// [`read_plugin_info_from_bytes`] without parsing the world JSON (the loader's first
/// step: it parses the JSON only when it is not byte for byte the host's own text).
///
/// Errors: those of [`read_from_bytes`], but none of the world JSON's own
/// ([`DescriptorError::Json`], `InvalidWorld`, `Fingerprint`, `NotCanonical`).
pub fn read_plugin_head_from_bytes<'d>(
    path: &Path,
    data: &'d [u8],
) -> Result<PluginFileHead<'d>, LoadError> {
    let located = locate(path, data)?;
    let blob = parse_blob_head(located.section, located.little_endian)
        .map_err(|e| descriptor_error(path, e))?;
    Ok(PluginFileHead {
        blob,
        architecture: located.architecture,
        go: located.go,
    })
}

/// A [`DescriptorError`] of the file at `path` as a [`LoadError`]:
/// [`LoadError::AbiVersion`] or [`LoadError::CorruptDescriptor`].
pub fn descriptor_error(path: &Path, e: DescriptorError) -> LoadError {
    match e {
        DescriptorError::AbiVersion { expected, found } => LoadError::AbiVersion {
            path: path.to_path_buf(),
            expected,
            found,
        },
        e => LoadError::CorruptDescriptor {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

/// [`parse_blob`] with its errors as [`LoadError`]s of `path`.
fn parse_located(
    path: &Path,
    section: &[u8],
    little_endian: bool,
) -> Result<Descriptor, LoadError> {
    parse_blob(section, little_endian).map_err(|e| descriptor_error(path, e))
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
