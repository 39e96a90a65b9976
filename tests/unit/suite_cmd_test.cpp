// `ktstr-vm suite` refuses, before any VM boots and without touching anything of the user's, what
// it can know is wrong: a test named `..` or `.`, an artifacts folder that is not its own, a
// manifest's missing files, a --filter that matches nothing. Every command here also gets a kernel
// that does not exist, so a check that fails to refuse ends at once (a per-test 125, exit 1)
// instead of booting a VM; exit 2 and the absence of artifact folders show that nothing ran.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ktstr/exit_codes.hpp"
#include "run_ktstr_vm.hpp"

namespace fs = std::filesystem;
using ktstr::unittest::run_ktstr_vm;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class SuiteCmdTest : public ::testing::Test {
 protected:
  // A user's project: src/main.c, tests/precious.txt; the suite runs in it.
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ktstr-suite-cmd-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "victim" / "src");
    fs::create_directories(dir_ / "victim" / "tests");
    std::ofstream(dir_ / "victim" / "src" / "main.c") << "code\n";
    std::ofstream(dir_ / "victim" / "tests" / "precious.txt") << "precious\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path victim() const { return dir_ / "victim"; }
  void manifest(const std::string& text) { std::ofstream(victim() / "s.toml") << text; }
  std::pair<int, std::string> suite(const std::string& args) {
    return run_ktstr_vm("suite " + args, "cd " + victim().string() + " && KTSTR_KERNEL=/nonexistent/vmlinux");
  }
  // The user's files are all there, unchanged.
  void expect_untouched() {
    auto read = [](const fs::path& p) {
      std::ifstream f(p);
      std::stringstream s;
      s << f.rdbuf();
      return s.str();
    };
    EXPECT_EQ(read(victim() / "src" / "main.c"), "code\n");
    EXPECT_EQ(read(victim() / "tests" / "precious.txt"), "precious\n");
    EXPECT_TRUE(fs::exists(victim() / "s.toml"));
  }
  fs::path dir_;
};

// Red-team N42: `name = ".."` wiped the working directory (the default artifacts folder's parent).
TEST_F(SuiteCmdTest, DotAndDotDotNamesAreRefusedAndNothingIsRemoved) {
  for (const char* name : {"..", "."}) {
    manifest("[[test]]\nname = \"" + std::string(name) + "\"\nargs = [\"true\"]\n");
    for (const char* extra : {"-j1", "-j1 --artifacts a/b"}) {
      auto [code, out] = suite(std::string("s.toml ") + extra);
      EXPECT_EQ(code, ktstr::exit_code::kUsage) << name << " " << extra << "\n" << out;
      EXPECT_TRUE(has(out, "s.toml:2: 'name': '" + std::string(name) + "': a test name is a folder name")) << out;
      expect_untouched();
      EXPECT_FALSE(fs::exists(victim() / "ktstr-artifacts")) << "nothing ran, so no artifacts folder";
      EXPECT_FALSE(fs::exists(victim() / "a"));
    }
  }
}

// Red-team N41: `--artifacts .` and a test named like the user's `tests/` deleted it.
TEST_F(SuiteCmdTest, AFolderThatIsNotOursIsLeftAloneAndNoVmBoots) {
  manifest("[[test]]\nname = \"tests\"\nargs = [\"true\"]\n[[test]]\nname = \"src\"\nargs = [\"true\"]\n"
           "[[test]]\nname = \"fresh\"\nargs = [\"true\"]\n");
  auto [code, out] = suite("s.toml -j1 --retries 2 --artifacts .");
  EXPECT_EQ(code, ktstr::exit_code::kUsage) << out;
  EXPECT_TRUE(has(out, "\n  ./tests")) << out;
  EXPECT_TRUE(has(out, "\n  ./src")) << out;
  EXPECT_TRUE(has(out, "not made by ktstr-vm (no .ktstr-vm-artifacts in them)")) << out;
  EXPECT_TRUE(has(out, "nothing was run")) << out;
  expect_untouched();
  EXPECT_FALSE(fs::exists(victim() / "fresh")) << "no test started";
  EXPECT_FALSE(fs::exists(victim() / "tests" / ".ktstr-vm-artifacts"));
}

