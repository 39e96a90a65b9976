#include "test_path.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "crash.hpp"
#include "event_loop.hpp"
#include "exit_frame.hpp"
#include "ktstr/json_str.hpp"
#include "ktstr/initramfs.hpp"
#include "kmsg.hpp"
#include "leftovers.hpp"
#include "log.hpp"
#include "payload.hpp"
#include "reaper.hpp"
#include "sched_toggle.hpp"
#include "scheduler.hpp"
#include "trace.hpp"

namespace ktstr::init {
namespace {

// Teardown bounds (DESIGN.md §6.9: bounded at every step, no fixed sleeps).
constexpr uint32_t kPayloadTermGraceMs = 2000;  // TERM -> KILL for a timed-out/aborted payload
constexpr uint32_t kOrphanIdleMs = 200;          // output holders after the payload exited
constexpr uint64_t kDrainDeadlineMs = 5000;      // payload pipes to EOF
constexpr uint32_t kSchedGraceMs = 2000;         // SIGINT -> SIGKILL for the scheduler
constexpr uint32_t kSchedDumpGraceMs = 5000;     // ... while a dump is being written
constexpr uint64_t kDumpWaitMs = 3000;           // dump to reach COM1
constexpr uint64_t kTraceDrainMs = 2000;         // trace_pipe after tracing_on=0
constexpr uint64_t kReapLeftoversMs = 1000;
constexpr uint64_t kKmsgDrainMs = 500;           // the kernel log's last records
constexpr uint64_t kKmsgExitWaitMs = 20;         // records to read before reporting a scheduler exit

uint64_t after_ms(uint64_t ms) { return boottime_ns() + ms * 1000000ull; }

void report_errors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) spdlog::warn("{}", e);
}

}  // namespace

void enter_phase(Com2& com2, const char* name) {
  crash::set_phase(name);
  com2.send(wire::kPhas, std::string("{\"phase\":\"") + name + "\"}");
}

RunResult run_test_path(const Config& config, Com2& com2, int com1_fd) {
  RunResult result;
  EventLoop loop;
  Reaper reaper;
  if (!loop.open() || !reaper.start(loop)) {
    result.reason = errno_message("event loop set-up", errno);
    com2.send(wire::kFatl, "{\"error\":" + json_str(result.reason) + "}");
    return result;
  }
  // The kernel log, from the first record of the boot, as KMSG frames: the host judges kernel
  // health from it. Best effort: without it the run goes on, and says so.
  KmsgForwarder kmsg(loop, com2);
  if (std::string err; !kmsg.start(err)) spdlog::warn("kernel log forwarding: {}", err);
  Timer heartbeat;
  if (config.heartbeat_ms) {
    heartbeat.create(loop, [&] { com2.send(wire::kBeat, "{}"); });
    heartbeat.arm_in_ms(config.heartbeat_ms, config.heartbeat_ms);
  }

  // Scheduler set-up, then tracing: the dump of a scheduler that dies at once is still caught.
  spdlog::debug("test path: event loop ready");
  report_errors(run_sysfs_script(initramfs::kSchedEnable));
  TraceForwarder trace(loop, com2, com1_fd);
  if (std::string err; !trace.start(err)) spdlog::warn("trace_pipe forwarding: {}", err);
  else if (!err.empty()) spdlog::warn("{}", err);
  spdlog::debug("trace_pipe forwarding started");

  Scheduler sched(loop, reaper, com2);
  sched.kernel_exit_source([&] {
    // The kernel logs the disable before the process exits: read what is pending. Only once
    // attached: before that, boot records may still queue and would delay SCHD died.
    if (sched.state() == Scheduler::State::attached || sched.state() == Scheduler::State::stopped)
      kmsg.drain(after_ms(kKmsgExitWaitMs));
    const auto& e = kmsg.last_sched_exit();
    return e ? sched_exit_json_text(*e) : std::string();
  });
  bool have_sched = ::access(initramfs::kScheduler, F_OK) == 0;
  bool ok = true;
  if (have_sched) {
    enter_phase(com2, "scheduler_spawned");
    ok = sched.spawn() && sched.wait_attached(config.attach_timeout_ms);
    if (ok) {
      enter_phase(com2, "scheduler_attached");
      result.attached_ms = ns_to_ms(boottime_ns());
      ::setenv("SCHED_PID", std::to_string(sched.pid()).c_str(), 1);
    } else {
      result.reason = sched.state() == Scheduler::State::died ? "scheduler died before attaching"
                                                              : "scheduler did not attach";
    }
  }

  Payload payload(loop, reaper, com2);
  bool sched_died = false;
  if (ok) {
    std::vector<std::string> argv;
    std::string err;
    if (!Payload::read_argv(argv, err)) {
      com2.send(wire::kFatl, "{\"error\":" + json_str(err) + "}");
      spdlog::error("{}", err);
      result.reason = err;
      ok = false;
    } else if (payload.spawn(argv)) {
      enter_phase(com2, "payload_started");
      result.payload_start_ms = ns_to_ms(payload.start_ns());
      sched.on_death([&] { sched_died = true; });
      Timer timeout;
      bool timed_out = false;
      if (config.timeout_s) {
        timeout.create(loop, [&] { timed_out = true; });
        timeout.arm_in_ms(uint64_t(config.timeout_s) * 1000);
      }
      loop.run_until([&] { return payload.exited() || sched_died || timed_out; });
      if (!payload.exited()) {
        if (sched_died) spdlog::error("scheduler died while the payload ran: stopping the payload");
        else spdlog::error("payload timed out after {} s: stopping it", config.timeout_s);
        payload.terminate(kPayloadTermGraceMs, timed_out && !sched_died);
      }
      enter_phase(com2, "payload_exited");
      result.payload_exit_ms = ns_to_ms(payload.exit_ns());
      payload.drain(kOrphanIdleMs, after_ms(kDrainDeadlineMs));
      send_exit(com2, payload.status(), payload.timed_out(), payload.exit_code());
      if (sched_died) {
        result.exit_code = 125;
        result.reason = "scheduler died during the test";
      } else if (payload.timed_out()) {
        result.exit_code = 124;
        result.reason = "payload timed out after " + std::to_string(config.timeout_s) + " s";
      } else {
        result.exit_code = payload.exit_code();
      }
    } else {
      result.reason = "could not start the payload";
      ok = false;
    }
  }

  // Teardown (DESIGN.md §6.9): reverse order of set-up, each step bounded.
  enter_phase(com2, "teardown");
  result.teardown_ms = ns_to_ms(boottime_ns());
  sched.stop(trace.dump_in_progress() ? kSchedDumpGraceMs : kSchedGraceMs);
  sched.drain_log(after_ms(1000));
  report_errors(run_sysfs_script(initramfs::kSchedDisable));
  if (trace.dump_started()) trace.wait_dump_complete(after_ms(kDumpWaitMs));
  trace.stop(after_ms(kTraceDrainMs));
  kill_leftovers(loop, reaper, kReapLeftoversMs);
  kmsg.drain(after_ms(kKmsgDrainMs));  // what teardown made the kernel say, e.g. "disabled"
  if (kmsg.overruns()) spdlog::warn("kernel log ring overran {} times: see the gaps in KMSG seq", kmsg.overruns());
  heartbeat.disarm();
  return result;
}

}  // namespace ktstr::init
