// Frame encoder: body layout, COBS framing, size limits. Checked with a small reference COBS
// decoder written here, independent of src/common/frame_decoder.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "ktstr/wire.hpp"

namespace w = ktstr::wire;

namespace {

std::vector<uint8_t> encode(w::Tag type, uint32_t seq, uint64_t t_ns,
                            const std::vector<uint8_t>& value) {
  std::vector<uint8_t> out(w::max_encoded_size(value.size()));
  size_t n = w::encode_frame(out.data(), out.size(), type, seq, t_ns, value.data(), value.size());
  out.resize(n);
  return out;
}

// Reference COBS decode of one delimited frame (delimiter included in `wire`): nullopt unless the
// frame ends in exactly one 0x00 and the code chain is well formed.
std::optional<std::vector<uint8_t>> unframe(const std::vector<uint8_t>& wire) {
  if (wire.empty() || wire.back() != 0) return std::nullopt;
  std::vector<uint8_t> out;
  size_t end = wire.size() - 1;
  for (size_t i = 0; i < end;) {
    uint8_t code = wire[i++];
    if (code == 0 || i + code - 1 > end) return std::nullopt;
    for (int k = 1; k < code; ++k) {
      if (wire[i] == 0) return std::nullopt;
      out.push_back(wire[i++]);
    }
    if (code != 0xFF && i < end) out.push_back(0);
  }
  return out;
}

uint64_t le(const std::vector<uint8_t>& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | b[at + size_t(i)];
  return v;
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace

// A small frame: the body is type, N, seq, t_ns little-endian, the value, then CRC32C of it all.
TEST(FrameEncoder, BodyLayoutIsLittleEndian) {
  auto value = bytes(R"({"phase":"mounts"})");
  auto wire = encode(w::kPhas, 0x01020304u, 0x1122334455667788ull, value);
  auto body = unframe(wire);
  ASSERT_TRUE(body);
  ASSERT_EQ(body->size(), w::body_size(value.size()));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(body->data()), 4), "PHAS");
  EXPECT_EQ(le(*body, 4, 4), value.size());
  EXPECT_EQ(le(*body, 8, 4), 0x01020304u);
  EXPECT_EQ(le(*body, 12, 8), 0x1122334455667788ull);
  EXPECT_EQ(std::vector<uint8_t>(body->begin() + 20, body->end() - 4), value);
  EXPECT_EQ(le(*body, 20 + value.size(), 4), w::crc32c(0, body->data(), 20 + value.size()));
}

// Known answer shared with tests/tools/gen_capture.py (an independent Python implementation):
// BEAT, seq 7, t_ns 1000000000, value "{}".
TEST(FrameEncoder, MatchesIndependentImplementation) {
  auto wire = encode(w::kBeat, 7, 1000000000u, bytes("{}"));
  std::vector<uint8_t> want = {
      0x06, 0x42, 0x45, 0x41, 0x54, 0x02, 0x01, 0x01, 0x02, 0x07, 0x01, 0x01, 0x01, 0x04,
      0xca, 0x9a, 0x3b, 0x01, 0x01, 0x01, 0x07, 0x7b, 0x7d, 0xd2, 0xe0, 0x8f, 0x80, 0x00};
  EXPECT_EQ(wire, want);
}

// The only zero on the wire is the final delimiter, whatever the value holds.
TEST(FrameEncoder, OnlyZeroIsTheDelimiter) {
  std::vector<uint8_t> value(1000, 0x00);
  auto wire = encode(w::kSout, 0, 0, value);
  ASSERT_FALSE(wire.empty());
  for (size_t i = 0; i + 1 < wire.size(); ++i) ASSERT_NE(wire[i], 0) << "at " << i;
  EXPECT_EQ(wire.back(), 0);
}

// Values of every length around the 254-byte COBS block limit, all 0xFF (no zeros: the longest
// encoding) or with a zero at the end, decode back and never exceed max_encoded_size.
TEST(FrameEncoder, CobsBlockBoundariesRoundTrip) {
  for (size_t n = 0; n <= 1100; ++n) {
    for (uint8_t last : {uint8_t(0xFF), uint8_t(0x00)}) {
      std::vector<uint8_t> value(n, 0xFF);
      if (n) value.back() = last;
      auto wire = encode(w::kSout, uint32_t(n), 0, value);
      ASSERT_FALSE(wire.empty()) << "n=" << n;
      ASSERT_LE(wire.size(), w::max_encoded_size(n)) << "n=" << n;
      auto body = unframe(wire);
      ASSERT_TRUE(body) << "n=" << n;
      ASSERT_EQ(std::vector<uint8_t>(body->begin() + 20, body->end() - 4), value) << "n=" << n;
    }
  }
}

