// A codec host in C++17 (as examples/codec/host-c, through the generated codec.hpp):
//  1. encode pseudo-random frames through the plugin into a file of several megabytes;
//  2. stream the file back through a decoder resource (an RAII class: dropped exactly once)
//     in odd-sized chunks, pulling frames as they complete, and verify every frame;
//  3. check the two error cases: a frame over the decoder's limit, and truncated input.
//
//   usage: codec-host-cpp <plugin.so> [megabytes (default 4)]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "plugport.h"
#include "codec.hpp"

namespace cv1 = example::codec::v1;
namespace fr = example::codec::v1::framing;

namespace {

constexpr size_t CHUNK = 65521; // a prime, so chunk borders fall inside frames and headers
constexpr uint32_t MAX_FRAME = 65536;

struct rng {
    uint64_t s;
    uint64_t next() { // xorshift64*
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 2685821657736338717ull;
    }
};

// Frame i of the test sequence (the same as the C and Rust hosts).
uint32_t make_frame(rng &r, uint8_t *buf, uint32_t &stream) {
    uint32_t len = uint32_t(r.next() % 9000);
    if (r.next() % 16 == 0) {
        len = 0;
    }
    stream = uint32_t(r.next() % 7);
    for (uint32_t i = 0; i < len; i++) {
        buf[i] = uint8_t(r.next());
    }
    return len;
}

bool check(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "codec host: FAILED: %s\n", what);
    }
    return ok;
}

template <class R>
bool called(const R &r, const char *what) {
    if (r) {
        return true;
    }
    std::fprintf(stderr, "codec host: FAILED: %s: %s\n", what, r.error().to_string().c_str());
    return false;
}

} // namespace

int main(int argc, char **argv) {
    static uint8_t expect[9000];
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <plugin.so> [megabytes]\n", argv[0]);
        return 2;
    }
    size_t target = argc > 2 ? size_t(std::strtoul(argv[2], nullptr, 10)) << 20 : size_t(4) << 20;
    auto loaded = cv1::codec::load(argv[1], cv1::codec_imports{});
    if (!loaded) {
        std::fprintf(stderr, "cannot load plugin: %s\n", loaded.error().message.c_str());
        return 1;
    }
    bool ok = true;
    {
        cv1::codec &plugin = *loaded;
        fr::client framing = plugin.framing(); // null: every call is PP_ERR_UNSUPPORTED
        std::printf("cpp host: loaded %s %s\n", std::string(plugin.plugin().name()).c_str(),
                    std::string(plugin.plugin().version()).c_str());

        // 1. Encode frames into a temporary file.
        std::FILE *f = std::tmpfile();
        if (!check(f != nullptr, "tmpfile")) {
            return 1;
        }
        rng r{0x9E3779B97F4A7C15ull};
        size_t written = 0, frames = 0, decoded = 0;
        while (ok && written < target) {
            fr::frame frame{};
            uint32_t stream;
            frame.payload.len = make_frame(r, expect, stream);
            frame.payload.ptr = expect;
            frame.stream = stream;
            auto res = framing.encode(frame);
            ok = called(res, "encode") && check(res->has_value(), "encode");
            if (ok) {
                pp::span<const uint8_t> bytes = **res; // zero-copy view of the plugin's list
                std::fwrite(bytes.data(), 1, bytes.size(), f);
                written += bytes.size();
                frames++;
            }
        }
        std::rewind(f);

        // 2. Stream it back through a decoder and verify every frame.
        auto dec = framing.decoder_new(MAX_FRAME);
        ok = ok && called(dec, "decoder constructor");
        if (ok) {
            std::vector<uint8_t> chunk(CHUNK);
            r.s = 0x9E3779B97F4A7C15ull;
            size_t n;
            while (ok && (n = std::fread(chunk.data(), 1, CHUNK, f)) > 0) {
                auto pushed = dec->push(pp::span<const uint8_t>(chunk.data(), n));
                ok = called(pushed, "push") && check(pushed->has_value(), "push");
                while (ok) {
                    auto got = dec->pull();
                    ok = called(got, "pull");
                    if (!ok || !got->has_value()) {
                        break;
                    }
                    const fr::frame &fm = ***got; // a pp::owned<frame>: released with the vtable's dealloc
                    uint32_t stream, len = make_frame(r, expect, stream);
                    ok = check(fm.stream == stream && fm.payload.len == len &&
                                   (len == 0 || std::memcmp(fm.payload.ptr, expect, len) == 0),
                               "frame content");
                    decoded++;
                }
            }
            if (ok) {
                auto fin = dec->finish();
                ok = called(fin, "finish") && check(fin->has_value(), "finish");
            }
        }
        std::fclose(f);
        ok = ok && check(decoded == frames, "frame count");
        std::printf("cpp host: streamed %lu bytes in %d-byte chunks: %lu of %lu frames verified\n",
                    static_cast<unsigned long>(written), int(CHUNK), static_cast<unsigned long>(decoded),
                    static_cast<unsigned long>(frames));

        // 3. The error cases are values of the WIT variant codec-error.
        if (ok) {
            auto small = framing.decoder_new(16);
            ok = called(small, "decoder constructor");
            static const uint8_t big[8] = {0, 0, 0, 1, 0, 0, 0x03, 0xE8}; // 1000 bytes > 16
            if (ok) {
                auto pushed = small->push(big);
                ok = called(pushed, "push") && check(!pushed->has_value() &&
                                                         pushed->error()->tag ==
                                                             EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_FRAME_TOO_LARGE &&
                                                         pushed->error()->val.frame_too_large == 1000,
                                                     "frame-too-large error");
            }
            if (ok) {
                auto partial = small->push(pp::span<const uint8_t>(big, 5));
                ok = called(partial, "partial push") && check(partial->has_value(), "partial push");
            }
            if (ok) {
                auto fin = small->finish();
                ok = called(fin, "finish") &&
                     check(!fin->has_value() && fin->error()->tag == EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_TRUNCATED &&
                               fin->error()->val.truncated == 5,
                           "truncated error");
            }
            if (ok) {
                std::printf("cpp host: errors reported as codec-error values: frame-too-large(1000), truncated(5)\n");
            }
        }
    } // every result and decoder is released here, before the plugin is closed
    loaded->plugin().close(); // (the destructor would, too)
    std::printf("cpp host: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
