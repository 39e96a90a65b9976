// What the test path (run_path) and the shell path share (docs/architecture.md): the event loop and
// the reaper, COM2 queued on the loop, the heartbeat, STOP from the host, the scheduler's start
// and stop with the sysfs scripts around it, the end of leftover processes, and how the run's
// status follows from the way its main child (the payload, or the exec command) ended.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "com2.hpp"
#include "event_loop.hpp"
#include "host_control.hpp"
#include "ktstr/cmdline.hpp"
#include "reaper.hpp"
#include "run_result.hpp"
#include "scheduler.hpp"
#include "stdin_feed.hpp"

namespace ktstr::init {

// Bounds both paths share (docs/architecture.md: bounded at every step, no fixed sleeps).
inline constexpr uint32_t kTermGraceMs = 2000;      // SIGTERM -> SIGKILL for a payload that must end
inline constexpr uint32_t kSchedGraceMs = 2000;     // SIGINT -> SIGKILL for the scheduler
inline constexpr uint64_t kSchedLogDrainMs = 1000;  // the scheduler's last output after its exit
inline constexpr uint64_t kReapLeftoversMs = 1000;  // leftovers after SIGKILL

// Why the wait for the main child stopped. All false: it exited by itself.
struct Ending {
  bool sched_died = false;  // the scheduler died after it attached
  bool timed_out = false;   // KTSTR_TIMEOUT passed
  bool stopped = false;     // the host sent STOP (its Ctrl-C)
  // The EXIT frame's "timed_out": the timeout ended it, not the scheduler's death.
  bool exit_timed_out() const { return timed_out && !sched_died; }
};

class GuestCore {
 public:
  GuestCore(const Config& config, Com2& com2) : config_(config), com2_(com2), sched_(loop_, reaper_, com2) {}
  ~GuestCore() { com2_.detach(); }  // queued frames go out before DONE (sent after the run)
  GuestCore(const GuestCore&) = delete;
  GuestCore& operator=(const GuestCore&) = delete;

  // The loop and the reaper, COM2 queued on the loop (it never blocks on the UART from here on),
  // the heartbeat, then /sched_enable. On failure (a failed --sched-enable line included): FATL,
  // result.reason, false: neither the scheduler nor the payload runs.
  [[nodiscard]] bool set_up(RunResult& result);
  // Host->guest control frames on COM2. Without an on_stop handler, STOP ends wait_for(). With
  // KTSTR_STDIN=1, STDI frames feed stdin_feed() and its window is granted to the host.
  void listen_to_host(HostControl::Handlers handlers);
  // Spawns /scheduler, if packed, and waits until it is attached (SCHD frames, PHAS, $SCHED_PID).
  // Returns false (result.reason set) if it is packed but did not attach.
  [[nodiscard]] bool start_scheduler(RunResult& result);
  // Also called when the scheduler dies after it attached (wait_for() ends by itself).
  void on_scheduler_death(std::function<void()> f) { on_sched_death_ = std::move(f); }
  bool scheduler_died() const { return sched_died_; }
  bool stop_requested() const { return stop_requested_; }  // the host sent STOP

  // Starts KTSTR_TIMEOUT's clock (if set), right before the main child is spawned. False with
  // `error` naming the failed call if it cannot: the child must not run without its timeout.
  [[nodiscard]] bool arm_timeout(std::string& error);
  // Runs the loop until exited() holds, the scheduler dies after attaching, the timeout passes or
  // the host sends STOP.
  Ending wait_for(const std::function<bool()>& exited);
  // The run's status from how the child ended: 125 if the scheduler died, 130 for a host STOP,
  // 124 for the timeout, else the child's own exit code. `what` names the child in the reason.
  void settle(RunResult& result, const Ending& ending, int child_exit_code, const std::string& what) const;

  // Teardown, first part: PHAS teardown, the scheduler stopped (SIGINT, grace_ms, SIGKILL), its
  // last output, /sched_disable.
  void stop_scheduler(RunResult& result, uint32_t grace_ms = kSchedGraceMs);
  // Teardown, last part: every process but PID 1 killed and reaped (bounded), heartbeat off.
  void end_leftovers();

  EventLoop& loop() { return loop_; }
  Reaper& reaper() { return reaper_; }
  Scheduler& scheduler() { return sched_; }
  // The host's stdin for the main child (KTSTR_STDIN=1): read_end() is -1 (/dev/null) unless the
  // host was granted a window.
  StdinFeed& stdin_feed() { return stdin_; }
  const Config& config() const { return config_; }

 private:
  const Config& config_;
  Com2& com2_;
  EventLoop loop_;
  Reaper reaper_;
  Timer heartbeat_, timeout_;
  bool timed_out_ = false;
  Scheduler sched_;
  StdinFeed stdin_{loop_, [this](const std::string& ack) { com2_.send(wire::kSack, ack); }};
  HostControl control_;
  bool sched_died_ = false;
  bool stop_requested_ = false;
  std::function<void()> on_sched_death_;
};

}  // namespace ktstr::init
