// Human-readable and JSON views of decoded COM2 frames, for `ktstr-vm decode` (`run -v` prints
// frames its own way, GuestRecord::prefixed). Pure formatting: no I/O, no global state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ktstr/frame_decoder.hpp"

namespace ktstr::host {

// True for frame types whose value is raw bytes (SOUT/SERR/SLOG/ILOG/HOOK);
// every other type (KMSG included: one kernel log record as JSON) carries a JSON object.
bool has_byte_value(wire::Tag type);

// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(std::span<const uint8_t> bytes);

// Makes bytes safe to show on a terminal: printable ASCII, tab and well-formed UTF-8 pass
// through; \n and \r become "\n" and "\r"; any other control or invalid byte becomes "\xNN".
std::string escape_text(std::span<const uint8_t> bytes);

// t_ns as the kernel prints boot times: "[   4.123456]" (seconds, microseconds).
std::string format_timestamp(uint64_t t_ns);

// One JSON object (no trailing newline) describing the frame:
//   {"type":"SCHD","seq":12,"t_ns":4123456789,"value":{...}}      control frame, value parsed
//   {"type":"SOUT","seq":13,"t_ns":...,"encoding":"text","value":"hello\n"}
//   {"type":"SOUT",...,"encoding":"base64","value":"AAEC"}          bytes that are not UTF-8
// A control frame whose value is not a JSON object is still described: its raw value as a string
// ("encoding" text or base64) plus "invalid_json":true, and *value_is_json is set to false.
// Never throws.
std::string frame_to_json(const wire::Frame& f, bool* value_is_json = nullptr);

// Turns frames into lines of text, in arrival order:
//   [   4.123456] #12 SCHD {"event":"attached",...}   control frames, one line each
//   SOUT| a line of the payload's stdout               byte-value frames, one line per '\n'
// Byte values are buffered per type until their newline (a frame may end mid-line), so lines of
// different streams never interleave mid-line. Every emitted line ends in '\n'.
class TextFormatter {
 public:
  // Appends the lines `f` completes to `out`. Sets *value_is_json to false for a control frame
  // whose value is not a JSON object (it is still printed, escaped).
  void format(const wire::Frame& f, std::string& out, bool* value_is_json = nullptr);
  // Appends every buffered partial line (end of input), in the order the streams first appeared.
  void flush(std::string& out);

 private:
  // A partial line longer than this is emitted anyway, so memory stays bounded.
  static constexpr size_t kMaxLine = 64 * 1024;
  std::string& partial_for(wire::Tag type);
  static void emit_line(wire::Tag type, std::span<const uint8_t> line, std::string& out);

  std::vector<std::pair<wire::Tag, std::string>> partial_;  // per byte-value type
};

}  // namespace ktstr::host
