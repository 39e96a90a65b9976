// A warm start's hand-over (docs/protocol.md, "Warm starts"): the SPEC frame's value, the test as
// data for a guest that waits in init, and the run archive cut into the lane's ARCH frames.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ktstr::host {

// Bytes of fresh entropy a SPEC carries (sent as 128 hex digits).
inline constexpr size_t kSpecEntropyBytes = 64;

// The SPEC value: {"words":[...],"realtime_ns":N,"entropy":"<hex>","archive_bytes":N,
// "archive_frames":K}. `words` are the test's KTSTR_* cmdline words (cmdline_words);
// `entropy64` must be kSpecEntropyBytes raw bytes (std::invalid_argument otherwise).
std::string spec_value(const std::vector<std::string>& words, uint64_t realtime_ns, std::string_view entropy64,
                       uint64_t archive_bytes, uint32_t archive_frames);

// The lane bytes that carry `archive`: ARCH frames of at most lane::kLaneMaxValue bytes each, with
// the host -> guest seqs first_seq, first_seq+1, ...; `frames` gets their count (0 for an empty
// archive). The host's later LACK continues after them (OutputCollector::set_first_ack_seq).
std::string archive_lane_frames(std::string_view archive, uint32_t first_seq, uint32_t& frames);

}  // namespace ktstr::host
