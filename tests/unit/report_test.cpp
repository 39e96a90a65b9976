// Reports for CI systems (src/host/report/report.cpp): the JUnit file is well-formed XML whatever the
// payload printed (invalid UTF-8 such as \377 must not make it unparsable), checked with
// an independent XML parser (python3's xml.etree), and it lists sched_ext exits.
#include "report.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "utf8.hpp"

namespace ktstr::host {
namespace {

// Parses `path` with python3's XML parser; returns its exit status (0: well-formed) and prints
// the parser's complaint on failure.
int python_xml_parse(const std::string& path) {
  std::string cmd = "python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' " + path;
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

class JunitReport : public ::testing::Test {
 protected:
  void SetUp() override { path_ = std::filesystem::temp_directory_path() / ("junit_test." + std::to_string(getpid()) + ".xml"); }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(JunitReport, InvalidUtf8FromThePayloadStillParses) {
  nlohmann::json r;
  r["exit_code"] = 1;
  r["reason"] = "bad \xff reason";
  r["summary"] = "FAILED";
  r["kernel"] = "7.0";
  r["stdout_tail"] = std::string("ok \xc3\xa9 then \xff\xfe bad, cut \xe2\x82 and \xef\xbf\xbf\n");
  r["stderr_tail"] = std::string("\x01\x1b[31mred\x1b[0m \xed\xa0\x80 surrogate, \xc0\xaf overlong");
  r["sched_ext_exits"] = {{{"ops", "ddsp_bogus_dsq_fail"}, {"reason", "runtime error"}, {"message", "bad \xff"},
                           {"scheduler_under_test", false}}};
  std::ofstream(path_) << junit_report_text("payload \xff arg", r);
  EXPECT_EQ(python_xml_parse(path_), 0);
}

TEST(XmlEscape, KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(xml_escape("a<b>&\"'\xc3\xa9"), "a&lt;b&gt;&amp;&quot;&apos;\xc3\xa9");
  EXPECT_EQ(xml_escape("\xff"), "\xef\xbf\xbd");
  EXPECT_EQ(xml_escape("x\xe2\x82"), "x\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(xml_escape("\x01\x02\t\n"), "\t\n");
  EXPECT_TRUE(valid_utf8(xml_escape("\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf")));
}

TEST(Utf8, SequenceLengthCountsValidSequencesAndIsZeroForInvalidOnes) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("\xe2\x82", 0), 0u);       // cut off
  EXPECT_EQ(utf8_sequence_length("\xc0\xaf", 0), 0u);       // overlong
  EXPECT_EQ(utf8_sequence_length("\xed\xa0\x80", 0), 0u);   // surrogate
  EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80", 0), 0u);  // > U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);
}

}  // namespace
}  // namespace ktstr::host
