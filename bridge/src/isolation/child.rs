//! The host's side of the child process: starting the runner, the handshake, the
//! connections calls travel on, deadlines, and what the host sees when the child ends.
//!
//! **Connections.** Each call takes an idle connection of the current child (or makes a
//! new `socketpair` and passes one end to the child with `SCM_RIGHTS` over the control
//! connection; the child serves each connection on its own thread), sends the call, and
//! reads on it until the answer comes. An import the plugin calls during that call
//! arrives on the same connection and is served by the waiting host thread itself, so
//! imports run on the thread that made the call; an export the host calls from inside an
//! import takes another connection, so nested calls cannot deadlock. Concurrent calls use
//! concurrent connections: there is no reader thread and no demultiplexing.
//!
//! **Ends.** A connection that reads EOF means the child ended: the host reaps exactly
//! its pid with `waitpid` (never `-1`) and names the reason (exit status, signal). If
//! the host ignores `SIGCHLD` the kernel reaps the child itself and `waitpid` fails with
//! `ECHILD`; then the reason is the one the child sent before it died (`Dying` frames
//! from its fatal-signal handlers and its exit hook), or "unknown" (SIGKILL). A call that
//! passes its deadline kills the child (`SIGKILL`). Every call in flight on the child
//! gets [`PP_ERR_ISOLATION`](super::endpoint::PP_ERR_ISOLATION); the next call starts a
//! new child.

use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::endpoint::{Endpoint, Transport};
use super::frames::{socketpair, Conn, Frame, Kind, ReadError};
use super::spawn::spawn_runner;
use super::Options;

/// How long a child that closed a connection may take to exit before the host kills it.
const REAP_GRACE: Duration = Duration::from_secs(2);

/// A running (or ended) child.
pub struct Child {
    pub pid: i32,
    pub epoch: u64,
    control: Mutex<Conn>,
    idle: Mutex<Vec<Conn>>,
    /// Why it ended, once known.
    ended: Mutex<Option<String>>,
    /// Set when the host killed it after a deadline (the reason to report).
    killed_for: Mutex<Option<String>>,
}

impl Child {
    fn is_ended(&self) -> bool {
        self.ended
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Marks the child ended and returns why (reaping it once).
    pub fn end(&self) -> String {
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = &*ended {
            return r.clone();
        }
        let reason = self.reap();
        let reason = match self
            .killed_for
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            Some(k) => k,
            None => reason,
        };
        *ended = Some(reason.clone());
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        reason
    }

    /// Waits for the child (which closed a connection, so it is normally exiting) and
    /// says why it ended. A child still alive after [`REAP_GRACE`] (it closed a
    /// connection without exiting) is killed, so that this never blocks for long.
    fn reap(&self) -> String {
        let mut status = 0;
        let grace = Instant::now() + REAP_GRACE;
        let mut killed = false;
        // Woken when the child exits (pidfd), instead of polling; None where pidfds are
        // not available (Linux before 5.3) or the child was reaped already.
        let pidfd = pidfd_open(self.pid);
        loop {
            let flags = if killed { 0 } else { libc::WNOHANG };
            // SAFETY: waits for exactly our child.
            let r = unsafe { libc::waitpid(self.pid, &mut status, flags) };
            if r == self.pid {
                let reason = describe_status(status);
                return if killed {
                    format!("{reason} (by the host: it closed a connection but did not exit)")
                } else {
                    reason
                };
            }
            if r == 0 {
                if Instant::now() >= grace {
                    self.kill();
                    killed = true;
                } else {
                    wait_exit(pidfd.as_ref(), grace);
                }
                continue;
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            // ECHILD: the host ignores SIGCHLD (or reaped it): ask what the child said.
            let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
            for f in control.drain_pending() {
                if f.kind == Kind::Dying {
                    return String::from_utf8_lossy(&f.payload).into_owned();
                }
            }
            return "ended; its exit status is unavailable (the host ignores SIGCHLD or \
                    reaped the child itself, and the child reported nothing: killed by \
                    SIGKILL?)"
                .into();
        }
    }

    fn kill(&self) {
        // SAFETY: signals exactly our child; harmless if it already ended (not yet
        // reaped, so the pid cannot have been reused).
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
    }

    fn checkout(&self) -> Result<Conn, String> {
        if let Some(c) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(c);
        }
        let (mine, theirs) = socketpair().map_err(|e| format!("socketpair: {e}"))?;
        let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        control
            .send_with_fd(
                &Frame::new(Kind::Connection, 0, 0, 0, 0),
                theirs.as_raw_fd(),
            )
            .map_err(|e| format!("passing a connection to the plugin process: {e}"))?;
        drop(theirs);
        Ok(Conn::from_fd(mine))
    }

