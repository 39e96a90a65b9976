// Files the user asked for: refused before anything boots if they cannot be opened, and a failed
// write (a full disk) is kept as an error naming the option and the path.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "output_file.hpp"

using ktstr::host::OutputFile;

TEST(OutputFile, UnwritablePathIsRefusedAtOnce) {
  try {
    OutputFile f("--json", "/nonexistent-dir/report.json");
    FAIL() << "opened";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "--json /nonexistent-dir/report.json: No such file or directory");
  }
}

TEST(OutputFile, FullDiskIsAnErrorNamingTheOption) {
  OutputFile f("--com2-log", "/dev/full");
  EXPECT_TRUE(f.error().empty());
  f.write("frames");
  EXPECT_EQ(f.error(), "--com2-log /dev/full: write failed: No space left on device");
}

TEST(OutputFile, EmptyPathIgnoresWrites) {
  OutputFile f("--json", "");
  EXPECT_FALSE(f.is_open());
  f.write("x");
  EXPECT_TRUE(f.error().empty());
}

// ktstr-vm run refuses an unwritable --json before it resolves, packs or boots anything.
TEST(OutputFile, RunRefusesUnwritableReportBeforeBooting) {
  std::string err_path = (std::filesystem::temp_directory_path() / "ktstr-outfile-test.err").string();
  std::string cmd = std::string(KTSTR_VM_BIN) + " run --json /nonexistent-dir/r.json -- true 2>" + err_path;
  int status = std::system(cmd.c_str());
  std::ifstream f(err_path);
  std::stringstream err;
  err << f.rdbuf();
  std::filesystem::remove(err_path);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 125) << err.str();
  EXPECT_NE(err.str().find("--json /nonexistent-dir/r.json: No such file or directory"), std::string::npos)
      << err.str();
  EXPECT_EQ(err.str().find(" | "), std::string::npos) << "a run summary: something ran\n" << err.str();
}
