// VmSession as the coming suite uses it: two VMs side by side in this one process, driven by one
// loop, each with its own output; a SIGTERM to the process reaches both (128+15 each).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "process_signals.hpp"
#include "session_loop.hpp"
#include "vm_harness.hpp"
#include "vm_session.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

RunOptions options_for(const std::string& name) {
  RunOptions o;
  o.init = (fs::path(KTSTR_VM_BIN).parent_path() / "init").string();
  o.scheduler = "scx_simple";
  o.pack.payload = {"sh", "-c", "echo ready-" + name + "; sleep 300"};
  o.watchdog_s = 200;  // a session that never gets ready fails the test instead of hanging it
  return o;
}

// Reads both pipes until each has said "ready-NAME" (true), or `give_up` is set (false).
bool wait_ready(int fd_a, int fd_b, const std::atomic<bool>& give_up) {
  std::string a, b;
  char buf[256];
  while (a.find("ready-a\n") == std::string::npos || b.find("ready-b\n") == std::string::npos) {
    if (give_up) return false;
    pollfd p[2] = {{fd_a, POLLIN, 0}, {fd_b, POLLIN, 0}};
    if (::poll(p, 2, 500) < 0) return false;
    for (int i : {0, 1}) {
      if (!p[i].revents) continue;
      ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n <= 0) return false;
      (i ? b : a).append(buf, size_t(n));
    }
  }
  return true;
}

}  // namespace

TEST(VmSessions, TwoSessionsSideBySideInOneProcessBothTakeSigterm) {
  ProcessSignals signals;  // before the helper thread: it inherits the blocked mask
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-sessions");
  RunOptions oa = options_for("a"), ob = options_for("b");
  int pa[2], pb[2];
  ASSERT_EQ(pipe2(pa, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(pb, O_CLOEXEC), 0);
  ktstr::UniqueFd ra(pa[0]), wa(pa[1]), rb(pb[0]), wb(pb[1]);
  ktstr::UniqueFd err_a(::open((dir + "/a.err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  ktstr::UniqueFd err_b(::open((dir + "/b.err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  VmSession a(oa, VmMode::run, {0, wa.get(), err_a.get()});
  VmSession b(ob, VmMode::run, {0, wb.get(), err_b.get()});
  a.prepare();
  b.prepare();
  a.launch(signals.child_mask());
  b.launch(signals.child_mask());
  // Once both payloads run, the process gets SIGTERM, as from `kill`.
  std::atomic<bool> sessions_over = false;
  std::thread terminator([&] {
    if (wait_ready(ra.get(), rb.get(), sessions_over)) ::kill(::getpid(), SIGTERM);
  });
  run_sessions({&a, &b}, signals);
  sessions_over = true;
  terminator.join();
  int code_a = a.finish().verdict.exit_code, code_b = b.finish().verdict.exit_code;
  std::string why_a = ktstr::vmtest::slurp(dir + "/a.err"), why_b = ktstr::vmtest::slurp(dir + "/b.err");
  EXPECT_EQ(code_a, 143) << why_a;
  EXPECT_EQ(code_b, 143) << why_b;
  // Each session's guest was asked to stop and tore down as usual: its own DONE arrived.
  EXPECT_NE(why_a.find("asking the guest to stop"), std::string::npos) << why_a;
  EXPECT_NE(why_b.find("asking the guest to stop"), std::string::npos) << why_b;
  EXPECT_NE(why_a.find("stopped by the host"), std::string::npos) << why_a;
  EXPECT_NE(why_b.find("stopped by the host"), std::string::npos) << why_b;
  fs::remove_all(dir);
}
