// The test path of docs/architecture.md on the real kernel: statuses, lossless output, scheduler life
// and death, dumps, timeouts, orphans, init's own faults and bad inputs.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;
using ktstr::vmtest::temp_file;
using ktstr::vmtest::VmResult;

namespace {

// What the host's own `seq` prints: the guest's busybox seq must produce the same bytes.
std::string host_seq(const std::string& args) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("seq " + args).c_str(), "r"), pclose);
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p.get())) > 0;) out.append(buf, n);
  return out;
}

// The DONE frame's byte counts match what arrived, and the capture is clean.
void expect_lossless(const VmResult& r) {
  ASSERT_FALSE(r.frames.empty());
  const auto& done = r.frames.back();
  ASSERT_EQ(done.type, "DONE") << r.describe();
  EXPECT_TRUE(r.stats.clean()) << r.describe();
  for (const char* s : {"SOUT", "SERR", "SLOG"})
    EXPECT_EQ(done.json["bytes"].value(s, uint64_t(0)), r.stream(s).size()) << s;
  EXPECT_EQ(done.json["frames"], done.seq);
}

}  // namespace

// Exit codes 0, 1 and 42 pass through unchanged.
TEST(VmRunPath, ExitCodesPassThrough) {
  for (int code : {0, 1, 42}) {
    auto r = run_vm({"--", "sh", "-c", "exit " + std::to_string(code)});
    EXPECT_EQ(r.exit_code, code) << r.describe();
    ASSERT_EQ(r.of("EXIT").size(), 1u);
    EXPECT_EQ(r.of("EXIT")[0]->json["code"], code);
    expect_lossless(r);
  }
}

// A payload killed by a signal reports the signal, and the host exits 128+N.
TEST(VmRunPath, DeathBySignalIsReported) {
  auto r = run_vm({"--", "sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(r.exit_code, 128 + 11) << r.describe();
  auto exits = r.of("EXIT");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]->json["signal"], 11);
  EXPECT_EQ(exits[0]->json["exit_code"], 139);
  expect_lossless(r);
}

