//! The Rust back end on the example and test worlds (through the real front end): the
//! generated files parse and expose the documented API. Compiling and calling them is
//! tested in `tests/rust-roundtrip` and by the examples.

use std::path::Path;

use plugport_codegen::frontend::load_world;
use plugport_codegen::rust::{generate, Side};

fn generated(wit: &str, side: Side) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(wit);
    let world = load_world(&path, None).unwrap_or_else(|e| panic!("{wit}: {e}"));
    let file = generate(&world, side);
    syn::parse_file(&file.contents)
        .unwrap_or_else(|e| panic!("{wit} ({side:?}) does not parse: {e}"));
    // One line per item signature makes substring checks robust to formatting.
    file.contents
}

#[test]
fn greeter_guest_api() {
    let g = generated("examples/greeter/wit/greeter.wit", Side::Guest);
    assert!(g.contains("pub trait Guest: 'static {"));
    assert!(g.contains("fn greet(name: &str) -> ::std::string::String;"));
    assert!(g.contains("fn language() -> ::std::string::String;"));
    assert!(g.contains("macro_rules! export_greeter {"));
    assert!(g.contains("pub fn log(level: super::super::imports::logger::Level, message: &str) -> ::core::result::Result<(), ::plugport::rt::CallError>"));
    assert!(g.contains("pub fn has_log() -> bool"));
    assert!(g.contains("pub enum Level {"));
}

#[test]
fn greeter_host_api() {
    let h = generated("examples/greeter/wit/greeter.wit", Side::Host);
    assert!(h.contains("pub struct Greeter {"));
    assert!(h.contains("pub fn load<H: ImportsImpl>(path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<Self, ::plugport::error::LoadError>"));
    assert!(h.contains("pub fn greet(&self) -> exports::greet::Client<'_>"));
    // An owned string result stays in the plugin's buffer (plugport::owned).
    assert!(h.contains("pub fn greet(&self, name: &str) -> ::core::result::Result<::plugport::OwnedStr, ::plugport::rt::CallError>"));
    assert!(h.contains("pub fn has_language(&self) -> bool"));
    assert!(h.contains("fn log(level: super::super::imports::logger::Level, message: &str);"));
    assert!(h.contains("pub use imports::Implementation as ImportsImpl;"));
    assert!(h.contains("::plugport::rt::unsupported(\"greet.language\")"));
}

#[test]
fn codec_api() {
    let g = generated("examples/codec/wit/codec.wit", Side::Guest);
    assert!(g.contains("type Decoder: GuestDecoder;"));
    assert!(g.contains(
        "pub trait GuestDecoder: ::core::marker::Send + ::core::marker::Sync + 'static {"
    ));
    assert!(g.contains("fn new(max_frame: u32) -> Self where Self: Sized;"));
    assert!(g.contains("fn push(&self, data: &[u8]) -> ::core::result::Result<u32, super::super::exports::framing::CodecError>;"));
    assert!(g.contains("fn encode(frame: super::super::exports::framing::Frame) -> ::core::result::Result<::std::vec::Vec<u8>, super::super::exports::framing::CodecError>;"));
    let h = generated("examples/codec/wit/codec.wit", Side::Host);
    assert!(h.contains("pub fn load(path: impl ::core::convert::AsRef<::std::path::Path>)"));
    assert!(h.contains("pub fn decoder_new(&self, max_frame: u32) -> ::core::result::Result<super::super::exports::framing::Decoder, ::plugport::rt::CallError>"));
    assert!(h.contains("pub fn push(&self, data: &[u8]) -> ::core::result::Result<::core::result::Result<u32, super::super::exports::framing::CodecError>, ::plugport::rt::CallError>"));
    assert!(h.contains("pub fn encode(&self, frame: &super::super::exports::framing::Frame)"));
    assert!(h.contains("impl ::core::ops::Drop for Decoder {"));
}

#[test]
fn typecov_both_sides_parse() {
    for side in [Side::Guest, Side::Host] {
        let text = generated("tests/wit/typecov.wit", side);
        assert!(text.contains("pub const WORLD_JSON: &str = "));
    }
}