    fn checkin(&self, c: Conn) {
        if !self.is_ended() {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(c);
        }
    }

    /// Asks the child how many live objects its plugin reports.
    pub fn live_objects(&self) -> Option<usize> {
        let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        control
            .send(&Frame::new(Kind::LiveObjects, 0, 0, 0, 0))
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let f = control.recv(Some(deadline)).ok()?;
            if f.kind == Kind::Ready {
                return String::from_utf8_lossy(&f.payload).parse().ok();
            }
        }
    }
}

impl Child {
    /// Asks the child to exit: its idle connections are closed and EOF on its control
    /// connection tells the runner to finish what it serves and exit with status 0
    /// (`runner.rs`); then it is reaped, killed if it has not exited within
    /// [`REAP_GRACE`]. Returns why it ended.
    fn retire(&self) -> String {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if !self.is_ended() {
            let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
            // SAFETY: shuts down our end of the socket; the fd stays open until dropped.
            unsafe { libc::shutdown(control.raw(), libc::SHUT_RDWR) };
        }
        self.end()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.is_ended() {
            let _ = self.retire();
        }
    }
}

/// Takes the child out of `s` to end it outside the lock, and records at once, in the
/// same critical section, that it is ending: `pid()` says no child from here on, and
/// `last_exit()` must not show an earlier reason meanwhile. The reaper's exact reason
/// replaces this one when the child has ended.
fn take_child(s: &mut State, why: &str) -> Option<Arc<Child>> {
    let c = s.child.take()?;
    s.last_exit = Some(format!("the plugin process (pid {}) is being {why}", c.pid));
    Some(c)
}

/// A pidfd of `pid` (readable once it exits), when the kernel has them.
fn pidfd_open(pid: i32) -> Option<std::os::fd::OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags; the result is a new descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    (fd >= 0).then(|| {
        // SAFETY: just created, owned by nobody else.
        unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) }
    })
}

/// Waits until the child may have exited: on its pidfd until it is readable or until
/// `until`, else 200 µs.
fn wait_exit(pidfd: Option<&std::os::fd::OwnedFd>, until: Instant) {
    let Some(fd) = pidfd else {
        std::thread::sleep(Duration::from_micros(200));
        return;
    };
    let left = until.saturating_duration_since(Instant::now());
    let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
    let mut p = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(fd),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd; EINTR and errors just return to the caller's loop.
    unsafe { libc::poll(&mut p, 1, ms) };
}

/// `exited with status 3`, `was killed by signal SIGSEGV (11)`.
pub fn describe_status(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exited with status {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        let s = libc::WTERMSIG(status);
        format!("was killed by signal {} ({s})", signal_name(s))
    } else {
        format!("ended (wait status {status:#x})")
    }
}

pub fn signal_name(s: i32) -> &'static str {
    match s {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSYS => "SIGSYS",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        _ => "signal",
    }
}

/// A child started by [`Supervisor::launch_first`] whose `Ready` is not read yet.
pub struct Launched(Child);

/// Mutable state of a supervisor.
struct State {
    child: Option<Arc<Child>>,
    /// Calls running through the transport, and when the last one ended (idle stop).
    active: usize,
    last_active: Instant,
    /// The child was stopped for idleness: the next call starts one without counting a
    /// restart.
    idle_stopped: bool,
    idle_stops: u64,
    /// The plugin is closed: no more idle stops (the endpoint may be going).
    closed: bool,
    restarts: u64,
    /// Starts since the last call that succeeded (for the backoff).
    consecutive_failures: u32,
    last_exit: Option<String>,
    epoch: u64,
}

