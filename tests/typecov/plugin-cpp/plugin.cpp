// The type-coverage plugin for test:typecov@1.0.0 in C++17, against the generated
// typecov.hpp (`plugport gen tests/wit/typecov.wit --lang cpp`, docs/cpp.md).
//
// Every echo function returns its argument. Compared with tests/typecov/plugin-c:
//  - no argument validation here: the generated slots check every argument with the C
//    validators (rule 5) and refuse bad ones with PP_ERR_INVALID_ARGUMENT before this code
//    runs; handles not made by this plugin are refused (and own ones dropped) too;
//  - strings and lists are returned as pp::owned_string / pp::owned_list (copies the host
//    releases through the table's dealloc); records and variants are the C types, whose
//    strings and lists are deep-copied with the helpers below;
//  - `boom` throws std::runtime_error: the generated slot turns it into PP_ERR_PANIC with
//    the message, and the plugin stays usable;
//  - the counter resource derives from the generated counter_server; `live` is the image's
//    count of live resource objects (pp::resource_server::live_objects).
// Everything is safe to call from many threads (the counters have atomic values).
#include <atomic>
#include <stdexcept>
#include <string>

#include "typecov.hpp"

namespace tv1 = test::typecov::v1;
namespace types = test::typecov::v1::types;
namespace store = test::typecov::v1::store;

