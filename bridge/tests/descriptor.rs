//! The descriptor blob (`docs/abi.md` §7): round trips, every corruption the parser must
//! refuse, and reading the section from ELF (both byte orders), Mach-O and PE files.

mod common;

use std::path::Path;

use common::*;
use plugport::descriptor::{self, parse_blob, DescriptorError, HEADER_LEN};
use plugport::error::LoadError;
use plugport::ir::{Type, TypeDef, TypeDefKind};

const LE: bool = cfg!(target_endian = "little");

fn json() -> String {
    descriptor::world_json(&calc_world("1.2.0"))
}

fn blob() -> Vec<u8> {
    descriptor::encode_blob("calc-c", "0.3.1", &json(), LE)
}

fn set_u32(blob: &mut [u8], at: usize, v: u32, le: bool) {
    let b = if le { v.to_le_bytes() } else { v.to_be_bytes() };
    blob[at..at + 4].copy_from_slice(&b);
}

#[test]
fn world_json_is_fingerprint_and_canonical_ir() {
    let w = calc_world("1.2.0");
    let j = descriptor::world_json(&w);
    assert_eq!(
        j,
        format!(
            "{{\"fingerprint\":\"{}\",\"world\":{}}}",
            w.fingerprint(),
            w.canonical_json()
        )
    );
    let (fp, back) = descriptor::parse_world_json(&j).unwrap();
    assert_eq!(fp, w.fingerprint());
    assert_eq!(back, w);
}

#[test]
fn round_trip_in_both_byte_orders() {
    for le in [true, false] {
        let b = descriptor::encode_blob("greeter-en", "1.0.3", &json(), le);
        assert_eq!(&b[..8], b"PLUGPORT");
        assert_eq!(b.len(), HEADER_LEN + 10 + 5 + json().len() + 3);
        let d = parse_blob(&b, le).unwrap();
        assert_eq!(d.abi_version, 1);
        assert_eq!(d.plugin_name, "greeter-en");
        assert_eq!(d.plugin_version, "1.0.3");
        assert_eq!(d.world, calc_world("1.2.0"));
        assert_eq!(d.fingerprint, calc_world("1.2.0").fingerprint());
        // Read in the wrong byte order, the lengths are nonsense: refused, not misread.
        assert!(parse_blob(&b, !le).is_err());
    }
}

#[test]
fn empty_name_and_version_and_zero_padding_are_fine() {
    let mut b = descriptor::encode_blob("", "", &json(), LE);
    b.extend_from_slice(&[0; 13]);
    let d = parse_blob(&b, LE).unwrap();
    assert_eq!(d.plugin_name, "");
}

#[test]
fn too_short() {
    assert_eq!(
        parse_blob(&blob()[..23], LE),
        Err(DescriptorError::TooShort { len: 23 })
    );
    assert_eq!(
        parse_blob(&[], LE),
        Err(DescriptorError::TooShort { len: 0 })
    );
}

#[test]
fn bad_magic() {
    let mut b = blob();
    b[..8].copy_from_slice(b"PLUGPOR\n");
    let e = parse_blob(&b, LE).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad magic: expected \"PLUGPORT\", found \"PLUGPOR\\n\""
    );
}

#[test]
fn other_abi_version() {
    let mut b = blob();
    set_u32(&mut b, 8, 7, LE);
    assert_eq!(
        parse_blob(&b, LE),
        Err(DescriptorError::AbiVersion {
            expected: 1,
            found: 7
        })
    );
}

