#include "suite_report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "guest_json.hpp"
#include "report.hpp"

namespace ktstr::host {
namespace {

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string attempt_text(const SuiteAttempt& a, int expect) {
  std::string s = "exit " + std::to_string(a.exit_code);
  if (!a.reason.empty()) return s + ": " + a.reason;
  if (a.exit_code != expect) s += " (expected " + std::to_string(expect) + ")";
  return s;
}

std::string tail_of(const nlohmann::json& report, const char* key) {
  return guest_json::string(report, key).value_or("");
}

// One surefire element for a failed attempt: <failure>, or <flakyFailure>/<rerunFailure>.
void attempt_element(std::ostream& f, const char* tag, const SuiteAttempt& a, int expect) {
  f << "      <" << tag << " message=\"" << xml_escape(attempt_text(a, expect)) << "\" type=\"exit "
    << a.exit_code << "\">" << xml_escape(tail_of(a.report, "stderr_tail")) << "</" << tag << ">\n";
}

}  // namespace

SuiteAttempt suite_attempt(const SessionResult& result, double wall_s) {
  // Through the --json writer and back: the text the suite shows and reports is what the
  // attempt's report.json holds.
  auto as_written = [](const nlohmann::json& j) { return nlohmann::json::parse(json_report_text(j)); };
  SuiteAttempt a;
  a.exit_code = result.verdict.exit_code;
  a.reason = as_written(result.verdict.reason).get<std::string>();
  a.wall_s = wall_s;
  if (!result.report.is_null()) a.report = as_written(result.report);
  return a;
}

SuiteOutcome::Status SuiteOutcome::status() const {
  if (attempts.empty()) return Status::not_run;
  auto passed = [&](const SuiteAttempt& a) { return a.exit_code == test->expect_exit; };
  if (passed(attempts.back())) return attempts.size() == 1 ? Status::passed : Status::flaky;
  return Status::failed;
}

double SuiteOutcome::wall_s() const {
  double s = 0;
  for (const auto& a : attempts) s += a.wall_s;
  return s;
}

std::string SuiteOutcome::failure_text() const {
  return attempts.empty() ? "not run" : attempt_text(attempts.back(), test->expect_exit);
}

const char* status_name(SuiteOutcome::Status s) {
  switch (s) {
    case SuiteOutcome::Status::passed: return "passed";
    case SuiteOutcome::Status::failed: return "failed";
    case SuiteOutcome::Status::flaky: return "flaky";
    case SuiteOutcome::Status::not_run: return "not_run";
  }
  return "?";
}

SuiteTotals totals(const std::vector<SuiteOutcome>& outcomes, double wall_s) {
  SuiteTotals t;
  t.wall_s = wall_s;
  for (const auto& o : outcomes) {
    switch (o.status()) {
      case SuiteOutcome::Status::passed: ++t.passed; break;
      case SuiteOutcome::Status::failed: ++t.failed; break;
      case SuiteOutcome::Status::flaky: ++t.flaky; break;
      case SuiteOutcome::Status::not_run: ++t.not_run; break;
    }
  }
  return t;
}

std::string progress_line(const SuiteOutcome& o) {
  const std::string& name = o.test->name;
  switch (o.status()) {
    case SuiteOutcome::Status::passed: return "PASS " + name + " " + secs(o.wall_s());
    case SuiteOutcome::Status::flaky:
      return "FLAKY " + name + " (passed on attempt " + std::to_string(o.attempts.size()) + ") " + secs(o.wall_s());
    case SuiteOutcome::Status::failed: {
      const auto& a = o.attempts.back();
      std::string why = a.reason.empty() ? "exit " + std::to_string(a.exit_code) + ", expected " +
                                               std::to_string(o.test->expect_exit)
                                         : a.reason;
      return "FAIL " + name + " " + std::to_string(a.exit_code) + " " + why;
    }
    case SuiteOutcome::Status::not_run: return "SKIP " + name + " (not run)";
  }
  return name;
}

std::string summary_text(const std::vector<SuiteOutcome>& outcomes, const SuiteTotals& t, bool interrupted) {
  std::ostringstream s;
  std::vector<const SuiteOutcome*> failed, ran;
  for (const auto& o : outcomes) {
    if (o.status() == SuiteOutcome::Status::failed) failed.push_back(&o);
    if (!o.attempts.empty()) ran.push_back(&o);
  }
  if (!failed.empty()) {
    s << "\nFailures:\n";
    for (const auto* o : failed) {
      s << "  " << o->test->name << ": " << o->failure_text() << "\n";
      if (!o->artifacts.empty()) s << "    artifacts: " << o->artifacts << "\n";
    }
  }
  std::sort(ran.begin(), ran.end(), [](auto* a, auto* b) { return a->wall_s() > b->wall_s(); });
  if (!ran.empty()) {
    s << "\nSlowest:\n";
    for (std::size_t i = 0; i < ran.size() && i < 5; ++i)
      s << "  " << secs(ran[i]->wall_s()) << "  " << ran[i]->test->name << "\n";
  }
  s << "\n"
    << (interrupted ? "INTERRUPTED: " : "") << t.passed + t.flaky << " passed, " << t.failed << " failed";
  if (t.flaky) s << " (" << t.flaky << " flaky)";
  if (t.not_run) s << ", " << t.not_run << " not run";
  s << " in " << secs(t.wall_s) << "\n";
  return s.str();
}

nlohmann::json suite_json(const SuiteManifest& m, const std::vector<SuiteOutcome>& outcomes, const SuiteTotals& t,
                          bool interrupted) {
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& o : outcomes) {
    nlohmann::json attempts = nlohmann::json::array();
    for (const auto& a : o.attempts)
      attempts.push_back({{"exit_code", a.exit_code}, {"reason", a.reason}, {"wall_s", a.wall_s}, {"report", a.report}});
    tests.push_back({{"name", o.test->name},
                     {"base_name", o.test->base_name},
                     {"status", status_name(o.status())},
                     {"expect_exit", o.test->expect_exit},
                     {"exit_code", o.attempts.empty() ? nlohmann::json() : nlohmann::json(o.attempts.back().exit_code)},
                     {"reason", o.status() == SuiteOutcome::Status::failed ? o.failure_text() : ""},
                     {"wall_s", o.wall_s()},
                     {"artifacts", o.artifacts},
                     {"attempts", attempts}});
  }
  return {{"manifest", m.path},
          {"name", m.name},
          {"interrupted", interrupted},
          {"totals",
           {{"tests", outcomes.size()},
            {"passed", t.passed},
            {"failed", t.failed},
            {"flaky", t.flaky},
            {"not_run", t.not_run},
            {"wall_s", t.wall_s}}},
          {"tests", tests}};
}

