// Suite outcomes: pass / flaky / fail / not run, the progress lines, the summary, JUnit and JSON.
#include "suite_report.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "ktstr/posix_io.hpp"
#include "vm_session.hpp"

using namespace ktstr::host;

namespace {

SuiteAttempt attempt(int code, const std::string& reason = "", double wall = 1.0) {
  SuiteAttempt a;
  a.exit_code = code;
  a.reason = reason;
  a.wall_s = wall;
  a.report = {{"stdout_tail", "out\n"}, {"stderr_tail", "bad \xff byte <&>\n"}};
  return a;
}

struct Fixture {
  SuiteManifest m;
  std::vector<SuiteOutcome> outcomes;
  Fixture() {
    for (const char* n : {"ok", "flaky", "broken", "skipped", "expected3"}) m.tests.push_back(SuiteTest{.name = n});
    m.tests[4].expect_exit = 3;
    m.name = "suite";
    m.path = "/x/suite.toml";
    for (auto& t : m.tests) outcomes.push_back(SuiteOutcome{.test = &t});
    outcomes[0].attempts = {attempt(0, "", 3.14)};
    outcomes[1].attempts = {attempt(1), attempt(0)};
    outcomes[2].attempts = {attempt(125, "scheduler died before attaching"),
                            attempt(125, "scheduler died before attaching", 9.0)};
    outcomes[2].artifacts = "art/broken";
    outcomes[4].attempts = {attempt(3)};
  }
};

TEST(SuiteOutcomeStatus, PassFlakyFailNotRunByExpectedExit) {
  Fixture f;
  EXPECT_EQ(f.outcomes[0].status(), SuiteOutcome::Status::passed);
  EXPECT_EQ(f.outcomes[1].status(), SuiteOutcome::Status::flaky);
  EXPECT_EQ(f.outcomes[2].status(), SuiteOutcome::Status::failed);
  EXPECT_EQ(f.outcomes[3].status(), SuiteOutcome::Status::not_run);
  EXPECT_EQ(f.outcomes[4].status(), SuiteOutcome::Status::passed);
  auto t = totals(f.outcomes, 20);
  EXPECT_EQ(t.passed, 2u);
  EXPECT_EQ(t.flaky, 1u);
  EXPECT_EQ(t.failed, 1u);
  EXPECT_EQ(t.not_run, 1u);
}

TEST(SuiteProgress, OneLinePerFinishedTest) {
  Fixture f;
  EXPECT_EQ(progress_line(f.outcomes[0]), "PASS ok 3.1s");
  EXPECT_EQ(progress_line(f.outcomes[1]), "FLAKY flaky (passed on attempt 2) 2.0s");
  EXPECT_EQ(progress_line(f.outcomes[2]), "FAIL broken 125 scheduler died before attaching");
  SuiteOutcome wrong{.test = &f.m.tests[0], .attempts = {attempt(4)}};
  EXPECT_EQ(progress_line(wrong), "FAIL ok 4 exit 4, expected 0");
}

TEST(SuiteSummary, FailuresWithArtifactsThenSlowestThenCounts) {
  Fixture f;
  std::string s = summary_text(f.outcomes, totals(f.outcomes, 20), false);
  EXPECT_NE(s.find("Failures:\n  broken: exit 125: scheduler died before attaching\n    artifacts: art/broken\n"),
            std::string::npos) << s;
  EXPECT_NE(s.find("Slowest:\n  10.0s  broken\n"), std::string::npos) << s;
  EXPECT_NE(s.find("3 passed, 1 failed (1 flaky), 1 not run in 20.0s"), std::string::npos) << s;
  EXPECT_NE(summary_text(f.outcomes, totals(f.outcomes, 20), true).find("INTERRUPTED: "), std::string::npos);
}

TEST(SuiteJunit, SurefireElementsAndWellFormedText) {
  Fixture f;
  std::string x = suite_junit_text(f.m, f.outcomes, totals(f.outcomes, 20));
  EXPECT_NE(x.find("<testsuite name=\"suite\" tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            std::string::npos) << x;
  EXPECT_NE(x.find("<testcase name=\"ok\" classname=\"suite\" time=\"3.14\">"), std::string::npos) << x;
  EXPECT_NE(x.find("<flakyFailure message=\"exit 1 (expected 0)\" type=\"exit 1\">"), std::string::npos) << x;
  EXPECT_NE(x.find("<failure message=\"exit 125: scheduler died before attaching\" type=\"exit 125\">"),
            std::string::npos) << x;
  EXPECT_NE(x.find("<rerunFailure "), std::string::npos) << x;
  EXPECT_NE(x.find("<skipped message=\"not run\"/>"), std::string::npos) << x;
  EXPECT_NE(x.find("&lt;&amp;&gt;"), std::string::npos) << x;
  // A payload's invalid UTF-8 never reaches the XML: it is U+FFFD there.
  EXPECT_EQ(x.find('\xff'), std::string::npos) << x;
  EXPECT_NE(x.find("bad \xEF\xBF\xBD byte"), std::string::npos) << x;
}

TEST(SuiteJson, AgreesWithTheOutcomes) {
  Fixture f;
  auto j = suite_json(f.m, f.outcomes, totals(f.outcomes, 20), false);
  EXPECT_EQ(j["totals"]["tests"], 5);
  EXPECT_EQ(j["tests"][1]["status"], "flaky");
  EXPECT_EQ(j["tests"][1]["attempts"].size(), 2u);
  EXPECT_EQ(j["tests"][2]["reason"], "exit 125: scheduler died before attaching");
  EXPECT_EQ(j["tests"][2]["artifacts"], "art/broken");
  EXPECT_TRUE(j["tests"][3]["exit_code"].is_null());
}

}  // namespace

// A report.json that cannot be written (a full disk) loses nothing: the session's result carries
// the verdict, which names that file, and the report, and the suite keeps both (it no longer
// reads the reason back from the file).
TEST(SuiteAttemptRecord, ReasonSurvivesAReportFileThatCannotBeWritten) {
  RunOptions o;
  o.json_report = "/dev/full";
  ktstr::UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  VmSession session(o, VmMode::run, {-1, null.get(), null.get()});
  SessionResult result = session.finish();  // nothing arrived: the guest never said HELO
  EXPECT_EQ(result.verdict.exit_code, 125);
  EXPECT_NE(result.verdict.reason.find("--json /dev/full"), std::string::npos) << result.verdict.reason;
  ASSERT_TRUE(result.report.is_object());
  EXPECT_NE(result.report.value("reason", "").find("no HELO"), std::string::npos) << result.report.dump();

  SuiteAttempt a = suite_attempt(result, 2.0);
  EXPECT_EQ(a.exit_code, 125);
  EXPECT_EQ(a.reason, result.verdict.reason);
  EXPECT_EQ(a.wall_s, 2.0);
  EXPECT_EQ(a.report.value("reason", ""), result.report.value("reason", ""));
  SuiteTest t{.name = "t"};
  SuiteOutcome out{.test = &t, .attempts = {a}, .artifacts = {}};
  EXPECT_NE(progress_line(out).find("--json /dev/full"), std::string::npos) << progress_line(out);
}

// The suite shows and reports guest text as the attempt's report.json holds it: invalid UTF-8
// replaced by U+FFFD, in the report and in the reason alike.
TEST(SuiteAttemptRecord, GuestTextIsAsTheReportFileHoldsIt) {
  SessionResult r{{125, "kernel panic: bad \xfe byte"}, {{"stderr_tail", "bad \xff byte"}, {"reason", "x"}}};
  SuiteAttempt a = suite_attempt(r, 1.0);
  EXPECT_EQ(a.reason, "kernel panic: bad \xEF\xBF\xBD byte");
  EXPECT_EQ(a.report.value("stderr_tail", ""), "bad \xEF\xBF\xBD byte");
}

// A set-up error (no VM booted) has its message as the reason and no report.
TEST(SuiteAttemptRecord, SetUpErrorHasItsMessageAndNoReport) {
  SuiteAttempt a = suite_attempt({{127, "no such program"}, nullptr}, 0.5);
  EXPECT_EQ(a.exit_code, 127);
  EXPECT_EQ(a.reason, "no such program");
  EXPECT_TRUE(a.report.is_null());
}
