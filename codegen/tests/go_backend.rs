//! The Go back end (`plugport gen --lang go`): for every world in tests/wit (each
//! tests/wit/*.wit file and the package tests/wit/multi) and the two examples, both
//! generated packages (host and plugin) must be gofmt-clean and pass `go vet` (which
//! type-checks the Go code and compiles the cgo preambles and the companion C files).
//! Needs `go`, `gofmt` and `pkg-config` (scripts/test.sh installs them); a missing tool
//! fails the test, it is never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use plugport::ir::World;
use plugport_codegen::frontend;
use plugport_codegen::go::{self, GoOptions, GoSide};

const KEYWORDS_WIT: &str = "package test:kw@1.0.0;

interface %type {
  variant status { ok, error(string), tag(u8) }
  record rec { error: string, tag: u32, default: bool }
  resource handle { constructor(); close: func(); has-close: func() -> bool; }
  check: func(s: status, r: rec, %type: u8, range: string) -> result<rec, status>;
  has-check: func() -> bool;
}

world go {
  export %type;
  import %type;
}
";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repository root")
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("go-backend")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create work dir");
    dir
}

/// Every world of the test fixtures: tests/wit/*.wit (each file's worlds), tests/wit/multi,
/// the examples and the seeds.
fn fixture_worlds() -> Vec<(String, World)> {
    let root = repo();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("tests/wit"))
        .expect("tests/wit")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wit"))
        .collect();
    paths.sort();
    paths.push(root.join("tests/wit/multi"));
    paths.push(root.join("tests/wit/accept/samename"));
    paths.push(root.join("examples/greeter/wit"));
    paths.push(root.join("examples/codec/wit"));
    // The seeds' worlds (examples/seeds): long names, such as `tester.return-interface`,
    // whose one-line Go bodies gofmt would break over lines.
    for seed in ["s1-variadic", "s5-versions", "s6-interface"] {
        paths.push(root.join("examples/seeds").join(seed).join("wit"));
    }
    // Own handles nested in records, options, variants, lists, tuples and results, of a
    // resource each side implements: the shims' checks for handles the package did not
    // make walk all of them (callee.rs, foreign_guard).
    paths.push(root.join("tests/rust-roundtrip/wit/edge.wit"));
    // Maps and fixed-length lists (issue 11, A.1 and A.2), own handles in map values.
    paths.push(root.join("tests/wit/accept/collections.wit"));
    // A resource declared at world level (issue 11, A.3): the host implements it.
    paths.push(root.join("tests/wit/accept/worldres.wit"));
    // Names that are Go keywords or clash with generated ones: a world named `go`, an
    // interface `type`, a variant case `tag` and `error`, fields `error` and `tag`,
    // parameters `type` and `range`, methods `close` and `has-close` (a resource handle
    // has Close and Has<Method>), an interface both imported and exported.
    let kw = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "go-backend-keywords-{:?}.wit",
        std::thread::current().id()
    ));
    std::fs::write(&kw, KEYWORDS_WIT).expect("write keywords fixture");
    paths.push(kw);
    let mut worlds = Vec::new();
    for p in paths {
        let w = frontend::load_world(&p, None).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        worlds.push((p.display().to_string(), w));
    }
    // The large package set (issue 11, A.9): three worlds of one package over five
    // dependency packages, with `use` chains through them.
    for name in ["proxy", "command", "worker"] {
        let p = root.join("tests/wit/large");
        let w =
            frontend::load_world(&p, Some(name)).unwrap_or_else(|e| panic!("large {name}: {e}"));
        worlds.push((format!("{}#{name}", p.display()), w));
    }
    assert!(worlds.len() >= 7, "fixtures went missing: {}", worlds.len());
    worlds
}

/// `name`, after checking that it can be run at all.
fn tool(name: &str) -> String {
    assert!(
        Command::new(name).arg("--help").output().is_ok(),
        "`{name}` is needed for the Go back end tests (scripts/test.sh installs it)"
    );
    name.to_string()
}

