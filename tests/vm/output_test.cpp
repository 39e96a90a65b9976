// The output tree on the real kernel (docs/output.md): a payload's files come back through the
// data lane byte-exact (a 50 MB file, a file in a subdirectory, a symlink kept as a link, a FIFO
// skipped and reported), a segfaulting payload leaves its ELF core, and a guest without the lane
// (--no-lane) gives the same tree over COM2.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "vm_harness.hpp"

namespace fs = std::filesystem;
using ktstr::vmtest::make_temp_dir;
using ktstr::vmtest::run_vm;
using ktstr::vmtest::slurp;
using ktstr::vmtest::VmResult;

namespace {

// The host's md5sum of a file: its first word.
std::string host_md5(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("md5sum '" + path + "'").c_str(), "r"), pclose);
  char buf[128] = {};
  if (!fgets(buf, sizeof buf, p.get())) return "";
  std::string s = buf;
  return s.substr(0, s.find(' '));
}

// The md5 the payload printed after "md5=".
std::string guest_md5(const VmResult& r) {
  size_t p = r.out.find("md5=");
  return p == std::string::npos ? "" : r.out.substr(p + 4, 32);
}

bool is_link_to(const std::string& path, const std::string& target) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && fs::read_symlink(path) == target;
}

// A tree of every kind: a file of N bytes of random data (its md5 printed), a file in a
// subdirectory, a symlink to /etc/passwd and a FIFO.
std::string tree_script(const std::string& big_bytes) {
  return "set -e; cd \"$KTSTR_OUTPUT\"; head -c " + big_bytes + " /dev/urandom >big; "
         "echo md5=$(md5sum big | cut -d' ' -f1); mkdir sub; printf 'hello\\n' >sub/f; chmod 640 sub/f; "
         "ln -s /etc/passwd link; mkfifo p";
}

// What both ways (lane, COM2) must bring back of tree_script.
void expect_tree(const VmResult& r, const std::string& dir, const std::string& via) {
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto& o = r.report["output"];
  ASSERT_TRUE(o.is_object()) << r.report.dump(1);
  EXPECT_EQ(o["complete"], true) << o.dump(1);
  EXPECT_EQ(o["via"], via);
  EXPECT_EQ(o["error"], "");
  EXPECT_EQ(o["files"], 2);
  EXPECT_EQ(o["symlinks"], 1);
  ASSERT_EQ(o["skipped"].size(), 1u) << o.dump(1);
  EXPECT_EQ(o["skipped"][0]["path"], "p");
  EXPECT_EQ(o["skipped"][0]["kind"], "fifo");
  EXPECT_EQ(o["cores"].size(), 0u);
  std::string md5 = guest_md5(r);
  ASSERT_EQ(md5.size(), 32u) << r.out;
  EXPECT_EQ(host_md5(dir + "/big"), md5);
  EXPECT_EQ(slurp(dir + "/sub/f"), "hello\n");
  EXPECT_EQ(fs::status(dir + "/sub/f").permissions(), fs::perms(0640));
  EXPECT_TRUE(is_link_to(dir + "/link", "/etc/passwd"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir + "/p")));
  EXPECT_TRUE(fs::is_directory(dir + "/cores"));
  EXPECT_NE(r.err.find("ktstr-vm: output: 2 files"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 skipped (fifo: p) -> " + dir), std::string::npos) << r.err;
}

}  // namespace

// Done-when 1 of issue 23: 50 MB, a file in a subdirectory, a symlink, a FIFO, over the lane.
TEST(VmOutput, ATreeComesBackByteExactOverTheLane) {
  std::string tmp = make_temp_dir("/tmp/ktstr-output-test");
  std::string dir = tmp + "/out/nested";  // absent, with a parent that is absent too
  auto r = run_vm({"--output", dir, "--", "sh", "-c", tree_script("52428800")});
  expect_tree(r, dir, "lane");
  EXPECT_EQ(fs::file_size(dir + "/big"), 52428800u);
  EXPECT_EQ(r.report["output"]["bytes"], 52428800 + 6);
  fs::remove_all(tmp);
}

// A guest without the lane sends the same frames over COM2: the same tree (a small one).
TEST(VmOutput, WithoutTheLaneTheSameTreeComesOverCom2) {
  std::string tmp = make_temp_dir("/tmp/ktstr-output-test");
  std::string dir = tmp + "/out";
  auto r = run_vm({"--output", dir, "--no-lane", "--", "sh", "-c", tree_script("100000")});
  expect_tree(r, dir, "com2");
  EXPECT_EQ(fs::file_size(dir + "/big"), 100000u);
  fs::remove_all(tmp);
}