thread_local! {
    /// A deadline the caller gives the calls this thread makes through a supervisor
    /// (the instant and its length in ms), used when earlier than the supervisor's own
    /// `call_timeout_ms`: `plugport serve` sets it to the host's deadline of the call it
    /// serves (`docs/remote.md`, "Faults and what the host sees").
    static CALL_DEADLINE: Cell<Option<(Instant, u32)>> = const { Cell::new(None) };
}

/// Runs `f` with `deadline` (an instant and its length in ms, for the message) over the
/// calls this thread makes through supervisors: a call still running at the earlier of
/// it and the supervisor's own `call_timeout_ms` kills the child as any call past its
/// deadline does. The previous deadline is restored after `f`.
pub fn with_call_deadline<R>(deadline: Option<(Instant, u32)>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<(Instant, u32)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALL_DEADLINE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CALL_DEADLINE.with(|c| c.replace(deadline)));
    f()
}

/// Runs one isolated plugin: its child, restarts, options (the [`Transport`] of the
/// host's endpoint).
pub struct Supervisor {
    pub runner: PathBuf,
    pub plugin: PathBuf,
    pub hello: String,
    pub options: Options,
    state: Mutex<State>,
    /// True once the plugin is closed (see [`Supervisor::stop_if_idle`]).
    gate: Mutex<bool>,
    next_call: AtomicU64,
    /// The endpoint, set right after it is created (it owns this supervisor).
    ep: OnceLock<usize>,
}

impl Supervisor {
    pub fn new(runner: PathBuf, plugin: PathBuf, hello: String, options: Options) -> Self {
        Supervisor {
            runner,
            plugin,
            hello,
            options,
            state: Mutex::new(State {
                child: None,
                active: 0,
                last_active: Instant::now(),
                idle_stopped: false,
                idle_stops: 0,
                closed: false,
                restarts: 0,
                consecutive_failures: 0,
                last_exit: None,
                epoch: 0,
            }),
            gate: Mutex::new(false),
            next_call: AtomicU64::new(1),
            ep: OnceLock::new(),
        }
    }

    pub fn set_endpoint(&self, ep: &Endpoint) {
        let _ = self.ep.set(ep as *const Endpoint as usize);
    }

