// The on-failure hook on the host: /bin/sh -c CMD with stdout and stderr in one stream, HOOK
// frames and a copy in on-failure.log, HEND with its status; a hook past its timeout is stopped
// (TERM to its group) and says so; when it runs at all; the log never follows a symlink.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <pty.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "failure_hook.hpp"
#include "ktstr/frame_decoder.hpp"

using ktstr::init::Com2;
using ktstr::init::EventLoop;
using ktstr::init::HookSetup;
using ktstr::init::Reaper;
using ktstr::init::UniqueFd;
namespace wire = ktstr::wire;

namespace {

class FailureHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    std::string error;
    ASSERT_TRUE(loop.open(error)) << error;
    ASSERT_TRUE(reaper.start(loop, error)) << error;
    int m, s;
    char name[128];
    ASSERT_EQ(openpty(&m, &s, name, nullptr, nullptr), 0);
    master_.reset(m);
    slave_.reset(s);
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
    ASSERT_TRUE(com2.open(name, error)) << error;
    char tmpl[] = "/tmp/ktstr-hook.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // Runs the hook, then decodes what it wrote on COM2.
  void run(const std::string& cmd, uint32_t timeout_s, int log_fd = -1) {
    ktstr::init::run_hook(loop, reaper, com2, HookSetup{cmd, timeout_s, 300, log_fd, &reaper.child_mask(), {}});
    wire::FrameDecoder decoder([this](const wire::Frame& f) {
      std::string v(reinterpret_cast<const char*>(f.value.data()), f.value.size());
      if (f.type == wire::kHook) hook += v;
      else if (f.type == wire::kHend) hend.push_back(v);
    });
    uint8_t buf[4096];
    for (ssize_t n; (n = ::read(master_.get(), buf, sizeof buf)) > 0;) decoder.feed(std::span<const uint8_t>(buf, size_t(n)));
  }

  EventLoop loop;
  Reaper reaper;
  Com2 com2;
  std::string dir, hook;
  std::vector<std::string> hend;  // HEND values, JSON text

 private:
  UniqueFd master_, slave_;
};

}  // namespace

TEST_F(FailureHookTest, OutputGoesToHookFramesAndTheLogThenHendWithTheStatus) {
  UniqueFd log = ktstr::init::open_hook_log(dir);
  ASSERT_TRUE(log.valid());
  run("echo out; echo err >&2; exit 4", 10, log.get());
  EXPECT_EQ(hook, "out\nerr\n");
  EXPECT_EQ(ktstr::test::slurp(dir + "/on-failure.log"), "out\nerr\n");
  ASSERT_EQ(hend.size(), 1u);
  EXPECT_TRUE(hend[0].starts_with("{\"code\":4,\"timed_out\":false,\"ms\":")) << hend[0];
}

// Past its timeout the hook's group gets TERM (the shell's child too), and HEND says so.
TEST_F(FailureHookTest, AHookPastItsTimeoutIsStoppedAndSaysSo) {
  run("echo started; sleep 30 & wait", 1);
  EXPECT_EQ(hook, "started\n");
  ASSERT_EQ(hend.size(), 1u);
  EXPECT_TRUE(hend[0].starts_with("{\"signal\":15,\"core\":false,\"timed_out\":true,\"ms\":")) << hend[0];
}

// No output directory, or one that is not a directory: no log file, and nothing written.
TEST_F(FailureHookTest, TheLogNeedsADirectoryAndNeverFollowsASymlink) {
  EXPECT_FALSE(ktstr::init::open_hook_log("").valid());
  EXPECT_FALSE(ktstr::init::open_hook_log(dir + "/missing").valid());
  std::string file = dir + "/file";
  { UniqueFd f(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)); }
  EXPECT_FALSE(ktstr::init::open_hook_log(file).valid());
  std::string target = dir + "/target";
  { UniqueFd f(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)); }
  ASSERT_EQ(symlink(target.c_str(), (dir + "/on-failure.log").c_str()), 0);
  EXPECT_FALSE(ktstr::init::open_hook_log(dir).valid());
  EXPECT_EQ(ktstr::test::slurp(target), "");
}

// Failed: a status other than the expected one, or a timeout; never after a host STOP.
TEST(FailureHookWhen, RunsForAFailedPayloadOnly) {
  using ktstr::init::payload_failed;
  EXPECT_FALSE(payload_failed(false, false, 0, 0));
  EXPECT_TRUE(payload_failed(false, false, 3, 0));
  EXPECT_FALSE(payload_failed(false, false, 3, 3));  // a suite test that expects 3
  EXPECT_TRUE(payload_failed(false, false, 0, 3));
  EXPECT_TRUE(payload_failed(true, false, 143, 0));  // the timeout
  EXPECT_TRUE(payload_failed(true, false, 0, 0));
  EXPECT_FALSE(payload_failed(false, true, 143, 0));  // the host asked to stop
}
