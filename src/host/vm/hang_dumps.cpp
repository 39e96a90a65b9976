#include "hang_dumps.hpp"

namespace ktstr::host {

void HangDumps::fired(Clock::time_point now, const std::function<bool()>& ask) {
  if (kill_at_) return;
  requested_ = ask();
  kill_at_ = requested_ ? now + wait_ : now;
}

bool HangDumps::kill_due(Clock::time_point now) const { return kill_at_ && now >= *kill_at_; }

}  // namespace ktstr::host
