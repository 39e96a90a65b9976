// The host's watchdog over one VM session, the same for run, shell --exec and the interactive
// shell: a hard deadline for the whole session, and a silence detector (no frame at all, not even
// init's BEAT, for too long). When it fires it names the phase the guest was in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ktstr::host {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // hard_s: seconds from start() to the hard deadline. silence_s applies once HELO was seen,
  // boot_silence_s before (boot under TCG on a loaded host is slow). 0 turns a limit off.
  Watchdog(unsigned hard_s, unsigned silence_s, unsigned boot_silence_s)
      : hard_s_(hard_s), silence_s_(silence_s), boot_silence_s_(boot_silence_s) {}

  // QEMU has started: both clocks run from here.
  void start(Clock::time_point now);
  // The decoder's frame count now; any progress resets the silence clock.
  void frames(uint64_t count, Clock::time_point now);
  // The reason, once, when a limit is passed: "watchdog: run exceeded N s; hung in PHASE" or
  // "watchdog: no frame from the guest for N s; hung in PHASE". nullopt otherwise.
  std::optional<std::string> check(Clock::time_point now, bool helo_seen, const std::string& phase);

  bool fired() const { return fired_; }
  const std::string& reason() const { return reason_; }

 private:
  unsigned hard_s_, silence_s_, boot_silence_s_;
  Clock::time_point last_frame_{}, deadline_{};
  uint64_t frames_ = 0;
  bool fired_ = false;
  std::string reason_;
};

}  // namespace ktstr::host
