//! The lifecycle scenarios of the mission (`../shared/MISSION.md`), one test each:
//!
//! - S1: calls from many threads at once are safe (no variadics: sequences are `list<T>`);
//! - S2: two versions (and two copies) of one plugin live side by side, each answering;
//! - S3: types are defined once, in the interface, and checked structurally;
//! - S4: unload and reload keep memory flat;
//! - S5: compatibility depends only on the interface, never on compiler or flags.
//!
//! The tests of this file run one at a time ([`serial`]), so that the RSS measurement of
//! S4 sees no other test's allocations.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use lifecycle::{
    artefact, include_dir, mapped, mapped_images, replace_atomically, rss_bytes, users,
    users_source, v1_0, v1_1, zh_plugin, zh_source, CPlugin, Host, LOG_CALLS,
};
use plugport::error::LoadError;
use plugport::rt::CallError;

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a greeter answers: (plugin name, version, greeting, farewell or "unsupported").
type Answers = (String, String, String, String);

/// The [`Answers`] of `g`.
fn answers(g: &v1_1::Greeter) -> Answers {
    let d = g.descriptor();
    (
        d.plugin_name.clone(),
        d.plugin_version.clone(),
        g.greet().greet("Ada").unwrap().into_string(),
        match g.greet().farewell("Ada") {
            Ok(s) => s.into_string(),
            Err(CallError::Unsupported { .. }) => "unsupported".into(),
            Err(e) => panic!("farewell: {e}"),
        },
    )
}

fn expect(name: &str, version: &str, greeting: &str, farewell: &str) -> Answers {
    (
        name.into(),
        version.into(),
        greeting.into(),
        farewell.into(),
    )
}

/// S1. A Go plugin's variadic `func(...interface{})` entry crashed the runtime ("bad
/// pointer in frame") when two goroutines called it at once. The plugport ABI has no
/// variadics, and every function may be called from several threads at once
/// (`docs/abi.md` §5). Here the Rust and the C greeter are each called from 8 threads at
/// once, 2,000 calls per thread, every answer is checked, and every call calls back into
/// the host's `logger` import from the plugin's side of the boundary, concurrently too.
#[test]
fn s1_calls_from_many_threads_at_once_are_safe() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let plugins = [
        (artefact("greeter/libgreeter_en.so"), "Hello, NAME!"),
        (zh_plugin(&dir.path().join("zh"), false), "你好，NAME！"),
    ];
    const THREADS: usize = 8;
    const CALLS: usize = 2_000;
    for (path, pattern) in plugins {
        let g = v1_1::Greeter::load::<Host>(&path).unwrap();
        let logged_before = LOG_CALLS.load(std::sync::atomic::Ordering::SeqCst);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (g, path) = (&g, &path);
                s.spawn(move || {
                    for i in 0..CALLS {
                        let name = format!("thread {t} call {i}");
                        let answer = g.greet().greet(&name).unwrap();
                        assert_eq!(answer, pattern.replace("NAME", &name), "{}", path.display());
                    }
                });
            }
        });
        let logged = LOG_CALLS.load(std::sync::atomic::Ordering::SeqCst) - logged_before;
        assert_eq!(
            logged,
            THREADS * CALLS,
            "logger calls from {}",
            path.display()
        );
    }
}

