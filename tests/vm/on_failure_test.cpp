// Issue 23, the on-failure hook: after a failed payload and before the scheduler stops, the
// hook's output comes back (HOOK frames, the report) and the payload's status stays; after a
// payload that passes it does not run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;

TEST(VmOnFailure, HookRunsAfterAFailedPayloadWhileTheSchedulerIsAttached) {
  auto r = run_vm({"--scheduler", "scx_simple", "--on-failure", "cat /sys/kernel/sched_ext/root/ops; echo err >&2",
                   "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_EQ(r.stream("HOOK"), "simple\nerr\n") << r.describe();
  ASSERT_EQ(r.of("HEND").size(), 1u) << r.describe();
  EXPECT_EQ(r.of("HEND")[0]->json["code"], 0) << r.describe();
  const auto& hook = r.report["on_failure"];
  ASSERT_TRUE(hook.is_object()) << r.report.dump();
  EXPECT_EQ(hook["ran"], true) << hook.dump();
  EXPECT_EQ(hook["exit_code"], 0) << hook.dump();
  EXPECT_EQ(hook["timed_out"], false) << hook.dump();
  EXPECT_EQ(hook["output"], "simple\nerr\n") << hook.dump();
  EXPECT_EQ(r.report["done"]["bytes"]["HOOK"], 11) << r.report["done"].dump();
  EXPECT_NE(r.err.find("ktstr-vm: on-failure hook: exit 0"), std::string::npos) << r.err;
  // The hook ran between the payload's end and the teardown.
  size_t exit_at = 0, hend_at = 0, teardown_at = 0;
  for (size_t i = 0; i < r.frames.size(); ++i) {
    const auto& f = r.frames[i];
    if (f.type == "EXIT") exit_at = i;
    if (f.type == "HEND") hend_at = i;
    if (f.type == "PHAS" && f.json.value("phase", "") == "teardown") teardown_at = i;
  }
  EXPECT_LT(exit_at, hend_at);
  EXPECT_LT(hend_at, teardown_at);
}

TEST(VmOnFailure, HookDoesNotRunAfterAPass) {
  auto r = run_vm({"--on-failure", "echo should-not-run", "--", "true"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.of("HOOK").empty()) << r.describe();
  EXPECT_TRUE(r.of("HEND").empty()) << r.describe();
  EXPECT_EQ(r.report["on_failure"]["ran"], false) << r.report["on_failure"].dump();
}

// A payload past --timeout is a failure (124) and the hook runs; one that outlives its own
// timeout is stopped, and the run keeps the payload's status.
TEST(VmOnFailure, PayloadTimeoutRunsTheHookWhichHasItsOwnTimeout) {
  auto r = run_vm({"--timeout", "2", "--on-failure", "echo hook; sleep 60", "--on-failure-timeout", "2", "--",
                   "sleep", "60"});
  EXPECT_EQ(r.exit_code, 124) << r.describe();
  const auto& hook = r.report["on_failure"];
  EXPECT_EQ(hook["ran"], true) << hook.dump();
  EXPECT_EQ(hook["timed_out"], true) << hook.dump();
  EXPECT_EQ(hook["signal"], 15) << hook.dump();
  EXPECT_EQ(hook["output"], "hook\n") << hook.dump();
}

// In a suite, the hook runs for a status other than the test's expect_exit (the guest gets it
// as KTSTR_EXPECT_EXIT): exit 3 where 3 is expected runs nothing, exit 0 where 3 is expected
// runs it; [defaults] gives both tests the hook.
TEST(VmOnFailure, SuiteRunsTheHookForAnUnexpectedStatusOnly) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-hook-suite");
  std::ofstream(dir + "/suite.toml") << R"(
[defaults]
on_failure = "echo hook ran"
expect_exit = 3

[[test]]
name = "expected"
args = ["sh", "-c", "exit 3"]

[[test]]
name = "unexpected"
args = ["true"]
)";
  int rc = ktstr::vmtest::run_captured({KTSTR_VM_BIN, "suite", dir + "/suite.toml", "-j2", "--json", dir + "/suite.json"},
                                       dir);
  auto report = nlohmann::json::parse(ktstr::vmtest::slurp(dir + "/suite.json"), nullptr, false);
  std::string err = ktstr::vmtest::slurp(dir + "/err");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(rc, 1) << err;  // "unexpected" fails
  ASSERT_TRUE(report.is_object()) << err;
  ASSERT_EQ(report["tests"].size(), 2u) << report.dump(1);
  for (const auto& t : report["tests"]) {
    const auto& hook = t["attempts"].back()["report"]["on_failure"];
    if (t["name"] == "expected") {
      EXPECT_EQ(hook["ran"], false) << hook.dump();
    } else {
      EXPECT_EQ(hook["ran"], true) << hook.dump();
      EXPECT_EQ(hook["output"], "hook ran\n") << hook.dump();
      EXPECT_EQ(t["attempts"].back()["exit_code"], 0) << t.dump();
    }
  }
}
