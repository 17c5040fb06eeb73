// Generates the guest bindings for the greeter world at 1.1 into $OUT_DIR on every build.
fn main() {
    plugport_codegen::Builder::new("../wit-1.1/greeter.wit")
        .world("greeter")
        .rust_guest()
        .write_rust_to_out_dir("greeter.rs")
        .expect("generate greeter 1.1 guest bindings");
}
