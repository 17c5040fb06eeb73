//! Rust host bindings of the worlds the tests in `tests/` load from real C plugins.

/// Host bindings of `test:fallible` (`tests/wit/fallible.wit`).
pub mod fallible {
    include!(concat!(env!("OUT_DIR"), "/fallible_host.rs"));
}

/// The C plugin of `test:fallible`, built by `build.rs`.
pub const FALLIBLE_C: &str = concat!(env!("OUT_DIR"), "/libfallible_c.so");

/// Host bindings of `test:collections` (`tests/wit/accept/collections.wit`): maps and
/// fixed-length lists.
pub mod collections {
    include!(concat!(env!("OUT_DIR"), "/collections_host.rs"));
}

/// The C plugin of `test:collections`, built by `build.rs`.
pub const COLLECTIONS_C: &str = concat!(env!("OUT_DIR"), "/libcollections_c.so");

/// Where `build.rs` wrote the C header `collections.h` and the Go package
/// `go/collectionsplugin` of `test:collections` (for tests/collections_go.rs).
pub const OUT_DIR: &str = env!("OUT_DIR");

/// Host bindings of `test:worldres` (`tests/wit/accept/worldres.wit`): a resource declared
/// at world level, implemented by the host.
pub mod worldres {
    include!(concat!(env!("OUT_DIR"), "/worldres_host.rs"));
}

/// Host bindings of `test:worldres@1.1.0` (`wit/worldres-1.1.wit`): a method and a static
/// appended to the world-level resource.
pub mod worldres11 {
    include!(concat!(env!("OUT_DIR"), "/worldres11_host.rs"));
}

/// The C plugin of `test:worldres`, built by `build.rs`.
pub const WORLDRES_C: &str = concat!(env!("OUT_DIR"), "/libworldres_c.so");

/// Building the Go sides of these tests (`go build -buildmode=c-shared` of a plugin, the
/// `plugport.pc` that cgo finds the C API through). Each needs `go`, `pkg-config` and a C
/// compiler (scripts/test.sh installs them); a missing tool panics with that hint.
pub mod gobuild {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    /// The repository's root directory (absolute).
    pub fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()
            .unwrap()
    }

    /// Runs `cmd` to its end and returns its output; panics when it cannot be started.
    pub fn run(cmd: &mut Command) -> Output {
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs it)"))
    }

    /// Writes `<dir>/pkgconfig/plugport.pc` from `bridge/capi/plugport.pc.in`, with the
    /// C API library in `libdir` and the headers of the repository, and returns the
    /// `pkgconfig` directory (for `PKG_CONFIG_PATH`).
    pub fn write_pkgconfig(dir: &Path, libdir: &Path) -> PathBuf {
        let root = repo();
        let pc = std::fs::read_to_string(root.join("bridge/capi/plugport.pc.in"))
            .unwrap()
            .replace("@PREFIX@", &root.display().to_string())
            .replace("@LIBDIR@", &libdir.display().to_string())
            .replace("@INCLUDEDIR@", &root.join("headers").display().to_string())
            .replace("@VERSION@", "0.0.0");
        let pcdir = dir.join("pkgconfig");
        std::fs::create_dir_all(&pcdir).unwrap();
        std::fs::write(pcdir.join("plugport.pc"), pc).unwrap();
        pcdir
    }

    /// Copies every file of `from` into the new directory `to`.
    pub fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }

    /// Builds a Go plugin in `dir`: a module of `main_go` (a path in the repository) and
    /// the generated package `<OUT_DIR>/<generated>/<package>` against the runtime module
    /// `bridge/go`, with `go build -buildmode=c-shared`. Returns the path of
    /// `<dir>/<lib_name>`; panics with go's error output when the build fails.
    pub fn build_go_plugin(
        dir: &Path,
        main_go: &str,
        generated: &str,
        package: &str,
        lib_name: &str,
    ) -> PathBuf {
        let root = repo();
        let module = dir.join("module");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(
            module.join("go.mod"),
            format!(
                "module example.invalid/plugport/tests/constructs/go\n\ngo 1.22\n\nrequire example.invalid/plugport/go v0.0.0\n\nreplace example.invalid/plugport/go => {}\n",
                root.join("bridge/go").display()
            ),
        )
        .unwrap();
        std::fs::copy(root.join(main_go), module.join("main.go")).unwrap();
        copy_dir(
            &Path::new(super::OUT_DIR).join(generated).join(package),
            &module.join(package),
        );
        let pcdir = write_pkgconfig(dir, dir);
        let lib = dir.join(lib_name);
        let out = run(Command::new("go")
            .args(["build", "-buildmode=c-shared", "-o"])
            .arg(&lib)
            .arg(".")
            .current_dir(&module)
            .env("PKG_CONFIG_PATH", pcdir)
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "-mod=mod"));
        assert!(
            out.status.success(),
            "go build:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lib
    }
}
