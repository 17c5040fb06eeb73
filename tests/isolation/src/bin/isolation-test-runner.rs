//! `plugport-runner` under another name, for the tests of this crate (see Cargo.toml).

fn main() {
    std::process::exit(plugport::isolation::runner::main());
}
