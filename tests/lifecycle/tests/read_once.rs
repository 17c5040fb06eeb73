//! The loader checks a plugin from one walk of the bytes it read
//! (`descriptor::read_plugin_info_from_bytes`, issue 10: "one ELF parse instead of up to
//! three"). It must find what `plugport inspect` finds reading the file itself
//! (`descriptor::read_plugin_info`): the same descriptor, the architecture of this
//! process, and the Go build information exactly for the Go plugins.

use lifecycle::artefact;
use plugport::descriptor;

#[test]
fn the_loaders_single_walk_finds_what_inspect_finds() {
    let plugins = [
        ("greeter/libgreeter_en.so", false),
        ("greeter/libgreeter_fr.so", false),
        ("greeter/libgreeter_zh.so", false),
        ("greeter/libgreeter_en_go.so", true),
        ("codec/libcodec_c.so", false),
        ("codec/libcodec_cpp.so", false),
        ("codec/libcodec_rust.so", false),
        ("codec/libcodec_go.so", true),
        ("lifecycle/libgreeter_en_1_1.so", false),
    ];
    for (rel, is_go) in plugins {
        let path = artefact(rel);
        let bytes = descriptor::read_plugin_file(&path).unwrap();
        let from_bytes = descriptor::read_plugin_info_from_bytes(&path, &bytes).unwrap();
        let from_file = descriptor::read_plugin_info(&path).unwrap();
        assert_eq!(from_bytes, from_file, "{rel}");
        assert_eq!(
            from_bytes.architecture,
            descriptor::host_architecture(),
            "{rel}"
        );
        assert_eq!(from_bytes.go.is_some(), is_go, "{rel}: {:?}", from_bytes.go);
        if let Some(go) = &from_bytes.go {
            assert!(go.go_version.starts_with("go"), "{rel}: {go:?}");
        }
    }
    // Not a plugin: the same refusal either way.
    let path = artefact("greeter/greeter.h");
    let bytes = std::fs::read(&path).unwrap();
    let a = descriptor::read_plugin_info_from_bytes(&path, &bytes).unwrap_err();
    let b = descriptor::read_plugin_info(&path).unwrap_err();
    assert_eq!(a.to_string(), b.to_string());
    assert!(a.to_string().contains("text file"), "{a}");
}
