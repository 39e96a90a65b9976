// /sched_enable and /sched_disable on the host: `echo VALUE > /path` lines are written, comments
// and blank lines skipped, every bad line named with its number and text, and the others still
// run (the guest core then fails the run on any --sched-enable error).
#include <gtest/gtest.h>

#include <fstream>

#include "../test_util.hpp"
#include "sysfs_script.hpp"

using ktstr::init::describe;
using ktstr::init::run_sysfs_script;

namespace {

class SysfsScriptTest : public ::testing::Test {
 protected:
  ktstr::test::ScratchDir scratch{"ktstr-sysfs-script"};
  std::string dir = scratch.path();
  std::string write_script(const std::string& text) {
    std::string path = dir + "/script";
    std::ofstream(path) << text;
    return path;
  }
  std::string read(const std::string& name) { return ktstr::test::slurp(dir + "/" + name); }
};

}  // namespace

TEST_F(SysfsScriptTest, SysfsScriptWritesEachValueWithANewline) {
  std::ofstream(dir + "/a");
  std::ofstream(dir + "/b");
  std::string script = write_script("# comment\n\necho 1 > " + dir + "/a\n  echo \"two words\" > " + dir + "/b  \n");
  auto errors = run_sysfs_script(script.c_str());
  EXPECT_TRUE(errors.empty()) << describe(errors.front(), script);
  EXPECT_EQ(read("a"), "1\n");
  EXPECT_EQ(read("b"), "two words\n");
}

TEST_F(SysfsScriptTest, SysfsScriptNamesBadLinesAndRunsTheRest) {
  std::ofstream(dir + "/ok");
  std::string script = write_script("cat /etc/passwd\necho 5 > " + dir + "/missing/x\necho 3 > " + dir + "/ok\n");
  auto errors = run_sysfs_script(script.c_str());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_EQ(describe(errors[0], "--sched-enable"),
            "--sched-enable line 1: expected `echo VALUE > /path`, got `cat /etc/passwd`");
  EXPECT_EQ(errors[1].line, 2);
  EXPECT_EQ(describe(errors[1], "--sched-enable"), "--sched-enable line 2: `echo 5 > " + dir +
            "/missing/x`: write " + dir + "/missing/x: No such file or directory (errno 2)");
  EXPECT_EQ(read("ok"), "3\n");
}

TEST_F(SysfsScriptTest, SysfsScriptMissingFileIsNotAnError) {
  EXPECT_TRUE(run_sysfs_script((dir + "/absent").c_str()).empty());
}
