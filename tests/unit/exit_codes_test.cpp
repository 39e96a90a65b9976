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

// Red-team N131: each subcommand's --help lists its own statuses, not run's table.
TEST(ExitCodes, SubcommandHelpListsItsOwnStatuses) {
  auto [dcode, decode] = run_ktstr_vm("decode --help");
  EXPECT_EQ(dcode, 0);
  EXPECT_NE(decode.find("\n  1  anything else"), std::string::npos) << decode;
  auto [rcode, report] = run_ktstr_vm("report --help");
  EXPECT_EQ(rcode, 0);
  EXPECT_NE(report.find("\n  2  usage error; the input is missing"), std::string::npos) << report;
  auto [pcode, pack] = run_ktstr_vm("pack --help");
  EXPECT_EQ(pcode, 0);
  EXPECT_NE(pack.find("\n  127 "), std::string::npos) << pack;
  for (const std::string* help : {&decode, &report, &pack}) {
    EXPECT_EQ(help->find("the payload timed out"), std::string::npos) << *help;
    EXPECT_EQ(help->find("EXAMPLES"), std::string::npos) << *help;
  }
}

// Red-team A4e, N106: a numeric option given text says "not a number" (CLI11 said "not in range
// 0 to 604800"), in every subcommand; a value out of range names the range.
TEST(ExitCodes, NumericOptionsSayNotANumber) {
  for (const char* args : {"run --timeout abc -- true", "run --verifier-slack abc -- true", "run --smp abc -- true",
                           "shell --memory abc", "run --stats-ms abc -- true", "run --watchdog abc -- true",
                           "shell --silence abc", "run --attach-timeout-ms abc -- true", "suite -j abc m.toml",
                           "suite --retries abc m.toml"}) {
    auto [code, out] = run_ktstr_vm(args);
    EXPECT_EQ(code, ec::kUsage) << args;
    // "abc is not a number"; main's finite_number for --verifier-slack says "'abc' is not a finite number".
    EXPECT_NE(out.find("abc"), std::string::npos) << args << ":\n" << out;
    EXPECT_NE(out.find(" is not a "), std::string::npos) << args << ":\n" << out;
    EXPECT_NE(out.find("number"), std::string::npos) << args << ":\n" << out;
    EXPECT_EQ(out.find("not in range"), std::string::npos) << args << ":\n" << out;
  }
  auto [code, out] = run_ktstr_vm("run --timeout 700000 -- true");
  EXPECT_EQ(code, ec::kUsage);
  EXPECT_NE(out.find("700000 is not in the range 0 to 604800"), std::string::npos) << out;
}

// Red-team N59: a mistyped --topology preset gets the closest name, in run, shell and suite.
TEST(ExitCodes, TopologyTypoSuggestsAPreset) {
  auto [code, out] = run_ktstr_vm("run --topology numa2-4lcc -- true");
  EXPECT_EQ(code, ec::kUsage);
  EXPECT_NE(out.find("did you mean 'numa2-4llc'?"), std::string::npos) << out;
  auto [scode, sout] = run_ktstr_vm("shell --topology tiny-llc");
  EXPECT_EQ(scode, ec::kUsage);
  EXPECT_NE(sout.find("did you mean 'tiny-1llc'?"), std::string::npos) << sout;
}
