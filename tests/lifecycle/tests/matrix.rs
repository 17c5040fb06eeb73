//! The semantic-versioning matrix (`docs/abi.md` §5 "Evolution", §9): hosts generated
//! from greeter 1.0 and 1.1 × plugins built at 1.0 and 1.1, in Rust and in C. 1.1 appends
//! `greet.farewell`: every pair loads; a 1.1 host sees `farewell` as unsupported in a 1.0
//! plugin (Rust: `CallError::Unsupported`, `has_farewell() == false`; C: the greet table's
//! `header.size` is too small for the slot); a 1.0 host uses the subset of a 1.1 plugin.
//! A 2.0.0 plugin (another compatibility line) is refused by both hosts.

use std::path::PathBuf;
use std::process::Command;

use lifecycle::{artefact, include_dir, v1_0, v1_1, zh_plugin, zh_source, CPlugin, Host};
use plugport::error::LoadError;
use plugport::rt::CallError;

/// A plugin of the matrix: file, minor version, language, expected greeting of "Ada".
struct Plugin {
    path: PathBuf,
    minor: u32,
    greeting: &'static str,
    farewell: &'static str,
}

fn plugins(dir: &std::path::Path) -> Vec<Plugin> {
    vec![
        Plugin {
            path: artefact("greeter/libgreeter_en.so"),
            minor: 0,
            greeting: "Hello, Ada!",
            farewell: "",
        },
        Plugin {
            path: zh_plugin(dir, false),
            minor: 0,
            greeting: "你好，Ada！",
            farewell: "",
        },
        Plugin {
            path: artefact("lifecycle/libgreeter_en_1_1.so"),
            minor: 1,
            greeting: "Hi, Ada!",
            farewell: "Goodbye, Ada!",
        },
        Plugin {
            path: zh_plugin(dir, true),
            minor: 1,
            greeting: "你好，Ada！",
            farewell: "再见，Ada！",
        },
    ]
}

#[test]
fn host_1_0_loads_plugins_1_0_and_1_1_and_uses_the_subset() {
    let dir = tempfile::tempdir().unwrap();
    for p in plugins(dir.path()) {
        let name = p.path.display();
        let g = v1_0::Greeter::load::<Host>(&p.path)
            .unwrap_or_else(|e| panic!("host 1.0 refused {name}: {e}"));
        assert_eq!(
            g.descriptor().plugin_version,
            format!("1.{}.0", p.minor),
            "{name}"
        );
        assert_eq!(g.greet().greet("Ada").unwrap(), p.greeting, "{name}");
        assert!(g.greet().has_greet() && g.greet().has_language(), "{name}");
        let compat = g.plugin().unwrap().compat();
        assert_eq!(compat.plugin_lacks().count(), 0, "{name}");
        let extra: Vec<&str> = compat.only_found.iter().map(|e| e.item.as_str()).collect();
        if p.minor == 1 {
            assert_eq!(extra, ["greet.farewell"], "{name}: ignored by the 1.0 host");
        } else {
            assert!(compat.is_identical(), "{name}");
        }
    }
}

#[test]
fn host_1_1_loads_plugins_1_0_and_1_1_and_farewell_is_unsupported_in_1_0() {
    let dir = tempfile::tempdir().unwrap();
    for p in plugins(dir.path()) {
        let name = p.path.display();
        let g = v1_1::Greeter::load::<Host>(&p.path)
            .unwrap_or_else(|e| panic!("host 1.1 refused {name}: {e}"));
        assert_eq!(g.greet().greet("Ada").unwrap(), p.greeting, "{name}");
        let lacks: Vec<&str> = g
            .plugin()
            .unwrap()
            .compat()
            .plugin_lacks()
            .map(|e| e.item.as_str())
            .collect();
        if p.minor == 0 {
            assert!(!g.greet().has_farewell(), "{name}");
            let err = g.greet().farewell("Ada").unwrap_err();
            assert!(
                matches!(
                    err,
                    CallError::Unsupported {
                        function: "greet.farewell"
                    }
                ),
                "{name}: {err:?}"
            );
            assert_eq!(err.status(), plugport::abi::PP_ERR_UNSUPPORTED);
            assert_eq!(lacks, ["greet.farewell"], "{name}");
            // The other functions are unaffected.
            assert!(g.greet().has_greet() && g.greet().has_language(), "{name}");
        } else {
            assert!(g.greet().has_farewell(), "{name}");
            assert_eq!(g.greet().farewell("Ada").unwrap(), p.farewell, "{name}");
            assert!(lacks.is_empty(), "{name}: {lacks:?}");
        }
    }
}

