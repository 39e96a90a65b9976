// Streaming COM2 frame decoder for the host. Everything from the guest is untrusted: any byte
// sequence is accepted, damage is counted, intact frames are always delivered.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "ktstr/wire.hpp"

namespace ktstr::wire {

// A decoded, CRC-checked frame. `value` points into the decoder's buffer: valid only during the
// callback.
struct Frame {
  Tag type;
  uint32_t seq;
  uint64_t t_ns;
  std::span<const uint8_t> value;
};

// How a delivered frame's seq relates to the frames before it.
enum class Arrival : uint8_t {
  next,    // at or ahead of the expected seq (any seqs skipped are counted lost)
  late,    // behind, inside a recorded gap: out of order; the gap's loss is taken back
  repeat,  // behind and not in a recorded gap: a duplicate (or a restarted sequence); after more
           // gaps than are kept, every frame behind counts as this
};

struct SeqGap {
  uint32_t first;  // first missing seq
  uint32_t count;  // how many are missing
};

struct DecodeStats {
  uint64_t bytes_in = 0;         // every byte fed
  uint64_t frames = 0;           // intact frames delivered
  uint64_t corrupt = 0;          // delimited chunks that held no valid frame (COBS/length/CRC)
  uint64_t garbage_bytes = 0;    // bytes skipped before a frame recovered inside a damaged chunk
  uint64_t lost = 0;             // frames missing according to seq
  uint64_t seq_backwards = 0;    // frames whose seq did not advance (duplicate, reorder, restart)
  uint64_t out_of_order = 0;     // of those, frames that filled a recorded gap (arrived late)
  uint64_t unknown_types = 0;    // intact frames of a type this version does not define
  uint64_t truncated_bytes = 0;  // bytes of an unterminated last frame (set by finish())
  uint64_t after_done = 0;       // frames that came after DONE (the guest's last frame)
  bool done = false;             // a DONE frame arrived
  std::map<std::string, uint64_t> value_bytes;  // value bytes per frame type
  std::vector<SeqGap> gaps;      // where frames went missing (first 1000 kept)

  // True when the capture is complete and clean: DONE seen, nothing corrupt, lost, truncated,
  // duplicated or out of order, no unknown frame type and nothing after DONE.
  bool clean() const {
    return done && corrupt == 0 && lost == 0 && truncated_bytes == 0 && seq_backwards == 0 &&
           unknown_types == 0 && after_done == 0;
  }
  // One-line human summary, e.g. "412 frames, 0 corrupt, 0 lost, DONE seen".
  std::string summary() const;
};

// Feed it bytes in any chunking (one byte at a time works); it calls `on_frame` for each intact
// frame, in order. Resynchronises at the next 0x00 after garbage; inside a damaged chunk it also
// looks (with bounded work) for a valid frame that begins after leading garbage.
class FrameDecoder {
 public:
  using Sink = std::function<void(const Frame&)>;
  explicit FrameDecoder(Sink on_frame) : sink_(std::move(on_frame)) {}

  void feed(std::span<const uint8_t> bytes);
  // End of input: bytes of an unterminated frame are counted as truncated.
  void finish();
  const DecodeStats& stats() const { return stats_; }
  // How the frame being delivered arrived; meaningful inside `on_frame` only.
  Arrival arrival() const { return arrival_; }

 private:
  void on_chunk();  // chunk_ holds the bytes between two delimiters
  void trim_overlong();  // keeps the last kMaxEncoded bytes of an overlong chunk
  size_t recover();  // start of a valid frame after leading garbage in chunk_ (delivered), or 0
  bool try_decode(size_t start);
  void deliver(const Frame& f);
  void track_seq(uint32_t seq);
  void add_gap(uint32_t first, uint32_t count);
  bool take_back(uint32_t seq);  // removes seq from its recorded gap; false if it is in none

  Sink sink_;
  std::vector<uint8_t> chunk_;
  std::vector<uint8_t> body_;
  std::vector<int32_t> chain_len_;  // recover()'s scratch, kept to avoid reallocation
  bool overlong_ = false;  // current chunk exceeded kMaxEncoded: it is dropped at the next 0x00
  bool have_seq_ = false;
  uint32_t next_seq_ = 0;  // one past the highest seq seen
  Arrival arrival_ = Arrival::next;
  bool gaps_dropped_ = false;  // a gap was not kept: late frames can no longer be told apart
  DecodeStats stats_;
};

// Parses a frame body (already COBS-decoded): checks length fields and CRC.
// Returns false for any inconsistency.
bool parse_body(std::span<const uint8_t> body, Frame& out);

// COBS-decodes src into dst (dst must hold src.size() bytes). Returns the decoded length, or -1 if
// the code chain is malformed (a zero byte inside, or a code pointing past the end).
long cobs_decode(std::span<const uint8_t> src, uint8_t* dst);

}  // namespace ktstr::wire
