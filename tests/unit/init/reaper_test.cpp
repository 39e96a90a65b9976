// init's reaper on the host: exits and signals reach the registered callback with real statuses,
// orphans are reaped too, and has_children() says when nothing is left. The test process is made
// a child subreaper so that orphans come to it, as they come to PID 1 in the guest.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "reaper.hpp"

using ktstr::init::EventLoop;
using ktstr::init::ExitStatus;
using ktstr::init::Reaper;

namespace {

uint64_t in_ms(uint64_t ms) { return ktstr::init::boottime_ns() + ms * 1000000ull; }

class ReaperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    std::string error;
    ASSERT_TRUE(loop.open(error)) << error;
    ASSERT_TRUE(reaper.start(loop, error)) << error;
  }
  // A child that runs `body` and _exit()s with its result.
  pid_t child(int (*body)()) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    return pid;
  }
  EventLoop loop;
  Reaper reaper;
};

}  // namespace

TEST_F(ReaperTest, ReaperReportsAnExitCode) {
  pid_t pid = child([] { return 3; });
  ExitStatus got;
  bool done = false;
  reaper.watch(pid, "test", [&](pid_t p, const ExitStatus& s) {
    EXPECT_EQ(p, pid);
    got = s;
    done = true;
  });
  ASSERT_TRUE(loop.run_until([&] { return done; }, in_ms(5000)));
  EXPECT_FALSE(got.signaled);
  EXPECT_EQ(got.code, 3);
  EXPECT_EQ(got.exit_code(), 3);
  EXPECT_EQ(got.json_fields(), "\"code\":3");
  EXPECT_FALSE(reaper.alive(pid));
}

TEST_F(ReaperTest, ReaperReportsADeathBySignalAs128PlusN) {
  pid_t pid = child([] {
    pause();
    return 0;
  });
  ExitStatus got;
  bool done = false;
  reaper.watch(pid, "test", [&](pid_t, const ExitStatus& s) {
    got = s;
    done = true;
  });
  EXPECT_TRUE(reaper.alive(pid));
  kill(pid, SIGKILL);
  ASSERT_TRUE(loop.run_until([&] { return done; }, in_ms(5000)));
  EXPECT_TRUE(got.signaled);
  EXPECT_EQ(got.signal, SIGKILL);
  EXPECT_EQ(got.exit_code(), 128 + SIGKILL);
  EXPECT_EQ(got.json_fields(), "\"signal\":9,\"core\":false");
}

// A grandchild whose parent exited comes to the subreaper: reaped without a callback, and
// has_children() is false only once it is gone.
TEST_F(ReaperTest, ReaperReapsOrphansAndKnowsWhenNoneAreLeft) {
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (fork() == 0) {  // the orphan-to-be: waits for the gate to close
      char c;
      ::close(gate[1]);
      (void)!::read(gate[0], &c, 1);
      _exit(0);
    }
    _exit(0);
  }
  ::close(gate[0]);
  bool parent_done = false;
  reaper.watch(pid, "parent", [&](pid_t, const ExitStatus&) { parent_done = true; });
  ASSERT_TRUE(loop.run_until([&] { return parent_done; }, in_ms(5000)));
  EXPECT_TRUE(reaper.has_children());  // the orphan still runs
  ::close(gate[1]);
  EXPECT_TRUE(loop.run_until([&] { return !reaper.has_children(); }, in_ms(5000)));
}

// The signals PID 1 gets from the kernel are blocked and consumed by the reaper's signalfd.
TEST_F(ReaperTest, ReaperBlocksAndConsumesInitSignals) {
  sigset_t now;
  ASSERT_EQ(sigprocmask(SIG_BLOCK, nullptr, &now), 0);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGPIPE}) EXPECT_TRUE(sigismember(&now, sig)) << sig;
  kill(getpid(), SIGTERM);  // consumed by the signalfd handler: the process lives on
  loop.run_until([] { return false; }, in_ms(20));
  SUCCEED();
}
