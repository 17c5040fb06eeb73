// The C++ host's load options (issue 8, item 2 and 8): the generated `<world>::load` with
// plugport_open_options, through the C header's `<prefix>_<world>_open_ex` and
// libplugport, against the typecov C++ plugin (TYPECOV_PLUGIN).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "plugport.h"
#include "typecov.hpp"

namespace tv1 = test::typecov::v1;

// Under AddressSanitizer the plugin is instrumented too, and the isolation runner (not
// instrumented) cannot load it ("ASan runtime does not come first"): the isolated open is
// then left to the plain and valgrind runs.
#if defined(__SANITIZE_ADDRESS__)
#define PP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PP_TEST_ASAN 1
#endif
#endif

namespace {

plugport_open_options options() {
    plugport_open_options o{};
    o.size = sizeof o;
    return o;
}

} // namespace

TEST(CppLoadOptions, AnAllowlistWithoutTheFilesDigestRefusesIt) {
    if (std::getenv("PLUGPORT_ALLOW_SHA256") != nullptr) {
        GTEST_SKIP() << "PLUGPORT_ALLOW_SHA256 replaces the option";
    }
    plugport_open_options o = options();
    const std::string zeros(64, '0');
    o.allow_sha256 = zeros.c_str();
    auto r = tv1::typecov::load(TYPECOV_PLUGIN, tv1::typecov_imports{}, o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, PLUGPORT_E_NOT_ALLOWED) << r.error().message;
    EXPECT_NE(r.error().message.find("SHA-256"), std::string::npos) << r.error().message;
}

TEST(CppLoadOptions, AMalformedAllowlistIsAnInvalidArgument) {
    if (std::getenv("PLUGPORT_ALLOW_SHA256") != nullptr) {
        GTEST_SKIP() << "PLUGPORT_ALLOW_SHA256 replaces the option";
    }
    plugport_open_options o = options();
    o.allow_sha256 = "not hex";
    auto r = tv1::typecov::load(TYPECOV_PLUGIN, tv1::typecov_imports{}, o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, PLUGPORT_E_INVALID_ARGUMENT) << r.error().message;
}

TEST(CppLoadOptions, InProcessAndIsolatedOpensAnswerTheSame) {
    const char *forced = std::getenv("PLUGPORT_ISOLATION");
    for (uint32_t mode : {uint32_t(PLUGPORT_ISOLATION_INPROC), uint32_t(PLUGPORT_ISOLATION_PROCESS)}) {
#ifdef PP_TEST_ASAN
        if (mode == PLUGPORT_ISOLATION_PROCESS) {
            continue;
        }
#endif
        plugport_open_options o = options();
        o.isolation = mode;
        auto r = tv1::typecov::load(TYPECOV_PLUGIN, tv1::typecov_imports{}, o);
        ASSERT_TRUE(r.has_value()) << r.error().message;
        bool want = forced != nullptr ? std::string(forced) == "process" : mode == PLUGPORT_ISOLATION_PROCESS;
        EXPECT_EQ(r->plugin().isolated(), want) << "mode " << mode;
        auto e = r->echo();
        auto v = e.echo_u32(4000000000u);
        ASSERT_TRUE(v.has_value()) << v.error().to_string();
        EXPECT_EQ(*v, 4000000000u);
        auto s = e.echo_string("héllo");
        ASSERT_TRUE(s.has_value()) << s.error().to_string();
        EXPECT_EQ(s->view(), "héllo");
    }
}