TEST_F(SuiteCmdTest, ArtifactsThatIsAFileIsAUsageError) {
  manifest("[[test]]\nname = \"t\"\nargs = [\"true\"]\n");
  auto [code, out] = suite("s.toml --artifacts src/main.c");
  EXPECT_EQ(code, ktstr::exit_code::kUsage) << out;
  EXPECT_TRUE(has(out, "--artifacts src/main.c: not a folder")) << out;
  expect_untouched();
}

// Red-team N36: these were per-test 125s (retried by --retries) after a boot attempt each.
TEST_F(SuiteCmdTest, ManifestErrorsAreFoundAtLoadWithFileLineAndKey) {
  struct Case {
    std::string body, why;
  };
  for (const Case& c : std::vector<Case>{
           {"include = [\"./nonexistent-dir\"]", "s.toml:4: 'include': "},
           {"scheduler = \"scx_nonexistent\"", "s.toml:4: 'scheduler': scheduler 'scx_nonexistent': not a file"},
           {"kernel = \"/nonexistent/vmlinux\"", "s.toml:4: 'kernel': /nonexistent/vmlinux: no such file"},
           {"sched_enable = \"nope.txt\"", "s.toml:4: 'sched_enable': "},
           {"smp = 2\ntopology = \"1,1,2,1\"", "s.toml:4: 'smp': beside 'topology'"},
           {"verifier_slack = nan", "s.toml:4: 'verifier_slack': expected a finite number"},
       }) {
    manifest("[[test]]\nname = \"t\"\nargs = [\"true\"]\n" + c.body + "\n");
    auto [code, out] = suite("s.toml --retries 2");
    EXPECT_EQ(code, ktstr::exit_code::kUsage) << c.body << "\n" << out;
    EXPECT_TRUE(has(out, c.why)) << c.body << "\n" << out;
    EXPECT_FALSE(fs::exists(victim() / "ktstr-artifacts")) << c.body;
  }
  auto [code, out] = suite(".");
  EXPECT_EQ(code, ktstr::exit_code::kUsage) << out;
  EXPECT_TRUE(has(out, ".: is a directory; give the manifest's TOML file")) << out;
}

// Red-team N20: a typo'd filter passed a CI job with nothing run. An empty shard stays a clean 0.
TEST_F(SuiteCmdTest, FilterMatchingNothingIsAUsageErrorAnEmptyShardIsNot) {
  manifest("[[test]]\nname = \"t1\"\nargs = [\"true\"]\n[[test]]\nname = \"t2\"\nargs = [\"true\"]\n");
  auto [code, out] = suite("s.toml --filter 'nomatch*' --junit j.xml");
  EXPECT_EQ(code, ktstr::exit_code::kUsage) << out;
  EXPECT_TRUE(has(out, "--filter 'nomatch*' matches no test of the 2 in the manifest")) << out;
  EXPECT_FALSE(fs::exists(victim() / "j.xml"));
  std::tie(code, out) = suite("s.toml --filter 'nomatch*' --list");
  EXPECT_EQ(code, ktstr::exit_code::kUsage) << out;
  std::tie(code, out) = suite("s.toml --shard 3/3 --junit j.xml");
  EXPECT_EQ(code, ktstr::exit_code::kOk) << out;
  EXPECT_TRUE(has(out, "shard 3/3 has no test (fewer selected tests than shards); nothing to run")) << out;
  EXPECT_TRUE(fs::exists(victim() / "j.xml"));
  EXPECT_FALSE(fs::exists(victim() / "ktstr-artifacts"));
}

TEST_F(SuiteCmdTest, ReportsNamingOneFileAreRefused) {
  manifest("[[test]]\nname = \"t\"\nargs = [\"true\"]\n");
  auto [code, out] = suite("s.toml --junit r.out --json ./r.out");
  EXPECT_EQ(code, ktstr::exit_code::kUsage) << out;
  EXPECT_TRUE(has(out, "--junit and --json name one file: r.out and ./r.out")) << out;
  EXPECT_FALSE(fs::exists(victim() / "ktstr-artifacts"));
}

}  // namespace
