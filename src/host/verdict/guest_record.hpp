// What one run learnt from its frames: fed frame by frame while COM2 streams in, then asked for
// the verdict, with what the host saw around the frames (HostFacts). Everything here comes from the guest and is treated as untrusted input: every field
// is read through guest_json's checked accessors, and no frame content can make it throw.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ktstr/exit_codes.hpp"
#include "hook_record.hpp"
#include "ktstr/frame_decoder.hpp"
#include "splat.hpp"
#include "sched_telemetry.hpp"

namespace ktstr::host {

struct Verdict {
  int exit_code = exit_code::kInfrastructure;
  std::string reason;  // empty when the payload's own status is reported
};

// What one VM session ended with: the verdict, and the report that --json writes (null when the
// session never started: a set-up error).
struct SessionResult {
  Verdict verdict;
  nlohmann::json report;
};

// What the host saw around the frames: everything the verdict needs besides them.
struct HostFacts {
  wire::DecodeStats stats;      // the decoder's counts
  std::string console_tail;     // COM1's last bytes (a panic line, the kernel's reboot words)
  bool watchdog_fired = false;
  std::string watchdog_reason;
  bool vm_killed = false;       // the user killed the VM (Ctrl-A X)
  int signal = 0;               // the first SIGINT/SIGTERM/SIGHUP ktstr-vm got; 0 = none
  std::string verifier_failure;  // why the verifier baseline fails the run (written or checked)
  std::string output_error;     // the first output file (--json, --com2-log, ...) not written
  // The data lane or the output tree failed a check ("data lane: ...", "output tree: ...";
  // src/host/vm/output_collector.hpp); judged when DONE arrived, as the COM2 checks are.
  std::string data_error;
};

class GuestRecord {
 public:
  struct Sinks {
    int out_fd = 1, err_fd = 2;
    int sched_log_fd = -1;  // SLOG bytes, raw
    bool verbose = false;   // ILOG/SLOG/control frames to stderr with a prefix
    int console_log_fd = -1;  // kernel records the quiet console did not print go here too
    const SplatClassifier* splat_rules = nullptr;  // kernel health rules; nullptr = built-in
    bool splats_warn_only = false;                 // --splats=warn: report splats, keep the status
  };
  explicit GuestRecord(Sinks sinks)
      : sinks_(sinks),
        t0_(std::chrono::steady_clock::now()),
        splats_(sinks.splat_rules ? *sinks.splat_rules : builtin_rules()) {}

  // QEMU has just started: host wall times in the report count from here.
  void mark_qemu_start() { t0_ = std::chrono::steady_clock::now(); }
  // QEMU exited on its own (not killed by ktstr-vm) with this waitpid status: a run without DONE
  // names it.
  void note_qemu_exit(int wait_status);
  void on_frame(const wire::Frame& f);
  // COM1 bytes: with --verbose shown on stderr as "con| " lines.
  void on_console(std::string_view bytes);
  // The verdict: every rule of docs/exit-codes.md, in its order, from the frames and what the
  // host saw around them. Pure: the same frames and facts give the same verdict.
  Verdict verdict(const HostFacts& host) const;

  const std::string& last_phase() const { return last_phase_; }
  bool helo_seen() const { return helo_seen_; }
  bool done_seen() const { return !done_.is_null(); }
  // The DONE frame's value (null before it): the data lane's account is checked against it.
  const nlohmann::json& done() const { return done_; }
  // The payload's EXIT said it dumped core.
  bool payload_dumped_core() const;
  // KMSG records and DUMP events so far (the report's kernel_log.records and dumps).
  uint64_t kernel_records() const { return kmsg_records_; }
  const nlohmann::json& dumps() const { return dumps_; }
  size_t dump_events() const { return dumps_.size(); }
  // Kernel records lost to ring overruns (gaps in their seq numbers).
  uint64_t kernel_records_dropped() const { return kmsg_dropped_; }
  // Notes for the one-line summary, each starting with " | " (e.g. dropped kernel records).
  std::string summary_notes() const;
  // A report of everything seen (for --json).
  nlohmann::json report() const;
  // The on-failure hook's output and end (HOOK/HEND frames).
  const HookRecord& hook() const { return hook_; }
  // The scheduler's BPF programs and sched_ext counters (PROG/STAT frames).
  const SchedTelemetry& telemetry() const { return telemetry_; }

 private:
  void control(const wire::Frame& f, const std::string& type);
  void sched_event(const nlohmann::json& v);
  void kernel_record(const nlohmann::json& rec);
  void on_done();
  bool fails_run(const Splat& s) const;
  Verdict done_verdict(const HostFacts& host) const;
  std::string no_done_reason(const HostFacts& host) const;
  void prefixed(const char* prefix, std::string_view bytes, std::string& partial);

  double host_ms() const;

  // The built-in rules, compiled once per process (regexes are costly), used when Sinks names none.
  static const SplatClassifier& builtin_rules();

  Sinks sinks_;
  std::chrono::steady_clock::time_point t0_;  // QEMU start: host wall times are relative to it
  nlohmann::json host_ms_ = nlohmann::json::object();  // first arrival of HELO, each phase, DONE
  bool helo_seen_ = false;
  std::string last_phase_ = "boot";
  nlohmann::json helo_, exit_, done_, crash_, fatal_, topology_;
  nlohmann::json phases_ = nlohmann::json::array();
  nlohmann::json sched_events_ = nlohmann::json::array();
  nlohmann::json dumps_ = nlohmann::json::array();
  std::map<std::string, uint64_t> stream_bytes_;
  uint64_t malformed_control_ = 0;
  uint64_t kmsg_records_ = 0, kmsg_dropped_ = 0, kmsg_next_seq_ = 0;  // kernel records; seq gaps
  bool kmsg_seen_ = false;
  SplatCollector splats_;
  std::string sched_ops_;        // ops name of the scheduler under test (SCHD attached)
  std::string sched_failure_;    // SCHD died / not_attached: its event name
  std::string sched_unstoppable_;  // why the scheduler under test did not stop when asked
  std::vector<std::string> oom_kills_;  // the kernel's "Out of memory: Killed process ..." lines
  std::string guest_reboot_;     // the kernel's "reboot: ..." line, if the guest rebooted
  std::string qemu_exit_;
  SchedTelemetry telemetry_;
  HookRecord hook_;
  std::string ilog_partial_, slog_partial_, console_partial_, hook_partial_;
  std::string stdout_tail_, stderr_tail_, slog_tail_;  // last bytes of each, for reports
};

}  // namespace ktstr::host
