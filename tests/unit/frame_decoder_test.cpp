// Streaming frame decoder: round trips, damage of every kind (garbage, bit flips, truncation,
// oversize), seq accounting, and chunking independence.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ktstr/frame_decoder.hpp"

namespace w = ktstr::wire;

namespace {

using Bytes = std::vector<uint8_t>;

// A delivered frame, copied out of the callback.
struct Got {
  std::string type;
  uint32_t seq;
  uint64_t t_ns;
  Bytes value;
  bool operator==(const Got&) const = default;
};

// gtest prints frames readably on failure.
void PrintTo(const Got& g, std::ostream* os) {
  *os << g.type << " #" << g.seq << " t=" << g.t_ns << " (" << g.value.size() << " bytes)";
}

struct Result {
  std::vector<Got> frames;
  w::DecodeStats stats;
};

Bytes encode(w::Tag type, uint32_t seq, uint64_t t_ns, const Bytes& value) {
  Bytes out(w::max_encoded_size(value.size()));
  out.resize(w::encode_frame(out.data(), out.size(), type, seq, t_ns, value.data(), value.size()));
  return out;
}

Bytes text(std::string_view s) { return {s.begin(), s.end()}; }

void append(Bytes& to, const Bytes& from) { to.insert(to.end(), from.begin(), from.end()); }

// Decodes `in` fed in pieces of `piece` bytes (0 = all at once), then finish().
Result decode(const Bytes& in, size_t piece = 0) {
  Result r;
  w::FrameDecoder d([&](const w::Frame& f) {
    r.frames.push_back(
        {std::string(f.type.view()), f.seq, f.t_ns, Bytes(f.value.begin(), f.value.end())});
  });
  if (piece == 0) piece = in.size() ? in.size() : 1;
  for (size_t i = 0; i < in.size(); i += piece)
    d.feed(std::span(in).subspan(i, std::min(piece, in.size() - i)));
  d.finish();
  r.stats = d.stats();
  return r;
}

// A capture of `frames` (seq 0..n-1) as both bytes and the frames a decoder must return.
struct Capture {
  Bytes wire;
  std::vector<Got> frames;
  std::vector<size_t> offsets;  // where each frame starts in `wire`
  void add(w::Tag type, const Bytes& value) {
    uint32_t seq = uint32_t(frames.size());
    uint64_t t_ns = 1000000000ull + seq * 1000ull;
    offsets.push_back(wire.size());
    append(wire, encode(type, seq, t_ns, value));
    frames.push_back({std::string(type.view()), seq, t_ns, value});
  }
};

Bytes random_bytes(std::mt19937& rng, size_t n, bool zero_free = false) {
  Bytes b(n);
  for (auto& x : b) x = zero_free ? uint8_t(1 + rng() % 255) : uint8_t(rng());
  return b;
}

// Reference COBS encoder, for bodies the real encoder refuses to build.
Bytes cobs(const Bytes& body) {
  Bytes out;
  size_t code_at = 0;
  out.push_back(0);
  uint8_t code = 1;
  for (uint8_t b : body) {
    if (b) {
      out.push_back(b);
      ++code;
    }
    if (!b || code == 0xFF) {
      out[code_at] = code;
      code_at = out.size();
      out.push_back(0);
      code = 1;
    }
  }
  out[code_at] = code;
  out.push_back(0);  // delimiter
  return out;
}

// A body with a given N field and value, and a correct CRC over whatever is there.
Bytes hand_body(uint32_t n_field, const Bytes& value) {
  Bytes b = text("SOUT");
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(n_field >> (8 * i)));
  for (int i = 0; i < 12; ++i) b.push_back(0);
  append(b, value);
  uint32_t crc = w::crc32c(0, b.data(), b.size());
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(crc >> (8 * i)));
  return b;
}

