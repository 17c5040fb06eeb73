//! A greeter host in Rust: loads the plugin named on the command line, passes a
//! host-implemented logger, and greets each name.
//!
//! ```text
//! usage: greeter-host-rust <plugin.so> <name>...
//!        greeter-host-rust --watch <plugin.so> <name>
//! ```
//!
//! `--watch` greets, then polls the plugin file every `GREETER_WATCH_MS` milliseconds
//! (default 200) and, when it changed (modification time, size or inode: replacing it with
//! `mv` counts) and then stayed the same for one more period (a debounce, so a file still
//! being copied is not loaded half-way), reloads it in place with [`Greeter::reload`] and
//! greets again. A file the loader refuses leaves the old plugin serving. Runs until
//! killed.

include!(concat!(env!("OUT_DIR"), "/greeter.rs"));

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

/// The host side of the `logger` import.
struct Host;

impl imports::logger::Host for Host {
    fn log(level: imports::logger::Level, message: &str) {
        println!("  [rust host log {level:?}] {message}");
    }
}

/// Prints the plugin's language and greets every name; false if a call failed.
fn greet_all(plugin: &Greeter, names: &[String]) -> bool {
    match plugin.greet().language() {
        Ok(lang) => println!("rust host: language {lang}"),
        Err(e) => eprintln!("language failed: {e}"),
    }
    let mut ok = true;
    for name in names {
        match plugin.greet().greet(name) {
            Ok(answer) => println!("rust host: {answer}"),
            Err(e) => {
                eprintln!("greet failed: {e}");
                ok = false;
            }
        }
    }
    ok
}

/// What identifies a version of the file: replacing it (even by rename) changes one.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
struct FileId {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn file_id(path: &Path) -> Option<FileId> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some(FileId {
        modified: m.modified().ok(),
        len: m.len(),
        inode,
    })
}

/// `--watch`: greets, then reloads and greets again whenever the file changes. `seen`
/// identifies the file as it was before it was loaded (so a change right after loading is
/// not missed; at worst an unchanged file is reloaded once).
fn watch(mut plugin: Greeter, mut seen: Option<FileId>, path: &Path, name: &str) -> ! {
    let period = std::env::var("GREETER_WATCH_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .unwrap_or(200);
    println!("rust host: watching {} (every {period} ms)", path.display());
    let names = [name.to_string()];
    greet_all(&plugin, &names);
    let mut pending = None;
    loop {
        std::thread::sleep(Duration::from_millis(period));
        let now = file_id(path);
        // Missing for a moment (being replaced), or unchanged.
        if now.is_none() || now == seen {
            pending = None;
            continue;
        }
        // Debounce: reload once the changed file has stayed the same for a whole period,
        // so that a file still being written (cp in progress) is not loaded half-way.
        if pending != now {
            pending = now;
            continue;
        }
        pending = None;
        seen = now;
        match plugin.reload() {
            Ok(()) => {
                let d = plugin.descriptor();
                println!("rust host: reloaded {} {}", d.plugin_name, d.plugin_version);
                greet_all(&plugin, &names);
            }
            Err(e) => {
                let d = plugin.descriptor();
                println!(
                    "rust host: reload failed, still serving {} {}: {e}",
                    d.plugin_name, d.plugin_version
                );
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let watching = args.get(1).map(String::as_str) == Some("--watch");
    if args.len() < 3 || (watching && args.len() != 4) {
        eprintln!(
            "usage: {0} <plugin.so> <name>...\n       {0} --watch <plugin.so> <name>",
            args[0]
        );
        return ExitCode::from(2);
    }
    let path = Path::new(&args[if watching { 2 } else { 1 }]);
    let seen = file_id(path);
    let plugin = match Greeter::load::<Host>(path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot load plugin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let d = plugin.descriptor();
    println!("rust host: loaded {} {}", d.plugin_name, d.plugin_version);
    if watching {
        watch(plugin, seen, path, &args[3]);
    }
    if greet_all(&plugin, &args[2..]) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
