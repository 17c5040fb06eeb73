//! The generated C headers, checked by real compilers: gcc and clang as C99 and C11, g++
//! and clang++ as C++17, all with `-Wall -Wextra -Werror -pedantic`. Plugins built with
//! the `EXPORT` macro are loaded and their entry and descriptor checked; the release
//! helpers and host helpers are run; the layout checks are shown to fire.
//!
//! Needs gcc, g++, clang, clang++, nm and objcopy: `tests/c/install-compilers.sh`
//! installs them (Debian packages `gcc g++ clang binutils`). A missing tool fails the
//! test; nothing is skipped.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plugport_codegen::c;
use plugport_codegen::c::descriptor::world_json;
use plugport_codegen::frontend::load_world;
use plugport_codegen::ir::{snake, World};

const WARNINGS: &[&str] = &["-Wall", "-Wextra", "-Werror", "-pedantic"];

/// One way of compiling: a compiler, its language and standard.
#[derive(Clone, Copy, Debug)]
struct Mode {
    cc: &'static str,
    lang: &'static str,
    std: &'static str,
}

/// A strict C99 compiler without GNU extensions (no `_Alignof`, no `__alignof__`): clang
/// with `__GNUC__` undefined, which glibc's headers accept. Only for code that does not
/// build a plugin (the descriptor's section attribute needs a GNU compiler or MSVC).
/// `PLUGPORT_TEST_STRICT_C99` tells test sources which mode they are compiled in.
const STRICT_C99: (Mode, &[&str]) = (
    Mode {
        cc: "clang",
        lang: "c",
        std: "-std=c99",
    },
    &["-U__GNUC__", "-DPLUGPORT_TEST_STRICT_C99"],
);

/// Every mode a header must compile in.
const MODES: &[Mode] = &[
    Mode {
        cc: "gcc",
        lang: "c",
        std: "-std=c99",
    },
    Mode {
        cc: "clang",
        lang: "c",
        std: "-std=c99",
    },
    Mode {
        cc: "gcc",
        lang: "c",
        std: "-std=c11",
    },
    Mode {
        cc: "clang",
        lang: "c",
        std: "-std=c11",
    },
    Mode {
        cc: "g++",
        lang: "c++",
        std: "-std=c++17",
    },
    Mode {
        cc: "clang++",
        lang: "c++",
        std: "-std=c++17",
    },
];

const GREETER: &str = "examples/greeter/wit/greeter.wit";
const CODEC: &str = "examples/codec/wit/codec.wit";
const TYPECOV: &str = "tests/wit/typecov.wit";

/// The three worlds of the repository, as `(label, WIT path)`.
const WORLDS: &[(&str, &str)] = &[("greeter", GREETER), ("codec", CODEC), ("typecov", TYPECOV)];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen is in the workspace")
        .to_path_buf()
}

