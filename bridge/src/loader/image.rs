//! Where an open's image is loaded from: an anonymous in-memory copy of the checked
//! bytes on Linux, else a private copy on disk (the loader's module docs, "Private
//! copies"; `docs/abi.md` §10).
//!
//! **Linux.** The checked bytes are written to a `memfd` (sealed against writes, named
//! `/plugport-<pid>-<n>/<file name>`) and `dlopen`ed as `/proc/self/fd/<fd>`. Nothing is
//! written to a file system, no directory is created or deleted, and no temporary
//! directory needs to allow executable mappings. The mapping shows in `/proc/self/maps` as
//! `/memfd:/plugport-<pid>-<n>/<file name> (deleted)`, which is [`Image::image`].
//!
//! The dynamic loader compares a new path with the names of loaded objects before it
//! looks at the file, and an image loaded through `/proc/self/fd/<fd>` keeps that name
//! after the descriptor is closed and its number reused. So each image gets a name no
//! earlier one had: `/proc/self/fd/` followed by the bits of a per-process counter, each
//! written as an empty path component (`/`, a 0) or `./` (a 1), then the descriptor
//! number, e.g. `/proc/self/fd/.//./5`. The kernel resolves every such name to descriptor
//! 5; the dynamic loader compares names as text, and the code of the bits is prefix-free,
//! so no two counters give the same name.
//!
//! **Reuse.** When a plugin is unloaded and no image of its memfd is mapped any more
//! (`dlopen` with `RTLD_NOLOAD` of the image's name finds nothing: an image that stays,
//! e.g. one marked `NODELETE`, keeps the memfd out), the sealed memfd is kept, at most
//! [`MAX_REUSE`] of them and [`MAX_REUSE_BYTES`] in all, oldest dropped first. An open
//! whose checked bytes are exactly those of a kept memfd (compared in full) loads that
//! memfd under a new name instead of writing a new one: the same bytes, still sealed,
//! with nothing else mapping them, so still its own image. This is what makes opening a
//! plugin again (seed 003: load on first use, unload after) cost little more than a bare
//! `dlopen` (`docs/performance.md`, "Instructions per call").
//!
//! **Elsewhere** (and on Linux when `PLUGPORT_TMPDIR` is set, for tools that read
//! symbols from mapped files and cannot open a memfd, or when `memfd_create` or `/proc`
//! is unavailable): the bytes
//! are written to `<dir>/<file name>` in a fresh directory `plugport-<pid>-<random>`
//! (made by tempfile, mode 0700) under `$PLUGPORT_TMPDIR` or [`std::env::temp_dir`],
//! deleted again right after
//! `dlopen` on Unix (on Windows when the plugin is closed).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::LoadError;

/// Numbers the images of this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `MFD_EXEC` of memfd_create(2) (Linux 6.3, `include/uapi/linux/memfd.h`), which the
/// `libc` crate does not define.
#[cfg(target_os = "linux")]
const MFD_EXEC: libc::c_uint = 0x0010;

/// Numbers the `/proc/self/fd` names of memfd images (module docs).
#[cfg(target_os = "linux")]
static NAMES: AtomicU64 = AtomicU64::new(0);

/// Numbers of names whose images are known to be unloaded (kept memfds' images, after
/// `dlclose`): used again before new ones, which keeps names short.
#[cfg(target_os = "linux")]
static FREE_NAMES: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

/// A name number no loaded image's name has: a free one, else a new one.
#[cfg(target_os = "linux")]
fn name_number() -> u64 {
    let free = FREE_NAMES.lock().unwrap_or_else(|e| e.into_inner()).pop();
    free.unwrap_or_else(|| NAMES.fetch_add(1, Ordering::Relaxed))
}

