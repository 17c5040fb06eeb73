//! Process isolation (issue 8; `docs/isolation.md`): the plugin runs in a child process,
//! `plugport-runner`, and the host gets the same exports table as in-process, made of
//! proxies synthesised at run time from the plugin's descriptor through its
//! [`Plan`](crate::plan::Plan). No per-world code is compiled into the host.
//!
//! - `open_checked`: an isolated open (the loader calls it for [`Mode::Process`]).
//! - [`Options`] / [`Mode`]: per open; `PLUGPORT_ISOLATION=process|inproc` overrides the
//!   mode of every open, `PLUGPORT_CALL_TIMEOUT_MS` the per-call deadline.
//! - [`runner_path`]: where the runtime finds the runner.
//! - [`PP_ERR_ISOLATION`]: the status of a call the child could not answer.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[cfg(feature = "capi")]
pub mod capi;
mod child;
pub(crate) mod endpoint;
mod ffitypes;
pub mod frames;
mod handles;
mod proxy;
pub mod runner;
mod spawn;

pub use child::with_call_deadline;
pub use endpoint::PP_ERR_ISOLATION;

use crate::error::LoadError;
use crate::loader::Plugin;

/// Where a plugin runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// In the host's process (`dlopen`), unless `PLUGPORT_ISOLATION=process`.
    #[default]
    Default,
    /// In the host's process (`PLUGPORT_ISOLATION=process` still wins: the variable
    /// overrides every open).
    InProcess,
    /// In a child process, unless `PLUGPORT_ISOLATION=inproc`.
    Process,
}

/// Options of an open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub mode: Mode,
    /// Per-call deadline in milliseconds (0: none). A call that passes it kills the child
    /// and returns [`PP_ERR_ISOLATION`]. `PLUGPORT_CALL_TIMEOUT_MS` overrides it.
    pub call_timeout_ms: u32,
    /// How many times the child may be restarted after it ended (over the life of the
    /// open); past it, calls fail with [`PP_ERR_ISOLATION`].
    pub restart_limit: u32,
    /// How long the child may take to load the plugin, in milliseconds.
    pub start_timeout_ms: u32,
    /// The runner to start; `None`: found by [`runner_path`].
    pub runner: Option<PathBuf>,
    /// When the plugin is closed or replaced (the last reference to an image goes, or
    /// `plugport_release_previous` / `plugport_close`), how long the calls still in flight
    /// on its child may take to finish, in milliseconds, before the child is killed (they
    /// then fail with [`PP_ERR_ISOLATION`]). After the calls, the child is asked to exit
    /// (EOF on its control connection) and exits with status 0.
    pub drain_timeout_ms: u32,
    /// Limits of the child process (`setrlimit` in the runner before the plugin is
    /// loaded): its address space in bytes (`RLIMIT_AS`; a larger allocation fails in the
    /// plugin), and its CPU time in seconds (`RLIMIT_CPU`; past it the kernel ends the
    /// child with `SIGXCPU`, and the call in flight fails with [`PP_ERR_ISOLATION`]
    /// naming the signal). `None`: unlimited (the host's own limits are inherited).
    pub max_address_space: Option<u64>,
    /// See [`Options::max_address_space`].
    pub max_cpu_seconds: Option<u64>,
    /// `RLIMIT_NOFILE` of the child: the most file descriptors it may hold open at once,
    /// the runner's own included (stdio, the control connection, one socket per
    /// concurrent call; leave 16 for them). Past it, `open`, `socket` and the like fail
    /// with `EMFILE` inside the plugin, which sees an ordinary error. `None`: the host's
    /// limit.
    pub max_open_files: Option<u64>,
    /// Idle stop, in milliseconds (0: never): when no call has run for this long, none
    /// runs, and no object crosses (the host holds no handle of the plugin's objects and
    /// the plugin none of the host's), the child is asked to exit (as on a close, exit
    /// status 0), and the next call starts it again, on demand (not counted as a restart,
    /// no backoff). The open still starts it once, so that a plugin that cannot load is
    /// refused at the open. `PLUGPORT_IDLE_TIMEOUT_MS` overrides it.
    pub idle_timeout_ms: u32,
    /// The SHA-256 allowlist (`docs/isolation.md`, "Allowlist"): when set, a plugin file
    /// whose SHA-256 is not listed is refused with [`LoadError::NotAllowed`] before any of
    /// its code runs, in both modes (a reload too). `PLUGPORT_ALLOW_SHA256` replaces it
    /// when set. `None`: any file.
    pub allow_sha256: Option<crate::loader::Sha256Allowlist>,
}

