// The exit statuses: one definition (include/ktstr/exit_codes.hpp), and ktstr-vm's command-line
// errors end with the usage status, not CLI11's own codes, which look like a payload's.
#include <gtest/gtest.h>
#include <string>

#include "ktstr/exit_codes.hpp"
#include "run_ktstr_vm.hpp"

namespace ec = ktstr::exit_code;

using ktstr::unittest::run_ktstr_vm;

TEST(ExitCodes, ShellConventions) {
  EXPECT_EQ(ec::for_signal(9), 137);
  EXPECT_EQ(ec::for_signal(1), ec::kHangup);
  EXPECT_EQ(ec::for_signal(2), ec::kInterrupted);
  EXPECT_EQ(ec::for_signal(15), ec::kTerminated);
  EXPECT_EQ(ec::for_exec_errno(ENOENT), ec::kNotFound);
  EXPECT_EQ(ec::for_exec_errno(ENOTDIR), ec::kNotFound);
  EXPECT_EQ(ec::for_exec_errno(EACCES), ec::kNotExecutable);
  EXPECT_EQ(ec::for_exec_errno(ENOEXEC), ec::kNotExecutable);
}

// 105 (bad value), 106 (unknown option), 109 (no subcommand), 106 (missing required) before.
TEST(ExitCodes, UsageErrorsExitWithTheUsageStatus) {
  for (const char* args : {"", "run --smp 0 -- true", "run --bogus -- true", "run", "nosuchcmd",
                           "decode --stream XXXX -", "run --accel nope -- true"}) {
    auto [code, out] = run_ktstr_vm(args);
    EXPECT_EQ(code, ec::kUsage) << "ktstr-vm " << args << ":\n" << out;
  }
}

TEST(ExitCodes, HelpAndVersionExitZeroAndHelpListsEveryStatus) {
  auto [code, out] = run_ktstr_vm("--help");
  EXPECT_EQ(code, 0);
  for (const char* s : {"\n  2 ", "\n  124 ", "\n  125 ", "\n  126 ", "\n  127 ", "129 ", "130 ", "143 "})
    EXPECT_NE(out.find(s), std::string::npos) << "--help does not list " << s;
  EXPECT_EQ(run_ktstr_vm("--version").first, 0);
  EXPECT_EQ(run_ktstr_vm("run --help").first, 0);
}
