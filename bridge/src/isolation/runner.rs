//! The child: `plugport-runner --parent <pid> <plugin>` with the control connection as
//! fd 3 (`docs/isolation.md`, "The runner").
//!
//! It dies with its parent (`PR_SET_PDEATHSIG` = `SIGKILL`, and EOF on fd 3), reads the
//! host's `Hello` (the host world JSON and the fingerprint of the plugin world the host
//! read from the file), checks the file's descriptor against that fingerprint, builds the
//! proxy imports table from the plan, loads the plugin with the normal in-process loader
//! (so every check happens before plugin code runs), answers `Ready`, and then serves
//! each connection the host passes it on a thread of its own.

use std::cell::RefCell;
use std::ffi::c_void;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;

use super::endpoint::{Endpoint, Role, Transport};
use super::frames::{Conn, Frame, Kind};
use crate::plan::Plan;

thread_local! {
    /// The connection of the call this thread is serving (imports go back on it).
    static CURRENT: RefCell<Option<*const Conn>> = const { RefCell::new(None) };
}

/// Imports of the child go back on the connection of the call being served.
struct ChildTransport;

impl Transport for ChildTransport {
    fn call(
        &self,
        ep: &Endpoint,
        table: u32,
        slot: u32,
        args: Vec<u8>,
    ) -> Result<(i32, Vec<u8>), String> {
        let Some(conn) = CURRENT.with(|c| *c.borrow()) else {
            return Err(
                "an import was called outside a call from the host (from a thread the \
                 plugin started itself): isolated plugins can call imports only while \
                 serving a call"
                    .into(),
            );
        };
        // SAFETY: the connection outlives the call being served on this thread.
        let conn = unsafe { &*conn };
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let f = Frame::new(Kind::ImportCall, id, table, slot, 0).with_payload(args);
        if conn.send(&f).is_err() {
            host_gone();
        }
        loop {
            match conn.recv(None) {
                Ok(r) if r.kind == Kind::ImportReturn && r.call_id == id => {
                    return Ok((r.status, r.payload))
                }
                Ok(r) if r.kind == Kind::Call => {
                    let reply = ep.serve(&r);
                    if conn.send(&reply).is_err() {
                        host_gone();
                    }
                }
                Ok(r) => return Err(format!("unexpected {:?} frame from the host", r.kind)),
                Err(_) => host_gone(),
            }
        }
    }

    fn epoch(&self) -> u64 {
        0
    }
}

/// Calls from the host being served right now (a drain waits for none).
static SERVING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// EOF on the control connection: the host closed or replaced the plugin (or is gone;
/// then `PR_SET_PDEATHSIG` ends this process anyway). The drain: the calls being served
/// finish (at most 30 s; the host kills a child that takes longer than its drain time),
/// the C library's output buffers are flushed, and the process exits with status 0,
/// without running the plugin's destructors while its threads may still run.
fn drain_and_exit() -> ! {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while SERVING.load(std::sync::atomic::Ordering::Acquire) > 0
        && std::time::Instant::now() < until
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    // SAFETY: flushes every C stdio stream, then ends the process.
    unsafe {
        libc::fflush(std::ptr::null_mut());
        libc::_exit(0)
    }
}

