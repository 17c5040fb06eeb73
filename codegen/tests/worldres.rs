//! Resources declared at world level (issue 11, A.3; `docs/abi.md` §5, "Resources
//! declared at world level"): the compatibility check treats the world's resource table
//! like any imported interface (appending a method or a static in a minor version keeps
//! older plugins compatible, inserting one breaks); a C++ host that implements the
//! resource with the generated `server` classes serves the C plugin of tests/constructs,
//! linked in, and a C++ plugin (its exports `server` takes and returns the host's
//! counters as client classes) serves a C++ host, both under ASan and UBSan.
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

/// What the two C++ programs below start with: the includes, the `EXPECT` macro and the
/// host's implementation of the world-level resource (its table, the counter, the bare
/// imports), left open inside an anonymous namespace.
const CPP_HOST_IMPL: &str = r#"
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
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
/* The world's imports table, served by `table` and `functions`. */
test_worldres_v1_worldres_imports host_imports(table_impl &table, functions_impl &functions) {
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
    return imports;
}
"#;

/// A C++ host implementing the world-level resource with the generated server classes,
/// the C plugin of tests/constructs linked in (its entry called directly): the plugin
/// creates, borrows, returns and takes the host's counters; every one is destroyed once.
/// It follows [`CPP_HOST_IMPL`].
const CPP_HOST: &str = r#"} // namespace
int main() {
    static table_impl table;
    static functions_impl functions;
    test_worldres_v1_worldres_imports imports = host_imports(table, functions);
    const test_worldres_v1_worldres_exports *ex = nullptr;
    pp_string err{nullptr, 0};
    EXPECT(plugport_entry_test_worldres_v1_worldres(1, &imports, &ex, &err) == PP_OK);
    w::worldres_exports_client client(ex);
    {
        /* The exports client hands the host its own counters as C handles (the host
         * implements them); w::worldres::counter adopts one and drops it once. */
        auto c = client.make(41);
        EXPECT(c.has_value() && alive == 1);
        if (c.has_value()) {
            EXPECT(static_cast<w::worldres::counter_server *>(c->self)->get() == 41);
            w::worldres::counter owned(*c);
            auto v = owned.get();
            EXPECT(v.has_value() && *v == 41);
            auto l = client.look(owned.c_handle());
            EXPECT(l.has_value() && *l == 41);
            auto t = client.take(owned.release());
            EXPECT(t.has_value() && *t == 41);
            EXPECT(alive == 0);
        }
        /* A handle used after it was dropped: the checked caller refuses it, the host
         * is not called. */
        auto d = client.make(9);
        EXPECT(d.has_value() && alive == 1);
        if (d.has_value()) {
            w::worldres::counter owned(*d);
            owned.reset();
            EXPECT(alive == 0);
            auto after = owned.get();
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

/// A C++ plugin (the generated exports `server` and the imports client) calling the
/// host's world-level resource, with a C++ host implementing it in the same executable
/// (the plugin's entry called directly): the same answers as the C plugin. It follows
/// [`CPP_HOST_IMPL`].
const CPP_PLUGIN: &str = r#"/* ---- the plugin: uses the host's counters ---- */
w::worldres_imports_client host;
uint32_t value_of(test_worldres_v1_worldres_counter h) {
    uint32_t v = 0;
    pp_error e;
    if (test_worldres_v1_worldres_counter_call_get(h, &v, &e) != PP_OK) v = 0;
    pp_error_release(&e);
    return v;
}
w::worldres::counter make_counter(uint32_t start) {
    auto c = host.worldres().counter_new(start);
    return c.has_value() ? std::move(*c) : w::worldres::counter();
}
void drop_forged(void *) {}
const test_worldres_v1_worldres_counter_vtable FORGED = {
    {sizeof(test_worldres_v1_worldres_counter_vtable), TEST_WORLDRES_V1_WORLDRES_COUNTER_VTABLE_VERSION, &::pp::malloc_dealloc},
    &drop_forged, nullptr, nullptr};
int forged_object;
struct plugin_impl : w::worldres_exports_server {
    w::worldres::counter make(uint32_t start) override { return make_counter(start); }
    uint32_t take(w::worldres::counter c) override { return value_of(c.c_handle()); }
    uint32_t look(w::worldres::counter::ref c) override { return value_of(c.c_handle()); }
    uint32_t sum(::pp::span<const test_worldres_v1_worldres_counter> items,
                 ::pp::span<const test_worldres_v1_worldres_counter> views,
                 const test_worldres_v1_option_worldres_counter &extra) override {
        uint32_t total = 0;
        for (const auto &h : items) {
            w::worldres::counter owned(h); /* own: dropped here */
            total += value_of(owned.c_handle());
        }
        for (const auto &h : views) total += value_of(h);
        if (extra.is_some) {
            w::worldres::counter owned(extra.val);
            total += value_of(owned.c_handle());
        }
        return total;
    }
    test_worldres_v1_slot wrap(std::string_view label, const test_worldres_v1_option_u32 &start) override {
        test_worldres_v1_slot s;
        std::memset(&s, 0, sizeof s);
        s.label = ::pp::owned_string(label).release();
        if (start.is_some) {
            s.item.is_some = 1;
            s.item.val = make_counter(start.val).release();
        }
        return s;
    }
    std::optional<w::worldres::counter> open(const test_worldres_v1_slot &s) override {
        if (!s.item.is_some) return std::nullopt;
        w::worldres::counter item(s.item.val);
        if (::pp::detail::view(s.label) == "drop") return std::nullopt;
        return item;
    }
    uint32_t lend(uint32_t start) override {
        auto a = make_counter(start);
        auto seen = host.peek(a);
        auto b = make_counter(seen.has_value() ? *seen * 10 : 0);
        auto merged = host.worldres().counter_merge(a, std::move(b));
        if (!merged.has_value()) return 0;
        auto v = merged->add(1);
        return v.has_value() ? *v : 0;
    }
    ::pp::owned_string forge() override {
        test_worldres_v1_worldres_counter fake{&forged_object, &FORGED};
        auto r = host.worldres().counter_merge(w::worldres::counter::ref(fake), make_counter(5));
        if (r.has_value()) return ::pp::owned_string("");
        return ::pp::owned_string(r.error().message());
    }
};
plugin_impl the_plugin;
w::worldres_exports make(const w::worldres_imports_client &imports) {
    host = imports;
    w::worldres_exports e;
    e.functions = &the_plugin;
    return e;
}
} // namespace
TEST_WORLDRES_V1_WORLDRES_CPP_EXPORT("worldres-cpp", "1.0.0", make)
int main() {
    static table_impl table;
    static functions_impl functions;
    test_worldres_v1_worldres_imports imports = host_imports(table, functions);
    const test_worldres_v1_worldres_exports *ex = nullptr;
    pp_string err{nullptr, 0};
    EXPECT(plugport_entry_test_worldres_v1_worldres(1, &imports, &ex, &err) == PP_OK);
    w::worldres_exports_client client(ex);
    {
        auto c = client.make(41);
        EXPECT(c.has_value() && alive == 1);
        if (c.has_value()) {
            w::worldres::counter owned(*c);
            EXPECT(client.look(owned.c_handle()).has_value());
            auto t = client.take(owned.release());
            EXPECT(t.has_value() && *t == 41);
        }
        EXPECT(alive == 0);
        /* Own items and extra taken (dropped by the plugin), the view only borrowed. */
        auto kept = table.counter_new(100);
        test_worldres_v1_worldres_counter items[2] = {
            {table.counter_new(1).release(), w::worldres::counter_server::pp_vtable()},
            {table.counter_new(2).release(), w::worldres::counter_server::pp_vtable()}};
        test_worldres_v1_worldres_counter view{kept.get(), w::worldres::counter_server::pp_vtable()};
        test_worldres_v1_option_worldres_counter extra{1, {table.counter_new(1000).release(), w::worldres::counter_server::pp_vtable()}};
        EXPECT(alive == 4);
        auto n = client.sum(::pp::span<const test_worldres_v1_worldres_counter>(items, 2),
                            ::pp::span<const test_worldres_v1_worldres_counter>(&view, 1), extra);
        EXPECT(n.has_value() && *n == 1103);
        EXPECT(alive == 1);
        kept.reset();
        EXPECT(alive == 0);
        auto s = client.wrap("held", test_worldres_v1_option_u32{1, 7});
        EXPECT(s.has_value() && alive == 1);
        if (s.has_value()) {
            EXPECT(::pp::detail::view((*s)->label) == "held" && (*s)->item.is_some == 1);
        }
        auto lent = client.lend(4);
        EXPECT(lent.has_value() && *lent == 45);
        auto f = client.forge();
        EXPECT(f.has_value() && f->view().find("a handle this side did not create") != std::string_view::npos);
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

/// Builds `main` (C++17, with the C plugin of tests/constructs linked in when
/// `c_plugin`) under ASan and UBSan.
fn build(dir: &Path, main: &str, c_plugin: bool) -> std::path::PathBuf {
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
    let mut objects = Vec::new();
    if c_plugin {
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
        objects.push(obj);
    }
    let src = dir.join("main.cpp");
    fs::write(&src, main).unwrap();
    let exe = dir.join("main");
    let out = run(Command::new("g++")
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .args(san)
        .arg("-I")
        .arg(dir)
        .arg("-I")
        .arg(repo("headers"))
        .arg(&src)
        .args(&objects)
        .arg("-o")
        .arg(&exe));
    assert!(out.status.success(), "g++:\n{}", common::text(&out.stderr));
    exe
}

/// Runs `exe`; it must print `ok`.
fn run_ok(exe: &Path) {
    let out = run(&mut Command::new(exe));
    let stdout = common::text(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "{stdout}\n{}",
        common::text(&out.stderr)
    );
}

#[test]
fn a_cpp_host_implements_the_world_level_resource_for_the_c_plugin_under_asan_and_ubsan() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(&build(
        dir.path(),
        &format!("{CPP_HOST_IMPL}{CPP_HOST}"),
        true,
    ));
}

#[test]
fn a_cpp_plugin_uses_the_hosts_world_level_resource_under_asan_and_ubsan() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(&build(
        dir.path(),
        &format!("{CPP_HOST_IMPL}{CPP_PLUGIN}"),
        false,
    ));
}