/// A module holding the generated packages of every world, with a go.mod that replaces
/// the runtime module by bridge/go, and a plugport.pc for `#cgo pkg-config: plugport`.
fn write_module(dir: &Path, worlds: &[(String, World)]) {
    let root = repo();
    std::fs::write(
        dir.join("go.mod"),
        format!(
            "module example.invalid/gentest\n\ngo 1.22\n\nrequire example.invalid/plugport/go v0.0.0\n\nreplace example.invalid/plugport/go => {}\n",
            root.join("bridge/go").display()
        ),
    )
    .expect("go.mod");
    let pc = std::fs::read_to_string(root.join("bridge/capi/plugport.pc.in")).expect("pc.in");
    let pc = pc
        .replace("@PREFIX@", &root.display().to_string())
        .replace("@LIBDIR@", &dir.display().to_string())
        .replace("@INCLUDEDIR@", &root.join("headers").display().to_string())
        .replace("@VERSION@", "0.0.0");
    std::fs::create_dir_all(dir.join("pkgconfig")).expect("pkgconfig dir");
    std::fs::write(dir.join("pkgconfig/plugport.pc"), pc).expect("plugport.pc");
    let opts = GoOptions::default();
    for (i, (_, world)) in worlds.iter().enumerate() {
        let sub = dir.join(format!("w{i}"));
        for side in [GoSide::Host, GoSide::Guest] {
            for f in go::generate(world, side, &opts) {
                let path = sub.join(&f.name);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, &f.contents).expect("write");
            }
        }
    }
}

fn go_cmd(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(tool("go"))
        .args(args)
        .current_dir(dir)
        .env("PKG_CONFIG_PATH", dir.join("pkgconfig"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("run go")
}

#[test]
fn every_fixture_world_generates_go_packages_that_are_gofmt_clean_vet_and_build() {
    tool("pkg-config");
    let worlds = fixture_worlds();
    let dir = workdir("fixtures");
    write_module(&dir, &worlds);
    let fmt = Command::new(tool("gofmt"))
        .arg("-l")
        .arg(".")
        .current_dir(&dir)
        .output()
        .expect("run gofmt");
    assert!(fmt.status.success(), "gofmt: {fmt:?}");
    assert_eq!(
        String::from_utf8_lossy(&fmt.stdout),
        "",
        "gofmt -l lists generated files"
    );
    let vet = go_cmd(&dir, &["vet", "./..."]);
    assert!(
        vet.status.success(),
        "go vet failed for the generated packages of {:?}:\n{}",
        worlds.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&vet.stderr)
    );
    // go vet does not compile the companion C files (<pkg>_cgo.c); go build does.
    let build = go_cmd(&dir, &["build", "./..."]);
    assert!(
        build.status.success(),
        "go build failed for the generated packages:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
}

#[test]
fn generated_files_carry_the_banner_and_the_packages_their_api() {
    let worlds = fixture_worlds();
    let (_, greeter) = worlds
        .iter()
        .find(|(p, _)| p.ends_with("greeter/wit"))
        .expect("greeter");
    let host = go::generate(greeter, GoSide::Host, &GoOptions::default());
    let names: Vec<&str> = host.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "greeter/greeter.h",
            "greeter/greeter.go",
            "greeter/greeter_export.go",
            "greeter/greeter_cgo.c"
        ]
    );
    for f in &host[1..] {
        assert!(
            f.contents
                .starts_with("// Code generated by plugport. DO NOT EDIT.\n"),
            "{}",
            f.name
        );
    }
    let main = &host[1].contents;
    assert!(main.contains("func Load(path string, imports Imports) (*World, error)"));
    assert!(main.contains("func (gpC Greet) Greet(name string) (string, error)"));
    assert!(main.contains("type Logger interface {\n\tLog(level Level, message string) error\n}"));
    assert!(main.contains("#cgo pkg-config: plugport"));
    // C pointers stay integers on the Go side: generated code never turns one into a
    // Go pointer (docs/go.md, "Pointers").
    for f in &host[1..3] {
        assert!(
            !f.contents.contains("unsafe.Pointer(uintptr("),
            "{}",
            f.name
        );
    }

    let opts = GoOptions {
        plugin_name: Some("my \"plugin\"".into()),
        plugin_version: Some("2.3.4".into()),
    };
    let guest = go::generate(greeter, GoSide::Guest, &opts);
    assert_eq!(guest[0].name, "greeterplugin/greeter.h");
    let c = &guest[3].contents;
    assert!(
        c.contains("#define GP_PLUGIN_NAME \"my \\\"plugin\\\"\""),
        "{c}"
    );
    assert!(c.contains("#define GP_PLUGIN_VERSION \"2.3.4\""));
    assert!(
        c.contains("EXAMPLE_GREETER_V1_GREETER_EXPORT(GP_PLUGIN_NAME, GP_PLUGIN_VERSION, gp_init)")
    );
    assert!(c.contains(
        "EXAMPLE_GREETER_V1_GREET_GREET_TRAMPOLINE(gp_tramp_greet_greet, gp_impl_greet_greet)"
    ));
    // The header copy is exactly the C back end's header.
    assert_eq!(
        guest[0].contents,
        plugport_codegen::c::generate(greeter).contents
    );
}