#[test]
fn lengths_past_the_section() {
    for (at, field) in [
        (12, "plugin name"),
        (16, "plugin version"),
        (20, "world JSON"),
    ] {
        let mut b = blob();
        set_u32(&mut b, at, u32::MAX, LE);
        let e = parse_blob(&b, LE).unwrap_err();
        assert!(
            matches!(e, DescriptorError::OutOfBounds { field: f, .. } if f == field),
            "{e:?}"
        );
        assert!(e.to_string().contains(field), "{e}");
    }
    // Exactly one byte short: the final NUL is cut off.
    let b = blob();
    let e = parse_blob(&b[..b.len() - 1], LE).unwrap_err();
    assert!(
        matches!(
            e,
            DescriptorError::OutOfBounds {
                field: "world JSON",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn missing_and_interior_nuls() {
    let mut b = blob();
    b[HEADER_LEN + 6] = b'!'; // the NUL after "calc-c"
    let e = parse_blob(&b, LE).unwrap_err();
    assert_eq!(
        e,
        DescriptorError::MissingNul {
            field: "plugin name",
            offset: HEADER_LEN + 6,
            found: b'!'
        }
    );
    assert!(
        e.to_string().contains("expected a NUL byte, found 0x21"),
        "{e}"
    );

    let b = descriptor::encode_blob("calc\0c", "0.3.1", &json(), LE);
    assert_eq!(
        parse_blob(&b, LE),
        Err(DescriptorError::InteriorNul {
            field: "plugin name",
            offset: HEADER_LEN + 4
        })
    );
}

#[test]
fn invalid_utf8() {
    let mut b = blob();
    b[HEADER_LEN + 7 + 2] = 0xff; // inside "0.3.1"
    assert_eq!(
        parse_blob(&b, LE),
        Err(DescriptorError::Utf8 {
            field: "plugin version",
            offset: HEADER_LEN + 9
        })
    );
}

#[test]
fn trailing_data() {
    let mut b = blob();
    let end = b.len();
    b.extend_from_slice(&[0, 0, b'X', 0]);
    assert_eq!(
        parse_blob(&b, LE),
        Err(DescriptorError::TrailingData {
            offset: end + 2,
            len: 2
        })
    );
}

#[test]
fn bad_json() {
    let b = descriptor::encode_blob("calc-c", "0.3.1", "{\"fingerprint\":", LE);
    assert!(matches!(
        parse_blob(&b, LE),
        Err(DescriptorError::Json { .. })
    ));
    // Unknown top-level fields are refused too.
    let j = json().replacen('{', "{\"extra\":1,", 1);
    let b = descriptor::encode_blob("calc-c", "0.3.1", &j, LE);
    let e = parse_blob(&b, LE).unwrap_err();
    assert!(e.to_string().contains("extra"), "{e}");
}

#[test]
fn fingerprint_mismatch() {
    let w = calc_world("1.2.0");
    let j = json().replace(&w.fingerprint(), &"0".repeat(64));
    let b = descriptor::encode_blob("calc-c", "0.3.1", &j, LE);
    assert_eq!(
        parse_blob(&b, LE),
        Err(DescriptorError::Fingerprint {
            declared: "0".repeat(64),
            computed: w.fingerprint()
        })
    );
    // An edited IR with the old fingerprint.
    let j = json().replace("\"add\"", "\"sum\"");
    let b = descriptor::encode_blob("calc-c", "0.3.1", &j, LE);
    assert!(matches!(
        parse_blob(&b, LE),
        Err(DescriptorError::Fingerprint { .. })
    ));
}

/// Issue 11 D.2: serde skips unknown keys inside the IR, so a world JSON with an extra
/// key parsed to the same IR and kept the original fingerprint, although docs/abi.md §7
/// says the fingerprint is the hash of exactly the IR text. Every text but the canonical
/// one is refused now, naming the first differing byte.
#[test]
fn world_json_other_than_the_canonical_text_is_refused() {
    let w = calc_world("1.2.0");
    let canonical = json();
    let package = "\"package\":{";
    assert!(canonical.contains(package));
    let variants = [
        // An unknown key inside the IR: in the package, a function, a type.
        canonical.replacen(package, "\"package\":{\"extra\":1,", 1),
        canonical.replacen("\"name\":\"add\"", "\"name\":\"add\",\"x-note\":\"hi\"", 1),
        canonical.replacen("\"imports\":[", "\"extra\":[],\"imports\":[", 1),
        // Spacing, another key order, a source location, a trailing newline.
        canonical.replacen("\",\"world\":", "\", \"world\": ", 1),
        format!(
            "{{\"world\":{},\"fingerprint\":\"{}\"}}",
            w.canonical_json(),
            w.fingerprint()
        ),
        canonical.replacen(
            "\"name\":\"add\"",
            "\"name\":\"add\",\"location\":{\"file\":\"a.wit\",\"line\":3}",
            1,
        ),
        format!("{canonical}\n"),
    ];
    for text in &variants {
        assert_ne!(text, &canonical);
        let e = descriptor::parse_world_json(text).unwrap_err();
        let DescriptorError::NotCanonical { offset, .. } = &e else {
            panic!("{text}: {e:?}")
        };
        assert_eq!(
            text.bytes()
                .zip(canonical.bytes())
                .position(|(a, b)| a != b),
            Some(*offset).filter(|&o| o < text.len().min(canonical.len())),
            "{e}"
        );
        assert!(e.to_string().contains("not in canonical form"), "{e}");
        // In a plugin file the same text is a corrupt descriptor.
        let b = descriptor::encode_blob("calc-c", "0.3.1", text, LE);
        assert!(
            matches!(
                parse_blob(&b, LE),
                Err(DescriptorError::NotCanonical { .. })
            ),
            "{text}"
        );
    }
    // The canonical text itself still reads.
    assert_eq!(descriptor::parse_world_json(&canonical).unwrap().1, w);
}

/// A world JSON with a correct fingerprint for a broken IR.
fn blob_of_world(w: &plugport::ir::World) -> Vec<u8> {
    descriptor::encode_blob("x", "1", &descriptor::world_json(w), LE)
}

fn anon(kind: TypeDefKind) -> TypeDef {
    TypeDef {
        name: None,
        interface: None,
        kind,
        location: None,
    }
}

#[test]
fn invalid_ir_is_refused() {
    let expect = |w: &plugport::ir::World, needle: &str| {
        let e = parse_blob(&blob_of_world(w), LE).unwrap_err();
        assert!(matches!(e, DescriptorError::InvalidWorld { .. }), "{e:?}");
        assert!(e.to_string().contains(needle), "{e} lacks {needle}");
    };
    // A dangling type id in a function.
    let mut w = calc_world("1.2.0");
    math(&mut w)[0].result = Some(Type::Id(3));
    expect(
        &w,
        "function math.add refers to type #3, but the world has 0 types",
    );
    // A type that contains itself.
    let mut w = calc_world("1.2.0");
    w.types = vec![anon(TypeDefKind::List { ty: Type::Id(0) })];
    expect(&w, "type #0 contains itself");
    // Nesting deeper than the limit.
    let mut w = calc_world("1.2.0");
    w.types.push(anon(TypeDefKind::List { ty: Type::U8 }));
    for i in 0..100 {
        w.types.push(anon(TypeDefKind::List { ty: Type::Id(i) }));
    }
    expect(&w, "deep");
    // A handle to something that is not a resource.
    let mut w = calc_world("1.2.0");
    w.types = vec![
        anon(TypeDefKind::List { ty: Type::U8 }),
        anon(TypeDefKind::Own { resource: 0 }),
    ];
    expect(&w, "not a resource");
    // Too many flags.
    let mut w = calc_world("1.2.0");
    w.types = vec![anon(TypeDefKind::Flags {
        flags: (0..65).map(|i| format!("f{i}")).collect(),
    })];
    expect(&w, "65 flags");
    // A resource without a name (found by the world_json fuzz target: the compatibility
    // check matches resources by name, so such a world was not compatible with itself).
    let mut w = calc_world("1.2.0");
    w.types = vec![anon(TypeDefKind::Resource)];
    expect(&w, "type #0 is a resource without a name");
}

fn load_err(name: &str, data: &[u8]) -> LoadError {
    descriptor::read_from_bytes(Path::new(name), data).unwrap_err()
}

/// A relocatable object with a descriptor section, written by `object`, then patched
/// into the file type of a shared library: enough for a reader that never loads it.
fn object_file(
    format: object::BinaryFormat,
    arch: object::Architecture,
    endian: object::Endianness,
    segment: &[u8],
    section: &[u8],
    blob: &[u8],
) -> Vec<u8> {
    let mut obj = object::write::Object::new(format, arch, endian);
    let id = obj.add_section(
        segment.to_vec(),
        section.to_vec(),
        object::SectionKind::Data,
    );
    obj.append_section_data(id, blob, 1);
    obj.write().unwrap()
}

#[test]
fn reads_big_endian_elf() {
    let w = calc_world("1.2.0");
    let blob = descriptor::encode_blob("be", "1", &descriptor::world_json(&w), false);
    let mut data = object_file(
        object::BinaryFormat::Elf,
        object::Architecture::PowerPc64,
        object::Endianness::Big,
        b"",
        b".plugport",
        &blob,
    );
    // As written it is a .o file (ET_REL).
    let e = load_err("be.o", &data);
    assert!(e.to_string().contains("ELF relocatable object"), "{e}");
    data[16..18].copy_from_slice(&3u16.to_be_bytes()); // e_type = ET_DYN
    let d = descriptor::read_from_bytes(Path::new("be.so"), &data).unwrap();
    assert_eq!(d.plugin_name, "be");
    assert_eq!(d.world, w);
}

#[test]
fn reads_mach_o_dylibs_and_bundles() {
    let w = calc_world("1.2.0");
    let blob = descriptor::encode_blob("mac", "1", &descriptor::world_json(&w), true);
    let mut data = object_file(
        object::BinaryFormat::MachO,
        object::Architecture::Aarch64,
        object::Endianness::Little,
        b"__DATA",
        b"__plugport",
        &blob,
    );
    let e = load_err("calc.o", &data);
    assert!(e.to_string().contains("Mach-O object file"), "{e}");
    for filetype in [6u32, 8] {
        // MH_DYLIB, MH_BUNDLE
        data[12..16].copy_from_slice(&filetype.to_le_bytes());
        let d = descriptor::read_from_bytes(Path::new("libcalc.dylib"), &data).unwrap();
        assert_eq!(d.plugin_name, "mac");
    }
    data[12..16].copy_from_slice(&2u32.to_le_bytes()); // MH_EXECUTE
    assert!(load_err("calc", &data)
        .to_string()
        .contains("Mach-O executable"));

    // A dylib without the section.
    let mut plain = object_file(
        object::BinaryFormat::MachO,
        object::Architecture::Aarch64,
        object::Endianness::Little,
        b"__DATA",
        b"__data",
        &blob,
    );
    plain[12..16].copy_from_slice(&6u32.to_le_bytes());
    assert!(matches!(
        load_err("libplain.dylib", &plain),
        LoadError::NotAPlugin { .. }
    ));
}

/// A minimal 64-bit PE image with one section holding `blob`.
fn pe_image(section: [u8; 8], blob: &[u8], dll: bool) -> Vec<u8> {
    use object::pe;
    use object::write::pe::{NtHeaders, Writer};
    let mut buf = Vec::new();
    let mut w = Writer::new(true, 0x1000, 0x200, &mut buf);
    w.reserve_dos_header_and_stub();
    w.reserve_nt_headers(16);
    w.reserve_section_headers(1);
    let len = blob.len() as u32;
    let range = w.reserve_section(
        section,
        pe::IMAGE_SCN_CNT_INITIALIZED_DATA | pe::IMAGE_SCN_MEM_READ,
        len,
        len,
    );
    w.write_dos_header_and_stub().unwrap();
    let mut characteristics = pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE;
    if dll {
        characteristics |= pe::IMAGE_FILE_DLL;
    }
    w.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics,
        major_linker_version: 14,
        minor_linker_version: 0,
        address_of_entry_point: 0,
        image_base: 0x1_8000_0000,
        major_operating_system_version: 6,
        minor_operating_system_version: 0,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 6,
        minor_subsystem_version: 0,
        subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
        dll_characteristics: pe::DllFlags::default(),
        size_of_stack_reserve: 0x10_0000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x10_0000,
        size_of_heap_commit: 0x1000,
    });
    w.write_section_headers();
    w.write_section(range.file_offset, blob);
    buf
}

#[test]
fn reads_pe_dlls() {
    let w = calc_world("1.2.0");
    let blob = descriptor::encode_blob("win", "1", &descriptor::world_json(&w), true);
    // Linkers truncate section names in images to 8 bytes: `.plugpor`.
    let dll = pe_image(*b".plugpor", &blob, true);
    let d = descriptor::read_from_bytes(Path::new("calc.dll"), &dll).unwrap();
    assert_eq!(d.plugin_name, "win");
    assert_eq!(d.world, w);
    // The file alignment pads the section with zeros, which is accepted.
    let exe = pe_image(*b".plugpor", &blob, false);
    let e = load_err("calc.exe", &exe);
    assert!(e.to_string().contains("PE executable (.exe)"), "{e}");
    let other = pe_image(*b".rdata\0\0", &blob, true);
    assert!(matches!(
        load_err("other.dll", &other),
        LoadError::NotAPlugin { .. }
    ));
}

#[test]
fn archives_and_coff_objects_are_not_shared_libraries() {
    let mut ar = b"!<arch>\n".to_vec();
    ar.extend_from_slice(&[b' '; 60]);
    let e = load_err("libcalc.a", &ar);
    assert!(e.to_string().contains("static library archive"), "{e}");
    let coff = object_file(
        object::BinaryFormat::Coff,
        object::Architecture::X86_64,
        object::Endianness::Little,
        b"",
        b".plugport",
        &blob(),
    );
    let e = load_err("calc.obj", &coff);
    assert!(e.to_string().contains("COFF object file"), "{e}");
}

/// A package version that is not Semantic Versioning is refused, not read as 0.0.0 (which
/// would put the plugin on compatibility line 0.0 and let it match a host it does not fit).
#[test]
fn a_malformed_package_version_is_refused() {
    for bad in ["1.2", "v1.2.0", "1.x.0"] {
        let e = parse_blob(&blob_of_world(&calc_world(bad)), LE).unwrap_err();
        assert!(matches!(e, DescriptorError::InvalidWorld { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains("test:calc") && text.contains(&format!("{bad:?}")),
            "{text}"
        );
    }
    // The same for an interface of another package.
    let mut w = calc_world("1.2.0");
    if let plugport::ir::WorldItem::Interface(i) = &mut w.exports[0] {
        i.package = Some(plugport::ir::PackageName {
            namespace: "dep".into(),
            name: "math".into(),
            version: Some("2".into()),
        });
    }
    let e = parse_blob(&blob_of_world(&w), LE).unwrap_err();
    assert!(e.to_string().contains("dep:math"), "{e}");
    assert!(parse_blob(&blob_of_world(&calc_world("1.2.0-rc.1")), LE).is_ok());
}