namespace {

// ---- deep copies of C values (out of memory: std::bad_alloc, i.e. PP_ERR_PANIC) --------

pp_string copy(pp_string s) {
    pp::owned_string o(pp::detail::view(s));
    if (o.failed()) {
        throw std::bad_alloc();
    }
    return o.release();
}

template <class L, class T, class F>
L copy_list(const L &src, F &&each) {
    L out{};
    if (src.len == 0) {
        return out;
    }
    auto *items = static_cast<T *>(std::calloc(src.len, sizeof(T)));
    if (items == nullptr) {
        throw std::bad_alloc();
    }
    out.ptr = items;
    out.len = src.len;
    for (size_t i = 0; i < src.len; i++) {
        items[i] = each(src.ptr[i]);
    }
    return out;
}

test_typecov_v1_list_string copy(const test_typecov_v1_list_string &l) {
    return copy_list<test_typecov_v1_list_string, pp_string>(l, [](pp_string s) { return copy(s); });
}

types::person copy(const types::person &p) {
    types::person out = p;
    out.name = copy(p.name);
    out.tags = copy(p.tags);
    return out;
}

types::shape copy(const types::shape &s) {
    types::shape out = s;
    if (s.tag == TEST_TYPECOV_V1_TYPES_SHAPE_NAMED) {
        out.val.named = copy(s.val.named);
    }
    return out;
}

types::failure copy(const types::failure &f) {
    types::failure out = f;
    if (f.tag == TEST_TYPECOV_V1_TYPES_FAILURE_MESSAGE) {
        out.val.message = copy(f.val.message);
    }
    return out;
}

// ---- interface echo ------------------------------------------------------------------

class echo final : public test::typecov::v1::echo::server {
  public:
    bool echo_bool(bool v) override { return v; }
    int8_t echo_s8(int8_t v) override { return v; }
    int16_t echo_s16(int16_t v) override { return v; }
    int32_t echo_s32(int32_t v) override { return v; }
    int64_t echo_s64(int64_t v) override { return v; }
    uint8_t echo_u8(uint8_t v) override { return v; }
    uint16_t echo_u16(uint16_t v) override { return v; }
    uint32_t echo_u32(uint32_t v) override { return v; }
    uint64_t echo_u64(uint64_t v) override { return v; }
    float echo_f32(float v) override { return v; }
    double echo_f64(double v) override { return v; }
    char32_t echo_char(char32_t v) override { return v; }
    pp::owned_string echo_string(std::string_view v) override { return v; }
    pp::owned_list<uint8_t> echo_bytes(pp::span<const uint8_t> v) override {
        return pp::owned_list<uint8_t>::copy_of(v);
    }
    pp::owned_list<pp_string> echo_strings(pp::span<const pp_string> v) override {
        test_typecov_v1_list_string l{v.data(), v.size()};
        test_typecov_v1_list_string c = copy(l);
        return pp::owned_list<pp_string>(c.ptr, c.len, &pp::malloc_dealloc);
    }
    std::optional<pp::owned_string> echo_option(const test_typecov_v1_option_string &v) override {
        if (v.is_some == 0) {
            return std::nullopt;
        }
        return pp::owned_string(pp::detail::view(v.val));
    }
    pp::result<uint32_t, pp::owned_string> echo_result(const test_typecov_v1_result_u32_string &v) override {
        if (v.is_err == 0) {
            return v.val.ok;
        }
        return pp::unexpected(pp::owned_string(pp::detail::view(v.val.err)));
    }
    pp::result<void, types::failure> echo_result_unit(const test_typecov_v1_result_void_types_failure &v) override {
        if (v.is_err == 0) {
            return {};
        }
        return pp::unexpected(copy(v.val.err));
    }
    test_typecov_v1_tuple3_u8_string_f64 echo_tuple(const test_typecov_v1_tuple3_u8_string_f64 &v) override {
        test_typecov_v1_tuple3_u8_string_f64 out = v;
        out.f1 = copy(v.f1);
        return out;
    }
    types::point echo_point(const types::point &v) override { return v; }
    types::person echo_person(const types::person &v) override { return copy(v); }
    types::color echo_color(types::color v) override { return v; }
    types::perms echo_perms(const types::perms &v) override { return v; }
    types::wide echo_wide(const types::wide &v) override { return v; }
    types::shape echo_shape(const types::shape &v) override { return copy(v); }
    pp::owned_list<types::point> echo_points(pp::span<const types::point> v) override {
        return pp::owned_list<types::point>::copy_of(v);
    }
    std::optional<pp::result<pp::owned_list<types::person>, types::shape>>
    echo_nested(const test_typecov_v1_option_result_list_types_person_types_shape &v) override {
        if (v.is_some == 0) {
            return std::nullopt;
        }
        if (v.val.is_err == 1) {
            return pp::result<pp::owned_list<types::person>, types::shape>(pp::unexpected(copy(v.val.val.err)));
        }
        auto l = copy_list<test_typecov_v1_list_types_person, types::person>(
            v.val.val.ok, [](const types::person &p) { return copy(p); });
        return pp::result<pp::owned_list<types::person>, types::shape>(
            pp::owned_list<types::person>(l.ptr, l.len, &pp::malloc_dealloc));
    }
    // Accepts b == "<a>:<c, comma-separated>" and otherwise throws
    // `sink received a=<a> b="<b>" c=[<c>]` (PP_ERR_PANIC), as the C plugin does.
    void sink(uint8_t a, std::string_view b, pp::span<const uint64_t> c) override {
        std::string list;
        for (size_t i = 0; i < c.size(); i++) {
            list += (i > 0 ? "," : "") + std::to_string(c[i]);
        }
        if (b != std::to_string(a) + ":" + list) {
            throw std::runtime_error("sink received a=" + std::to_string(a) + " b=\"" +
                                     std::string(b) + "\" c=[" + list + "]");
        }
    }
    pp::owned_string boom(std::string_view message) override { throw std::runtime_error(std::string(message)); }
    // Maps and fixed-length lists (issue 11, A.1 and A.2).
    pp::owned_list<test_typecov_v1_map_string_types_point_entry>
    echo_map(pp::span<const test_typecov_v1_map_string_types_point_entry> v) override {
        auto l = copy_list<test_typecov_v1_map_string_types_point, test_typecov_v1_map_string_types_point_entry>(
            test_typecov_v1_map_string_types_point{v.data(), v.size()},
            [](const test_typecov_v1_map_string_types_point_entry &e) {
                return test_typecov_v1_map_string_types_point_entry{copy(e.key), e.value};
            });
        return pp::owned_list<test_typecov_v1_map_string_types_point_entry>(l.ptr, l.len, &pp::malloc_dealloc);
    }
    std::array<uint8_t, 4> echo_quad(std::array<uint8_t, 4> v) override { return v; }
    test_typecov_v1_array2_string echo_pair(std::array<pp_string, 2> v) override {
        test_typecov_v1_array2_string out;
        out.elems[0] = copy(v[0]);
        out.elems[1] = copy(v[1]);
        return out;
    }
    pp::result<types::framed, pp::owned_string> echo_framed(const test_typecov_v1_result_types_framed_string &v) override {
        if (v.is_err == 1) {
            return pp::result<types::framed, pp::owned_string>(
                pp::unexpected<pp::owned_string>(pp::owned_string(pp::detail::view(v.val.err))));
        }
        return pp::result<types::framed, pp::owned_string>(v.val.ok);
    }
};

// ---- interface store -------------------------------------------------------------------

class counter final : public store::counter_server {
  public:
    explicit counter(int64_t start) : value_(start) {}
    int64_t add(int64_t delta) override { return value_.fetch_add(delta) + delta; }
    int64_t get() override { return value_.load(); }

  private:
    std::atomic<int64_t> value_;
};

class store_impl final : public store::server {
  public:
    std::unique_ptr<store::counter_server> counter_new(int64_t start) override {
        return std::make_unique<counter>(start);
    }
    std::unique_ptr<store::counter_server> counter_zero() override { return std::make_unique<counter>(0); }
    int64_t peek(store::counter_server &c) override { return c.get(); }
    int64_t consume(std::unique_ptr<store::counter_server> c) override { return c->get(); }
    uint32_t live() override { return uint32_t(pp::resource_server::live_objects()); }
};

class functions final : public tv1::typecov_exports_server {
  public:
    pp::owned_string version() override { return "typecov-cpp 1.0.0"; }
};

tv1::typecov_exports make(const tv1::typecov_imports_client &) {
    static echo e;
    static store_impl s;
    static functions f;
    tv1::typecov_exports x;
    x.echo = &e;
    x.store = &s;
    x.functions = &f;
    return x;
}

} // namespace

TEST_TYPECOV_V1_TYPECOV_CPP_EXPORT("typecov-cpp", "1.0.0", make)
