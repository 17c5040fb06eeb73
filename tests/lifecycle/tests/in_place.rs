//! Loading in place, opt-in with `PLUGPORT_LOAD=in-place` (`docs/abi.md` §10, "Loading in
//! place"; `bridge/src/loader/in_place.rs`): the image maps the plugin's own file; a second
//! open of the same file, a file changed between the check and the load, and a reload
//! while the old image of the path is loaded fall back to the private copy; a file renamed
//! over the path between the check and the load is never loaded; `$ORIGIN`
//! finds the plugin's own directory, in a Rust host and in the C greeter host.
//!
//! One test: it sets the variable for this process, which a test running in parallel
//! would see.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lifecycle::{
    artefact, include_dir, mapped, replace_atomically, v1_0, v1_1, zh_source, CPlugin, Host,
};
use plugport::loader::{set_in_place_hook, LOAD_VAR};

fn image(g: &v1_1::Greeter) -> PathBuf {
    g.plugin().unwrap().image_path().to_path_buf()
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

fn load(path: &Path) -> v1_1::Greeter {
    v1_1::Greeter::load::<Host>(path).unwrap()
}

/// The bytes the hook writes into the plugin file, in place (same inode, truncated).
static REWRITE: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn rewrite_in_place(path: &Path) {
    std::fs::write(path, &*REWRITE.lock().unwrap()).unwrap();
}

/// The file the hook renames over the plugin's path (taken, so it runs once).
static RENAME_FROM: Mutex<Option<PathBuf>> = Mutex::new(None);

fn rename_over(path: &Path) {
    if let Some(from) = RENAME_FROM.lock().unwrap().take() {
        std::fs::rename(from, path).unwrap();
    }
}

#[test]
fn in_place_loads_the_file_itself_and_falls_back_to_a_private_copy_when_it_must() {
    std::env::set_var(LOAD_VAR, "in-place");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgreeter_en.so");
    let v1_0_bytes = std::fs::read(artefact("greeter/libgreeter_en.so")).unwrap();
    let v1_1_file = artefact("lifecycle/libgreeter_en_1_1.so");
    std::fs::write(&path, &v1_0_bytes).unwrap();
    let real = std::fs::canonicalize(&path).unwrap();

    // Loaded from the file itself, and called.
    let a = load(&path);
    assert_eq!(answers(&a), en_1_0());
    assert_eq!(image(&a), real, "not loaded in place");
    assert!(mapped(&real));

    // Side by side: a second open of the same file is its own image, from a copy (the
    // dynamic loader would return the first image for the same file).
    let b = load(&path);
    assert_ne!(image(&b), real);
    assert!(mapped(&image(&b)));
    assert_ne!(a.exports_table(), b.exports_table());
    assert_eq!(answers(&a), en_1_0());
    assert_eq!(answers(&b), en_1_0());
    drop(b);
    drop(a);
    assert!(!mapped(&real), "the in-place image was not unloaded");

    // Reload after the file was replaced atomically: the new file is another inode, loaded
    // in place through its own descriptor beside the old image, which keeps the old one.
    let mut g = load(&path);
    assert_eq!(image(&g), real);
    let old = g.clone();
    replace_atomically(&v1_1_file, &path);
    g.reload().unwrap();
    assert_eq!(answers(&g), en_1_1());
    assert_eq!(answers(&old), en_1_0());
    assert_eq!(image(&g), real, "the new file not in place");
    drop(old);
    // A reload of the unchanged file while its image is loaded: side by side, from a copy.
    g.reload().unwrap();
    assert_eq!(answers(&g), en_1_1());
    assert_ne!(image(&g), real);
    drop(g);
    assert!(!mapped(&real));
    let g = load(&path);
    assert_eq!(
        image(&g),
        real,
        "not in place once the other images were unloaded"
    );
    assert_eq!(answers(&g), en_1_1());
    drop(g);

    // The file written in place between the check and the load (the test hook): the open
    // falls back to the copy of the bytes it checked (1.1), not what the file holds now.
    *REWRITE.lock().unwrap() = v1_0_bytes.clone();
    set_in_place_hook(Some(rewrite_in_place));
    let g = load(&path);
    set_in_place_hook(None);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        v1_0_bytes,
        "the hook did not run"
    );
    assert_eq!(answers(&g), en_1_1());
    assert_ne!(image(&g), real);
    drop(g);

    // Another file renamed over the path between the check and the `dlopen` (the hook):
    // the open loads the checked inode through its descriptor, never the new file, whose
    // constructor would run before any check of it (it would set the variable).
    let marked_c = dir.path().join("marked.c");
    std::fs::write(
        &marked_c,
        format!(
            "#define _POSIX_C_SOURCE 200112L\n#include \"{}\"\n#include <stdlib.h>\n\
             __attribute__((constructor)) static void pp_unchecked(void) {{\n\
             \tsetenv(\"PP_UNCHECKED_CONSTRUCTOR_RAN\", \"1\", 1);\n}}\n",
            zh_source().display()
        ),
    )
    .unwrap();
    let marked = CPlugin::new(marked_c, include_dir("greeter-1.0"))
        .flags(&["-O2"])
        .build(&dir.path().join("marked/libgreeter_zh_marked.so"));
    *RENAME_FROM.lock().unwrap() = Some(marked);
    set_in_place_hook(Some(rename_over));
    let g = load(&path);
    set_in_place_hook(None);
    assert!(
        RENAME_FROM.lock().unwrap().is_none(),
        "the hook did not run"
    );
    assert_eq!(answers(&g), en_1_0(), "not the checked bytes");
    assert!(
        std::env::var_os("PP_UNCHECKED_CONSTRUCTOR_RAN").is_none(),
        "the file renamed over the path after the check was loaded: its constructor ran"
    );
    drop(g);

    // `$ORIGIN`: a plugin that needs a library next to it (RUNPATH $ORIGIN) loads in
    // place, and not from the private copy.
    let lib_dir = dir.path().join("origin");
    std::fs::create_dir_all(&lib_dir).unwrap();
    let dep_c = lib_dir.join("ppdep.c");
    std::fs::write(&dep_c, "int ppdep_value(void) { return 42; }\n").unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = std::process::Command::new(&cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(lib_dir.join("libppdep.so"))
        .arg(&dep_c)
        .status()
        .unwrap();
    assert!(status.success());
    let with_dep = CPlugin::new(zh_source(), include_dir("greeter-1.0"))
        .flags(&[
            "-O2",
            "-Wl,--no-as-needed",
            &format!("-L{}", lib_dir.display()),
            "-lppdep",
            "-Wl,-rpath,$ORIGIN",
            "-Wl,--enable-new-dtags",
        ])
        .build(&lib_dir.join("libgreeter_zh_dep.so"));
    let greet = |g: &v1_0::Greeter| g.greet().greet("Ada").unwrap().into_string();
    let g = v1_0::Greeter::load::<Host>(&with_dep).unwrap();
    assert!(greet(&g).contains("Ada"));
    assert_eq!(
        g.plugin().unwrap().image_path(),
        std::fs::canonicalize(&with_dep).unwrap()
    );
    drop(g);
    std::env::remove_var(LOAD_VAR);
    match v1_0::Greeter::load::<Host>(&with_dep) {
        Err(plugport::error::LoadError::Dlopen { message, .. }) => {
            assert!(message.contains("libppdep.so"), "{message}")
        }
        Err(e) => panic!("from the private copy: {e}"),
        Ok(_) => panic!("$ORIGIN found libppdep.so from the private copy"),
    }

    // The C API reads the same variable: the C greeter host loads that plugin in place,
    // and cannot from the private copy.
    let c_host = |in_place: bool| {
        let mut cmd = std::process::Command::new(artefact("greeter/greeter-host-c"));
        if in_place {
            cmd.env(LOAD_VAR, "in-place");
        }
        cmd.arg(&with_dep).arg("Ada").output().unwrap()
    };
    let out = c_host(true);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Ada"),
        "the C host in place: {out:?}"
    );
    let out = c_host(false);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("libppdep.so"),
        "the C host from the private copy: {out:?}"
    );
}
