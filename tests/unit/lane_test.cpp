// The data lane's framing (src/common/lane.cpp): frames round-trip in any chunking, and every kind
// of damage ends the stream with a reason instead of delivering a guess.
#include "ktstr/lane.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace l = ktstr::lane;
namespace w = ktstr::wire;

namespace {

struct Got {
  std::string type;
  uint32_t seq;
  uint64_t t_ns;
  std::string value;
};

std::vector<Got> decode(const std::string& bytes, size_t piece, l::LaneDecoder** out = nullptr) {
  static std::vector<Got> got;
  got.clear();
  static l::LaneDecoder* d = nullptr;
  delete d;
  d = new l::LaneDecoder([](const w::Frame& f) {
    got.push_back({std::string(f.type.view()), f.seq, f.t_ns,
                   std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size())});
  });
  for (size_t i = 0; i < bytes.size(); i += piece) d->feed(std::string_view(bytes).substr(i, piece));
  d->finish();
  if (out) *out = d;
  return got;
}

std::string three_frames() {
  std::string s;
  l::append_frame(s, w::kFent, 0, 11, R"({"path":"a","kind":"file","mode":420,"size":5})");
  l::append_frame(s, w::kFdat, 1, 12, std::string("he\0lo", 5));
  l::append_frame(s, w::kFend, 2, 13, "{}");
  return s;
}

}  // namespace

TEST(Lane, FramesRoundTripInAnyChunking) {
  std::string s = three_frames();
  for (size_t piece : {size_t(1), size_t(3), size_t(20), size_t(64), s.size()}) {
    l::LaneDecoder* d = nullptr;
    auto got = decode(s, piece, &d);
    ASSERT_EQ(got.size(), 3u) << "piece " << piece;
    EXPECT_EQ(got[0].type, "FENT");
    EXPECT_EQ(got[1].value, std::string("he\0lo", 5));
    EXPECT_EQ(got[2].seq, 2u);
    EXPECT_EQ(got[2].t_ns, 13u);
    EXPECT_FALSE(d->damaged());
    EXPECT_EQ(d->truncated_bytes(), 0u);
    EXPECT_EQ(d->value_bytes().at("FDAT"), 5u);
    EXPECT_EQ(d->summary(), "3 frames, " + std::to_string(s.size()) + " bytes, intact");
  }
}

TEST(Lane, ALargeValueFitsUpToTheLimit) {
  std::string s;
  l::append_frame(s, w::kFdat, 0, 0, std::string(l::kLaneMaxValue, 'x'));
  l::LaneDecoder* d = nullptr;
  auto got = decode(s, 65536, &d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value.size(), l::kLaneMaxValue);
}

TEST(Lane, ABadCrcEndsTheStream) {
  std::string s = three_frames();
  s[30] ^= 1;  // inside the first value
  l::LaneDecoder* d = nullptr;
  auto got = decode(s, 7, &d);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(d->damaged());
  EXPECT_EQ(d->damage(), "frame 0: bad CRC");
  EXPECT_EQ(d->damaged_bytes(), s.size());
}

TEST(Lane, ASkippedSeqEndsTheStream) {
  std::string s;
  l::append_frame(s, w::kFent, 0, 0, "{}");
  l::append_frame(s, w::kFend, 2, 0, "{}");
  l::LaneDecoder* d = nullptr;
  auto got = decode(s, s.size(), &d);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(d->damage(), "frame 1: seq 2, expected 1");
}

// A decoder that starts after frames it did not read (the LACK after a warm start's archive)
// takes that seq first, and still refuses any other.
TEST(Lane, AFirstSeqOtherThanZero) {
  std::string s;
  l::append_frame(s, w::kLack, 3, 0, "{}");
  l::append_frame(s, w::kLack, 4, 0, "{}");
  int got = 0;
  l::LaneDecoder d([&](const w::Frame&) { ++got; });
  d.set_first_seq(3);
  d.feed(s);
  EXPECT_EQ(got, 2);
  EXPECT_FALSE(d.damaged()) << d.damage();
  l::LaneDecoder zero([&](const w::Frame&) {});
  zero.feed(s);
  EXPECT_EQ(zero.damage(), "frame 0: seq 3, expected 0");
}

TEST(Lane, AnOversizedLengthEndsTheStreamWithoutWaiting) {
  std::string s;
  l::append_frame(s, w::kFdat, 0, 0, "abc");
  s[7] = 0x7f;  // N's top byte: ~2 GiB
  l::LaneDecoder* d = nullptr;
  auto got = decode(s, s.size(), &d);
  EXPECT_TRUE(got.empty());
  EXPECT_NE(d->damage().find("above the lane's"), std::string::npos) << d->damage();
}

TEST(Lane, ATypeThatIsNotTextEndsTheStream) {
  std::string s;
  l::append_frame(s, w::Tag{{'F', '\0', 'N', 'T'}}, 0, 0, "{}");
  l::LaneDecoder* d = nullptr;
  decode(s, s.size(), &d);
  EXPECT_NE(d->damage().find("printable"), std::string::npos);
}

TEST(Lane, AnIncompleteLastFrameIsTruncated) {
  std::string s = three_frames();
  s.resize(s.size() - 3);
  l::LaneDecoder* d = nullptr;
  auto got = decode(s, 5, &d);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_FALSE(d->damaged());
  EXPECT_GT(d->truncated_bytes(), 0u);
  EXPECT_NE(d->summary().find("truncated"), std::string::npos);
}

TEST(Lane, BytesAfterFinishAreDamageNotFrames) {
  std::string s = three_frames();
  int n = 0;
  l::LaneDecoder d([&](const w::Frame&) { ++n; });
  d.finish();
  d.feed(s);
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(d.damaged());
}

TEST(Lane, HeaderAndCrcMatchTheComTwoBody) {
  // The lane body is COM2's body before COBS: the same CRC over header and value.
  uint8_t h[w::kHeaderSize];
  l::encode_header(h, w::kFdat, 3, 7, 9);
  EXPECT_EQ(h[0], 'F');
  EXPECT_EQ(h[4], 3);
  EXPECT_EQ(h[8], 7);
  EXPECT_EQ(h[12], 9);
  std::string whole(reinterpret_cast<const char*>(h), sizeof h);
  whole += "abc";
  EXPECT_EQ(l::frame_crc(h, "abc", 3), w::crc32c(0, whole.data(), whole.size()));
}
