//! Go plugins: recognising a Go `c-shared` library from its file, and the process rules
//! the loader applies to them (`docs/abi.md` §8 step 4, §10 "Go plugins").
//!
//! A plugin built with `go build -buildmode=c-shared` carries a whole Go runtime, and the
//! Go runtime has two limits plugport cannot lift in one process:
//!
//! - it can never be unloaded: Go links c-shared libraries with `-z nodelete`
//!   (`DF_1_NODELETE`), so `dlclose` leaves the image mapped, and its threads running
//!   (golang/go#11100);
//! - a process holds at most one Go runtime: a Go plugin in a Go host, or two Go plugin
//!   images (two plugins, two opens of one file, a reload) start a second one, which is
//!   not supported and fails in signal handling, TLS and the scheduler
//!   (golang/go#18976, golang/go#65050).
//!
//! So the loader recognises a Go plugin before `dlopen` ([`build_info`], from the
//! `.go.buildinfo` section the Go linker writes into every binary), refuses an open that
//! would start a second Go runtime ([`crate::LoadError::GoRuntime`]), and never pretends
//! to unload a Go image.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use object::{Object, ObjectSection};
use serde::{Deserialize, Serialize};

/// The section the Go linker writes into every Go binary (ELF; Mach-O `__go_buildinfo`,
/// PE `.data`-embedded and not looked for).
pub const BUILDINFO_SECTION: &str = ".go.buildinfo";

/// The magic at the start of [`BUILDINFO_SECTION`] (`debug/buildinfo` in Go's sources).
const BUILDINFO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";

/// What the file says about the Go toolchain that built it (from its `.go.buildinfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoBuildInfo {
    /// The Go release that built the file (`go1.26.8`); empty when the section uses the
    /// pre-Go 1.18 layout, which holds pointers instead of inline strings.
    pub go_version: String,
    /// The `-buildmode` the module information records (`c-shared`, `c-archive`,
    /// `exe`, `pie`), when it records one.
    pub build_mode: Option<String>,
}

impl GoBuildInfo {
    /// `Go go1.26.8 (c-shared; cannot be unloaded)`: the line `plugport inspect` prints.
    pub fn describe(&self) -> String {
        let version = if self.go_version.is_empty() {
            "(version not recorded)"
        } else {
            &self.go_version
        };
        match &self.build_mode {
            Some(mode) => format!("Go {version} ({mode}; cannot be unloaded)"),
            None => format!("Go {version} (cannot be unloaded)"),
        }
    }
}

/// The Go build information of a shared library or executable, or `None` when `data` is
/// not an object file or has no `.go.buildinfo` section (not built by Go). Reads the file
/// only; nothing runs.
pub fn build_info(data: &[u8]) -> Option<GoBuildInfo> {
    let file = object::File::parse(data).ok()?;
    from_object(&file)
}

pub(crate) fn from_object<'d, R: object::ReadRef<'d>>(
    file: &object::File<'d, R>,
) -> Option<GoBuildInfo> {
    let section = file
        .sections()
        .find(|s| matches!(s.name_bytes(), Ok(b".go.buildinfo") | Ok(b"__go_buildinfo")))?;
    let bytes = section.data().ok()?;
    Some(parse_section(bytes))
}

/// Parses a `.go.buildinfo` section: 14 bytes of magic, the pointer size, a flags byte
/// (bit 1: strings inline), 16 bytes of padding, then, inline, two strings each preceded
/// by its length as an unsigned LEB128 varint: the Go version and the module information
/// (`path ...\nbuild\t-buildmode=c-shared\n...` between 16-byte sentinels).
pub(crate) fn parse_section(bytes: &[u8]) -> GoBuildInfo {
    let mut info = GoBuildInfo {
        go_version: String::new(),
        build_mode: None,
    };
    if bytes.len() < 32 || !bytes.starts_with(BUILDINFO_MAGIC) || bytes[15] & 2 == 0 {
        return info;
    }
    let mut rest = &bytes[32..];
    let Some(version) = read_string(&mut rest) else {
        return info;
    };
    info.go_version = String::from_utf8_lossy(version).into_owned();
    if let Some(modinfo) = read_string(&mut rest) {
        let modinfo = String::from_utf8_lossy(modinfo);
        info.build_mode = modinfo
            .lines()
            .find_map(|l| l.strip_prefix("build\t-buildmode="))
            .map(|m| m.trim().to_string());
    }
    info
}

/// A varint-length-prefixed string at the start of `rest`, advancing `rest` past it.
fn read_string<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut used = 0;
    loop {
        let b = *rest.get(used)?;
        used += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    let s = rest.get(used..used.checked_add(len)?)?;
    *rest = &rest[used + len..];
    Some(s)
}

/// Why the host process already runs a Go runtime, or `None` when it does not (as far as
/// plugport can tell).
///
/// Two signs, either suffices:
/// - the main program has a `.go.buildinfo` section (Linux: `/proc/self/exe`, read
///   through a cache, only the headers and that section; once per process, since the
///   main program does not change);
/// - a symbol only the Go runtime's cgo support defines (`_cgo_topofstack`,
///   `_cgo_panic`, `x_cgo_init`) resolves in the process's global scope
///   (`dlsym(RTLD_DEFAULT, ...)`, on every call: a library loaded since may bring one). A
///   cgo executable exports the first two (its `_cgo_init` and `x_cgo_init` are not
///   visible, checked with go1.26), and a Go `c-shared` library linked into the host, or
///   loaded `RTLD_GLOBAL`, exports all three. Go plugins plugport loads are
///   `RTLD_LOCAL`, so they are not seen here; the loader tracks those itself.
pub fn host_go_runtime() -> Option<String> {
    static EXE: OnceLock<Option<String>> = OnceLock::new();
    if let Some(why) = EXE.get_or_init(main_program_is_go) {
        return Some(why.clone());
    }
    go_symbol_in_global_scope()
}

