//! `scripts/install.sh --prefix <dir>` for C and C++ projects (issue 6, packaging), for
//! real: install into a temporary prefix, then
//!
//! - check the layout: the CLI, `libplugport.so.X.Y.Z` with SONAME `libplugport.so.X`
//!   and both symlinks, `libplugport.a`, `plugport.h`, `plugport.pc` and the CMake
//!   package;
//! - build `tests/cmake-consumer` (copied out of the source tree, with a copy of the
//!   greeter WIT) with `find_package(plugport CONFIG REQUIRED)` and `plugport_generate`:
//!   a C plugin, a C++ host (libplugport.so) and a C host (libplugport.a) that answer; a second build with nothing changed runs
//!   nothing, and touching the WIT regenerates the bindings (and rebuilds what includes
//!   them);
//! - build a C host with `pkg-config --cflags --libs plugport` and run it on the plugin.
//!
//! Installs the build of this test's own profile (`--profile dev --no-build` under
//! `cargo test`: cargo holds the build directory while tests run), so
//! `scripts/build-examples.sh` (run by `scripts/test.sh`) or `cargo build -p
//! plugport-capi -p plugport-codegen` must have built it. Needs cmake and pkg-config
//! (`scripts/test.sh` installs them); Ninja is used when present.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `release` or `dev`: the profile this test was built with, whose target folder holds
/// the libplugport and CLI to install.
fn profile() -> (&'static str, PathBuf) {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let name = if dir.file_name().is_some_and(|n| n == "release") {
        "release"
    } else {
        "dev"
    };
    (name, dir)
}

/// Runs `cmd` to success. `LD_LIBRARY_PATH` is removed: `cargo test` points it at the
/// build tree's libplugport, which would hide what the installed files resolve to.
fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .modified()
        .unwrap()
}

fn soname(lib: &Path) -> String {
    let out = run(Command::new("readelf").arg("-d").arg(lib));
    let dynamic = String::from_utf8_lossy(&out.stdout).into_owned();
    dynamic
        .lines()
        .find_map(|l| l.split_once("Library soname: [")?.1.split_once(']'))
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| panic!("{} has no SONAME:\n{dynamic}", lib.display()))
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