/// `/proc/self/fd/<the bits of n + 1, as "/" for 0 and "./" for 1><fd>`: a name of
/// descriptor `fd` that no other `n` gives (module docs).
#[cfg(target_os = "linux")]
fn unique_fd_name(fd: std::os::fd::RawFd, n: u64) -> PathBuf {
    let n = n.wrapping_add(1).max(1);
    let mut s = String::from("/proc/self/fd/");
    for bit in (0..64 - n.leading_zeros()).rev() {
        s.push_str(if n >> bit & 1 == 1 { "./" } else { "/" });
    }
    s.push_str(&fd.to_string());
    PathBuf::from(s)
}

/// A `/proc/self/fd` name of `fd` that no name given before had, and that is never
/// given again (its number is not returned to [`FREE_NAMES`]): for `RTLD_NOLOAD` probes,
/// which add the name to the object they find (the in-place open, `in_place.rs`).
#[cfg(target_os = "linux")]
pub(super) fn fresh_fd_name(fd: std::os::fd::RawFd) -> PathBuf {
    unique_fd_name(fd, NAMES.fetch_add(1, Ordering::Relaxed))
}

/// The checked bytes, ready to be `dlopen`ed from [`Image::dlopen_path`].
pub(super) struct Image {
    /// The path to give `dlopen`.
    pub(super) dlopen_path: PathBuf,
    /// The name of the mapping in `/proc/self/maps` (`Plugin::image_path`).
    pub(super) image: PathBuf,
    holder: Holder,
}

/// What keeps the bytes reachable until `dlopen` has mapped them.
enum Holder {
    /// The memfd kept for reuse (with its bytes, when it is sealed and small enough),
    /// whose descriptor `dlopen` opens by name and which stays open while the plugin is
    /// loaded; or, for a memfd that is not kept, its descriptor, closed after `dlopen`.
    #[cfg(target_os = "linux")]
    Memfd(
        Option<Sealed>,
        #[allow(dead_code)] Option<std::os::fd::OwnedFd>,
    ),
    /// A private copy on disk.
    Copy(PrivateCopy),
}

/// What an open keeps of its image while the plugin is loaded, and gives back when it is
/// unloaded ([`Retained::unloaded`]).
pub(super) enum Retained {
    /// Nothing: the copy on disk is deleted already, or the memfd is closed.
    Nothing,
    /// The private copy on disk, deleted when the plugin is unloaded (Windows).
    Copy(PrivateCopy),
    /// The sealed memfd the image was loaded from, for the next open of the same bytes
    /// (the module docs, "Reuse").
    #[cfg(target_os = "linux")]
    Memfd(Sealed),
}

impl Retained {
    /// Records `addr`, an address inside the loaded image (its entry), by which
    /// [`Retained::unloaded`] sees whether the image is still mapped.
    pub(super) fn probe_at(&mut self, addr: usize) {
        #[cfg(target_os = "linux")]
        if let Retained::Memfd(sealed) = self {
            sealed.probe = addr;
        }
        let _ = addr;
    }

    /// After `dlclose`: deletes a copy on disk; offers a memfd to later opens of the same
    /// bytes when no image of it is mapped any more (else closes it).
    pub(super) fn unloaded(self) {
        match self {
            Retained::Nothing => {}
            Retained::Copy(copy) => drop(copy),
            #[cfg(target_os = "linux")]
            Retained::Memfd(sealed) => sealed.offer(),
        }
    }
}

