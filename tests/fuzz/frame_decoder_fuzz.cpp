// libFuzzer target for the streaming frame decoder (src/common/frame_decoder.cpp).
// The first two input bytes seed the piece sizes; the rest is the capture. It is decoded twice,
// in pseudo-random pieces and all at once, and these invariants are checked (abort on violation):
//   - both decodes deliver the same frames and end with the same stats (chunking is invisible);
//   - every delivered frame re-encodes to a valid frame that decodes back identically;
//   - the stats agree with what was delivered (frames, value bytes, DONE, unknown types, gaps).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "ktstr/frame_decoder.hpp"

namespace w = ktstr::wire;

namespace {

struct Got {
  w::Tag type;
  uint32_t seq;
  uint64_t t_ns;
  std::vector<uint8_t> value;
  bool operator==(const Got&) const = default;
};

struct Run {
  std::vector<Got> frames;
  w::DecodeStats stats;
};

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "frame_decoder_fuzz: invariant violated: %s\n", what);
  std::abort();
}

// Decodes `in` in pieces whose sizes come from a small PRNG seeded with `seed` (0 = one piece).
Run decode(std::span<const uint8_t> in, uint32_t seed) {
  Run r;
  w::FrameDecoder d([&](const w::Frame& f) {
    r.frames.push_back({f.type, f.seq, f.t_ns, {f.value.begin(), f.value.end()}});
  });
  uint32_t x = seed | 1;
  for (size_t i = 0; i < in.size();) {
    size_t piece = in.size() - i;
    if (seed) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      // Mostly small pieces (byte-at-a-time paths), sometimes large ones.
      piece = std::min(piece, size_t(x % 8 == 0 ? 1 + x % 70000 : 1 + x % 64));
    }
    d.feed(in.subspan(i, piece));
    i += piece;
  }
  d.finish();
  r.stats = d.stats();
  return r;
}

bool same_stats(const w::DecodeStats& a, const w::DecodeStats& b) {
  auto gaps_equal = [](const w::SeqGap& x, const w::SeqGap& y) {
    return x.first == y.first && x.count == y.count;
  };
  return a.bytes_in == b.bytes_in && a.frames == b.frames && a.corrupt == b.corrupt &&
         a.garbage_bytes == b.garbage_bytes && a.lost == b.lost &&
         a.seq_backwards == b.seq_backwards && a.unknown_types == b.unknown_types &&
         a.truncated_bytes == b.truncated_bytes && a.done == b.done &&
         a.value_bytes == b.value_bytes &&
         std::equal(a.gaps.begin(), a.gaps.end(), b.gaps.begin(), b.gaps.end(), gaps_equal);
}

// A delivered frame must be one the encoder could have written: re-encode and decode it alone.
void check_reencodes(const Got& g) {
  check(g.value.size() <= w::kMaxValue, "value longer than kMaxValue");
  std::vector<uint8_t> wire(w::max_encoded_size(g.value.size()));
  size_t n = w::encode_frame(wire.data(), wire.size(), g.type, g.seq, g.t_ns, g.value.data(),
                             g.value.size());
  check(n > 0 && n <= w::kMaxEncoded, "re-encode failed");
  wire.resize(n);
  Run again = decode(wire, 0);
  check(again.frames.size() == 1 && again.frames[0] == g, "re-encoded frame differs");
  check(again.stats.corrupt == 0 && again.stats.truncated_bytes == 0, "re-encoded frame damaged");
}

// The stats must describe exactly what the callback saw.
void check_stats(const Run& r, size_t input_size) {
  const w::DecodeStats& s = r.stats;
  check(s.bytes_in == input_size, "bytes_in");
  check(s.frames == r.frames.size(), "frames count");
  check(s.truncated_bytes <= w::kMaxEncoded, "truncated_bytes above kMaxEncoded");
  std::map<std::string, uint64_t> bytes;
  uint64_t unknown = 0;
  bool done = false;
  for (const Got& g : r.frames) {
    bytes[std::string(g.type.view())] += g.value.size();
    unknown += !w::is_known(g.type);
    done |= g.type == w::kDone;
  }
  check(bytes == s.value_bytes, "value_bytes");
  check(unknown == s.unknown_types, "unknown_types");
  check(done == s.done, "done");
  uint64_t gap_sum = 0;
  for (const w::SeqGap& g : s.gaps) gap_sum += g.count;
  check(s.gaps.size() >= 1000 || gap_sum == s.lost, "gaps do not add up to lost");
  check(!s.clean() || (s.done && s.corrupt == 0 && s.lost == 0), "clean() inconsistent");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint32_t seed = uint32_t(data[0]) << 8 | data[1];
  std::span<const uint8_t> in(data + 2, size - 2);

  Run whole = decode(in, 0);
  Run pieces = decode(in, seed | 0x10000);
  check(whole.frames == pieces.frames, "chunking changed the frames");
  check(same_stats(whole.stats, pieces.stats), "chunking changed the stats");
  check_stats(whole, in.size());
  for (const Got& g : whole.frames) check_reencodes(g);
  return 0;
}
