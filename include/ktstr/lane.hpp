// The data lane (docs/protocol.md, "The data lane"): a virtio-serial port beside COM2 for bulk
// data in both directions. A lane frame has COM2's body (type, N, seq, t_ns, value, CRC32C) but
// no COBS and no delimiter: virtio-serial is a reliable byte stream, so there is nothing to
// resynchronise on, and a frame that fails its checks ends the stream (everything after it is
// counted as damaged, never guessed at). Values may be up to kLaneMaxValue (1 MiB), so a bulk
// transfer costs one header per MiB.
//
// Each direction has its own seq, from 0, +1 per frame with no gap: a reliable stream that skips
// a number has lost data. COM2's DONE carries the guest's lane totals (frames and value bytes per
// type), so a lane that was cut short cannot pass for a complete one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "ktstr/frame_decoder.hpp"  // wire::Frame
#include "ktstr/wire.hpp"

namespace ktstr::lane {

inline constexpr size_t kLaneMaxValue = size_t(1) << 20;
// The name QEMU gives the port (virtserialport name=...); the guest finds its device by reading
// /sys/class/virtio-ports/*/name.
inline constexpr const char* kPortName = "org.ktstr.lane";

// Writes the 20-byte header of a frame with an n-byte value into out.
void encode_header(uint8_t out[wire::kHeaderSize], wire::Tag type, uint32_t n, uint32_t seq, uint64_t t_ns);
// The CRC32C that follows the value: over the header, then the value.
uint32_t frame_crc(const uint8_t header[wire::kHeaderSize], const void* value, size_t n);
// Appends one whole frame (header, value, CRC) to out. n must be <= kLaneMaxValue.
void append_frame(std::string& out, wire::Tag type, uint32_t seq, uint64_t t_ns, std::string_view value);

// Streaming decoder for one direction of the lane. Untrusted input: any bytes in any chunking.
// Intact frames are delivered in order; the first frame that is not intact (a type that is not
// four printable ASCII bytes, N > kLaneMaxValue, a bad CRC, a seq that is not the next one) makes
// the stream damaged: it and everything after it is counted in `damaged_bytes` and nothing more
// is delivered.
class LaneDecoder {
 public:
  using Handler = std::function<void(const wire::Frame&)>;
  explicit LaneDecoder(Handler on_frame) : on_frame_(std::move(on_frame)) {}
  // Before the first feed: the direction already carried `seq` frames that this decoder did not
  // read (the guest's LACK wait after a warm start's ARCH frames), so its first frame has this seq.
  void set_first_seq(uint32_t seq) { first_seq_ = seq; }

  void feed(std::string_view bytes);
  // End of input: bytes of an incomplete last frame count as truncated.
  void finish();

  bool damaged() const { return !damage_.empty(); }
  // Why the stream is damaged, e.g. "frame 12 (seq 12): bad CRC"; empty when it is not.
  const std::string& damage() const { return damage_; }
  uint64_t frames() const { return frames_; }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t damaged_bytes() const { return damaged_bytes_; }
  uint64_t truncated_bytes() const { return truncated_bytes_; }
  // Value bytes per frame type, of the frames delivered.
  const std::map<std::string, uint64_t>& value_bytes() const { return value_bytes_; }
  // One line, e.g. "37 frames, 52428800 bytes, intact" or "... damaged: frame 3: bad CRC".
  std::string summary() const;

 private:
  void parse();
  void fail(std::string why);

  Handler on_frame_;
  std::string buf_;  // bytes not yet delivered, from head_
  size_t head_ = 0;
  uint64_t frames_ = 0, bytes_in_ = 0, damaged_bytes_ = 0, truncated_bytes_ = 0;
  std::map<std::string, uint64_t> value_bytes_;
  std::string damage_;
  bool finished_ = false;
  uint32_t first_seq_ = 0;
};

}  // namespace ktstr::lane
