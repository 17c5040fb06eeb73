//! A plugin whose descriptor carries the host's world JSON byte for byte is loaded without
//! parsing any world JSON (`bridge/src/loader.rs`, "The world of the host, byte for
//! byte"); a plugin of another minor version, a corrupted descriptor and an invalid host
//! text go through the full parse, validation and comparison as before.
//!
//! One test: it counts the world JSON parses of this process
//! (`plugport::descriptor::world_json_parses`), which a second test running in parallel
//! would disturb.

use std::path::Path;

use lifecycle::{artefact, v1_0, v1_1, Host};
use plugport::descriptor::{parse_world_json, world_json_head, world_json_parses};
use plugport::error::LoadError;

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("the world JSON is in the plugin file")
}

/// `text` with the fingerprint replaced by the SHA-256 of its (changed) IR text, so that
/// only the full parse can tell what is wrong with it.
fn refingerprint(text: &str) -> String {
    let ir = &text["{\"fingerprint\":\"".len() + 64 + "\",\"world\":".len()..text.len() - 1];
    let world: plugport::ir::World = serde_json::from_str(ir).unwrap();
    assert_eq!(
        world.canonical_json(),
        ir,
        "the changed IR is still canonical"
    );
    let hash = world.fingerprint();
    format!("{{\"fingerprint\":\"{hash}\",\"world\":{ir}}}")
}

fn open_1_0(path: &Path) -> Result<v1_0::Greeter, LoadError> {
    v1_0::Greeter::load::<Host>(path)
}

#[test]
fn the_hosts_own_world_is_not_parsed_and_any_other_text_is_checked_in_full() {
    let en = artefact("greeter/libgreeter_en.so");

    // The 1.0 plugin in the 1.0 host: the same text, nothing parsed.
    let before = world_json_parses();
    let g = open_1_0(&en).unwrap();
    assert_eq!(g.greet().greet("Ada").unwrap().into_string(), "Hello, Ada!");
    let p = g.plugin().unwrap().clone();
    assert_eq!(p.plugin_version(), "1.0.0");
    assert!(p.compat().is_identical());
    let again = open_1_0(&en).unwrap();
    drop(again);
    assert_eq!(
        world_json_parses(),
        before,
        "opening a plugin of the host's own world parsed a world JSON"
    );

    // Asked for, its world is the host's, parsed then (once).
    let (fingerprint, world) = parse_world_json(v1_0::WORLD_JSON).unwrap();
    let asked = world_json_parses();
    assert_eq!(p.descriptor().world, world);
    assert_eq!(p.descriptor().fingerprint, fingerprint);
    assert_eq!(p.fingerprint(), fingerprint);
    assert_eq!(p.descriptor().plugin_name, p.plugin_name());
    assert_eq!(world_json_parses(), asked + 1);
    drop(g);

    // The 1.0 plugin in the 1.1 host: another text, parsed and compared in full (the
    // plugin lacks 1.1's `farewell`).
    let before = world_json_parses();
    let g = v1_1::Greeter::load::<Host>(&en).unwrap();
    assert!(
        world_json_parses() > before,
        "a different world JSON was not parsed"
    );
    let compat = g.plugin().unwrap().compat();
    assert!(compat.is_compatible() && !compat.is_identical());
    assert!(
        compat.plugin_lacks().next().is_some(),
        "the 1.0 plugin lacks 1.1's farewell: {compat}"
    );
    drop(g);

    // Every change of one byte of the plugin's world JSON is refused, and the file is
    // not loaded: the text differs from the host's, so it is parsed and checked in full.
    let bytes = std::fs::read(&en).unwrap();
    let at = find(&bytes, v1_0::WORLD_JSON.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("libgreeter_en.so");
    for i in (0..v1_0::WORLD_JSON.len()).step_by(7) {
        let mut b = bytes.clone();
        b[at + i] ^= 0x01;
        std::fs::write(&copy, &b).unwrap();
        match open_1_0(&copy) {
            Err(LoadError::CorruptDescriptor { reason, .. }) => assert!(!reason.is_empty()),
            Err(e) => panic!("byte {i} of the world JSON changed: {e}"),
            Ok(_) => panic!("byte {i} of the world JSON changed, and the plugin loaded"),
        }
    }
    // The host's text and the plugin's equal, but another part of the blob broken: the
    // byte-level checks still run (the plugin's version made invalid UTF-8).
    let mut b = bytes.clone();
    let version = at - "1.0.0\0".len();
    assert_eq!(&b[version..version + 5], b"1.0.0");
    b[version] = 0xff;
    std::fs::write(&copy, &b).unwrap();
    match open_1_0(&copy) {
        Err(LoadError::CorruptDescriptor { reason, .. }) => {
            assert!(reason.contains("UTF-8"), "{reason}")
        }
        other => panic!("a version of invalid UTF-8: {:?}", other.map(|_| ())),
    }

    // The host's own text is read, not checked, when it is the plugin's; one that differs
    // from the plugin's is parsed and checked in full: a changed byte whose fingerprint
    // was not recomputed is refused.
    let mut bad = v1_0::WORLD_JSON.replace("\"greet\"", "\"greer\"");
    assert_ne!(bad, v1_0::WORLD_JSON);
    let open = |host: &str| plugport::loader::open(&en, host, std::ptr::null()).map(|_| ());
    match open(&bad) {
        Err(LoadError::HostWorld { reason, .. }) => {
            assert!(reason.contains("fingerprint"), "{reason}")
        }
        other => panic!("a host text with a wrong fingerprint: {other:?}"),
    }
    // With the fingerprint recomputed but the IR invalid (a type id out of range), the
    // plugin's text differs, and the full parse of the host's text refuses it.
    bad = refingerprint(&v1_0::WORLD_JSON.replace("{\"id\":0}", "{\"id\":9}"));
    match open(&bad) {
        Err(LoadError::HostWorld { reason, .. }) => {
            assert!(reason.contains("type #9"), "{reason}")
        }
        other => panic!("a host text with an invalid IR: {other:?}"),
    }

    // What the open reads of a host text is what the full parse finds; a text that is
    // not in the canonical form is not read (the open parses it instead).
    for text in [v1_0::WORLD_JSON, v1_1::WORLD_JSON] {
        let head = world_json_head(text).expect("a generated text has a readable head");
        let (fingerprint, world) = parse_world_json(text).unwrap();
        assert_eq!(
            (head.fingerprint, head.package, head.name),
            (fingerprint, world.package, world.name)
        );
        assert_eq!(world_json_head(&text.replacen(':', ": ", 1)), None);
        assert_eq!(
            world_json_head(&text.replacen("\"name\"", "\"n\\u0061me\"", 1)),
            None
        );
        assert_eq!(world_json_head(&text[..text.len() - 1]), None);
    }
}
