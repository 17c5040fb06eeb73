//! `plugport-runner`: the child process of an isolated plugin (`docs/isolation.md`).
//! Started by the plugport runtime; `plugport-runner --help` says how.

fn main() {
    std::process::exit(plugport::isolation::runner::main());
}
