//! Shared helpers of the loader tests: a small hand-built world and tiny C plugins built
//! from `tests/c-loader/plugin.c` with the system C compiler (`$CC`, default `cc`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use plugport::descriptor;
use plugport::ir::{Function, FunctionKind, Interface, PackageName, Param, Type, World, WorldItem};

/// `tests/c-loader` of the repository.
pub fn c_loader_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/c-loader")
}

pub fn func(name: &str, params: &[(&str, Type)], result: Option<Type>) -> Function {
    Function {
        name: name.into(),
        kind: FunctionKind::Freestanding,
        params: params
            .iter()
            .map(|(n, t)| Param {
                name: n.to_string(),
                ty: *t,
            })
            .collect(),
        result,
        location: None,
    }
}

/// `package test:calc@<version>; world calc { export math; }` where
/// `interface math { add: func(a: s32, b: s32) -> s32; bump: func() -> u32; }`.
pub fn calc_world(version: &str) -> World {
    World {
        package: PackageName {
            namespace: "test".into(),
            name: "calc".into(),
            version: Some(version.into()),
        },
        name: "calc".into(),
        types: vec![],
        imports: vec![],
        exports: vec![WorldItem::Interface(Interface {
            name: "math".into(),
            package: None,
            types: vec![],
            functions: vec![
                func(
                    "add",
                    &[("a", Type::S32), ("b", Type::S32)],
                    Some(Type::S32),
                ),
                func("bump", &[], Some(Type::U32)),
            ],
        })],
    }
}

/// The `math` interface's functions of a world built by [`calc_world`].
pub fn math(w: &mut World) -> &mut Vec<Function> {
    match &mut w.exports[0] {
        WorldItem::Interface(i) => &mut i.functions,
        WorldItem::Function(_) => unreachable!(),
    }
}

/// The blob of a well-formed descriptor for `world`, in the host's byte order.
pub fn blob_for(world: &World) -> Vec<u8> {
    blob_with_version(world, "0.3.1")
}

/// [`blob_for`] with plugin version `plugin_version`.
pub fn blob_with_version(world: &World, plugin_version: &str) -> Vec<u8> {
    descriptor::encode_blob(
        "calc-c",
        plugin_version,
        &descriptor::world_json(world),
        cfg!(target_endian = "little"),
    )
}

/// Builds a calc plugin of [`calc_world`]`(world_version)` whose descriptor says
/// `plugin_version`, into `<dir>/<sub>/<name>`.
pub fn build_calc(
    dir: &Path,
    sub: &str,
    name: &str,
    world_version: &str,
    plugin_version: &str,
) -> PathBuf {
    let dir = dir.join(sub);
    std::fs::create_dir_all(&dir).unwrap();
    let w = calc_world(world_version);
    build_plugin(
        &dir,
        name,
        &w,
        &blob_with_version(&w, plugin_version),
        &[],
        &[],
    )
}

/// Replaces `dest` by a copy of `src` the way deployments do: write a temporary file next
/// to it, then rename it over `dest` (atomic: a reader sees the old or the new file).
pub fn replace(src: &Path, dest: &Path) {
    let tmp = dest.with_extension("so.tmp");
    std::fs::copy(src, &tmp).unwrap();
    std::fs::rename(&tmp, dest).unwrap();
}

/// Opens the plugin at `path` with the C API's `plugport_open`, for the host world
/// [`calc_world`]`("1.2.0")` without imports; the open must succeed.
#[cfg(feature = "capi")]
pub fn capi_open(path: &Path) -> *mut plugport::capi::PlugportPlugin {
    use plugport::capi::{plugport_open, PLUGPORT_OK};
    let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let json = descriptor::world_json(&calc_world("1.2.0"));
    let mut p = std::ptr::null_mut();
    // SAFETY: valid arguments per plugport_open's contract (null imports: unused).
    let rc = unsafe {
        plugport_open(
            cpath.as_ptr(),
            json.as_ptr(),
            json.len(),
            std::ptr::null(),
            &mut p,
        )
    };
    assert_eq!(rc, PLUGPORT_OK, "open {}", path.display());
    p
}

/// Mirror of `calc_exports` in `plugin.c`.
#[repr(C)]
pub struct CalcExports {
    pub header: plugport::abi::PpTableHeader,
    pub add: extern "C" fn(i32, i32) -> i32,
    pub bump: extern "C" fn() -> u32,
    pub imports_seen: extern "C" fn() -> *const std::ffi::c_void,
}

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".into())
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds `plugin.c` into `<dir>/<name>` as a shared library whose descriptor section
/// holds `blob` and whose symbols are named for `world`, with extra `-D` options
/// (`PP_NO_DESCRIPTOR`, `PP_INIT_FAIL`, `PP_LIVE_OBJECTS`, ...) and linker options.
pub fn build_plugin(
    dir: &Path,
    name: &str,
    world: &World,
    blob: &[u8],
    defines: &[&str],
    link_args: &[&str],
) -> PathBuf {
    let build = dir.join(format!("{name}.build"));
    std::fs::create_dir_all(&build).unwrap();
    let bytes: Vec<String> = blob.iter().map(|b| b.to_string()).collect();
    let prefix = format!(
        "{}_{}",
        world.package.c_prefix(),
        plugport::ir::snake(&world.name)
    );
    let config = format!(
        "#define PP_DESCRIPTOR_BYTES {}\n#define PP_DESCRIPTOR_SYMBOL plugport_descriptor_{prefix}\n\
         #define PP_ENTRY_SYMBOL {}\n#define PP_LIVE_SYMBOL {}\n",
        bytes.join(","),
        world.entry_symbol(),
        world.live_objects_symbol()
    );
    std::fs::write(build.join("plugin_config.h"), config).unwrap();
    let out = dir.join(name);
    let mut cmd = Command::new(cc());
    cmd.args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(&out)
        .arg(c_loader_dir().join("plugin.c"))
        .arg("-I")
        .arg(&build);
    for d in defines {
        cmd.arg(format!("-D{d}"));
    }
    for l in link_args {
        cmd.arg(l);
    }
    run(&mut cmd);
    out
}

/// Builds a C file into an executable or object file (`extra` = `["-c"]`).
pub fn build_c(dir: &Path, name: &str, source: &Path, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut cmd = Command::new(cc());
    cmd.args(extra).arg("-o").arg(&out).arg(source);
    run(&mut cmd);
    out
}