impl Default for Options {
    /// Default mode, no deadline, unlimited restarts, 10 s to start, 5 s to drain, no
    /// limits.
    fn default() -> Self {
        Options {
            mode: Mode::Default,
            call_timeout_ms: 0,
            restart_limit: u32::MAX,
            start_timeout_ms: 10_000,
            runner: None,
            drain_timeout_ms: 5_000,
            max_address_space: None,
            max_cpu_seconds: None,
            max_open_files: None,
            idle_timeout_ms: 0,
            allow_sha256: None,
        }
    }
}

impl Options {
    /// The options after the environment: `PLUGPORT_ISOLATION` (`process` or `inproc`)
    /// replaces the mode, `PLUGPORT_CALL_TIMEOUT_MS` (decimal) the deadline,
    /// `PLUGPORT_IDLE_TIMEOUT_MS` (decimal) the idle stop. Other values are ignored.
    /// `PLUGPORT_ALLOW_SHA256` (set and not blank) replaces the allowlist; a malformed
    /// value refuses every file ([`crate::loader::Sha256Allowlist::from_env`]).
    pub fn with_env(mut self) -> Options {
        if let Some(list) = crate::loader::Sha256Allowlist::from_env() {
            self.allow_sha256 = Some(list);
        }
        if let Some(ms) = std::env::var("PLUGPORT_IDLE_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            self.idle_timeout_ms = ms;
        }
        match std::env::var("PLUGPORT_ISOLATION").as_deref() {
            Ok("process") => self.mode = Mode::Process,
            Ok("inproc") => self.mode = Mode::InProcess,
            _ => {}
        }
        if let Some(ms) = std::env::var("PLUGPORT_CALL_TIMEOUT_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            self.call_timeout_ms = ms;
        }
        self
    }

    /// True when an open with these options (after the environment) is isolated.
    pub fn isolated(&self) -> bool {
        self.mode == Mode::Process
    }
}

/// Why the child could not be started or load the plugin.
#[derive(Debug)]
pub(crate) enum StartError {
    Spawn(String),
    Load(String),
    Died(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Spawn(m) | StartError::Died(m) => f.write_str(m),
            StartError::Load(j) => {
                let v: serde_json::Value = serde_json::from_str(j).unwrap_or_default();
                f.write_str(v["message"].as_str().unwrap_or(j))
            }
        }
    }
}

/// What an isolated [`Plugin`] holds: the host's endpoint (proxy tables) and the
/// supervisor of its child.
pub struct Isolated {
    // Dropped first: its closures refer to the supervisor.
    ep: Box<endpoint::Endpoint>,
    sup: Arc<child::Supervisor>,
}

impl Isolated {
    /// The child's pid, while one runs.
    pub fn pid(&self) -> Option<i32> {
        self.sup.pid()
    }
    /// How many times the child was restarted after it ended.
    pub fn restarts(&self) -> u64 {
        self.sup.restarts()
    }
    /// How many times the child was stopped for idleness ([`Options::idle_timeout_ms`]).
    pub fn idle_stops(&self) -> u64 {
        self.sup.idle_stops()
    }
    /// Why the last child ended (`was killed by signal SIGSEGV (11)`, `exited with status
    /// 3`, a deadline), if one did.
    pub fn last_exit(&self) -> Option<String> {
        self.sup.last_exit()
    }
    /// The plugin's live-object count, asked of the child.
    pub fn live_objects(&self) -> Option<usize> {
        self.sup.live_objects()
    }
    /// The options it was opened with (after the environment).
    pub fn options(&self) -> Options {
        self.sup.options.clone()
    }
    /// The proxy exports table.
    pub fn exports(&self) -> *const c_void {
        self.ep.proxy_world()
    }
}

