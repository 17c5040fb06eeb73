//! Hot reload through the generated Rust API (`docs/abi.md` §10): `World::reload()` swaps
//! in the file now at the plugin's path. New calls reach the new version; objects created
//! by the old version (resources, clones of the world struct) keep working until dropped,
//! then the old library is unloaded; an incompatible or broken file leaves the old version
//! serving and returns the error. (The C API's `plugport_reload` is tested in
//! `bridge/tests/capi_reload.rs`, and from C by the watch-mode tests.)

use lifecycle::{
    artefact, codec, mapped, mapped_images, replace_atomically, v1_1, zh_plugin, Host,
};
use plugport::error::LoadError;
use plugport::rt::CallError;

#[test]
fn reload_switches_to_the_new_version_and_clones_keep_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgreeter.so");
    replace_atomically(&artefact("greeter/libgreeter_en.so"), &path);
    let mut g = v1_1::Greeter::load::<Host>(&path).unwrap();
    assert_eq!(g.greet().greet("Ada").unwrap(), "Hello, Ada!");
    assert!(!g.greet().has_farewell());
    let before = g.clone();
    let old_image = g.plugin().unwrap().image_path().to_path_buf();

    replace_atomically(&artefact("lifecycle/libgreeter_en_1_1.so"), &path);
    // Until reload, nothing changes: the loaded image is a private copy.
    assert_eq!(g.greet().greet("Ada").unwrap(), "Hello, Ada!");
    g.reload().unwrap();
    assert_eq!(g.descriptor().plugin_version, "1.1.0");
    assert_eq!(g.greet().greet("Ada").unwrap(), "Hi, Ada!");
    assert_eq!(g.greet().farewell("Ada").unwrap(), "Goodbye, Ada!");

    // The clone taken before the reload is the old version, still loaded.
    assert_eq!(before.greet().greet("Ada").unwrap(), "Hello, Ada!");
    assert!(matches!(
        before.greet().farewell("Ada"),
        Err(CallError::Unsupported { .. })
    ));
    assert!(mapped(&old_image));
    drop(before);
    assert!(
        !mapped(&old_image),
        "the old version is unloaded with its last object"
    );
    assert!(mapped(g.plugin().unwrap().image_path()));
}

#[test]
fn resources_of_the_old_version_work_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libcodec.so");
    replace_atomically(&artefact("codec/libcodec_rust.so"), &path);
    let mut plugin = codec::Codec::load(&path).unwrap();
    assert_eq!(plugin.descriptor().plugin_name, "codec-rust");
    let old_decoder = plugin.framing().decoder_new(1024).unwrap();
    let old_image = plugin.plugin().unwrap().image_path().to_path_buf();

    replace_atomically(&artefact("codec/libcodec_c.so"), &path);
    plugin.reload().unwrap();
    assert_eq!(plugin.descriptor().plugin_name, "codec-c");
    let new_decoder = plugin.framing().decoder_new(1024).unwrap();
    assert_eq!(mapped_images("libcodec.so"), 2, "old and new image");

    // Both decoders work, each in its own library.
    let wire = [0, 0, 0, 7, 0, 0, 0, 3, 1, 2, 3];
    for d in [&old_decoder, &new_decoder] {
        assert_eq!(d.push(&wire).unwrap(), Ok(1));
        let frame = d.pull().unwrap().expect("a frame");
        assert_eq!((frame.stream, frame.payload), (7, vec![1, 2, 3]));
    }
    let encoded = plugin
        .framing()
        .encode(&codec::exports::framing::Frame {
            stream: 1,
            payload: vec![9],
        })
        .unwrap()
        .unwrap();
    assert_eq!(encoded, [0, 0, 0, 1, 0, 0, 0, 1, 9]);

    assert!(mapped(&old_image));
    drop(old_decoder);
    assert!(
        !mapped(&old_image),
        "unloaded with the old version's last resource"
    );
    assert_eq!(mapped_images("libcodec.so"), 1);
    drop(new_decoder);
    drop(plugin);
    assert_eq!(mapped_images("libcodec.so"), 0);
}

#[test]
fn a_refused_file_leaves_the_old_version_serving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgreeter.so");
    replace_atomically(&zh_plugin(dir.path(), true), &path);
    let mut g = v1_1::Greeter::load::<Host>(&path).unwrap();
    let image = g.plugin().unwrap().image_path().to_path_buf();
    let serving = |g: &v1_1::Greeter| {
        assert_eq!(g.descriptor().plugin_name, "greeter-zh");
        assert_eq!(g.greet().farewell("Ada").unwrap(), "再见，Ada！");
        assert_eq!(g.plugin().unwrap().image_path(), image);
    };

    // Another package (the S3 users plugin).
    replace_atomically(&artefact("lifecycle/libusers_rust.so"), &path);
    let err = g.reload().unwrap_err();
    assert!(
        matches!(&err, LoadError::PackageMismatch { expected, found, .. }
            if expected == "example:greeter" && found == "test:users"),
        "{err:?}"
    );
    serving(&g);

    // Not a shared library.
    std::fs::write(dir.path().join("text"), "not a library\n").unwrap();
    replace_atomically(&dir.path().join("text"), &path);
    assert!(matches!(
        g.reload().unwrap_err(),
        LoadError::NotSharedLibrary { .. }
    ));
    serving(&g);

    // Gone.
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(g.reload().unwrap_err(), LoadError::Io { .. }));
    serving(&g);

    // Fixed: the reload succeeds.
    replace_atomically(&artefact("greeter/libgreeter_en.so"), &path);
    g.reload().unwrap();
    assert_eq!(g.greet().greet("Ada").unwrap(), "Hello, Ada!");
    assert!(!mapped(&image));
}

#[test]
fn a_statically_wrapped_plugin_has_no_file_to_reload() {
    let loaded = v1_1::Greeter::load::<Host>(artefact("lifecycle/libgreeter_en_1_1.so")).unwrap();
    // SAFETY: `loaded` keeps the table alive for longer than `wrapped` lives.
    let mut wrapped = unsafe { v1_1::Greeter::from_raw_exports(loaded.exports_table()) };
    let err = wrapped.reload().unwrap_err();
    match &err {
        LoadError::Io { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::Unsupported);
            assert!(source.to_string().contains("from_raw_exports"), "{err}");
        }
        other => panic!("expected Io(Unsupported), got {other:?}"),
    }
    assert_eq!(wrapped.greet().greet("Ada").unwrap(), "Hi, Ada!");
}