fn main_program_is_go() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let file = std::fs::File::open("/proc/self/exe").ok()?;
        let cache = object::read::ReadCache::new(file);
        let obj = object::File::parse(&cache).ok()?;
        let info = from_object(&obj)?;
        let exe = std::fs::read_link("/proc/self/exe").unwrap_or_default();
        Some(format!(
            "the host program {} was built by Go {}",
            exe.display(),
            if info.go_version.is_empty() {
                "(version not recorded)"
            } else {
                &info.go_version
            }
        ))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

fn go_symbol_in_global_scope() -> Option<String> {
    #[cfg(unix)]
    {
        let this = libloading::os::unix::Library::this();
        for symbol in ["_cgo_topofstack", "_cgo_panic", "x_cgo_init"] {
            // SAFETY: only the symbol's address is looked up; nothing is called or read.
            if unsafe { this.get::<*const u8>(symbol.as_bytes()) }.is_ok() {
                return Some(format!(
                    "the Go runtime symbol `{symbol}` is defined in the host process (a Go \
                     program, or a Go library linked into the host)"
                ));
            }
        }
    }
    None
}

/// The one Go plugin image this process has loaded, if any.
#[derive(Clone, Debug)]
struct LoadedGo {
    path: PathBuf,
    go_version: String,
}

static LOADED: Mutex<Option<LoadedGo>> = Mutex::new(None);

/// Permission to `dlopen` one Go plugin image: holds the process-wide lock until the
/// image is loaded ([`GoSlot::loaded`]) or the attempt is given up (drop), so that two
/// threads cannot both start a Go runtime.
pub(crate) struct GoSlot {
    guard: MutexGuard<'static, Option<LoadedGo>>,
}

impl GoSlot {
    /// Records that the image of `path` is mapped: from now on every other Go plugin
    /// image is refused, also after this one is closed (it stays mapped).
    pub(crate) fn loaded(mut self, path: &Path, info: &GoBuildInfo) {
        *self.guard = Some(LoadedGo {
            path: path.to_path_buf(),
            go_version: info.go_version.clone(),
        });
    }
}

/// Checks that a Go plugin (of `path`, built by `info`) may be loaded into this process,
/// and reserves the process's one Go runtime for it. `Err` is the reason for
/// [`crate::LoadError::GoRuntime`].
pub(crate) fn reserve(path: &Path) -> Result<GoSlot, String> {
    if let Some(why) = host_go_runtime() {
        return Err(format!(
            "the host process already runs a Go runtime ({why}), and a Go plugin would start \
             a second one"
        ));
    }
    let guard = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(loaded) = &*guard {
        let same = std::fs::canonicalize(path).ok() == std::fs::canonicalize(&loaded.path).ok();
        let version = if loaded.go_version.is_empty() {
            String::new()
        } else {
            format!(", Go {}", loaded.go_version)
        };
        return Err(if same {
            format!(
                "this process already loaded this Go plugin once ({}{version}), and another \
                 image of it (a reload, or a second open) would start a second Go runtime",
                loaded.path.display()
            )
        } else {
            format!(
                "this process already loaded a Go plugin ({}{version}; it stays loaded even \
                 when closed), and a second Go plugin image would start a second Go runtime",
                loaded.path.display()
            )
        });
    }
    Ok(GoSlot { guard })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(version: &str, modinfo: &str) -> Vec<u8> {
        let mut s = BUILDINFO_MAGIC.to_vec();
        s.extend_from_slice(&[8, 2]);
        s.resize(32, 0);
        for part in [version, modinfo] {
            let mut n = part.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                s.push(if n > 0 { b | 0x80 } else { b });
                if n == 0 {
                    break;
                }
            }
            s.extend_from_slice(part.as_bytes());
        }
        s
    }

    #[test]
    fn parses_the_inline_layout() {
        let modinfo = format!(
            "0123456789abcdefpath\tx\nbuild\t-buildmode=c-shared\nbuild\t-compiler=gc\n{}",
            "x".repeat(200)
        );
        let info = parse_section(&section("go1.26.8", &modinfo));
        assert_eq!(info.go_version, "go1.26.8");
        assert_eq!(info.build_mode.as_deref(), Some("c-shared"));
        assert_eq!(
            info.describe(),
            "Go go1.26.8 (c-shared; cannot be unloaded)"
        );
    }

    #[test]
    fn this_test_process_runs_no_go_runtime() {
        assert_eq!(host_go_runtime(), None);
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(build_info(&exe), None);
    }

    #[test]
    fn damaged_sections_give_what_they_can() {
        let good = section("go1.22.0", "path\tx\n");
        assert_eq!(parse_section(&good).build_mode, None);
        // Truncated inside the version string: still a Go binary, version unknown.
        let info = parse_section(&good[..36]);
        assert_eq!(info.go_version, "");
        // Old pointer layout (flag bit 1 clear).
        let mut old = good.clone();
        old[15] = 0;
        assert_eq!(parse_section(&old).go_version, "");
        assert_eq!(parse_section(b"short").go_version, "");
    }
}
