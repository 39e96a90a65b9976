// Output files checked before any VM boots: two options naming one file (by any spelling), and a
// path that cannot be written, learnt without changing anything.
#include "output_paths.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

class OutputPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "sub");
    old_cwd_ = fs::current_path();
    fs::current_path(dir_);
  }
  void TearDown() override { fs::current_path(old_cwd_); }
  ktstr::test::ScratchDir scratch_{"ktstr-outputs"};
  fs::path dir_ = scratch_.path(), old_cwd_;
};

TEST_F(OutputPathsTest, OneFileByAnySpellingIsNamed) {
  EXPECT_EQ(same_file_error({{"--com2-log", "same.out"}, {"--console-log", "x"}, {"--json", "same.out"}}),
            "--com2-log and --json name one file: same.out; give each its own file (one would overwrite the other)");
  // Not there yet: compared by absolute path, the folder's symlinks resolved.
  fs::create_directory_symlink(dir_ / "sub", dir_ / "alias");
  EXPECT_NE(same_file_error({{"--json", "sub/r"}, {"--junit", "./alias/../sub/r"}}), "");
  EXPECT_NE(same_file_error({{"--json", "sub/r"}, {"--junit", (dir_ / "alias" / "r").string()}}), "");
  // A dangling symlink is opened as its target.
  fs::create_symlink("sub/target", dir_ / "dangling");
  EXPECT_NE(same_file_error({{"--json", "dangling"}, {"--junit", "sub/target"}}), "");
  // There: by device and inode (a hard link, a symlink).
  std::ofstream("sub/exists") << "x";
  fs::create_hard_link("sub/exists", "hard");
  fs::create_symlink("sub/exists", "soft");
  EXPECT_EQ(same_file_error({{"--sched-log", "hard"}, {"--junit", "soft"}}),
            "--sched-log and --junit name one file: hard and soft; give each its own file (one would overwrite the "
            "other)");
}

TEST_F(OutputPathsTest, DistinctFilesDevicesAndUnsetOptionsPass) {
  EXPECT_EQ(same_file_error({{"--json", "a"}, {"--junit", "b"}, {"--com2-log", ""}, {"--sched-log", ""}}), "");
  EXPECT_EQ(same_file_error({{"--console-log", "/dev/null"}, {"--sched-log", "/dev/null"}}), "");
  std::ofstream("a") << "x";
  EXPECT_EQ(same_file_error({{"--json", "a"}, {"--junit", "sub/a"}}), "");
}

TEST_F(OutputPathsTest, UnwritableReasonChangesNothing) {
  std::ofstream("keep") << "content";
  EXPECT_EQ(unwritable_reason("keep"), "");
  EXPECT_EQ(ktstr::test::slurp("keep"), "content");  // not truncated
  EXPECT_EQ(unwritable_reason("new.json"), "");
  EXPECT_FALSE(fs::exists("new.json"));  // the probe is removed again
  EXPECT_EQ(unwritable_reason("/nonexistent/dir/b.json"), "No such file or directory");
  EXPECT_EQ(unwritable_reason("sub"), "Is a directory");
  EXPECT_EQ(unwritable_reason("keep/below"), "Not a directory");
}

}  // namespace
