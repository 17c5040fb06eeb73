//! Unload (`docs/abi.md` §10): a plugin's library is unloaded when the last object from it
//! is dropped: the world struct and its clones, every resource object, every interface
//! wrapper. Each holds an `Arc<Plugin>` (resources) or borrows the world struct (interface
//! wrappers such as `greet::Client<'_>`, so the compiler rejects using one after the world
//! struct is gone). The probe is `/proc/self/maps`: the image's private copy
//! ([`plugport::loader::Plugin::image_path`]) is listed while it is loaded, and not after.

use lifecycle::{artefact, codec, mapped, v1_1, zh_plugin, Host};

#[test]
fn dropping_the_last_world_struct_unloads_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = [
        artefact("greeter/libgreeter_en.so"),
        artefact("lifecycle/libgreeter_en_1_1.so"),
        zh_plugin(dir.path(), true),
    ];
    for path in plugins {
        let name = path.display();
        let g = v1_1::Greeter::load::<Host>(&path).unwrap();
        let image = g.plugin().unwrap().image_path().to_path_buf();
        assert!(mapped(&image), "{name}: {} not mapped", image.display());
        let clone = g.clone();
        drop(g);
        assert!(mapped(&image), "{name}: a clone still holds it");
        let greeting = clone.greet().greet("Ada").unwrap();
        assert!(
            ["Hello, Ada!", "Hi, Ada!", "你好，Ada！"].contains(&greeting.as_str()),
            "{name}: {greeting}"
        );
        drop(clone);
        // An owned result in the plugin's memory (`OwnedStr`) holds the image as well.
        assert!(mapped(&image), "{name}: the owned greeting still holds it");
        drop(greeting);
        assert!(!mapped(&image), "{name}: still mapped after the last drop");
    }
}

#[test]
fn a_resource_keeps_its_library_loaded_until_it_is_dropped() {
    for path in [
        artefact("codec/libcodec_rust.so"),
        artefact("codec/libcodec_c.so"),
    ] {
        let name = path.display();
        let plugin = codec::Codec::load(&path).unwrap();
        let image = plugin.plugin().unwrap().image_path().to_path_buf();
        let decoder = plugin.framing().decoder_new(1024).unwrap();
        let second = plugin.framing().decoder_new(1024).unwrap();
        drop(plugin);
        assert!(mapped(&image), "{name}: the decoders hold the library");

        // The resources still work: one frame of stream 7 with payload [1, 2, 3].
        let wire = [0, 0, 0, 7, 0, 0, 0, 3, 1, 2, 3];
        assert_eq!(decoder.push(&wire).unwrap(), Ok(1), "{name}");
        let frame = decoder.pull().unwrap().expect("a frame");
        assert_eq!((frame.stream, frame.payload), (7, vec![1, 2, 3]), "{name}");

        drop(decoder);
        assert!(mapped(&image), "{name}: the second decoder still holds it");
        assert_eq!(second.finish().unwrap(), Ok(()), "{name}");
        drop(second);
        assert!(
            !mapped(&image),
            "{name}: still mapped after the last resource"
        );
    }
}