std::string suite_junit_text(const SuiteManifest& m, const std::vector<SuiteOutcome>& outcomes, const SuiteTotals& t) {
  std::ostringstream f;
  std::string suite = xml_escape(m.name);
  f << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuites name=\"ktstr-vm suite\" tests=\"" << outcomes.size() << "\" failures=\"" << t.failed
    << "\" errors=\"0\" skipped=\"" << t.not_run << "\" time=\"" << t.wall_s << "\">\n"
    << "  <testsuite name=\"" << suite << "\" tests=\"" << outcomes.size() << "\" failures=\"" << t.failed
    << "\" errors=\"0\" skipped=\"" << t.not_run << "\" time=\"" << t.wall_s << "\">\n";
  for (const auto& o : outcomes) {
    f << "    <testcase name=\"" << xml_escape(o.test->name) << "\" classname=\"" << suite << "\" time=\""
      << o.wall_s() << "\">\n";
    auto st = o.status();
    if (st == SuiteOutcome::Status::not_run) f << "      <skipped message=\"not run\"/>\n";
    if (st == SuiteOutcome::Status::failed) {
      attempt_element(f, "failure", o.attempts.back(), o.test->expect_exit);
      for (std::size_t i = 0; i + 1 < o.attempts.size(); ++i)
        attempt_element(f, "rerunFailure", o.attempts[i], o.test->expect_exit);
    }
    if (st == SuiteOutcome::Status::flaky)
      for (std::size_t i = 0; i + 1 < o.attempts.size(); ++i)
        attempt_element(f, "flakyFailure", o.attempts[i], o.test->expect_exit);
    if (!o.attempts.empty()) {
      const auto& last = o.attempts.back().report;
      f << "      <system-out>" << xml_escape(tail_of(last, "stdout_tail")) << "</system-out>\n"
        << "      <system-err>" << xml_escape(tail_of(last, "stderr_tail")) << "</system-err>\n";
    }
    f << "    </testcase>\n";
  }
  f << "  </testsuite>\n</testsuites>\n";
  return f.str();
}

}  // namespace ktstr::host
