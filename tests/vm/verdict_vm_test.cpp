// Verdicts only a real VM shows: a payload's own scheduler that error-exits (the
// kernel's sched_ext selftests do that on purpose), a guest `reboot -f`, an OOM kill, and a
// scheduler under test that ignores SIGINT.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "paths.hpp"
#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;
using ktstr::vmtest::temp_file;

namespace {

std::string cached_scheduler(const std::string& name) { return ktstr::host::cache_dir() + "/schedulers/" + name; }

}  // namespace

// Item 1: the payload loads scx_ktstr_test itself, which hits scx_bpf_error() 300 ms after
// attaching. The run passes; the JSON and the JUnit report list the exit.
TEST(VmVerdict, PayloadsOwnSchedulerErrorExitIsReportedNotAFailure) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-verdict");
  std::string junit = dir + "/junit.xml";
  auto r = run_vm({"--include", cached_scheduler("scx_ktstr_test"), "--junit", junit, "--", "sh", "-c",
                   "/include-files/scx_ktstr_test -e 300 >/dev/null 2>&1; echo selftest ran"});
  std::string xml = ktstr::vmtest::slurp(junit);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "selftest ran\n");
  ASSERT_GE(r.report["sched_ext_exits"].size(), 1u) << r.report.dump();
  const auto& e = r.report["sched_ext_exits"][0];
  EXPECT_EQ(e["ops"], "ktstr_test") << e.dump();
  EXPECT_EQ(e["error"], true) << e.dump();
  EXPECT_EQ(e["scheduler_under_test"], false) << e.dump();
  for (const auto& s : r.report["splats"]) EXPECT_EQ(s["fails_run"], false) << s.dump();
  EXPECT_NE(r.err.find("not the scheduler under test"), std::string::npos) << r.err;
  EXPECT_NE(xml.find("<property name=\"sched_ext_exit\" value=\"ktstr_test: "), std::string::npos) << xml;
}

// Item 17: a guest that reboots under init says so, not "stream truncated".
TEST(VmVerdict, GuestRebootIsNamed) {
  auto r = run_vm({"--", "sh", "-c", "echo before; reboot -f; sleep 10"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  std::string reason = r.report.value("reason", "");
  EXPECT_NE(reason.find("the guest rebooted in phase payload_started"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("stream truncated"), std::string::npos) << reason;
}

// Item 17: the kernel's OOM killer ends the payload; the reason says so and keeps its status.
TEST(VmVerdict, OomKillOfThePayloadIsNamed) {
  auto r = run_vm({"--memory", "256", "--", "sh", "-c", "head -c 1000m /dev/zero | tail > /dev/null"});
  EXPECT_EQ(r.exit_code, 137) << r.describe();
  std::string reason = r.report.value("reason", "");
  EXPECT_NE(reason.find("OOM killer"), std::string::npos) << reason;
  EXPECT_NE(reason.find("Killed process"), std::string::npos) << reason;
}

// Item 19: a scheduler under test that ignores SIGINT (here a shell wrapper, which leaves its
// scx_simple child attached when it is killed) fails the run: its teardown is broken.
TEST(VmVerdict, SchedulerThatWontStopFailsTheRun) {
  std::string sched = temp_file("stubborn_sched", "#!/bin/sh\ntrap '' INT\n/include-files/scx_simple &\nwait\n");
  auto r = run_vm({"--scheduler", sched, "--include", cached_scheduler("scx_simple"), "--", "true"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  // The reason names it, unless a kernel splat (which wins) came with it: under a loaded TCG host
  // the orphaned scx_simple's end can bring an RCU stall report. The report always says it.
  std::string reason = r.report.value("reason", "");
  if (reason.find("kernel splat") == std::string::npos)
    EXPECT_NE(reason.find("did not stop on SIGINT"), std::string::npos) << reason;
  std::string unstoppable = r.report["scheduler_under_test"].value("unstoppable", "");
  EXPECT_NE(unstoppable.find("did not stop on SIGINT"), std::string::npos) << r.report.dump();
  const auto* stopped = r.event("SCHD", "stopped");
  ASSERT_NE(stopped, nullptr) << r.describe();
  EXPECT_EQ(stopped->json["status"]["signal"], 9) << stopped->json.dump();
}
