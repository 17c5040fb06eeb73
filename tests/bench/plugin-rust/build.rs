fn main() {
    plugport_codegen::Builder::new("../wit/bench.wit")
        .world("bench")
        .rust_guest()
        .write_rust_to_out_dir("bench.rs")
        .expect("generate bench guest bindings");
}
