// The suite's artifact folders: made with a marker; only a marked folder is replaced or removed;
// anything else in the way is named before any VM boots and left as it was.
#include "suite_artifacts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

class SuiteArtifactsTest : public ::testing::Test {
 protected:
  std::string at(const std::string& rel) const { return (dir_ / rel).string(); }
  static std::string read(const std::string& p) { return ktstr::test::slurp(p); }
  ktstr::test::ScratchDir scratch_{"ktstr-artifacts"};
  fs::path dir_ = scratch_.path();
};

TEST_F(SuiteArtifactsTest, MadeFoldersAreMarkedAndReplaced) {
  make_artifact_folder(at("art/t"));
  EXPECT_TRUE(fs::is_regular_file(at("art/t/.ktstr-vm-artifacts")));
  EXPECT_TRUE(is_artifact_folder(at("art/t")));
  std::ofstream(at("art/t/old-run.log")) << "x";
  make_artifact_folder(at("art/t"));  // the next run's: the old files are gone, the mark is back
  EXPECT_FALSE(fs::exists(at("art/t/old-run.log")));
  EXPECT_TRUE(is_artifact_folder(at("art/t")));
  EXPECT_TRUE(remove_artifact_folder(at("art/t")));
  EXPECT_FALSE(fs::exists(at("art/t")));
}

TEST_F(SuiteArtifactsTest, FoldersWithoutTheMarkAreNeverTouched) {
  fs::create_directories(at("tests"));
  std::ofstream(at("tests/precious.txt")) << "mine";
  EXPECT_FALSE(is_artifact_folder(at("tests")));
  EXPECT_THROW(make_artifact_folder(at("tests")), std::runtime_error);
  EXPECT_FALSE(remove_artifact_folder(at("tests")));
  EXPECT_EQ(read(at("tests/precious.txt")), "mine");
  // A file of the user's where a folder would go, and a symlink to one of our folders (the link
  // is not ours; its target must not be emptied through it).
  std::ofstream(at("plain")) << "mine";
  EXPECT_THROW(make_artifact_folder(at("plain")), std::runtime_error);
  EXPECT_EQ(read(at("plain")), "mine");
  make_artifact_folder(at("ours"));
  std::ofstream(at("ours/keep")) << "k";
  fs::create_directory_symlink(at("ours"), at("link"));
  EXPECT_FALSE(is_artifact_folder(at("link")));
  EXPECT_THROW(make_artifact_folder(at("link")), std::runtime_error);
  EXPECT_FALSE(remove_artifact_folder(at("link")));
  EXPECT_EQ(read(at("ours/keep")), "k");
  // A marker that is a folder, not a file, is no marker.
  fs::create_directories(at("fake/.ktstr-vm-artifacts"));
  EXPECT_FALSE(is_artifact_folder(at("fake")));
}

TEST_F(SuiteArtifactsTest, PrepareNamesEveryFolderInTheWayAndCreatesTheDir) {
  fs::create_directories(at("art/tests"));
  std::ofstream(at("art/tests/precious.txt")) << "mine";
  std::ofstream(at("art/docs")) << "mine";
  make_artifact_folder(at("art/old"));
  std::string e = prepare_artifacts_dir(at("art"), {"tests", "docs", "old", "new"});
  EXPECT_NE(e.find("\n  " + at("art/tests")), std::string::npos) << e;
  EXPECT_NE(e.find("\n  " + at("art/docs")), std::string::npos) << e;
  EXPECT_EQ(e.find(at("art/old")), std::string::npos) << e;  // ours: may be replaced
  EXPECT_EQ(e.find(at("art/new")), std::string::npos) << e;
  EXPECT_NE(e.find("no .ktstr-vm-artifacts in them"), std::string::npos) << e;
  EXPECT_EQ(read(at("art/tests/precious.txt")), "mine");
  EXPECT_EQ(prepare_artifacts_dir(at("art"), {"old", "new"}), "");
  EXPECT_TRUE(is_artifact_folder(at("art/old")));  // checking replaces nothing
  // A missing DIR is made; a DIR that is a file is refused.
  EXPECT_EQ(prepare_artifacts_dir(at("fresh/sub"), {"t"}), "");
  EXPECT_TRUE(fs::is_directory(at("fresh/sub")));
  EXPECT_EQ(prepare_artifacts_dir(at("art/docs"), {"t"}), "--artifacts " + at("art/docs") + ": not a folder");
  EXPECT_EQ(prepare_artifacts_dir(at("art/docs/x"), {"t"}).find("--artifacts " + at("art/docs/x") + ": cannot create it: "),
            0u);
}

}  // namespace