// A capture mixing every frame type, value sizes and byte patterns.
Capture mixed_capture() {
  Capture c;
  std::mt19937 rng(42);
  c.add(w::kHelo, text(R"({"proto":1,"init":"t","kernel":"6.12","mode":"test"})"));
  for (int i = 0; i < 40; ++i) {
    c.add(w::kSout, random_bytes(rng, rng() % 4097));
    c.add(w::kSchd, text(R"({"event":"attached","pid":12})"));
    c.add(w::kSerr, Bytes(rng() % 600, 0));
    c.add(w::kSlog, Bytes(rng() % 600, 0xFF));
  }
  c.add(w::kDone, text(R"({"exit_code":0})"));
  return c;
}

}  // namespace

// One frame of every defined type (and an unknown one) comes back with type, seq, t_ns and value.
TEST(FrameDecoder, RoundTripsEveryFrameType) {
  Capture c;
  for (w::Tag t : {w::kHelo, w::kPhas, w::kSout, w::kSerr, w::kSlog, w::kIlog, w::kSchd, w::kDump,
                   w::kExit, w::kBeat, w::kCrsh, w::kFatl, w::kKmsg, w::kRsiz, w::kStop,
                   w::make_tag("ZZZZ"), w::kDone})
    c.add(t, text(R"({"k":"v"})"));
  Result r = decode(c.wire);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_EQ(r.stats.unknown_types, 1u);
  EXPECT_FALSE(r.stats.clean()) << "an unknown type is delivered, but the capture is not clean";
  EXPECT_EQ(r.stats.value_bytes.at("SOUT"), 9u);
}

// Values holding every byte value, long runs of 0x00 and runs of 0xFF around the 254-byte COBS
// block size survive the trip.
TEST(FrameDecoder, RoundTripsEveryByteValueAndCobsBoundaries) {
  Capture c;
  Bytes all(256 * 4);
  for (size_t i = 0; i < all.size(); ++i) all[i] = uint8_t(i);
  c.add(w::kSout, all);
  for (size_t n : {1u, 2u, 253u, 254u, 255u, 4096u}) c.add(w::kSout, Bytes(n, 0x00));
  for (size_t n = 230; n <= 540; ++n) c.add(w::kSerr, Bytes(n, 0xFF));
  for (size_t n = 230; n <= 540; ++n) {
    Bytes v(n, 0xFF);
    v[n / 2] = 0;
    c.add(w::kSlog, v);
  }
  c.add(w::kDone, text("{}"));
  Result r = decode(c.wire);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_TRUE(r.stats.clean()) << r.stats.summary();
}

// N = 0 and N = 65536 (the maximum) both decode.
TEST(FrameDecoder, RoundTripsEmptyAndMaximalValues) {
  std::mt19937 rng(5);
  Capture c;
  c.add(w::kSout, {});
  c.add(w::kSout, random_bytes(rng, w::kMaxValue));
  c.add(w::kSerr, Bytes(w::kMaxValue, 0xFF));
  c.add(w::kDone, {});
  Result r = decode(c.wire);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_TRUE(r.stats.clean()) << r.stats.summary();
}

// A hand-built body claiming N = 65537 (correct CRC, valid COBS) is corrupt, not delivered, and the
// frame after it still is.
TEST(FrameDecoder, RejectsLengthOverMaximum) {
  Bytes in = cobs(hand_body(w::kMaxValue + 1, Bytes(w::kMaxValue + 1, 'x')));
  Capture c;
  c.add(w::kDone, {});
  append(in, c.wire);
  Result r = decode(in);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_EQ(r.stats.corrupt, 1u);
  EXPECT_FALSE(r.stats.clean());
}

// N disagreeing with the body's real length, either way, is corrupt.
TEST(FrameDecoder, RejectsLengthFieldMismatch) {
  for (uint32_t n_field : {0u, 4u, 6u, 100u}) {
    Result r = decode(cobs(hand_body(n_field, text("hello"))));
    EXPECT_TRUE(r.frames.empty()) << "N=" << n_field;
    EXPECT_EQ(r.stats.corrupt, 1u) << "N=" << n_field;
  }
  EXPECT_EQ(decode(cobs(hand_body(5, text("hello")))).frames.size(), 1u);  // the control case
}

// A chunk shorter than a header, and a COBS code pointing past the chunk's end, are corrupt.
TEST(FrameDecoder, RejectsMalformedCobs) {
  Result r = decode({0x05, 0x01, 0x02, 0x00, 0x03, 0x41, 0x00});
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.stats.corrupt, 2u);
}

