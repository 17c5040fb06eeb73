//! Maps and fixed-length lists in the front end, the IR, the compatibility check and the C
//! header (issue 11, A.1 and A.2; `docs/abi.md` §3, "Maps" and "Fixed-length lists"):
//!
//! - the IR kinds and their canonical JSON, and the refusals (`list<T, 0>`, N over 65536,
//!   a value over 1 MiB) with file and line;
//! - a map or fixed list is compatible only with the same shape;
//! - the header of `tests/wit/accept/collections.wit` compiles with every validating
//!   trampoline instantiated (C99 with gcc and clang, and C++17), and its `_check` and
//!   `_release` helpers, run under ASan and UBSan, find invalid keys, values and elements,
//!   accept duplicate keys (C receives the entries as they are), and free every string
//!   and entry array once with its size and alignment.
//!
//! The round trips across `dlopen`, the isolated mode and the Rust back end are in
//! tests/constructs and tests/rust-roundtrip.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::repo;
use plugport::compat::compare;
use plugport::ir::{Type, TypeDefKind, World};
use plugport_codegen::c;
use plugport_codegen::frontend::{load_world, FrontendError};

fn collections() -> World {
    load_world(
        &repo("tests/wit/accept/collections.wit"),
        Some("collections"),
    )
    .unwrap()
}

