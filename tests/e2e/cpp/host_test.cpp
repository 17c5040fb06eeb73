// The C++ layer's failure cases (GoogleTest), with real plugins loaded by dlopen and their
// entry (as tests/e2e/c/checked_host.c does; no runtime needed):
//  - a C++ host (generated hostile.hpp clients) against the hostile C plugin
//    (tests/e2e/c/hostile_plugin.c): every invalid result gives PP_ERR_INVALID_RESULT,
//    a NULL slot and a short table PP_ERR_UNSUPPORTED, a result pointing into its
//    argument PP_ERR_INVALID_RESULT, and nothing leaks or crashes;
//  - raw calls into the C++ plugin strict_plugin.cpp: invalid UTF-8, bad tags, bool 2,
//    surrogates, NULL lists, bad discriminants and a NULL self are refused with
//    PP_ERR_INVALID_ARGUMENT (own tokens dropped); exceptions (std::runtime_error, an int,
//    a std::string) become PP_ERR_PANIC and the plugin stays usable; 8 threads at once.
// HOSTILE_C_PLUGIN and STRICT_CPP_PLUGIN are the plugins' paths (compile definitions).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hostile.hpp"

namespace hv1 = test::hostile::v1;
namespace api = test::hostile::v1::api;

namespace {

struct plugin {
    const test_hostile_v1_hostile_exports *exports = nullptr;
    size_t (*live)() = nullptr;
};

plugin open_plugin(const char *path) {
    static const test_hostile_v1_hostile_imports imports = {{sizeof(test_hostile_v1_hostile_imports), 0x00010000u, nullptr}};
    plugin p;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL); // kept loaded for the process
    if (lib == nullptr) {
        ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
        return p;
    }
    using entry_fn = pp_status (*)(uint32_t, const test_hostile_v1_hostile_imports *,
                                   const test_hostile_v1_hostile_exports **, pp_string *);
    entry_fn entry;
    void *sym = dlsym(lib, "plugport_entry_test_hostile_v1_hostile");
    std::memcpy(&entry, &sym, sizeof entry);
    void *live = dlsym(lib, "plugport_live_objects_test_hostile_v1_hostile");
    std::memcpy(&p.live, &live, sizeof live);
    pp_string err{nullptr, 0};
    if (entry == nullptr || entry(1, &imports, &p.exports, &err) != PP_OK) {
        ADD_FAILURE() << "entry of " << path << " failed";
    }
    return p;
}

const plugin &hostile() {
    static plugin p = open_plugin(HOSTILE_C_PLUGIN);
    return p;
}

const plugin &strict() {
    static plugin p = open_plugin(STRICT_CPP_PLUGIN);
    return p;
}

hv1::hostile_exports_client client_of(const plugin &p) { return hv1::hostile_exports_client(p.exports); }

// A token made by the host, with a vtable that counts drops.
std::atomic<int> drops{0};
void count_drop(void *) { drops++; }
const test_hostile_v1_api_token_vtable HOST_TOKEN_VTABLE = {
    {sizeof(test_hostile_v1_api_token_vtable), 0x00010000u, nullptr}, count_drop, nullptr, nullptr};
int host_self;
test_hostile_v1_api_token host_token() { return test_hostile_v1_api_token{&host_self, &HOST_TOKEN_VTABLE}; }

template <class R>
void expect_status(const R &r, pp_status status, const char *needle) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().status(), status) << r.error().to_string();
    EXPECT_NE(r.error().message().find(needle), std::string_view::npos) << r.error().to_string();
}

// ---- the C++ host against the hostile C plugin -------------------------------------------

TEST(CppHostVsHostileCPlugin, InvalidResultsGivePpErrInvalidResult) {
    auto a = client_of(hostile()).api();
    ASSERT_TRUE(a);
    expect_status(a.text("x"), PP_ERR_INVALID_RESULT, "invalid UTF-8");
    expect_status(a.bytes(pp::span<const uint8_t>()), PP_ERR_INVALID_RESULT, "NULL pointer");
    expect_status(a.names(), PP_ERR_INVALID_RESULT, "invalid UTF-8");
    expect_status(a.hue(), PP_ERR_INVALID_RESULT, "enum");
    expect_status(a.form(), PP_ERR_INVALID_RESULT, "variant tag");
    expect_status(a.flag(), PP_ERR_INVALID_RESULT, "bool");
    expect_status(a.rights(), PP_ERR_INVALID_RESULT, "flag bits");
    expect_status(a.letter(), PP_ERR_INVALID_RESULT, "char");
    expect_status(a.someone(), PP_ERR_INVALID_RESULT, "option");
    expect_status(a.maybe(), PP_ERR_INVALID_RESULT, "result");
    expect_status(a.token_new(0), PP_ERR_INVALID_RESULT, "handle");
}