// Garbage before the first frame, between frames (with and without its own delimiter) and after
// the last: every intact frame is still delivered, and the damage is counted.
TEST(FrameDecoder, SkipsGarbageBeforeBetweenAndAfterFrames) {
  std::mt19937 rng(7);
  Capture c = mixed_capture();
  Bytes in = random_bytes(rng, 50, /*zero_free=*/true);  // runs into frame 0: no delimiter
  size_t delimited = 0;
  for (size_t i = 0; i < c.frames.size(); ++i) {
    size_t end = i + 1 < c.offsets.size() ? c.offsets[i + 1] : c.wire.size();
    in.insert(in.end(), c.wire.begin() + long(c.offsets[i]), c.wire.begin() + long(end));
    if (i % 3 == 0) {
      append(in, random_bytes(rng, 1 + rng() % 40, true));  // straight into the next frame
    } else if (i % 3 == 1) {
      append(in, random_bytes(rng, 1 + rng() % 40, true));
      in.push_back(0);
      ++delimited;
    }
  }
  append(in, random_bytes(rng, 20, true));  // after the last frame, never terminated
  Result r = decode(in);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_EQ(r.stats.lost, 0u);
  EXPECT_EQ(r.stats.corrupt, delimited);
  EXPECT_GT(r.stats.garbage_bytes, 0u);
  EXPECT_EQ(r.stats.truncated_bytes, 20u);
  EXPECT_FALSE(r.stats.clean());
}

// Empty chunks (consecutive delimiters) are neither frames nor damage.
TEST(FrameDecoder, IgnoresRepeatedDelimiters) {
  Capture c;
  c.add(w::kBeat, text("{}"));
  c.add(w::kDone, text("{}"));
  Bytes in(5, 0);
  append(in, c.wire);
  in.insert(in.end(), 5, 0);
  Result r = decode(in);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_TRUE(r.stats.clean()) << r.stats.summary();
}

// Flipping any single bit of a frame (its delimiter included) never delivers a damaged frame:
// the frame is lost (seq gap at its position), its neighbours arrive intact.
TEST(FrameDecoder, DetectsSingleBitFlipAtEveryPosition) {
  Capture c;
  c.add(w::kHelo, text("{}"));
  Bytes value(300);
  for (size_t i = 0; i < value.size(); ++i) value[i] = uint8_t(i * 37);  // zeros and 0xFF inside
  value.insert(value.end(), 260, 0xFF);
  c.add(w::kSout, value);
  c.add(w::kSerr, text("after\n"));
  c.add(w::kDone, text("{}"));
  std::vector<Got> want = {c.frames[0], c.frames[2], c.frames[3]};
  size_t from = c.offsets[1], to = c.offsets[2];
  for (size_t byte = from; byte < to; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes in = c.wire;
      in[byte] ^= uint8_t(1 << bit);
      Result r = decode(in);
      ASSERT_EQ(r.frames, want) << "byte " << byte - from << " bit " << bit;
      ASSERT_EQ(r.stats.lost, 1u) << "byte " << byte - from << " bit " << bit;
      ASSERT_EQ(r.stats.gaps.size(), 1u);
      ASSERT_EQ(r.stats.gaps[0].first, 1u);
      ASSERT_FALSE(r.stats.clean());
    }
  }
}

// Flipping any bit of the last frame (DONE) loses it: the run is never reported clean.
TEST(FrameDecoder, DetectsBitFlipInLastFrame) {
  Capture c;
  c.add(w::kSout, text("x"));
  c.add(w::kDone, text(R"({"exit_code":0})"));
  for (size_t byte = c.offsets[1]; byte < c.wire.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes in = c.wire;
      in[byte] ^= uint8_t(1 << bit);
      Result r = decode(in);
      ASSERT_EQ(r.frames, std::vector<Got>{c.frames[0]}) << "byte " << byte << " bit " << bit;
      ASSERT_FALSE(r.stats.done);
      ASSERT_FALSE(r.stats.clean());
    }
  }
}

