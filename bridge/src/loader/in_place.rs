//! Loading a plugin from its own file, without a private copy: opt-in with
//! `PLUGPORT_LOAD=in-place` (`docs/abi.md` §10, "Loading in place"; the loader's module
//! docs, "Private copies", say why a copy is the default).
//!
//! The open reads and checks the bytes of one open descriptor of the file (its `fstat`
//! taken before the read). Then, on Linux with `/proc`:
//!
//! 1. The file's metadata (device, inode, size, modification and change times) is asked
//!    again through the same descriptor; any difference means the file was written since
//!    the read: fall back.
//! 2. The image is loaded through the descriptor itself (a `/proc/self/fd/<n>` name no
//!    earlier load had), so what is mapped is the checked inode even if another file is
//!    renamed over the path meanwhile. Only a plugin whose dynamic strings use `$ORIGIN`
//!    (a `RUNPATH`, `RPATH` or `NEEDED` entry) is loaded by the path the kernel gives for the
//!    descriptor (`/proc/self/fd/<n>`'s link) instead, so that the dynamic loader's
//!    `$ORIGIN` is the plugin's own directory (through `/proc/self/fd/<n>` it would be
//!    `/proc/self/fd`, where no sibling library is). A file deleted or renamed over since
//!    the read shows as `… (deleted)`: fall back.
//! 3. If the dynamic loader already has an object of that name or of that file (device
//!    and inode), `dlopen` returns it instead of a new image (side by side would share
//!    globals): fall back. Seen after `dlopen` with glibc (the handle's load base was
//!    among those of the objects loaded before, `dl_iterate_phdr`: no system call), before
//!    it elsewhere (`RTLD_NOLOAD`, which compares both).
//! 4. `dlopen` of that path. Then the dynamic loader is asked which loaded object is the
//!    descriptor's file (`RTLD_NOLOAD` of a `/proc/self/fd` name of it no object had,
//!    which it matches by device and inode): it must be the new image, and the metadata
//!    must still be the one of the read. Otherwise the image is unloaded again and the
//!    open falls back.
//!
//! Falling back means the private copy of the checked bytes, as without the variable. A
//! Go plugin is never loaded in place (it cannot be unloaded if the check after `dlopen`
//! failed). Steps 3 and 4 hold a process-wide lock, so two in-place opens in two threads
//! cannot see each other's image as a new one.
//!
//! **The risk** (why it is not the default): the image maps the plugin's own file, so a
//! write into that file while it is loaded (`cp new.so plugin.so` truncates and rewrites
//! the same inode) changes the code of the running image and typically crashes the host;
//! and a write into the file in the microseconds between step 1 and the check of step 4
//! (or, for a plugin loaded by path for `$ORIGIN`, a rename over the path) loads bytes
//! that were not checked, whose constructors run before the check sees the change and
//! unloads them. Use it only where plugin files are replaced atomically (a new file
//! renamed over the old) and never written in place.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The variable that chooses the mode, and its one value that loads in place.
pub const LOAD_VAR: &str = "PLUGPORT_LOAD";

/// Whether this open loads in place: `PLUGPORT_LOAD=in-place` (read on every open; any
/// other value, or none, is the default, the private copy).
pub(super) fn enabled() -> bool {
    std::env::var_os(LOAD_VAR).is_some_and(|v| v == "in-place")
}

/// A hook called between the check and the load of an in-place open (just before the
/// `dlopen`), with the plugin's path: for tests that change the file there. `None` (the default) calls nothing.
static HOOK: Mutex<Option<fn(&Path)>> = Mutex::new(None);

/// Sets [`HOOK`]: the function is called with the plugin's path after its bytes were
/// checked and before an in-place open loads the file. For tests only.
#[doc(hidden)]
pub fn set_in_place_hook(hook: Option<fn(&Path)>) {
    *HOOK.lock().unwrap_or_else(|e| e.into_inner()) = hook;
}

/// What identifies the content of a file for the comparison before and after loading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    /// The stamp of `meta` (an `fstat`).
    #[cfg(unix)]
    pub(super) fn of(meta: &Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Elsewhere only the size and the modification time.
    #[cfg(not(unix))]
    pub(super) fn of(meta: &Metadata) -> Stamp {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
            .unwrap_or((0, 0));
        Stamp {
            dev: 0,
            ino: 0,
            size: meta.len(),
            mtime,
            ctime: (0, 0),
        }
    }
}

