// libFuzzer target for the data lane's decoder (src/common/lane.cpp). The first byte seeds the
// piece size; the rest is a lane stream. It is decoded in pieces and at once, and these invariants
// are checked (abort on violation):
//   - both decodes deliver the same frames and the same verdict (chunking is invisible);
//   - delivered frames carry seq 0, 1, 2, ... and re-encode to exactly the bytes they came from;
//   - every input byte is accounted for: delivered, damaged or truncated.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ktstr/lane.hpp"

namespace l = ktstr::lane;
namespace w = ktstr::wire;

namespace {

struct Run {
  std::string delivered;  // every delivered frame, re-encoded
  uint64_t frames = 0, damaged = 0, truncated = 0;
  bool is_damaged = false;
};

Run decode(std::string_view in, size_t piece) {
  Run r;
  l::LaneDecoder d([&](const w::Frame& f) {
    if (f.seq != r.frames) {
      fprintf(stderr, "seq %u delivered as frame %llu\n", f.seq, (unsigned long long)r.frames);
      abort();
    }
    ++r.frames;
    l::append_frame(r.delivered, f.type, f.seq, f.t_ns,
                    std::string_view(reinterpret_cast<const char*>(f.value.data()), f.value.size()));
  });
  for (size_t i = 0; i < in.size(); i += piece) d.feed(in.substr(i, piece));
  d.finish();
  r.damaged = d.damaged_bytes();
  r.truncated = d.truncated_bytes();
  r.is_damaged = d.damaged();
  if (d.frames() != r.frames) abort();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t piece = size_t(data[0] % 61) + 1;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  Run a = decode(in, piece), b = decode(in, in.size() ? in.size() : 1);
  if (a.delivered != b.delivered || a.damaged != b.damaged || a.truncated != b.truncated ||
      a.is_damaged != b.is_damaged)
    abort();
  // Delivered frames are a prefix of the input, byte for byte; the rest is damaged or truncated.
  if (in.substr(0, a.delivered.size()) != a.delivered) abort();
  if (a.delivered.size() + a.damaged + a.truncated != in.size()) abort();
  return 0;
}