impl Image {
    /// Writes `data`, the checked bytes of `original`, where `dlopen` can load them as a
    /// new image.
    ///
    /// Errors: [`LoadError::Io`] when the private copy on disk (the fallback) cannot be
    /// written; its path names the directory or file.
    pub(super) fn write(original: &Path, data: Vec<u8>) -> Result<Image, LoadError> {
        #[cfg(target_os = "linux")]
        let mut data = data;
        let name = original
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "plugin".into());
        // `PLUGPORT_TMPDIR` asks for copies on disk, in that directory: their mappings
        // then name a file, which tools that read symbols from mapped files (valgrind,
        // callgrind) can open, where they cannot open a memfd.
        #[cfg(target_os = "linux")]
        if std::env::var_os("PLUGPORT_TMPDIR").is_none() {
            match memfd_image(original, &name, data) {
                Ok(image) => return Ok(image),
                Err(back) => data = back,
            }
        }
        let copy = PrivateCopy::write(&name, &data)?;
        Ok(Image {
            dlopen_path: copy.file.clone(),
            image: copy.file.clone(),
            holder: Holder::Copy(copy),
        })
    }

    /// After `dlopen` mapped the image: keeps the memfd (its descriptor open) for reuse
    /// after the plugin is unloaded, or closes a memfd that is not kept, or deletes the
    /// private copy on Unix
    /// (the mapping stays valid). A copy that cannot be deleted while mapped (Windows)
    /// is kept until the plugin is unloaded.
    pub(super) fn loaded(self) -> Retained {
        match self.holder {
            #[cfg(target_os = "linux")]
            Holder::Memfd(Some(sealed), _) => Retained::Memfd(sealed),
            #[cfg(target_os = "linux")]
            Holder::Memfd(None, _) => Retained::Nothing,
            Holder::Copy(copy) if cfg!(unix) => {
                drop(copy);
                Retained::Nothing
            }
            Holder::Copy(copy) => Retained::Copy(copy),
        }
    }
}

/// A sealed memfd holding the checked bytes of an open, with those bytes in memory (to
/// compare the bytes of a later open of the same file), and its name.
#[cfg(target_os = "linux")]
pub(super) struct Sealed {
    fd: std::os::fd::OwnedFd,
    /// The file the bytes were read from, and the bytes.
    original: PathBuf,
    bytes: Vec<u8>,
    /// The memfd's name (`/plugport-<pid>-<n>/<file name>`).
    name: Vec<u8>,
    /// The name the dynamic loader knows the image by (a unique `/proc/self/fd` name of
    /// `fd`, which stays open while the image is loaded and kept).
    loaded_as: PathBuf,
    /// An address inside the image ([`Retained::probe_at`]; 0 before the entry was found).
    probe: usize,
    /// The number of `loaded_as` ([`unique_fd_name`]), free again once the image is gone.
    name_n: u64,
}

#[cfg(target_os = "linux")]
impl Sealed {
    /// Back to [`REUSE`] after its plugin was unloaded, when no image of it is mapped any
    /// more; otherwise dropped. Only the open that took this memfd loaded it, so its
    /// image is gone when no loaded object contains the probe address (`dladdr`, which
    /// makes no system call; an image that stays, e.g. one marked `NODELETE`, still
    /// contains it) or, without a probe, when the dynamic loader has no object of its
    /// name `loaded_as` any more (`RTLD_NOLOAD`).
    fn offer(self) {
        let mapped = if self.probe != 0 {
            let mut info = std::mem::MaybeUninit::<libc::Dl_info>::uninit();
            // SAFETY: dladdr only reads the loader's list of objects and writes `info`.
            unsafe { libc::dladdr(self.probe as *const libc::c_void, info.as_mut_ptr()) != 0 }
        } else {
            already_loaded(&self.loaded_as)
        };
        if mapped {
            return; // still mapped (or something else is, there): a new open gets a new file
        }
        FREE_NAMES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.name_n);
        let mut cache = REUSE.lock().unwrap_or_else(|e| e.into_inner());
        cache.push(self);
        let mut total: usize = cache.iter().map(|c| c.bytes.len()).sum();
        while cache.len() > MAX_REUSE || total > MAX_REUSE_BYTES {
            total -= cache.remove(0).bytes.len();
        }
    }
}

/// Memfds of unloaded plugins, oldest first, for opens of the same bytes (module docs,
/// "Reuse"): at most [`MAX_REUSE`] of them and [`MAX_REUSE_BYTES`] in all.
#[cfg(target_os = "linux")]
static REUSE: std::sync::Mutex<Vec<Sealed>> = std::sync::Mutex::new(Vec::new());

