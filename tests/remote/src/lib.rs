//! Helpers of the remote tests: start and stop `plugport serve` (the CLI built by
//! `scripts/build-examples.sh` or `cargo build -p plugport-codegen`, with
//! `plugport-runner` beside it), and open a remote plugin of the fault world.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::Duration;

pub use plugport_isolation_tests::{fault_plugin, Host, Plugin, WORLD_JSON};

pub mod pki;

/// The first line `child` prints on its stdout (which must be piped), waiting at most 30 s;
/// panics naming `what` otherwise. The rest of its output is read and dropped, so the
/// child never blocks on a full pipe.
pub fn first_line(child: &mut Child, what: &str) -> String {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what} printed nothing within 30 s"))
}

/// The directory of the cargo profile these tests were built in (`target/debug`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/debug/deps/<test> -> target/debug
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary is in <profile>/deps")
        .to_path_buf()
}

/// The `plugport` CLI, which must have been built.
pub fn plugport_cli() -> PathBuf {
    let p = profile_dir().join("plugport");
    assert!(
        p.is_file() && profile_dir().join("plugport-runner").is_file(),
        "{} or plugport-runner beside it is missing: run `cargo build -p plugport-codegen -p \
         plugport --bins` (scripts/build-examples.sh does)",
        p.display()
    );
    p
}

/// A running `plugport serve`; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    /// `grpc://127.0.0.1:<port>` (or `grpcs://`) as the server printed it.
    pub url: String,
    pub port: u16,
}

impl Server {
    /// Starts `plugport serve <plugin> --listen 127.0.0.1:<port> <extra>` (port 0: any)
    /// and waits (at most 30 s) for the line saying where it listens.
    pub fn start(plugin: &Path, port: u16, extra: &[&str]) -> Server {
        Server::spawn(plugin, port, extra, None)
    }

    /// As [`Server::start`], with `PLUGPORT_SERVE_LOG=1` and the server's stderr
    /// appended to `log` (created when missing).
    pub fn start_logged(plugin: &Path, port: u16, extra: &[&str], log: &Path) -> Server {
        Server::spawn(plugin, port, extra, Some(log))
    }

    fn spawn(plugin: &Path, port: u16, extra: &[&str], log: Option<&Path>) -> Server {
        let mut cmd = Command::new(plugport_cli());
        cmd.arg("serve")
            .arg(plugin)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .stdout(Stdio::piped());
        if let Some(log) = log {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("open the server's log");
            cmd.env("PLUGPORT_SERVE_LOG", "1").stderr(f);
        }
        let mut child = cmd.spawn().expect("start plugport serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let st = child.wait();
                panic!(
                    "plugport serve {} printed no address ({st:?})",
                    plugin.display()
                );
            }
        };
        let url = line
            .split_whitespace()
            .last()
            .filter(|u| u.starts_with("grpc"))
            .unwrap_or_else(|| panic!("unexpected first line of plugport serve: {line:?}"))
            .to_string();
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Server { child, url, port }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `sig` to the server.
    pub fn signal(&self, sig: i32) {
        // SAFETY: signals the server process this test started (not yet reaped).
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Kills the server and waits for it.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// Waits (at most `within`) for a line of the file `log` that contains `needle`, and
/// returns it; `None` when none came.
pub fn wait_for_line(log: &Path, needle: &str, within: Duration) -> Option<String> {
    let start = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(l) = text.lines().find(|l| l.contains(needle)) {
            return Some(l.to_string());
        }
        if start.elapsed() > within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A log file's path in the temp directory, unique to this process and `name`, removed
/// (if present) first.
pub fn temp_log(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("plugport-{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// Opens `url` as a plugin of the fault world with the host's imports, the deadline
/// given (ms, 0: none). Returns the plugin (keep it) and its bindings.
pub fn open_remote(
    url: &str,
    call_timeout_ms: u32,
) -> Result<(Arc<plugport::Plugin>, Plugin), plugport::LoadError> {
    open_with_world(url, WORLD_JSON, call_timeout_ms)
}

/// As [`open_remote`] with another host world JSON.
pub fn open_with_world(
    url: &str,
    world_json: &str,
    call_timeout_ms: u32,
) -> Result<(Arc<plugport::Plugin>, Plugin), plugport::LoadError> {
    let imports = Plugin::imports_table::<Host>();
    let plugin = plugport::loader::open_with_options(
        Path::new(url),
        world_json,
        imports as *const _ as *const core::ffi::c_void,
        plugport::isolation::Options {
            call_timeout_ms,
            ..Default::default()
        },
    )?;
    // SAFETY: the exports table stays valid while `plugin` lives; the caller keeps it.
    let bindings = unsafe { Plugin::from_raw_exports(plugin.exports() as *const _) };
    Ok((plugin, bindings))
}
