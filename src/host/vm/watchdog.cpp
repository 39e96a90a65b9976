#include "watchdog.hpp"

namespace ktstr::host {

// Under TCG a boot costs more than linearly in vCPUs: single-threaded TCG runs every vCPU in
// turn, so each one brought up waits on all the others. QEMU start -> HELO measured on a 2-core
// host at load ~19 (docs/architecture.md): 18 s (1 vCPU), 25 s (8), 51 s (32), 115 s (64),
// 321 s (128), about 20 + 0.46 N + N^2/63 s. 120 + N + N^2/64 stays above 1.5 times that up to
// 128 vCPUs and above it for 240 (1260 s, against ~1050 s extrapolated). KVM runs vCPUs in
// parallel.
unsigned default_boot_timeout_s(unsigned vcpus, bool kvm) {
  constexpr unsigned kBase = 120;
  if (kvm) return kBase + vcpus / 2;
  return kBase + vcpus + unsigned(uint64_t(vcpus) * vcpus / 64);
}

void Watchdog::start(Clock::time_point now) {
  start_ = now;
  last_frame_ = now;
}

void Watchdog::frames(uint64_t count, Clock::time_point now) {
  if (count == frames_) return;
  frames_ = count;
  last_frame_ = now;
}

std::optional<std::string> Watchdog::check(Clock::time_point now, bool helo_seen, const std::string& phase) {
  using std::chrono::seconds;
  if (fired_) return std::nullopt;
  if (hard_s_ && now - start_ > seconds(hard_s_))
    reason_ = "watchdog: run exceeded " + std::to_string(hard_s_) + " s; hung in " + phase;
  else if (!helo_seen && boot_s_ && now - start_ > seconds(boot_s_))
    // Slow, not necessarily hung: a big VM under TCG boots for minutes. Say how to allow more.
    reason_ = "watchdog: boot still running after " + std::to_string(boot_s_) +
              " s, no frame from the guest yet" + (boot_what_.empty() ? "" : " (" + boot_what_ + ")") +
              "; --boot-timeout SECONDS allows a longer boot";
  else if (helo_seen && silence_s_ && now - last_frame_ > seconds(silence_s_))
    reason_ = "watchdog: no frame from the guest for " + std::to_string(silence_s_) + " s; hung in " + phase;
  else
    return std::nullopt;
  fired_ = true;
  return reason_;
}

}  // namespace ktstr::host