// A capture cut anywhere inside its last frame: earlier frames arrive, the cut bytes are counted
// as truncated by finish(), and the capture is not clean.
TEST(FrameDecoder, CountsTruncatedLastFrame) {
  Capture c;
  c.add(w::kSout, text("one\n"));
  c.add(w::kDone, text(R"({"exit_code":0})"));
  for (size_t cut = c.offsets[1] + 1; cut < c.wire.size(); ++cut) {
    Result r = decode(Bytes(c.wire.begin(), c.wire.begin() + long(cut)));
    ASSERT_EQ(r.frames, std::vector<Got>{c.frames[0]}) << "cut " << cut;
    ASSERT_EQ(r.stats.truncated_bytes, cut - c.offsets[1]);
    ASSERT_FALSE(r.stats.done);
    ASSERT_FALSE(r.stats.clean());
  }
}

// Seq jumps are counted as lost frames with their positions; a first seq above 0 counts too;
// a seq that goes backwards is counted separately, and when it fills a gap it takes its loss back.
TEST(FrameDecoder, CountsSeqGapsWithPositions) {
  Bytes in;
  for (uint32_t seq : {2u, 3u, 4u, 7u, 8u, 20u, 5u, 12u, 6u})
    append(in, encode(w::kBeat, seq, 0, text("{}")));
  Result r = decode(in);
  EXPECT_EQ(r.frames.size(), 9u);
  EXPECT_EQ(r.stats.lost, 2u + 10u);
  ASSERT_EQ(r.stats.gaps.size(), 3u);
  EXPECT_EQ(r.stats.gaps[0].first, 0u);
  EXPECT_EQ(r.stats.gaps[0].count, 2u);
  EXPECT_EQ(r.stats.gaps[1].first, 9u);
  EXPECT_EQ(r.stats.gaps[1].count, 3u);  // 12 split the gap 9-19
  EXPECT_EQ(r.stats.gaps[2].first, 13u);
  EXPECT_EQ(r.stats.gaps[2].count, 7u);
  EXPECT_EQ(r.stats.seq_backwards, 3u);
  EXPECT_EQ(r.stats.out_of_order, 3u);
}

// Two swapped frames are out of order, not lost; a repeated seq is a duplicate. The decoder says
// which while it delivers each frame.
TEST(FrameDecoder, TellsLateFramesFromRepeats) {
  Bytes in;
  for (uint32_t seq : {0u, 2u, 1u, 3u, 3u, 1u})
    append(in, encode(w::kBeat, seq, 0, text("{}")));
  std::vector<w::Arrival> arrivals;
  w::FrameDecoder* self = nullptr;
  w::FrameDecoder d([&](const w::Frame&) { arrivals.push_back(self->arrival()); });
  self = &d;
  d.feed(in);
  d.finish();
  using A = w::Arrival;
  EXPECT_EQ(arrivals, (std::vector<A>{A::next, A::next, A::late, A::next, A::repeat, A::repeat}));
  EXPECT_EQ(d.stats().lost, 0u);
  EXPECT_TRUE(d.stats().gaps.empty());
  EXPECT_EQ(d.stats().out_of_order, 1u);
  EXPECT_EQ(d.stats().seq_backwards, 3u);
}

// Feeding one byte at a time, in odd pieces, or all at once gives the same frames and stats, also
// on a damaged capture.
TEST(FrameDecoder, ChunkingDoesNotChangeTheResult) {
  std::mt19937 rng(9);
  Capture c = mixed_capture();
  Bytes in = random_bytes(rng, 30);
  append(in, c.wire);
  in[c.offsets[5] + 40] ^= 0x10;
  in[c.offsets[9] + 3] = 0;
  append(in, random_bytes(rng, 100, true));
  Result all = decode(in);
  EXPECT_EQ(all.frames.size(), c.frames.size() - 2);
  for (size_t piece : {1u, 2u, 3u, 7u, 254u, 4096u, 65536u}) {
    Result r = decode(in, piece);
    EXPECT_EQ(r.frames, all.frames) << "piece " << piece;
    EXPECT_EQ(r.stats.summary(), all.stats.summary()) << "piece " << piece;
    EXPECT_EQ(r.stats.bytes_in, in.size());
    EXPECT_EQ(r.stats.garbage_bytes, all.stats.garbage_bytes);
    EXPECT_EQ(r.stats.value_bytes, all.stats.value_bytes);
  }
}

