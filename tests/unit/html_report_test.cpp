// The HTML page of a report: self-contained, guest text escaped, odd reports still give a page;
// a suite's JSON gives a suite page; a bad input file is exit 2.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "html_report.hpp"
#include "report_cmd.hpp"
#include "suite_report.hpp"

using ktstr::host::html_report;
using nlohmann::json;

TEST(HtmlReport, ChartsAndEscapedGuestText) {
  json r = json::parse(R"({"exit_code":0,"kernel":"7.3","summary":"exit 0",
    "helo":{"t_ms":100},"done":{"t_ms":900},
    "phases":[{"phase":"scheduler_spawned","t_ms":200},{"phase":"<script>x</script>","t_ms":400}],
    "scheduler_events":[{"event":"attached","ops":"simple","t_ms":300}],
    "scheduler":{"programs":[{"key":"simple_enqueue","name":"simple_enqueue","type":"struct_ops","verified_insns":50,
                              "run_cnt":10,"run_time_ns":5000,"avg_ns":500}],
                 "events":{"samples":[{"t_ms":300,"delta":{"SCX_EV_A":1,"SCX_EV_Z":0}},{"t_ms":800,"delta":{"SCX_EV_A":2,"SCX_EV_Z":0}}]},
                 "totals":{"verified_insns":50}}})");
  std::string h = html_report(r);
  for (const char* id : {"id=\"timeline\"", "id=\"events\"", "id=\"programs\"", "id=\"status\""})
    EXPECT_NE(h.find(id), std::string::npos) << id;
  EXPECT_EQ(h.find("<script>x</script>"), std::string::npos);
  EXPECT_NE(h.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(h.find("SCX_EV_A"), std::string::npos);
  EXPECT_NE(h.find("At 0 throughout: SCX_EV_Z"), std::string::npos);
  EXPECT_NE(h.find("simple_enqueue"), std::string::npos);
  EXPECT_EQ(h.find("http://"), h.find("http://www.w3.org/2000/svg"));  // no link but the SVG namespace
  EXPECT_EQ(h.find("src="), std::string::npos);
}

TEST(HtmlReport, OddReportsStillGiveAPage) {
  for (const char* text : {"{}", R"({"phases":"x","scheduler":7,"exit_code":"0"})",
                           R"({"phases":[{"t_ms":1e308},{"t_ms":-5,"phase":3}],"scheduler":{"programs":[1,{"run_time_ns":"x"}]}})"}) {
    std::string h = html_report(json::parse(text));
    EXPECT_NE(h.find("</html>"), std::string::npos) << text;
    EXPECT_NE(h.find("id=\"timeline\""), std::string::npos) << text;
  }
}

namespace {

// A temp directory for report_command's input and output, removed with the test.
class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ktstr_report_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // Runs the subcommand; fills err_ with its stderr.
  int run(const std::string& input, const std::string& html) {
    testing::internal::CaptureStderr();
    int rc = ktstr::host::report_command({input, html});
    err_ = testing::internal::GetCapturedStderr();
    return rc;
  }
  std::string page() {
    std::ifstream in(dir_ + "/out.html");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_, err_;
};

// The shape `suite --json` writes, made by the suite's own writer.
nlohmann::json a_suite_json() {
  using namespace ktstr::host;
  SuiteManifest m;
  m.name = "smoke";
  m.path = "/x/smoke.toml";
  m.tests = {SuiteTest{.name = "dsp", .base_name = "dsp"},
             SuiteTest{.name = "stress[2,4,2,1/llc]", .base_name = "stress"},
             SuiteTest{.name = "boom<b>", .base_name = "boom<b>"}, SuiteTest{.name = "later", .base_name = "later"}};
  std::vector<SuiteOutcome> o;
  for (auto& t : m.tests) o.push_back(SuiteOutcome{.test = &t});
  o[0].attempts = {SuiteAttempt{.exit_code = 0, .wall_s = 2.5}};
  o[1].attempts = {SuiteAttempt{.exit_code = 125, .reason = "scheduler died", .wall_s = 3},
                   SuiteAttempt{.exit_code = 0, .wall_s = 3}};
  o[2].attempts = {SuiteAttempt{.exit_code = 125, .reason = "kernel splat: <BUG>", .wall_s = 4}};
  o[2].artifacts = "art/boom";
  return suite_json(m, o, totals(o, 9.5), false);
}

}  // namespace