/// S2. Go's `plugin.Open` returns the first instance for a second open of one path and
/// refuses a second version ("plugin already loaded"). Here versions 1.0 and 1.1 of the
/// English greeter (Rust) and of the Chinese greeter (C), two opens of one file, and the
/// old and new file at one path all live in one host at once, each answering as itself.
#[test]
fn s2_two_versions_of_one_plugin_live_side_by_side() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let en_1_0 = artefact("greeter/libgreeter_en.so");
    let en_1_1 = artefact("lifecycle/libgreeter_en_1_1.so");
    let zh_1_0 = zh_plugin(&dir.path().join("zh-1.0"), false);
    let zh_1_1 = zh_plugin(&dir.path().join("zh-1.1"), true);

    // The same path, before and after the file is replaced by the other version.
    let path = dir.path().join("libgreeter.so");
    replace_atomically(&en_1_1, &path);
    let replaced_old = v1_1::Greeter::load::<Host>(&path).unwrap();
    replace_atomically(&en_1_0, &path);
    let replaced_new = v1_1::Greeter::load::<Host>(&path).unwrap();

    let live = [
        (
            v1_1::Greeter::load::<Host>(&en_1_0).unwrap(),
            expect("greeter-en", "1.0.0", "Hello, Ada!", "unsupported"),
        ),
        (
            v1_1::Greeter::load::<Host>(&en_1_1).unwrap(),
            expect("greeter-en", "1.1.0", "Hi, Ada!", "Goodbye, Ada!"),
        ),
        // A second copy of the same file.
        (
            v1_1::Greeter::load::<Host>(&en_1_1).unwrap(),
            expect("greeter-en", "1.1.0", "Hi, Ada!", "Goodbye, Ada!"),
        ),
        (
            v1_1::Greeter::load::<Host>(&zh_1_0).unwrap(),
            expect("greeter-zh", "1.0.0", "你好，Ada！", "unsupported"),
        ),
        (
            v1_1::Greeter::load::<Host>(&zh_1_1).unwrap(),
            expect("greeter-zh", "1.1.0", "你好，Ada！", "再见，Ada！"),
        ),
        (
            v1_1::Greeter::load::<Host>(&zh_1_1).unwrap(),
            expect("greeter-zh", "1.1.0", "你好，Ada！", "再见，Ada！"),
        ),
        (
            replaced_old,
            expect("greeter-en", "1.1.0", "Hi, Ada!", "Goodbye, Ada!"),
        ),
        (
            replaced_new,
            expect("greeter-en", "1.0.0", "Hello, Ada!", "unsupported"),
        ),
    ];
    // Interleaved calls, several rounds: nobody answers for anybody else.
    for _ in 0..3 {
        for (g, want) in &live {
            assert_eq!(
                &answers(g),
                want,
                "{}",
                g.plugin().unwrap().path().display()
            );
        }
    }
    // Eight independent images: distinct tables, distinct mappings.
    let mut tables: Vec<usize> = live
        .iter()
        .map(|(g, _)| g.exports_table() as usize)
        .collect();
    tables.sort_unstable();
    tables.dedup();
    assert_eq!(
        tables.len(),
        live.len(),
        "every open has its own exports table"
    );
    let images: Vec<PathBuf> = live
        .iter()
        .map(|(g, _)| g.plugin().unwrap().image_path().to_path_buf())
        .collect();
    for image in &images {
        assert!(mapped(image), "{} not mapped", image.display());
    }
    drop(live);
    for image in &images {
        assert!(!mapped(image), "{} still mapped", image.display());
    }
}

/// S3. In Go, `main.User` of the host and `main.User` of the plugin are different types.
/// Here `user` is defined once, in `wit/users.wit`; a Rust plugin (rustc) and a C plugin
/// (the C compiler) built from it are accepted with the host's very fingerprint, and pass
/// records both ways. A plugin whose `user` has the same name but another structure (`age`
/// widened to u64, `wit/changed/users.wit`) is refused, naming the field with expected and
/// found types.
#[test]
fn s3_types_are_defined_once_and_checked_structurally() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let host_fingerprint = plugport::descriptor::parse_world_json(users::WORLD_JSON)
        .unwrap()
        .0;
    let rust = artefact("lifecycle/libusers_rust.so");
    let c =
        CPlugin::new(users_source(), include_dir("users")).build(&dir.path().join("libusers_c.so"));
    let people = [
        users::exports::directory::User {
            name: "Ada".into(),
            age: 36,
        },
        users::exports::directory::User {
            name: "Grace".into(),
            age: 85,
        },
        users::exports::directory::User {
            name: "Alan".into(),
            age: 85,
        },
        users::exports::directory::User {
            name: String::new(),
            age: u32::MAX,
        },
    ];
    for (path, name) in [(&rust, "users-rust"), (&c, "users-c")] {
        let p = users::Users::load(path).unwrap_or_else(|e| panic!("{name} refused: {e}"));
        assert_eq!(p.descriptor().plugin_name, name);
        assert_eq!(
            p.descriptor().fingerprint,
            host_fingerprint,
            "{name}: the same definition"
        );
        let dir_ = p.directory();
        assert_eq!(dir_.describe(&people[0]).unwrap(), "Ada (36)", "{name}");
        assert_eq!(
            dir_.describe(&people[3]).unwrap(),
            " (4294967295)",
            "{name}"
        );
        assert_eq!(
            dir_.oldest(&people[..3]).unwrap(),
            Some(people[1].clone()),
            "{name}"
        );
        assert_eq!(
            dir_.oldest(&people).unwrap(),
            Some(people[3].clone()),
            "{name}"
        );
        assert_eq!(dir_.oldest(&[]).unwrap(), None, "{name}");
    }

    let changed = CPlugin::new(users_source(), include_dir("users-changed"))
        .build(&dir.path().join("libusers_changed.so"));
    let err = users::Users::load(&changed).map(|_| ()).unwrap_err();
    let LoadError::Incompatible { items, path } = &err else {
        panic!("expected Incompatible, got {err:?}");
    };
    assert_eq!(path, &changed);
    assert_eq!(items.len(), 1, "{err}");
    assert_eq!(items[0].item, "directory.user.age");
    assert_eq!(
        (items[0].expected.as_str(), items[0].found.as_str()),
        ("u32", "u64")
    );
    assert!(
        err.to_string()
            .contains("directory.user.age: expected u32, found u64"),
        "{err}"
    );
}

