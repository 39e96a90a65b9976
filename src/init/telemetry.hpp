// Scheduler telemetry (docs/protocol.md, PROG and STAT): what the kernel itself counts about
// the scheduler under test, sampled by init with raw bpf() calls and sysfs reads, no threads.
//   - start(): kernel.bpf_stats_enabled=1 for the run (old value restored by finish()), so the
//     programs' run_cnt/run_time_ns count from the scheduler's first callback;
//   - attached(): the scheduler's programs (struct_ops ones and any it holds an fd of) in one
//     PROG frame, then a first STAT sample;
//   - a STAT sample every period (KTSTR_STATS_MS, default the heartbeat's): sched_ext's event
//     counters, nr_rejected/hotplug_seq/enable_seq, each program's run_cnt/run_time_ns;
//   - finish(): one last sample before the scheduler is stopped, then the old stats setting.
// Anything the kernel lacks is reported as "not available: why" in the frames, never an error.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bpf_prog.hpp"
#include "com2.hpp"
#include "event_loop.hpp"

namespace ktstr::init {

class Telemetry {
 public:
  Telemetry(EventLoop& loop, Com2& com2) : loop_(loop), com2_(com2) {}
  ~Telemetry() { restore_stats(); }

  void start();
  // The scheduler (pid) is attached: inventory, first sample, periodic samples every period_ms
  // (0: none between the first and the last).
  void attached(pid_t sched_pid, uint32_t period_ms);
  // The last sample (if attached() ran) and bpf_stats_enabled back to what it was. Idempotent.
  void finish();

 private:
  struct Prog {
    UniqueFd fd;  // held so the counters stay readable even if the scheduler dies
    bpf::ProgInfo info;
    bool held = false;  // the scheduler holds an fd of it (not only found by type)
  };
  void name_programs();
  void send_programs();
  void restore_stats();
  void sample(const char* why);

  EventLoop& loop_;
  Com2& com2_;
  Timer timer_;
  std::vector<Prog> progs_;
  std::string stats_note_;     // "" = bpf stats on; else why run_cnt/run_time_ns stay 0
  std::string saved_stats_;    // bpf_stats_enabled before start(); "" = nothing to restore
  uint32_t samples_ = 0;
  bool started_ = false, sampling_ = false;
};

// sched_ext's root/events text ("NAME value" lines) as a JSON object's members; lines that are
// not a name and a number are skipped.
std::string events_json_members(const std::string& text);

}  // namespace ktstr::init