// Red-team N100: a suite's JSON gives a suite page, a table row per test with its variant,
// status, exit, reason and attempts; guest and manifest text is escaped.
TEST(HtmlReport, SuiteJsonGivesASuitePage) {
  json s = a_suite_json();
  ASSERT_TRUE(ktstr::host::is_suite_report(s));
  EXPECT_FALSE(ktstr::host::is_suite_report(json::parse(R"({"exit_code":0,"phases":[]})")));
  std::string h = ktstr::host::suite_html_report(s);
  EXPECT_NE(h.find("<h1>ktstr-vm suite: smoke</h1>"), std::string::npos) << h;
  EXPECT_NE(h.find("4 tests: 2 passed (1 flaky), 1 failed, 1 not run"), std::string::npos) << h;
  EXPECT_NE(h.find("<td>stress</td><td>2,4,2,1/llc</td><td><span class=\"status flaky\">flaky</span>"),
            std::string::npos) << h;
  EXPECT_NE(h.find("2 (1: exit 125, scheduler died; 2: exit 0)"), std::string::npos) << h;
  EXPECT_NE(h.find("<td>boom&lt;b&gt;</td><td></td><td><span class=\"status failed\">failed</span></td><td>125</td>"),
            std::string::npos) << h;
  EXPECT_NE(h.find("kernel splat: &lt;BUG&gt;"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"status not_run\">not_run</span></td><td>-</td>"), std::string::npos) << h;
  EXPECT_EQ(h.find("<b>"), std::string::npos);
  EXPECT_EQ(h.find("<BUG>"), std::string::npos);
}

// report_command renders a suite JSON file as the suite page.
TEST_F(ReportCommand, RendersASuiteFile) {
  EXPECT_EQ(run(write("suite.json", a_suite_json().dump()), dir_ + "/out.html"), 0) << err_;
  EXPECT_NE(page().find("id=\"tests\""), std::string::npos);
  EXPECT_EQ(page().find("id=\"timeline\""), std::string::npos);
}

// Red-team N98: a missing, empty, truncated, non-JSON or non-object input is exit 2 (as decode's
// unreadable capture), naming the file and, for a parse error, where it is.
TEST_F(ReportCommand, BadInputExitsTwoWithThePosition) {
  struct Case {
    std::string text, want;
  };
  for (const Case& c : {Case{"", "not JSON: parse error at line 1, column 1"},
                        Case{"{\"exit_code\": 0,\n \"phases\": [", "not JSON: parse error at line 2, column 13"},
                        Case{"not json", "not JSON: parse error at line 1, column 2"},
                        Case{std::string(100000, '['), "not JSON: parse error at line 1, column 100001"},
                        Case{"[1, 2]", "not a report: the top level is array, not an object"},
                        Case{"12", "not a report: the top level is number, not an object"}}) {
    std::string in = write("in.json", c.text);
    EXPECT_EQ(run(in, dir_ + "/out.html"), 2) << c.want;
    EXPECT_NE(err_.find("report: " + in + ": " + c.want), std::string::npos) << err_;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.html"));
  }
  EXPECT_EQ(run(dir_ + "/missing.json", dir_ + "/out.html"), 2);
  EXPECT_NE(err_.find("cannot read " + dir_ + "/missing.json: No such file or directory"), std::string::npos)
      << err_;
}

// A page that cannot be written is exit 2 with the reason.
TEST_F(ReportCommand, UnwritablePageExitsTwo) {
  std::string in = write("in.json", R"({"exit_code":0})");
  EXPECT_EQ(run(in, dir_ + "/no/such/dir/out.html"), 2);
  EXPECT_NE(err_.find("cannot write " + dir_ + "/no/such/dir/out.html: No such file or directory"),
            std::string::npos) << err_;
}
