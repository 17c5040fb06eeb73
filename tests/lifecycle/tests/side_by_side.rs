//! Side by side (`docs/abi.md` §10, scenario S2): versions 1.0 and 1.1 of the greeter, two
//! opens of one file, the old and the new file at one path, and two libraries with the
//! same soname are all loaded at once through the generated API, and each answers with
//! its own behaviour (1.0 English says "Hello" and has no `farewell`; 1.1 says "Hi" and
//! has it).

use std::path::Path;

use lifecycle::{
    artefact, include_dir, mapped, replace_atomically, v1_1, zh_plugin, zh_source, CPlugin, Host,
};

fn image(g: &v1_1::Greeter) -> &Path {
    g.plugin().unwrap().image_path()
}

/// What a plugin answers: (version, greeting, farewell or "unsupported").
fn answers(g: &v1_1::Greeter) -> (String, String, String) {
    (
        g.descriptor().plugin_version.clone(),
        g.greet().greet("Ada").unwrap().into_string(),
        match g.greet().farewell("Ada") {
            Ok(s) => s.into_string(),
            Err(plugport::rt::CallError::Unsupported { .. }) => "unsupported".into(),
            Err(e) => panic!("farewell: {e}"),
        },
    )
}

fn en_1_0() -> (String, String, String) {
    ("1.0.0".into(), "Hello, Ada!".into(), "unsupported".into())
}

fn en_1_1() -> (String, String, String) {
    ("1.1.0".into(), "Hi, Ada!".into(), "Goodbye, Ada!".into())
}

#[test]
fn versions_1_0_and_1_1_from_different_paths_answer_side_by_side() {
    let old = v1_1::Greeter::load::<Host>(artefact("greeter/libgreeter_en.so")).unwrap();
    let new = v1_1::Greeter::load::<Host>(artefact("lifecycle/libgreeter_en_1_1.so")).unwrap();
    for _ in 0..3 {
        assert_eq!(answers(&old), en_1_0());
        assert_eq!(answers(&new), en_1_1());
    }
    assert_ne!(old.exports_table(), new.exports_table());
    assert!(mapped(image(&old)) && mapped(image(&new)));
    // Unloading one leaves the other answering.
    let old_image = image(&old).to_path_buf();
    drop(old);
    assert!(!mapped(&old_image));
    assert_eq!(answers(&new), en_1_1());
}

/// The file at one path is replaced on disk while the first version is loaded; loading
/// the path again gives the new version, and the first keeps answering as before.
#[test]
fn the_same_path_before_and_after_the_file_is_replaced_in_both_orders() {
    let v1_0_file = artefact("greeter/libgreeter_en.so");
    let v1_1_file = artefact("lifecycle/libgreeter_en_1_1.so");
    for (first, second, first_answers, second_answers) in [
        (&v1_0_file, &v1_1_file, en_1_0(), en_1_1()),
        (&v1_1_file, &v1_0_file, en_1_1(), en_1_0()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libgreeter.so");
        replace_atomically(first, &path);
        let a = v1_1::Greeter::load::<Host>(&path).unwrap();
        replace_atomically(second, &path);
        let b = v1_1::Greeter::load::<Host>(&path).unwrap();
        assert_eq!(a.plugin().unwrap().path(), b.plugin().unwrap().path());
        assert_eq!(answers(&a), first_answers);
        assert_eq!(answers(&b), second_answers);
        assert_eq!(answers(&a), first_answers, "a is not affected by b");
        assert_ne!(image(&a), image(&b));
        assert!(mapped(image(&a)) && mapped(image(&b)));
    }
}

#[test]
fn two_opens_of_one_file_are_two_images() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        artefact("lifecycle/libgreeter_en_1_1.so"),
        zh_plugin(dir.path(), true),
    ] {
        let a = v1_1::Greeter::load::<Host>(&path).unwrap();
        let b = v1_1::Greeter::load::<Host>(&path).unwrap();
        assert_ne!(a.exports_table(), b.exports_table(), "{}", path.display());
        assert_ne!(image(&a), image(&b));
        let b_image = image(&b).to_path_buf();
        let before = answers(&a);
        assert_eq!(before, answers(&b));
        drop(b);
        assert!(!mapped(&b_image));
        assert_eq!(
            answers(&a),
            before,
            "a survives b's unload, answering as before"
        );
    }
}

/// Two different libraries that both call themselves `libgreeter.so` (DT_SONAME): the
/// dynamic loader would treat the second as already loaded; the loader's private copies
/// make them two images.
#[test]
fn two_libraries_with_the_same_soname() {
    let dir = tempfile::tempdir().unwrap();
    let soname = ["-Wl,-soname,libgreeter.so"];
    let zh_1_0 = CPlugin::new(zh_source(), include_dir("greeter-1.0"))
        .flags(&soname)
        .build(&dir.path().join("a/libgreeter.so"));
    let zh_1_1 = CPlugin::new(zh_source(), include_dir("greeter-1.1"))
        .flags(&soname)
        .flags(&["-DGREETER_1_1"])
        .build(&dir.path().join("b/libgreeter.so"));
    let a = v1_1::Greeter::load::<Host>(&zh_1_0).unwrap();
    let b = v1_1::Greeter::load::<Host>(&zh_1_1).unwrap();
    let zh = |version: &str, farewell: &str| {
        (
            version.to_string(),
            "你好，Ada！".to_string(),
            farewell.to_string(),
        )
    };
    assert_eq!(answers(&a), zh("1.0.0", "unsupported"));
    assert_eq!(answers(&b), zh("1.1.0", "再见，Ada！"));
}
