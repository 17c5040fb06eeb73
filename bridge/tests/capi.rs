//! The C API from C: `tests/c-loader/host.c` is compiled against `headers/plugport.h`,
//! linked to the cdylib `libplugport` that cargo builds next to this test, and run on a
//! plugin built from `tests/c-loader/plugin.c` and on a broken file.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use plugport::descriptor;

/// `libplugport.so` (`.dylib`): cargo builds the cdylib into `target/<profile>/deps`
/// for the tests of this crate, and into `target/<profile>` for `cargo build`.
fn cdylib() -> PathBuf {
    let name = format!(
        "{}plugport{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    for dir in [deps, deps.parent().unwrap()] {
        if dir.join(&name).exists() {
            return dir.join(&name);
        }
    }
    panic!(
        "{name} not found next to {}: build it with `cargo build -p plugport-capi`",
        exe.display()
    );
}

/// The `DT_SONAME` of an ELF library (the name a program linked to it looks for), from
/// its dynamic section; the file name itself when it has none (Mach-O).
fn soname(lib: &Path) -> String {
    use object::read::elf::{Dyn, FileHeader};
    let data = std::fs::read(lib).unwrap();
    let fallback = lib.file_name().unwrap().to_string_lossy().into_owned();
    let Ok(header) = object::elf::FileHeader64::<object::Endianness>::parse(&*data) else {
        return fallback;
    };
    let endian = header.endian().unwrap();
    let sections = header.sections(endian, &*data).unwrap();
    let Some((entries, link)) = sections.dynamic(endian, &*data).unwrap() else {
        return fallback;
    };
    let strings = sections.strings(endian, &*data, link).unwrap();
    entries
        .iter()
        .find(|d| d.tag32(endian) == Some(14)) // DT_SONAME
        .and_then(|d| d.string(endian, strings).ok())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or(fallback)
}

#[test]
fn a_c_host_opens_a_plugin_and_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    let world = calc_world("1.2.0");
    let plugin = build_plugin(
        dir.path(),
        "libcalc.so",
        &world,
        &blob_for(&world),
        &[],
        &[],
    );
    let json = dir.path().join("world.json");
    std::fs::write(&json, descriptor::world_json(&world)).unwrap();
    let broken = dir.path().join("broken.so");
    std::fs::write(&broken, "not a library").unwrap();

    let lib = cdylib();
    let headers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../headers");
    let host = dir.path().join("host");
    // libplugport's SONAME is libplugport.so.0 (bridge/capi/build.rs): the host looks for
    // that name at run time, so give it one in a folder of its own on the rpath.
    let libdir = dir.path().join("lib");
    std::fs::create_dir(&libdir).unwrap();
    std::os::unix::fs::symlink(&lib, libdir.join(soname(&lib))).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&host)
        .arg(c_loader_dir().join("host.c"))
        .arg("-I")
        .arg(&headers)
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", libdir.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "compiling host.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new(&host)
        .arg(&plugin)
        .arg(&json)
        .arg(&broken)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "host failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "name=calc-c version=0.3.1");
    assert_eq!(lines[1], format!("fingerprint={}", world.fingerprint()));
    assert_eq!(lines[2], "add(2,3)=5");
    assert_eq!(lines[3], "broken: rc=2 not_shared_library=1");
    assert_eq!(
        lines[4],
        format!(
            "message={} is not a shared library: expected an ELF shared object, a Mach-O \
             dylib or bundle or a PE DLL, found a text file",
            broken.display()
        )
    );
    assert_eq!(lines[5], "add(40,2)=42");
    assert_eq!(lines[6], "ok");
}

/// The same API from Rust, for what C cannot easily provoke.
#[test]
fn error_codes_are_stable_and_distinct() {
    use plugport::capi::*;
    let codes = [
        PLUGPORT_OK,
        PLUGPORT_E_IO,
        PLUGPORT_E_NOT_SHARED_LIBRARY,
        PLUGPORT_E_NOT_A_PLUGIN,
        PLUGPORT_E_CORRUPT_DESCRIPTOR,
        PLUGPORT_E_ABI_VERSION,
        PLUGPORT_E_PACKAGE_MISMATCH,
        PLUGPORT_E_MAJOR_VERSION_MISMATCH,
        PLUGPORT_E_WORLD_MISMATCH,
        PLUGPORT_E_INCOMPATIBLE,
        PLUGPORT_E_DLOPEN,
        PLUGPORT_E_MISSING_ENTRY,
        PLUGPORT_E_INIT_FAILED,
        PLUGPORT_E_BAD_EXPORTS,
        PLUGPORT_E_HOST_WORLD,
        PLUGPORT_E_WRONG_ARCHITECTURE,
        PLUGPORT_E_INVALID_ARGUMENT,
        PLUGPORT_E_PANIC,
        PLUGPORT_E_GO_RUNTIME,
        PLUGPORT_E_NOT_ALLOWED,
    ];
    // Published in plugport.h: never renumber.
    assert_eq!(codes, std::array::from_fn::<i32, 20, _>(|i| i as i32));
}

#[test]
fn a_missing_file_from_rust_through_the_c_api() {
    use plugport::capi::*;
    use std::ffi::{CStr, CString};
    let dir = tempfile::tempdir().unwrap();
    let path = CString::new(dir.path().join("none.so").to_str().unwrap()).unwrap();
    let json = descriptor::world_json(&calc_world("1.2.0"));
    let mut out = std::ptr::NonNull::<PlugportPlugin>::dangling().as_ptr();
    // SAFETY: valid pointers per plugport_open's contract.
    let rc = unsafe {
        plugport_open(
            path.as_ptr(),
            json.as_ptr(),
            json.len(),
            std::ptr::null(),
            &mut out,
        )
    };
    assert_eq!(rc, PLUGPORT_E_IO);
    assert!(out.is_null());
    // SAFETY: NUL-terminated, valid until the next plugport_open on this thread.
    let msg = unsafe { CStr::from_ptr(plugport_last_error()) }
        .to_str()
        .unwrap();
    assert!(
        msg.starts_with("I/O error on ") && msg.contains("none.so"),
        "{msg}"
    );
}