    pub fn pid(&self) -> Option<i32> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.child.as_ref().filter(|c| !c.is_ended()).map(|c| c.pid)
    }

    pub fn restarts(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .restarts
    }

    pub fn last_exit(&self) -> Option<String> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &s.child {
            if let Some(r) = &*c.ended.lock().unwrap_or_else(|e| e.into_inner()) {
                return Some(r.clone());
            }
        }
        s.last_exit.clone()
    }

    pub fn live_objects(&self) -> Option<usize> {
        let child = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .child
            .clone()?;
        child.live_objects()
    }

    /// Kills the running child, if any, with `why` as the reason its calls report.
    pub fn kill_current(&self, why: String) {
        let child = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .child
            .clone();
        if let Some(c) = child.filter(|c| !c.is_ended()) {
            *c.killed_for.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
            c.kill();
        }
    }

    /// How many times the child was stopped for idleness.
    pub fn idle_stops(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .idle_stops
    }

    /// Stops the child when the plugin is idle (`Options::idle_timeout_ms`): no call
    /// for that long, none running, and no object crossing between host and child (the
    /// host holds no handle of the plugin's objects, the plugin none of the host's). It
    /// is asked to exit as on a close ([`Child::retire`]); the next call starts it again.
    /// Called by the idle watcher ([`watch_idle`]).
    fn stop_if_idle(&self) {
        let idle = Duration::from_millis(self.options.idle_timeout_ms as u64);
        // The gate keeps `retire` (and so the endpoint's end) out while the endpoint is
        // asked about objects; lock order: gate, then the endpoint's handles, then state.
        let gate = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        if *gate || idle.is_zero() {
            return;
        }
        if self.endpoint_opt().is_none_or(|ep| ep.objects_cross()) {
            return;
        }
        let child = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let running = s.child.as_ref().is_some_and(|c| !c.is_ended());
            if !running || s.active > 0 || s.last_active.elapsed() < idle {
                return;
            }
            s.idle_stopped = true;
            s.idle_stops += 1;
            take_child(&mut s, "stopped for idling")
        };
        drop(gate);
        if let Some(c) = child {
            let reason = c.retire();
            self.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .last_exit = Some(format!(
                "the plugin process (pid {}) was stopped after {} ms without calls ({reason}); \
                 the next call starts it again",
                c.pid, self.options.idle_timeout_ms
            ));
        }
    }

    /// Ends the child for good (the plugin is closed or replaced): asks it to exit
    /// ([`Child::retire`]) and records why it ended.
    pub fn retire(&self) {
        *self.gate.lock().unwrap_or_else(|e| e.into_inner()) = true;
        let child = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.closed = true;
            take_child(&mut s, "closed")
        };
        if let Some(c) = child {
            let reason = c.retire();
            self.state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .last_exit = Some(reason);
        }
    }

    /// Starts the first child: the open, in two halves. This one starts the runner and
    /// sends its `Hello`, so that the host can build its proxy tables while the runner
    /// execs and loads; [`Self::finish_first`] then waits for `Ready`. Dropping the
    /// result instead ends the child.
    pub fn launch_first(&self) -> Result<Launched, super::StartError> {
        self.launch().map(Launched)
    }

    /// Ends a launched child at once (`SIGKILL`): the host cannot go on with the open.
    pub fn abandon(&self, launched: Launched) {
        launched.0.kill();
        drop(launched); // reaps it
    }

    /// The second half of the open: waits for the launched child's `Ready` (serving the
    /// imports its plugin's entry calls, so [`Self::set_endpoint`] must have been called).
    /// Errors are the child's load error.
    pub fn finish_first(&self, launched: Launched) -> Result<(), super::StartError> {
        let child = self.handshake(launched.0)?;
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.last_active = Instant::now(); // the idle time counts from here
        s.epoch = child.epoch;
        s.child = Some(Arc::new(child));
        Ok(())
    }

    /// The live child, restarting an ended one (with backoff and the restart limit).
    fn current(&self) -> Result<Arc<Child>, String> {
        let mut retired = None;
        let r = self.current_locked(&mut retired);
        // The ended child can no longer drop the host's objects it held: the host drops
        // them, outside the state lock (a `drop` may call into the plugin again).
        if let (Some(epoch), Some(ep)) = (retired, self.endpoint_opt()) {
            ep.drop_all_local(epoch);
        }
        r
    }

    fn current_locked(&self, retired: &mut Option<u64>) -> Result<Arc<Child>, String> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &s.child {
            if !c.is_ended() {
                let c = c.clone();
                s.active += 1;
                return Ok(c);
            }
            let reason = c.end();
            *retired = Some(c.epoch);
            s.last_exit = Some(reason);
            s.child = None;
        }
        if s.closed {
            return Err("the plugin is closed".into());
        }
        if std::mem::take(&mut s.idle_stopped) {
            // On demand, after an idle stop: not a restart after a failure.
            return match self.spawn() {
                Ok(child) => {
                    s.epoch = child.epoch;
                    let c = Arc::new(child);
                    s.child = Some(c.clone());
                    s.active += 1;
                    Ok(c)
                }
                Err(e) => {
                    s.idle_stopped = true;
                    s.last_exit = Some(format!("start after an idle stop failed: {e}"));
                    Err(format!("starting the plugin process again failed: {e}"))
                }
            };
        }
        if s.restarts >= self.options.restart_limit as u64 {
            return Err(format!(
                "the plugin process was restarted {} times, the limit; last exit: {}",
                s.restarts,
                s.last_exit.as_deref().unwrap_or("none")
            ));
        }
        if s.consecutive_failures >= 2 {
            // Backoff after repeated crashes: 10 ms, 20 ms, ... up to 1 s.
            let shift = (s.consecutive_failures - 2).min(7);
            std::thread::sleep(Duration::from_millis((10u64 << shift).min(1000)));
        }
        s.restarts += 1;
        s.consecutive_failures += 1;
        match self.spawn() {
            Ok(child) => {
                s.epoch = child.epoch;
                let c = Arc::new(child);
                s.child = Some(c.clone());
                s.active += 1;
                Ok(c)
            }
            Err(e) => {
                s.last_exit = Some(format!("restart failed: {e}"));
                Err(format!("restarting the plugin process failed: {e}"))
            }
        }
    }

    fn spawn(&self) -> Result<Child, super::StartError> {
        let child = self.launch()?;
        self.handshake(child)
    }

    /// Starts the runner and sends it the `Hello`.
    fn launch(&self) -> Result<Child, super::StartError> {
        let (mine, theirs) =
            socketpair().map_err(|e| super::StartError::Spawn(format!("socketpair: {e}")))?;
        let pid = spawn_runner(&self.runner, &self.plugin, theirs)?;
        static EPOCH: AtomicU64 = AtomicU64::new(1);
        let child = Child {
            pid,
            epoch: EPOCH.fetch_add(1, Ordering::Relaxed),
            control: Mutex::new(Conn::from_fd(mine)),
            idle: Mutex::new(Vec::new()),
            ended: Mutex::new(None),
            killed_for: Mutex::new(None),
        };
        let control = child.control.lock().unwrap_or_else(|e| e.into_inner());
        let hello = Frame::new(Kind::Hello, 0, 0, 0, 0).with_payload(self.hello.clone().into());
        if let Err(e) = control.send(&hello) {
            drop(control);
            let r = child.end();
            return Err(super::StartError::Died(format!("{r} ({e})")));
        }
        drop(control);
        Ok(child)
    }

    /// Waits for the launched child's `Ready` (or its load error), serving the imports its
    /// plugin's entry calls meanwhile.
    fn handshake(&self, child: Child) -> Result<Child, super::StartError> {
        let control = child.control.lock().unwrap_or_else(|e| e.into_inner());
        let deadline =
            Instant::now() + Duration::from_millis(self.options.start_timeout_ms.max(1) as u64);
        loop {
            match control.recv(Some(deadline)) {
                Ok(f) => match f.kind {
                    Kind::Ready => {
                        drop(control);
                        let ready: serde_json::Value =
                            serde_json::from_slice(&f.payload).unwrap_or_default();
                        let wire = ready["wire_version"].as_u64().unwrap_or(0);
                        if wire != crate::wire::WIRE_VERSION as u64 {
                            child.kill();
                            let _ = child.end();
                            return Err(super::StartError::Load(
                                serde_json::json!({"kind": "Protocol", "message": format!(
                                    "the runner {} speaks wire version {wire}, this runtime \
                                     version {}: use the runner built with this runtime",
                                    self.runner.display(), crate::wire::WIRE_VERSION)})
                                .to_string(),
                            ));
                        }
                        // The first call's connection, made now: the child starts the
                        // thread that serves it while the host goes on.
                        if let Ok(c) = child.checkout() {
                            child.checkin(c);
                        }
                        return Ok(child);
                    }
                    Kind::Error => {
                        drop(control);
                        child.kill();
                        let _ = child.end();
                        return Err(super::StartError::Load(
                            String::from_utf8_lossy(&f.payload).into_owned(),
                        ));
                    }
                    Kind::ImportCall => {
                        // The plugin's entry calls an import while it initialises.
                        let reply = self.endpoint_opt().map(|ep| ep.serve(&f));
                        if let Some(reply) = reply {
                            let _ = control.send(&reply);
                        }
                    }
                    _ => {}
                },
                Err(ReadError::Timeout) => {
                    drop(control);
                    child.kill();
                    let _ = child.end();
                    return Err(super::StartError::Died(format!(
                        "did not start within {} ms; killed",
                        self.options.start_timeout_ms
                    )));
                }
                Err(e) => {
                    drop(control);
                    let r = child.end();
                    return Err(super::StartError::Died(format!("{r} while loading ({e})")));
                }
            }
        }
    }

    fn endpoint_opt(&self) -> Option<&Endpoint> {
        // SAFETY: as `endpoint`.
        self.ep.get().map(|p| unsafe { &*(*p as *const Endpoint) })
    }

    /// What the host sees of a failed call (`timeout_ms`: the deadline that passed, for
    /// [`ReadError::Timeout`]).
    fn failure(&self, child: &Child, e: ReadError, timeout_ms: u32) -> String {
        let what = match e {
            ReadError::Timeout => {
                let msg = format!(
                    "the call did not return within its deadline of {timeout_ms} ms; the plugin \
                     process (pid {}) was killed",
                    child.pid
                );
                *child.killed_for.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg);
                child.kill();
                child.end()
            }
            ReadError::Closed => child.end(),
            ReadError::Malformed(m) => {
                child.kill();
                let _ = child.end();
                format!("sent a malformed frame ({m}); killed")
            }
            ReadError::Io(io) => {
                child.kill();
                let _ = child.end();
                format!("connection error ({io}); killed")
            }
        };
        let msg = if what.starts_with("the call") {
            what
        } else {
            format!("the plugin process (pid {}) {what}", child.pid)
        };
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.last_exit = Some(msg.clone());
        msg
    }
}

