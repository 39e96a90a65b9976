// The scheduler under test (docs/architecture.md): spawned from /scheduler with /sched_args, output
// into SLOG, attach detected from sysfs, death seen by the reaper at once.
// Life: none -> spawned -> attached -> stopped, or -> died / not_attached.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "com2.hpp"
#include "event_loop.hpp"
#include "pump.hpp"
#include "reaper.hpp"

namespace ktstr::init {

class Scheduler {
 public:
  enum class State { none, spawned, attached, not_attached, died, stopped };

  Scheduler(EventLoop& loop, Reaper& reaper, Com2& com2) : loop_(loop), reaper_(reaper), com2_(com2) {}

  // Spawns /scheduler; sends SCHD spawned, or SCHD died if it could not even be executed.
  // Returns false if it could not be started.
  [[nodiscard]] bool spawn();
  // Polls sysfs every 2 ms until attached (ops non-empty AND state "enabled"), death, or the
  // deadline. Sends SCHD attached / died / not_attached. Returns true if attached.
  [[nodiscard]] bool wait_attached(uint32_t timeout_ms);
  // Called once if the scheduler dies after it attached (the run must end at once).
  void on_death(std::function<void()> f) { on_death_ = std::move(f); }
  // Where SCHD died/stopped get the kernel's own exit reason: a JSON object text, or "" if the
  // kernel said nothing (yet).
  void kernel_exit_source(std::function<std::string()> f) { kernel_exit_ = std::move(f); }
  // SIGINT, a grace for its own exit report (longer while a dump is in progress), SIGKILL, reap.
  // Sends SCHD stopped (or nothing if it was already gone). Drains SLOG.
  void stop(uint32_t grace_ms);
  // Reads the scheduler's remaining output (after its exit, the pipe reaches EOF).
  void drain_log(uint64_t deadline_ns);

  // The initramfs holds a scheduler (/scheduler): the one answer to "is there a scheduler?".
  static bool packed();
  State state() const { return state_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && reaper_.alive(pid_); }
  const ExitStatus& status() const { return status_; }

 private:
  void handle_exit(const ExitStatus& s);
  void send_event(const std::string& event, const std::string& extra);
  void console_note_event(const std::string& event, const std::string& value);

  EventLoop& loop_;
  Reaper& reaper_;
  Com2& com2_;
  State state_ = State::none;
  pid_t pid_ = -1;
  uint64_t spawn_ns_ = 0;
  ExitStatus status_;
  std::string ops_;
  std::unique_ptr<Pump> log_;
  std::function<void()> on_death_;
  std::function<std::string()> kernel_exit_;
};

// sysfs paths of sched_ext.
inline constexpr const char* kScxState = "/sys/kernel/sched_ext/state";
inline constexpr const char* kScxRootOps = "/sys/kernel/sched_ext/root/ops";

}  // namespace ktstr::init