/// Alternates the file at `path` between `a` and `b`, reloading `g` after each
/// replacement and checking that it answers as the file now there; `cycles` times.
fn reload_loop(g: &mut v1_1::Greeter, path: &Path, files: [(&Path, &Answers); 2], cycles: usize) {
    let file_name = path.file_name().unwrap().to_str().unwrap();
    for i in 0..cycles {
        let (file, want) = files[i % 2];
        replace_atomically(file, path);
        g.reload().unwrap();
        assert_eq!(&answers(g), want);
        assert_eq!(
            mapped_images(file_name),
            1,
            "the replaced image is unloaded"
        );
    }
}

/// S4. Go plugins cannot be unloaded, so hot reloading leaks. Here a host reloads a
/// plugin in a loop, the file alternating between two versions: each reload unloads the
/// previous image (nothing else holds it), the resident set stays flat after a warm-up,
/// and once the host drops the plugin no image is mapped. C plugins (small files) for
/// 2,000 reloads, Rust plugins (the 12 MB debug builds) for 200; the durations are
/// printed, not asserted.
#[test]
fn s4_unload_and_reload_keep_memory_flat() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    const MAX_GROWTH: u64 = 1 << 20;
    let zh_1_0 = zh_plugin(&dir.path().join("zh-1.0"), false);
    let zh_1_1 = zh_plugin(&dir.path().join("zh-1.1"), true);
    let en_1_0 = artefact("greeter/libgreeter_en.so");
    let en_1_1 = artefact("lifecycle/libgreeter_en_1_1.so");
    let zh_old = expect("greeter-zh", "1.0.0", "你好，Ada！", "unsupported");
    let zh_new = expect("greeter-zh", "1.1.0", "你好，Ada！", "再见，Ada！");
    let en_old = expect("greeter-en", "1.0.0", "Hello, Ada!", "unsupported");
    let en_new = expect("greeter-en", "1.1.0", "Hi, Ada!", "Goodbye, Ada!");

    for (label, name, files, warm_up, cycles) in [
        (
            "C",
            "libzh.so",
            [(&zh_1_0, &zh_old), (&zh_1_1, &zh_new)],
            200,
            2_000,
        ),
        (
            "Rust",
            "liben.so",
            [(&en_1_0, &en_old), (&en_1_1, &en_new)],
            20,
            200,
        ),
    ] {
        let path = dir.path().join(name);
        let files = files.map(|(f, w)| (f.as_path(), w));
        replace_atomically(files[0].0, &path);
        let mut g = v1_1::Greeter::load::<Host>(&path).unwrap();
        reload_loop(&mut g, &path, files, warm_up);
        let before = rss_bytes();
        let start = Instant::now();
        reload_loop(&mut g, &path, files, cycles);
        let elapsed = start.elapsed();
        let after = rss_bytes();
        let growth = after.saturating_sub(before);
        eprintln!(
            "s4 {label}: {cycles} replace+reload cycles in {elapsed:.2?} ({:.2} ms each): VmRSS \
             {} KiB -> {} KiB (growth {} KiB)",
            elapsed.as_secs_f64() * 1e3 / cycles as f64,
            before / 1024,
            after / 1024,
            growth / 1024
        );
        assert!(
            growth < MAX_GROWTH,
            "{label}: VmRSS grew by {growth} bytes over {cycles} reloads: expected less than \
             {MAX_GROWTH}"
        );
        drop(g);
        assert_eq!(mapped_images(name), 0, "{label}: the maps are clean");
    }
}

