// Scheduler telemetry end to end: scx_simple's BPF programs with verifier and run figures and
// sched_ext's event counters reach the JSON report, and the verifier baseline guards CI.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "vm_harness.hpp"

using ktstr::vmtest::make_temp_dir;
using ktstr::vmtest::run_vm;
using ktstr::vmtest::slurp;
using nlohmann::json;

namespace {

// A short workload: a few thousand forks and wake-ups for the scheduler's callbacks.
const std::vector<std::string> kWorkload = {"--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do (i=0; while [ $i -lt 300 ]; do i=$((i+1)); done) & done; wait; sleep 0.3"};

std::vector<std::string> with(std::vector<std::string> args) {
  args.insert(args.end(), kWorkload.begin(), kWorkload.end());
  return args;
}

}  // namespace

TEST(VmTelemetry, ProgramsEventsAndVerifierBaseline) {
  std::string dir = make_temp_dir("ktstr-telemetry");
  std::string base = dir + "/baseline.json";
  auto r = run_vm(with({"--scheduler", "scx_simple", "--stats-ms", "200", "--write-verifier-baseline", base}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const json& s = r.report["scheduler"];
  ASSERT_TRUE(s.is_object()) << r.report.dump(1);
  EXPECT_EQ(s["run_stats"], "on");
  // simple_enqueue and its siblings: every struct_ops callback scx_simple defines.
  std::map<std::string, json> progs;
  for (const auto& p : s["programs"]) progs[p["name"].get<std::string>()] = p;
  for (const char* name : {"simple_select_cpu", "simple_enqueue", "simple_dispatch", "simple_running",
                           "simple_stopping", "simple_enable", "simple_init", "simple_exit"}) {
    ASSERT_TRUE(progs.count(name)) << name << " missing: " << s["programs"].dump();
    EXPECT_EQ(progs[name]["type"], "struct_ops") << name;
    EXPECT_GT(progs[name]["verified_insns"].get<uint64_t>(), 0u) << name;
  }
  for (const char* name : {"simple_enqueue", "simple_running", "simple_stopping", "simple_init"}) {
    EXPECT_GT(progs[name]["run_cnt"].get<uint64_t>(), 0u) << name;
    EXPECT_GT(progs[name]["run_time_ns"].get<uint64_t>(), 0u) << name;
    EXPECT_GT(progs[name]["avg_ns"].get<double>(), 0.0) << name;
  }
  // Every SCX_EV_* counter with its value, and the samples with deltas: attach .. final.
  ASSERT_EQ(s["events"]["available"], true) << s["events"].dump();
  const json& fin = s["events"]["final"];
  EXPECT_GE(fin.size(), 10u) << fin.dump();
  for (const char* ev : {"SCX_EV_SELECT_CPU_FALLBACK", "SCX_EV_DISPATCH_KEEP_LAST", "SCX_EV_BYPASS_DURATION"})
    ASSERT_TRUE(fin.contains(ev) && fin[ev].is_number_unsigned()) << ev << ": " << fin.dump();
  const json& samples = s["events"]["samples"];
  ASSERT_GE(samples.size(), 3u) << samples.dump();
  EXPECT_EQ(samples.front()["why"], "attach");
  EXPECT_EQ(samples.back()["why"], "final");
  EXPECT_TRUE(s["sched_ext"].contains("enable_seq")) << s["sched_ext"].dump();
  // On the wire: one PROG, then STATs; the final one before the scheduler was told to stop.
  ASSERT_EQ(r.of("PROG").size(), 1u);
  const auto* stopped = r.event("SCHD", "stopped");
  ASSERT_NE(stopped, nullptr);
  EXPECT_LT(r.of("STAT").back()->seq, stopped->seq);
  EXPECT_TRUE(r.stats.clean()) << r.describe();

  // The guard: its own baseline passes; one program lowered by hand past the 10 % slack fails
  // the run with 125, naming the program and both numbers.
  json b = json::parse(slurp(base));
  uint64_t enq = b["programs"]["simple_enqueue"].get<uint64_t>();
  ASSERT_GT(enq, 0u);
  auto same = run_vm({"--scheduler", "scx_simple", "--verifier-baseline", base, "--", "true"});
  EXPECT_EQ(same.exit_code, 0) << same.describe();
  uint64_t lowered = enq * 100 / 115;
  b["programs"]["simple_enqueue"] = lowered;
  std::ofstream(base) << b.dump();
  auto low = run_vm({"--scheduler", "scx_simple", "--verifier-baseline", base, "--", "true"});
  EXPECT_EQ(low.exit_code, 125) << low.describe();
  std::string want = "simple_enqueue verified " + std::to_string(enq) + " insns, baseline " + std::to_string(lowered);
  EXPECT_NE(low.err.find(want), std::string::npos) << low.err;
  EXPECT_NE(low.report["reason"].get<std::string>().find(want), std::string::npos) << low.report["reason"];
  std::filesystem::remove_all(dir);
}

// Without telemetry: no frames, no section, the run is otherwise the same.
TEST(VmTelemetry, OffLeavesNoTrace) {
  auto r = run_vm({"--scheduler", "scx_simple", "--no-telemetry", "--", "cat", "/proc/sys/kernel/bpf_stats_enabled"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "0\n");
  EXPECT_TRUE(r.of("PROG").empty());
  EXPECT_TRUE(r.of("STAT").empty());
  EXPECT_FALSE(r.report.contains("scheduler"));
}