fn wit(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.wit"));
    fs::write(
        &path,
        format!(
            "package test:shape@1.0.0;\ninterface i {{\n{body}\n}}\nworld shape {{ export i; }}\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn the_ir_has_map_and_fixed_list_kinds_with_a_canonical_json() {
    let w = collections();
    let kinds: Vec<&TypeDefKind> = w.types.iter().map(|t| &t.kind).collect();
    assert!(kinds.contains(&&TypeDefKind::Map {
        key: Type::String,
        value: Type::U32
    }));
    assert!(kinds.contains(&&TypeDefKind::FixedList {
        ty: Type::U8,
        len: 4
    }));
    assert!(kinds.contains(&&TypeDefKind::FixedList {
        ty: Type::String,
        len: 2
    }));
    let json = w.canonical_json();
    assert!(
        json.contains(r#"{"kind":"map","key":"string","value":"u32"}"#),
        "{json}"
    );
    assert!(
        json.contains(r#"{"kind":"fixed-list","ty":"u8","len":4}"#),
        "{json}"
    );
    // The descriptor reader takes it back (and validates it).
    let (fingerprint, back) =
        plugport::descriptor::parse_world_json(&plugport::descriptor::world_json(&w))
            .expect("valid IR");
    assert_eq!(fingerprint, w.fingerprint());
    assert_eq!(back.canonical_json(), json);
}

#[test]
fn zero_length_huge_and_oversized_fixed_lists_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body, want) in [
        ("zero", "  f: func(v: list<u8, 0>);", "`list<u8, 0>`"),
        (
            "many",
            "  f: func(v: list<u8, 65537>);",
            "`list<u8, 65537>`",
        ),
        (
            "big",
            "  g: func() -> list<list<u64, 65536>, 4>;",
            "is 2097152 bytes in C",
        ),
    ] {
        let path = wit(dir.path(), name, body);
        let err = load_world(&path, None).expect_err(name);
        let FrontendError::Unsupported { refusals, .. } = &err else {
            panic!("{name}: {err:?}")
        };
        assert_eq!(refusals.len(), 1, "{name}: {refusals:?}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("{name}.wit:3")), "{name}: {msg}");
        assert!(msg.contains(want), "{name}: {msg}");
        assert!(msg.contains("not support"), "{name}: {msg}");
    }
    // The largest accepted: 65536 elements of 16 bytes is exactly 1 MiB.
    let path = wit(dir.path(), "edge", "  f: func(v: list<string, 65536>);");
    load_world(&path, None).expect("1 MiB is within the bound");
}

#[test]
fn hand_made_ir_with_bad_keys_or_lengths_is_refused_by_the_loader_check() {
    let w = collections();
    let map = w
        .types
        .iter()
        .position(|t| matches!(t.kind, TypeDefKind::Map { .. }))
        .unwrap();
    let fixed = w
        .types
        .iter()
        .position(|t| matches!(t.kind, TypeDefKind::FixedList { .. }))
        .unwrap();
    let pair = w
        .types
        .iter()
        .position(|t| {
            t.kind
                == TypeDefKind::FixedList {
                    ty: Type::String,
                    len: 2,
                }
        })
        .unwrap();
    assert_ne!(pair, fixed);
    let cases: Vec<(TypeDefKind, usize, &str)> = vec![
        (
            TypeDefKind::Map {
                key: Type::F64,
                value: Type::U8,
            },
            map,
            "key",
        ),
        (
            TypeDefKind::Map {
                key: Type::Id(0),
                value: Type::U8,
            },
            map,
            "key",
        ),
        (
            TypeDefKind::FixedList {
                ty: Type::U8,
                len: 0,
            },
            fixed,
            "1 to 65536",
        ),
        (
            TypeDefKind::FixedList {
                ty: Type::U8,
                len: 65537,
            },
            fixed,
            "1 to 65536",
        ),
        // 65536 elements of `list<string, 2>` (32 bytes each): 2 MiB.
        (
            TypeDefKind::FixedList {
                ty: Type::Id(pair),
                len: 65536,
            },
            fixed,
            "bytes in C",
        ),
    ];
    for (kind, at, want) in cases {
        let mut bad = w.clone();
        bad.types[at].kind = kind.clone();
        let err = plugport::descriptor::validate_world(&bad).expect_err(want);
        assert!(err.contains(want), "{kind:?}: {err}");
        let json = plugport::descriptor::world_json(&bad);
        assert!(
            plugport::descriptor::parse_world_json(&json).is_err(),
            "{kind:?}: the descriptor reader must refuse it"
        );
    }
}

#[test]
fn a_map_or_fixed_list_is_compatible_only_with_the_same_shape() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, body: &str| load_world(&wit(dir.path(), name, body), None).unwrap();
    let base = load("base", "  f: func(m: map<string, u32>, v: list<u8, 4>);");
    assert!(compare(&base, &base.clone()).is_compatible());
    for (name, body, item) in [
        (
            "value",
            "  f: func(m: map<string, u64>, v: list<u8, 4>);",
            "map<string, u64>",
        ),
        (
            "key",
            "  f: func(m: map<u32, u32>, v: list<u8, 4>);",
            "map<u32, u32>",
        ),
        (
            "len",
            "  f: func(m: map<string, u32>, v: list<u8, 5>);",
            "list<u8, 5>",
        ),
        (
            "elem",
            "  f: func(m: map<string, u32>, v: list<s8, 4>);",
            "list<s8, 4>",
        ),
        (
            "list",
            "  f: func(m: list<tuple<string, u32>>, v: list<u8, 4>);",
            "list<tuple<string, u32>>",
        ),
        (
            "var",
            "  f: func(m: map<string, u32>, v: list<u8>);",
            "list<u8>",
        ),
    ] {
        let other = load(name, body);
        let c = compare(&base, &other);
        assert!(!c.is_compatible(), "{name}");
        let text = format!("{c:?}");
        assert!(
            text.contains(item),
            "{name}: the difference names {item}: {text}"
        );
    }
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs gcc and clang)")
    })
}

/// The header, plus C that instantiates every validating trampoline of the world.
fn header_and_uses(dir: &Path, w: &World) -> std::path::PathBuf {
    let h = c::generate(w);
    fs::write(dir.join(&h.name), &h.contents).unwrap();
    let mut src = format!("#define PP_CHECK_LAYOUT 1\n#include \"{}\"\n", h.name);
    let mut uses = String::new();
    for (k, t) in c::idents::trampolines(w).iter().enumerate() {
        src += &format!("static {} pp_tbl{k};\n", t.table);
        src += &format!("{}(pp_tramp_{k}, pp_tbl{k}.{})\n", t.macro_name, t.slot);
        uses += &format!("    pp_tbl{k}.{} = pp_tramp_{k};\n", t.slot);
    }
    assert!(!uses.is_empty(), "the world has trampolines");
    src += &format!("void pp_use_all(void);\nvoid pp_use_all(void) {{\n{uses}}}\n");
    let path = dir.join("uses.c");
    fs::write(&path, src).unwrap();
    path
}

