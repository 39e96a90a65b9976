// The data lane's framing (include/ktstr/lane.hpp).
#include "ktstr/lane.hpp"


namespace ktstr::lane {
namespace {

void put_le(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
std::string at(uint64_t index) { return "frame " + std::to_string(index); }
bool printable_tag(const uint8_t* p) {
  for (int i = 0; i < 4; ++i)
    if (p[i] < 0x21 || p[i] > 0x7e) return false;
  return true;
}

}  // namespace

void encode_header(uint8_t out[wire::kHeaderSize], wire::Tag type, uint32_t n, uint32_t seq, uint64_t t_ns) {
  for (int i = 0; i < 4; ++i) out[i] = uint8_t(type.c[i]);
  put_le(out + 4, n, 4);
  put_le(out + 8, seq, 4);
  put_le(out + 12, t_ns, 8);
}

uint32_t frame_crc(const uint8_t header[wire::kHeaderSize], const void* value, size_t n) {
  return wire::crc32c(wire::crc32c(0, header, wire::kHeaderSize), value, n);
}

void append_frame(std::string& out, wire::Tag type, uint32_t seq, uint64_t t_ns, std::string_view value) {
  uint8_t header[wire::kHeaderSize];
  encode_header(header, type, uint32_t(value.size()), seq, t_ns);
  uint8_t crc[wire::kCrcSize];
  put_le(crc, frame_crc(header, value.data(), value.size()), 4);
  out.append(reinterpret_cast<const char*>(header), sizeof header);
  out.append(value);
  out.append(reinterpret_cast<const char*>(crc), sizeof crc);
}

void LaneDecoder::feed(std::string_view bytes) {
  bytes_in_ += bytes.size();
  if (finished_) {
    // Bytes after the end were not expected: count them, never deliver them.
    if (damage_.empty()) fail("bytes after the end of the stream");
    damaged_bytes_ += bytes.size();
    return;
  }
  if (damaged()) {
    damaged_bytes_ += bytes.size();
    return;
  }
  buf_.append(bytes);
  parse();
  // Keep the buffer from growing with consumed bytes.
  if (head_ > 0 && (head_ == buf_.size() || head_ >= (size_t(1) << 20))) {
    buf_.erase(0, head_);
    head_ = 0;
  }
}

void LaneDecoder::parse() {
  while (!damaged()) {
    size_t avail = buf_.size() - head_;
    if (avail < wire::kHeaderSize) return;
    const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + head_);
    uint64_t n = get_le(p + 4, 4);
    uint32_t seq = uint32_t(get_le(p + 8, 4));
    if (!printable_tag(p)) return fail(at(frames_) + ": the type is not four printable ASCII bytes");
    if (n > kLaneMaxValue)
      return fail(at(frames_) + " (" + std::string(reinterpret_cast<const char*>(p), 4) + "): a value of " +
                  std::to_string(n) + " bytes, above the lane's " + std::to_string(kLaneMaxValue));
    size_t whole = wire::body_size(size_t(n));
    if (avail < whole) return;
    uint32_t crc = uint32_t(get_le(p + wire::kHeaderSize + n, 4));
    if (crc != frame_crc(p, p + wire::kHeaderSize, size_t(n)))
      return fail(at(frames_) + ": bad CRC");
    if (seq != uint32_t(first_seq_ + frames_))
      return fail(at(frames_) + ": seq " + std::to_string(seq) + ", expected " +
                  std::to_string(uint32_t(first_seq_ + frames_)));
    wire::Frame f{};
    for (int i = 0; i < 4; ++i) f.type.c[i] = char(p[i]);
    f.seq = seq;
    f.t_ns = get_le(p + 12, 8);
    f.value = std::span<const uint8_t>(p + wire::kHeaderSize, size_t(n));
    ++frames_;
    value_bytes_[std::string(f.type.view())] += n;
    head_ += whole;
    // The handler may not feed this decoder again (the value points into buf_).
    on_frame_(f);
  }
}

void LaneDecoder::fail(std::string why) {
  damage_ = std::move(why);
  damaged_bytes_ += buf_.size() - head_;
  buf_.clear();
  head_ = 0;
}

void LaneDecoder::finish() {
  if (finished_) return;
  finished_ = true;
  if (damaged()) return;
  truncated_bytes_ = buf_.size() - head_;
  buf_.clear();
  head_ = 0;
}

std::string LaneDecoder::summary() const {
  std::string s = std::to_string(frames_) + " frames, " + std::to_string(bytes_in_) + " bytes";
  if (damaged()) return s + ", damaged: " + damage_ + " (" + std::to_string(damaged_bytes_) + " bytes not read)";
  if (truncated_bytes_) return s + ", truncated: " + std::to_string(truncated_bytes_) + " bytes of an incomplete frame";
  return s + ", intact";
}

}  // namespace ktstr::lane
