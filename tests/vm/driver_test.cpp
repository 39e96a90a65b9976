// The VM driver under what the OS and the user do to it: kill -9 of ktstr-vm, a
// reader that closes early, stdin that is not a terminal, full disks, SIGHUP, and the watchdog
// of shell --exec.
#include <gtest/gtest.h>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "vm_harness.hpp"

namespace fs = std::filesystem;
using namespace ktstr::vmtest;

namespace {

// Field 3 (state) and 4 (ppid) of /proc/PID/stat; false if the process is gone.
bool proc_stat(pid_t pid, char& state, pid_t& ppid) {
  std::string s = slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t close = s.rfind(')');
  if (close == std::string::npos || close + 4 > s.size()) return false;
  state = s[close + 2];
  ppid = pid_t(std::atol(s.c_str() + close + 4));
  return true;
}

bool alive(pid_t pid) {
  char state;
  pid_t ppid;
  return proc_stat(pid, state, ppid) && state != 'Z' && state != 'X';
}

// The first child process of `parent` (QEMU, for ktstr-vm), or -1.
pid_t child_of(pid_t parent) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    pid_t pid = pid_t(std::atol(e.path().filename().c_str()));
    char state;
    pid_t ppid;
    if (pid > 0 && proc_stat(pid, state, ppid) && ppid == parent) return pid;
  }
  return -1;
}

// Reads fd until `marker` has arrived (true) or EOF (false).
bool read_until(int fd, const std::string& marker, std::string& out) {
  char buf[4096];
  for (ssize_t n; out.find(marker) == std::string::npos;) {
    if ((n = ::read(fd, buf, sizeof buf)) <= 0) return false;
    out.append(buf, size_t(n));
  }
  return true;
}

int wait_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

// Item 5: `kill -9` of ktstr-vm (CI cancellation, `timeout -s KILL`) takes QEMU with it.
TEST(VmDriver, KillNineOfKtstrVmTakesQemuWithIt) {
  int fd;
  pid_t vm = spawn_vm_with_stdout_pipe({"run", "--", "sh", "-c", "echo ready; sleep 600"}, fd);
  std::string out;
  ASSERT_TRUE(read_until(fd, "ready\n", out)) << out;
  pid_t qemu = child_of(vm);
  ASSERT_GT(qemu, 0);
  ASSERT_EQ(kill(vm, SIGKILL), 0);
  EXPECT_EQ(wait_status(vm), 128 + SIGKILL);
  close(fd);
  bool gone = wait_until([&] { return !alive(qemu); }, std::chrono::seconds(30));
  if (!gone) kill(qemu, SIGKILL);  // don't leave it behind for the next test
  EXPECT_TRUE(gone) << "QEMU " << qemu << " outlived its ktstr-vm";
}

// Item 6: a reader that closes early (`| head -c 10`) does not kill ktstr-vm: the run ends with
// the payload's status and writes its reports.
TEST(VmDriver, EarlyClosingReaderKeepsTheStatusAndTheReports) {
  std::string dir = make_temp_dir("ktstr-sigpipe");
  int fd;
  pid_t vm = spawn_vm_with_stdout_pipe({"run", "--json", dir + "/r.json", "--junit", dir + "/r.xml", "--", "sh",
                                        "-c", "echo 0123456789-first; sleep 1; seq 1 20000; exit 3"}, fd);
  std::string out;
  ASSERT_TRUE(read_until(fd, "0123456789", out)) << out;
  close(fd);
  EXPECT_EQ(wait_status(vm), 3);
  auto r = nlohmann::json::parse(slurp(dir + "/r.json"), nullptr, false);
  ASSERT_TRUE(r.is_object()) << slurp(dir + "/r.json");
  EXPECT_EQ(r["exit_code"], 3);
  EXPECT_NE(slurp(dir + "/r.xml").find("</testsuites>"), std::string::npos);
  fs::remove_all(dir);
}

// Item 6, shell --exec: the same.
TEST(VmDriver, EarlyClosingReaderOfShellExecKeepsTheStatus) {
  int fd;
  pid_t vm = spawn_vm_with_stdout_pipe({"shell", "--exec", "echo 0123456789-first; sleep 1; seq 1 20000; exit 3"}, fd);
  std::string out;
  ASSERT_TRUE(read_until(fd, "0123456789", out)) << out;
  close(fd);
  EXPECT_EQ(wait_status(vm), 3);
}

