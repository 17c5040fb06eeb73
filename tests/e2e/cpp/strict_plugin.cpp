// A well-behaved C++ plugin of test:hostile@1.0.0 (tests/e2e/wit/hostile.wit), for the
// C++ failure tests (host_test.cpp): the generated slots must refuse invalid arguments
// sent through the raw table (invalid UTF-8, bad tags, bool 2, surrogate chars, NULL
// lists, bad discriminants, NULL self) with PP_ERR_INVALID_ARGUMENT before this code
// runs, dropping every own token; exceptions thrown here must become PP_ERR_PANIC:
//  - fail(s) throws std::runtime_error(s);
//  - echo("throw-int") throws an int (not a std::exception);
//  - text("throw-string") throws a std::string.
#include <stdexcept>
#include <string>

#include "hostile.hpp"

namespace hv1 = test::hostile::v1;
namespace api = test::hostile::v1::api;

namespace {

class token final : public api::token_server {
  public:
    explicit token(uint32_t id) : id_(id) {}
    uint32_t id() override { return id_; }
    uint32_t bump() override { return ++id_; }

  private:
    uint32_t id_;
};

class impl final : public api::server {
  public:
    std::unique_ptr<api::token_server> token_new(uint32_t id) override { return std::make_unique<token>(id); }
    pp::owned_string text(std::string_view s) override {
        if (s == "throw-string") {
            throw std::string("a std::string");
        }
        return s;
    }
    pp::owned_string echo(std::string_view s) override {
        if (s == "throw-int") {
            throw 42;
        }
        return s;
    }
    pp::owned_list<uint8_t> bytes(pp::span<const uint8_t> b) override { return pp::owned_list<uint8_t>::copy_of(b); }
    pp::owned_list<pp_string> names() override {
        pp_string items[2] = {pp::owned_string("Ada").release(), pp::owned_string("Grace").release()};
        return pp::owned_list<pp_string>::copy_of(items);
    }
    api::color hue() override { return api::color::blue; }
    api::shape form() override {
        api::shape s{};
        s.tag = TEST_HOSTILE_V1_API_SHAPE_CIRCLE;
        s.val.circle = 1.5;
        return s;
    }
    bool flag() override { return true; }
    api::perms rights() override { return TEST_HOSTILE_V1_API_PERMS_READ | TEST_HOSTILE_V1_API_PERMS_EXEC; }
    char32_t letter() override { return U'\u00e9'; }
    api::person someone() override {
        api::person p{};
        p.name = pp::owned_string("Ada").release();
        p.home.is_some = 1;
        p.home.val = 7;
        return p;
    }
    pp::result<uint32_t, pp::owned_string> maybe() override { return pp::unexpected(pp::owned_string("no")); }
    pp::owned_string fail(std::string_view s) override { throw std::runtime_error(std::string(s)); }
    uint32_t give(std::unique_ptr<api::token_server> t, std::string_view s, api::color c,
                  const test_hostile_v1_option_api_token &more) override {
        // A nested own handle arrives as the C value: this code owns it and drops it.
        test_hostile_v1_option_api_token m = more;
        test_hostile_v1_option_api_token_release(&m, nullptr);
        return t->id() + uint32_t(s.size()) + uint32_t(c);
    }
    uint32_t take(bool f, char32_t ch, const api::perms &p, const api::shape &sh, pp::span<const pp_string> l,
                  const api::person &who) override {
        return uint32_t(f) + uint32_t(ch) + p + sh.tag + uint32_t(l.size()) + uint32_t(who.name.len);
    }
    uint32_t missing() override { return 5; }
    uint32_t beyond(std::unique_ptr<api::token_server> t) override { return t->id(); }
};

class functions final : public hv1::hostile_exports_server {
  public:
    pp::owned_string version() override { return "strict-cpp 1.0"; }
};

hv1::hostile_exports make(const hv1::hostile_imports_client &) {
    static impl api_impl;
    static functions fns;
    hv1::hostile_exports e;
    e.api = &api_impl;
    e.functions = &fns;
    return e;
}

} // namespace

TEST_HOSTILE_V1_HOSTILE_CPP_EXPORT("strict-cpp", "1.0.0", make)
