// What scheduler developers build runs as it is: a dynamically linked scheduler, host tools by
// name (stress-ng, bpftool) and a dynamic C++ payload, each packed with its libraries.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "vm_harness.hpp"

namespace fs = std::filesystem;
using ktstr::vmtest::run_vm;

// The fixture scheduler as the kernel tree builds it by default (glibc, libelf, libz), with
// stress-ng from the host by its bare name: the scheduler attaches, stress-ng's own output comes
// back, exit 0.
TEST(VmHostPrograms, DynamicSchedulerWithStressNgByName) {
  auto r = run_vm({"--scheduler", "scx_ktstr_test-dynamic", "--", "stress-ng", "--cpu", "2", "--timeout", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto* attached = r.event("SCHD", "attached");
  ASSERT_NE(attached, nullptr) << r.describe();
  EXPECT_EQ(attached->json["ops"], "ktstr_test");
  std::string said = r.out + r.err;
  EXPECT_NE(said.find("stress-ng: info"), std::string::npos) << said;
  EXPECT_NE(said.find("successful run completed"), std::string::npos) << said;
}

// bpftool from the host, by name, sees the attached scheduler's struct_ops map.
// A closure too big for the guest's memory: the boot cannot unpack it (the kernel panics or the
// initramfs arrives truncated), and ktstr-vm has said why before booting.
TEST(VmHostPrograms, InitramfsTooBigForTheMemoryIsExplained) {
  auto r = run_vm({"--memory", "128", "--scheduler", "scx_ktstr_test-dynamic", "--", "stress-ng", "--version"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("warning: the initramfs is "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("more than a quarter of --memory 128"), std::string::npos) << r.err;
}

TEST(VmHostPrograms, BpftoolShowsTheAttachedScheduler) {
  auto r = run_vm({"--scheduler", "scx_simple", "--", "bpftool", "struct_ops", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("simple_ops"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("sched_ext_ops"), std::string::npos) << r.describe();
}

// A dynamic C++ program (libstdc++) given by path runs, and its exit status passes through.
TEST(VmHostPrograms, DynamicCxxPayloadStatusPassesThrough) {
  auto r = run_vm({"--", std::string(KTSTR_DYN_DIR) + "/cxx_payload", "7", "x"});
  ASSERT_EQ(r.exit_code, 7) << r.describe();
  EXPECT_EQ(r.out, "cxx payload with 2 args\n");
}

// A library that cannot be found stops the run before QEMU starts: non-zero, both named, no
// console output at all.
TEST(VmHostPrograms, MissingLibraryFailsBeforeBoot) {
  std::string dir = ktstr::vmtest::make_temp_dir("missing_lib");
  fs::copy_file(std::string(KTSTR_DYN_DIR) + "/origin/bin/origin_prog", dir + "/origin_prog");
  auto r = run_vm({"--", dir + "/origin_prog"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("liborigin_fixture.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir + "/origin_prog"), std::string::npos) << r.err;
  EXPECT_TRUE(r.console.empty()) << "QEMU started:\n" << r.console;
  EXPECT_TRUE(r.frames.empty());
  fs::remove_all(dir);
}

// A name found nowhere is 127 at once with a hint; a directory as program or scheduler is 126.
TEST(VmHostPrograms, NotFoundAndDirectoryAnswerAtOnce) {
  auto r = run_vm({"--", "no-such-program-ktstr", "x"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  EXPECT_NE(r.err.find("--tool"), std::string::npos) << r.err;
  EXPECT_TRUE(r.console.empty());
  std::string dir = ktstr::vmtest::make_temp_dir("dir_prog");
  r = run_vm({"--", dir});
  EXPECT_EQ(r.exit_code, 126) << r.describe();
  r = run_vm({"--scheduler", dir, "--", "true"});
  EXPECT_EQ(r.exit_code, 126) << r.describe();
  EXPECT_TRUE(r.console.empty());
  fs::remove_all(dir);
}

namespace {
// A scratch dir under /tmp itself (not $TMPDIR): the guest mounts its own /tmp.
std::string make_tmp_dir(const std::string& prefix) {
  std::string t = "/tmp/" + prefix + ".XXXXXX";
  if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
  return t;
}
}  // namespace

// Host files packed at host paths under /tmp stay visible in the guest: a library found through
// LD_LIBRARY_PATH in a /tmp dir, and a --tool under /tmp. /tmp stays writable and sticky.
TEST(VmHostPrograms, PackedFilesUnderTmpAreVisible) {
  std::string dir = make_tmp_dir("ktstr_tmp_closure");
  fs::create_directories(dir + "/lib");
  fs::create_directories(dir + "/tools");
  fs::copy_file(std::string(KTSTR_DYN_DIR) + "/origin/bin/origin_prog", dir + "/origin_prog");
  fs::copy_file(std::string(KTSTR_DYN_DIR) + "/origin/lib/liborigin_fixture.so", dir + "/lib/liborigin_fixture.so");
  fs::copy_file(std::string(KTSTR_DYN_DIR) + "/cxx_payload", dir + "/tools/cxx_tool");
  const char* old = std::getenv("LD_LIBRARY_PATH");
  std::string saved = old ? old : "";
  setenv("LD_LIBRARY_PATH", (dir + "/lib").c_str(), 1);  // origin_prog's $ORIGIN/../lib is not there
  auto r = run_vm({"--tool", dir + "/tools/cxx_tool", "--include", dir + "/origin_prog", "--", "sh", "-c",
                   "origin_prog && cxx_tool 0 x && stat -c 'tmp %a' /tmp && touch /tmp/w && echo written"});
  if (old) setenv("LD_LIBRARY_PATH", saved.c_str(), 1);
  else unsetenv("LD_LIBRARY_PATH");
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("origin answer 42"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("cxx payload with 2 args"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("tmp 1777"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("written"), std::string::npos) << r.describe();
  fs::remove_all(dir);
}

// A #!/bin/bash script runs without --tool: pack brings bash (busybox sh has no arrays).
TEST(VmHostPrograms, BashScriptRunsWithoutTool) {
  if (!fs::is_regular_file("/bin/bash")) GTEST_SKIP() << "no /bin/bash on this host";
  std::string dir = ktstr::vmtest::make_temp_dir("bash_script");
  std::ofstream(dir + "/test.sh") << "#!/bin/bash\na=(bash array); echo \"${a[0]}-${a[1]} $1\"\n";
  fs::permissions(dir + "/test.sh", fs::perms::owner_all);
  auto r = run_vm({"--", dir + "/test.sh", "ok"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "bash-array ok\n") << r.describe();
  fs::remove_all(dir);
}

// A program path that is no file is 127 before anything boots: no console, no frames.
TEST(VmHostPrograms, MissingProgramPathFailsBeforeBoot) {
  auto r = run_vm({"--", "./nonexistent_prog_ktstr", "x"});
  EXPECT_EQ(r.exit_code, 127) << r.describe();
  EXPECT_NE(r.err.find("./nonexistent_prog_ktstr"), std::string::npos) << r.err;
  EXPECT_TRUE(r.console.empty()) << "QEMU started:\n" << r.console;
  EXPECT_TRUE(r.frames.empty());
}
