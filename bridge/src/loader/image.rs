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
//! after the descriptor is closed and its number reused. So before loading, the name is
//! tried with `RTLD_NOLOAD` (which answers whether an object of that name, or of that
//! file, is loaded, and never loads): when it is taken, the descriptor is duplicated to
//! another number and the new name tried, up to [`MAX_NAMES`] times.
//!
//! **Elsewhere** (and on Linux when `PLUGPORT_TMPDIR` is set, for tools that read
//! symbols from mapped files and cannot open a memfd, or when `memfd_create` or `/proc`
//! is unavailable): the bytes
//! are written to `<dir>/<file name>` in a fresh directory `plugport-<pid>-<n>` (mode
//! 0700) under `$PLUGPORT_TMPDIR` or [`std::env::temp_dir`], deleted again right after
//! `dlopen` on Unix (on Windows when the plugin is closed).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::LoadError;

/// Numbers the images (and private copy directories) of this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `MFD_EXEC` of memfd_create(2) (Linux 6.3, `include/uapi/linux/memfd.h`), which the
/// `libc` crate does not define.
#[cfg(target_os = "linux")]
const MFD_EXEC: libc::c_uint = 0x0010;

/// How many descriptor numbers a memfd image tries before falling back to a copy on disk.
#[cfg(target_os = "linux")]
const MAX_NAMES: usize = 64;

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
    /// The memfd, and the duplicates tried for a free name; closed after `dlopen`.
    #[cfg(target_os = "linux")]
    Memfd(#[allow(dead_code)] Vec<std::os::fd::OwnedFd>),
    /// A private copy on disk.
    Copy(PrivateCopy),
}

impl Image {
    /// Writes `data`, the checked bytes of `original`, where `dlopen` can load them as a
    /// new image.
    ///
    /// Errors: [`LoadError::Io`] when the private copy on disk (the fallback) cannot be
    /// written; its path names the directory or file.
    pub(super) fn write(original: &Path, data: &[u8]) -> Result<Image, LoadError> {
        let name = original
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "plugin".into());
        // `PLUGPORT_TMPDIR` asks for copies on disk, in that directory: their mappings
        // then name a file, which tools that read symbols from mapped files (valgrind,
        // callgrind) can open, where they cannot open a memfd.
        #[cfg(target_os = "linux")]
        if std::env::var_os("PLUGPORT_TMPDIR").is_none() {
            if let Some(image) = memfd_image(&name, data) {
                return Ok(image);
            }
        }
        let copy = PrivateCopy::write(&name, data)?;
        Ok(Image {
            dlopen_path: copy.file.clone(),
            image: copy.file.clone(),
            holder: Holder::Copy(copy),
        })
    }

    /// After `dlopen` mapped the image: closes the memfd, or deletes the private copy on
    /// Unix (the mapping stays valid). Returns the copy to delete when the plugin is
    /// closed where it cannot be deleted while mapped (Windows).
    pub(super) fn loaded(self) -> Option<PrivateCopy> {
        match self.holder {
            #[cfg(target_os = "linux")]
            Holder::Memfd(_) => None,
            Holder::Copy(copy) if cfg!(unix) => {
                drop(copy);
                None
            }
            Holder::Copy(copy) => Some(copy),
        }
    }
}

/// The checked bytes in a sealed memfd, with a `/proc/self/fd/<n>` name no loaded object
/// has. `None` when the kernel or `/proc` does not allow it (then the caller copies to
/// disk).
#[cfg(target_os = "linux")]
fn memfd_image(file_name: &std::ffi::OsStr, data: &[u8]) -> Option<Image> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;

    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("/plugport-{}-{n}/", std::process::id()).into_bytes();
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
    // bytes from now on. Best effort: the loaded bytes are the checked ones either way.
    // SAFETY: fcntl on our descriptor with documented arguments.
    unsafe {
        libc::fcntl(
            fd,
            libc::F_ADD_SEALS,
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL,
        )
    };
    let mut fds = vec![OwnedFd::from(file)];
    for _ in 0..MAX_NAMES {
        let fd = fds.last()?.as_raw_fd();
        let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
        if std::fs::symlink_metadata(&path).is_err() {
            return None; // no /proc
        }
        if !already_loaded(&path) {
            return Some(Image {
                dlopen_path: path,
                image: PathBuf::from(format!("/memfd:{}", String::from_utf8_lossy(&name))),
                holder: Holder::Memfd(fds),
            });
        }
        // SAFETY: duplicating our own descriptor.
        let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        fds.push(unsafe { OwnedFd::from_raw_fd(dup) });
    }
    None
}

/// Whether the dynamic loader already has an object of this name (or of this file):
/// `dlopen` with `RTLD_NOLOAD` never loads, and its handle, if any, is closed again.
#[cfg(target_os = "linux")]
fn already_loaded(path: &Path) -> bool {
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
    dir: PathBuf,
    file: PathBuf,
}

impl PrivateCopy {
    fn write(name: &std::ffi::OsStr, data: &[u8]) -> Result<PrivateCopy, LoadError> {
        let base = std::env::var_os("PLUGPORT_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let io = |path: &Path, source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        };
        // A fresh directory that nobody else can write to: `create` fails on an existing
        // name (also one planted by someone else), so try the next.
        let dir = loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!("plugport-{}-{n}", std::process::id()));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&dir, e)),
            }
        };
        // Same file name as the original: keeps its extension (LoadLibrary appends
        // `.dll` to names without one) and makes diagnostics recognisable.
        let copy = PrivateCopy {
            file: dir.join(name),
            dir,
        };
        std::fs::write(&copy.file, data).map_err(|e| io(&copy.file, e))?;
        Ok(copy)
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_dir(&self.dir);
    }
}
