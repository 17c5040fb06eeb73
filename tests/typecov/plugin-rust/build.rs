// Generates the guest bindings for the typecov world into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../../wit/typecov.wit")
        .world("typecov")
        .rust_guest()
        .write_rust_to_out_dir("typecov.rs")
        .expect("generate typecov guest bindings");
}