const OWNED_WIT: &str = "package test:owned@1.0.0;

interface things {
  resource thing {
    constructor();
    id: func() -> u32;
  }
  record pair { a: thing, b: thing }
  make-pair: func(fail: bool) -> pair;
}

world owned {
  export things;
}
";

/// C calls the Go plugin package's make-pair through its entry and the header's checked
/// caller, then releases the result as a host does (docs/abi.md section 6).
const OWNED_HARNESS_GO: &str = r#"package ownedplugin

/*
#include <string.h>
#include "owned.h"

static int32_t harness_make_pair(int fail) {
    test_owned_v1_owned_imports imp;
    const test_owned_v1_owned_exports *ex = NULL;
    const test_owned_v1_things_table *t;
    pp_string e = {NULL, 0};
    pp_error err;
    test_owned_v1_things_pair ret;
    pp_status st;
    memset(&imp, 0, sizeof imp);
    imp.header.size = (uint32_t)sizeof imp;
    imp.header.version = 0x00010000u;
    if (plugport_entry_test_owned_v1_owned(1u, &imp, &ex, &e) != PP_OK) {
        return -1;
    }
    t = test_owned_v1_owned_exports_get_things(ex);
    st = test_owned_v1_things_call_make_pair(t, (uint8_t)fail, &ret, &err);
    if (st == PP_OK) {
        test_owned_v1_things_pair_release(&ret, t->header.dealloc);
    }
    pp_error_release(&err);
    return st;
}
*/
import "C"

func harnessMakePair(fail bool) int32 {
	f := C.int(0)
	if fail {
		f = 1
	}
	return int32(C.harness_make_pair(f))
}
"#;

const OWNED_TEST_GO: &str = r#"package ownedplugin

import (
	"sync/atomic"
	"testing"

	plugport "example.invalid/plugport/go"
)

var drops atomic.Int32

type thing struct{}

func (*thing) Id() (uint32, error) { return 7, nil }
func (*thing) Drop()               { drops.Add(1) }

type things struct{}

func (things) NewThing() (Thing, error) { return &thing{}, nil }

// MakePair with fail returns a pair whose second handle is nil: lowering the result
// panics after the first handle's cell was made.
func (things) MakePair(fail bool) (Pair, error) {
	if fail {
		return Pair{A: &thing{}}, nil
	}
	return Pair{A: &thing{}, B: &thing{}}, nil
}

func TestOwnHandlesOfAFailedResultAreDroppedOnce(t *testing.T) {
	Export(Exports{Things: things{}})
	if st := harnessMakePair(true); st != int32(plugport.StatusPanic) {
		t.Fatalf("make-pair(fail) status %d, want PP_ERR_PANIC", st)
	}
	if n := plugport.LiveObjects(); n != 0 {
		t.Fatalf("a failed result leaked %d own handle(s)", n)
	}
	if n := drops.Load(); n != 1 {
		t.Fatalf("the handle made before the failure was dropped %d times, want 1", n)
	}
	drops.Store(0)
	if st := harnessMakePair(false); st != 0 {
		t.Fatalf("make-pair status %d", st)
	}
	if n, d := plugport.LiveObjects(), drops.Load(); n != 0 || d != 2 {
		t.Fatalf("after the host released a pair: %d live, %d drops; want 0 and 2", n, d)
	}
}
"#;

/// A plugin's result holding own handles that fails part way through lowering (a panic
/// in the implementation's value) drops the handles it already made, once each (docs/abi.md
/// section 5, "Handle"; rule 2): C calls the generated Go package through its entry and
/// the checked caller.
#[test]
fn own_handles_of_a_result_that_fails_to_lower_are_dropped_once() {
    let dir = workdir("owned");
    let wit = dir.join("owned.wit");
    std::fs::write(&wit, OWNED_WIT).expect("write owned.wit");
    let world = frontend::load_world(&wit, None).expect("owned.wit");
    write_module(&dir, &[]);
    let pkg = dir.join("ownedplugin");
    for f in go::generate(&world, GoSide::Guest, &GoOptions::default()) {
        let path = dir.join(&f.name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write");
    }
    std::fs::write(pkg.join("harness.go"), OWNED_HARNESS_GO).expect("harness.go");
    std::fs::write(pkg.join("owned_test.go"), OWNED_TEST_GO).expect("owned_test.go");
    let out = go_cmd(&dir, &["test", "-count=1", "./ownedplugin"]);
    assert!(
        out.status.success(),
        "go test:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
