// Issue 23, dumps before a hung VM is killed: the watchdog fires on a payload that sleeps, the
// host asks the guest for sched_ext's SysRq-D dump and the blocked tasks' SysRq-W, and both are
// in the console log before the VM is killed; the reason still names the hung phase.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;

TEST(VmHangDumps, WatchdogAsksForSysrqDumpsBeforeTheKill) {
  auto r = run_vm({"--scheduler", "scx_simple", "--watchdog", "20", "--", "sleep", "600"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  std::string reason = r.report.value("reason", "");
  EXPECT_NE(reason.find("watchdog: run exceeded 20 s; hung in payload_started"), std::string::npos) << reason;
  // sched_ext's dump, through trace_pipe on COM1: its reason is the key.
  EXPECT_NE(r.console.find("sched_ext_dump"), std::string::npos) << r.describe();
  EXPECT_NE(r.console.find("SysRq-D"), std::string::npos) << r.describe();
  // The blocked-task dump: its header at least (sleep is not in D state, the list may be empty).
  EXPECT_NE(r.console.find("Show Blocked State"), std::string::npos) << r.describe();
  // The kernel records the host adds to the console log fall between COM1's lines, never inside
  // one of the dump's (they arrive while trace_pipe's lines stream in), so the header's KMSG copy
  // is a whole line. (The console's own copy may not be: in the guest, the kernel's console and
  // init's trace forwarding share ttyS0, and printk may print after trace lines began.)
  std::istringstream lines(r.console);
  bool whole = false;
  for (std::string line; std::getline(lines, line);)
    whole = whole || (line.rfind('[', 0) == 0 && line.find("] sysrq: Show Blocked State") != std::string::npos);
  EXPECT_TRUE(whole) << r.describe();
  const auto& dumps = r.report["watchdog_dumps"];
  ASSERT_TRUE(dumps.is_object()) << r.report.dump();
  EXPECT_EQ(dumps["keys"], "Dw") << dumps.dump();
  ASSERT_FALSE(dumps["sched_ext_dump_events"].empty()) << dumps.dump();
  EXPECT_EQ(dumps["sched_ext_dump_events"][0]["event"], "started") << dumps.dump();
  EXPECT_GT(dumps["kernel_records_after"].get<uint64_t>(), 0u) << dumps.dump();
  EXPECT_NE(r.err.find("asking the guest for sched_ext's dump (SysRq-D)"), std::string::npos) << r.err;
}

// Exec mode listens to the host too: SysRq-W's header reaches the console (exec mode forwards
// neither trace_pipe nor the kernel log, so that header is all: docs/protocol.md).
TEST(VmHangDumps, ExecModeAnswersTheRequestToo) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-hang-exec");
  int rc = ktstr::vmtest::run_captured({KTSTR_VM_BIN, "shell", "--scheduler", "scx_simple", "--watchdog", "20",
                                        "--console-log", dir + "/console.log", "--exec", "sleep 600"},
                                       dir);
  std::string console = ktstr::vmtest::slurp(dir + "/console.log");
  std::string err = ktstr::vmtest::slurp(dir + "/err");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(rc, 125) << err;
  EXPECT_NE(err.find("watchdog: run exceeded 20 s; hung in payload_started"), std::string::npos) << err;
  EXPECT_NE(console.find("sysrq: Show Blocked State"), std::string::npos) << console;
  EXPECT_NE(console.find("sysrq: Trigger sched_ext debug dump"), std::string::npos) << console;
}
