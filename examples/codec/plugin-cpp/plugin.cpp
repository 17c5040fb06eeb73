// The framing codec in C++17, against the generated codec.hpp (docs/cpp.md): the same wire
// format as the Rust and C plugins (per frame: stream u32, length u32, both big-endian,
// then the payload).
//
// The decoder resource derives from the generated framing::decoder_server; the interface
// from framing::server, whose decoder_new hands out decoders as std::unique_ptr (the
// generated code turns them into handles and deletes them on drop). Records and variants
// are the C types of codec.h; their lists are made with pp::owned_list::copy_of.
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "codec.hpp"

namespace cv1 = example::codec::v1;
namespace fr = example::codec::v1::framing;

namespace {

uint32_t be32(const uint8_t *p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

fr::codec_error error_of(uint8_t tag) {
    fr::codec_error e{};
    e.tag = tag;
    return e;
}

class decoder final : public fr::decoder_server {
  public:
    explicit decoder(uint32_t max_frame) : max_frame_(max_frame) {}

    pp::result<uint32_t, fr::codec_error> push(pp::span<const uint8_t> data) override {
        std::lock_guard<std::mutex> lock(mu_);
        pending_.insert(pending_.end(), data.begin(), data.end());
        size_t pos = 0;
        while (pending_.size() - pos >= 8) {
            uint32_t stream = be32(&pending_[pos]), len = be32(&pending_[pos + 4]);
            if (len > max_frame_) {
                pending_.clear();
                fr::codec_error e = error_of(EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_FRAME_TOO_LARGE);
                e.val.frame_too_large = len;
                return pp::unexpected(e);
            }
            if (pending_.size() - pos - 8 < len) {
                break;
            }
            frames_.push_back({stream, std::vector<uint8_t>(pending_.begin() + long(pos) + 8,
                                                            pending_.begin() + long(pos) + 8 + long(len))});
            pos += 8 + size_t(len);
        }
        pending_.erase(pending_.begin(), pending_.begin() + long(pos));
        return uint32_t(frames_.size());
    }

    std::optional<fr::frame> pull() override {
        std::lock_guard<std::mutex> lock(mu_);
        if (frames_.empty()) {
            return std::nullopt;
        }
        fr::frame f{};
        f.stream = frames_.front().stream;
        auto payload = pp::owned_list<uint8_t>::copy_of(frames_.front().payload);
        if (payload.failed()) {
            throw std::bad_alloc(); // becomes PP_ERR_PANIC
        }
        auto p = payload.release(); // ownership passes to the host with the frame
        f.payload.ptr = p.first;
        f.payload.len = p.second;
        frames_.pop_front();
        return f;
    }

    pp::result<void, fr::codec_error> finish() override {
        std::lock_guard<std::mutex> lock(mu_);
        if (pending_.empty()) {
            return {};
        }
        fr::codec_error e = error_of(EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_TRUNCATED);
        e.val.truncated = uint32_t(pending_.size());
        return pp::unexpected(e);
    }

  private:
    struct pending_frame {
        uint32_t stream;
        std::vector<uint8_t> payload;
    };
    std::mutex mu_;
    uint32_t max_frame_;
    std::vector<uint8_t> pending_;
    std::deque<pending_frame> frames_;
};

class framing final : public fr::server {
  public:
    std::unique_ptr<fr::decoder_server> decoder_new(uint32_t max_frame) override {
        return std::make_unique<decoder>(max_frame);
    }

    pp::result<pp::owned_list<uint8_t>, fr::codec_error> encode(const fr::frame &frame) override {
        if (frame.payload.len > 0xFFFFFFFFu) {
            fr::codec_error e = error_of(EXAMPLE_CODEC_V1_FRAMING_CODEC_ERROR_FRAME_TOO_LARGE);
            e.val.frame_too_large = frame.payload.len;
            return pp::unexpected(e);
        }
        std::vector<uint8_t> out(8 + frame.payload.len);
        const uint32_t words[2] = {frame.stream, uint32_t(frame.payload.len)};
        for (int w = 0; w < 2; w++) {
            for (int b = 0; b < 4; b++) {
                out[size_t(w * 4 + b)] = uint8_t(words[w] >> (24 - 8 * b));
            }
        }
        if (frame.payload.len > 0) {
            std::memcpy(out.data() + 8, frame.payload.ptr, frame.payload.len);
        }
        return pp::owned_list<uint8_t>(out); // a copy the host releases through dealloc
    }
};

cv1::codec_exports make(const cv1::codec_imports_client &) {
    static framing impl;
    cv1::codec_exports e;
    e.framing = &impl;
    return e;
}

} // namespace

EXAMPLE_CODEC_V1_CODEC_CPP_EXPORT("codec-cpp", "1.0.0", make)