impl Transport for Supervisor {
    fn call(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        let child = self.current()?;
        // Counted in by `current`; out (with the time, for the idle stop) on every return.
        struct Active<'a>(&'a Supervisor);
        impl Drop for Active<'_> {
            fn drop(&mut self) {
                let mut s = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
                s.active -= 1;
                s.last_active = Instant::now();
            }
        }
        let _active = Active(self);
        let conn = child.checkout().map_err(|e| {
            let r = child.end();
            format!("the plugin process (pid {}) {r}: {e}", child.pid)
        })?;
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let frame = Frame::new(Kind::Call, id, table, slot, 0).with_payload(args);
        if conn.send(&frame).is_err() {
            return Err(self.failure(&child, ReadError::Closed, 0));
        }
        // The earlier of the open's deadline and the one the caller gave this thread.
        let own = (self.options.call_timeout_ms > 0).then(|| {
            (
                Instant::now() + Duration::from_millis(self.options.call_timeout_ms as u64),
                self.options.call_timeout_ms,
            )
        });
        let (deadline, timeout_ms) = match (own, CALL_DEADLINE.with(Cell::get)) {
            (Some(o), Some(g)) if g.0 < o.0 => (Some(g.0), g.1),
            (None, Some(g)) => (Some(g.0), g.1),
            (o, _) => (o.map(|o| o.0), o.map_or(0, |o| o.1)),
        };
        loop {
            match conn.recv(deadline) {
                Ok(f) if f.kind == Kind::Return && f.call_id == id => {
                    child.checkin(conn);
                    self.state
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .consecutive_failures = 0;
                    return Ok((f.status, f.payload));
                }
                Ok(f) if f.kind == Kind::ImportCall => {
                    let reply = ep.serve(&f);
                    if conn.send(&reply).is_err() {
                        return Err(self.failure(&child, ReadError::Closed, 0));
                    }
                }
                Ok(f) => {
                    return Err(self.failure(
                        &child,
                        ReadError::Malformed(format!(
                            "unexpected {:?} frame (call id {}) while waiting for call {id}",
                            f.kind, f.call_id
                        )),
                        0,
                    ))
                }
                Err(e) => return Err(self.failure(&child, e, timeout_ms)),
            }
        }
    }

    fn epoch(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).epoch
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let child = self
            .state
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .child
            .take();
        drop(child); // kills and reaps it
        let _ = self.endpoint_opt().map(|_| ());
    }
}

