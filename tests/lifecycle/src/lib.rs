//! Host bindings and helpers for the plugin lifecycle tests (`docs/abi.md` §10).
//!
//! - [`v1_0`], [`v1_1`]: Rust host bindings of `example:greeter` at 1.0.0
//!   (`examples/greeter/wit`) and 1.1.0 (`examples/greeter/wit-1.1`, which appends
//!   `greet.farewell`); [`users`]: `test:users@1.0.0` (`wit/users.wit`, scenario S3);
//!   [`codec`]: `example:codec@1.0.0` (a world with a resource).
//! - Artefacts: plugins and hosts that cargo or libplugport are needed for come from
//!   `scripts/build-examples.sh` ([`artefact`]); C plugins the tests vary (compiler,
//!   flags, header version) are compiled by the tests themselves ([`CPlugin`]) against the
//!   headers `build.rs` generated ([`include_dir`]).
//! - Process probes: [`mapped`] and [`mapped_images`] read `/proc/self/maps`,
//!   [`rss_bytes`] reads `VmRSS` from `/proc/self/status`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `example:greeter@1.0.0`, host side.
pub mod v1_0 {
    include!(concat!(env!("OUT_DIR"), "/greeter_1_0.rs"));
}
/// `example:greeter@1.1.0` (adds `greet.farewell`), host side.
pub mod v1_1 {
    include!(concat!(env!("OUT_DIR"), "/greeter_1_1.rs"));
}
/// `test:users@1.0.0` (scenario S3), host side.
pub mod users {
    include!(concat!(env!("OUT_DIR"), "/users.rs"));
}
/// `example:codec@1.0.0` (a `decoder` resource), host side.
pub mod codec {
    include!(concat!(env!("OUT_DIR"), "/codec.rs"));
}

/// How many times a plugin called the host's `logger` (either greeter version).
pub static LOG_CALLS: AtomicUsize = AtomicUsize::new(0);

/// The host's implementation of the greeter imports (both versions): counts the calls.
pub struct Host;

impl v1_0::imports::logger::Host for Host {
    fn log(_level: v1_0::imports::logger::Level, _message: &str) {
        LOG_CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

impl v1_1::imports::logger::Host for Host {
    fn log(_level: v1_1::imports::logger::Level, _message: &str) {
        LOG_CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The output folder of `scripts/build-examples.sh`: `$PLUGPORT_EXAMPLES`, default
/// `<repo>/target/examples`.
pub fn examples_dir() -> PathBuf {
    std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/examples"))
}

/// A built artefact, `rel` to [`examples_dir`] (`greeter/libgreeter_en.so`,
/// `lifecycle/libgreeter_en_1_1.so`, ...); panics with how to build it when missing.
pub fn artefact(rel: &str) -> PathBuf {
    let path = examples_dir().join(rel);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-examples.sh {} first (scripts/test.sh does), or \
         set PLUGPORT_EXAMPLES to its output folder",
        path.display(),
        examples_dir().display()
    );
    path
}

/// The folder of the C header `build.rs` generated for `name`: `greeter-1.0`,
/// `greeter-1.1`, `greeter-2.0`, `users`, `users-changed`.
pub fn include_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("OUT_DIR")).join("include").join(name);
    assert!(dir.is_dir(), "{} was not generated", dir.display());
    dir
}

/// The greeter's C plugin source (`examples/greeter/plugin-zh-c/plugin.c`).
pub fn zh_source() -> PathBuf {
    repo().join("examples/greeter/plugin-zh-c/plugin.c")
}

/// The users C plugin source (`tests/lifecycle/c/users.c`).
pub fn users_source() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("c/users.c")
}

/// A C plugin to compile: source, header folder, compiler and flags.
#[derive(Clone, Debug)]
pub struct CPlugin {
    /// The C source.
    pub source: PathBuf,
    /// The folder holding the generated header the source includes.
    pub include: PathBuf,
    /// The compiler (`cc`, `gcc`, `clang`, `g++`...); `$CC` by default.
    pub compiler: String,
    /// Extra flags (`-O3`, `-DGREETER_1_1`...).
    pub flags: Vec<String>,
}

