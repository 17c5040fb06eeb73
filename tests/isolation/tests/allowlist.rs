//! The SHA-256 allowlist (`docs/isolation.md`, "Allowlist"; `docs/errors.md`,
//! "NotAllowed"), in both modes: a listed file opens, any other is refused with
//! `LoadError::NotAllowed` / `PLUGPORT_E_NOT_ALLOWED` naming its digest; a reload of a
//! changed file is refused by the list of the open; a malformed list is an error;
//! `PLUGPORT_ALLOW_SHA256` replaces the open's list; and the plugin process checks the
//! bytes it loads itself (a file changed after the host's check is refused there).

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;

use plugport::capi::*;
use plugport::isolation::capi::*;
use plugport::loader::Sha256Allowlist;
use plugport::LoadError;
use plugport_isolation_tests::{fault_plugin, Host, Mode, Options, Plugin, WORLD_JSON};
use sha2::{Digest, Sha256};

fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_isolation-test-runner"))
}

fn digest(path: &Path) -> [u8; 32] {
    Sha256::digest(std::fs::read(path).unwrap()).into()
}

fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A digest that is not the fault plugin's.
const OTHER: [u8; 32] = [0x5a; 32];

/// Both modes, in-process first.
const MODES: [Mode; 2] = [Mode::InProcess, Mode::Process];

fn open(
    path: &Path,
    mode: Mode,
    allow: Option<Sha256Allowlist>,
) -> Result<(std::sync::Arc<plugport::Plugin>, Plugin), LoadError> {
    let imports = Plugin::imports_table::<Host>();
    let plugin = plugport::loader::open_with_options(
        path,
        WORLD_JSON,
        imports as *const _ as *const c_void,
        Options {
            mode,
            runner: Some(runner()),
            allow_sha256: allow,
            ..Options::default()
        },
    )?;
    // SAFETY: the table stays valid while `plugin` lives; callers keep it.
    let p = unsafe { Plugin::from_raw_exports(plugin.exports() as *const _) };
    Ok((plugin, p))
}

/// A copy of the fault plugin in a fresh directory (tests change it).
fn copy_of_plugin() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libfault_copy.so");
    std::fs::copy(fault_plugin(), &path).unwrap();
    (dir, path)
}

/// Appends a byte to an ELF file: still the same plugin (same descriptor), other bytes.
fn append_byte(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(&[0]).unwrap();
}

fn expect_not_allowed(r: Result<impl Sized, LoadError>, sha: &[u8; 32], what: &str) -> LoadError {
    match r {
        Err(e @ LoadError::NotAllowed { .. }) => {
            let LoadError::NotAllowed { sha256, .. } = &e else {
                unreachable!()
            };
            assert_eq!(sha256, &hex(sha), "{what}: names the file's digest");
            assert_eq!(e.code(), PLUGPORT_E_NOT_ALLOWED, "{what}");
            assert_eq!(e.docs_section(), "NotAllowed");
            e
        }
        Err(e) => panic!("{what}: expected NotAllowed, got {e}"),
        Ok(_) => panic!("{what}: expected NotAllowed, the file opened"),
    }
}

#[test]
fn a_listed_file_opens_and_an_unlisted_one_is_refused_in_both_modes() {
    let sha = digest(&fault_plugin());
    for mode in MODES {
        let listed = Sha256Allowlist::from_digests([OTHER, sha]);
        let (plugin, p) = open(&fault_plugin(), mode, Some(listed)).unwrap();
        assert_eq!(p.faults().inc(1), Ok(2), "{mode:?}");
        drop(plugin);

        let unlisted = Sha256Allowlist::from_digests([OTHER]);
        let e = expect_not_allowed(
            open(&fault_plugin(), mode, Some(unlisted)),
            &sha,
            "unlisted",
        );
        let m = e.to_string();
        assert!(
            m.contains("not among the 1 digest allowed by the open's allow_sha256 option"),
            "{m}"
        );
        // Refused by the host's own check, before a plugin process started.
        assert!(!m.contains("in the plugin process"), "{m}");

        let empty = Sha256Allowlist::from_digests([]);
        expect_not_allowed(open(&fault_plugin(), mode, Some(empty)), &sha, "empty list");
    }
}