/// How many memfds of unloaded plugins [`REUSE`] keeps.
#[cfg(target_os = "linux")]
const MAX_REUSE: usize = 8;

/// How many bytes of memfds of unloaded plugins [`REUSE`] keeps in all (64 MiB).
#[cfg(target_os = "linux")]
const MAX_REUSE_BYTES: usize = 64 << 20;

/// The largest plugin file whose memfd is kept for reuse (1 MiB): its bytes stay in memory
/// while it is loaded, to be compared later.
#[cfg(target_os = "linux")]
const MAX_REUSE_FILE: usize = 1 << 20;

/// A kept memfd of `original` whose bytes are exactly `data`, taken out of [`REUSE`].
#[cfg(target_os = "linux")]
fn reuse(original: &Path, data: &[u8]) -> Option<Sealed> {
    let mut cache = REUSE.lock().unwrap_or_else(|e| e.into_inner());
    // Lengths first, then the path as text (`Path`'s `==` compares component by
    // component, a few thousand instructions for eight kept memfds), then the bytes.
    let i = cache.iter().position(|c| {
        c.bytes.len() == data.len()
            && c.original.as_os_str() == original.as_os_str()
            && c.bytes == data
    })?;
    Some(cache.remove(i))
}

/// A new memfd holding `data`, with its name, and whether it could be sealed. `None` when
/// the kernel does not allow it (then the caller copies to disk).
#[cfg(target_os = "linux")]
fn new_memfd(
    file_name: &std::ffi::OsStr,
    data: &[u8],
) -> Option<(std::os::fd::OwnedFd, Vec<u8>, bool)> {
    use std::io::Write;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;

    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("/plugport-{}-{n}/", pid()).into_bytes();
    // memfd names are at most 249 bytes; keep the file name's end (its extension).
    let file = file_name.as_bytes();
    name.extend_from_slice(&file[file.len().saturating_sub(200)..]);
    let cname = std::ffi::CString::new(name.clone()).ok()?;
    // Executable, also where `vm.memfd_noexec` = 1 makes memfds non-executable by
    // default; kernels before 6.3 do not know the flag (EINVAL) and make them executable.
    // Where the sysctl forbids executable memfds (2), the copy goes to disk instead.
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: a valid C string; the flags are defined by memfd_create(2).
    let mut fd = unsafe { libc::memfd_create(cname.as_ptr(), flags | MFD_EXEC) };
    if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        fd = unsafe { libc::memfd_create(cname.as_ptr(), flags) };
    }
    if fd < 0 {
        return None;
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(data).ok()?;
    // Nobody, not even someone who opens /proc/<pid>/fd/<n>, can change the checked
    // bytes from now on. When sealing fails the memfd is used for this open only (never
    // kept for reuse): the loaded bytes are the checked ones either way.
    // SAFETY: fcntl on our descriptor with documented arguments.
    let sealed = unsafe {
        libc::fcntl(
            fd,
            libc::F_ADD_SEALS,
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL,
        )
    } == 0;
    Some((OwnedFd::from(file), name, sealed))
}