/// Applies the host's limits (`Options::max_address_space`, `max_cpu_seconds`,
/// `max_open_files`) to this process before the plugin is loaded. Returns an error naming
/// the limit that failed.
fn apply_limits(hello: &serde_json::Value) -> Result<(), String> {
    for (key, resource, name, headroom) in [
        ("rlimit_as", libc::RLIMIT_AS, "RLIMIT_AS", 1),
        ("rlimit_cpu", libc::RLIMIT_CPU, "RLIMIT_CPU", 1),
        ("rlimit_nofile", libc::RLIMIT_NOFILE, "RLIMIT_NOFILE", 0),
    ] {
        let Some(v) = hello[key].as_u64() else {
            continue;
        };
        // The CPU hard limit one above the soft one: at the soft limit the kernel sends
        // SIGXCPU (which names the cause), at the hard one SIGKILL. The open-files limit
        // is hard: the plugin cannot raise it.
        let lim = libc::rlimit {
            rlim_cur: v as libc::rlim_t,
            rlim_max: v.saturating_add(headroom) as libc::rlim_t,
        };
        // SAFETY: a valid rlimit for this process.
        if unsafe { libc::setrlimit(resource, &lim) } != 0 {
            return Err(format!(
                "setrlimit({name}, {v}): {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// The host closed the connection: it is gone or closed the plugin.
fn host_gone() -> ! {
    // SAFETY: ends the process without running the plugin's atexit handlers or
    // destructors on a half-finished call.
    unsafe { libc::_exit(0) }
}

static mut DYING_FD: i32 = 3;

/// Fatal-signal handler: tells the host which signal ends the child (read by a host that
/// cannot `waitpid` it), then dies of the signal. Async-signal-safe: `write`, `signal`,
/// `raise` only.
extern "C" fn on_fatal_signal(sig: i32) {
    let name: &[u8] = match sig {
        libc::SIGSEGV => b"was killed by signal SIGSEGV (11)",
        libc::SIGABRT => b"was killed by signal SIGABRT (6)",
        libc::SIGBUS => b"was killed by signal SIGBUS (7)",
        libc::SIGFPE => b"was killed by signal SIGFPE (8)",
        libc::SIGILL => b"was killed by signal SIGILL (4)",
        _ => b"was killed by a signal",
    };
    send_dying(name);
    // SAFETY: restore the default action and re-raise, so the exit status is the signal.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Writes a `Dying` frame with `msg` to fd 3 (async-signal-safe: a stack buffer and
/// one `send`).
fn send_dying(msg: &[u8]) {
    let mut buf = [0u8; 128];
    let len = msg.len().min(buf.len() - 32);
    buf[0..4].copy_from_slice(&(len as u32).to_le_bytes());
    buf[4] = Kind::Dying as u8;
    buf[32..32 + len].copy_from_slice(&msg[..len]);
    // SAFETY: a valid buffer; MSG_NOSIGNAL so a dead host raises nothing.
    unsafe {
        libc::send(
            DYING_FD,
            buf.as_ptr().cast(),
            32 + len,
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        );
    }
}

extern "C" fn on_exit_hook(status: i32, _arg: *mut c_void) {
    let mut s = [0u8; 64];
    let text = b"exited with status ";
    s[..text.len()].copy_from_slice(text);
    let mut n = text.len();
    let digits = status.unsigned_abs().to_string();
    if status < 0 {
        s[n] = b'-';
        n += 1;
    }
    s[n..n + digits.len()].copy_from_slice(digits.as_bytes());
    n += digits.len();
    send_dying(&s[..n]);
}

extern "C" {
    fn on_exit(f: extern "C" fn(i32, *mut c_void), arg: *mut c_void) -> i32;
}

/// The runner's `main`. Returns the process exit code (normally it never returns: it
/// `_exit`s when the host goes away).
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let help = args.iter().any(|a| a == "--help" || a == "-h");
    if help || args.len() != 4 || args[1] != "--parent" {
        eprintln!(
            "plugport-runner: runs one plugport plugin in its own process for an isolated \
             host (docs/isolation.md).\n\n\
             usage: plugport-runner --parent <host pid> <plugin.so>\n\n\
             Started by the plugport runtime (libplugport or the Rust loader) when a plugin \
             is opened with isolation, never by hand: it expects the host's control \
             connection as file descriptor 3. The runtime finds it through \
             $PLUGPORT_RUNNER, then next to libplugport and the host executable, then on \
             PATH.\n\n\
             Variables read by the host's runtime:\n  \
             PLUGPORT_ISOLATION=process|inproc  run every open in a child process, or none\n  \
             PLUGPORT_CALL_TIMEOUT_MS=<n>       per-call deadline of isolated plugins (0: none)\n  \
             PLUGPORT_IDLE_TIMEOUT_MS=<n>       stop an idle plugin process after n ms (0: never)\n  \
             PLUGPORT_ALLOW_SHA256=<hex>,...    open only plugin files with these SHA-256 digests\n  \
             PLUGPORT_RUNNER=<path>             this binary"
        );
        return if help { 0 } else { 2 };
    }
    let parent: i32 = args[2].parse().unwrap_or(-1);
    // SAFETY: prctl and getppid have no memory preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if libc::getppid() != parent {
            return 0; // the host is already gone
        }
        for sig in [
            libc::SIGSEGV,
            libc::SIGABRT,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGILL,
        ] {
            libc::signal(sig, on_fatal_signal as *const () as libc::sighandler_t);
        }
        on_exit(on_exit_hook, std::ptr::null_mut());
    }
    let path = PathBuf::from(&args[3]);
    // SAFETY: fd 3 is the control connection the host passed (posix_spawn dup2).
    let control = Conn::from_fd(unsafe { OwnedFd::from_raw_fd(3) });
    let hello = match control.recv(None) {
        Ok(f) if f.kind == Kind::Hello => f,
        _ => host_gone(),
    };
    let fail = |msg: String| -> ! {
        let _ = control.send(&Frame::new(Kind::Error, 0, 0, 0, 0).with_payload(msg.into_bytes()));
        host_gone()
    };
    let hello: serde_json::Value = match serde_json::from_slice(&hello.payload) {
        Ok(v) => v,
        Err(e) => fail(error_json("Protocol", &format!("bad hello: {e}"))),
    };
    let wire = hello["wire_version"].as_u64().unwrap_or(0);
    if wire != crate::wire::WIRE_VERSION as u64 {
        fail(error_json(
            "Protocol",
            &format!(
                "the host speaks wire version {wire}, this plugport-runner version {}: use \
                 the runner built with the host's plugport runtime",
                crate::wire::WIRE_VERSION
            ),
        ));
    }
    // The host's world is kept as text (for the loaded plugin), not parsed: the host
    // compared the plugin's world with it, and the file checked here must have the
    // descriptor the host compared (its fingerprint), so that verdict holds.
    let world_json: Arc<str> = Arc::from(hello["host_world"].as_str().unwrap_or_default());
    let fingerprint = hello["plugin_fingerprint"].as_str().unwrap_or_default();
    // The host's allowlist, checked again on the bytes this process loads (the host
    // hashed its own read; the file may have changed since).
    let allow = crate::loader::Sha256Allowlist::from_wire(&hello["allow_sha256"]);
    // One read of the file: its bytes are checked here and loaded below.
    let checked =
        match crate::loader::check_file_checked_by_host(&path, fingerprint, allow.as_ref()) {
            Ok(c) => c,
            Err(Err(e)) => fail(load_error_json(&e)),
            Err(Ok(found)) => fail(error_json(
                "Changed",
                &format!(
                    "{}: the file changed between the host's check and the plugin process's \
                 load (fingerprint {found} instead of {fingerprint})",
                    path.display(),
                ),
            )),
        };
    if let Err(e) = apply_limits(&hello) {
        fail(error_json("Limits", &e));
    }
    let plan = match Plan::new(&checked.descriptor.world) {
        Ok(p) => p,
        Err(e) => fail(error_json("Protocol", &e)),
    };
    let version = checked.descriptor.world.package.table_version();
    let ep: Arc<Endpoint> =
        match Endpoint::new(Role::Child, plan, version, Box::new(ChildTransport)) {
            Ok(e) => Arc::from(e),
            Err(e) => fail(error_json("Protocol", &e)),
        };
    // Imports the entry calls while initialising travel on the control connection.
    CURRENT.with(|c| *c.borrow_mut() = Some(&control as *const Conn));
    let plugin = match crate::loader::load_checked_in_process(
        &path,
        checked,
        world_json,
        ep.proxy_world(),
        allow.as_ref(),
    ) {
        Ok(p) => p,
        Err(e) => fail(load_error_json(&e)),
    };
    CURRENT.with(|c| *c.borrow_mut() = None);
    ep.set_local(plugin.exports());
    // SAFETY: the exports table starts with a header (checked by the loader).
    let header = unsafe { *(plugin.exports() as *const crate::abi::PpTableHeader) };
    let ready = serde_json::json!({
        "wire_version": crate::wire::WIRE_VERSION,
        "exports_size": header.size,
        "exports_version": header.version,
        "image": plugin.image_path().display().to_string(),
    });
    if control
        .send(&Frame::new(Kind::Ready, 0, 0, 0, 0).with_payload(ready.to_string().into_bytes()))
        .is_err()
    {
        host_gone();
    }
    loop {
        match control.recv_with_fd() {
            Ok((f, fd)) => match f.kind {
                Kind::Connection => {
                    if let Some(fd) = fd {
                        let ep = ep.clone();
                        let spawned = std::thread::Builder::new()
                            .name("plugport-conn".into())
                            .spawn(move || serve_connection(Conn::from_fd(fd), &ep));
                        if spawned.is_err() {
                            // The host sees the connection close and reports the call.
                        }
                    }
                }
                Kind::LiveObjects => {
                    let n = plugin.live_objects().map_or(-1, |n| n as i64);
                    let _ = control.send(
                        &Frame::new(Kind::Ready, 0, 0, 0, 0)
                            .with_payload(n.to_string().into_bytes()),
                    );
                }
                _ => {}
            },
            Err(_) => drain_and_exit(),
        }
    }
}

fn serve_connection(conn: Conn, ep: &Endpoint) {
    CURRENT.with(|c| *c.borrow_mut() = Some(&conn as *const Conn));
    loop {
        match conn.recv(None) {
            Ok(f) if f.kind == Kind::Call => {
                SERVING.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                let reply = ep.serve(&f);
                let sent = conn.send(&reply);
                SERVING.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                if sent.is_err() {
                    break;
                }
            }
            Ok(_) => break,
            Err(_) => break,
        }
    }
    CURRENT.with(|c| *c.borrow_mut() = None);
}

fn error_json(kind: &str, message: &str) -> String {
    serde_json::json!({"kind": kind, "message": message}).to_string()
}

/// A load error as JSON, so the host can rebuild the same [`crate::LoadError`].
fn load_error_json(e: &crate::LoadError) -> String {
    use crate::LoadError as E;
    let v = match e {
        E::Dlopen { path, message } => {
            serde_json::json!({"kind": "Dlopen", "path": path, "message": message})
        }
        E::MissingEntry { path, symbol } => {
            serde_json::json!({"kind": "MissingEntry", "path": path, "symbol": symbol})
        }
        E::InitFailed {
            path,
            status,
            message,
        } => {
            serde_json::json!({"kind": "InitFailed", "path": path, "status": status, "message": message})
        }
        E::BadExports { path, reason } => {
            serde_json::json!({"kind": "BadExports", "path": path, "reason": reason})
        }
        E::NotAllowed {
            path,
            sha256,
            reason,
        } => {
            serde_json::json!({"kind": "NotAllowed", "path": path, "sha256": sha256, "reason": reason})
        }
        other => serde_json::json!({"kind": "Other", "message": other.to_string()}),
    };
    v.to_string()
}