#[test]
fn a_reload_of_a_changed_file_is_refused_by_the_list_of_the_open() {
    for mode in MODES {
        let (_dir, path) = copy_of_plugin();
        let sha = digest(&path);
        let (plugin, p) = open(&path, mode, Some(Sha256Allowlist::from_digests([sha]))).unwrap();
        append_byte(&path);
        let changed = digest(&path);
        expect_not_allowed(plugin.reopen(), &changed, &format!("{mode:?} reload"));
        // The old image serves on.
        assert_eq!(p.faults().inc(41), Ok(42));
    }
}

/// A runner that appends a byte to the plugin file before it starts the real runner: the
/// host checked (and hashed) the file as it was, the plugin process reads other bytes.
#[test]
fn the_plugin_process_checks_the_bytes_it_loads() {
    let (dir, path) = copy_of_plugin();
    let sha = digest(&path);
    let wrapper = dir.path().join("appending-runner");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '\\000' >> \"$3\"\nexec '{}' \"$@\"\n",
            runner().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let imports = Plugin::imports_table::<Host>();
    let r = plugport::loader::open_with_options(
        &path,
        WORLD_JSON,
        imports as *const _ as *const c_void,
        Options {
            mode: Mode::Process,
            runner: Some(wrapper),
            allow_sha256: Some(Sha256Allowlist::from_digests([sha])),
            ..Options::default()
        },
    );
    let changed = digest(&path);
    assert_ne!(changed, sha);
    let e = expect_not_allowed(r, &changed, "changed after the host's check");
    assert!(e.to_string().contains("in the plugin process"), "{e}");
}

/// An unlisted file is refused by the host before any process starts: a runner that
/// leaves a mark when it runs is never run for it (and is, for a listed file).
#[test]
fn an_unlisted_file_starts_no_plugin_process() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("runner-ran");
    let wrapper = dir.path().join("marking-runner");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n: > '{}'\nexec '{}' \"$@\"\n",
            mark.display(),
            runner().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sha = digest(&fault_plugin());
    let open_with = |allow: [u8; 32]| {
        let imports = Plugin::imports_table::<Host>();
        plugport::loader::open_with_options(
            &fault_plugin(),
            WORLD_JSON,
            imports as *const _ as *const c_void,
            Options {
                mode: Mode::Process,
                runner: Some(wrapper.clone()),
                allow_sha256: Some(Sha256Allowlist::from_digests([allow])),
                ..Options::default()
            },
        )
    };
    expect_not_allowed(open_with(OTHER), &sha, "unlisted");
    assert!(
        !mark.exists(),
        "a plugin process was started for a refused file"
    );
    let plugin = open_with(sha).expect("a listed file opens");
    assert!(mark.exists(), "the marking runner ran for the listed file");
    drop(plugin);
}

fn open_c(path: &Path, mode: u32, allow: Option<&CStr>) -> (i32, *mut PlugportPlugin) {
    let o = PlugportOpenOptions {
        size: std::mem::size_of::<PlugportOpenOptions>() as u32,
        isolation: mode,
        call_timeout_ms: 0,
        max_restarts: 0,
        start_timeout_ms: 0,
        drain_timeout_ms: 0,
        max_address_space_mb: 0,
        max_cpu_seconds: 0,
        idle_timeout_ms: 0,
        max_open_files: 0,
        allow_sha256: allow.map_or(std::ptr::null(), CStr::as_ptr),
    };
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("PLUGPORT_RUNNER", runner()));
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let imports = Plugin::imports_table::<Host>() as *const _ as *const c_void;
    let mut p = std::ptr::null_mut();
    // SAFETY: valid arguments per the C API's contract.
    let code = unsafe {
        plugport_open_ex(
            c.as_ptr(),
            WORLD_JSON.as_ptr(),
            WORLD_JSON.len(),
            imports,
            &o,
            &mut p,
        )
    };
    (code, p)
}