TEST(CppHostVsHostileCPlugin, AResultPointingIntoItsArgumentIsRefused) {
    auto a = client_of(hostile()).api();
    std::string arg = "my own memory";
    expect_status(a.echo(arg), PP_ERR_INVALID_RESULT, "points into an argument");
    EXPECT_EQ(arg, "my own memory"); // not released, not changed
}

TEST(CppHostVsHostileCPlugin, AnInvalidErrorMessageIsReplaced) {
    auto r = client_of(hostile()).api().fail("x");
    expect_status(r, PP_ERR_PANIC, "not valid UTF-8 and was dropped");
}

TEST(CppHostVsHostileCPlugin, NullSlotsAndShortTablesArePpErrUnsupported) {
    auto ex = client_of(hostile());
    auto a = ex.api();
    EXPECT_FALSE(a.has_missing());
    expect_status(a.missing(), PP_ERR_UNSUPPORTED, "not provided");
    EXPECT_FALSE(a.has_beyond());
    drops = 0;
    api::token mine(host_token());
    expect_status(a.beyond(std::move(mine)), PP_ERR_UNSUPPORTED, "not provided");
    EXPECT_EQ(drops.load(), 1) << "the owned token argument is dropped by the checked caller";
    EXPECT_FALSE(mine) << "ownership moved into the call";
    EXPECT_FALSE(ex.has_version());
    expect_status(ex.version(), PP_ERR_UNSUPPORTED, "not provided");
    auto t = a.token_new(3);
    ASSERT_TRUE(t.has_value()) << t.error().to_string();
    EXPECT_TRUE(t->has_id());
    EXPECT_FALSE(t->has_bump());
    expect_status(t->bump(), PP_ERR_UNSUPPORTED, "not provided");
    auto id = t->id();
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(*id, 3u);
}

TEST(CppHostVsHostileCPlugin, ANullTableIsPpErrUnsupported) {
    api::client none;
    expect_status(none.text("x"), PP_ERR_UNSUPPORTED, "not provided");
    api::token empty;
    expect_status(empty.id(), PP_ERR_UNSUPPORTED, "not provided");
}

// ---- invalid arguments sent into the C++ plugin through its raw table --------------------

struct raw_call {
    pp_status status;
    std::string message;
};

template <class F>
raw_call call_raw(F &&f) {
    pp_string err{nullptr, 0};
    pp_status st = f(&err);
    raw_call r{st, std::string(pp::detail::view(err))};
    pp_string_release(&err, &pp::malloc_dealloc);
    return r;
}

TEST(CppPluginArguments, InvalidArgumentsArePpErrInvalidArgument) {
    const test_hostile_v1_api_table *t = client_of(strict()).api().c_table();
    ASSERT_NE(t, nullptr);
    pp_string ret{nullptr, 0};
    auto r = call_raw([&](pp_string *e) { return t->text(pp_string{nullptr, 3}, &ret, e); });
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("NULL pointer"), std::string::npos) << r.message;
    r = call_raw([&](pp_string *e) { return t->text(pp_string{"\xff", 1}, &ret, e); });
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("argument `s`: invalid UTF-8"), std::string::npos) << r.message;

    test_hostile_v1_api_perms perms = 1;
    test_hostile_v1_api_shape shape{};
    test_hostile_v1_list_string list{nullptr, 0};
    test_hostile_v1_api_person who{};
    uint32_t u = 0;
    auto take = [&](uint8_t f, uint32_t ch) {
        return call_raw([&](pp_string *e) { return t->take(f, ch, perms, shape, list, who, &u, e); });
    };
    EXPECT_EQ(take(0, 'a').status, PP_OK);
    r = take(2, 'a');
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("bool"), std::string::npos) << r.message;
    r = take(0, 0xD800u);
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("char"), std::string::npos) << r.message;
    perms = 0x10;
    r = take(0, 'a');
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("flag bits"), std::string::npos) << r.message;
    perms = 1;
    shape.tag = 7;
    r = take(0, 'a');
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("variant tag"), std::string::npos) << r.message;
    shape.tag = 2;
    list.len = 2;
    r = take(0, 'a');
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("NULL pointer"), std::string::npos) << r.message;
    list.len = 0;
    who.home.is_some = 5;
    r = take(0, 'a');
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("option discriminant"), std::string::npos) << r.message;
}