// N = 0 and N = kMaxValue (65536) both encode; the largest fits in kMaxEncoded.
TEST(FrameEncoder, EncodesEmptyAndMaximalValues) {
  auto empty = encode(w::kBeat, 0, 0, {});
  ASSERT_FALSE(empty.empty());
  EXPECT_EQ(unframe(empty)->size(), w::body_size(0));

  std::vector<uint8_t> big(w::kMaxValue, 0xAB);
  auto wire = encode(w::kSout, 1, 2, big);
  ASSERT_FALSE(wire.empty());
  EXPECT_LE(wire.size(), w::kMaxEncoded);
  EXPECT_EQ(unframe(wire)->size(), w::body_size(w::kMaxValue));
}

// A value one byte over the limit is refused (returns 0), even with room to spare.
TEST(FrameEncoder, RejectsValueOverMaximum) {
  std::vector<uint8_t> value(w::kMaxValue + 1, 1);
  std::vector<uint8_t> out(2 * w::kMaxEncoded);
  EXPECT_EQ(w::encode_frame(out.data(), out.size(), w::kSout, 0, 0, value.data(), value.size()),
            0u);
}

// A buffer one byte short of the worst case is refused before anything is written.
TEST(FrameEncoder, RejectsBufferBelowWorstCase) {
  std::vector<uint8_t> value(100, 1);
  size_t need = w::max_encoded_size(value.size());
  std::vector<uint8_t> out(need, 0xEE);
  EXPECT_EQ(w::encode_frame(out.data(), need - 1, w::kSout, 0, 0, value.data(), value.size()), 0u);
  EXPECT_EQ(out[0], 0xEE);
  EXPECT_GT(w::encode_frame(out.data(), need, w::kSout, 0, 0, value.data(), value.size()), 0u);
}

// Random values of random lengths round-trip through the reference decoder with a valid CRC.
TEST(FrameEncoder, RandomValuesRoundTrip) {
  std::mt19937 rng(3);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<uint8_t> value(rng() % 5000);
    for (auto& b : value) b = uint8_t(rng() % 4 == 0 ? 0 : rng());
    auto wire = encode(w::kSerr, uint32_t(iter), rng(), value);
    auto body = unframe(wire);
    ASSERT_TRUE(body);
    ASSERT_EQ(le(*body, 4, 4), value.size());
    ASSERT_EQ(le(*body, 20 + value.size(), 4), w::crc32c(0, body->data(), 20 + value.size()));
  }
}

// is_known and is_stream classify exactly the types docs/protocol.md defines.
TEST(FrameEncoder, ClassifiesFrameTypes) {
  EXPECT_TRUE(w::is_stream(w::kSout));
  EXPECT_TRUE(w::is_stream(w::kIlog));
  EXPECT_FALSE(w::is_stream(w::kSchd));
  EXPECT_TRUE(w::is_known(w::kDone));
  EXPECT_TRUE(w::is_known(w::kStop));
  EXPECT_FALSE(w::is_known(w::make_tag("XXXX")));
  // The on-failure hook's output is a stream (counted in DONE's bytes), its end a control frame;
  // SYRQ goes the other way.
  EXPECT_TRUE(w::is_stream(w::kHook));
  EXPECT_FALSE(w::is_stream(w::kHend));
  for (w::Tag t : {w::kHook, w::kHend, w::kSyrq}) EXPECT_TRUE(w::is_known(t)) << t.view();
  // Warm starts: WAIT and SPEC are JSON, ARCH carries raw archive bytes (not a stream of DONE's).
  for (w::Tag t : {w::kWait, w::kSpec, w::kArch}) EXPECT_TRUE(w::is_known(t)) << t.view();
  EXPECT_TRUE(w::is_raw(w::kArch));
  EXPECT_FALSE(w::is_stream(w::kArch));
  EXPECT_FALSE(w::is_raw(w::kSpec));
}
