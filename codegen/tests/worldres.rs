//! Resources declared at world level (issue 11, A.3; `docs/abi.md` §5, "Resources
//! declared at world level"): the compatibility check treats the world's resource table
//! like any imported interface (appending a method or a static in a minor version keeps
//! older plugins compatible, inserting one breaks), and a C++ host that implements the
//! resource with the generated `server` classes serves the C plugin of tests/constructs,
//! linked in, under ASan and UBSan.
//!
//! The round trips with the Rust host across `dlopen` and the isolated mode are in
//! tests/constructs (`worldres.rs`); the Rust guest in tests/rust-roundtrip.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::repo;
use plugport::compat::{compare, Change};
use plugport::ir::World;
use plugport_codegen::frontend::load_world;

fn worldres_text() -> String {
    fs::read_to_string(repo("tests/wit/accept/worldres.wit")).unwrap()
}

/// The world of `text`, written to a temporary file.
fn world_of(text: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("worldres.wit");
    fs::write(&path, text).unwrap();
    load_world(&path, Some("worldres")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// worldres.wit at version `version`, with `extra` inserted into the resource `counter`
/// after the member that starts with `after`.
fn evolved(version: &str, after: &str, extra: &str) -> World {
    let text = worldres_text().replace("@1.0.0", &format!("@{version}"));
    let at = text.find(after).unwrap_or_else(|| panic!("{after}"));
    let end = at + text[at..].find('\n').unwrap() + 1;
    world_of(&format!("{}{extra}\n{}", &text[..end], &text[end..]))
}

#[test]
fn appending_to_a_world_level_resource_is_compatible_and_inserting_breaks() {
    let old = world_of(&worldres_text());
    // A method appended (after the last method, `add`) and a static appended (after the
    // last static, `merge`): the host of 1.1 accepts the plugin of 1.0 and vice versa.
    let text = worldres_text().replace("@1.0.0", "@1.1.0");
    let text = text.replace(
        "    merge: static func(a: borrow<counter>, b: counter) -> counter;\n",
        "    merge: static func(a: borrow<counter>, b: counter) -> counter;\n    \
         double: func() -> u32;\n    zero: static func() -> counter;\n",
    );
    let new = world_of(&text);
    for (host, plugin) in [(&new, &old), (&old, &new)] {
        let c = compare(host, plugin);
        assert!(c.is_compatible(), "{c}");
    }
    assert_eq!(compare(&old, &new).change(), Change::Appended);
    let added = compare(&old, &new).to_string();
    assert!(
        added.contains("double") && added.contains("zero"),
        "{added}"
    );

    // A method inserted before `add` moves its vtable slot; a static inserted before
    // `merge` moves its table slot: both break.
    for (after, extra, moved) in [
        ("    get: func() -> u32;", "    reset: func();", "add"),
        (
            "    constructor(start: u32);",
            "    one: static func() -> counter;",
            "merge",
        ),
    ] {
        let new = evolved("1.1.0", after, extra);
        let c = compare(&old, &new);
        assert_eq!(c.change(), Change::Breaking, "{extra}: {c}");
        assert!(c.to_string().contains(moved), "{extra}: {c}");
    }
}

/// A C++ host implementing the world-level resource with the generated server classes,
/// the C plugin of tests/constructs linked in (its entry called directly): the plugin
/// creates, borrows, returns and takes the host's counters; every one is destroyed once.
const CPP_HOST: &str = r#"
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include "worldres.hpp"
namespace w = test::worldres::v1;
static int failed;
#define EXPECT(c) do { if (!(c)) { std::printf("FAILED line %d: %s\n", __LINE__, #c); failed = 1; } } while (0)
static std::atomic<int> alive{0};
namespace {
struct counter_impl : w::worldres::counter_server {
    std::atomic<uint32_t> v;
    explicit counter_impl(uint32_t s) : v(s) { alive++; }
    ~counter_impl() override { alive--; }
    uint32_t get() override { return v.load(); }
    uint32_t add(uint32_t n) override { return v += n; }
};
struct table_impl : w::worldres::server {
    std::unique_ptr<w::worldres::counter_server> counter_new(uint32_t start) override {
        return std::make_unique<counter_impl>(start);
    }
    std::unique_ptr<w::worldres::counter_server> counter_merge(
        w::worldres::counter_server &a, std::unique_ptr<w::worldres::counter_server> b) override {
        return std::make_unique<counter_impl>(a.get() + b->get());
    }
};
struct functions_impl : w::worldres_imports_server {
    uint32_t peek(w::worldres::counter_server &c) override { return c.get(); }
    uint32_t live() override { return static_cast<uint32_t>(alive.load()); }
};
} // namespace
int main() {
    static table_impl table;
    static functions_impl functions;
    test_worldres_v1_worldres_imports imports;
    std::memset(&imports, 0, sizeof imports);
    imports.header.size = sizeof imports;
    imports.header.version = TEST_WORLDRES_V1_WORLDRES_IMPORTS_VERSION;
    imports.header.dealloc = &::pp::malloc_dealloc;
    w::worldres::server::pp_instance().store(&table);
    imports.worldres = w::worldres::server::pp_table();
    w::worldres_imports_server::pp_instance().store(&functions);
    imports.peek = &w::worldres_imports_server::pp_slot_peek;
    imports.live = &w::worldres_imports_server::pp_slot_live;
    const test_worldres_v1_worldres_exports *ex = nullptr;
    pp_string err{nullptr, 0};
    EXPECT(plugport_entry_test_worldres_v1_worldres(1, &imports, &ex, &err) == PP_OK);
    w::worldres_exports_client client(ex);
    {
        auto c = client.make(41);
        EXPECT(c.has_value() && alive == 1);
        if (c.has_value()) {
            auto v = c->get();
            EXPECT(v.has_value() && *v == 41);
            auto l = client.look(*c);
            EXPECT(l.has_value() && *l == 41);
            auto t = client.take(std::move(*c));
            EXPECT(t.has_value() && *t == 41);
            EXPECT(alive == 0);
        }
        /* A handle used after it was dropped: the checked caller refuses it, the host
         * is not called. */
        auto d = client.make(9);
        EXPECT(d.has_value() && alive == 1);
        if (d.has_value()) {
            d->reset();
            EXPECT(alive == 0);
            auto after = d->get();
            EXPECT(!after.has_value());
        }
        auto lent = client.lend(4);
        EXPECT(lent.has_value() && *lent == 45);
        EXPECT(alive == 0);
        auto s = client.wrap("held", test_worldres_v1_option_u32{1, 7});
        EXPECT(s.has_value() && alive == 1);
        if (s.has_value()) {
            EXPECT((*s)->item.is_some == 1);
        }
        auto f = client.forge();
        EXPECT(f.has_value() && f->view().find("counter") != std::string_view::npos);
        EXPECT(alive == 1);
    }
    EXPECT(alive == 0);
    if (!failed) std::printf("ok\n");
    return failed;
}
"#;

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs gcc and clang)")
    })
}