TEST(CppPluginArguments, RefusedCallsDropEveryOwnToken) {
    const plugin &p = strict();
    auto a = client_of(p).api();
    ASSERT_NE(p.live, nullptr);
    size_t before = p.live();
    auto made = a.token_new(9);
    ASSERT_TRUE(made.has_value());
    EXPECT_EQ(p.live(), before + 1);
    const test_hostile_v1_api_table *t = a.c_table();
    test_hostile_v1_option_api_token more{};
    more.is_some = 1;
    more.val = host_token();
    drops = 0;
    uint32_t u = 0;
    // Invalid UTF-8: refused; the plugin's own token and the nested host token are dropped.
    auto r = call_raw([&](pp_string *e) {
        return t->give(made->release(), pp_string{"\xc3", 1}, 0, more, &u, e);
    });
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT) << r.message;
    EXPECT_EQ(p.live(), before) << "the plugin's token was dropped";
    EXPECT_EQ(drops.load(), 1) << "the nested host token was dropped";
    // A token this side did not create is refused (and dropped).
    drops = 0;
    more.is_some = 0;
    r = call_raw([&](pp_string *e) { return t->give(host_token(), pp_string{"x", 1}, 0, more, &u, e); });
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("did not create"), std::string::npos) << r.message;
    EXPECT_EQ(drops.load(), 1);
    // A method called with self = NULL.
    auto tok = a.token_new(4);
    ASSERT_TRUE(tok.has_value());
    r = call_raw([&](pp_string *e) { return tok->c_handle().vtable->id(nullptr, &u, e); });
    EXPECT_EQ(r.status, PP_ERR_INVALID_ARGUMENT);
    EXPECT_NE(r.message.find("self"), std::string::npos) << r.message;
    // And a valid call reads and drops the token.
    auto t2 = a.token_new(100);
    ASSERT_TRUE(t2.has_value());
    auto given = a.give(std::move(*t2), "ab", api::color::green, more);
    ASSERT_TRUE(given.has_value()) << given.error().to_string();
    EXPECT_EQ(*given, 103u);
}

// ---- exceptions in the C++ plugin -------------------------------------------------------

TEST(CppPluginExceptions, BecomePpErrPanicWithWhatAndThePluginStaysUsable) {
    auto a = client_of(strict()).api();
    expect_status(a.fail("disk on fire"), PP_ERR_PANIC, "disk on fire");
    expect_status(a.echo("throw-int"), PP_ERR_PANIC, "not derived from std::exception");
    expect_status(a.text("throw-string"), PP_ERR_PANIC, "not derived from std::exception");
    auto ok = a.echo("still here");
    ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
    EXPECT_EQ(ok->view(), "still here");
}

// ---- valid values round-trip through the C++ plugin -------------------------------------

TEST(CppPluginValues, EveryResultArrivesChecked) {
    auto ex = client_of(strict());
    auto a = ex.api();
    auto names = a.names();
    ASSERT_TRUE(names.has_value());
    ASSERT_EQ(names->size(), 2u);
    EXPECT_EQ(pp::detail::view((*names)[1]), "Grace");
    auto hue = a.hue();
    ASSERT_TRUE(hue.has_value());
    EXPECT_EQ(*hue, api::color::blue);
    auto letter = a.letter();
    ASSERT_TRUE(letter.has_value());
    EXPECT_EQ(*letter, U'\u00e9');
    auto who = a.someone();
    ASSERT_TRUE(who.has_value());
    EXPECT_EQ(pp::detail::view((*who)->name), "Ada");
    auto maybe = a.maybe();
    ASSERT_TRUE(maybe.has_value());
    ASSERT_FALSE(maybe->has_value());
    EXPECT_EQ(maybe->error().view(), "no");
    auto v = ex.version();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->view(), "strict-cpp 1.0");
    const uint8_t bytes[3] = {1, 2, 3};
    auto b = a.bytes(bytes);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->to_vector(), std::vector<uint8_t>({1, 2, 3}));
}

TEST(CppPluginThreads, EightThreadsCallAtOnce) {
    auto a = client_of(strict()).api();
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; i++) {
        threads.emplace_back([&, i] {
            for (int k = 0; k < 2000; k++) {
                std::string s = "thread " + std::to_string(i) + " call " + std::to_string(k);
                auto r = a.text(s);
                auto t = a.token_new(uint32_t(k + 1));
                if (!r || r->view() != s || !t || !t->bump() || *t->id() != uint32_t(k + 2)) {
                    failures++;
                }
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(strict().live(), 0u) << "every token of the threads was dropped";
}

} // namespace
