// The C++ layer's call costs (docs/performance.md, "C++ layer"): the bench C plugin
// (tests/bench/plugin-c) loaded with dlopen and its entry, then
//  - `add(u64, u64) -> u64` through the generated C++ client (the checked caller inside)
//    vs the raw slot called from C (raw.c);
//  - a 64-byte owned string result received as pp::owned_string (zero-copy, released
//    through the plugin's dealloc) vs malloc + copy + free of 64 bytes in C (raw.c).
// Prints ns per call (best of 5 runs of N calls, steady_clock). Under callgrind
// (`valgrind --tool=callgrind --toggle-collect='*_loop'`) the *_loop functions give the
// instruction counts; tests/bench/cpp/run.sh does both.
//
//   bench-cpp <libbench_c.so> [N]
#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench.hpp"

extern "C" {
uint64_t raw_add_loop(const bench_calls_v1_calls_table *t, uint64_t n);
uint64_t malloc_copy_free_loop(const char *src, size_t len, uint64_t n);
uint64_t raw_string_loop(const bench_calls_v1_calls_table *t, uint64_t n);
uint64_t checked_add_loop(const bench_calls_v1_calls_table *t, uint64_t n);
uint64_t checked_string_loop(const bench_calls_v1_calls_table *t, uint64_t n);

// The C++ loops, with C names so callgrind's --toggle-collect can select them.
__attribute__((noinline)) uint64_t cpp_add_loop(const bench_calls_v1_calls_table *t, uint64_t n) {
    bench::calls::v1::calls::client c(t);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        auto r = c.add(i, 1);
        if (r) {
            sum += *r;
        }
    }
    return sum;
}

__attribute__((noinline)) uint64_t cpp_owned_string_loop(const bench_calls_v1_calls_table *t, uint64_t n) {
    bench::calls::v1::calls::client c(t);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        auto s = c.make_string(64);
        if (s && s->size() == 64) {
            sum += static_cast<unsigned char>(s->data()[63]);
        }
    }
    return sum;
}
}

namespace {

template <class F>
double best_ns(uint64_t n, F &&f) {
    double best = 1e300;
    for (int run = 0; run < 5; run++) {
        auto t0 = std::chrono::steady_clock::now();
        volatile uint64_t sink = f(n);
        (void)sink;
        auto t1 = std::chrono::steady_clock::now();
        double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(n);
        best = ns < best ? ns : best;
    }
    return best;
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <libbench_c.so> [N]\n", argv[0]);
        return 2;
    }
    uint64_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000000;
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        std::fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    using entry_fn = pp_status (*)(uint32_t, const bench_calls_v1_bench_imports *, const bench_calls_v1_bench_exports **,
                                   pp_string *);
    entry_fn entry;
    void *sym = dlsym(lib, "plugport_entry_bench_calls_v1_bench");
    std::memcpy(&entry, &sym, sizeof entry);
    static const bench_calls_v1_bench_imports imports = {{sizeof imports, 0x00010000u, nullptr}};
    const bench_calls_v1_bench_exports *ex = nullptr;
    pp_string err{nullptr, 0};
    if (entry == nullptr || entry(1, &imports, &ex, &err) != PP_OK || ex == nullptr) {
        std::fprintf(stderr, "entry failed\n");
        return 1;
    }
    const bench_calls_v1_calls_table *t = ex->calls;
    char src[64];
    std::memset(src, 'x', sizeof src);
    if (raw_add_loop(t, 1000) != cpp_add_loop(t, 1000) || checked_add_loop(t, 1000) != cpp_add_loop(t, 1000) ||
        cpp_owned_string_loop(t, 1000) != malloc_copy_free_loop(src, 64, 1000) ||
        checked_string_loop(t, 1000) != cpp_owned_string_loop(t, 1000) ||
        raw_string_loop(t, 1000) != cpp_owned_string_loop(t, 1000)) {
        std::fprintf(stderr, "the loops disagree\n");
        return 1;
    }
    std::printf("calls per run: %llu (best of 5 runs)\n", static_cast<unsigned long long>(n));
    std::printf("add: raw C slot            %6.2f ns/call\n", best_ns(n, [&](uint64_t k) { return raw_add_loop(t, k); }));
    std::printf("add: C checked caller      %6.2f ns/call\n", best_ns(n, [&](uint64_t k) { return checked_add_loop(t, k); }));
    std::printf("add: C++ client            %6.2f ns/call\n", best_ns(n, [&](uint64_t k) { return cpp_add_loop(t, k); }));
    uint64_t m = n / 4;
    std::printf("64 B: malloc+copy+free (C) %6.2f ns/call\n",
                best_ns(m, [&](uint64_t k) { return malloc_copy_free_loop(src, 64, k); }));
    std::printf("64 B: raw slot + dealloc   %6.2f ns/call\n",
                best_ns(m, [&](uint64_t k) { return raw_string_loop(t, k); }));
    std::printf("64 B: C checked caller     %6.2f ns/call\n",
                best_ns(m, [&](uint64_t k) { return checked_string_loop(t, k); }));
    std::printf("64 B: pp::owned_string     %6.2f ns/call\n", best_ns(m, [&](uint64_t k) { return cpp_owned_string_loop(t, k); }));
    return 0;
}
