// Generates the guest bindings for the codec world into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../wit/codec.wit")
        .world("codec")
        .rust_guest()
        .write_rust_to_out_dir("codec.rs")
        .expect("generate codec guest bindings");
}