// Item 17: QEMU that dies under the run (here: killed from outside) is named with how it ended,
// not as a "stream truncated".
TEST(VmDriver, QemuDyingUnderTheRunIsNamed) {
  std::string json = temp_file("qemu-died.json", "", 0644);
  int fd;
  pid_t vm = spawn_vm_with_stdout_pipe({"run", "--json", json, "--", "sh", "-c", "echo ready; sleep 600"}, fd);
  std::string out;
  ASSERT_TRUE(read_until(fd, "ready\n", out)) << out;
  pid_t qemu = child_of(vm);
  ASSERT_GT(qemu, 0);
  ASSERT_EQ(kill(qemu, SIGKILL), 0);
  EXPECT_EQ(wait_status(vm), 125);
  close(fd);
  auto r = nlohmann::json::parse(slurp(json), nullptr, false);
  ASSERT_TRUE(r.is_object());
  std::string reason = r.value("reason", "");
  EXPECT_NE(reason.find("QEMU exited on its own (killed by signal 9"), std::string::npos) << reason;
}

// Item 20: SIGHUP (the terminal went away) ends the run with 128+1 after a graceful stop.
TEST(VmDriver, SighupExits129) {
  int fd;
  pid_t vm = spawn_vm_with_stdout_pipe({"run", "--", "sh", "-c", "echo ready; sleep 600"}, fd);
  std::string out;
  ASSERT_TRUE(read_until(fd, "ready\n", out)) << out;
  ASSERT_EQ(kill(vm, SIGHUP), 0);
  EXPECT_EQ(wait_status(vm), 129);
  close(fd);
}

// Issue 11: shell --exec has run's hard deadline; past it: 125 naming the phase it hung in.
TEST(VmDriver, ShellExecWatchdogNamesTheHungPhase) {
  std::string dir = make_temp_dir("ktstr-execwd");
  int code = run_captured({KTSTR_VM_BIN, "shell", "--watchdog", "25", "--exec", "echo started; sleep 600"}, dir);
  std::string err = slurp(dir + "/err");
  EXPECT_EQ(code, 125) << err;
  EXPECT_EQ(slurp(dir + "/out"), "started\n");
  EXPECT_NE(err.find("watchdog: run exceeded 25 s; hung in payload_started"), std::string::npos) << err;
  fs::remove_all(dir);
}

// Issue 11: a host STOP (Ctrl-C) gives the same status in both guest paths: 130 from the guest's
// own DONE in shell --exec, as in run (VmRunner.CtrlCStopsTheGuestGracefully), not the
// command's own status after the signal.
TEST(VmDriver, ShellExecCtrlCIsAGracefulStopWith130FromTheGuest) {
  std::string dir = make_temp_dir("ktstr-execstop");
  int fd;
  pid_t vm = spawn_vm_with_stdout_pipe(
      {"shell", "--com2-log", dir + "/com2.bin", "--exec", "trap 'exit 7' TERM; echo ready; sleep 600 & wait"}, fd);
  std::string out;
  ASSERT_TRUE(read_until(fd, "ready\n", out)) << out;
  ASSERT_EQ(kill(vm, SIGINT), 0);
  EXPECT_EQ(wait_status(vm), 130);
  close(fd);
  // The guest said so itself: DONE carries 130, although the command exited 7 on SIGTERM.
  EXPECT_EQ(run_captured({KTSTR_VM_BIN, "decode", "--json", dir + "/com2.bin"}, dir), 0) << slurp(dir + "/err");
  std::string frames = slurp(dir + "/out"), done;
  std::istringstream lines(frames);
  for (std::string l; std::getline(lines, l);)
    if (l.find("\"DONE\"") != std::string::npos) done = l;
  ASSERT_FALSE(done.empty()) << frames;
  auto d = nlohmann::json::parse(done, nullptr, false);
  ASSERT_FALSE(d.is_discarded()) << done;
  EXPECT_NE(d.dump().find("\"exit_code\":130"), std::string::npos) << done;
  fs::remove_all(dir);
}

// Item 9: reports and logs that cannot be written (a full disk) fail the run, each one named.
TEST(VmDriver, OutputsThatCannotBeWrittenFailTheRun) {
  std::string dir = make_temp_dir("ktstr-full");
  int code = run_captured({KTSTR_VM_BIN, "run", "--json", "/dev/full", "--junit", "/dev/full", "--com2-log",
                           "/dev/full", "--", "true"}, dir);
  std::string err = slurp(dir + "/err");
  EXPECT_EQ(code, 125) << err;
  for (const char* flag : {"--json", "--junit", "--com2-log"})
    EXPECT_NE(err.find(std::string(flag) + " /dev/full: write failed: No space left on device"), std::string::npos)
        << flag << "\n" << err;
  fs::remove_all(dir);
}
