// Kernel health as part of the verdict: /dev/kmsg as KMSG frames, splats fail the run, and the
// scheduler's fate in the kernel's own words.
#include <gtest/gtest.h>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;
using ktstr::vmtest::VmResult;

namespace {

// Gaps in the KMSG records' own seq: records the kernel dropped before init could read them.
uint64_t kmsg_gaps(const VmResult& r, uint64_t& records) {
  uint64_t gaps = 0, next = 0;
  records = 0;
  for (const auto* f : r.of("KMSG")) {
    uint64_t seq = f->json["seq"].get<uint64_t>();
    if (records && seq > next) gaps += seq - next;
    next = seq + 1;
    ++records;
  }
  return gaps;
}

}  // namespace

// A clean scx_simple run: no splat, the kernel log from record 0 with no gap, and the scheduler's
// stop in the kernel's words. Cold, so the capture holds the boot's records (a warm run's
// capture starts with its own: the boot's come from the snapshot, below).
TEST(VmKernelHealth, CleanRunHasNoSplatsAndNoGaps) {
  auto r = run_vm({"--cold", "--scheduler", "scx_simple", "--", "true"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.report["splats"].empty()) << r.report["splats"].dump();
  uint64_t records;
  EXPECT_EQ(kmsg_gaps(r, records), 0u);
  EXPECT_GT(records, 100u);
  EXPECT_EQ(r.of("KMSG").front()->json["seq"], 0) << "the boot's first record";
  EXPECT_EQ(r.report["kernel_log"]["dropped"], 0);
  const auto* stopped = r.event("SCHD", "stopped");
  ASSERT_NE(stopped, nullptr) << r.describe();
  EXPECT_EQ(stopped->json["kernel_exit"]["reason"], "unregistered from user space") << stopped->json.dump();
  EXPECT_EQ(stopped->json["kernel_exit"]["error"], false);
}

// The fixture stops dispatching a task: the kernel's watchdog disables it within seconds
// (ops.timeout_ms = 2 s); the run fails naming the stall, the dump is on COM1, and SCHD died
// carries the kernel's exit kind and message.
TEST(VmKernelHealth, StallFailsTheRunWithTheKernelsReason) {
  auto r = run_vm({"--scheduler", "scx_ktstr_test", "--sched-arg", "-s", "--sched-arg", "500", "--sched-arg", "-t",
                   "--sched-arg", "2000", "--", "sh", "-c",
                   "sh -c 'printf ktstr_stall > /proc/self/comm; while :; do :; done' & sleep 60"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.report.value("reason", "").find("runnable task stall"), std::string::npos) << r.report["reason"];
  const auto* died = r.event("SCHD", "died");
  ASSERT_NE(died, nullptr) << r.describe();
  EXPECT_EQ(died->json["kernel_exit"]["kind"], "watchdog stall") << died->json.dump();
  EXPECT_NE(died->json["kernel_exit"]["message"].get<std::string>().find("ktstr_stall"), std::string::npos);
  ASSERT_EQ(r.report["splats"].size(), 1u) << r.report["splats"].dump();
  EXPECT_EQ(r.report["splats"][0]["rule"], "sched_ext stall");
  EXPECT_NE(r.event("DUMP", "complete"), nullptr);
  EXPECT_NE(r.console.find("sched_ext_dump:"), std::string::npos);
  // The short watchdog timeout makes the kernel print an advisory: allowed, not a second splat.
  bool advisory = false;
  for (const auto* f : r.of("KMSG"))
    advisory |= f->json["msg"].get<std::string>().find("rescue overload threshold") != std::string::npos;
  EXPECT_TRUE(advisory);
}

// A warm run judges the same kernel log as a cold one: the boot's records (sent once, before the
// snapshot, and kept with it) count, the run's own follow them without a gap, and none is lost.
TEST(VmKernelHealth, AWarmRunJudgesTheBootsKernelLogToo) {
  auto cold = run_vm({"--cold", "--scheduler", "scx_simple", "--", "true"});
  auto warm = run_vm({"--scheduler", "scx_simple", "--", "true"});
  ASSERT_EQ(cold.exit_code, 0) << cold.describe();
  ASSERT_EQ(warm.exit_code, 0) << warm.describe();
  ASSERT_NE(warm.report["start"]["kind"], "cold") << warm.report["start"];
  uint64_t cold_records = cold.report["kernel_log"]["records"], warm_records = warm.report["kernel_log"]["records"];
  EXPECT_GT(warm_records, 100u);
  // The same boot, give or take the few records a restore or a run logs on its own.
  EXPECT_LT(std::max(cold_records, warm_records) - std::min(cold_records, warm_records), 20u)
      << cold_records << " cold, " << warm_records << " warm";
  EXPECT_EQ(warm.report["kernel_log"]["dropped"], 0);
  EXPECT_TRUE(warm.report["splats"].empty()) << warm.report["splats"].dump();
  uint64_t in_capture;
  EXPECT_EQ(kmsg_gaps(warm, in_capture), 0u);
  ASSERT_FALSE(warm.of("KMSG").empty());
  EXPECT_GT(warm.of("KMSG").front()->json["seq"].get<uint64_t>(), 100u) << "the capture starts after the boot's records";
}

// A payload floods the kernel log: every record arrives, or the gap is reported (never silent).
TEST(VmKernelHealth, KernelLogFloodLosesNothingSilently) {
  auto r = run_vm({"--", "sh", "-c", "for i in $(seq 1 40); do echo m > /proc/sysrq-trigger; done; echo flooded"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "flooded\n");
  uint64_t records;
  uint64_t gaps = kmsg_gaps(r, records);
  EXPECT_GT(r.report["kernel_log"]["records"].get<uint64_t>(), 1000u);  // the boot's too (a warm run's from its snapshot)
  EXPECT_EQ(r.report["kernel_log"]["dropped"].get<uint64_t>(), gaps);
  if (gaps) {
    EXPECT_NE(r.stream("ILOG").find("overran"), std::string::npos) << "a drop must be reported";
    // One line with the count on stderr, not one per overrun.
    std::string line = "ktstr-vm: warning: " + std::to_string(gaps) + " kernel log records dropped";
    EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("overran"), r.err.rfind("overran")) << r.err;
  }
  EXPECT_TRUE(r.report["splats"].empty());
}

// Lines written to /dev/kmsg from user space carry the user facility: never a splat.
TEST(VmKernelHealth, UserspaceKmsgLinesAreNotSplats) {
  auto r = run_vm({"--", "sh", "-c", "echo 'WARNING: written by a test' > /dev/kmsg; echo 'BUG: too' > /dev/kmsg"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.report["splats"].empty()) << r.report["splats"].dump();
}

// A user deny pattern fails a run; --splats=warn reports it and keeps the payload's status.
TEST(VmKernelHealth, UserDenyPatternAndWarnMode) {
  auto r = run_vm({"--deny", "^ktstr-init: clock reference", "--", "true"});
  EXPECT_EQ(r.exit_code, 0) << "init writes that line from user space: facility 1, not counted";
  r = run_vm({"--deny", "^Linux version ", "--", "true"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.report.value("reason", "").find("kernel splat: Linux version"), std::string::npos);
  r = run_vm({"--deny", "^Linux version ", "--splats", "warn", "--", "true"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.report["splats"].size(), 1u);
  EXPECT_NE(r.err.find("kernel splat"), std::string::npos);
}