// Several MiB on stdout and stderr at once arrive byte-exact and apart.
TEST(VmRunPath, LargeOutputIsByteExactAndSeparate) {
  auto r = run_vm({"--", "sh", "-c", "seq 1 300000 >&2 & seq 1 400000; wait"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string out = host_seq("1 400000"), err = host_seq("1 300000");
  ASSERT_GT(out.size() + err.size(), 4u << 20);
  EXPECT_TRUE(r.out == out) << "stdout differs: " << r.out.size() << " vs " << out.size() << " bytes";
  EXPECT_TRUE(r.stream("SERR") == err) << "stderr differs";
  expect_lossless(r);
}

// A scheduler that dies at once: SCHD died with its real status, no payload, exit 125.
TEST(VmRunPath, SchedulerDiesAtStart) {
  std::string sched = temp_file("dying_sched", "#!/bin/sh\necho 'sched: giving up' >&2\nexit 3\n");
  auto r = run_vm({"--scheduler", sched, "--", "echo", "must not run"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  const auto* died = r.event("SCHD", "died");
  ASSERT_NE(died, nullptr) << r.describe();
  EXPECT_EQ(died->json["status"]["code"], 3);
  EXPECT_EQ(r.event("PHAS", "payload_started"), nullptr);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.stream("SLOG").find("sched: giving up"), std::string::npos);
  EXPECT_NE(r.err.find("scheduler died"), std::string::npos) << r.err;
  // Its last words are on stderr without -v: a dead scheduler's reason is never hidden.
  EXPECT_NE(r.err.find("sched| sched: giving up\n"), std::string::npos) << r.err;
  expect_lossless(r);
}

// J5: a --sched-enable line that fails fails the run (125) before the scheduler and the payload,
// naming the line; a good line before it was still written.
TEST(VmRunPath, FailingSchedEnableLineFailsTheRunBeforeThePayload) {
  std::string enable = temp_file("bad_enable.txt", "# set-up\necho 900000 > /proc/sys/kernel/sched_rt_runtime_us\n"
                                 "echo 1 > /sys/kernel/no_such_knob\n", 0644);
  auto r = run_vm({"--sched-enable", enable, "--scheduler", "scx_simple", "--", "echo", "must not run"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  std::string why = "--sched-enable line 3: `echo 1 > /sys/kernel/no_such_knob`: write /sys/kernel/no_such_knob: ";
  EXPECT_NE(r.report.value("reason", "").find(why), std::string::npos) << r.report.value("reason", "");
  EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  EXPECT_EQ(r.event("PHAS", "scheduler_spawned"), nullptr);
  EXPECT_EQ(r.event("PHAS", "payload_started"), nullptr);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.of("FATL").empty()) << r.describe();

  // The same file without its bad line: the run goes on and the good line took effect.
  enable = temp_file("good_enable.txt", "echo 900000 > /proc/sys/kernel/sched_rt_runtime_us\n", 0644);
  r = run_vm({"--sched-enable", enable, "--", "cat", "/proc/sys/kernel/sched_rt_runtime_us"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "900000\n");
}

// A scheduler that never attaches: not_attached (timeout) at the deadline, then it is stopped.
TEST(VmRunPath, SchedulerNeverAttaches) {
  std::string sched = temp_file("idle_sched", "#!/bin/sh\nexec sleep 1000\n");
  auto r = run_vm({"--scheduler", sched, "--attach-timeout-ms", "1500", "--", "echo", "must not run"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  const auto* na = r.event("SCHD", "not_attached");
  ASSERT_NE(na, nullptr) << r.describe();
  EXPECT_EQ(na->json["reason"], "timeout");
  EXPECT_GE(na->json["ms"].get<int>(), 1500);
  EXPECT_EQ(r.event("PHAS", "payload_started"), nullptr);
  expect_lossless(r);
}

// The scheduler hits scx_bpf_error() mid-test: the run fails at once, the dump reaches COM1 and
// DUMP frames bracket it.
TEST(VmRunPath, SchedulerErrorMidTestDumpsAndFails) {
  auto r = run_vm({"--scheduler", "scx_ktstr_test", "--sched-arg", "-e", "--sched-arg", "1500", "--", "sh", "-c",
                   "echo started; sleep 60; echo never"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_EQ(r.out, "started\n");
  const auto* died = r.event("SCHD", "died");
  ASSERT_NE(died, nullptr) << r.describe();
  EXPECT_NE(r.event("DUMP", "started"), nullptr) << r.describe();
  EXPECT_NE(r.event("DUMP", "complete"), nullptr) << r.describe();
  // The whole dump reached COM1 (~50 lines). Its text is not matched exactly: the kernel's own
  // console printk of the error can interleave mid-line with the forwarded trace text.
  size_t dump_lines = 0;
  for (size_t p = 0; (p = r.console.find("sched_ext_dump:", p)) != std::string::npos; ++p) ++dump_lines;
  EXPECT_GE(dump_lines, 20u) << r.console;
  // The scheduler's own exit report reaches SLOG. The fixture reports the elapsed time, which
  // the timer can overshoot by a few ms under TCG: match the number, not one exact value.
  const std::string slog = r.stream("SLOG");
  const std::string marker = "ktstr_test: injected error after ";
  const size_t at = slog.find(marker);
  ASSERT_NE(at, std::string::npos) << slog;
  EXPECT_GE(std::stoul(slog.substr(at + marker.size())), 1500u) << slog;
  // The payload was stopped, not waited for.
  ASSERT_EQ(r.of("EXIT").size(), 1u);
  EXPECT_EQ(r.of("EXIT")[0]->json["signal"], 15);
  expect_lossless(r);
}

// SysRq-D asks sched_ext for a debug dump while scx_simple runs: the dump reaches COM1 and the
// scheduler keeps running.
TEST(VmRunPath, SysrqDumpWhileSchedulerRuns) {
  auto r = run_vm({"--scheduler", "scx_simple", "--", "sh", "-c",
                   "echo D > /proc/sysrq-trigger; sleep 1; cat /sys/kernel/sched_ext/state"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "enabled\n");
  EXPECT_NE(r.event("DUMP", "started"), nullptr) << r.describe();
  EXPECT_NE(r.event("DUMP", "complete"), nullptr) << r.describe();
  EXPECT_NE(r.console.find("sched_ext_dump: "), std::string::npos);
  EXPECT_EQ(r.event("SCHD", "died"), nullptr);
  expect_lossless(r);
}

// A payload that ignores SIGTERM is killed after the grace; EXIT says timed_out; exit 124.
TEST(VmRunPath, TimeoutKillsPayloadIgnoringTerm) {
  auto r = run_vm({"--timeout", "2", "--", "sh", "-c", "trap '' TERM; echo waiting; sleep 1000"});
  EXPECT_EQ(r.exit_code, 124) << r.describe();
  EXPECT_EQ(r.out, "waiting\n");
  auto exits = r.of("EXIT");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]->json["timed_out"], true);
  EXPECT_EQ(exits[0]->json["signal"], 9);
  expect_lossless(r);
}

// Grandchildren left behind (one in its own session) are killed and reaped before reboot.
TEST(VmRunPath, OrphansAreKilledBeforeReboot) {
  auto r = run_vm({"--", "sh", "-c", "setsid sleep 1000 & (sleep 999 &); echo spawned"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "spawned\n");
  std::string ilog = r.stream("ILOG");
  EXPECT_NE(ilog.find("(sleep)"), std::string::npos) << ilog;
  EXPECT_EQ(ilog.find("still not reaped"), std::string::npos) << ilog;
  expect_lossless(r);
}

// The frame channel is out of the payload's reach: init unlinks /dev/ttyS1 once it holds the port,
// so bytes the payload writes there (a NUL would end a frame, the rest is garbage) never reach the
// stream. Before, the run failed with 125 (stream damaged) and the payload's output was lost.
TEST(VmRunPath, PayloadWritingToTheFrameChannelCannotCorruptIt) {
  auto r = run_vm({"--", "sh", "-c", "echo before; printf '\\000garbage\\377\\000' > /dev/ttyS1; echo after; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_EQ(r.out, "before\nafter\n");
  EXPECT_EQ(r.stats.corrupt, 0u) << r.describe();
  expect_lossless(r);
}

// A fault inside init itself: CRSH, a clean reboot, never "Attempted to kill init".
TEST(VmRunPath, InitFaultReportsCrashAndReboots) {
  for (std::string fault : {"segv", "abort"}) {
    auto r = run_vm({"--guest-key", "KTSTR_DEBUG_FAULT=" + fault, "--", "true"});
    EXPECT_EQ(r.exit_code, 125) << r.describe();
    auto crashes = r.of("CRSH");
    ASSERT_EQ(crashes.size(), 1u) << r.describe();
    EXPECT_EQ(crashes[0]->json["signal"], fault == "segv" ? 11 : 6);
    EXPECT_EQ(r.console.find("Attempted to kill init"), std::string::npos);
    EXPECT_NE(r.console.find("reboot: Restarting system"), std::string::npos) << r.console;
    EXPECT_NE(r.err.find("init crashed"), std::string::npos) << r.err;
  }
}

// An initramfs without its sentinel counts as truncated: FATL, then DONE with 125.
TEST(VmRunPath, TruncatedInitramfsIsFatal) {
  auto r = run_vm({"--omit-ok-sentinel", "--", "echo", "must not run"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  auto fatal = r.of("FATL");
  ASSERT_EQ(fatal.size(), 1u) << r.describe();
  EXPECT_NE(fatal[0]->json["error"].get<std::string>().find(".ktstr_init_ok"), std::string::npos);
  EXPECT_EQ(r.out, "");
  expect_lossless(r);
}

// Payload not found -> 127, not executable -> 126, as a shell would say. (A bare name or a path
// found nowhere is 127 on the host already, before boot; see host_programs_test.cpp. A script
// whose #! interpreter is relative, which the guest's cwd decides, is the one way left to reach
// init's ENOENT.)
TEST(VmRunPath, PayloadNotFoundOrNotExecutable) {
  auto r = run_vm({"--", temp_file("relative_interp.sh", "#!no-such-interpreter\n", 0755)});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  EXPECT_NE(r.stream("ILOG").find("No such file"), std::string::npos);
  std::string plain = temp_file("not_exec.txt", "data", 0644);
  r = run_vm({"--", plain});
  EXPECT_EQ(r.exit_code, 126) << r.describe();
}

// Garbage cmdline values are reported and replaced by defaults; the run goes on.
TEST(VmRunPath, GarbageCmdlineValuesWarnAndUseDefaults) {
  auto r = run_vm({"--guest-key", "KTSTR_HEARTBEAT_MS=soon", "--guest-key", "KTSTR_TOPO=1,x", "--", "echo", "ok"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "ok\n");
  std::string ilog = r.stream("ILOG");
  EXPECT_NE(ilog.find("KTSTR_HEARTBEAT_MS=soon"), std::string::npos) << ilog;
  EXPECT_NE(ilog.find("KTSTR_TOPO=1,x"), std::string::npos) << ilog;
}

// No /args in the initramfs: FATL names it, and the run fails without starting anything.
TEST(VmRunPath, MissingArgsIsFatal) {
  auto r = run_vm({"--omit-args", "--", "echo", "must not run"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  auto fatal = r.of("FATL");
  ASSERT_EQ(fatal.size(), 1u) << r.describe();
  EXPECT_NE(fatal[0]->json["error"].get<std::string>().find("/args"), std::string::npos);
  EXPECT_EQ(r.event("PHAS", "payload_started"), nullptr);
  EXPECT_EQ(r.out, "");
}

// Without COM2 init keeps going, says so on COM1 and puts the payload's output there; the host
// reports that no frame came (125), and the VM still ends on its own.
TEST(VmRunPath, MissingCom2IsReportedOnCom1) {
  auto r = run_vm({"--no-com2", "--", "sh", "-c", "echo output-without-com2"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.console.find("COM2 unavailable"), std::string::npos) << r.console;
  EXPECT_NE(r.console.find("output-without-com2"), std::string::npos) << r.console;
  EXPECT_NE(r.console.find("reboot: Restarting system"), std::string::npos) << r.console;
  EXPECT_NE(r.err.find("no HELO on COM2"), std::string::npos) << r.err;
}
