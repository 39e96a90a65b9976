// The status rules both guest paths share (GuestCore::settle): a host STOP is 130 for the test
// path's payload and for exec mode's command alike; the scheduler's death outranks STOP, which
// outranks the timeout; otherwise the child's own status passes through.
#include <gtest/gtest.h>

#include "guest_core.hpp"

using ktstr::Config;
using ktstr::init::Com2;
using ktstr::init::Ending;
using ktstr::init::GuestCore;
using ktstr::init::RunResult;

namespace {

RunResult settled(const Ending& ending, int child_code, const std::string& what) {
  Config config;
  config.timeout_s = 7;
  Com2 com2;  // closed: nothing is written anywhere
  GuestCore core(config, com2);
  RunResult r;
  core.settle(r, ending, child_code, what);
  return r;
}

}  // namespace

TEST(GuestCoreSettle, HostStopIs130ForThePayloadAndTheCommand) {
  for (const char* what : {"payload", "command"}) {
    RunResult r = settled(Ending{.stopped = true}, 143, what);  // the child died of SIGTERM
    EXPECT_EQ(r.exit_code, 130) << what;
    EXPECT_EQ(r.reason, "stopped by the host (interrupted)") << what;
  }
}

TEST(GuestCoreSettle, SchedulerDeathOutranksStopAndTheTimeout) {
  RunResult r = settled(Ending{.sched_died = true, .timed_out = true, .stopped = true}, 143, "command");
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_EQ(r.reason, "scheduler died while the command ran");
}

TEST(GuestCoreSettle, StopOutranksTheTimeout) {
  RunResult r = settled(Ending{.timed_out = true, .stopped = true}, 143, "payload");
  EXPECT_EQ(r.exit_code, 130);
}

TEST(GuestCoreSettle, ATimeoutAloneIs124AndNamesTheLimit) {
  RunResult r = settled(Ending{.timed_out = true}, 137, "payload");
  EXPECT_EQ(r.exit_code, 124);
  EXPECT_EQ(r.reason, "payload timed out after 7 s");
}

TEST(GuestCoreSettle, ATimeoutIsNotTheCauseWhenTheSchedulerDied) {
  EXPECT_FALSE((Ending{.sched_died = true, .timed_out = true}.exit_timed_out()));
}

TEST(GuestCoreSettle, ChildStatusPassesThroughWhenNothingEndedItEarly) {
  for (int code : {0, 1, 42, 126, 127, 137}) {
    RunResult r = settled(Ending{}, code, "payload");
    EXPECT_EQ(r.exit_code, code);
    EXPECT_TRUE(r.reason.empty());
  }
}