// Done-when 3: a payload that segfaults leaves an ELF core of itself in DIR/cores/, named in the
// report with its program, pid and signal; the run keeps the payload's status (128 + SIGSEGV).
TEST(VmOutput, ASegfaultLeavesItsCore) {
  std::string tmp = make_temp_dir("/tmp/ktstr-output-test");
  std::string dir = tmp + "/out";
  auto r = run_vm({"--output", dir, "--", std::string(KTSTR_DYN_DIR) + "/crash_prog"});
  EXPECT_EQ(r.exit_code, 128 + 11) << r.describe();
  const auto& o = r.report["output"];
  EXPECT_EQ(o["complete"], true) << o.dump(1);
  ASSERT_EQ(o["cores"].size(), 1u) << o.dump(1);
  const auto& c = o["cores"][0];
  EXPECT_EQ(c["program"], "crash_prog");
  EXPECT_EQ(c["signal"], 11);
  EXPECT_EQ(c["signal_name"], "SIGSEGV");
  ASSERT_TRUE(c["pid"].is_number()) << c.dump();
  std::string name = "cores/crash_prog." + std::to_string(c["pid"].get<int>()) + ".core";
  EXPECT_EQ(c["path"], name);
  EXPECT_EQ(slurp(dir + "/" + name).substr(0, 4), "\x7f" "ELF");
  EXPECT_NE(r.err.find("ktstr-vm: core: " + name + " (crash_prog, SIGSEGV)"), std::string::npos) << r.err;
  fs::remove_all(tmp);
}

// Without --output the guest sends no tree, and a core dump gets a hint.
TEST(VmOutput, WithoutOutputACoreGetsAHint) {
  auto r = run_vm({"--", std::string(KTSTR_DYN_DIR) + "/crash_prog"});
  EXPECT_EQ(r.exit_code, 128 + 11) << r.describe();
  EXPECT_TRUE(r.report["output"].is_null());
  EXPECT_EQ(r.of("FENT").size(), 0u);
  EXPECT_NE(r.err.find("ktstr-vm: core dumped; use --output DIR to get it"), std::string::npos) << r.err;
}

// shell --exec takes a tree too.
TEST(VmOutput, ShellExecTakesATree) {
  std::string tmp = make_temp_dir("/tmp/ktstr-output-test");
  std::string dir = tmp + "/tree";  // run_captured keeps stdout in tmp/out
  int rc = ktstr::vmtest::run_captured(
      {KTSTR_VM_BIN, "shell", "--output", dir, "--exec", "echo from-exec >$KTSTR_OUTPUT/x; exit 3"}, tmp);
  EXPECT_EQ(rc, 3) << slurp(tmp + "/err");
  EXPECT_EQ(slurp(dir + "/x"), "from-exec\n");
  EXPECT_NE(slurp(tmp + "/err").find("ktstr-vm: output: 1 file"), std::string::npos) << slurp(tmp + "/err");
  fs::remove_all(tmp);
}

// Done-when 5 of issue 23 through the tree: the on-failure hook's output lands in DIR's
// on-failure.log, and the payload's status stays.
TEST(VmOutput, TheOnFailureHooksLogIsInTheTree) {
  std::string tmp = make_temp_dir("/tmp/ktstr-output-test");
  std::string dir = tmp + "/out";
  auto r = run_vm({"--scheduler", "scx_simple", "--on-failure", "cat /sys/kernel/sched_ext/root/ops", "--output", dir,
                   "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_EQ(r.report["output"]["complete"], true) << r.report["output"].dump(1);
  EXPECT_EQ(slurp(dir + "/on-failure.log"), "simple\n");
  fs::remove_all(tmp);
}

// A scheduler that crashes (here: SIGSEGV from the payload) leaves its core too; the run fails
// as a dead scheduler does (125), and the tree still comes back whole.
TEST(VmOutput, ACrashedSchedulersCoreComesBack) {
  std::string tmp = make_temp_dir("/tmp/ktstr-output-test");
  std::string dir = tmp + "/out";
  auto r = run_vm({"--scheduler", "scx_simple", "--output", dir, "--", "sh", "-c", "kill -SEGV $SCHED_PID; sleep 5"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  const auto& o = r.report["output"];
  EXPECT_EQ(o["complete"], true) << o.dump(1);
  ASSERT_EQ(o["cores"].size(), 1u) << o.dump(1);
  // The scheduler runs as /scheduler in the guest (docs/initramfs.md): that is its name there.
  EXPECT_EQ(o["cores"][0]["program"], "scheduler");
  EXPECT_EQ(o["cores"][0]["signal_name"], "SIGSEGV");
  std::string path = o["cores"][0]["path"];
  EXPECT_TRUE(path.starts_with("cores/scheduler.")) << path;
  EXPECT_EQ(slurp(dir + "/" + path).substr(0, 4), "\x7f" "ELF");
  fs::remove_all(tmp);
}
