#include "run_path.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "exit_frame.hpp"
#include "failure_hook.hpp"
#include "guest_core.hpp"
#include "kmsg.hpp"
#include "output_send.hpp"
#include "payload.hpp"
#include "telemetry.hpp"
#include "trace.hpp"

namespace ktstr::init {
namespace {

// Teardown bounds of this path (the shared ones are in guest_core.hpp).
constexpr uint32_t kOrphanIdleMs = 200;          // output holders after the payload exited
constexpr uint64_t kDrainDeadlineMs = 5000;      // payload pipes to EOF
constexpr uint32_t kSchedDumpGraceMs = 5000;     // SIGINT -> SIGKILL while a dump is being written
constexpr uint64_t kDumpWaitMs = 3000;           // dump to reach COM1
constexpr uint64_t kTraceDrainMs = 2000;         // trace_pipe after tracing_on=0
constexpr uint64_t kKmsgDrainMs = 5000;          // the kernel log's last records (a flood: ~250 KB/s)
constexpr uint64_t kKmsgExitWaitMs = 20;         // records to read before reporting a scheduler exit

// One run of the test path. Each public step is a row of the test path table in
// docs/architecture.md, called in order by run_payload_path(); the core owns the loop and
// everything the shell path shares.
class PayloadRun {
 public:
  PayloadRun(const Config& config, Com2& com2, int com1_fd)
      : core_(config, com2), com2_(com2), kmsg_(core_.loop(), com2), trace_(core_.loop(), com2, com1_fd),
        payload_(core_.loop(), core_.reaper(), com2), telemetry_(core_.loop(), com2) {}

  bool set_up();           // the core, kernel log, host control, tracing
  bool start_scheduler();  // true if there is none, or it is attached
  void run_payload();      // spawn, forward, watch the scheduler, the timeout and STOP; the hook if it failed
  void tear_down();        // reverse order, every step bounded
  const RunResult& result() const { return result_; }

 private:
  std::string kernel_exit_json();

  GuestCore core_;
  Com2& com2_;
  RunResult result_;
  KmsgForwarder kmsg_;
  TraceForwarder trace_;
  Payload payload_;
  Telemetry telemetry_;
};

bool PayloadRun::set_up() {
  if (!core_.set_up(result_)) return false;
  // The kernel log, from the first record of the boot, as KMSG frames: the host judges kernel
  // health from it. Best effort: without it the run goes on, and says so.
  if (std::string err; !kmsg_.start(err)) spdlog::warn("kernel log forwarding: {}", err);
  core_.listen_to_host({});
  // Tracing after /sched_enable and before the scheduler: the dump of one that dies at once is
  // still caught.
  if (std::string err; !trace_.start(err)) spdlog::warn("trace_pipe forwarding: {}", err);
  else spdlog::debug("trace_pipe forwarding started");
  return true;
}

std::string PayloadRun::kernel_exit_json() {
  // The kernel logs the disable before the process exits: read what is pending. Only once
  // attached: before that, boot records may still queue and would delay SCHD died.
  Scheduler::State s = core_.scheduler().state();
  if (s == Scheduler::State::attached || s == Scheduler::State::stopped) kmsg_.drain(after_ms(kKmsgExitWaitMs));
  const auto& e = kmsg_.last_sched_exit();
  return e ? sched_exit_json_text(*e) : std::string();
}

bool PayloadRun::start_scheduler() {
  core_.scheduler().kernel_exit_source([this] { return kernel_exit_json(); });
  const Config& c = core_.config();
  bool telemetry = c.telemetry && Scheduler::packed();
  if (telemetry) telemetry_.start();  // before the spawn: run stats count from the first callback
  if (!core_.start_scheduler(result_)) return false;
  if (telemetry && core_.scheduler().state() == Scheduler::State::attached)
    telemetry_.attached(core_.scheduler().pid(), c.stats_ms < 0 ? c.heartbeat_ms : uint32_t(c.stats_ms));
  return true;
}

void PayloadRun::run_payload() {
  std::vector<std::string> argv;
  std::string err;
  if (!Payload::read_argv(argv, err) || !core_.arm_timeout(err)) return fail_run(result_, com2_, err);
  bool started = payload_.spawn(argv, core_.stdin_feed().read_end());
  core_.stdin_feed().child_started();  // the payload holds its stdin now (or nobody does)
  if (!started) {
    result_.reason = "could not start the payload";
    return;
  }
  enter_phase(com2_, "payload_started");
  result_.payload_start_ms = ns_to_ms(payload_.start_ns());
  Ending ending = core_.wait_for([&] { return payload_.exited(); });
  if (!payload_.exited()) {
    if (ending.sched_died) spdlog::error("scheduler died while the payload ran: stopping the payload");
    else if (ending.timed_out) spdlog::error("payload timed out after {} s: stopping it", core_.config().timeout_s);
    payload_.terminate(kTermGraceMs);
  }
  // After the payload ended: all its output, then EXIT, then the run's exit code.
  enter_phase(com2_, "payload_exited");
  result_.payload_exit_ms = ns_to_ms(payload_.exit_ns());
  payload_.drain(kOrphanIdleMs, after_ms(kDrainDeadlineMs));
  send_exit(com2_, payload_.status(), ending.exit_timed_out(), payload_.exit_code());
  core_.settle(result_, ending, payload_.exit_code(), "payload");
  const Config& c = core_.config();
  if (payload_failed(ending.timed_out, ending.stopped, payload_.exit_code(), c.expect_exit))
    run_failure_hook(core_.loop(), core_.reaper(), com2_, c.on_failure_timeout_s, [this] { return core_.stop_requested(); });
}

void PayloadRun::tear_down() {
  telemetry_.finish();  // the last sample covers the whole run, before the scheduler goes
  core_.stop_scheduler(result_, trace_.dump_in_progress() ? kSchedDumpGraceMs : kSchedGraceMs);
  if (trace_.dump_started()) trace_.wait_dump_complete(after_ms(kDumpWaitMs));
  trace_.stop(after_ms(kTraceDrainMs));
  core_.end_leftovers();
  send_output_tree(core_.config(), com2_, result_);  // after every writer ended, before DONE
  uint64_t drain_start = boottime_ns();
  // Queued records, and what teardown made the kernel say. Bounded: a flood may not hold the
  // reboot forever, but what is left behind is said, never silently dropped.
  if (!kmsg_.drain(after_ms(kKmsgDrainMs)))
    spdlog::warn("kernel log: records still pending after {} ms were not forwarded (last seq sent: see KMSG)",
                 kKmsgDrainMs);
  com2_.detach();  // write out every queued frame (blocking) before DONE
  result_.drain_queued_ms = ns_to_ms(boottime_ns() - drain_start);
  if (kmsg_.overruns()) spdlog::info("kernel log ring overran {} times: see the gaps in KMSG seq", kmsg_.overruns());
}

}  // namespace

RunResult run_payload_path(const Config& config, Com2& com2, int com1_fd) {
  PayloadRun run(config, com2, com1_fd);
  if (!run.set_up()) return run.result();
  if (run.start_scheduler()) run.run_payload();
  run.tear_down();
  return run.result();
}

}  // namespace ktstr::init
