// Generates the host bindings for the seed003 world into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../wit/seed003.wit")
        .world("seed003")
        .rust_host()
        .write_rust_to_out_dir("seed003.rs")
        .expect("generate seed003 host bindings");
}
