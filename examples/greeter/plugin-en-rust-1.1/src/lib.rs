//! The English greeter at `example:greeter@1.1.0`: implements `greet`, `language` and the
//! `farewell` that 1.1 appended, and logs through the host's `logger` import.
//!
//! Its greeting differs from the 1.0 plugin's (`Hi` instead of `Hello`), so that a host
//! running both side by side, or reloading one into the other, can tell them apart.

include!(concat!(env!("OUT_DIR"), "/greeter.rs"));

use imports::logger::{self, Level};

struct English;

impl exports::greet::Guest for English {
    fn greet(name: &str) -> String {
        // A failing host logger must not fail the greeting.
        let _ = logger::log(Level::Info, &format!("greeting {name} in English (1.1)"));
        format!("Hi, {name}!")
    }

    fn language() -> String {
        "en".to_string()
    }

    fn farewell(name: &str) -> String {
        format!("Goodbye, {name}!")
    }
}

export_greeter!(English, name: "greeter-en", version: "1.1.0");