/// C's way to get "unsupported": the 1.1 C host (the example host built with the 1.1
/// header) compares `offsetof(farewell) + sizeof(void *)` with the greet table's
/// `header.size` before calling the slot.
#[test]
fn c_host_1_1_checks_the_table_size_before_calling_farewell() {
    let dir = tempfile::tempdir().unwrap();
    let host = artefact("lifecycle/greeter-host-c-1.1");
    for p in plugins(dir.path()) {
        let name = p.path.display();
        let out = Command::new(&host)
            .arg(&p.path)
            .arg("Ada")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(&format!("c host: {}\n", p.greeting)),
            "{name}:\n{text}"
        );
        if p.minor == 0 {
            // 1.0 greet table: header + greet + language = 16 + 2 * 8 bytes.
            assert!(
                text.contains(
                    "c host: farewell unsupported by this plugin (table size 32, \
                     PP_ERR_UNSUPPORTED)"
                ),
                "{name}:\n{text}"
            );
        } else {
            assert!(
                text.contains(&format!("c host: {}\n", p.farewell)),
                "{name}:\n{text}"
            );
            assert!(!text.contains("unsupported"), "{name}:\n{text}");
        }
    }
}

/// The C plugin built against a 2.0.0 header: every C name has the prefix
/// `example_greeter_v2`, so the source is renamed to match, as a 2.0 author would.
fn v2_plugin(dir: &std::path::Path) -> PathBuf {
    let source = std::fs::read_to_string(zh_source()).unwrap();
    let v2 = source
        .replace("example_greeter_v1", "example_greeter_v2")
        .replace("EXAMPLE_GREETER_V1", "EXAMPLE_GREETER_V2")
        .replace("0x00010000u", "0x00020000u")
        .replace("\"1.0.0\"", "\"2.0.0\"");
    assert_ne!(source, v2);
    let src = dir.join("plugin-v2.c");
    std::fs::write(&src, v2).unwrap();
    CPlugin::new(src, include_dir("greeter-2.0")).build(&dir.join("libgreeter_zh_v2.so"))
}

#[test]
fn a_2_0_plugin_is_refused_by_1_x_hosts_naming_expected_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = v2_plugin(dir.path());
    let errors = [
        ("1.0.0", v1_0::Greeter::load::<Host>(&path).err()),
        ("1.1.0", v1_1::Greeter::load::<Host>(&path).err()),
    ];
    for (host, err) in errors {
        let err = err.unwrap_or_else(|| panic!("host {host} loaded a 2.0 plugin"));
        match &err {
            LoadError::MajorVersionMismatch {
                path: p,
                expected,
                found,
            } => {
                assert_eq!(p, &path);
                assert_eq!(expected, &format!("example:greeter@{host} (line v1)"));
                assert_eq!(found, "example:greeter@2.0.0 (line v2)");
            }
            other => panic!("host {host}: expected MajorVersionMismatch, got {other:?}"),
        }
        assert_eq!(
            err.code(),
            plugport::codes::PLUGPORT_E_MAJOR_VERSION_MISMATCH
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: incompatible major version: expected example:greeter@{host} (line v1), \
                 found example:greeter@2.0.0 (line v2)",
                path.display()
            )
        );
    }
}
