// The scheduler's telemetry as the guest sent it (PROG and STAT frames, docs/protocol.md): its
// BPF programs with verifier and run figures, and sched_ext's event counters over time. Frames
// are untrusted: every field is read through a checked accessor, a bad one is counted and
// skipped, and the amount kept is bounded.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ktstr::host {

struct BpfProgram {
  uint64_t id = 0;
  std::string name, type;
  uint64_t verified_insns = 0, jited_len = 0, xlated_len = 0;
  bool held_by_scheduler = false;
  uint64_t run_cnt = 0, run_time_ns = 0;  // from the last sample that named it
  // The name programs are known by in reports and baselines: the kernel's name, with "#2", "#3"
  // added to a repeated one (in id order).
  std::string key;
};

struct TelemetrySample {
  double t_ms = 0;   // guest CLOCK_BOOTTIME of the frame
  std::string why;   // attach, periodic, final
  bool has_events = false;
  std::map<std::string, uint64_t> events;     // cumulative, as read
  std::map<std::string, uint64_t> sched_ext;  // nr_rejected, hotplug_seq, enable_seq
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> progs;  // id -> run_cnt, run_time_ns
};

class SchedTelemetry {
 public:
  // One PROG / STAT value, already parsed as a JSON object, with the frame's time in ms.
  void on_programs(const nlohmann::json& v, double t_ms);
  void on_sample(const nlohmann::json& v, double t_ms);

  bool seen() const { return programs_seen_ || !samples_.empty(); }
  const std::vector<BpfProgram>& programs() const { return programs_; }
  const std::vector<TelemetrySample>& samples() const { return samples_; }
  uint64_t total_verified_insns() const;

  // The report's `scheduler` section: programs, events (final values and per-sample deltas),
  // totals, and what was not available.
  nlohmann::json report() const;
  // Flat totals (JUnit properties): programs, verified_insns, run_cnt, run_time_ns, each
  // non-zero event counter, nr_rejected.
  std::vector<std::pair<std::string, uint64_t>> totals() const;
  // The -v end-of-run table: the top programs by run time, non-zero event counters, the total
  // verified instructions. "" when nothing was reported.
  std::string summary_table(size_t top = 8) const;

 private:
  std::vector<BpfProgram> programs_;
  std::vector<TelemetrySample> samples_;
  bool programs_seen_ = false;
  std::string run_stats_ = "not reported", events_note_;
  uint64_t malformed_ = 0, samples_dropped_ = 0;
};

}  // namespace ktstr::host
