// Unit tests (GoogleTest) of the hand-written C++ helpers headers/plugport/cpp.hpp: owned
// values release exactly once through the dealloc they were given, moves transfer
// ownership, pp::result behaves like std::expected, errors keep their status and message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hostile.hpp"

namespace {

int deallocs = 0;
size_t dealloc_bytes = 0;
void counting_dealloc(void *ptr, size_t size, size_t) {
    deallocs++;
    dealloc_bytes += size;
    std::free(ptr);
}

pp_string malloced(const char *text) {
    size_t n = std::strlen(text);
    char *p = static_cast<char *>(std::malloc(n));
    std::memcpy(p, text, n);
    return pp_string{p, n};
}

TEST(OwnedString, ReleasesOnceThroughItsDeallocAndMovesOwnership) {
    deallocs = 0;
    {
        pp::owned_string a(malloced("hello"), counting_dealloc);
        EXPECT_EQ(a.view(), "hello");
        pp::owned_string b(std::move(a));
        EXPECT_TRUE(a.empty());
        EXPECT_EQ(b.str(), "hello");
        pp::owned_string c;
        c = std::move(b);
        EXPECT_EQ(deallocs, 0);
    }
    EXPECT_EQ(deallocs, 1);
    EXPECT_EQ(dealloc_bytes, 5u);
}

TEST(OwnedString, AnEmptyStringIsNeverDereferencedNorFreed) {
    deallocs = 0;
    {
        pp::owned_string e(pp_string{nullptr, 0}, counting_dealloc);
        EXPECT_TRUE(e.view().empty());
        pp::owned_string copy("");
        EXPECT_EQ(copy.data(), nullptr) << "no allocation for an empty string";
    }
    EXPECT_EQ(deallocs, 0);
}

TEST(OwnedList, ReleasesElementsThenTheArray) {
    deallocs = 0;
    dealloc_bytes = 0;
    auto *items = static_cast<pp_string *>(std::malloc(2 * sizeof(pp_string)));
    items[0] = malloced("ab");
    items[1] = malloced("cde");
    {
        pp::owned_list<pp_string> l(items, 2, counting_dealloc);
        EXPECT_EQ(l.size(), 2u);
        EXPECT_EQ(pp::detail::view(l[1]), "cde");
    }
    EXPECT_EQ(deallocs, 3);
    EXPECT_EQ(dealloc_bytes, 2u + 3u + 2 * sizeof(pp_string));
}

TEST(OwnedList, CopyOfAndRelease) {
    std::vector<uint32_t> v = {1, 2, 3};
    auto l = pp::owned_list<uint32_t>(v);
    EXPECT_EQ(l.to_vector(), v);
    auto raw = l.release();
    EXPECT_TRUE(l.empty());
    EXPECT_EQ(raw.second, 3u);
    std::free(const_cast<uint32_t *>(raw.first));
}

TEST(Owned, ReleasesWithTheTypesReleaseHelper) {
    deallocs = 0;
    {
        test_hostile_v1_api_person p{};
        p.name = malloced("Ada");
        pp::owned<test_hostile_v1_api_person> o(p, counting_dealloc);
        EXPECT_EQ(pp::detail::view(o->name), "Ada");
        pp::owned<test_hostile_v1_api_person> moved(std::move(o));
    }
    EXPECT_EQ(deallocs, 1);
}

TEST(Result, BehavesLikeExpected) {
    pp::result<int, std::string> ok = 3;
    EXPECT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 3);
    pp::result<int, std::string> bad = pp::unexpected(std::string("no"));
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), "no");
    pp::result<void, pp::unit> v;
    EXPECT_TRUE(v.has_value());
    pp::result<pp::owned_string, int> moved = pp::owned_string("x");
    pp::result<pp::owned_string, int> target = std::move(moved);
    EXPECT_EQ(target->view(), "x");
}

TEST(CallError, KeepsStatusAndReleasesItsMessage) {
    deallocs = 0;
    {
        pp_error e{malloced("boom"), counting_dealloc};
        pp::call_error err(PP_ERR_PANIC, e);
        EXPECT_EQ(err.status(), PP_ERR_PANIC);
        EXPECT_EQ(err.message(), "boom");
        EXPECT_EQ(err.to_string(), "PP_ERR_PANIC: boom");
        pp::call_error moved(std::move(err));
        EXPECT_TRUE(err.message().empty());
    }
    EXPECT_EQ(deallocs, 1);
}

} // namespace