fn build(dir: &Path) -> std::path::PathBuf {
    let out = common::plugport(&[
        "gen",
        repo("tests/wit/accept/worldres.wit").to_str().unwrap(),
        "--lang",
        "cpp",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let san = [
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
        "-g",
    ];
    let obj = dir.join("plugin.o");
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
        .args(san)
        .arg("-I")
        .arg(dir)
        .arg(repo("tests/constructs/c/worldres.c"))
        .arg("-o")
        .arg(&obj));
    assert!(out.status.success(), "cc:\n{}", common::text(&out.stderr));
    let src = dir.join("host.cpp");
    fs::write(&src, CPP_HOST).unwrap();
    let exe = dir.join("host");
    let out = run(Command::new("g++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .args(san)
        .arg("-I")
        .arg(dir)
        .arg("-I")
        .arg(repo("headers"))
        .arg(&src)
        .arg(&obj)
        .arg("-o")
        .arg(&exe));
    assert!(out.status.success(), "g++:\n{}", common::text(&out.stderr));
    exe
}

#[test]
fn a_cpp_host_implements_the_world_level_resource_for_the_c_plugin_under_asan_and_ubsan() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    let out = run(&mut Command::new(&exe));
    let stdout = common::text(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "{stdout}\n{}",
        common::text(&out.stderr)
    );
}
