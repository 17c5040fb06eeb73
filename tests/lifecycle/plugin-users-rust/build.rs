// Generates the guest bindings for the users world into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../wit/users.wit")
        .world("users")
        .rust_guest()
        .write_rust_to_out_dir("users.rs")
        .expect("generate users guest bindings");
}