#[test]
fn the_header_compiles_with_every_trampoline_in_c99_and_cpp() {
    let dir = tempfile::tempdir().unwrap();
    let src = header_and_uses(dir.path(), &collections());
    let strict = [
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-c",
        "-o",
        "/dev/null",
    ];
    for (cc, lang) in [
        ("gcc", "-std=c99"),
        ("clang", "-std=c99"),
        ("g++", "-std=c++17"),
    ] {
        let mut cmd = Command::new(cc);
        cmd.arg(lang).args(strict).arg("-I").arg(dir.path());
        if cc == "g++" {
            cmd.args(["-x", "c++"]);
        }
        let out = run(cmd.arg(&src));
        assert!(
            out.status.success(),
            "{cc} {lang}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// C that checks and releases maps and fixed lists with the header's helpers and a
/// dealloc that counts, prints `ok` and exits 0, or names the failed check and exits 1.
const HELPERS_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collections.h"
#define P(n) test_collections_v1_##n
static int failed;
#define IS(got, why) ((got) != NULL && strcmp((got), (why)) == 0)
#define EXPECT(c) do { if (!(c)) { printf("FAILED line %d: %s\n", __LINE__, #c); failed = 1; } } while (0)
static size_t frees, freed_bytes, bad_align;
static void counting_dealloc(void *p, size_t size, size_t align) {
    if (align == 0 || ((uintptr_t)p % align) != 0) bad_align++;
    frees++; freed_bytes += size; free(p);
}
static pp_string s(const char *t) {
    /* An empty string owns no memory (docs/abi.md section 3). */
    size_t n = strlen(t); char *p = n == 0 ? NULL : (char *)malloc(n);
    if (n > 0) memcpy(p, t, n);
    { pp_string v; v.ptr = p; v.len = n; return v; }
}
static pp_string lit(const char *t) { pp_string v; v.ptr = t; v.len = strlen(t); return v; }
int main(void) {
    /* map<string, u32>: valid, duplicate keys (valid to C), NULL with len, bad UTF-8. */
    P(map_string_u32_entry) e[2];
    P(map_string_u32) m;
    e[0].key = lit("a"); e[0].value = 1; e[1].key = lit("a"); e[1].value = 2;
    m.ptr = e; m.len = 2;
    EXPECT(P(map_string_u32_check)(&m) == NULL);
    m.ptr = NULL;
    EXPECT(IS(P(map_string_u32_check)(&m), PP_WHY_NULL_PTR));
    m.ptr = e; e[1].key = lit("\xff");
    EXPECT(IS(P(map_string_u32_check)(&m), PP_WHY_UTF8));
    m.len = 0; m.ptr = NULL;
    EXPECT(P(map_string_u32_check)(&m) == NULL);
    /* map<char, bool>: a surrogate key, a bool of 2. */
    {
        P(map_char_bool_entry) c[1]; P(map_char_bool) cm;
        c[0].key = 0x1D11E; c[0].value = 1; cm.ptr = c; cm.len = 1;
        EXPECT(P(map_char_bool_check)(&cm) == NULL);
        c[0].key = 0xD800;
        EXPECT(IS(P(map_char_bool_check)(&cm), PP_WHY_CHAR));
        c[0].key = 'a'; c[0].value = 2;
        EXPECT(IS(P(map_char_bool_check)(&cm), PP_WHY_BOOL));
    }
    /* list<string, 2>: the second element's UTF-8 is checked; release frees both. */
    {
        P(array2_string) a;
        a.elems[0] = lit("x"); a.elems[1] = lit("\xc3");
        EXPECT(IS(P(array2_string_check)(&a), PP_WHY_UTF8));
        a.elems[0] = s("hello"); a.elems[1] = s("");
        EXPECT(P(array2_string_check)(&a) == NULL);
        frees = 0; freed_bytes = 0;
        P(array2_string_release)(&a, counting_dealloc);
        /* An empty string owns nothing: one free of 5 bytes. */
        EXPECT(frees == 1 && freed_bytes == 5);
        EXPECT(a.elems[0].ptr == NULL && a.elems[0].len == 0);
    }
    /* map<string, pixel>: keys, the names inside each value, then the entry array. */
    {
        P(map_string_kv_pixel_entry) *pe = (P(map_string_kv_pixel_entry) *)calloc(2, sizeof *pe);
        P(map_string_kv_pixel) pm;
        int i;
        for (i = 0; i < 2; i++) {
            pe[i].key = s(i == 0 ? "k0" : "key1");
            pe[i].value.rgba.elems[3] = 255;
            pe[i].value.names.elems[0] = s("ab");
            pe[i].value.names.elems[1] = s("cde");
        }
        pm.ptr = pe; pm.len = 2;
        EXPECT(P(map_string_kv_pixel_check)(&pm) == NULL);
        frees = 0; freed_bytes = 0; bad_align = 0;
        P(map_string_kv_pixel_release)(&pm, counting_dealloc);
        EXPECT(frees == 7);
        EXPECT(freed_bytes == 2 + 4 + 2 * (2 + 3) + 2 * sizeof(P(map_string_kv_pixel_entry)));
        EXPECT(bad_align == 0);
        EXPECT(pm.ptr == NULL && pm.len == 0);
    }
    /* result<list<f32, 3>, string>: only the present side is released. */
    {
        P(result_array3_f32_string) r;
        memset(&r, 0, sizeof r);
        r.is_err = 1; r.val.err = s("no floats");
        frees = 0;
        P(result_array3_f32_string_release)(&r, counting_dealloc);
        EXPECT(frees == 1);
        r.is_err = 0; r.val.ok.elems[0] = 1.5f;
        EXPECT(P(result_array3_f32_string_check)(&r) == NULL);
        r.is_err = 2;
        EXPECT(IS(P(result_array3_f32_string_check)(&r), PP_WHY_RESULT));
    }
    if (!failed) printf("ok\n");
    return failed;
}
"#;

#[test]
fn the_c_helpers_check_and_release_maps_and_fixed_lists_under_asan_and_ubsan() {
    let dir = tempfile::tempdir().unwrap();
    let h = c::generate(&collections());
    fs::write(dir.path().join(&h.name), &h.contents).unwrap();
    let src = dir.path().join("helpers.c");
    fs::write(&src, HELPERS_C).unwrap();
    let exe = dir.path().join("helpers");
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .args([
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer",
        ])
        .arg("-I")
        .arg(dir.path())
        .arg(&src)
        .arg("-o")
        .arg(&exe));
    assert!(
        out.status.success(),
        "cc:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&mut Command::new(&exe));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A C++ host (the generated `collections.hpp` client) against the C plugin of
/// tests/constructs, linked in: maps as spans of entries and owned lists, fixed lists as
/// `std::array`, a fixed list inside a result; prints `ok`.
const CPP_HOST: &str = r#"
#include <cstdio>
#include <cstring>
#include "collections.hpp"
namespace kvns = test::collections::v1::kv;
static int failed;
#define EXPECT(c) do { if (!(c)) { std::printf("FAILED line %d: %s\n", __LINE__, #c); failed = 1; } } while (0)
static pp_string lit(const char *t) { return pp_string{t, std::strlen(t)}; }
int main() {
    const test_collections_v1_collections_exports *ex = nullptr;
    pp_string err{nullptr, 0};
    test_collections_v1_collections_imports imports;
    std::memset(&imports, 0, sizeof imports);
    imports.header.size = sizeof imports;
    EXPECT(plugport_entry_test_collections_v1_collections(1, &imports, &ex, &err) == PP_OK);
    test::collections::v1::collections_exports_client client(ex);
    kvns::client kv = client.kv();
    /* map<string, u32>: entries in, entries out (the callee's order), each value + 1. */
    test_collections_v1_map_string_u32_entry in[2] = {{lit("a"), 1}, {lit("\xc3\xa9"), 41}};
    auto out = kv.counts(::pp::span<const test_collections_v1_map_string_u32_entry>(in, 2));
    EXPECT(out.has_value() && out->size() == 2);
    if (out.has_value() && out->size() == 2) {
        EXPECT((*out)[1].value == 42 && ::pp::detail::view((*out)[1].key) == "\xc3\xa9");
    }
    EXPECT(kv.counts({}).has_value() && kv.counts({})->empty());
    /* A duplicate key from C reaches C++ as it is: C++ maps are entry sequences. */
    test_collections_v1_map_string_u32_entry dup[1] = {{lit("dup"), 0}};
    auto twice = kv.counts(::pp::span<const test_collections_v1_map_string_u32_entry>(dup, 1));
    EXPECT(twice.has_value() && twice->size() == 2);
    /* list<u8, 4> and list<list<s16, 2>, 3> as std::array. */
    auto q = kv.quad(std::array<uint8_t, 4>{1, 2, 3, 255});
    EXPECT(q.has_value() && *q == (std::array<uint8_t, 4>{255, 3, 2, 1}));
    std::array<test_collections_v1_array2_s16, 3> g{};
    g[2].elems[0] = 32767;
    g[2].elems[1] = -5;
    auto ng = kv.grid(g);
    EXPECT(ng.has_value() && (*ng)[2].elems[0] == -32767 && (*ng)[2].elems[1] == 5);
    /* list<string, 2>: an owned C value, released by pp::owned. */
    auto p = kv.pair(std::array<pp_string, 2>{lit("x"), lit("yz")});
    EXPECT(p.has_value() && ::pp::detail::view((*p)->elems[0]) == "yz");
    /* result<list<f32, 3>, string>. */
    auto f = kv.floats(true);
    EXPECT(f.has_value() && f->has_value() && (**f)[0] == 1.5f && (**f)[2] == 3.25f);
    auto fe = kv.floats(false);
    EXPECT(fe.has_value() && !fe->has_value() && fe->error().view() == "no floats");
    /* map<char, bool>. */
    test_collections_v1_map_char_bool_entry c[2] = {{0x1D11E, 1}, {'a', 0}};
    auto n = kv.by_char(::pp::span<const test_collections_v1_map_char_bool_entry>(c, 2));
    EXPECT(n.has_value() && *n == 1001);
    if (!failed) std::printf("ok\n");
    return failed;
}
"#;

/// A C++ plugin (the generated `server` classes) called through the C++ client in one
/// process: exercises the callee side (views of the C arguments, results lowered).
const CPP_SERVER: &str = r#"
#include <cstdio>
#include <cstring>
#include "collections.hpp"
namespace kvns = test::collections::v1::kv;
using E = test_collections_v1_map_string_u32_entry;
static int failed;
#define EXPECT(c) do { if (!(c)) { std::printf("FAILED line %d: %s\n", __LINE__, #c); failed = 1; } } while (0)
namespace {
struct impl : kvns::server {
    ::pp::owned_list<E> counts(::pp::span<const E> m) override {
        /* Keys are views of the caller's strings: the result holds its own copies. */
        std::vector<E> out;
        for (const E &e : m) {
            ::pp::owned_string k(::pp::detail::view(e.key));
            out.push_back(E{k.release(), e.value * 2});
        }
        return ::pp::owned_list<E>(out);
    }
    ::pp::owned_list<test_collections_v1_map_string_kv_pixel_entry> places(
        ::pp::span<const test_collections_v1_map_string_kv_pixel_entry>) override { return {}; }
    ::pp::owned_list<test_collections_v1_map_u64_option_string_entry> by_id(
        ::pp::span<const test_collections_v1_map_u64_option_string_entry>) override { return {}; }
    uint32_t by_char(::pp::span<const test_collections_v1_map_char_bool_entry> m) override {
        return static_cast<uint32_t>(m.size());
    }
    std::array<uint8_t, 4> quad(std::array<uint8_t, 4> v) override { return {v[3], v[2], v[1], v[0]}; }
    test_collections_v1_array2_string pair(std::array<pp_string, 2> v) override {
        test_collections_v1_array2_string r;
        ::pp::owned_string a(::pp::detail::view(v[1])), b(::pp::detail::view(v[0]));
        r.elems[0] = a.release();
        r.elems[1] = b.release();
        return r;
    }
    ::pp::result<std::array<float, 3>, ::pp::owned_string> floats(bool ok) override {
        if (ok) return std::array<float, 3>{1.0f, 2.0f, 3.0f};
        return ::pp::unexpected<::pp::owned_string>(::pp::owned_string("none"));
    }
    std::array<test_collections_v1_array2_s16, 3> grid(std::array<test_collections_v1_array2_s16, 3> g) override {
        std::swap(g[0], g[2]);
        return g;
    }
    test_collections_v1_array2_kv_counter counters(::pp::span<const test_collections_v1_map_string_kv_counter_entry>) override {
        test_collections_v1_array2_kv_counter r;
        std::memset(&r, 0, sizeof r);
        return r;
    }
};
} // namespace
static impl the_impl;
static test::collections::v1::collections_exports make(const test::collections::v1::collections_imports_client &) {
    test::collections::v1::collections_exports e;
    e.kv = &the_impl;
    return e;
}
TEST_COLLECTIONS_V1_COLLECTIONS_CPP_EXPORT("collections-cpp", "1.0.0", make)
static pp_string lit(const char *t) { return pp_string{t, std::strlen(t)}; }
int main() {
    const test_collections_v1_collections_exports *ex = nullptr;
    pp_string err{nullptr, 0};
    test_collections_v1_collections_imports imports;
    std::memset(&imports, 0, sizeof imports);
    imports.header.size = sizeof imports;
    EXPECT(plugport_entry_test_collections_v1_collections(1, &imports, &ex, &err) == PP_OK);
    test::collections::v1::collections_exports_client client(ex);
    kvns::client kv = client.kv();
    E in[2] = {{lit("a"), 1}, {lit("b"), 20}};
    auto out = kv.counts(::pp::span<const E>(in, 2));
    EXPECT(out.has_value() && out->size() == 2 && (*out)[1].value == 40);
    if (out.has_value() && out->size() == 2) EXPECT(::pp::detail::view((*out)[0].key) == "a");
    auto q = kv.quad(std::array<uint8_t, 4>{1, 2, 3, 4});
    EXPECT(q.has_value() && *q == (std::array<uint8_t, 4>{4, 3, 2, 1}));
    auto p = kv.pair(std::array<pp_string, 2>{lit("x"), lit("yz")});
    EXPECT(p.has_value() && ::pp::detail::view((*p)->elems[0]) == "yz" && ::pp::detail::view((*p)->elems[1]) == "x");
    auto f = kv.floats(false);
    EXPECT(f.has_value() && !f->has_value() && f->error().view() == "none");
    std::array<test_collections_v1_array2_s16, 3> g{};
    g[0].elems[0] = 7;
    auto ng = kv.grid(g);
    EXPECT(ng.has_value() && (*ng)[2].elems[0] == 7 && (*ng)[0].elems[0] == 0);
    /* An invalid argument (a bool of 2 in a map value) is refused before the server runs. */
    test_collections_v1_map_char_bool_entry bad[1] = {{'a', 2}};
    auto r = kv.by_char(::pp::span<const test_collections_v1_map_char_bool_entry>(bad, 1));
    EXPECT(!r.has_value());
    if (!failed) std::printf("ok\n");
    return failed;
}
"#;

/// Builds `main` (C++17, with the C plugin source `c_plugin` if any) under ASan+UBSan and
/// runs it; it must print `ok`.
fn run_cpp(name: &str, main: &str, c_plugin: Option<&Path>) {
    let dir = tempfile::tempdir().unwrap();
    let out = common::plugport(&[
        "gen",
        repo("tests/wit/accept/collections.wit").to_str().unwrap(),
        "--lang",
        "cpp",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let san = [
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
        "-g",
    ];
    let mut objects = Vec::new();
    if let Some(c) = c_plugin {
        let obj = dir.path().join("plugin.o");
        let out = run(Command::new("cc")
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
            .args(san)
            .arg("-I")
            .arg(dir.path())
            .arg(c)
            .arg("-o")
            .arg(&obj));
        assert!(out.status.success(), "cc:\n{}", common::text(&out.stderr));
        objects.push(obj);
    }
    let src = dir.path().join(format!("{name}.cpp"));
    fs::write(&src, main).unwrap();
    let exe = dir.path().join(name);
    let out = run(Command::new("g++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .args(san)
        .arg("-I")
        .arg(dir.path())
        .arg("-I")
        .arg(repo("headers"))
        .arg(&src)
        .args(&objects)
        .arg("-o")
        .arg(&exe));
    assert!(
        out.status.success(),
        "g++ {name}:\n{}",
        common::text(&out.stderr)
    );
    let out = run(&mut Command::new(&exe));
    let stdout = common::text(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "{name}: {stdout}\n{}",
        common::text(&out.stderr)
    );
}

#[test]
fn a_cpp_host_calls_the_c_plugin_with_maps_and_fixed_lists_under_asan_and_ubsan() {
    run_cpp(
        "cpp_host",
        CPP_HOST,
        Some(&repo("tests/constructs/c/collections.c")),
    );
}

#[test]
fn a_cpp_plugin_serves_maps_and_fixed_lists_under_asan_and_ubsan() {
    run_cpp("cpp_server", CPP_SERVER, None);
}
