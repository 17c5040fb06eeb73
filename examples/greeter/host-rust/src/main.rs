//! A greeter host in Rust: loads the plugin named on the command line, passes a
//! host-implemented logger, and greets each name.
//!
//! usage: greeter-host-rust <plugin.so> <name>...

include!(concat!(env!("OUT_DIR"), "/greeter.rs"));

use std::process::ExitCode;

/// The host side of the `logger` import.
struct Host;

impl imports::logger::Host for Host {
    fn log(level: imports::logger::Level, message: &str) {
        println!("  [rust host log {level:?}] {message}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: {} <plugin.so> <name>...", args[0]);
        return ExitCode::from(2);
    }
    let plugin = match Greeter::load::<Host>(&args[1]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot load plugin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let d = plugin.descriptor();
    println!("rust host: loaded {} {}", d.plugin_name, d.plugin_version);
    match plugin.greet().language() {
        Ok(lang) => println!("rust host: language {lang}"),
        Err(e) => eprintln!("language failed: {e}"),
    }
    let mut status = ExitCode::SUCCESS;
    for name in &args[2..] {
        match plugin.greet().greet(name) {
            Ok(answer) => println!("rust host: {answer}"),
            Err(e) => {
                eprintln!("greet failed: {e}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