/// Loads the file open as `file`, whose bytes were checked while its metadata was
/// `stamp`, in place (module docs). `None`: not loaded (and nothing of it left loaded),
/// the caller falls back to the private copy.
#[cfg(target_os = "linux")]
pub(super) fn load(
    path: &Path,
    file: &File,
    stamp: &Stamp,
    data: &[u8],
) -> Option<(libloading::Library, PathBuf)> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    use std::os::fd::AsRawFd;

    let unchanged = || {
        file.metadata()
            .ok()
            .is_some_and(|m| Stamp::of(&m) == *stamp)
    };
    if !unchanged() {
        return None;
    }
    let fd = file.as_raw_fd();
    let real = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    if !real.is_absolute() || real.as_os_str().as_encoded_bytes().ends_with(b" (deleted)") {
        return None;
    }
    // Through the checked descriptor, unless the plugin needs `$ORIGIN` (step 2).
    let name = if uses_origin(data) {
        real.clone()
    } else {
        super::image::fresh_fd_name(fd)
    };
    let hook = *HOOK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hook) = hook {
        hook(path);
    }
    static LOCK: Mutex<()> = Mutex::new(());
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let before = loaded_objects();
    if before.is_none() && super::image::already_loaded(&real) {
        return None;
    }
    // SAFETY: loading runs the plugin's initialisers; the caller has checked the bytes of
    // this file (and the metadata says it has not changed since).
    let lib = unsafe { Library::open(Some(&name), RTLD_NOW | RTLD_LOCAL) }.ok()?;
    let handle = lib.into_raw();
    // An object loaded before (same name, or same device and inode) is what `dlopen`
    // returned instead of a new image: not ours to use.
    let existed = before.is_some_and(|b| load_base(handle).is_none_or(|a| b.contains(&a)));
    // Which object is the descriptor's file: a name no object has, so the dynamic loader
    // opens it and compares device and inode.
    let probe = super::image::fresh_fd_name(fd);
    // SAFETY: RTLD_NOLOAD maps nothing and runs no code; a returned handle only adds a
    // reference to an object that is loaded already.
    let same =
        match unsafe { Library::open(Some(&probe), RTLD_NOW | RTLD_LOCAL | libc::RTLD_NOLOAD) } {
            Ok(found) => {
                let h = found.into_raw();
                // SAFETY: `h` is a handle `dlopen` returned; this drops the reference it added.
                drop(unsafe { Library::from_raw(h) });
                h == handle
            }
            Err(_) => false,
        };
    // SAFETY: `handle` came from `into_raw` above and is owned here.
    let lib: libloading::Library = unsafe { Library::from_raw(handle) }.into();
    if existed || !same || !unchanged() {
        drop(lib); // unloaded again: not the checked file
        return None;
    }
    Some((lib, real))
}

/// The load bases of every object the dynamic loader has loaded now (`dl_iterate_phdr`,
/// no system call), to tell a new image from one `dlopen` returned again; `None` where
/// [`load_base`] cannot be asked (then the caller asks `RTLD_NOLOAD` before loading).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn loaded_objects() -> Option<Vec<usize>> {
    unsafe extern "C" fn add(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: `data` is the vector below and `info` a valid entry, for this call.
        unsafe { (*data.cast::<Vec<usize>>()).push((*info).dlpi_addr as usize) };
        0
    }
    let mut bases: Vec<usize> = Vec::with_capacity(64);
    // SAFETY: the callback only pushes to `bases`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(add), (&mut bases as *mut Vec<usize>).cast()) };
    Some(bases)
}

#[cfg(all(target_os = "linux", not(target_env = "gnu")))]
fn loaded_objects() -> Option<Vec<usize>> {
    None
}

/// The load base (`l_addr`, what `dl_iterate_phdr` reports as `dlpi_addr`) of the object
/// of a `dlopen` handle (`dlinfo` with `RTLD_DI_LINKMAP`; `l_addr` is the first member of
/// glibc's public `struct link_map`, `<link.h>`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn load_base(handle: *mut libc::c_void) -> Option<usize> {
    let mut map: *const usize = std::ptr::null();
    // SAFETY: a valid handle; RTLD_DI_LINKMAP writes a `struct link_map *`.
    let ok = unsafe {
        libc::dlinfo(
            handle,
            libc::RTLD_DI_LINKMAP,
            (&mut map as *mut *const usize).cast(),
        )
    } == 0;
    // SAFETY: a non-null `struct link_map *` of a loaded object, whose first member is
    // `ElfW(Addr) l_addr`.
    (ok && !map.is_null()).then(|| unsafe { *map })
}

#[cfg(all(target_os = "linux", not(target_env = "gnu")))]
fn load_base(_: *mut libc::c_void) -> Option<usize> {
    None
}

/// Whether the dynamic strings of the object file `data` (its `.dynstr`: the `RUNPATH`,
/// `RPATH` and `NEEDED` entries, beside symbol names) use `$ORIGIN` or `${ORIGIN}`; also
/// `true` when that section cannot be found (then the plugin is loaded by path, as it
/// may need it).
#[cfg(target_os = "linux")]
fn uses_origin(data: &[u8]) -> bool {
    use object::{Object, ObjectSection};
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let Ok(file) = object::File::parse(data) else {
        return true;
    };
    match file.section_by_name(".dynstr").and_then(|s| s.data().ok()) {
        Some(strings) => contains(strings, b"$ORIGIN") || contains(strings, b"${ORIGIN}"),
        None => true,
    }
}

/// Without `/proc/self/fd`, never in place.
#[cfg(not(target_os = "linux"))]
pub(super) fn load(
    _: &Path,
    _: &File,
    _: &Stamp,
    _: &[u8],
) -> Option<(libloading::Library, PathBuf)> {
    None
}