fn last_error() -> String {
    let p: *const c_char = plugport_last_error();
    assert!(!p.is_null());
    // SAFETY: NUL-terminated, valid until the next C API call of this thread.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[test]
fn the_c_api_option_in_both_modes_with_reload_and_malformed_lists() {
    for mode in [PLUGPORT_ISOLATION_INPROC, PLUGPORT_ISOLATION_PROCESS] {
        let (_dir, path) = copy_of_plugin();
        let sha = hex(&digest(&path));
        let listed = CString::new(format!("{} , {}", hex(&OTHER), sha.to_uppercase())).unwrap();
        let (code, p) = open_c(&path, mode, Some(&listed));
        assert_eq!(code, PLUGPORT_OK, "{}", last_error());
        // SAFETY: a live plugin; its table is used before the close.
        unsafe {
            let b = Plugin::from_raw_exports(plugport_exports(p) as *const _);
            assert_eq!(b.faults().inc(1), Ok(2));
            append_byte(&path);
            assert_eq!(plugport_reload(p), PLUGPORT_E_NOT_ALLOWED, "mode {mode}");
            assert!(
                last_error().contains(&hex(&digest(&path))),
                "{}",
                last_error()
            );
            assert_eq!(b.faults().inc(2), Ok(3), "the old image serves on");
            plugport_close(p);
        }

        let unlisted = CString::new(hex(&OTHER)).unwrap();
        let (code, p) = open_c(&path, mode, Some(&unlisted));
        assert_eq!(code, PLUGPORT_E_NOT_ALLOWED);
        assert!(p.is_null());
        let m = last_error();
        assert!(
            m.contains("refused by the SHA-256 allowlist") && m.contains(&hex(&digest(&path))),
            "{m}"
        );

        for bad in ["", "xyz", &format!("{sha},"), &sha[1..]] {
            let bad = CString::new(bad).unwrap();
            let (code, p) = open_c(&path, mode, Some(&bad));
            assert_eq!(code, PLUGPORT_E_INVALID_ARGUMENT, "{bad:?}");
            assert!(p.is_null());
            assert!(
                last_error().contains("options->allow_sha256 is malformed"),
                "{}",
                last_error()
            );
        }
    }
}

/// Helper process of [`the_variable_replaces_the_open_list`]: opens the fault plugin in
/// each mode with the option list `ALLOW_OPTION` names (`plugin` or `other`) and prints
/// what happened.
#[test]
#[ignore = "run by the_variable_replaces_the_open_list as a separate process"]
fn helper_host_with_allowlist_variable() {
    let sha = digest(&fault_plugin());
    let option = match std::env::var("ALLOW_OPTION").as_deref() {
        Ok("plugin") => Some(Sha256Allowlist::from_digests([sha])),
        Ok("other") => Some(Sha256Allowlist::from_digests([OTHER])),
        _ => None,
    };
    for mode in MODES {
        match open(&fault_plugin(), mode, option.clone()) {
            Ok((plugin, p)) => {
                assert_eq!(p.faults().inc(1), Ok(2));
                println!("[{}=opened]", label(mode));
                drop(plugin);
            }
            Err(e) => println!("[{}=code {}] {e}", label(mode), e.code()),
        }
    }
}

fn label(mode: Mode) -> &'static str {
    if mode == Mode::Process {
        "isolated"
    } else {
        "inproc"
    }
}

fn helper(variable: &str, option: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_host_with_allowlist_variable",
            "--nocapture",
        ])
        .env("PLUGPORT_ALLOW_SHA256", variable)
        .env("ALLOW_OPTION", option)
        .env_remove("PLUGPORT_ISOLATION")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn the_variable_replaces_the_open_list() {
    let sha = hex(&digest(&fault_plugin()));
    let opened = |t: &str| t.contains("[inproc=opened]") && t.contains("[isolated=opened]");
    let refused = |t: &str| {
        t.contains(&format!("[inproc=code {PLUGPORT_E_NOT_ALLOWED}]"))
            && t.contains(&format!("[isolated=code {PLUGPORT_E_NOT_ALLOWED}]"))
    };
    // The variable lists the file: it opens although the option does not list it.
    let t = helper(&format!("{},{sha}", hex(&OTHER)), "other");
    assert!(opened(&t), "{t}");
    // The variable does not list it: refused although the option does.
    let t = helper(&hex(&OTHER), "plugin");
    assert!(refused(&t), "{t}");
    assert!(t.contains("allowed by PLUGPORT_ALLOW_SHA256"), "{t}");
    // The variable alone, on a host that set no list.
    let t = helper(&hex(&OTHER), "none");
    assert!(refused(&t), "{t}");
    // Malformed: every open is refused (fail closed), naming the entry.
    let t = helper(&format!("{sha},nothex"), "plugin");
    assert!(refused(&t), "{t}");
    assert!(
        t.contains("PLUGPORT_ALLOW_SHA256 is malformed: entry 2 \"nothex\""),
        "{t}"
    );
    // Blank: as if unset.
    let t = helper(" ", "none");
    assert!(opened(&t), "{t}");
}
