// `ktstr-vm run`'s options that cannot make a sensible run are refused before anything boots
// (exit 2): outputs naming one file, verifier-baseline options that cannot work, a non-finite
// --verifier-slack (NaN turned the guard off), an --output DIR that is not absent or empty. Every command here also gets a kernel that does
// not exist, so a check that fails to refuse ends in 125 at once instead of booting a VM.
#include "run.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ktstr/exit_codes.hpp"
#include "run_ktstr_vm.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;
using ktstr::unittest::run_ktstr_vm;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class RunOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ktstr-run-options-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    base_ = (dir_ / "base.json").string();
    std::ofstream(base_) << R"({"programs": {"simple_enqueue": 10}})";
  }
  void TearDown() override { fs::remove_all(dir_); }
  // ktstr-vm ARGS in dir_, with a kernel that cannot boot.
  std::pair<int, std::string> run(const std::string& args) {
    return run_ktstr_vm(args, "cd " + dir_.string() + " && KTSTR_KERNEL=/nonexistent/vmlinux");
  }
  fs::path dir_;
  std::string base_;
};

TEST_F(RunOptionsTest, VerifierOptionsNeedASchedulerABaselineAndAWritableFile) {
  RunOptions o;
  o.verifier_baseline = base_;
  EXPECT_EQ(run_options_error(o, false),
            "--verifier-baseline needs --scheduler: without a scheduler under test no BPF programs are loaded to compare");
  o = {};
  o.write_verifier_baseline = (dir_ / "w.json").string();
  EXPECT_TRUE(run_options_error(o, false).starts_with("--write-verifier-baseline needs --scheduler"));
  o.scheduler = "scx_simple";
  EXPECT_EQ(run_options_error(o, false), "");
  EXPECT_FALSE(fs::exists(dir_ / "w.json"));
  o.write_verifier_baseline = "/nonexistent/b.json";
  EXPECT_EQ(run_options_error(o, false), "--write-verifier-baseline /nonexistent/b.json: No such file or directory");
  o = {};
  o.scheduler = "scx_simple";
  EXPECT_EQ(run_options_error(o, true),
            "--verifier-slack needs --verifier-baseline: there is no baseline to allow slack against");
  o.verifier_baseline = base_;
  EXPECT_EQ(run_options_error(o, true), "");
}

TEST_F(RunOptionsTest, OutputsNamingOneFileAreRefused) {
  RunOptions o;
  o.com2_log = (dir_ / "same.out").string();
  o.console_log = (dir_ / "c.log").string();
  o.json_report = (dir_ / "." / "same.out").string();
  EXPECT_TRUE(run_options_error(o, false).starts_with("--com2-log and --json name one file: ")) << run_options_error(o, false);
  o.json_report.clear();
  o.write_verifier_baseline = o.console_log;
  o.scheduler = "scx_simple";
  EXPECT_TRUE(run_options_error(o, false).starts_with("--console-log and --write-verifier-baseline name one file"));
}

// The red-team commands, end to end: each exits 2 with its reason and boots nothing.
TEST_F(RunOptionsTest, CommandLinesAreRefusedBeforeBoot) {
  struct Case {
    std::string args, why;
  };
  for (const Case& c : std::vector<Case>{
           {"run --scheduler scx_simple --verifier-baseline base.json --verifier-slack nan -- true",
            "'nan' is not a finite number (expected 0 to 10000)"},
           {"run --scheduler scx_simple --verifier-baseline base.json --verifier-slack inf -- true",
            "'inf' is not a finite number"},
           {"run --scheduler scx_simple --verifier-baseline base.json --verifier-slack abc -- true",
            "'abc' is not a finite number"},
           {"run --scheduler scx_simple --verifier-baseline base.json --verifier-slack 10001 -- true",
            "'10001' is out of range 0 to 10000"},
           {"run --verifier-baseline base.json -- true", "--verifier-baseline needs --scheduler"},
           {"run --write-verifier-baseline w.json -- true", "--write-verifier-baseline needs --scheduler"},
           {"run --scheduler scx_simple --write-verifier-baseline /nonexistent/b.json -- true",
            "--write-verifier-baseline /nonexistent/b.json: No such file or directory"},
           {"run --verifier-slack 5 -- true", "--verifier-slack needs --verifier-baseline"},
           {"run --com2-log same.out --console-log same.out --json same.out -- true",
            "--com2-log and --console-log name one file: same.out"},
           {"run --json r.json --junit ./r.json -- true", "--json and --junit name one file: r.json and ./r.json"},
           {"shell --console-log s.log --sched-log " + (dir_ / "s.log").string() + " --exec true",
            "--console-log and --sched-log name one file"},
           {"run --output base.json -- true", "--output base.json: exists and is not a directory"},
           {"run --output . -- true", "--output .: not empty"},
           {"run --output base.json/sub -- true", "--output base.json/sub: Not a directory"},
           {"run --output-limit 5 -- true", "--output-limit requires --output"},
           {"run --output new --output-limit 0 -- true", "0 is not in the range 1 to"},
           {"run --output new --output-limit abc -- true", "abc is not a number"},
           {"shell --output new", "--output requires --exec"},
       }) {
    auto [code, out] = run(c.args);
    EXPECT_EQ(code, ktstr::exit_code::kUsage) << c.args << "\n" << out;
    EXPECT_TRUE(has(out, c.why)) << c.args << "\n" << out;
    EXPECT_FALSE(has(out, "kernel")) << c.args << "\n" << out;  // never got as far as the kernel
  }
  EXPECT_FALSE(fs::exists(dir_ / "same.out"));
  EXPECT_FALSE(fs::exists(dir_ / "w.json"));
  EXPECT_FALSE(fs::exists(dir_ / "new"));
  // /dev/null may take any number of logs: nothing there is overwritten.
  auto [code, out] = run("run --console-log /dev/null --sched-log /dev/null -- true");
  EXPECT_EQ(code, ktstr::exit_code::kInfrastructure) << out;  // past the checks, then: no kernel
  EXPECT_TRUE(has(out, "/nonexistent/vmlinux")) << out;
}

}  // namespace
