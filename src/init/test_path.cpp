#include "test_path.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "crash.hpp"
#include "event_loop.hpp"
#include "exit_frame.hpp"
#include "host_control.hpp"
#include "ktstr/exit_codes.hpp"
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

// Teardown bounds (docs/architecture.md, test path: bounded at every step, no fixed sleeps).
constexpr uint32_t kPayloadTermGraceMs = 2000;  // TERM -> KILL for a timed-out/aborted payload
constexpr uint32_t kOrphanIdleMs = 200;          // output holders after the payload exited
constexpr uint64_t kDrainDeadlineMs = 5000;      // payload pipes to EOF
constexpr uint32_t kSchedGraceMs = 2000;         // SIGINT -> SIGKILL for the scheduler
constexpr uint32_t kSchedDumpGraceMs = 5000;     // ... while a dump is being written
constexpr uint64_t kDumpWaitMs = 3000;           // dump to reach COM1
constexpr uint64_t kTraceDrainMs = 2000;         // trace_pipe after tracing_on=0
constexpr uint64_t kReapLeftoversMs = 1000;
constexpr uint64_t kKmsgDrainMs = 5000;          // the kernel log's last records (a flood: ~250 KB/s)
constexpr uint64_t kKmsgExitWaitMs = 20;         // records to read before reporting a scheduler exit

uint64_t after_ms(uint64_t ms) { return boottime_ns() + ms * 1000000ull; }

void report_errors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) spdlog::warn("{}", e);
}

// One run of the test path. Owns the event loop and everything registered with it; each public
// step is one row of the test path table in docs/architecture.md, called in order by run_test_path().
class TestRun {
 public:
  TestRun(const Config& config, Com2& com2, int com1_fd)
      : config_(config), com2_(com2), kmsg_(loop_, com2), trace_(loop_, com2, com1_fd),
        sched_(loop_, reaper_, com2), payload_(loop_, reaper_, com2) {}
  ~TestRun() { com2_.detach(); }  // queued frames go out before DONE (sent after the run)

  bool set_up();           // loop, reaper, kernel log, heartbeat, sched_enable, tracing
  bool start_scheduler();  // true if there is none, or it is attached
  void run_payload();      // spawn, forward, watch the scheduler and the timeout
  void tear_down();        // reverse order, every step bounded
  const RunResult& result() const { return result_; }

 private:
  std::string kernel_exit_json();
  void finish_payload(bool sched_died);

  const Config& config_;
  Com2& com2_;
  RunResult result_;
  EventLoop loop_;
  Reaper reaper_;
  KmsgForwarder kmsg_;
  Timer heartbeat_;
  TraceForwarder trace_;
  Scheduler sched_;
  Payload payload_;
  HostControl control_;         // STOP from the host (its Ctrl-C): end the run gracefully
  bool stop_requested_ = false;
};

bool TestRun::set_up() {
  if (!loop_.open() || !reaper_.start(loop_)) {
    result_.reason = errno_message("event loop set-up", errno);
    com2_.send(wire::kFatl, "{\"error\":" + json_str(result_.reason) + "}");
    return false;
  }
  com2_.attach(loop_);  // from here on frames queue: the loop never blocks on the UART
  // The kernel log, from the first record of the boot, as KMSG frames: the host judges kernel
  // health from it. Best effort: without it the run goes on, and says so.
  if (std::string err; !kmsg_.start(err)) spdlog::warn("kernel log forwarding: {}", err);
  if (config_.heartbeat_ms) {
    heartbeat_.create(loop_, [this] { com2_.send(wire::kBeat, "{}"); });
    heartbeat_.arm_in_ms(config_.heartbeat_ms, config_.heartbeat_ms);
  }
  if (std::string err; !control_.start(loop_, "/dev/ttyS1", {nullptr, [this] {
        spdlog::warn("the host asked to stop (STOP): ending the run");
        stop_requested_ = true;
      }}, err))
    spdlog::debug("host control frames unavailable: {}", err);
  spdlog::debug("test path: event loop ready");
  // Scheduler set-up, then tracing: the dump of a scheduler that dies at once is still caught.
  report_errors(run_sysfs_script(initramfs::kSchedEnable));
  if (std::string err; !trace_.start(err)) spdlog::warn("trace_pipe forwarding: {}", err);
  else if (!err.empty()) spdlog::warn("{}", err);
  spdlog::debug("trace_pipe forwarding started");
  return true;
}

std::string TestRun::kernel_exit_json() {
  // The kernel logs the disable before the process exits: read what is pending. Only once
  // attached: before that, boot records may still queue and would delay SCHD died.
  if (sched_.state() == Scheduler::State::attached || sched_.state() == Scheduler::State::stopped)
    kmsg_.drain(after_ms(kKmsgExitWaitMs));
  const auto& e = kmsg_.last_sched_exit();
  return e ? sched_exit_json_text(*e) : std::string();
}