impl CPlugin {
    /// `source` against the header in `include`, compiled by `$CC` (default `cc`).
    pub fn new(source: PathBuf, include: PathBuf) -> CPlugin {
        CPlugin {
            source,
            include,
            compiler: std::env::var("CC").unwrap_or_else(|_| "cc".into()),
            flags: Vec::new(),
        }
    }

    /// Uses `compiler` instead of `$CC`.
    pub fn compiler(mut self, compiler: &str) -> CPlugin {
        self.compiler = compiler.into();
        self
    }

    /// Adds flags.
    pub fn flags(mut self, flags: &[&str]) -> CPlugin {
        self.flags.extend(flags.iter().map(|f| f.to_string()));
        self
    }

    /// Compiles the plugin into `out` (a shared library); panics with the compiler's
    /// output on failure.
    pub fn build(&self, out: &Path) -> PathBuf {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let mut cmd = Command::new(&self.compiler);
        cmd.args(["-shared", "-fPIC", "-Wall", "-Wextra", "-Werror"])
            .args(&self.flags)
            .arg("-I")
            .arg(&self.include)
            .arg("-o")
            .arg(out);
        let cxx = self.compiler.ends_with("++");
        if cxx {
            // The same C source as C++: the generated header supports both.
            cmd.args(["-x", "c++"]);
        } else {
            cmd.args(["-std=c99", "-pedantic"]);
        }
        cmd.arg(&self.source);
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.compiler));
        assert!(
            output.status.success(),
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        out.to_path_buf()
    }
}

/// The C greeter plugin at 1.0 (`GREETER_1_1` unset) or 1.1, compiled by `$CC -O2` into
/// `dir`.
pub fn zh_plugin(dir: &Path, v1_1: bool) -> PathBuf {
    let (include, flags, name) = if v1_1 {
        (
            "greeter-1.1",
            &["-O2", "-DGREETER_1_1"][..],
            "libgreeter_zh_1_1.so",
        )
    } else {
        ("greeter-1.0", &["-O2"][..], "libgreeter_zh.so")
    };
    CPlugin::new(zh_source(), include_dir(include))
        .flags(flags)
        .build(&dir.join(name))
}

/// Replaces `dest` by a copy of `src` the way deployments do: copy to a temporary file in
/// the same folder, then rename it over `dest`, atomically (a reader sees either file).
pub fn replace_atomically(src: &Path, dest: &Path) {
    let tmp = dest.with_file_name(format!(
        ".{}.tmp",
        dest.file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(src, &tmp)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), tmp.display()));
    std::fs::rename(&tmp, dest).unwrap();
}

/// The mapped files of this process (`/proc/self/maps`, one entry per line with a path,
/// ` (deleted)` removed).
fn mapped_paths() -> Vec<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
    maps.lines()
        .filter_map(|l| {
            // address perms offset dev inode path: the path is everything after the
            // fifth field (it may contain spaces).
            let mut rest = l;
            for _ in 0..5 {
                rest = rest.trim_start().split_once(' ')?.1;
            }
            let path = rest.trim_start();
            (!path.is_empty()).then(|| path.trim_end_matches(" (deleted)").to_string())
        })
        .collect()
}

/// Whether the image loaded from `image` (a [`plugport::loader::Plugin::image_path`]) is
/// mapped in this process.
pub fn mapped(image: &Path) -> bool {
    let image = image.to_string_lossy();
    mapped_paths().iter().any(|p| *p == image)
}

/// How many distinct images of this process's private copies named `file_name` are
/// mapped (the loader names each copy `<tmp>/plugport-<pid>-<n>/<file name>`).
pub fn mapped_images(file_name: &str) -> usize {
    let dir = format!("/plugport-{}-", std::process::id());
    let suffix = format!("/{file_name}");
    let mut paths: Vec<String> = mapped_paths()
        .into_iter()
        .filter(|p| p.contains(&dir) && p.ends_with(&suffix))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths.len()
}

/// The resident set size of this process (`VmRSS` of `/proc/self/status`), in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("VmRSS is a number of kB");
    kib * 1024
}
