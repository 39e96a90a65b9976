// Frame encoder: builds header, value and CRC straight into COBS output, so no intermediate body
// buffer is needed. Async-signal-safe: no heap, no locks, no errno, no library calls.
#include "ktstr/wire.hpp"

namespace ktstr::wire {
namespace {

// Streaming COBS writer over a fixed output buffer. `code_at` is where the current block's code
// byte goes; it is filled in when the block closes (at a zero or after 254 data bytes).
struct CobsWriter {
  uint8_t* out;
  size_t pos = 1;
  size_t code_at = 0;
  uint8_t code = 1;

  void put(uint8_t b) {
    if (b == 0) {
      close_block();
      return;
    }
    out[pos++] = b;
    if (++code == 0xFF) close_block();
  }
  void close_block() {
    out[code_at] = code;
    code_at = pos++;
    code = 1;
  }
  void put_all(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) put(p[i]);
  }
  // Writes the final code byte and the delimiter; returns the total length.
  size_t finish() {
    out[code_at] = code;
    out[pos++] = 0;
    return pos;
  }
};

void put_le(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = uint8_t(v >> (8 * i));
}

}  // namespace

bool is_known(Tag t) {
  for (Tag k : {kHelo, kPhas, kSout, kSerr, kSlog, kIlog, kSchd, kDump, kExit, kBeat, kCrsh, kFatl,
                kDone, kKmsg, kTopo, kProg, kStat, kSack, kHook, kHend, kFent, kFdat, kFskp, kFend, kRsiz, kStop,
                kStdi, kSyrq, kLack, kWait, kSpec, kArch})
    if (k == t) return true;
  return false;
}

size_t encode_frame(uint8_t* out, size_t cap, Tag type, uint32_t seq, uint64_t t_ns,
                    const void* value, size_t n) {
  if (n > kMaxValue || cap < max_encoded_size(n)) return 0;
  uint8_t header[kHeaderSize];
  for (int i = 0; i < 4; ++i) header[i] = uint8_t(type.c[i]);
  put_le(header + 4, n, 4);
  put_le(header + 8, seq, 4);
  put_le(header + 12, t_ns, 8);
  const auto* v = static_cast<const uint8_t*>(value);
  uint8_t crc[kCrcSize];
  put_le(crc, crc32c(crc32c(0, header, kHeaderSize), v, n), 4);

  CobsWriter w{out};
  w.put_all(header, kHeaderSize);
  w.put_all(v, n);
  w.put_all(crc, kCrcSize);
  return w.finish();
}

}  // namespace ktstr::wire
