//! Gives `libplugport.so` a versioned SONAME, `libplugport.so.<major>` (`libplugport.so.0`
//! for 0.x), so that installed hosts record the ABI line they were linked against and a
//! future incompatible libplugport can be installed next to this one.
//!
//! Consequence for builds in the tree: a host linked with `-L target/<profile> -lplugport`
//! needs `libplugport.so.0` at run time, so `scripts/build-examples.sh` puts the symlink
//! `target/<profile>/libplugport.so.0 -> libplugport.so` next to the library, and
//! `scripts/install.sh` installs `libplugport.so.0.x.y` with both symlinks.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    // ELF targets take -soname; Mach-O would take -install_name, and Windows has none.
    let elf = !matches!(
        os.as_str(),
        "macos" | "ios" | "windows" | "tvos" | "watchos"
    );
    if elf {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libplugport.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
