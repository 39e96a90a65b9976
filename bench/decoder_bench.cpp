// Frame decoder throughput: a 256 MiB synthetic COM2 capture (4096-byte SOUT frames, as the guest
// chunks payload output, mixed with small control frames) built in memory, decoded with feed() in
// 64 KiB pieces (what a socket read delivers). Prints MB/s (10^6 bytes) against the budget and
// writes a JSON record.
// Usage: decoder_bench [OUT.json]   (default bench/decoder.json)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "ktstr/frame_decoder.hpp"

namespace w = ktstr::wire;

namespace {

constexpr size_t kCaptureBytes = 256u << 20;
constexpr size_t kPiece = 64u << 10;
constexpr double kTargetMBps = 200.0;
constexpr int kRepeats = 3;

void append_frame(std::vector<uint8_t>& out, w::Tag type, uint32_t seq, uint64_t t_ns,
                  std::span<const uint8_t> value) {
  size_t at = out.size();
  out.resize(at + w::max_encoded_size(value.size()));
  size_t n = w::encode_frame(out.data() + at, w::max_encoded_size(value.size()), type, seq, t_ns,
                             value.data(), value.size());
  out.resize(at + n);
}

// Mixed capture: seven 4096-byte SOUT frames (printable text with some zero bytes, so COBS has
// short and long blocks), then a small SCHD or BEAT frame; DONE at the end.
std::vector<uint8_t> build_capture(uint64_t& frames) {
  std::vector<uint8_t> out;
  out.reserve(kCaptureBytes + w::kMaxEncoded);
  std::mt19937 rng(1);
  std::vector<uint8_t> text(w::kStreamChunk);
  for (auto& b : text) b = uint8_t(rng() % 64 == 0 ? 0 : 32 + rng() % 95);
  std::string schd = R"({"event":"attached","pid":42,"ops":"simple","ms":123})";
  uint32_t seq = 0;
  uint64_t t_ns = 1000000000;
  while (out.size() < kCaptureBytes) {
    for (int i = 0; i < 7; ++i) {
      text[seq % text.size()] = uint8_t('a' + seq % 26);  // not the same frame every time
      append_frame(out, w::kSout, seq++, t_ns += 1000, text);
    }
    const std::string& v = seq % 16 == 7 ? schd : std::string("{}");
    append_frame(out, seq % 16 == 7 ? w::kSchd : w::kBeat, seq++, t_ns += 1000,
                 {reinterpret_cast<const uint8_t*>(v.data()), v.size()});
  }
  append_frame(out, w::kDone, seq++, t_ns, {reinterpret_cast<const uint8_t*>("{}"), 2});
  frames = seq;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path = argc > 1 ? argv[1] : "bench/decoder.json";
  uint64_t frames = 0;
  std::vector<uint8_t> capture = build_capture(frames);

  double best = 1e99;
  for (int r = 0; r < kRepeats; ++r) {
    uint64_t delivered = 0, value_bytes = 0;
    w::FrameDecoder d([&](const w::Frame& f) {
      ++delivered;
      value_bytes += f.value.size();
    });
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < capture.size(); i += kPiece)
      d.feed(std::span(capture).subspan(i, std::min(kPiece, capture.size() - i)));
    d.finish();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (delivered != frames || !d.stats().clean()) {
      std::fprintf(stderr, "decoder_bench: decode wrong: %s\n", d.stats().summary().c_str());
      return 1;
    }
    best = std::min(best, s);
  }

  double mbps = double(capture.size()) / 1e6 / best;
  bool pass = mbps >= kTargetMBps;
  std::printf("decoder: %.1f MB in %llu frames, best of %d: %.3f s, %.1f MB/s\n",
              double(capture.size()) / 1e6, static_cast<unsigned long long>(frames), kRepeats,
              best, mbps);
  std::printf("target >= %.0f MB/s: %s\n", kTargetMBps, pass ? "PASS" : "FAIL");

  std::ofstream out(json_path);
  if (!out) {
    std::fprintf(stderr, "decoder_bench: cannot write %s\n", json_path.c_str());
    return 1;
  }
  out << "{\"bench\":\"decoder\",\"capture_bytes\":" << capture.size() << ",\"frames\":" << frames
      << ",\"piece_bytes\":" << kPiece << ",\"repeats\":" << kRepeats << ",\"best_seconds\":"
      << best << ",\"mb_per_s\":" << mbps << ",\"target_mb_per_s\":" << kTargetMBps
      << ",\"pass\":" << (pass ? "true" : "false") << "}\n";
  return pass ? 0 : 1;
}
