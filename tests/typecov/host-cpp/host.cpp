// The type-coverage host in C++17: loads a test:typecov@1.0.0 plugin with the generated
// typecov.hpp (test::typecov::v1::typecov::load) and checks, as the C host does
// (tests/typecov/host-c):
//  - a round trip of edge values through every echo function, through the generated
//    clients (the C header's checked callers underneath: every result is validated and
//    released by its owning wrapper through the table's dealloc);
//  - the counter resource: constructor, methods, static, borrow (ref), move, RAII drop,
//    `live`;
//  - `boom`: PP_ERR_PANIC with the message, and the plugin still works afterwards;
//  - arguments a caller can get wrong, sent through the RAW table: each must be refused
//    with PP_ERR_INVALID_ARGUMENT and a message, never crash; a foreign own handle is
//    dropped;
//  - 8 threads calling the one plugin at once.
// One line per check, then "N passed, M failed"; exit status 0 only when all passed.
//
//   usage: typecov-host-cpp <plugin.so>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "plugport.h"
#include "typecov.hpp"

namespace tv1 = test::typecov::v1;
namespace types = test::typecov::v1::types;

namespace {

int passed = 0, failed = 0;

bool check(bool ok, const std::string &what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    (ok ? passed : failed)++;
    return ok;
}

template <class R>
bool called(const R &r, const std::string &what) {
    if (r) {
        return true;
    }
    return check(false, what + ": " + r.error().to_string());
}

std::string_view sv(pp_string s) { return pp::detail::view(s); }
pp_string ps(std::string_view s) { return pp::detail::str(s); }

template <class T>
void echo_value(const char *fn, pp::result<T, pp::call_error> r, T v, const std::string &label) {
    if (called(r, std::string(fn) + "(" + label + ")")) {
        check(*r == v, std::string(fn) + "(" + label + ") round-trips");
    }
}

void scalars(const tv1::echo::client &e) {
    for (bool b : {false, true}) {
        echo_value("echo_bool", e.echo_bool(b), b, b ? "true" : "false");
    }
    for (int8_t v : {std::numeric_limits<int8_t>::min(), int8_t(-1), int8_t(0), std::numeric_limits<int8_t>::max()}) {
        echo_value("echo_s8", e.echo_s8(v), v, std::to_string(v));
    }
    for (int16_t v : {std::numeric_limits<int16_t>::min(), int16_t(0), std::numeric_limits<int16_t>::max()}) {
        echo_value("echo_s16", e.echo_s16(v), v, std::to_string(v));
    }
    for (int32_t v : {std::numeric_limits<int32_t>::min(), 0, std::numeric_limits<int32_t>::max()}) {
        echo_value("echo_s32", e.echo_s32(v), v, std::to_string(v));
    }
    for (int64_t v : {std::numeric_limits<int64_t>::min(), int64_t(0), std::numeric_limits<int64_t>::max()}) {
        echo_value("echo_s64", e.echo_s64(v), v, std::to_string(v));
    }
    for (uint8_t v : {uint8_t(0), uint8_t(255)}) {
        echo_value("echo_u8", e.echo_u8(v), v, std::to_string(v));
    }
    for (uint16_t v : {uint16_t(0), uint16_t(65535)}) {
        echo_value("echo_u16", e.echo_u16(v), v, std::to_string(v));
    }
    for (uint32_t v : {0u, 0xFFFFFFFFu}) {
        echo_value("echo_u32", e.echo_u32(v), v, std::to_string(v));
    }
    for (uint64_t v : {uint64_t(0), std::numeric_limits<uint64_t>::max()}) {
        echo_value("echo_u64", e.echo_u64(v), v, std::to_string(v));
    }
    // Floats by bit pattern: NaN payloads, -0, infinities, subnormals survive unchanged.
    for (uint32_t bits : {0x7FC00001u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x00000001u, 0x3F800000u}) {
        float f;
        std::memcpy(&f, &bits, 4);
        auto r = e.echo_f32(f);
        uint32_t got = 0;
        if (called(r, "echo_f32")) {
            float v = *r;
            std::memcpy(&got, &v, 4);
        }
        check(got == bits, "echo_f32(bits " + std::to_string(bits) + ") keeps its bits");
    }
    for (uint64_t bits : {0x7FF8000000000001ull, 0x8000000000000000ull, 0x7FF0000000000000ull, 0x0000000000000001ull}) {
        double d;
        std::memcpy(&d, &bits, 8);
        auto r = e.echo_f64(d);
        uint64_t got = 0;
        if (called(r, "echo_f64")) {
            double v = *r;
            std::memcpy(&got, &v, 8);
        }
        check(got == bits, "echo_f64(bits " + std::to_string(bits) + ") keeps its bits");
    }
    for (char32_t c : {U'\0', U'A', U'\u00e9', U'\ud7ff', U'\ue000', U'\U0010FFFF'}) {
        echo_value("echo_char", e.echo_char(c), c, std::to_string(uint32_t(c)));
    }
}

std::string big_string(size_t n) {
    static const char *const chars[] = {"a", "\xc3\xa9", "\xe4\xb8\x96", "\xf0\x9f\x8e\x89"};
    std::string s;
    for (size_t i = 0;; i++) {
        const char *c = chars[i % 4];
        if (s.size() + std::strlen(c) > n) {
            break;
        }
        s += c;
    }
    return s;
}

void strings_and_lists(const tv1::echo::client &e) {
    for (std::string s : {std::string(), std::string("hello"), std::string("\xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8c\x8d"),
                          big_string(1 << 20)}) {
        auto r = e.echo_string(s);
        if (called(r, "echo_string")) {
            check(r->view() == s && (s.empty() || r->data() != s.data()),
                  "echo_string(" + std::to_string(s.size()) + " bytes) returns an owned copy");
        }
    }
    std::vector<uint8_t> all(256);
    for (int i = 0; i < 256; i++) {
        all[size_t(i)] = uint8_t(i);
    }
    std::vector<uint8_t> mib(1 << 20, 0xA5);
    for (const auto *v : {&all, &mib}) {
        auto r = e.echo_bytes(*v);
        if (called(r, "echo_bytes")) {
            check(r->to_vector() == *v, "echo_bytes(" + std::to_string(v->size()) + " bytes) round-trips");
        }
    }
    auto empty = e.echo_bytes(pp::span<const uint8_t>());
    if (called(empty, "echo_bytes([])")) {
        check(empty->empty(), "echo_bytes([]) is empty");
    }
    std::vector<pp_string> items = {ps(""), ps("a"), ps("\xe4\xb8\x96\xe7\x95\x8c")};
    auto strs = e.echo_strings(items);
    if (called(strs, "echo_strings")) {
        check(strs->size() == 3 && sv((*strs)[0]).empty() && sv((*strs)[1]) == "a" &&
                  sv((*strs)[2]) == "\xe4\xb8\x96\xe7\x95\x8c",
              "echo_strings([\"\", a, 世界]) round-trips");
    }
}

void option_result_tuple(const tv1::echo::client &e) {
    test_typecov_v1_option_string none{}, some{};
    some.is_some = 1;
    some.val = ps("x\xc3\xa9");
    auto r0 = e.echo_option(none);
    if (called(r0, "echo_option(none)")) {
        check(!r0->has_value(), "echo_option(none) = none");
    }
    auto r1 = e.echo_option(some);
    if (called(r1, "echo_option(some)")) {
        check(r1->has_value() && (*r1)->view() == "x\xc3\xa9", "echo_option(some(xé)) round-trips");
    }
    test_typecov_v1_result_u32_string ok{}, err{};
    ok.val.ok = 0xFFFFFFFFu;
    err.is_err = 1;
    err.val.err = ps("bad");
    auto r2 = e.echo_result(ok);
    if (called(r2, "echo_result(ok)")) {
        check(r2->has_value() && **r2 == 0xFFFFFFFFu, "echo_result(ok(u32::MAX)) round-trips");
    }
    auto r3 = e.echo_result(err);
    if (called(r3, "echo_result(err)")) {
        check(!r3->has_value() && r3->error().view() == "bad", "echo_result(err(bad)) round-trips");
    }
    test_typecov_v1_result_void_types_failure uok{}, uerr{};
    uerr.is_err = 1;
    uerr.val.err.tag = TEST_TYPECOV_V1_TYPES_FAILURE_MESSAGE;
    uerr.val.err.val.message = ps("m\xc3\xa9");
    auto r4 = e.echo_result_unit(uok);
    if (called(r4, "echo_result_unit(ok)")) {
        check(r4->has_value(), "echo_result_unit(ok) = ok");
    }
    auto r5 = e.echo_result_unit(uerr);
    if (called(r5, "echo_result_unit(err)")) {
        check(!r5->has_value() && r5->error()->tag == TEST_TYPECOV_V1_TYPES_FAILURE_MESSAGE &&
                  sv(r5->error()->val.message) == "m\xc3\xa9",
              "echo_result_unit(err(message(mé))) round-trips");
    }
    test_typecov_v1_tuple3_u8_string_f64 t{};
    t.f0 = 255;
    t.f1 = ps("tuple");
    t.f2 = -0.5;
    auto r6 = e.echo_tuple(t);
    if (called(r6, "echo_tuple")) {
        check((*r6)->f0 == 255 && sv((*r6)->f1) == "tuple" && (*r6)->f2 == -0.5, "echo_tuple((255, tuple, -0.5))");
    }
}

bool person_eq(const types::person &a, const types::person &b) {
    if (sv(a.name) != sv(b.name) || a.age != b.age || a.tags.len != b.tags.len || a.home.is_some != b.home.is_some) {
        return false;
    }
    for (size_t i = 0; i < a.tags.len; i++) {
        if (sv(a.tags.ptr[i]) != sv(b.tags.ptr[i])) {
            return false;
        }
    }
    return !a.home.is_some || (a.home.val.x == b.home.val.x && a.home.val.y == b.home.val.y);
}

bool shape_eq(const types::shape &a, const types::shape &b) {
    if (a.tag != b.tag) {
        return false;
    }
    switch (a.tag) {
    case TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE: return a.val.circle == b.val.circle;
    case TEST_TYPECOV_V1_TYPES_SHAPE_RECT: return a.val.rect.x == b.val.rect.x && a.val.rect.y == b.val.rect.y;
    case TEST_TYPECOV_V1_TYPES_SHAPE_NAMED: return sv(a.val.named) == sv(b.val.named);
    default: return true;
    }
}

struct people {
    pp_string ada_tags[2] = {ps("math"), ps("\xe8\xae\xa1\xe7\xae\x97")};
    pp_string bob_tags[3] = {ps(""), ps("b"), ps("")};
    types::person ada{}, bob{};
    people() {
        ada.name = ps("Ada");
        ada.age = 36;
        ada.tags = {ada_tags, 2};
        ada.home.is_some = 1;
        ada.home.val = {1, 2};
        bob.name = ps("B\xc3\xb6" "b");
        bob.age = 255;
        bob.tags = {bob_tags, 3};
    }
};

std::vector<types::shape> shapes() {
    std::vector<types::shape> v(5);
    v[0].tag = TEST_TYPECOV_V1_TYPES_SHAPE_CIRCLE;
    v[0].val.circle = 3.5;
    v[1].tag = TEST_TYPECOV_V1_TYPES_SHAPE_RECT;
    v[1].val.rect = {-5, 7};
    v[2].tag = TEST_TYPECOV_V1_TYPES_SHAPE_EMPTY;
    v[3].tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
    v[3].val.named = ps("\xe5\x90\x8d\xe5\x89\x8d");
    v[4].tag = TEST_TYPECOV_V1_TYPES_SHAPE_NAMED;
    return v;
}

void compounds(const tv1::echo::client &e) {
    for (types::point p : {types::point{0, 0}, types::point{std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}}) {
        auto r = e.echo_point(p);
        if (called(r, "echo_point")) {
            check(r->x == p.x && r->y == p.y, "echo_point round-trips");
        }
    }
    people pp_;
    for (const types::person *p : {&pp_.ada, &pp_.bob}) {
        auto r = e.echo_person(*p);
        if (called(r, "echo_person")) {
            check(person_eq(**r, *p), "echo_person(" + std::string(sv(p->name)) + ") round-trips");
        }
    }
    for (types::color c : {types::color::red, types::color::green, types::color::blue}) {
        echo_value("echo_color", e.echo_color(c), c, std::to_string(int(c)));
    }
    for (types::perms p : {types::perms(0), types::perms(TEST_TYPECOV_V1_TYPES_PERMS_READ | TEST_TYPECOV_V1_TYPES_PERMS_EXEC), types::perms(7)}) {
        echo_value("echo_perms", e.echo_perms(p), p, std::to_string(int(p)));
    }
    for (types::wide w : {types::wide(0), types::wide(0x80000001u), types::wide(0xFFFFFFFFu)}) {
        echo_value("echo_wide", e.echo_wide(w), w, std::to_string(w));
    }
    for (const auto &s : shapes()) {
        auto r = e.echo_shape(s);
        if (called(r, "echo_shape")) {
            check(shape_eq(**r, s), "echo_shape(tag " + std::to_string(s.tag) + ") round-trips");
        }
    }
    std::vector<types::point> pts = {{1, 2}, {-3, 4}, {0, 0}};
    auto rp = e.echo_points(pts);
    if (called(rp, "echo_points")) {
        check(rp->size() == 3 && (*rp)[1].x == -3 && (*rp)[1].y == 4, "echo_points([3 points]) round-trips");
    }
    // option<result<list<person>, shape>>
    test_typecov_v1_option_result_list_types_person_types_shape none{}, ok{}, err{};
    types::person both[2] = {pp_.ada, pp_.bob};
    ok.is_some = 1;
    ok.val.val.ok = {both, 2};
    err.is_some = 1;
    err.val.is_err = 1;
    err.val.val.err = shapes()[3];
    auto n0 = e.echo_nested(none);
    if (called(n0, "echo_nested(none)")) {
        check(!n0->has_value(), "echo_nested(none) = none");
    }
    auto n1 = e.echo_nested(ok);
    if (called(n1, "echo_nested(some(ok))")) {
        check(n1->has_value() && (*n1)->has_value() && (**n1)->size() == 2 && person_eq((***n1)[0], pp_.ada) &&
                  person_eq((***n1)[1], pp_.bob),
              "echo_nested(some(ok([Ada, Böb]))) round-trips");
    }
    auto n2 = e.echo_nested(err);
    if (called(n2, "echo_nested(some(err))")) {
        check(n2->has_value() && !(*n2)->has_value() && shape_eq(*(*n2)->error(), shapes()[3]),
              "echo_nested(some(err(named))) round-trips");
    }
}

// Maps and fixed-length lists (issue 11, A.1 and A.2): a map is a span of its C entries in,
// an owned list of them out (the callee's order); fixed lists are std::array.
void collections(const tv1::echo::client &e) {
    using entry = test_typecov_v1_map_string_types_point_entry;
    auto empty = e.echo_map({});
    if (called(empty, "echo_map(empty)")) {
        check(empty->empty(), "echo_map(empty) is empty");
    }
    std::vector<entry> m = {{ps(""), {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}},
                            {ps("\xc3\xbcn\xc3\xaf"), {-1, 1}},
                            {ps("b"), {0, 0}}};
    auto rm = e.echo_map(m);
    if (called(rm, "echo_map(3 entries)")) {
        bool all = rm->size() == m.size();
        for (const entry &want : m) {
            bool found = false;
            for (const entry &got : *rm) {
                found = found || (sv(got.key) == sv(want.key) && got.value.x == want.value.x &&
                                  got.value.y == want.value.y && (got.key.len == 0 || got.key.ptr != want.key.ptr));
            }
            all = all && found;
        }
        check(all, "echo_map(3 string keys, point values) round-trips, keys copied");
    }
    echo_value("echo_quad", e.echo_quad(std::array<uint8_t, 4>{1, 2, 3, 255}), std::array<uint8_t, 4>{1, 2, 3, 255},
               "[1, 2, 3, 255]");
    auto rp = e.echo_pair(std::array<pp_string, 2>{ps("first"), ps("")});
    if (called(rp, "echo_pair")) {
        check(sv((*rp)->elems[0]) == "first" && sv((*rp)->elems[1]).empty(), "echo_pair([\"first\", \"\"]) round-trips");
    }
    test_typecov_v1_result_types_framed_string ok{}, err{};
    ok.val.ok.id = std::numeric_limits<uint32_t>::max();
    ok.val.ok.rgba.elems[0] = 255;
    ok.val.ok.rgba.elems[3] = 7;
    err.is_err = 1;
    err.val.err = ps("no frame");
    auto rf = e.echo_framed(ok);
    if (called(rf, "echo_framed(ok)")) {
        check(rf->has_value() && (*rf)->id == ok.val.ok.id && (*rf)->rgba.elems[0] == 255 && (*rf)->rgba.elems[3] == 7,
              "echo_framed(ok(framed)) round-trips");
    }
    auto re = e.echo_framed(err);
    if (called(re, "echo_framed(err)")) {
        check(!re->has_value() && re->error().view() == "no frame", "echo_framed(err) round-trips");
    }
}

void sink_boom_version(const tv1::typecov &plugin) {
    auto e = plugin.echo();
    const uint64_t nums[] = {0, 1, std::numeric_limits<uint64_t>::max()};
    // Every typecov plugin's sink accepts b == "<a>:<c, comma-separated>" and otherwise
    // fails with PP_ERR_PANIC naming what it received.
    check(e.sink(7, "7:0,1,18446744073709551615", nums).has_value(),
          "sink(7, \"7:0,1,18446744073709551615\", [0, 1, u64::MAX])");
    auto s = e.sink(7, "sink \xe2\x9c\x93", nums);
    check(!s && s.error().status() == PP_ERR_PANIC &&
              s.error().message() == "sink received a=7 b=\"sink \xe2\x9c\x93\" c=[0,1,18446744073709551615]",
          "sink(7, \"sink ✓\", [0, 1, u64::MAX]) -> PP_ERR_PANIC naming the values it received");
    check(e.sink(0, "0:", pp::span<const uint64_t>()).has_value(), "sink(0, \"0:\", [])");
    auto b = e.boom("kaboom \xf0\x9f\x92\xa5");
    check(!b && b.error().status() == PP_ERR_PANIC && b.error().message().find("kaboom \xf0\x9f\x92\xa5") != std::string_view::npos,
          "boom(kaboom 💥) -> PP_ERR_PANIC with the message");
    echo_value("echo_u32", e.echo_u32(0xC0FFEE), 0xC0FFEEu, "0xC0FFEE after a panic");
    auto b2 = e.boom("");
    check(!b2 && b2.error().status() == PP_ERR_PANIC, "boom(\"\") -> PP_ERR_PANIC");
    auto v = plugin.exports().version();
    if (called(v, "version()")) {
        std::string expected = std::string(plugin.plugin().name()) + " " + std::string(plugin.plugin().version());
        check(v->view() == expected, "version() = \"" + v->str() + "\" (descriptor name and version)");
    }
}

uint32_t live(const tv1::store::client &s) {
    auto n = s.live();
    return n ? *n : 0xFFFFFFFFu;
}

void resources(const tv1::store::client &s) {
    check(live(s) == 0, "live() = 0 at start");
    {
        auto a = s.counter_new(5);
        if (!called(a, "counter_new(5)")) {
            return;
        }
        check(bool(*a) && a->has_add() && a->has_get(), "counter_new(5) gives a handle with every method");
        check(*a->add(10) == 15, "add(10) returns 15");
        check(*a->add(-20) == -5, "add(-20) returns -5");
        auto z = s.counter_zero();
        check(z && *z->get() == 0 && z->c_handle().self != a->c_handle().self, "zero() gives a new counter at 0");
        auto big = s.counter_new(std::numeric_limits<int64_t>::max());
        check(big && *big->get() == std::numeric_limits<int64_t>::max(), "new(i64::MAX).get() = i64::MAX");
        check(live(s) == 3, "live() = 3 with three counters");
        auto peeked = s.peek(*a); // a borrow: a stays usable
        check(peeked && *peeked == -5 && *a->get() == -5, "peek(borrow a) = -5, a still usable");
        auto consumed = s.consume(std::move(*a)); // a move: the plugin drops it
        check(consumed && *consumed == -5 && !*a, "consume(own a) = -5, a is empty");
        check(live(s) == 2, "live() = 2 after consume");
        big->reset();
        check(live(s) == 1, "live() = 1 after reset()");
    }
    check(live(s) == 0, "live() = 0 after every counter is gone");
}

// ---- the raw table: arguments only a careless caller sends ---------------------------------

std::atomic<int> foreign_drops{0};
void foreign_drop(void *) { foreign_drops++; }
const test_typecov_v1_store_counter_vtable FOREIGN_VTABLE = {
    {sizeof(test_typecov_v1_store_counter_vtable), 0x00010000u, nullptr}, foreign_drop, nullptr, nullptr};
int foreign_self;

template <class F>
void refused(const std::string &what, pp_dealloc_fn dealloc, F &&call) {
    pp_string err{nullptr, 0};
    pp_status st = call(&err);
    check(st == PP_ERR_INVALID_ARGUMENT && err.len > 0, what + " -> PP_ERR_INVALID_ARGUMENT (" +
                                                           std::string(sv(err)) + ")");
    pp_string_release(&err, dealloc);
}

void invalid_arguments(const tv1::typecov &plugin) {
    const test_typecov_v1_echo_table *E = plugin.echo().c_table();
    const test_typecov_v1_store_table *S = plugin.store().c_table();
    pp_dealloc_fn ED = E->header.dealloc, SD = S->header.dealloc;
    uint8_t u8 = 0;
    uint32_t u32 = 0;
    int64_t i64 = 0;
    pp_string s{nullptr, 0};
    refused("echo_bool(2)", ED, [&](pp_string *e) { return E->echo_bool(2, &u8, e); });
    refused("echo_char(0xD800)", ED, [&](pp_string *e) { return E->echo_char(0xD800, &u32, e); });
    refused("echo_char(0x110000)", ED, [&](pp_string *e) { return E->echo_char(0x110000, &u32, e); });
    refused("echo_string(invalid UTF-8)", ED, [&](pp_string *e) { return E->echo_string(pp_string{"\xc3\x28", 2}, &s, e); });
    refused("echo_string(NULL, 3)", ED, [&](pp_string *e) { return E->echo_string(pp_string{nullptr, 3}, &s, e); });
    test_typecov_v1_list_u8 bytes{};
    refused("echo_bytes(NULL, 2)", ED, [&](pp_string *e) { return E->echo_bytes(test_typecov_v1_list_u8{nullptr, 2}, &bytes, e); });
    test_typecov_v1_types_color color{};
    refused("echo_color(7, out of range)", ED, [&](pp_string *e) { return E->echo_color(7, &color, e); });
    types::perms perms{};
    refused("echo_perms(0x10)", ED, [&](pp_string *e) { return E->echo_perms(0x10, &perms, e); });
    types::shape shape{}, bad_shape{};
    bad_shape.tag = 9;
    refused("echo_shape(tag 9)", ED, [&](pp_string *e) { return E->echo_shape(bad_shape, &shape, e); });
    test_typecov_v1_option_string opt{}, bad_opt{};
    bad_opt.is_some = 2;
    refused("echo_option(discriminant 2)", ED, [&](pp_string *e) { return E->echo_option(bad_opt, &opt, e); });
    test_typecov_v1_result_u32_string res{}, bad_res{};
    bad_res.is_err = 3;
    refused("echo_result(discriminant 3)", ED, [&](pp_string *e) { return E->echo_result(bad_res, &res, e); });
    types::person person{}, bad_person{};
    bad_person.name = pp_string{"\xff", 1};
    refused("echo_person(name not UTF-8)", ED, [&](pp_string *e) { return E->echo_person(bad_person, &person, e); });
    test_typecov_v1_store_counter null_self{nullptr, &FOREIGN_VTABLE};
    refused("peek(handle with null self)", SD, [&](pp_string *e) { return S->peek(null_self, &i64, e); });
    foreign_drops = 0;
    test_typecov_v1_store_counter foreign{&foreign_self, &FOREIGN_VTABLE};
    refused("consume(a counter the plugin did not make)", SD, [&](pp_string *e) { return S->consume(foreign, &i64, e); });
    check(foreign_drops.load() == 1, "consume(foreign): the own handle was dropped");
    check(live(plugin.store()) == 0, "live() = 0 after the refused calls");
}

void threads(const tv1::typecov &plugin) {
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; t++) {
        ts.emplace_back([&, t] {
            auto e = plugin.echo();
            auto s = plugin.store();
            auto own = s.counter_new(t * 1000);
            for (int i = 0; i < 300; i++) {
                std::string text = "thread " + std::to_string(t) + " round " + std::to_string(i) + " \xe2\x9c\x93";
                auto r = e.echo_string(text);
                auto u = e.echo_u64(uint64_t(t) * 1000000 + uint64_t(i));
                auto a = own ? own->add(1) : decltype(own->add(1))(pp::unexpected(pp::call_error(PP_ERR_PANIC, pp_error{})));
                auto c = s.counter_new(i);
                auto consumed = c ? s.consume(std::move(*c)) : decltype(s.consume(std::move(*c)))(pp::unexpected(pp::call_error(PP_ERR_PANIC, pp_error{})));
                if (!r || r->view() != text || !u || *u != uint64_t(t) * 1000000 + uint64_t(i) || !a ||
                    *a != t * 1000 + i + 1 || !consumed || *consumed != i) {
                    bad++;
                }
            }
        });
    }
    for (auto &t : ts) {
        t.join();
    }
    check(bad.load() == 0, "8 threads x 300 rounds of echo_string, echo_u64, add, new and consume");
    check(live(plugin.store()) == 0, "live() = 0 after the threads");
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <plugin.so>\n", argv[0]);
        return 2;
    }
    auto loaded = tv1::typecov::load(argv[1], tv1::typecov_imports{});
    if (!loaded) {
        std::fprintf(stderr, "cannot load plugin: %s\n", loaded.error().message.c_str());
        return 1;
    }
    {
        const tv1::typecov &plugin = *loaded;
        std::printf("typecov cpp host: loaded %s %s from %s\n", std::string(plugin.plugin().name()).c_str(),
                    std::string(plugin.plugin().version()).c_str(), argv[1]);
        auto e = plugin.echo();
        check(bool(e) && bool(plugin.store()), "the plugin exports echo and store");
        scalars(e);
        strings_and_lists(e);
        option_result_tuple(e);
        compounds(e);
        collections(e);
        sink_boom_version(plugin);
        resources(plugin.store());
        invalid_arguments(plugin);
        threads(plugin);
    }
    loaded->plugin().close();
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
