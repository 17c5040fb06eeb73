//! The generated `Typecov::load_with_options` (issue 8, item 2 and 8): the options of an
//! open reach the loader, for a Rust host as for C, C++ and Go hosts.

use plugport::error::LoadError;
use plugport::isolation::{Mode, Options};
use plugport::loader::Sha256Allowlist;
use typecov_host::{artefact, Typecov};

/// A SHA-256 allowlist without the file's digest refuses it before any of its code runs;
/// with the digest it loads.
#[test]
fn an_allowlist_refuses_unlisted_files_and_loads_listed_ones() {
    if std::env::var_os("PLUGPORT_ALLOW_SHA256").is_some() {
        eprintln!("skipped: PLUGPORT_ALLOW_SHA256 replaces the option");
        return;
    }
    let path = artefact("libtypecov_c.so");
    let zeros = Sha256Allowlist::parse(&"0".repeat(64)).unwrap();
    let refused = Typecov::load_with_options(
        &path,
        Options {
            allow_sha256: Some(zeros),
            ..Options::default()
        },
    );
    match refused {
        Err(e @ LoadError::NotAllowed { .. }) => assert_eq!(e.path(), path),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("an unlisted file loaded"),
    }
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(std::fs::read(&path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let listed = Sha256Allowlist::parse(&digest).unwrap();
    let p = Typecov::load_with_options(
        &path,
        Options {
            allow_sha256: Some(listed),
            ..Options::default()
        },
    )
    .expect("a listed file loads");
    assert_eq!(p.echo().echo_u32(u32::MAX).unwrap(), u32::MAX);
}

/// `Mode::Process` runs the plugin in a child process behind the same API.
#[test]
fn the_process_mode_runs_the_plugin_in_a_child_and_it_answers_the_same() {
    if std::env::var_os("PLUGPORT_ISOLATION").is_some() {
        eprintln!("skipped: PLUGPORT_ISOLATION overrides the option");
        return;
    }
    let path = artefact("libtypecov_c.so");
    for mode in [Mode::InProcess, Mode::Process] {
        let p = Typecov::load_with_options(
            &path,
            Options {
                mode,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let plugin = p.plugin().expect("a loaded plugin");
        assert_eq!(
            plugin.isolated().is_some(),
            mode == Mode::Process,
            "{mode:?}"
        );
        assert_eq!(p.echo().echo_string("héllo").unwrap(), "héllo");
    }
}
