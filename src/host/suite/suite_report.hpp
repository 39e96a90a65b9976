// What a suite run found, test by test, and its reports: JUnit XML (surefire's flaky convention),
// JSON with the same data, the live progress lines and the closing summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ktstr/exit_codes.hpp"
#include "guest_record.hpp"
#include "suite_manifest.hpp"

namespace ktstr::host {

// One boot of one test.
struct SuiteAttempt {
  int exit_code = ktstr::exit_code::kInfrastructure;
  std::string reason;       // the run's failure reason; empty when the payload's status stands
  double wall_s = 0;
  nlohmann::json report;    // the run's --json report (stdout_tail, stderr_tail, ...)
};

// One attempt from what its session ended with (VmSession::finish, or a set-up error's status
// and message with a null report): its status and reason are the verdict's, its report the
// session's, with guest text as the --json file holds it (invalid UTF-8 replaced by U+FFFD).
SuiteAttempt suite_attempt(const SessionResult& result, double wall_s);

struct SuiteOutcome {
  enum class Status { passed, failed, flaky, not_run };
  const SuiteTest* test = nullptr;
  std::vector<SuiteAttempt> attempts;
  std::string artifacts;    // folder kept for this test, empty if none

  // passed: the first attempt met expect_exit; flaky: a later one did; failed: none did;
  // not_run: no attempt (interrupted, --fail-fast).
  Status status() const;
  double wall_s() const;
  // "exit 125: scheduler died ..." or "exit 1 (expected 0)" for the last attempt.
  std::string failure_text() const;
};

const char* status_name(SuiteOutcome::Status s);

struct SuiteTotals {
  unsigned passed = 0, failed = 0, flaky = 0, not_run = 0;
  double wall_s = 0;
};
SuiteTotals totals(const std::vector<SuiteOutcome>& outcomes, double wall_s);

// A line per finished test for logs: "PASS name 3.1s", "FAIL name 125 reason",
// "FLAKY name (passed on attempt 2)".
std::string progress_line(const SuiteOutcome& o);

// The closing summary: counts, the failures with reason and artifacts, the slowest tests.
std::string summary_text(const std::vector<SuiteOutcome>& outcomes, const SuiteTotals& t, bool interrupted);

nlohmann::json suite_json(const SuiteManifest& m, const std::vector<SuiteOutcome>& outcomes, const SuiteTotals& t,
                          bool interrupted);

// The JUnit XML document.
std::string suite_junit_text(const SuiteManifest& m, const std::vector<SuiteOutcome>& outcomes, const SuiteTotals& t);

}  // namespace ktstr::host