/// S5. Go requires host and plugin to share toolchain version, flags and dependencies.
/// Here the same C source is built by gcc, clang, g++ (as C++) and clang++ with different
/// optimisation levels and code-generation flags, next to the Rust build: every build of
/// the unchanged interface loads into one host at once and answers the same; every build
/// against the changed interface is refused, each with the identical message, which names
/// the item, expected and found, and never the compiler.
#[test]
fn s5_compatibility_depends_only_on_the_interface() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let builds: [(&str, &[&str]); 8] = [
        ("gcc", &["-O0"]),
        ("gcc", &["-O3", "-fno-omit-frame-pointer"]),
        (
            "gcc",
            &[
                "-O2",
                "-g",
                "-fvisibility=hidden",
                "-ffunction-sections",
                "-fdata-sections",
                "-Wl,--gc-sections",
            ],
        ),
        ("gcc", &["-Os", "-flto", "-fno-plt"]),
        ("clang", &["-O3"]),
        (
            "clang",
            &["-O1", "-fomit-frame-pointer", "-fstack-protector-strong"],
        ),
        ("g++", &["-O2"]),
        ("clang++", &["-O0", "-g"]),
    ];
    let mut greeters = Vec::new();
    let mut directories = Vec::new();
    for (i, (compiler, flags)) in builds.iter().enumerate() {
        let what = format!("{compiler} {}", flags.join(" "));
        let sub = dir.path().join(format!("build-{i}"));
        let zh = CPlugin::new(zh_source(), include_dir("greeter-1.1"))
            .compiler(compiler)
            .flags(flags)
            .flags(&["-DGREETER_1_1"])
            .build(&sub.join("libgreeter_zh.so"));
        let g = v1_1::Greeter::load::<Host>(&zh).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            answers(&g),
            expect("greeter-zh", "1.1.0", "你好，Ada！", "再见，Ada！"),
            "{what}"
        );
        greeters.push((what.clone(), g));

        let users_c = CPlugin::new(users_source(), include_dir("users"))
            .compiler(compiler)
            .flags(flags)
            .build(&sub.join("libusers.so"));
        let u = users::Users::load(&users_c).unwrap_or_else(|e| panic!("{what}: {e}"));
        directories.push((what.clone(), u));

        // The changed interface is refused whatever built it, with the same message but
        // for the file name.
        let changed = CPlugin::new(users_source(), include_dir("users-changed"))
            .compiler(compiler)
            .flags(flags)
            .build(&sub.join("libusers_changed.so"));
        let err = users::Users::load(&changed).map(|_| ()).unwrap_err();
        let message = err
            .to_string()
            .replace(&changed.display().to_string(), "<file>");
        assert_eq!(
            message,
            "<file>: the plugin's interface is incompatible with the host's (1 difference):\n  \
             - directory.user.age: expected u32, found u64",
            "{what}"
        );
    }
    // The Rust builds of the same interfaces, in the same host.
    greeters.push((
        "rustc".into(),
        v1_1::Greeter::load::<Host>(artefact("lifecycle/libgreeter_en_1_1.so")).unwrap(),
    ));
    directories.push((
        "rustc".into(),
        users::Users::load(artefact("lifecycle/libusers_rust.so")).unwrap(),
    ));

    // All loaded at once, all answering.
    let ada = users::exports::directory::User {
        name: "Ada".into(),
        age: 36,
    };
    for (what, g) in &greeters {
        assert!(g.greet().farewell("Ada").unwrap().contains("Ada"), "{what}");
    }
    for (what, u) in &directories {
        assert_eq!(u.directory().describe(&ada).unwrap(), "Ada (36)", "{what}");
    }
    // A 1.0 host accepts every one of them too (it uses the subset).
    for (what, g) in &greeters {
        let path = g.plugin().unwrap().path();
        let old_host = v1_0::Greeter::load::<Host>(path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            old_host.greet().greet("Ada").unwrap().contains("Ada"),
            "{what}"
        );
    }
}