#[test]
fn install_then_consume_with_cmake_and_pkg_config() {
    for tool in ["cmake", "pkg-config", "readelf"] {
        assert!(
            have(tool),
            "{tool} is missing: scripts/test.sh installs it (apt-get install cmake pkg-config binutils)"
        );
    }
    let (profile, target) = profile();
    for f in ["plugport", "libplugport.so", "libplugport.a"] {
        assert!(
            target.join(f).is_file(),
            "{} missing: run `cargo build -p plugport-capi -p plugport-codegen` (scripts/test.sh \
             builds it through scripts/build-examples.sh)",
            target.join(f).display()
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    // No space in the prefix: pkg-config files cannot express one portably.
    let prefix = tmp.path().join("prefix");

    // Install.
    let out = run(Command::new(repo().join("scripts/install.sh"))
        .arg("--prefix")
        .arg(&prefix)
        .args(["--profile", profile, "--no-build"])
        .env("CARGO_TARGET_DIR", target.parent().unwrap()));
    let log = text(&out);
    let version = env!("CARGO_PKG_VERSION");
    let major = version.split('.').next().unwrap();
    let lib = prefix.join("lib");
    let real = lib.join(format!("libplugport.so.{version}"));
    assert!(real.is_file(), "{log}");
    assert_eq!(soname(&real), format!("libplugport.so.{major}"));
    assert_eq!(
        std::fs::read_link(lib.join(format!("libplugport.so.{major}"))).unwrap(),
        PathBuf::from(format!("libplugport.so.{version}"))
    );
    assert_eq!(
        std::fs::read_link(lib.join("libplugport.so")).unwrap(),
        PathBuf::from(format!("libplugport.so.{major}"))
    );
    for f in [
        "bin/plugport",
        "bin/plugport-runner",
        "lib/libplugport.a",
        "include/plugport.h",
        "lib/pkgconfig/plugport.pc",
        "lib/cmake/plugport/plugportConfig.cmake",
        "lib/cmake/plugport/plugportConfigVersion.cmake",
        "lib/cmake/plugport/plugportTargets.cmake",
        "lib/cmake/plugport/plugportGenerate.cmake",
    ] {
        assert!(prefix.join(f).is_file(), "{f} not installed:\n{log}");
    }
    assert_eq!(
        std::fs::read(prefix.join("include/plugport.h")).unwrap(),
        std::fs::read(repo().join("headers/plugport.h")).unwrap()
    );
    let targets =
        std::fs::read_to_string(prefix.join("lib/cmake/plugport/plugportTargets.cmake")).unwrap();
    assert!(!targets.contains('@'), "unfilled placeholder:\n{targets}");

    // The out-of-tree CMake project, with its own copy of the WIT.
    let src = tmp.path().join("consumer");
    copy_dir(&repo().join("tests/cmake-consumer"), &src);
    copy_dir(&repo().join("examples/greeter/wit"), &src.join("wit"));
    let build = tmp.path().join("build");
    let mut configure = Command::new("cmake");
    configure
        .arg("-S")
        .arg(&src)
        .arg("-B")
        .arg(&build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()));
    if have("ninja") {
        configure.args(["-G", "Ninja"]);
    }
    let out = run(&mut configure);
    assert!(
        text(&out).contains(&format!(
            "plugport {version}: {}",
            prefix.join("bin/plugport").display()
        )),
        "{}",
        text(&out)
    );
    let cmake_build = || run(Command::new("cmake").arg("--build").arg(&build));
    let out = cmake_build();
    assert!(
        text(&out).contains("plugport: generating c bindings"),
        "{}",
        text(&out)
    );
    let plugin = build.join("libgreeter_cmake.so");
    let host = build.join("greeter-host-cpp");
    let out = run(Command::new(&host).arg(&plugin).arg("Ada"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "c++ host: Hello from CMake, Ada!\n"
    );
    // Isolated (docs/isolation.md), the installed runtime finds the installed runner in
    // ../bin from libplugport: not on PATH, not next to the host.
    let out = run(Command::new(&host)
        .arg(&plugin)
        .arg("Ada")
        .env("PLUGPORT_ISOLATION", "process")
        .env_remove("PLUGPORT_RUNNER")
        .env("PATH", "/usr/bin:/bin"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "c++ host: Hello from CMake, Ada!\n"
    );
    // The static C host: no libplugport.so needed at run time.
    let static_host = build.join("greeter-host-c-static");
    let out = run(Command::new(&static_host).arg(&plugin).arg("Ada"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "c host: Hello from CMake, Ada!\n"
    );
    let ldd = text(&run(Command::new("ldd").arg(&static_host)));
    assert!(!ldd.contains("libplugport"), "{ldd}");
    // The host finds libplugport through the installed SONAME, not the build tree.
    let ldd = text(&run(Command::new("ldd").arg(&host)));
    assert!(
        ldd.contains(&format!(
            "libplugport.so.{major} => {}",
            lib.join(format!("libplugport.so.{major}")).display()
        )),
        "{ldd}"
    );

    // Nothing changed: nothing runs.
    let header = build.join("greeter_cmake_plugport_c/greeter.h");
    let before = mtime(&header);
    let out = cmake_build();
    assert!(
        !text(&out).contains("plugport: generating"),
        "a no-op build ran the generator:\n{}",
        text(&out)
    );
    assert_eq!(mtime(&header), before);
    let host_before = mtime(&host);

    // Editing a source that is not WIT rebuilds it, without the generator.
    let host_src = src.join("host.cpp");
    let file = std::fs::File::options()
        .append(true)
        .open(&host_src)
        .unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(1))
        .unwrap();
    drop(file);
    let out = cmake_build();
    assert!(
        !text(&out).contains("plugport: generating"),
        "editing host.cpp ran the generator:\n{}",
        text(&out)
    );
    assert!(mtime(&host) > host_before, "the host was not rebuilt");
    assert_eq!(mtime(&header), before);
    let host_before = mtime(&host);

    // Touch the WIT: the bindings are generated again, and what includes them rebuilt.
    let wit = src.join("wit/greeter.wit");
    let file = std::fs::File::options().append(true).open(&wit).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(3))
        .unwrap();
    drop(file);
    let out = cmake_build();
    assert!(
        text(&out).contains("plugport: generating c bindings"),
        "touching the WIT did not regenerate:\n{}",
        text(&out)
    );
    assert!(mtime(&header) > before);
    assert!(mtime(&host) > host_before, "the host was not rebuilt");
    let out = run(Command::new(&host).arg(&plugin).arg("Grace"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "c++ host: Hello from CMake, Grace!\n"
    );

    // The version file: 0.x versions are compatible within one minor version only.
    for (request, ok) in [
        ("0.1", true),
        ("0.1.0 EXACT", true),
        ("0.2", false),
        ("1.0", false),
    ] {
        let dir = tmp
            .path()
            .join(format!("version-{}", request.replace(' ', "-")));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("CMakeLists.txt"),
            format!(
                "cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES C)\n\
                 find_package(plugport {request} CONFIG REQUIRED)\n"
            ),
        )
        .unwrap();
        let out = Command::new("cmake")
            .arg("-S")
            .arg(&dir)
            .arg("-B")
            .arg(dir.join("build"))
            .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
            .output()
            .unwrap();
        assert_eq!(
            out.status.success(),
            ok,
            "find_package(plugport {request}) against {version}:\n{}",
            text(&out)
        );
    }

    // pkg-config: a C host built with its flags, against a header from the installed CLI.
    let pc = || {
        let mut c = Command::new("pkg-config");
        c.env("PKG_CONFIG_PATH", lib.join("pkgconfig"));
        c
    };
    let out = run(pc().args(["--modversion", "plugport"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), version);
    let flags = String::from_utf8_lossy(&run(pc().args(["--cflags", "--libs", "plugport"])).stdout)
        .trim()
        .to_string();
    let gen = tmp.path().join("pc-gen");
    run(Command::new(prefix.join("bin/plugport"))
        .arg("gen")
        .arg(src.join("wit"))
        .arg("--out")
        .arg(&gen)
        .args(["--lang", "c"]));
    let c_host = tmp.path().join("greeter-host-c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let args: Vec<&str> = flags.split_whitespace().collect();
    run(Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(src.join("host.c"))
        .arg("-I")
        .arg(&gen)
        .args(&args)
        .arg("-o")
        .arg(&c_host));
    let out = run(Command::new(&c_host).arg(&plugin).arg("Linus"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "c host: Hello from CMake, Linus!\n"
    );
}