/// Supervisors with an idle time, checked by one watcher thread that runs while there
/// are any ([`Supervisor::stop_if_idle`]).
static WATCHED: Mutex<Vec<std::sync::Weak<Supervisor>>> = Mutex::new(Vec::new());

/// Watches `sup` for idleness (its `idle_timeout_ms` must be above 0): starts the
/// watcher thread when none runs. The thread checks every watched supervisor every
/// tenth of the shortest idle time (5 ms to 1 s) and ends when none is left.
pub fn watch_idle(sup: &Arc<Supervisor>) {
    let mut w = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
    let start = w.is_empty();
    w.push(Arc::downgrade(sup));
    if !start {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("plugport-idle".into())
        .spawn(|| loop {
            let live: Vec<Arc<Supervisor>> = {
                let mut w = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
                w.retain(|s| s.strong_count() > 0);
                if w.is_empty() {
                    return;
                }
                w.iter().filter_map(|s| s.upgrade()).collect()
            };
            let tick = live
                .iter()
                .map(|s| s.options.idle_timeout_ms as u64 / 10)
                .min()
                .unwrap_or(100)
                .clamp(5, 1000);
            for s in &live {
                s.stop_if_idle();
            }
            drop(live);
            std::thread::sleep(Duration::from_millis(tick));
        });
    if spawned.is_err() {
        w.clear(); // no watcher: the children simply stay
    }
}
