//! The greeter hosts' watch mode (`--watch <plugin.so> <name>`): the host greets, polls
//! the file, and reloads it in place when it changes. The tests start a host on a copy of
//! one plugin, replace the file (copy another plugin next to it, then rename it over the
//! path, atomically), and read the new answer from the host's output; a broken file must
//! leave the old plugin serving, and a file written in place slowly is reloaded once it is
//! complete (the hosts' debounce). The child is killed at the end.
//!
//! Not timed: each expected line may take up to [`PATIENCE`] to appear (a bound against
//! hanging forever, not a performance requirement).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use lifecycle::{artefact, replace_atomically, zh_plugin};

const PATIENCE: Duration = Duration::from_secs(60);

/// A running host; killed on drop (also when an assertion fails).
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watcher {
    fn start(host: &Path, plugin: &Path) -> Watcher {
        Watcher::start_polling(host, plugin, 20)
    }

    /// As [`Watcher::start`], polling every `period_ms` milliseconds.
    fn start_polling(host: &Path, plugin: &Path, period_ms: u32) -> Watcher {
        let mut child = Command::new(host)
            .arg("--watch")
            .arg(plugin)
            .arg("Ada")
            .env("GREETER_WATCH_MS", period_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", host.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watcher {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads output until a line equal to `want` (after trimming) appears.
    fn expect(&mut self, want: &str) {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    let done = line.trim() == want;
                    self.seen.push(line);
                    if done {
                        return;
                    }
                }
                Err(e) => panic!(
                    "no line `{want}` ({e:?}); the host printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Reads output until a line starting with `prefix` appears; returns it.
    fn expect_prefix(&mut self, prefix: &str) -> String {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no line starting with `{prefix}` ({e:?}); the host printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rust_host_watch_mode_reloads_a_replaced_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgreeter.so");
    replace_atomically(&artefact("greeter/libgreeter_en.so"), &path);
    let mut w = Watcher::start(&artefact("greeter/greeter-host-rust"), &path);
    w.expect("rust host: loaded greeter-en 1.0.0");
    w.expect("rust host: Hello, Ada!");

    replace_atomically(&zh_plugin(dir.path(), false), &path);
    w.expect("rust host: reloaded greeter-zh 1.0.0");
    w.expect("rust host: 你好，Ada！");

    // A broken file: the host keeps serving the last good version.
    let text = dir.path().join("text");
    std::fs::write(&text, "not a library\n").unwrap();
    replace_atomically(&text, &path);
    let line = w.expect_prefix("rust host: reload failed");
    assert!(
        line.starts_with("rust host: reload failed, still serving greeter-zh 1.0.0: ")
            && line.contains("is not a shared library"),
        "{line}"
    );

    replace_atomically(&artefact("lifecycle/libgreeter_en_1_1.so"), &path);
    w.expect("rust host: reloaded greeter-en 1.1.0");
    w.expect("rust host: Hi, Ada!");
}

#[test]
fn c_host_watch_mode_reloads_a_replaced_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgreeter.so");
    replace_atomically(&zh_plugin(dir.path(), false), &path);
    let mut w = Watcher::start(&artefact("lifecycle/greeter-host-c-1.1"), &path);
    w.expect("c host: loaded greeter-zh 1.0.0");
    w.expect("c host: 你好，Ada！");
    w.expect("c host: farewell unsupported by this plugin (table size 32, PP_ERR_UNSUPPORTED)");

    replace_atomically(&artefact("lifecycle/libgreeter_en_1_1.so"), &path);
    w.expect("c host: reloaded greeter-en 1.1.0");
    w.expect("c host: Hi, Ada!");
    w.expect("c host: Goodbye, Ada!");

    let text = dir.path().join("text");
    std::fs::write(&text, "not a library\n").unwrap();
    replace_atomically(&text, &path);
    let line = w.expect_prefix("c host: reload failed");
    assert!(
        line.starts_with("c host: reload failed, still serving greeter-en 1.1.0: ")
            && line.contains("is not a shared library"),
        "{line}"
    );

    replace_atomically(&zh_plugin(dir.path(), true), &path);
    w.expect("c host: reloaded greeter-zh 1.1.0");
    w.expect("c host: 再见，Ada！");
}

#[test]
fn go_host_watch_mode_reloads_a_replaced_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libgreeter.so");
    replace_atomically(&zh_plugin(dir.path(), false), &path);
    let mut w = Watcher::start(&artefact("greeter/greeter-host-go"), &path);
    w.expect("go host: loaded greeter-zh 1.0.0");
    w.expect("go host: 你好，Ada！");

    replace_atomically(&artefact("greeter/libgreeter_en.so"), &path);
    w.expect("go host: reloaded greeter-en 1.0.0");
    w.expect("go host: Hello, Ada!");

    // A broken file: the host keeps serving the last good version.
    let text = dir.path().join("text");
    std::fs::write(&text, "not a library\n").unwrap();
    replace_atomically(&text, &path);
    let line = w.expect_prefix("go host: reload failed");
    assert!(
        line.starts_with("go host: reload failed, still serving greeter-en 1.0.0: ")
            && line.contains("is not a shared library"),
        "{line}"
    );

    replace_atomically(&zh_plugin(dir.path(), false), &path);
    w.expect("go host: reloaded greeter-zh 1.0.0");
    w.expect("go host: 你好，Ada！");
}

/// Writes `src` over `dst` in place (truncated, then 40 appends 10 ms apart: about 0.4 s
/// in which the file is never the same for long), as a slow `cp` would.
fn write_in_place_slowly(src: &Path, dst: &Path) {
    use std::io::Write;
    let data = std::fs::read(src).unwrap();
    let mut f = std::fs::File::create(dst).unwrap();
    for chunk in data.chunks(data.len().div_ceil(40)) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The watch mode's debounce: a file written in place over about 0.4 s, polled every
/// 150 ms, is seen changing at least twice while half-written; every host waits until it
/// has stayed the same for a whole period, so it reloads once, the complete file, and
/// never reports a failed reload of a partial one. (Writing in place is safe for the
/// plugin already loaded: it runs from the loader's private copy.)
#[test]
fn every_host_waits_until_a_file_written_in_place_is_complete() {
    for (host, tag) in [
        (artefact("greeter/greeter-host-rust"), "rust"),
        (artefact("lifecycle/greeter-host-c-1.1"), "c"),
        (artefact("greeter/greeter-host-go"), "go"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libgreeter.so");
        replace_atomically(&artefact("greeter/libgreeter_en.so"), &path);
        let mut w = Watcher::start_polling(&host, &path, 150);
        w.expect(&format!("{tag} host: loaded greeter-en 1.0.0"));
        w.expect(&format!("{tag} host: Hello, Ada!"));
        write_in_place_slowly(&zh_plugin(dir.path(), false), &path);
        let line = w.expect_prefix(&format!("{tag} host: reload"));
        assert_eq!(
            line,
            format!("{tag} host: reloaded greeter-zh 1.0.0"),
            "the first reload must be of the complete file; the host printed:\n{}",
            w.seen.join("\n")
        );
        w.expect(&format!("{tag} host: 你好，Ada！"));
    }
}
