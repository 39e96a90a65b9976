// The HTML page of a report: self-contained, guest text escaped, odd reports still give a page.
#include <gtest/gtest.h>

#include "html_report.hpp"

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
