#include "guest_core.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "ktstr/exit_codes.hpp"
#include "ktstr/initramfs.hpp"
#include "leftovers.hpp"
#include "sysfs_script.hpp"

namespace ktstr::init {
namespace {

void report_errors(const std::vector<ScriptError>& errors, const std::string& what) {
  for (const auto& e : errors) spdlog::warn("{}", describe(e, what));
}

}  // namespace

bool GuestCore::set_up(RunResult& result) {
  std::string error;
  if (!loop_.open(error) || !reaper_.start(loop_, error)) {
    fail_run(result, com2_, "event loop set-up: " + error);
    return false;
  }
  com2_.attach(loop_);
  if (config_.heartbeat_ms) {
    if (!heartbeat_.create(loop_, [this] { com2_.send(wire::kBeat, "{}"); }, error)) {
      fail_run(result, com2_, "heartbeat: " + error);
      return false;
    }
    heartbeat_.arm_in_ms(config_.heartbeat_ms, config_.heartbeat_ms);
  }
  spdlog::debug("event loop ready");
  if (config_.stdin_forward && !stdin_.open(error)) spdlog::warn("host stdin not forwarded: {}", error);
  // The set-up the run asked for, or no run: a scheduler measured on another set-up would pass
  // while testing something else. Every failed line is logged; the first is the reason.
  if (auto errors = run_sysfs_script(initramfs::kSchedEnable); !errors.empty()) {
    for (size_t i = 1; i < errors.size(); ++i) spdlog::error("{}", describe(errors[i], "--sched-enable"));
    std::string more = errors.size() > 1 ? " (and " + std::to_string(errors.size() - 1) + " more failed lines)" : "";
    fail_run(result, com2_, describe(errors[0], "--sched-enable") + more);
    return false;
  }
  return true;
}

void GuestCore::listen_to_host(HostControl::Handlers handlers) {
  if (!com2_.is_open()) return;  // already reported: nothing can come from the host either
  if (!handlers.on_stop)
    handlers.on_stop = [this] {
      spdlog::warn("the host asked to stop (STOP): ending the run");
      stop_requested_ = true;
    };
  bool feed = config_.stdin_forward && !stdin_.finished();
  if (feed) handlers.on_stdin = [this](std::string_view bytes) { stdin_.on_data(bytes); };
  if (std::string err; !control_.start(loop_, com2_, std::move(handlers), err))
    spdlog::warn("host control frames unavailable: {}", err);
  else if (feed)
    stdin_.grant();
}

bool GuestCore::start_scheduler(RunResult& result) {
  if (!Scheduler::packed()) return true;
  enter_phase(com2_, "scheduler_spawned");
  sched_.on_death([this] {
    sched_died_ = true;
    if (on_sched_death_) on_sched_death_();
  });
  if (!sched_.spawn() || !sched_.wait_attached(config_.attach_timeout_ms)) {
    result.reason = sched_.state() == Scheduler::State::died ? "scheduler died before attaching"
                                                             : "scheduler did not attach";
    return false;
  }
  enter_phase(com2_, "scheduler_attached");
  result.attached_ms = ns_to_ms(boottime_ns());
  ::setenv("SCHED_PID", std::to_string(sched_.pid()).c_str(), 1);
  return true;
}

bool GuestCore::arm_timeout(std::string& error) {
  if (!config_.timeout_s) return true;
  if (!timeout_.create(loop_, [this] { timed_out_ = true; }, error)) {
    error = "KTSTR_TIMEOUT: " + error;
    return false;
  }
  timeout_.arm_in_ms(uint64_t(config_.timeout_s) * 1000);
  return true;
}

Ending GuestCore::wait_for(const std::function<bool()>& exited) {
  loop_.run_until([&] { return exited() || sched_died_ || timed_out_ || stop_requested_; });
  timeout_.disarm();
  return Ending{sched_died_, timed_out_, stop_requested_};
}

void GuestCore::settle(RunResult& result, const Ending& ending, int child_exit_code, const std::string& what) const {
  if (ending.sched_died) {
    result.exit_code = exit_code::kInfrastructure;
    result.reason = "scheduler died while the " + what + " ran";
  } else if (ending.stopped) {
    result.exit_code = exit_code::kInterrupted;
    result.reason = "stopped by the host (interrupted)";
  } else if (ending.timed_out) {
    result.exit_code = exit_code::kTimedOut;
    result.reason = what + " timed out after " + std::to_string(config_.timeout_s) + " s";
  } else {
    result.exit_code = child_exit_code;
  }
}

void GuestCore::stop_scheduler(RunResult& result, uint32_t grace_ms) {
  enter_phase(com2_, "teardown");
  result.teardown_ms = ns_to_ms(boottime_ns());
  sched_.on_death(nullptr);
  sched_.stop(grace_ms);
  sched_.drain_log(after_ms(kSchedLogDrainMs));
  report_errors(run_sysfs_script(initramfs::kSchedDisable), "--sched-disable");
}

void GuestCore::end_leftovers() {
  kill_leftovers(loop_, reaper_, kReapLeftoversMs);
  heartbeat_.disarm();
}

}  // namespace ktstr::init
