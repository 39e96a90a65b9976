// ktstr-vm run as a CI tool: live output, the watchdog, crash vs hang, reports, parallel runs.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;

// A payload printing a line every second: each line reaches the host's stdout while the payload
// still runs, and the guest forwards each line when it is written, not in one burst at the end.
// Host side, by order alone: the payload then waits for the host, and the test stops it (Ctrl-C,
// 130) only after reading all four lines; buffered output would arrive only once the payload ended
// on its own (exit 0). Guest side, by the guest's own clock: the lines' SOUT frames carry the
// guest's send times, which spread over the 3 s the payload slept between them.
TEST(VmRunner, OutputIsLive) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-live");
  int out;
  pid_t pid = ktstr::vmtest::spawn_vm_with_stdout_pipe(
      {"run", "--com2-log", dir + "/com2.bin", "--", "sh", "-c",
       "for i in 1 2 3 4; do echo line$i; sleep 1; done; sleep 100"},
      out);
  std::vector<std::string> lines;
  std::string buf;
  char c[256];
  for (ssize_t n; lines.size() < 4 && (n = read(out, c, sizeof c)) > 0;) {
    buf.append(c, size_t(n));
    for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1))
      lines.push_back(buf.substr(0, nl));
  }
  kill(pid, SIGINT);
  int status;
  waitpid(pid, &status, 0);
  close(out);
  EXPECT_EQ(lines, (std::vector<std::string>{"line1", "line2", "line3", "line4"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130) << "the run was not still going when the fourth line arrived";

  std::string cap = ktstr::vmtest::slurp(dir + "/com2.bin");
  std::filesystem::remove_all(dir);
  std::vector<uint64_t> sent_ns;  // guest time of the SOUT frame carrying each line
  std::string sout;
  ktstr::wire::FrameDecoder dec([&](const ktstr::wire::Frame& f) {
    if (f.type != ktstr::wire::kSout) return;
    sout.append(reinterpret_cast<const char*>(f.value.data()), f.value.size());
    for (size_t i = sent_ns.size(); i < 4 && sout.find("line" + std::to_string(i + 1)) != std::string::npos; ++i)
      sent_ns.push_back(f.t_ns);
  });
  dec.feed(std::span(reinterpret_cast<const uint8_t*>(cap.data()), cap.size()));
  dec.finish();
  ASSERT_EQ(sent_ns.size(), 4u) << sout;
  for (size_t i = 1; i < 4; ++i) EXPECT_GT(sent_ns[i], sent_ns[i - 1]) << "line " << i + 1;
  // line4 was written 3 s of guest time after line1: at least 2 s apart unless init held line1
  // back for a whole second.
  EXPECT_GE(sent_ns[3] - sent_ns[0], 2'000'000'000u);
}

// A payload that hangs silently (heartbeats keep coming) is stopped by the host's hard deadline:
// exit 125 and the phase is named.
TEST(VmRunner, WatchdogStopsAHangAndNamesThePhase) {
  // 45 s: enough to boot even with several VMs sharing two cores.
  auto r = run_vm({"--watchdog", "45", "--", "sleep", "1000"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("watchdog: run exceeded 45 s; hung in payload_started"), std::string::npos) << r.err;
  EXPECT_EQ(r.report.value("reason", ""), "watchdog: run exceeded 45 s; hung in payload_started");
}

// N63: the boot deadline is --boot-timeout's (here far too short for any boot); its reason says
// the boot was still running, on how many vCPUs under which accelerator, and how to allow more.
TEST(VmRunner, BootTimeoutNamesTheVcpusAndHowToAllowMore) {
  auto r = run_vm({"--boot-timeout", "1", "--smp", "3", "--accel", "tcg", "--", "true"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  std::string why = "watchdog: boot still running after 1 s, no frame from the guest yet (3 vCPUs under TCG); "
                    "--boot-timeout SECONDS allows a longer boot";
  EXPECT_EQ(r.report.value("reason", ""), why);
  EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
}

// A kernel panic is reported as a crash with the panic line, not as a hang.
TEST(VmRunner, KernelPanicIsACrashNotAHang) {
  auto r = run_vm({"--", "sh", "-c", "echo c > /proc/sysrq-trigger"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("kernel panic: Kernel panic"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("watchdog"), std::string::npos) << r.err;
}

// The JSON report carries status, phases with guest and host times, scheduler events and counts;
// --junit writes a testcase with a failure for a failing payload.
TEST(VmRunner, JsonAndJunitReports) {
  std::string junit = ktstr::vmtest::temp_file("junit.xml", "", 0644);
  auto r = run_vm({"--junit", junit, "--scheduler", "scx_simple", "--", "sh", "-c", "echo out; exit 7"});
  ASSERT_EQ(r.exit_code, 7) << r.describe();
  const auto& j = r.report;
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["exit_code"], 7);
  EXPECT_EQ(j["com2"]["corrupt"], 0);
  EXPECT_EQ(j["com2"]["lost"], 0);
  EXPECT_GT(j["com2"]["frames"].get<int>(), 5);
  EXPECT_EQ(j["stdout_tail"], "out\n");
  ASSERT_TRUE(j["phases"].is_array());
  EXPECT_GE(j["phases"].size(), 5u);
  for (const char* m : {"HELO", "scheduler_attached", "payload_started", "DONE"})
    EXPECT_TRUE(j["host_ms_since_qemu_start"].contains(m)) << m;
  bool attached = false;
  for (const auto& e : j["scheduler_events"]) attached |= e.value("event", "") == "attached";
  EXPECT_TRUE(attached);
  std::ifstream f(junit);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string xml = ss.str();
  EXPECT_NE(xml.find("<testcase"), std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"exit 7\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<system-out>out\n</system-out>"), std::string::npos) << xml;
}

// Four runs at once share no path and all pass.
TEST(VmRunner, FourRunsInParallel) {
  std::vector<ktstr::vmtest::VmResult> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      results[size_t(i)] = run_vm({"--scheduler", "scx_simple", "--", "sh", "-c",
                                   "echo run" + std::to_string(i) + "; exit " + std::to_string(i)});
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(results[size_t(i)].exit_code, i) << results[size_t(i)].describe();
    EXPECT_EQ(results[size_t(i)].out, "run" + std::to_string(i) + "\n");
  }
}

// Ctrl-C on the host: STOP goes to the guest, which ends the payload and tears down as usual
// (scheduler stopped cleanly, DONE sent); ktstr-vm exits 130.
TEST(VmRunner, CtrlCStopsTheGuestGracefully) {
  std::string json = ktstr::vmtest::temp_file("stop.json", "", 0644);
  int fd;
  pid_t pid = ktstr::vmtest::spawn_vm_with_stdout_pipe(
      {"run", "--json", json, "--scheduler", "scx_simple", "--", "sh", "-c", "echo ready; sleep 100"}, fd);
  std::string out;
  char c[256];
  for (ssize_t n; out.find("ready\n") == std::string::npos && (n = read(fd, c, sizeof c)) > 0;) out.append(c, size_t(n));
  ASSERT_NE(out.find("ready\n"), std::string::npos);
  kill(pid, SIGINT);
  int status;
  waitpid(pid, &status, 0);
  close(fd);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream f(json);
  auto r = nlohmann::json::parse(f, nullptr, false);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["reason"], "stopped by the host (interrupted)");
  EXPECT_EQ(r["exit"]["signal"], 15);
  EXPECT_FALSE(r["done"].is_null());
  bool stopped = false;
  for (const auto& e : r["scheduler_events"]) stopped |= e.value("event", "") == "stopped";
  EXPECT_TRUE(stopped);
}
