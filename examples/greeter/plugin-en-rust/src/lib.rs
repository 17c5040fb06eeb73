//! The English greeter: implements the `greet` interface of `example:greeter@1.0.0` and
//! logs through the host's `logger` import.

include!(concat!(env!("OUT_DIR"), "/greeter.rs"));

use imports::logger::{self, Level};

struct English;

impl exports::greet::Guest for English {
    fn greet(name: &str) -> String {
        // A failing host logger must not fail the greeting.
        let _ = logger::log(Level::Info, &format!("greeting {name} in English"));
        format!("Hello, {name}!")
    }

    fn language() -> String {
        "en".to_string()
    }
}

export_greeter!(English, name: "greeter-en", version: "1.0.0");
