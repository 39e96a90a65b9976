#include "warm_spec.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ktstr/lane.hpp"
#include "ktstr/posix_io.hpp"

namespace ktstr::host {

std::string spec_value(const std::vector<std::string>& words, uint64_t realtime_ns, std::string_view entropy64,
                       uint64_t archive_bytes, uint32_t archive_frames) {
  if (entropy64.size() != kSpecEntropyBytes)
    throw std::invalid_argument("SPEC entropy: " + std::to_string(entropy64.size()) + " bytes, not " +
                                std::to_string(kSpecEntropyBytes));
  static const char* hex = "0123456789abcdef";
  std::string e;
  for (unsigned char c : entropy64) e += {hex[c >> 4], hex[c & 15]};
  nlohmann::json v = {{"words", words},
                      {"realtime_ns", realtime_ns},
                      {"entropy", e},
                      {"archive_bytes", archive_bytes},
                      {"archive_frames", archive_frames}};
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string archive_lane_frames(std::string_view archive, uint32_t first_seq, uint32_t& frames) {
  std::string out;
  frames = 0;
  out.reserve(archive.size() + (archive.size() / lane::kLaneMaxValue + 1) * (wire::kHeaderSize + wire::kCrcSize));
  while (!archive.empty()) {
    std::string_view piece = archive.substr(0, lane::kLaneMaxValue);
    lane::append_frame(out, wire::kArch, first_seq + frames, boottime_ns(), piece);
    archive.remove_prefix(piece.size());
    ++frames;
  }
  return out;
}

}  // namespace ktstr::host
