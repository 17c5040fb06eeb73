//! Starting `plugport-runner` (`docs/isolation.md`, "The runner"): by `posix_spawn`, never
//! a bare `fork` (a host may hold a Go runtime or locks), with default signal
//! dispositions, an empty signal mask and only the control connection as fd 3, from one
//! long-lived thread of the host.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex, OnceLock};

/// A request to the spawner thread.
struct SpawnRequest {
    runner: PathBuf,
    plugin: PathBuf,
    fd: OwnedFd,
    reply: mpsc::Sender<Result<i32, String>>,
}

/// Starts the runner with `fd` as its fd 3, by `posix_spawn` (never a bare fork), from
/// one long-lived thread: `PR_SET_PDEATHSIG` fires when the *thread* that started a
/// child ends, so children are started by a thread that lives as long as the process.
pub(super) fn spawn_runner(
    runner: &Path,
    plugin: &Path,
    fd: OwnedFd,
) -> Result<i32, super::StartError> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("plugport-spawner".into())
            .spawn(move || {
                for req in rx {
                    let r = posix_spawn(&req.runner, &req.plugin, req.fd);
                    let _ = req.reply.send(r);
                }
            })
            .expect("start the plugport spawner thread");
        Mutex::new(tx)
    });
    let (rtx, rrx) = mpsc::channel();
    tx.lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(SpawnRequest {
            runner: runner.to_path_buf(),
            plugin: plugin.to_path_buf(),
            fd,
            reply: rtx,
        })
        .map_err(|_| super::StartError::Spawn("the spawner thread is gone".into()))?;
    rrx.recv()
        .map_err(|_| super::StartError::Spawn("the spawner thread is gone".into()))?
        .map_err(super::StartError::Spawn)
}

fn posix_spawn(runner: &Path, plugin: &Path, fd: OwnedFd) -> Result<i32, String> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let cstr = |s: &[u8]| CString::new(s).map_err(|_| "a path contains a NUL byte".to_string());
    let prog = cstr(runner.as_os_str().as_bytes())?;
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() }.to_string();
    let args = [
        prog.clone(),
        cstr(b"--parent")?,
        cstr(parent.as_bytes())?,
        cstr(plugin.as_os_str().as_bytes())?,
    ];
    let mut argv: Vec<*mut libc::c_char> = args.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv.push(std::ptr::null_mut());
    // fd 3 must not be the socket itself: dup2(3, 3) would keep FD_CLOEXEC.
    let src = if fd.as_raw_fd() == 3 {
        // SAFETY: duplicating a valid fd.
        let d = unsafe { libc::fcntl(3, libc::F_DUPFD_CLOEXEC, 10) };
        if d < 0 {
            return Err(format!("fcntl: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: just created.
        unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(d) }
    } else {
        fd
    };
    extern "C" {
        static environ: *const *mut libc::c_char;
    }
    // SAFETY: standard posix_spawn use; every pointer outlives the call.
    unsafe {
        let mut fa: libc::posix_spawn_file_actions_t = std::mem::zeroed();
        libc::posix_spawn_file_actions_init(&mut fa);
        libc::posix_spawn_file_actions_adddup2(&mut fa, src.as_raw_fd(), 3);
        // Nothing else of the host's leaks into the runner, not even descriptors the host
        // opened without O_CLOEXEC (glibc 2.34+).
        #[cfg(target_env = "gnu")]
        libc::posix_spawn_file_actions_addclosefrom_np(&mut fa, 4);
        let mut attr: libc::posix_spawnattr_t = std::mem::zeroed();
        libc::posix_spawnattr_init(&mut attr);
        // The child starts with default signal dispositions and an empty mask, whatever
        // the host set (a host that ignores SIGPIPE or blocks signals).
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::posix_spawnattr_setsigdefault(&mut attr, &all);
        libc::posix_spawnattr_setsigmask(&mut attr, &none);
        libc::posix_spawnattr_setflags(
            &mut attr,
            (libc::POSIX_SPAWN_SETSIGDEF | libc::POSIX_SPAWN_SETSIGMASK) as _,
        );
        let mut pid: libc::pid_t = 0;
        let r = libc::posix_spawn(&mut pid, prog.as_ptr(), &fa, &attr, argv.as_ptr(), environ);
        libc::posix_spawn_file_actions_destroy(&mut fa);
        libc::posix_spawnattr_destroy(&mut attr);
        drop(src);
        if r != 0 {
            return Err(format!(
                "cannot start the runner {}: {}",
                runner.display(),
                std::io::Error::from_raw_os_error(r)
            ));
        }
        Ok(pid)
    }
}
