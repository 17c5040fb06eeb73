// Generates the guest bindings for the greeter world into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../wit/greeter.wit")
        .world("greeter")
        .rust_guest()
        .write_rust_to_out_dir("greeter.rs")
        .expect("generate greeter guest bindings");
}
