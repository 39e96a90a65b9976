#include "watchdog.hpp"

namespace ktstr::host {

void Watchdog::start(Clock::time_point now) {
  last_frame_ = now;
  deadline_ = now + std::chrono::seconds(hard_s_);
}

void Watchdog::frames(uint64_t count, Clock::time_point now) {
  if (count == frames_) return;
  frames_ = count;
  last_frame_ = now;
}

std::optional<std::string> Watchdog::check(Clock::time_point now, bool helo_seen, const std::string& phase) {
  if (fired_) return std::nullopt;
  unsigned silence = helo_seen ? silence_s_ : boot_silence_s_;
  bool past_deadline = hard_s_ && now > deadline_;
  bool silent = silence && now - last_frame_ > std::chrono::seconds(silence);
  if (!past_deadline && !silent) return std::nullopt;
  fired_ = true;
  reason_ = (past_deadline ? "watchdog: run exceeded " + std::to_string(hard_s_) + " s"
                           : "watchdog: no frame from the guest for " + std::to_string(silence) + " s") +
            "; hung in " + phase;
  return reason_;
}

}  // namespace ktstr::host