impl Isolated {
    /// Waits until no call runs through the proxy tables, at most `timeout`; true when
    /// none runs.
    fn wait_no_calls(&self, timeout: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + timeout;
        loop {
            if self.ep.inflight() == 0 {
                return true;
            }
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

impl Drop for Isolated {
    /// The drain (`docs/isolation.md`, "Lifecycle"): calls still in flight through the
    /// proxy tables (other threads of a C host that released or closed the plugin, or
    /// replaced it with a reload) finish first, for at most the drain time; past it the
    /// child is killed and they fail with [`PP_ERR_ISOLATION`]. Then the child is asked
    /// to exit (EOF on its control connection) and reaped, and the host drops its own
    /// objects the child still held. Only then is the proxy memory freed.
    fn drop(&mut self) {
        let limit = std::time::Duration::from_millis(self.sup.options.drain_timeout_ms as u64);
        if !self.wait_no_calls(limit) {
            self.sup.kill_current(format!(
                "the plugin was closed or replaced, and its calls in flight did not finish \
                 within the drain time of {} ms; the plugin process was killed",
                self.sup.options.drain_timeout_ms
            ));
            // Killed: the calls read EOF and return at once (a call that is itself running
            // this drop, from an import, never returns here: bounded).
            self.wait_no_calls(std::time::Duration::from_secs(2));
        }
        self.sup.retire();
        // Objects the dead-or-closing child held of the host's are ended by the host.
        self.ep.drop_all_local(u64::MAX);
    }
}

/// The transport of the host's endpoint: the supervisor, shared with [`Isolated`].
struct SupRef(Arc<child::Supervisor>);

impl endpoint::Transport for SupRef {
    fn call(
        &self,
        ep: &endpoint::Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        self.0.call(ep, table, slot, args)
    }
    fn epoch(&self) -> u64 {
        endpoint::Transport::epoch(&*self.0)
    }
}

/// Where the runtime finds `plugport-runner`, in order: `$PLUGPORT_RUNNER`; next to the
/// library this runtime is linked into (`libplugport.so`), or in `../bin` from it (the
/// layout `scripts/install.sh` makes: `<prefix>/lib` and `<prefix>/bin`), or next to the host
/// executable, or in the directory above it (cargo puts test binaries in `deps/`); then
/// each directory of `PATH`. `None` when there is none.
pub fn runner_path() -> Option<PathBuf> {
    const NAME: &str = "plugport-runner";
    if let Some(p) = std::env::var_os("PLUGPORT_RUNNER") {
        return Some(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(lib) = own_library_dir() {
        if let Some(prefix) = lib.parent() {
            dirs.push(lib.clone());
            dirs.push(prefix.join("bin"));
        } else {
            dirs.push(lib);
        }
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(d) = exe.parent() {
            dirs.push(d.to_path_buf());
            if let Some(up) = d.parent() {
                dirs.push(up.to_path_buf());
            }
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter()
        .map(|d| d.join(NAME))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The directory of the shared object this code is in (libplugport), via `dladdr`.
fn own_library_dir() -> Option<PathBuf> {
    // SAFETY: dladdr only reads the address; `info` is written by it.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(runner_path as *const c_void, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::CStr::from_ptr(info.dli_fname);
        let p = Path::new(std::ffi::OsStr::from_bytes(name.to_bytes()));
        p.parent().map(Path::to_path_buf)
    }
}

/// An isolated open (`docs/isolation.md`) of a file the host has checked exactly as
/// [`crate::loader::open`] does ([`crate::loader::check_file`]: steps 1–4 of
/// `docs/abi.md` §8, so a refused file is the same [`LoadError`]): starts the runner,
/// which loads the plugin with the in-process loader, and returns a [`Plugin`] whose
/// exports table is the proxy table.
///
/// Errors: [`LoadError::Io`] naming `plugport-runner` when it cannot be found or
/// started; the child's load errors (`Dlopen`, `MissingEntry`, `InitFailed`,
/// `BadExports`) as in-process; [`LoadError::InitFailed`] with status
/// [`PP_ERR_ISOLATION`] when the child died while loading.
pub(crate) fn open_checked(
    path: &Path,
    checked: crate::loader::CheckedFile,
    expected_world_json: Arc<str>,
    imports: *const c_void,
    options: Options,
) -> Result<Arc<Plugin>, LoadError> {
    let crate::loader::CheckedFile {
        data,
        descriptor,
        compat,
        host_fingerprint: fingerprint,
        ..
    } = checked;
    drop(data);
    // The plan first: a world the runtime cannot plan is refused before any process starts.
    let plan = crate::plan::Plan::new(&descriptor.world).map_err(|reason| {
        LoadError::CorruptDescriptor {
            path: path.to_path_buf(),
            reason,
        }
    })?;
    let runner = options
        .runner
        .clone()
        .or_else(runner_path)
        .ok_or_else(|| LoadError::Io {
            path: PathBuf::from("plugport-runner"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the isolation runner plugport-runner was not found: set PLUGPORT_RUNNER to its \
             path, or put it next to libplugport or the host executable, or on PATH",
            ),
        })?;
    let hello = serde_json::json!({
        "wire_version": crate::wire::WIRE_VERSION,
        "host_world": &*expected_world_json,
        "host_fingerprint": fingerprint,
        "plugin_fingerprint": descriptor.fingerprint,
        "rlimit_as": options.max_address_space,
        "rlimit_cpu": options.max_cpu_seconds,
        "rlimit_nofile": options.max_open_files,
        "allow_sha256": options.allow_sha256.as_ref().map(|l| l.to_wire()),
    })
    .to_string();
    let sup = Arc::new(child::Supervisor::new(
        runner.clone(),
        path.to_path_buf(),
        hello,
        options,
    ));
    // The runner starts before the host builds its proxy tables (libffi closures), which
    // then overlap with its exec and load on two cores.
    let launched = sup
        .launch_first()
        .map_err(|e| start_error(path, &runner, e))?;
    let version = descriptor.world.package.table_version();
    let ep = match endpoint::Endpoint::new(
        endpoint::Role::Host,
        plan,
        version,
        Box::new(SupRef(sup.clone())),
    ) {
        Ok(ep) => ep,
        Err(reason) => {
            sup.abandon(launched);
            return Err(LoadError::CorruptDescriptor {
                path: path.to_path_buf(),
                reason,
            });
        }
    };
    sup.set_endpoint(&ep);
    ep.set_local(imports);
    if let Err(e) = sup.finish_first(launched) {
        return Err(start_error(path, &runner, e));
    }
    if sup.options.idle_timeout_ms > 0 {
        child::watch_idle(&sup);
    }
    let iso = Arc::new(Isolated { ep, sup });
    Ok(Plugin::new_isolated(
        path,
        descriptor,
        compat,
        expected_world_json,
        imports,
        iso,
    ))
}

fn start_error(path: &Path, runner: &Path, e: StartError) -> LoadError {
    let p = path.to_path_buf();
    match e {
        StartError::Spawn(m) => LoadError::Io {
            path: runner.to_path_buf(),
            source: std::io::Error::other(m),
        },
        StartError::Died(m) => LoadError::InitFailed {
            path: p,
            status: PP_ERR_ISOLATION,
            message: format!("the plugin process {m}"),
        },
        StartError::Load(j) => {
            let v: serde_json::Value = serde_json::from_str(&j).unwrap_or_default();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            match v["kind"].as_str().unwrap_or_default() {
                "MissingEntry" => LoadError::MissingEntry {
                    path: p,
                    symbol: s("symbol"),
                },
                "InitFailed" => LoadError::InitFailed {
                    path: p,
                    status: v["status"].as_i64().unwrap_or(5) as i32,
                    message: s("message"),
                },
                "BadExports" => LoadError::BadExports {
                    path: p,
                    reason: s("reason"),
                },
                // The file changed after the host's check to bytes the list refuses.
                "NotAllowed" => LoadError::NotAllowed {
                    path: p,
                    sha256: s("sha256"),
                    reason: format!("{} (in the plugin process)", s("reason")),
                },
                _ => LoadError::Dlopen {
                    path: p,
                    message: format!("in the plugin process: {}", s("message")),
                },
            }
        }
    }
}