bool TestRun::start_scheduler() {
  if (::access(initramfs::kScheduler, F_OK) != 0) return true;
  sched_.kernel_exit_source([this] { return kernel_exit_json(); });
  enter_phase(com2_, "scheduler_spawned");
  if (!sched_.spawn() || !sched_.wait_attached(config_.attach_timeout_ms)) {
    result_.reason = sched_.state() == Scheduler::State::died ? "scheduler died before attaching"
                                                              : "scheduler did not attach";
    return false;
  }
  enter_phase(com2_, "scheduler_attached");
  result_.attached_ms = ns_to_ms(boottime_ns());
  ::setenv("SCHED_PID", std::to_string(sched_.pid()).c_str(), 1);
  return true;
}

void TestRun::run_payload() {
  std::vector<std::string> argv;
  std::string err;
  if (!Payload::read_argv(argv, err)) {
    com2_.send(wire::kFatl, "{\"error\":" + json_str(err) + "}");
    spdlog::error("{}", err);
    result_.reason = err;
    return;
  }
  if (!payload_.spawn(argv)) {
    result_.reason = "could not start the payload";
    return;
  }
  enter_phase(com2_, "payload_started");
  result_.payload_start_ms = ns_to_ms(payload_.start_ns());
  bool sched_died = false, timed_out = false;
  sched_.on_death([&] { sched_died = true; });
  Timer timeout;
  if (config_.timeout_s) {
    timeout.create(loop_, [&] { timed_out = true; });
    timeout.arm_in_ms(uint64_t(config_.timeout_s) * 1000);
  }
  loop_.run_until([&] { return payload_.exited() || sched_died || timed_out || stop_requested_; });
  if (!payload_.exited()) {
    if (sched_died) spdlog::error("scheduler died while the payload ran: stopping the payload");
    else if (timed_out) spdlog::error("payload timed out after {} s: stopping it", config_.timeout_s);
    payload_.terminate(kPayloadTermGraceMs, timed_out && !sched_died);
  }
  sched_.on_death(nullptr);
  finish_payload(sched_died);
}

// After the payload ended: all its output, then EXIT, then the run's exit code.
void TestRun::finish_payload(bool sched_died) {
  enter_phase(com2_, "payload_exited");
  result_.payload_exit_ms = ns_to_ms(payload_.exit_ns());
  payload_.drain(kOrphanIdleMs, after_ms(kDrainDeadlineMs));
  send_exit(com2_, payload_.status(), payload_.timed_out(), payload_.exit_code());
  if (sched_died) {
    result_.exit_code = exit_code::kInfrastructure;
    result_.reason = "scheduler died during the test";
  } else if (stop_requested_) {
    result_.exit_code = exit_code::kInterrupted;
    result_.reason = "stopped by the host (interrupted)";
  } else if (payload_.timed_out()) {
    result_.exit_code = exit_code::kTimedOut;
    result_.reason = "payload timed out after " + std::to_string(config_.timeout_s) + " s";
  } else {
    result_.exit_code = payload_.exit_code();
  }
}

void TestRun::tear_down() {
  enter_phase(com2_, "teardown");
  result_.teardown_ms = ns_to_ms(boottime_ns());
  sched_.stop(trace_.dump_in_progress() ? kSchedDumpGraceMs : kSchedGraceMs);
  sched_.drain_log(after_ms(1000));
  report_errors(run_sysfs_script(initramfs::kSchedDisable));
  if (trace_.dump_started()) trace_.wait_dump_complete(after_ms(kDumpWaitMs));
  trace_.stop(after_ms(kTraceDrainMs));
  kill_leftovers(loop_, reaper_, kReapLeftoversMs);
  uint64_t drain_start = boottime_ns();
  // Queued records, and what teardown made the kernel say. Bounded: a flood may not hold the
  // reboot forever, but what is left behind is said, never silently dropped.
  if (!kmsg_.drain(after_ms(kKmsgDrainMs)))
    spdlog::warn("kernel log: records still pending after {} ms were not forwarded (last seq sent: see KMSG)",
                 kKmsgDrainMs);
  heartbeat_.disarm();
  com2_.detach();  // write out every queued frame (blocking) before DONE
  result_.drain_queued_ms = ns_to_ms(boottime_ns() - drain_start);
  if (kmsg_.overruns()) spdlog::warn("kernel log ring overran {} times: see the gaps in KMSG seq", kmsg_.overruns());
}

}  // namespace

void enter_phase(Com2& com2, const char* name) {
  crash::set_phase(name);
  com2.send(wire::kPhas, std::string("{\"phase\":\"") + name + "\"}");
}

RunResult run_test_path(const Config& config, Com2& com2, int com1_fd) {
  TestRun run(config, com2, com1_fd);
  if (!run.set_up()) return run.result();
  if (run.start_scheduler()) run.run_payload();
  run.tear_down();
  return run.result();
}

}  // namespace ktstr::init
