// What the on-failure hook sent back (HOOK output, HEND at its end), for the report and one line on
// stderr. Untrusted like every frame: a guest that had no hook may still send these, so they are
// counted and reported, never trusted to mean anything else; the output kept is bounded (its first
// and last kKeep bytes, and how much was cut between them).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ktstr::host {

class HookRecord {
 public:
  static constexpr size_t kKeep = 64 * 1024;

  void output(std::string_view bytes);         // a HOOK frame's value
  void end(const nlohmann::json& hend);        // a HEND frame's value (an object)
  bool ran() const { return bytes_ || ends_; }  // anything came back
  bool ended() const { return ends_ != 0; }
  // {"command","ran","exit_code","signal","timed_out","ms","error","output","output_bytes",
  // "output_cut"}; `command` is what the host asked for ("" = nothing: then null unless the guest
  // sent hook frames anyway, which "unasked" says).
  nlohmann::json report(const std::string& command) const;
  // "on-failure hook: exit 0 in 12 ms, 34 bytes of output (in the JSON report)", for stderr.
  std::string end_line() const;

 private:
  std::string head_, tail_;  // the first kKeep bytes; then the last kKeep ones
  uint64_t bytes_ = 0;
  uint64_t ends_ = 0;
  nlohmann::json end_;  // the first HEND
};

}  // namespace ktstr::host
