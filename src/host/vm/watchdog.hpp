// The host's watchdog over one VM session, the same for run, shell --exec and the interactive
// shell: a deadline for the boot (the first frame), a hard deadline for the whole session, and a
// silence detector (no frame at all, not even init's BEAT, for too long). When it fires it names
// the phase the guest was in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ktstr::host {

// The boot deadline (QEMU start -> first frame, HELO) when --boot-timeout is not given: 120 s for
// any VM (a loaded host), plus N + N^2/64 s for N vCPUs under TCG, whose boot grows faster than
// linearly with N (the figures are in docs/architecture.md), or N/2 s under KVM.
unsigned default_boot_timeout_s(unsigned vcpus, bool kvm);

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // hard_s: seconds from start() to the hard deadline. boot_s: from start() to HELO.
  // silence_s: the longest time without a frame once HELO was seen. 0 turns a limit off.
  // boot_what names the VM in the boot reason ("240 vCPUs under TCG").
  Watchdog(unsigned hard_s, unsigned silence_s, unsigned boot_s, std::string boot_what = "")
      : hard_s_(hard_s), silence_s_(silence_s), boot_s_(boot_s), boot_what_(std::move(boot_what)) {}

  // QEMU has started: every clock runs from here.
  void start(Clock::time_point now);
  // The decoder's frame count now; any progress resets the silence clock.
  void frames(uint64_t count, Clock::time_point now);
  // The reason, once, when a limit is passed, nullopt otherwise:
  //   "watchdog: run exceeded N s; hung in PHASE"
  //   "watchdog: no frame from the guest for N s; hung in PHASE" (after HELO)
  //   "watchdog: boot still running after N s, no frame from the guest yet (WHAT); ..." (before)
  std::optional<std::string> check(Clock::time_point now, bool helo_seen, const std::string& phase);

  bool fired() const { return fired_; }
  const std::string& reason() const { return reason_; }
  unsigned hard_s() const { return hard_s_; }
  unsigned boot_s() const { return boot_s_; }

 private:
  unsigned hard_s_, silence_s_, boot_s_;
  std::string boot_what_;
  Clock::time_point start_{}, last_frame_{};
  uint64_t frames_ = 0;
  bool fired_ = false;
  std::string reason_;
};

}  // namespace ktstr::host
