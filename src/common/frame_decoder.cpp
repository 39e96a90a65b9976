// Streaming frame decoder (host side). Bytes are split at 0x00 delimiters; each chunk is
// COBS-decoded and checked (length fields, CRC32C). A chunk that fails is counted as corrupt, but
// first we look for a valid frame starting later in it: garbage written before a frame without a
// delimiter (boot noise, a torn write) must not cost the frame behind it.
#include <algorithm>
#include <cstring>

#include "ktstr/frame_decoder.hpp"

namespace ktstr::wire {
namespace {

uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// Bound on the bytes fully decoded (COBS + CRC) while searching one damaged chunk for a frame
// after garbage. Candidates are pre-filtered in O(1) each: only crafted input reaches the bound.
constexpr size_t kRecoveryBudget = 1u << 22;
// How many seq gaps are remembered for the report.
constexpr size_t kMaxGaps = 1000;

// The u32 length field (decoded body bytes [4,8)) of the COBS chain at src[0], decoding only as
// much as needed; UINT32_MAX if the chain holds fewer than 8 bytes.
uint32_t peek_length_field(std::span<const uint8_t> src) {
  uint8_t head[8];
  size_t o = 0, i = 0;
  while (o < 8 && i < src.size()) {
    size_t code = src[i++];
    size_t run = std::min(code ? code - 1 : 0, src.size() - i);
    for (size_t k = 0; k < run && o < 8; ++k) head[o++] = src[i + k];
    i += run;
    if (o < 8 && code != 0xFF && i < src.size()) head[o++] = 0;
  }
  return o < 8 ? UINT32_MAX : uint32_t(get_le(head + 4, 4));
}

}  // namespace

long cobs_decode(std::span<const uint8_t> src, uint8_t* dst) {
  size_t i = 0;
  long o = 0;
  while (i < src.size()) {
    uint8_t code = src[i++];
    if (code == 0 || i + code - 1 > src.size()) return -1;
    size_t run = code - 1;
    if (std::memchr(src.data() + i, 0, run)) return -1;
    std::memcpy(dst + o, src.data() + i, run);
    o += long(run);
    i += run;
    if (code != 0xFF && i < src.size()) dst[o++] = 0;
  }
  return o;
}

bool parse_body(std::span<const uint8_t> body, Frame& out) {
  if (body.size() < kHeaderSize + kCrcSize) return false;
  const uint8_t* b = body.data();
  uint64_t n = get_le(b + 4, 4);
  if (n > kMaxValue || body.size() != body_size(n)) return false;
  uint32_t want = uint32_t(get_le(b + kHeaderSize + n, 4));
  if (crc32c(0, b, kHeaderSize + n) != want) return false;
  std::memcpy(out.type.c, b, 4);
  out.seq = uint32_t(get_le(b + 8, 4));
  out.t_ns = get_le(b + 12, 8);
  out.value = body.subspan(kHeaderSize, n);
  return true;
}

std::string DecodeStats::summary() const {
  std::string s = std::to_string(frames) + " frames, " + std::to_string(corrupt) + " corrupt, " +
                  std::to_string(lost) + " lost";
  if (garbage_bytes) s += ", " + std::to_string(garbage_bytes) + " garbage bytes";
  if (seq_backwards) s += ", " + std::to_string(seq_backwards) + " out of sequence";
  if (out_of_order) s += " (" + std::to_string(out_of_order) + " late)";
  if (unknown_types) s += ", " + std::to_string(unknown_types) + " of unknown type";
  if (truncated_bytes) s += ", truncated (" + std::to_string(truncated_bytes) + " bytes cut)";
  if (after_done) s += ", " + std::to_string(after_done) + " after DONE";
  s += done ? ", DONE seen" : ", no DONE";
  return s;
}

void FrameDecoder::feed(std::span<const uint8_t> bytes) {
  stats_.bytes_in += bytes.size();
  const uint8_t* p = bytes.data();
  const uint8_t* end = p + bytes.size();
  while (p < end) {
    const auto* z = static_cast<const uint8_t*>(std::memchr(p, 0, size_t(end - p)));
    const uint8_t* stop = z ? z : end;
    const uint8_t* from = p;
    if (chunk_.size() + size_t(stop - from) > kMaxEncoded) {
      overlong_ = true;  // cannot be one frame; only the last kMaxEncoded bytes matter
      if (size_t(stop - from) > kMaxEncoded) {
        stats_.garbage_bytes += chunk_.size() + size_t(stop - from) - kMaxEncoded;
        chunk_.clear();
        from = stop - kMaxEncoded;
      }
    }
    chunk_.insert(chunk_.end(), from, stop);
    // Trim in batches: one memmove per kMaxEncoded bytes, however small the pieces fed.
    if (chunk_.size() > 2 * kMaxEncoded) trim_overlong();
    p = stop;
    if (z) {
      ++p;
      on_chunk();
    }
  }
}

void FrameDecoder::finish() {
  if (overlong_) trim_overlong();
  stats_.truncated_bytes += chunk_.size();
  chunk_.clear();
  overlong_ = false;
}

void FrameDecoder::trim_overlong() {
  if (chunk_.size() <= kMaxEncoded) return;
  size_t drop = chunk_.size() - kMaxEncoded;
  stats_.garbage_bytes += drop;
  chunk_.erase(chunk_.begin(), chunk_.begin() + long(drop));
}

void FrameDecoder::on_chunk() {
  bool had_overlong = overlong_;
  overlong_ = false;
  if (chunk_.empty()) return;  // back-to-back delimiters carry nothing
  if (had_overlong) trim_overlong();
  if (!had_overlong && try_decode(0)) {
    chunk_.clear();
    return;
  }
  size_t found = recover();
  if (found) {
    stats_.garbage_bytes += found;
    if (had_overlong) ++stats_.corrupt;  // an oversize run is never a frame
  } else {
    ++stats_.corrupt;
  }
  chunk_.clear();
}

size_t FrameDecoder::recover() {
  // A frame after garbage must be a COBS chain that ends exactly at the delimiter. Walking the
  // chain from every start is quadratic (a run of 0xFF or 0x01 bytes exhausts any budget before
  // reaching the frame), so compute for all starts at once, right to left: chain_len_[i] is the
  // decoded length of the chain from i if it ends exactly at the chunk's end, else -1.
  const size_t n = chunk_.size();
  const uint8_t* c = chunk_.data();
  chain_len_.assign(n + 1, -1);
  chain_len_[n] = 0;
  for (size_t i = n; i-- > 0;) {
    size_t code = c[i];
    size_t next = i + code;
    if (code == 0 || next > n || chain_len_[next] < 0) continue;
    chain_len_[i] = int32_t(code - 1 + (code != 0xFF && next < n ? 1 : 0)) + chain_len_[next];
  }
  // The earliest start whose chain length agrees with its own length field, confirmed by a full
  // decode and CRC check.
  size_t budget = kRecoveryBudget;
  for (size_t s = 1; s < n; ++s) {
    int32_t len = chain_len_[s];
    if (len < int32_t(kHeaderSize + kCrcSize) || size_t(len) > body_size(kMaxValue)) continue;
    uint32_t n_field = peek_length_field(std::span(chunk_).subspan(s));
    if (n_field > kMaxValue || body_size(n_field) != size_t(len)) continue;
    if (n - s > budget) continue;  // a later, shorter candidate may still fit
    budget -= n - s;
    if (try_decode(s)) return s;
  }
  return 0;
}

bool FrameDecoder::try_decode(size_t start) {
  std::span<const uint8_t> src = std::span(chunk_).subspan(start);
  if (body_.size() < src.size()) body_.resize(src.size());
  long len = cobs_decode(src, body_.data());
  Frame f;
  if (len < 0 || !parse_body(std::span<const uint8_t>(body_.data(), size_t(len)), f)) return false;
  deliver(f);
  return true;
}

void FrameDecoder::add_gap(uint32_t first, uint32_t count) {
  stats_.lost += count;
  if (stats_.gaps.size() < kMaxGaps)
    stats_.gaps.push_back({first, count});
  else
    gaps_dropped_ = true;
}

// Gaps are recorded in seq order (counted from the first one, so a wrap keeps the order): a
// binary search finds the one holding `seq`. Once a gap could not be kept (the list is full),
// nothing is taken back: the kept gaps then stay the first ones, and lost stays their sum or more.
bool FrameDecoder::take_back(uint32_t seq) {
  auto& gaps = stats_.gaps;
  if (gaps.empty() || gaps_dropped_) return false;
  uint32_t base = gaps.front().first;
  auto it = std::upper_bound(gaps.begin(), gaps.end(), seq - base,
                             [base](uint32_t off, const SeqGap& g) { return off < g.first - base; });
  if (it == gaps.begin()) return false;
  --it;
  uint32_t off = seq - it->first;
  if (off >= it->count) return false;
  bool inside = off != 0 && off != it->count - 1;
  if (inside && gaps.size() >= kMaxGaps) {
    gaps_dropped_ = true;  // the split would not fit
    return false;
  }
  --stats_.lost;
  if (it->count == 1) {
    gaps.erase(it);
  } else if (off == 0) {
    ++it->first;
    --it->count;
  } else if (!inside) {
    --it->count;
  } else {
    SeqGap tail{seq + 1, it->count - off - 1};
    it->count = off;
    gaps.insert(it + 1, tail);
  }
  return true;
}

// Counts seqs skipped as lost, and sorts a frame that is behind into late or repeat.
void FrameDecoder::track_seq(uint32_t seq) {
  arrival_ = Arrival::next;
  if (!have_seq_) {
    // The first frame of a boot has seq 0: anything before this one went missing.
    if (seq != 0) add_gap(0, seq);
  } else if (uint32_t ahead = seq - next_seq_; ahead >= 0x80000000u) {
    ++stats_.seq_backwards;
    arrival_ = take_back(seq) ? Arrival::late : Arrival::repeat;
    if (arrival_ == Arrival::late) ++stats_.out_of_order;
    return;
  } else if (ahead) {
    add_gap(next_seq_, ahead);
  }
  have_seq_ = true;
  next_seq_ = seq + 1;
}

void FrameDecoder::deliver(const Frame& f) {
  track_seq(f.seq);
  ++stats_.frames;
  if (!is_known(f.type)) ++stats_.unknown_types;
  stats_.value_bytes[std::string(f.type.view())] += f.value.size();
  if (stats_.done) ++stats_.after_done;
  if (f.type == kDone) stats_.done = true;
  sink_(f);
}

}  // namespace ktstr::wire
