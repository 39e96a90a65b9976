// Bad settings are refused before anything boots, with the setting and the path in the message:
// --init and TMPDIR. A bad --init must not show as "hung in boot" after the 120 s watchdog.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ktstr/exit_codes.hpp"
#include "run_ktstr_vm.hpp"

using ktstr::unittest::run_ktstr_vm;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(SettingsInit, DynamicProgramIsRefusedBeforeBoot) {
  auto [code, out] = run_ktstr_vm("run --init /bin/true -- true");
  EXPECT_EQ(code, ktstr::exit_code::kInfrastructure) << out;
  EXPECT_TRUE(has(out, "--init /bin/true: dynamically linked")) << out;
  EXPECT_FALSE(has(out, "hung")) << out;
}

TEST(SettingsInit, MissingNonExecutableOrNotElfIsRefused) {
  namespace fs = std::filesystem;
  const std::string plain = fs::temp_directory_path() / ("settings_test_init." + std::to_string(getpid()));
  std::ofstream(plain) << "not a program\n";
  fs::permissions(plain, fs::perms::owner_read | fs::perms::owner_write);
  for (const auto& [path, why] : {std::pair{std::string("/nonexistent/init"), "no such file"},
                                  std::pair{plain, "not executable"},
                                  std::pair{std::string("/etc"), "not a regular file"},
                                  std::pair{std::string("/usr/bin/ldd"), "not an ELF executable"}}) {
    auto [code, out] = run_ktstr_vm("run --init " + path + " -- true");
    EXPECT_EQ(code, ktstr::exit_code::kInfrastructure) << out;
    EXPECT_TRUE(has(out, "--init " + path + ": " + why)) << out;
  }
  auto [code, out] = run_ktstr_vm("shell --init " + plain + " --exec true");
  EXPECT_TRUE(has(out, "--init " + plain + ": not executable")) << out;
  fs::remove(plain);
}

TEST(SettingsTmpdir, MissingFileOrTooLongIsRefused) {
  const std::string file = "/proc/version";  // exists, not a directory
  const std::string long_dir = "/tmp/" + std::string(100, 'x');  // exists, but sockets in it can't
  std::filesystem::create_directories(long_dir);
  for (const auto& [tmpdir, why] : {std::pair{std::string("/nonexistent"), std::string("No such file")},
                                    std::pair{file, std::string("not a directory")},
                                    std::pair{long_dir, std::string("too long for QEMU's unix sockets")}}) {
    auto [code, out] = run_ktstr_vm("run -- true", "TMPDIR=" + tmpdir);
    EXPECT_EQ(code, ktstr::exit_code::kInfrastructure) << out;
    EXPECT_TRUE(has(out, "TMPDIR=" + tmpdir + ": " + why)) << out;
  }
  std::filesystem::remove(long_dir);
}

// --boot-timeout (run, shell, suite): seconds 1-604800, anything else a usage error before boot;
// the help names the default by the vCPU count and the presets too big for TCG on a small host.
TEST(SettingsBootTimeout, OutOfRangeIsAUsageErrorAndHelpExplainsIt) {
  for (const char* bad : {"0", "abc", "604801", "-5"}) {
    for (const char* cmd : {"run", "shell"}) {
      auto [code, out] = run_ktstr_vm(std::string(cmd) + " --boot-timeout " + bad + " -- true");
      EXPECT_EQ(code, ktstr::exit_code::kUsage) << cmd << " " << bad << ": " << out;
    }
    auto [code, out] = run_ktstr_vm(std::string("suite --boot-timeout ") + bad + " /nonexistent.toml");
    EXPECT_EQ(code, ktstr::exit_code::kUsage) << bad << ": " << out;
  }
  auto [code, help] = run_ktstr_vm("run --help");
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(has(help, "--boot-timeout")) << help;
  EXPECT_TRUE(has(help, "120 + N + N*N/64 under TCG")) << help;
  EXPECT_TRUE(has(help, "near-max-llc (1n15l8c2t, 240 vCPUs: minutes under TCG")) << help;
  EXPECT_TRUE(has(run_ktstr_vm("suite --help").second, "--boot-timeout"));
  EXPECT_TRUE(has(run_ktstr_vm("shell --help").second, "--boot-timeout"));
}