// More than kMaxEncoded bytes without a zero, then a valid frame with no delimiter in between:
// the run is one corrupt chunk and the frame at its end is still delivered. Three kinds of run:
// random, all 0x01 (the longest COBS chains) and all 0xFF.
TEST(FrameDecoder, RecoversFrameAfterOverlongGarbage) {
  std::mt19937 rng(11);
  Capture c;
  c.add(w::kSout, text("before\n"));
  c.add(w::kSout, text("after\n"));
  c.add(w::kDone, text("{}"));
  for (int kind = 0; kind < 3; ++kind) {
    Bytes junk = kind == 0 ? random_bytes(rng, w::kMaxEncoded + 5000, true)
                           : Bytes(w::kMaxEncoded + 5000, kind == 1 ? 0x01 : 0xFF);
    Bytes in(c.wire.begin(), c.wire.begin() + long(c.offsets[1]));
    append(in, junk);
    in.insert(in.end(), c.wire.begin() + long(c.offsets[1]), c.wire.end());
    for (size_t piece : {0u, 4096u, 1000u}) {
      Result r = decode(in, piece);
      EXPECT_EQ(r.frames, c.frames) << "kind " << kind << " piece " << piece;
      EXPECT_EQ(r.stats.corrupt, 1u) << "kind " << kind << " piece " << piece;
      EXPECT_GE(r.stats.garbage_bytes, junk.size()) << "kind " << kind;
    }
  }
}

// The same overlong run but ended by its own delimiter: one corrupt chunk, the next frame intact.
TEST(FrameDecoder, DropsDelimitedOverlongGarbage) {
  std::mt19937 rng(12);
  Capture c;
  c.add(w::kSout, text("x"));
  c.add(w::kDone, text("{}"));
  Bytes in = random_bytes(rng, 3 * w::kMaxEncoded, true);
  in.push_back(0);
  append(in, c.wire);
  Result r = decode(in, 8192);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_EQ(r.stats.corrupt, 1u);
}

// A complete capture ending in DONE is clean; the same without DONE is not.
TEST(FrameDecoder, CleanRequiresDone) {
  Capture c;
  c.add(w::kHelo, text("{}"));
  c.add(w::kSout, text("hi\n"));
  EXPECT_FALSE(decode(c.wire).stats.clean());
  c.add(w::kDone, text("{}"));
  Result r = decode(c.wire);
  EXPECT_TRUE(r.stats.done);
  EXPECT_TRUE(r.stats.clean()) << r.stats.summary();
  EXPECT_EQ(r.stats.summary(), "3 frames, 0 corrupt, 0 lost, DONE seen");
}

// Random captures with random damage: whatever arrives is byte-identical to a frame that was sent,
// and frames arrive in order.
TEST(FrameDecoder, NeverDeliversADamagedFrame) {
  std::mt19937 rng(13);
  Capture c = mixed_capture();
  for (int iter = 0; iter < 200; ++iter) {
    Bytes in = c.wire;
    for (int k = 0, n = 1 + int(rng() % 8); k < n; ++k) {
      size_t at = rng() % in.size();
      switch (rng() % 3) {
        case 0: in[at] ^= uint8_t(1 << (rng() % 8)); break;
        case 1: in.erase(in.begin() + long(at)); break;
        default: in.insert(in.begin() + long(at), uint8_t(rng())); break;
      }
    }
    Result r = decode(in, 1 + rng() % 5000);
    size_t next = 0;
    for (const Got& g : r.frames) {
      while (next < c.frames.size() && c.frames[next].seq != g.seq) ++next;
      ASSERT_LT(next, c.frames.size()) << "iter " << iter << ": unknown seq " << g.seq;
      ASSERT_EQ(g, c.frames[next]) << "iter " << iter;
    }
    EXPECT_FALSE(r.stats.clean() && r.frames.size() != c.frames.size()) << "iter " << iter;
  }
}