fn load(path: &Path) -> World {
    load_world(path, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The world of `rel`, a path relative to the repository root or `path#world`.
fn repo_world(rel: &str) -> World {
    let (path, world) = common::split_world(rel);
    let path = repo().join(path);
    load_world(&path, world).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A fresh directory for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("c_header")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the header of `world` into `dir` and returns its file name.
fn write_header(dir: &Path, world: &World) -> String {
    let file = c::generate(world);
    fs::write(dir.join(&file.name), &file.contents).unwrap();
    file.name
}

/// Runs a command; a tool that cannot be started fails the test with how to install it.
fn run(cmd: &mut Command) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{program}`: {e}. Install the C toolchain: tests/c/install-compilers.sh \
             (Debian: apt-get install gcc g++ clang binutils)"
        )
    })
}

/// Compiles `source` in `mode` with `-I` for each include dir and `extra` arguments.
fn compile(mode: Mode, source: &Path, includes: &[&Path], extra: &[&str]) -> Output {
    let mut cmd = Command::new(mode.cc);
    cmd.arg(mode.std).args(WARNINGS);
    for dir in includes {
        cmd.arg("-I").arg(dir);
    }
    cmd.args(extra).arg("-x").arg(mode.lang).arg(source);
    run(&mut cmd)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_compiles(mode: Mode, source: &Path, includes: &[&Path], extra: &[&str]) {
    let out = compile(mode, source, includes, extra);
    assert!(
        out.status.success(),
        "{} {} {} failed on {}:\n{}",
        mode.cc,
        mode.std,
        extra.join(" "),
        source.display(),
        stderr(&out)
    );
}

/// `<PREFIX>_<WORLD>` of a world, for its macros.
fn upper(world: &World) -> String {
    format!("{}_{}", world.package.c_prefix(), snake(&world.name)).to_ascii_uppercase()
}

fn lower(world: &World) -> String {
    format!("{}_{}", world.package.c_prefix(), snake(&world.name))
}

/// A C plugin for `world` with a trivial INIT that returns a zeroed exports table whose
/// header says size = sizeof, version = 0x7777, and a live-objects count of 0.
fn plugin_source(world: &World, header: &str) -> String {
    let l = lower(world);
    format!(
        r#"#include "{header}"

static {l}_exports exports_table;

static pp_status init(const {l}_imports *imports, const {l}_exports **exports,
                      pp_string *err) {{
    (void)imports;
    (void)err;
    exports_table.header.size = (uint32_t)sizeof exports_table;
    exports_table.header.version = 0x7777u;
    *exports = &exports_table;
    return PP_OK;
}}

static size_t live_objects(void) {{
    return 0;
}}

{u}_EXPORT("test-plugin", "1.2.3", init)
{u}_LIVE_OBJECTS(live_objects)
"#,
        u = upper(world)
    )
}

/// Two worlds of one package with different world-level types of one name: each header
/// is fine alone, but the second must not silently take the first's definition of the
/// shared name. The guard's hash turns that into a compile error.
#[test]
fn different_definitions_under_one_name_do_not_compile_together() {
    let dir = workdir("different");
    let wit = dir.join("two.wit");
    fs::write(
        &wit,
        "package test:two@1.0.0;\n\
         world a { record item { x: u32 } export f: func(i: item, l: list<item>); }\n\
         world b { record item { x: u64, y: u64 } export f: func(i: item, l: list<item>); }\n\
         world c { record item { x: u32 } export g: func(i: list<item>); }\n",
    )
    .unwrap();
    let mut headers = Vec::new();
    for name in ["a", "b", "c"] {
        headers.push(write_header(&dir, &load_world(&wit, Some(name)).unwrap()));
    }
    // An identical definition (a and c) is shared; a different one (a and b) is an error.
    for (pair, ok) in [((0, 2), true), ((0, 1), false), ((1, 0), false)] {
        let source = dir.join(format!("pair{}{}.c", pair.0, pair.1));
        fs::write(
            &source,
            format!(
                "#include \"{}\"\n#include \"{}\"\nint unused_marker;\n",
                headers[pair.0], headers[pair.1]
            ),
        )
        .unwrap();
        for mode in MODES {
            let out = compile(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
            assert_eq!(
                out.status.success(),
                ok,
                "{mode:?} {pair:?}: {}",
                stderr(&out)
            );
            if !ok {
                assert!(
                    stderr(&out).contains(
                        "test_two_v1_item is already defined differently by another header"
                    ),
                    "{mode:?}: {}",
                    stderr(&out)
                );
            }
        }
    }
}

/// The header of the world in `wit` compiles in every mode, included twice, and on
/// 32-bit targets (where the layout checks are skipped).
fn header_compiles(label: &str, wit: &str) {
    let dir = workdir(&format!("compile_{label}"));
    let world = repo_world(wit);
    let header = write_header(&dir, &world);
    let source = dir.join("use.c");
    fs::write(
        &source,
        format!(
            "#include \"{header}\"\n#include \"{header}\" /* include guard */\n\
             size_t tables_size(void);\n\
             size_t tables_size(void) {{\n    \
             return sizeof({l}_exports) + sizeof({l}_imports);\n}}\n",
            l = lower(&world)
        ),
    )
    .unwrap();
    for mode in MODES {
        assert_compiles(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
    }
    let (strict, no_gnu) = STRICT_C99;
    assert_compiles(
        strict,
        &source,
        &[&dir],
        &[no_gnu, &["-c", "-o", "/dev/null"]].concat(),
    );
    // Defining a type inside offsetof is undefined in ISO C; the header never does.
    let h = fs::read_to_string(dir.join(&header)).unwrap();
    assert!(!h.contains("offsetof(struct {"), "{label}");
    for cc in ["gcc", "clang"] {
        let mode = Mode {
            cc,
            lang: "c",
            std: "-std=c99",
        };
        assert_compiles(
            mode,
            &source,
            &[&dir],
            &["-m32", "-ffreestanding", "-fsyntax-only"],
        );
    }
}

#[test]
fn greeter_header_compiles() {
    header_compiles("greeter", GREETER);
}

#[test]
fn codec_header_compiles() {
    header_compiles("codec", CODEC);
}

#[test]
fn typecov_header_compiles() {
    header_compiles("typecov", TYPECOV);
}

/// Every world of the repository's WIT that the generator accepts: the examples and
/// tests/wit (without tests/wit/refuse), each directory or file one world.
fn all_repo_worlds() -> Vec<(String, World)> {
    let paths = common::repo_world_paths();
    paths
        .into_iter()
        .map(|p| (p.clone(), repo_world(&p)))
        .collect()
}

/// C source that instantiates every validating trampoline of `worlds` (whose headers it
/// includes) around the slot of a zeroed table, and stores each in a slot of its table
/// type, so the macro bodies are compiled and their signatures checked against the slots.
fn trampoline_uses(worlds: &[&World], headers: &[String]) -> String {
    let mut out: String = headers
        .iter()
        .map(|h| format!("#include \"{h}\"\n"))
        .collect();
    let mut tables: Vec<String> = Vec::new();
    let mut defs = String::new();
    let mut uses = String::new();
    let mut k = 0;
    for w in worlds {
        for t in c::idents::trampolines(w) {
            let n = tables
                .iter()
                .position(|x| *x == t.table)
                .unwrap_or_else(|| {
                    tables.push(t.table.clone());
                    tables.len() - 1
                });
            defs += &format!("{}(pp_tramp_{k}, pp_tbl{n}.{})\n", t.macro_name, t.slot);
            uses += &format!(
                "    {{\n        {} t = pp_tbl{n};\n        t.{} = pp_tramp_{k};\n        (void)t;\n    }}\n",
                t.table, t.slot
            );
            k += 1;
        }
    }
    for (n, t) in tables.iter().enumerate() {
        out += &format!("static {t} pp_tbl{n};\n");
    }
    out += &defs;
    out += &format!("void pp_use_all(void);\nvoid pp_use_all(void) {{\n{uses}}}\n");
    out
}

/// Every world's header compiles in every mode (and strict C99, and 32-bit), with every
/// validating trampoline instantiated and every checked caller and validator compiled.
#[test]
fn every_world_compiles_with_every_trampoline_instantiated() {
    let dir = workdir("trampolines");
    for (i, (rel, world)) in all_repo_worlds().iter().enumerate() {
        let sub = dir.join(format!("w{i}"));
        fs::create_dir_all(&sub).unwrap();
        let header = write_header(&sub, world);
        let source = sub.join("use.c");
        fs::write(&source, trampoline_uses(&[world], &[header])).unwrap();
        if !c::idents::trampolines(world).is_empty() {
            let text = fs::read_to_string(&source).unwrap();
            assert!(text.contains("_TRAMPOLINE(pp_tramp_0, "), "{rel}");
        }
        for mode in MODES {
            assert_compiles(*mode, &source, &[&sub], &["-c", "-o", "/dev/null"]);
        }
        let (strict, no_gnu) = STRICT_C99;
        assert_compiles(
            strict,
            &source,
            &[&sub],
            &[no_gnu, &["-c", "-o", "/dev/null"]].concat(),
        );
        let m32 = Mode {
            cc: "gcc",
            lang: "c",
            std: "-std=c99",
        };
        assert_compiles(
            m32,
            &source,
            &[&sub],
            &["-m32", "-ffreestanding", "-fsyntax-only"],
        );
    }
}

#[test]
fn headers_of_several_worlds_compile_together() {
    let dir = workdir("together");
    let mut includes = String::new();
    let mut worlds = Vec::new();
    let mut headers = Vec::new();
    let mut rels: Vec<&str> = WORLDS.iter().map(|(_, wit)| *wit).collect();
    rels.extend([
        "tests/wit/multi",
        "tests/wit/accept/samename",
        "tests/wit/uses.wit",
        "tests/wit/worldtypes.wit",
        // The large package set: three worlds of one package over five dependency
        // packages (issue 11, A.9).
        "tests/wit/large#proxy",
        "tests/wit/large#command",
        "tests/wit/large#worker",
    ]);
    for wit in rels {
        let world = repo_world(wit);
        let header = write_header(&dir, &world);
        includes += &format!("#include \"{header}\"\n");
        headers.push(header);
        worlds.push(world);
    }
    // Two worlds of one package share types and tables: each is defined once.
    let wit = common::write_two_worlds(&dir);
    let full = load_world(&wit, Some("full")).unwrap();
    let lite = load_world(&wit, Some("lite")).unwrap();
    for w in [full, lite] {
        let header = write_header(&dir, &w);
        includes += &format!("#include \"{header}\"\n");
        headers.push(header);
        worlds.push(w);
    }
    let source = dir.join("all.c");
    fs::write(&source, format!("{includes}int unused_marker;\n")).unwrap();
    for mode in MODES {
        assert_compiles(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
    }
    // The same, with every trampoline of every world instantiated (the shared interface
    // of `full` and `lite` has one definition of each macro, instantiated twice).
    let source = dir.join("trampolines.c");
    let refs: Vec<&World> = worlds.iter().collect();
    fs::write(&source, trampoline_uses(&refs, &headers)).unwrap();
    for mode in MODES {
        assert_compiles(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
    }
}

#[test]
fn header_layout_follows_the_contract() {
    let world = repo_world(CODEC);
    let file = c::generate(&world);
    assert_eq!(file.name, "codec.h");
    assert_eq!(file, c::generate(&world), "generation is deterministic");
    let h = &file.contents;
    let at = |needle: &str| {
        h.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in the header"))
    };
    assert!(h.contains("#ifndef PLUGPORT_ABI_CORE_V1"));
    assert!(h.contains("DO NOT EDIT"));
    assert!(h.contains("example:codec@1.0.0"));
    // The vtable is forward-declared before the handle, defined after all types.
    let forward = at("typedef struct example_codec_v1_framing_decoder_vtable \
                      example_codec_v1_framing_decoder_vtable;");
    let handle = at("typedef struct example_codec_v1_framing_decoder {");
    let vtable = at("struct example_codec_v1_framing_decoder_vtable {");
    let last_type = at("} example_codec_v1_result_list_u8_framing_codec_error;");
    assert!(forward < handle && handle < vtable && last_type < vtable);
    // Slots: self first for methods, ret before err.
    assert!(h.contains(
        "pp_status (*pull)(void *self, example_codec_v1_option_framing_frame *ret, pp_string *err);"
    ));
    assert!(h.contains("void (*drop)(void *self);"));
    assert!(h.contains("const example_codec_v1_framing_table *framing;"));
    // The world JSON macro matches what the descriptor must carry.
    let json = world_json(&world);
    assert!(h.contains(&format!(
        "#define EXAMPLE_CODEC_V1_CODEC_WORLD_JSON_LEN {}\n",
        json.len()
    )));
    assert!(json.starts_with("{\"fingerprint\":\""));
    assert!(h.contains("EXAMPLE_CODEC_V1_CODEC_EXPORT(NAME, VERSION, INIT)"));
    assert!(h.contains("#define EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_MALFORMED ((uint8_t)2)"));
    assert!(h.contains(
        "PP_STATIC_ASSERT(sizeof(example_codec_v1_framing_frame) == 24, \
         example_codec_v1_framing_frame__size);"
    ));
}

/// Builds a plugin for the world in `wit` with each compiler (C and C++, with hidden
/// default visibility), then checks its exported symbols, its `.plugport` section, and
/// its entry's behaviour.
fn export_macro_builds_a_loadable_plugin(label: &str, wit: &str) {
    let dir = workdir(&format!("export_{label}"));
    let host = dir.join("entry_host");
    let out = run(Command::new("cc")
        .arg(repo().join("tests/c/entry_host.c"))
        .arg("-o")
        .arg(&host)
        .arg("-ldl"));
    assert!(out.status.success(), "entry_host: {}", stderr(&out));
    let world = repo_world(wit);
    let header = write_header(&dir, &world);
    let source = dir.join("plugin.c");
    fs::write(&source, plugin_source(&world, &header)).unwrap();
    for mode in MODES {
        let lib = dir.join(format!("lib{label}_{}{}.so", mode.cc, mode.std));
        let lib_arg = lib.to_str().unwrap();
        assert_compiles(
            *mode,
            &source,
            &[&dir],
            &["-shared", "-fPIC", "-fvisibility=hidden", "-o", lib_arg],
        );
        check_plugin(&world, &lib, &host, &dir);
    }
}

/// A plugin's translation unit may define `PP_PLUGIN_SIDE`: the checked callers of the
/// exports (which only hosts call) are left out, those of the imports stay, and the plugin
/// built from it is the same (descriptor, entry) in every mode.
#[test]
fn plugin_side_leaves_out_only_the_callers_of_exports() {
    let dir = workdir("plugin_side");
    let host = dir.join("entry_host");
    let out = run(Command::new("cc")
        .arg(repo().join("tests/c/entry_host.c"))
        .arg("-o")
        .arg(&host)
        .arg("-ldl"));
    assert!(out.status.success(), "entry_host: {}", stderr(&out));
    let world = repo_world(GREETER);
    let header = write_header(&dir, &world);
    let plugin = dir.join("plugin.c");
    fs::write(
        &plugin,
        format!("#define PP_PLUGIN_SIDE\n{}", plugin_source(&world, &header)),
    )
    .unwrap();
    for mode in MODES {
        let lib = dir.join(format!("libgreeter_{}{}.so", mode.cc, mode.std));
        let lib_arg = lib.to_str().unwrap();
        assert_compiles(
            *mode,
            &plugin,
            &[&dir],
            &["-shared", "-fPIC", "-fvisibility=hidden", "-o", lib_arg],
        );
        check_plugin(&world, &lib, &host, &dir);
    }
    // The import `logger.log` keeps its caller; the export `greet.greet` has none.
    let call = |side: bool, f: &str, args: &str| {
        format!(
            "{}#include \"{header}\"\n\
             pp_status use_it(const void *t);\n\
             pp_status use_it(const void *t) {{\n    \
             pp_string s;\n    pp_string ret;\n    pp_error err;\n    \
             s.ptr = NULL;\n    s.len = 0;\n    (void)ret;\n    \
             return {f}(t, {args}, &err);\n}}\n",
            if side { "#define PP_PLUGIN_SIDE\n" } else { "" }
        )
    };
    let log = "example_greeter_v1_logger_call_log";
    let log_args = "EXAMPLE_GREETER_V1_LOGGER_LEVEL_INFO, s";
    let greet = "example_greeter_v1_greet_call_greet";
    let greet_args = "s, &ret";
    for (side, f, args, ok) in [
        (true, log, log_args, true),
        (true, greet, greet_args, false),
        (false, greet, greet_args, true),
        (false, log, log_args, true),
    ] {
        let source = dir.join(format!("call_{side}_{f}.c"));
        fs::write(&source, call(side, f, args)).unwrap();
        let mode = MODES[0];
        let out = compile(mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
        assert_eq!(
            out.status.success(),
            ok,
            "PP_PLUGIN_SIDE {side}, {f}: {}",
            stderr(&out)
        );
        if !ok {
            assert!(stderr(&out).contains(f), "{}", stderr(&out));
        }
    }
}

/// The world JSON's string literal (`<PREFIX>_<W>_WORLD_JSON_STR`) spells any bytes: every
/// byte value, quotes, backslashes and `??=` (a C99 trigraph), longer than the 4,095
/// characters C99 promises, read back exactly in C and C++ with `-pedantic -Werror`.
#[test]
fn world_json_string_literal_spells_every_byte() {
    let dir = workdir("string_literal");
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    bytes.extend_from_slice(b"??=??/\"\\0123\x7f");
    while bytes.len() < 5000 {
        bytes.extend_from_slice(b"{\"k\":\"v??(\"}");
    }
    let mut lit = String::new();
    c::descriptor::string_literal_lines(&mut lit, &bytes);
    let source = dir.join("lit.c");
    let header = h_overlength(&dir);
    fs::write(
        &source,
        format!(
            "#include <stdio.h>\n#include \"{header}\"\n#define LIT \\\n{lit}\n\
             PP_OVERLENGTH_STRINGS_BEGIN\n\
             static const unsigned char bytes[] = LIT;\n\
             PP_OVERLENGTH_STRINGS_END\n\
             int main(void) {{\n    \
             return fwrite(bytes, 1, sizeof bytes - 1, stdout) == sizeof bytes - 1 ? 0 : 1;\n}}\n"
        ),
    )
    .unwrap();
    for mode in MODES {
        let exe = dir.join(format!("lit_{}{}", mode.cc, mode.std));
        assert_compiles(*mode, &source, &[&dir], &["-o", exe.to_str().unwrap()]);
        let out = run(&mut Command::new(&exe));
        assert!(out.status.success(), "{mode:?}");
        assert_eq!(out.stdout, bytes, "{mode:?}");
    }
}

/// Writes a header of the greeter world (which defines `PP_OVERLENGTH_STRINGS_BEGIN`) into
/// `dir`; returns its name.
fn h_overlength(dir: &Path) -> String {
    write_header(dir, &repo_world(GREETER))
}

#[test]
fn greeter_plugin_exports_descriptor_and_entry() {
    export_macro_builds_a_loadable_plugin("greeter", GREETER);
}

#[test]
fn codec_plugin_exports_descriptor_and_entry() {
    export_macro_builds_a_loadable_plugin("codec", CODEC);
}

#[test]
fn typecov_plugin_exports_descriptor_and_entry() {
    export_macro_builds_a_loadable_plugin("typecov", TYPECOV);
}

fn check_plugin(world: &World, lib: &Path, host: &Path, dir: &Path) {
    let what = lib.display();
    // The three symbols exported, unmangled also from C++.
    let nm = run(Command::new("nm").args(["-D", "--defined-only"]).arg(lib));
    let symbols = String::from_utf8_lossy(&nm.stdout);
    let descriptor = format!("plugport_descriptor_{}", lower(world));
    for sym in [
        world.entry_symbol(),
        descriptor,
        world.live_objects_symbol(),
    ] {
        assert!(
            symbols.lines().any(|l| l.ends_with(&format!(" {sym}"))),
            "{what}: `{sym}` not exported:\n{symbols}"
        );
    }

    // The descriptor blob, read from the section as the loader does.
    let blob_file = dir.join("blob.bin");
    let out = run(Command::new("objcopy")
        .args(["-O", "binary", "--only-section=.plugport"])
        .arg(lib)
        .arg(&blob_file));
    assert!(out.status.success(), "{what}: objcopy: {}", stderr(&out));
    let blob = fs::read(&blob_file).unwrap();
    let json = world_json(world);
    let u32_at = |o: usize| u32::from_le_bytes(blob[o..o + 4].try_into().unwrap()) as usize;
    assert_eq!(&blob[..8], b"PLUGPORT", "{what}: magic");
    assert_eq!(u32_at(8), 1, "{what}: abi_version");
    assert_eq!(u32_at(12), "test-plugin".len(), "{what}: name_len");
    assert_eq!(u32_at(16), "1.2.3".len(), "{what}: version_len");
    assert_eq!(u32_at(20), json.len(), "{what}: world_len");
    let mut expected = Vec::from(&b"test-plugin\x001.2.3\x00"[..]);
    expected.extend_from_slice(json.as_bytes());
    expected.push(0);
    assert_eq!(
        &blob[24..24 + expected.len()],
        &expected[..],
        "{what}: name, version and world JSON"
    );

    // The entry refuses what it must and initialises otherwise.
    let out = run(Command::new(host).arg(lib).arg(world.entry_symbol()));
    assert!(out.status.success(), "{what}: entry_host: {}", stderr(&out));
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 4, "{what}: {report}");
    assert!(
        lines[0].starts_with("abi2 5 plugport: "),
        "{what}: {report}"
    );
    assert!(
        lines[1].starts_with("null-imports 5 plugport: "),
        "{what}: {report}"
    );
    assert!(
        lines[2].starts_with("tiny-imports 5 plugport: "),
        "{what}: {report}"
    );
    let size = 16 + 8 * world.exports.len();
    assert_eq!(lines[3], format!("ok 0 - {size} 30583"), "{what}: {report}");
}

#[test]
fn release_helpers_release_exactly_what_is_owned() {
    let dir = workdir("release");
    write_header(&dir, &repo_world(TYPECOV));
    let source = repo().join("tests/c/release_typecov.c");
    let modes = MODES.iter().map(|m| (*m, &[][..])).chain([STRICT_C99]);
    for (i, (mode, extra)) in modes.enumerate() {
        let exe = dir.join(format!("release_{i}_{}{}", mode.cc, mode.std));
        let args = [extra, &["-o", exe.to_str().unwrap()]].concat();
        assert_compiles(mode, &source, &[&dir], &args);
        let out = run(&mut Command::new(&exe));
        assert!(
            out.status.success() && out.stdout == b"ok\n",
            "{} {}: {}",
            mode.cc,
            mode.std,
            stderr(&out)
        );
    }
}

#[test]
fn utf8_validation_is_exact_at_every_offset_and_length() {
    // The 8-byte ASCII fast path of pp_utf8_valid must see every non-ASCII byte.
    let dir = workdir("utf8");
    write_header(&dir, &repo_world(TYPECOV));
    let source = repo().join("tests/c/utf8_valid.c");
    for (i, mode) in MODES.iter().enumerate() {
        let exe = dir.join(format!("utf8_{i}_{}{}", mode.cc, mode.std));
        assert_compiles(
            *mode,
            &source,
            &[&dir],
            &["-O2", "-o", exe.to_str().unwrap()],
        );
        let out = run(&mut Command::new(&exe));
        assert!(
            out.status.success() && out.stdout == b"ok\n",
            "{} {}: {}{}",
            mode.cc,
            mode.std,
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
    }
}

#[test]
fn host_helpers_pass_the_world_json_to_the_runtime() {
    let dir = workdir("host");
    let world = repo_world(GREETER);
    write_header(&dir, &world);
    let source = repo().join("tests/c/host_helpers.c");
    let fake_runtime = repo().join("tests/c/fake_runtime");
    for mode in MODES {
        let exe = dir.join(format!("host_{}{}", mode.cc, mode.std));
        assert_compiles(
            *mode,
            &source,
            &[&fake_runtime, &dir],
            &["-o", exe.to_str().unwrap()],
        );
        let out = run(&mut Command::new(&exe));
        assert!(
            out.status.success(),
            "{} {}: exit {:?}",
            mode.cc,
            mode.std,
            out.status
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), world_json(&world));
    }
    // Without the runtime header the helpers are absent (they need its types).
    let h = c::generate(&world).contents;
    let open = h.find("example_greeter_v1_greeter_open(").unwrap();
    let guard = h.find("#ifdef PLUGPORT_RUNTIME_H").unwrap();
    assert!(guard < open);
}

#[test]
fn keywords_are_escaped() {
    let dir = workdir("keywords");
    let wit = dir.join("keywords.wit");
    fs::write(
        &wit,
        "package test:keywords@0.3.1;\n\
         interface %class {\n\
           record %default { %int: u32, %class: string, %new: bool, %self: u8 }\n\
           variant %switch { %case(u32), %default(string), %delete }\n\
           enum %char { %auto, %register }\n\
           flags %union { %static, %extern }\n\
           resource %this {\n\
             constructor(%new: u32);\n\
             %delete: func(%int: u32, %err: string) -> %default;\n\
           }\n\
           %int: func(%class: u32, %default: %default, %ret: u8, %self: %switch) -> u32;\n\
         }\n\
         world %do { export %class; import %typedef: func(%void: u32); }\n",
    )
    .unwrap();
    let world = load(&wit);
    let header = write_header(&dir, &world);
    let h = fs::read_to_string(dir.join(&header)).unwrap();
    for needle in [
        "uint32_t int_;",
        "pp_string class_;",
        "uint8_t new_;",
        "uint8_t self_;",
        "pp_string default_;",
        "(*int_)(uint32_t class_, test_keywords_v0_3_class_default default_, uint8_t ret_,",
        "(*delete_)(void *self, uint32_t int_, pp_string err_,",
        "const test_keywords_v0_3_class_table *class_;",
        "(*typedef_)(uint32_t void_, pp_string *err);",
    ] {
        assert!(h.contains(needle), "`{needle}` not in the header:\n{h}");
    }
    let source = dir.join("use.c");
    fs::write(
        &source,
        format!(
            "{}\nint kw(test_keywords_v0_3_class_default *d);\n\
             int kw(test_keywords_v0_3_class_default *d) {{ return (int)d->int_; }}\n",
            plugin_source(&world, &header)
        ),
    )
    .unwrap();
    for mode in MODES {
        assert_compiles(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
    }
}

/// The layout checks of record `a` field `b-c` and of record `a-b` field `c` (also with
/// a keyword-escaped field) are distinct C99 typedefs: the header compiles in every mode.
#[test]
fn layout_check_names_do_not_collide() {
    let dir = workdir("check_names");
    let wit = dir.join("checks.wit");
    fs::write(
        &wit,
        "package test:checks@1.0.0;\n\
         interface i {\n\
           record a { b-c: u32, size: u8 }\n\
           record a-b { c: u32 }\n\
           record x { %default: u32 }\n\
           record x-default { x: u8 }\n\
           f: func(p: a, q: a-b, r: x, s: x-default);\n\
         }\n\
         world w { export i; }\n",
    )
    .unwrap();
    let world = load(&wit);
    let header = write_header(&dir, &world);
    let source = dir.join("plugin.c");
    fs::write(&source, plugin_source(&world, &header)).unwrap();
    for mode in MODES {
        assert_compiles(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
    }
}

#[test]
fn layout_checks_fire_on_a_wrong_layout() {
    let dir = workdir("asserts");
    let header = write_header(&dir, &repo_world(TYPECOV));
    // The same macro the header uses rejects a false condition in every mode, and
    // accepts a true one.
    for (name, cond, ok) in [
        ("wrong", "sizeof(pp_string) == 15", false),
        ("right", "sizeof(pp_string) == 2 * sizeof(size_t)", true),
    ] {
        let source = dir.join(format!("{name}.c"));
        fs::write(
            &source,
            format!("#include \"{header}\"\nPP_STATIC_ASSERT({cond}, deliberately_{name});\n"),
        )
        .unwrap();
        for mode in MODES {
            let out = compile(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
            assert_eq!(
                out.status.success(),
                ok,
                "{} {} on `{cond}`:\n{}",
                mode.cc,
                mode.std,
                stderr(&out)
            );
            if !ok {
                assert!(
                    stderr(&out).contains(&format!("deliberately_{name}")),
                    "{} {}: the failure names the check:\n{}",
                    mode.cc,
                    mode.std,
                    stderr(&out)
                );
            }
        }
    }
    // A compiler that packs structs lays the world's types out differently from the Rust
    // side: the header's own checks refuse to compile.
    let source = dir.join("packed.c");
    fs::write(&source, format!("#include \"{header}\"\n")).unwrap();
    for mode in MODES.iter().filter(|m| m.cc.starts_with("g")) {
        let out = compile(
            *mode,
            &source,
            &[&dir],
            &["-fpack-struct=1", "-c", "-o", "/dev/null"],
        );
        let err = stderr(&out);
        assert!(
            !out.status.success(),
            "{} {}: packed layout accepted",
            mode.cc,
            mode.std
        );
        assert!(
            err.contains("test_typecov_v1_") && (err.contains("_offset") || err.contains("_size")),
            "{} {}: not refused by a layout check:\n{err}",
            mode.cc,
            mode.std
        );
    }
}

/// The file-scope identifiers a header defines outside its core block, read from its
/// text: macros (but not include guards), typedefs, struct tags, functions and prototypes.
fn header_identifiers(h: &str) -> BTreeSet<String> {
    // Outside the core blocks (`PLUGPORT_ABI_CORE_V1`, `PLUGPORT_CALLERS_V1`) and the
    // `PP_CALLEE_ALLOC` default at the top: the `pp_*` / `PP_*` names of the core.
    let start = h.find("#if !defined(PP_CALLEE_ALLOC)").unwrap();
    let end = h.find("#endif /* PLUGPORT_CALLERS_V1 */").unwrap();
    let text = format!("{}{}", &h[..start], &h[end..]);
    let ident_before = |s: &str, stop: char| -> String {
        let s = &s[..s.find(stop).unwrap()];
        let start = s
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        s[start..].to_string()
    };
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.starts_with("PLUGPORT_DEF_") && !name.ends_with("_H") {
                out.insert(name);
            }
        } else if (line.starts_with("typedef ") || line.starts_with("} "))
            && line.ends_with(';')
            && !line.contains('(')
        {
            out.insert(ident_before(line, ';'));
        } else if line.starts_with("struct ") && line.ends_with(" {") {
            out.insert(ident_before(line, '{').trim().to_string());
            out.insert(line["struct ".len()..line.len() - 2].to_string());
        } else if (line.starts_with("static inline ")
            || line.starts_with("pp_status ")
            || line.starts_with("size_t "))
            && line.contains('(')
        {
            out.insert(ident_before(line, '('));
        }
    }
    out.remove("");
    out
}

/// `c::idents::identifiers`, which the front end's C-name collision check uses, lists
/// exactly what the header defines.
#[test]
fn identifier_list_matches_the_header() {
    let worlds = [
        GREETER,
        CODEC,
        TYPECOV,
        "tests/wit/worldtypes.wit",
        "tests/wit/uses.wit",
        "tests/wit/multi",
        "tests/wit/accept/samename",
    ];
    for rel in worlds {
        let world = repo_world(rel);
        let h = c::generate(&world).contents;
        let listed: Vec<String> = c::idents::identifiers(&world)
            .into_iter()
            .map(|i| i.name)
            .collect();
        let set: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(
            set.len(),
            listed.len(),
            "{rel}: a world that loads has no collision"
        );
        let defined = header_identifiers(&h);
        let missing: Vec<&String> = defined.difference(&set).collect();
        assert!(
            missing.is_empty(),
            "{rel}: defined but not listed: {missing:?}"
        );
        for name in &listed {
            let word = |i: usize| {
                h[i..].starts_with(name.as_str())
                    && !h[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    && !h[i + name.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            };
            assert!(
                h.match_indices(name.as_str()).any(|(i, _)| word(i)),
                "{rel}: `{name}` is listed but not in the header"
            );
        }
        // Every kind of definition is covered by the worlds above.
        assert!(defined.len() > 10, "{rel}: {defined:?}");
    }
}

/// What the header embeds (descriptor blob and `WORLD_JSON_BYTES`) is what the loader
/// must be able to read back: `{"fingerprint","world"}` with the world's own IR.
#[test]
fn embedded_world_json_reads_back_as_the_same_world() {
    #[derive(serde::Deserialize)]
    struct Descriptor {
        fingerprint: String,
        world: World,
    }
    for (label, wit) in WORLDS {
        let world = repo_world(wit);
        let json = world_json(&world);
        let parsed: Descriptor = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{label}: the embedded world JSON does not parse: {e}"));
        assert_eq!(parsed.fingerprint, world.fingerprint(), "{label}");
        let mut stripped = world.clone();
        stripped.strip_locations();
        assert_eq!(parsed.world, stripped, "{label}");
    }
}

/// Worlds built by hand, for IR shapes the repository's WIT does not produce.
mod hand_built {
    use super::*;
    use plugport_codegen::ir::{
        Case, Function, FunctionKind, Interface, PackageName, Param, Type, TypeDef, TypeDefKind,
        WorldItem,
    };

    fn world(types: Vec<TypeDef>, imports: Vec<WorldItem>, exports: Vec<WorldItem>) -> World {
        World {
            package: PackageName {
                namespace: "hand".into(),
                name: "built".into(),
                version: Some("2.1.0".into()),
            },
            name: "edge".into(),
            types,
            imports,
            exports,
        }
    }

    fn anon(kind: TypeDefKind) -> TypeDef {
        TypeDef {
            name: None,
            interface: None,
            kind,
            location: None,
        }
    }

    fn named(name: &str, interface: &str, kind: TypeDefKind) -> TypeDef {
        TypeDef {
            name: Some(name.into()),
            interface: Some(interface.into()),
            kind,
            location: None,
        }
    }

    fn func(name: &str, kind: FunctionKind, params: Vec<Type>, result: Option<Type>) -> Function {
        Function {
            name: name.into(),
            kind,
            params: params
                .into_iter()
                .enumerate()
                .map(|(i, ty)| Param {
                    name: format!("p{i}"),
                    ty,
                })
                .collect(),
            result,
            location: None,
        }
    }

    fn iface(name: &str, functions: Vec<Function>) -> WorldItem {
        WorldItem::Interface(Interface {
            name: name.into(),
            package: None,
            types: vec![],
            functions,
        })
    }

    /// Writes the header, checks it compiles in every mode (also with a plugin using the
    /// EXPORT macro), and returns its text.
    fn compiles(test: &str, world: &World) -> String {
        let dir = workdir(&format!("hand_{test}"));
        let header = write_header(&dir, world);
        let source = dir.join("plugin.c");
        fs::write(&source, plugin_source(world, &header)).unwrap();
        for mode in MODES {
            assert_compiles(*mode, &source, &[&dir], &["-c", "-o", "/dev/null"]);
        }
        fs::read_to_string(dir.join(header)).unwrap()
    }

    fn count(text: &str, needle: &str) -> usize {
        text.matches(needle).count()
    }

    #[test]
    fn unnamed_aliases_are_typedefs_only_when_their_name_differs() {
        let w = world(
            vec![
                anon(TypeDefKind::Alias { ty: Type::U8 }),
                anon(TypeDefKind::Alias { ty: Type::String }),
                anon(TypeDefKind::List { ty: Type::U8 }),
                anon(TypeDefKind::Alias { ty: Type::Id(2) }),
            ],
            vec![],
            vec![iface(
                "i",
                vec![func(
                    "f",
                    FunctionKind::Freestanding,
                    vec![Type::Id(0), Type::Id(3)],
                    Some(Type::Id(1)),
                )],
            )],
        );
        let h = compiles("alias", &w);
        assert!(h.contains("typedef uint8_t hand_built_v2_u8;"));
        assert!(h.contains("typedef pp_string hand_built_v2_string;"));
        assert!(h.contains("    pp_string_release(v, dealloc);"));
        assert_eq!(count(&h, "typedef struct hand_built_v2_list_u8 {"), 1);
        assert_eq!(count(&h, "hand_built_v2_list_u8 hand_built_v2_list_u8;"), 0);
        assert_eq!(
            count(&h, "static inline void hand_built_v2_list_u8_release("),
            1
        );
    }

    #[test]
    fn own_and_borrow_handles_are_one_c_type_and_their_lists_two() {
        let w = world(
            vec![
                named("r", "i", TypeDefKind::Resource),
                anon(TypeDefKind::Borrow { resource: 0 }),
                anon(TypeDefKind::List { ty: Type::Id(1) }),
                anon(TypeDefKind::Own { resource: 0 }),
                anon(TypeDefKind::List { ty: Type::Id(3) }),
                anon(TypeDefKind::Option { ty: Type::Id(3) }),
            ],
            vec![],
            vec![iface(
                "i",
                vec![
                    func(
                        "new",
                        FunctionKind::Constructor(0),
                        vec![],
                        Some(Type::Id(3)),
                    ),
                    func(
                        "take",
                        FunctionKind::Method(0),
                        vec![Type::Id(2), Type::Id(4)],
                        Some(Type::Id(5)),
                    ),
                    func("peek", FunctionKind::Freestanding, vec![Type::Id(1)], None),
                ],
            )],
        );
        let h = compiles("handles", &w);
        assert_eq!(count(&h, "typedef struct hand_built_v2_i_r {"), 1);
        assert_eq!(count(&h, "typedef struct hand_built_v2_list_i_r {"), 1);
        // list<borrow<r>> is a C type of its own (docs/abi.md §4), of the same layout.
        assert_eq!(
            count(&h, "typedef struct hand_built_v2_list_borrow_i_r {"),
            1
        );
        assert_eq!(
            count(&h, "static inline void hand_built_v2_i_r_release("),
            1
        );
        assert_eq!(
            count(&h, "static inline void hand_built_v2_list_i_r_release("),
            1
        );
        // Elements of an owned list of handles are dropped, whichever list came first;
        // releasing a list<borrow<r>> frees the list and drops none of the caller's
        // handles: the element loop is in one helper only.
        assert_eq!(
            count(
                &h,
                "hand_built_v2_i_r_release((hand_built_v2_i_r *)(uintptr_t)&v->ptr[i], dealloc);"
            ),
            1
        );
        assert!(h.contains("hand_built_v2_i_r_release(&v->val, dealloc);"));
        assert!(h.contains("pp_status (*r_new)(hand_built_v2_i_r *ret, pp_string *err);"));
        assert!(h.contains("pp_status (*peek)(hand_built_v2_i_r p0, pp_string *err);"));
        assert!(h.contains(
            "pp_status (*take)(void *self, hand_built_v2_list_borrow_i_r p0, \
             hand_built_v2_list_i_r p1,"
        ));
        // A refused or unsupported call drops the owned handles of an argument (p1, a
        // list<own<r>>), never the borrowed ones (p0, a list<borrow<r>> of the same
        // layout); the trampoline and the checked caller each have the loop once.
        let own_drop = "hand_built_v2_i_r pp_h1_ = p1.ptr[pp_i0_]; \
                        hand_built_v2_i_r_release(&pp_h1_, NULL);";
        assert_eq!(count(&h, own_drop), 3, "{h}");
        assert_eq!(count(&h, "p0.ptr[pp_i0_]"), 0);
        assert!(h.contains(
            "static inline pp_status hand_built_v2_i_r_call_take(hand_built_v2_i_r self,"
        ));
        assert!(h.contains("#define HAND_BUILT_V2_I_R_TAKE_TRAMPOLINE(PP_NAME_, PP_IMPL_)"));
    }

    #[test]
    fn many_cases_and_flags_use_wider_integers() {
        let cases: Vec<Case> = (0..300)
            .map(|i| Case {
                name: format!("c{i}"),
                ty: (i % 100 == 0).then_some(Type::U64),
            })
            .collect();
        let w = world(
            vec![
                named("big", "i", TypeDefKind::Variant { cases }),
                named(
                    "wide",
                    "i",
                    TypeDefKind::Enum {
                        cases: (0..257).map(|i| format!("e{i}")).collect(),
                    },
                ),
                named(
                    "bits",
                    "i",
                    TypeDefKind::Flags {
                        flags: (0..20).map(|i| format!("b{i}")).collect(),
                    },
                ),
                named(
                    "no-payload",
                    "i",
                    TypeDefKind::Variant {
                        cases: vec![
                            Case {
                                name: "a".into(),
                                ty: None,
                            },
                            Case {
                                name: "b".into(),
                                ty: None,
                            },
                        ],
                    },
                ),
                anon(TypeDefKind::Result {
                    ok: None,
                    err: None,
                }),
            ],
            vec![],
            vec![iface(
                "i",
                vec![func(
                    "f",
                    FunctionKind::Freestanding,
                    vec![Type::Id(0), Type::Id(1), Type::Id(2), Type::Id(3)],
                    Some(Type::Id(4)),
                )],
            )],
        );
        let h = compiles("wide", &w);
        assert!(h.contains("    uint16_t tag;\n    union {\n        uint64_t c0;"));
        assert!(h.contains("#define HAND_BUILT_V2_I_BIG_C299 ((uint16_t)299)"));
        assert!(h.contains("typedef uint16_t hand_built_v2_i_wide;"));
        assert!(h.contains("#define HAND_BUILT_V2_I_WIDE_E256 ((hand_built_v2_i_wide)256)"));
        assert!(h.contains("typedef uint32_t hand_built_v2_i_bits;"));
        assert!(h.contains(
            "#define HAND_BUILT_V2_I_BITS_B19 ((hand_built_v2_i_bits)((uint64_t)1 << 19))"
        ));
        assert!(h.contains(
            "typedef struct hand_built_v2_i_no_payload {\n    uint8_t tag;\n} hand_built_v2_i_no_payload;"
        ));
        assert!(
            h.contains("typedef struct hand_built_v2_result_void_void {\n    uint8_t is_err;\n}")
        );
        assert!(h.contains("PP_STATIC_ASSERT(sizeof(hand_built_v2_i_big) == 16,"));
    }

    #[test]
    fn an_interface_both_imported_and_exported_has_one_table() {
        let f = || func("f", FunctionKind::Freestanding, vec![Type::U32], None);
        let w = world(
            vec![],
            vec![iface("i", vec![f()])],
            vec![iface("i", vec![f()])],
        );
        let h = compiles("both", &w);
        assert_eq!(count(&h, "typedef struct hand_built_v2_i_table {"), 1);
        assert_eq!(count(&h, "    const hand_built_v2_i_table *i;\n"), 2);

        let bare = world(
            vec![],
            vec![],
            vec![WorldItem::Function(func(
                "run",
                FunctionKind::Freestanding,
                vec![Type::String, Type::F64],
                Some(Type::Char),
            ))],
        );
        let h = compiles("bare", &bare);
        assert!(h.contains(
            "typedef struct hand_built_v2_edge_imports {\n    pp_table_header header;\n} \
             hand_built_v2_edge_imports;"
        ));
        assert!(
            h.contains("pp_status (*run)(pp_string p0, double p1, uint32_t *ret, pp_string *err);")
        );
    }
}