/// The checked bytes `data` of `original` in a sealed memfd (a kept one with exactly these
/// bytes, else a new one), under a `/proc/self/fd` name no loaded object has. Gives `data`
/// back when the kernel or `/proc` does not allow it (then the caller copies to disk).
#[cfg(target_os = "linux")]
fn memfd_image(
    original: &Path,
    file_name: &std::ffi::OsStr,
    data: Vec<u8>,
) -> Result<Image, Vec<u8>> {
    use std::os::fd::AsRawFd;

    if !proc_fd_names() {
        return Err(data);
    }
    // The descriptor `dlopen` opens by name: the kept memfd's own (no duplicate: it stays
    // open while the plugin is loaded, as the kept value needs it to), or one that is
    // closed after `dlopen`.
    let (fd, primary, name, sealed) = match reuse(original, &data) {
        Some(kept) => (kept.fd.as_raw_fd(), None, kept.name.clone(), Some(kept)),
        None => {
            let Some((fd, name, sealed)) = new_memfd(file_name, &data) else {
                return Err(data);
            };
            if sealed && data.len() <= MAX_REUSE_FILE {
                let kept = Sealed {
                    fd,
                    original: original.to_path_buf(),
                    bytes: data,
                    name: name.clone(),
                    loaded_as: PathBuf::new(),
                    probe: 0,
                    name_n: 0,
                };
                (kept.fd.as_raw_fd(), None, name, Some(kept))
            } else {
                (fd.as_raw_fd(), Some(fd), name, None)
            }
        }
    };
    let n = name_number();
    let path = unique_fd_name(fd, n);
    let sealed = sealed.map(|mut s| {
        s.loaded_as = path.clone();
        s.name_n = n;
        s
    });
    Ok(Image {
        dlopen_path: path,
        image: PathBuf::from(format!("/memfd:{}", String::from_utf8_lossy(&name))),
        holder: Holder::Memfd(sealed, primary),
    })
}

/// This process's id, asked once (a `getpid` system call per open otherwise). A child
/// made by `fork` without `exec` keeps the parent's value, which only makes the names of
/// its memfds show the parent's id: they stay unique by their counter.
#[cfg(target_os = "linux")]
fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Whether this process can name its descriptors as `/proc/self/fd/<n>` (asked once).
#[cfg(target_os = "linux")]
fn proc_fd_names() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| Path::new("/proc/self/fd").is_dir())
}

/// Whether the dynamic loader already has an object of this name (or of this file):
/// `dlopen` with `RTLD_NOLOAD` never loads, and its handle, if any, is closed again.
#[cfg(target_os = "linux")]
pub(super) fn already_loaded(path: &Path) -> bool {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    // SAFETY: RTLD_NOLOAD maps nothing and runs no code; a returned handle only adds a
    // reference to an object that is loaded already, dropped (dlclose) right away.
    match unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL | libc::RTLD_NOLOAD) } {
        Ok(lib) => {
            drop(lib);
            true
        }
        Err(_) => false,
    }
}

/// A private copy of a plugin file in its own fresh directory; deleted (file and
/// directory) on drop.
pub(super) struct PrivateCopy {
    /// The fresh directory, removed (with anything left in it) when dropped.
    _dir: tempfile::TempDir,
    file: PathBuf,
}

impl PrivateCopy {
    /// Writes `data` to `<base>/plugport-<pid>-<random>/<name>`, `base` being
    /// `$PLUGPORT_TMPDIR` or the system's temporary directory. The directory is made by
    /// tempfile: a fresh name, created exclusively (a name planted by someone else is never
    /// reused), with mode 0700 on Unix (set here: tempfile's default follows the umask). Errors: `LoadError::Io` naming the directory or file.
    fn write(name: &std::ffi::OsStr, data: &[u8]) -> Result<PrivateCopy, LoadError> {
        let base = std::env::var_os("PLUGPORT_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let io = |path: &Path, source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut builder = tempfile::Builder::new();
        let prefix = format!("plugport-{}-", std::process::id());
        builder.prefix(&prefix);
        // Private: tempfile makes directories with the umask's mode otherwise (0755).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = builder.tempdir_in(&base).map_err(|e| io(&base, e))?;
        // Same file name as the original: keeps its extension (LoadLibrary appends
        // `.dll` to names without one) and makes diagnostics recognisable.
        let file = dir.path().join(name);
        std::fs::write(&file, data).map_err(|e| io(&file, e))?;
        Ok(PrivateCopy { _dir: dir, file })
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        // The file first, then the directory with `_dir`, so that a failure to remove
        // the directory still leaves no copy.
        let _ = std::fs::remove_file(&self.file);
    }
}
