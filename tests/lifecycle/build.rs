//! Generates, into `$OUT_DIR`, the Rust host bindings the tests load plugins with
//! (greeter 1.0 and 1.1, users, codec) and the C headers the tests compile C plugins
//! against (`$OUT_DIR/include/<name>/<world>.h`): greeter 1.0, 1.1 and 2.0 (a copy of the
//! 1.0 WIT with the major version bumped), users, and users with the changed record.

use std::path::{Path, PathBuf};

use plugport_codegen::Builder;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let greeter_1_0 = Path::new("../../examples/greeter/wit/greeter.wit");
    let greeter_1_1 = Path::new("../../examples/greeter/wit-1.1/greeter.wit");
    let users = Path::new("wit/users.wit");
    let codec = Path::new("../../examples/codec/wit/codec.wit");

    for (wit, world, file) in [
        (greeter_1_0, "greeter", "greeter_1_0.rs"),
        (greeter_1_1, "greeter", "greeter_1_1.rs"),
        (users, "users", "users.rs"),
        (codec, "codec", "codec.rs"),
    ] {
        Builder::new(wit)
            .world(world)
            .rust_host()
            .write_rust_to_out_dir(file)
            .unwrap_or_else(|e| panic!("generate {file}: {e}"));
    }

    // greeter 2.0.0: the 1.0 WIT with another major version (a breaking line).
    let text = std::fs::read_to_string(greeter_1_0).expect("read greeter.wit");
    let v2 = text.replace(
        "package example:greeter@1.0.0;",
        "package example:greeter@2.0.0;",
    );
    assert_ne!(
        text, v2,
        "greeter.wit no longer declares example:greeter@1.0.0"
    );
    let v2_dir = out.join("wit-2.0");
    std::fs::create_dir_all(&v2_dir).expect("create wit-2.0");
    let v2_wit = v2_dir.join("greeter.wit");
    if std::fs::read_to_string(&v2_wit).ok().as_deref() != Some(v2.as_str()) {
        std::fs::write(&v2_wit, v2).expect("write wit-2.0/greeter.wit");
    }

    let include = out.join("include");
    for (wit, world, dir) in [
        (greeter_1_0, "greeter", "greeter-1.0"),
        (greeter_1_1, "greeter", "greeter-1.1"),
        (v2_wit.as_path(), "greeter", "greeter-2.0"),
        (users, "users", "users"),
        (Path::new("wit/changed/users.wit"), "users", "users-changed"),
    ] {
        Builder::new(wit)
            .world(world)
            .write_c_header(include.join(dir))
            .unwrap_or_else(|e| panic!("generate {dir} header: {e}"));
    }
}
