#include "stop_process.hpp"

#include <signal.h>

#include <spdlog/spdlog.h>

namespace ktstr::init {
namespace {

std::string signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig);
}

}  // namespace

bool stop_process(EventLoop& loop, pid_t target, int first, uint32_t grace_ms, const std::function<bool()>& gone,
                  std::string_view who) {
  ::kill(target, first);
  if (loop.run_until(gone, after_ms(grace_ms))) return true;
  spdlog::warn("{} ignored {} for {} ms: SIGKILL{}", who, signal_name(first), grace_ms,
               target < 0 ? " to its process group" : "");
  ::kill(target, SIGKILL);
  if (loop.run_until(gone, after_ms(kKillReapMs))) return true;
  spdlog::error("{} not reaped {} ms after SIGKILL", who, kKillReapMs);
  return false;
}

}  // namespace ktstr::init
