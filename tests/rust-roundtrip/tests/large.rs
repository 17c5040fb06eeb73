//! The worlds of the large package set `tests/wit/large` (issue 11, A.9: a dozen
//! interfaces of five packages from `deps/`, resources with many methods, `use` chains
//! through other packages): their guest and host bindings compile side by side, warning
//! free under clippy, and name what a plugin and a host of them use.

#[allow(dead_code)]
mod proxy_guest {
    include!(concat!(env!("OUT_DIR"), "/proxy_guest.rs"));
}
mod proxy_host {
    include!(concat!(env!("OUT_DIR"), "/proxy_host.rs"));
}
#[allow(dead_code)]
mod command_guest {
    include!(concat!(env!("OUT_DIR"), "/command_guest.rs"));
}
mod command_host {
    include!(concat!(env!("OUT_DIR"), "/command_host.rs"));
}
#[allow(dead_code)]
mod worker_guest {
    include!(concat!(env!("OUT_DIR"), "/worker_guest.rs"));
}
mod worker_host {
    include!(concat!(env!("OUT_DIR"), "/worker_host.rs"));
}

/// Each world's bindings carry its world JSON, which names every import and export of
/// the WIT (the `include` of `worker` brings in `proxy`'s imports in place), and the
/// guest and host items a plugin and a host use exist with the expected names.
#[test]
fn each_world_has_its_items_and_interfaces() {
    let names = |json: &str| -> (Vec<String>, Vec<String>) {
        let (_, w) = plugport::descriptor::parse_world_json(json).expect("world JSON parses");
        let n = |items: &[plugport::ir::WorldItem]| {
            items.iter().map(|i| i.name().to_string()).collect()
        };
        (n(&w.imports), n(&w.exports))
    };
    let (imports, exports) = names(proxy_host::WORLD_JSON);
    assert_eq!(
        imports,
        [
            "random",
            "insecure-seed",
            "error",
            "poll",
            "streams",
            "monotonic-clock",
            "wall-clock",
            "logging",
            "http-types",
            "outgoing-handler"
        ]
    );
    assert_eq!(exports, ["handler"]);
    let (imports, exports) = names(command_host::WORLD_JSON);
    assert_eq!(imports.len(), 9, "{imports:?}");
    assert!(imports.contains(&"types".to_string()) && imports.contains(&"preopens".to_string()));
    assert_eq!(exports, ["run"]);
    let (imports, exports) = names(worker_host::WORLD_JSON);
    for i in [
        "random",
        "streams",
        "outgoing-handler",
        "types",
        "preopens",
        "config",
    ] {
        assert!(imports.contains(&i.to_string()), "{i} in {imports:?}");
    }
    assert_eq!(exports, ["handler", "run"]);

    fn name<T: ?Sized>() -> &'static str {
        std::any::type_name::<T>()
    }
    assert!(name::<proxy_host::Proxy>().ends_with("Proxy"));
    assert!(name::<command_host::Command>().ends_with("Command"));
    assert!(name::<worker_host::Worker>().ends_with("Worker"));
    // Compiles only while the trait has this function with these argument types.
    let _: fn(_, _) = <Proxy as proxy_guest::exports::handler::Guest>::handle;
    assert_eq!(
        <Command as command_guest::exports::run::Guest>::run(),
        Ok(())
    );
    assert_eq!(
        <Worker as worker_guest::exports::run::Guest>::run(),
        Err(())
    );
}

/// A plugin's implementations of the export traits, with the argument types the
/// bindings give them (resources of an imported interface, a `result` without types).
struct Proxy;
impl proxy_guest::exports::handler::Guest for Proxy {
    fn handle(
        request: proxy_guest::imports::http_types::IncomingRequest,
        response_out: proxy_guest::imports::http_types::ResponseOutparam,
    ) {
        drop((request, response_out));
    }
}
struct Command;
impl command_guest::exports::run::Guest for Command {
    fn run() -> Result<(), ()> {
        Ok(())
    }
}
struct Worker;
impl worker_guest::exports::run::Guest for Worker {
    fn run() -> Result<(), ()> {
        Err(())
    }
}
