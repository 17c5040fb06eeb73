// Generates the host bindings for the codec world into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../wit/codec.wit")
        .world("codec")
        .rust_host()
        .write_rust_to_out_dir("codec.rs")
        .expect("generate codec host bindings");
}
