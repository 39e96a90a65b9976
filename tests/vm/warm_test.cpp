// Warm guests (docs/warm.md): a run restores a saved, booted guest and hands it the test. Each test
// here uses a memory size of its own, so its snapshot is its own: another test running beside it
// (ctest -j2) neither restores nor spoils it.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "paths.hpp"
#include "vm_harness.hpp"

namespace fs = std::filesystem;
using ktstr::vmtest::run_vm;
using ktstr::vmtest::VmResult;

namespace {

std::string snapshot_dir(const VmResult& r) {
  return ktstr::host::cache_dir() + "/snapshots/" + r.report["start"].value("snapshot", std::string("?"));
}

// Runs once so that a snapshot of this shape exists (made now, or already there).
void ensure_snapshot(const std::vector<std::string>& shape) {
  std::vector<std::string> args = shape;
  args.insert(args.end(), {"--", "true"});
  VmResult r = run_vm(args);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_TRUE(fs::exists(snapshot_dir(r) + "/snapshot")) << r.report["start"] << "\n" << r.err;
}

std::string field(const std::string& out, const std::string& name) {
  size_t at = out.find(name + "=");
  if (at == std::string::npos) return "";
  size_t end = out.find('\n', at);
  return out.substr(at + name.size() + 1, end - at - name.size() - 1);
}

}  // namespace

// Two warm runs in a row: the second restores the clean snapshot, not the first one's guest (its
// /tmp file is gone), its random pool is its own (a new boot id and uuid), and its clock is the
// host's (within 5 s), though both restore the same saved memory.
TEST(VmWarm, EachRestoreIsFreshAndIsolated) {
  const std::vector<std::string> shape = {"--memory", "832"};
  ensure_snapshot(shape);
  const char* script =
      "[ -e /tmp/left-behind ] && echo tmp=present || echo tmp=absent; echo secret > /tmp/left-behind; "
      "echo uuid=$(cat /proc/sys/kernel/random/uuid); echo date=$(date +%s)";
  std::vector<std::string> args = shape;
  args.insert(args.end(), {"--", "sh", "-c", script});
  VmResult a = run_vm(args);
  time_t host_a = time(nullptr);
  VmResult b = run_vm(args);
  time_t host_b = time(nullptr);
  ASSERT_EQ(a.exit_code, 0) << a.describe();
  ASSERT_EQ(b.exit_code, 0) << b.describe();
  EXPECT_EQ(a.report["start"]["kind"], "restore") << a.report["start"];
  EXPECT_EQ(b.report["start"]["kind"], "restore") << b.report["start"];
  EXPECT_EQ(field(a.out, "tmp"), "absent") << a.out;
  EXPECT_EQ(field(b.out, "tmp"), "absent") << b.out;
  EXPECT_EQ(field(a.out, "uuid").size(), 36u) << a.out;
  EXPECT_NE(field(a.out, "uuid"), field(b.out, "uuid"));
  EXPECT_LE(std::llabs(std::atoll(field(a.out, "date").c_str()) - host_a), 5) << a.out;
  EXPECT_LE(std::llabs(std::atoll(field(b.out, "date").c_str()) - host_b), 5) << b.out;
  // The first frame of a warm run is the guest's HELO, as in a cold one, and says how it started.
  ASSERT_FALSE(b.frames.empty());
  EXPECT_EQ(b.frames.front().type, "HELO");
  EXPECT_EQ(b.frames.front().json["start"], "warm") << b.frames.front().bytes;
  EXPECT_TRUE(b.stats.clean()) << b.describe();
}

// A snapshot is used only by the guest it was made for: another --append, --topology or --memory
// gets a snapshot of its own, and the guest sees its own cmdline and shape.
TEST(VmWarm, ShapeAndCmdlineNeverReuseAnotherSnapshot) {
  const char* probe = "echo cmdline=$(cat /proc/cmdline); echo cpus=$(nproc); "
                      "echo mem=$(awk '/MemTotal/ {print $2}' /proc/meminfo)";
  VmResult plain = run_vm({"--memory", "864", "--", "sh", "-c", probe});
  VmResult append = run_vm({"--memory", "864", "--append", "ktstr_warm_probe=1", "--", "sh", "-c", probe});
  VmResult topo = run_vm({"--memory", "864", "--topology", "1,1,3,1", "--", "sh", "-c", probe});
  VmResult mem = run_vm({"--memory", "896", "--", "sh", "-c", probe});
  for (const VmResult* r : {&plain, &append, &topo, &mem}) ASSERT_EQ(r->exit_code, 0) << r->describe();
  EXPECT_EQ(field(plain.out, "cmdline").find("ktstr_warm_probe"), std::string::npos) << plain.out;
  EXPECT_NE(field(append.out, "cmdline").find("ktstr_warm_probe=1"), std::string::npos) << append.out;
  EXPECT_EQ(field(plain.out, "cpus"), "2");
  EXPECT_EQ(field(topo.out, "cpus"), "3");
  EXPECT_LT(std::atol(field(plain.out, "mem").c_str()), std::atol(field(mem.out, "mem").c_str()));
  std::set<std::string> keys;
  for (const VmResult* r : {&plain, &append, &topo, &mem}) keys.insert(r->report["start"].value("snapshot", ""));
  EXPECT_EQ(keys.size(), 4u) << "four shapes, four snapshots";
}

// A snapshot damaged on disk (one byte in the middle of the guest's memory) is caught before the
// guest runs: the run says so in one line, boots cold, and its verdict is the right one. The
// damaged snapshot is removed; the next run makes a new one.
TEST(VmWarm, CorruptSnapshotFallsBackToAColdBoot) {
  const std::vector<std::string> shape = {"--memory", "928"};
  ensure_snapshot(shape);
  std::vector<std::string> args = shape;
  args.insert(args.end(), {"--", "true"});
  VmResult first = run_vm(args);
  ASSERT_EQ(first.report["start"]["kind"], "restore") << first.report["start"];
  std::string file = snapshot_dir(first) + "/snapshot";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f) << file;
    f.seekg(0, std::ios::end);
    std::streamoff size = f.tellg();
    f.seekp(size / 2);
    char c = 0;
    f.seekg(size / 2);
    f.read(&c, 1);
    c = char(~c);
    f.seekp(size / 2);
    f.write(&c, 1);
  }
  std::vector<std::string> fail_args = shape;
  fail_args.insert(fail_args.end(), {"--", "sh", "-c", "echo cold-and-right; exit 3"});
  VmResult r = run_vm(fail_args);
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_EQ(r.out, "cold-and-right\n");
  EXPECT_EQ(r.report["start"]["kind"], "cold") << r.report["start"];
  EXPECT_NE(r.err.find("ktstr-vm: note: warm start failed: "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(file)) << "the damaged snapshot is removed";
}

// --cold boots the whole initramfs, as `ktstr-vm pack` gives it.
TEST(VmWarm, ColdBootsTheWholeInitramfs) {
  VmResult r = run_vm({"--cold", "--", "sh", "-c", "echo cold"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "cold\n");
  EXPECT_EQ(r.report["start"]["kind"], "cold");
  EXPECT_EQ(r.report["start"]["why"], "--cold");
  ASSERT_FALSE(r.frames.empty());
  EXPECT_EQ(r.frames.front().json["start"], "cold") << r.frames.front().bytes;
}

// A scheduler, its arguments and an included file arrive over the lane in a warm run, at the
// paths a cold boot unpacks them to.
TEST(VmWarm, SchedulerAndIncludesArriveOverTheLane) {
  std::string data = ktstr::vmtest::temp_file("warm-data.txt", "included-bytes\n", 0644);
  VmResult r = run_vm({"--memory", "960", "--scheduler", "scx_simple", "--include", data, "--", "sh", "-c",
                       "cat /include-files/warm-data.txt; cat /sys/kernel/sched_ext/root/ops"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "included-bytes\nsimple\n");
  EXPECT_NE(r.report["start"]["kind"], "cold") << r.report["start"];
}

// The cold path as the design card has it: `ktstr-vm pack` gives an initramfs that boots under the
// user's own QEMU, with the cmdline of docs/cmdline.md, and the frames on COM2 say how it went.
TEST(VmWarm, PackedInitramfsBootsUnderAHandWrittenQemu) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-handboot");
  std::string cpio = dir + "/initramfs.cpio.zst", com2 = dir + "/com2.bin";
  ASSERT_EQ(ktstr::vmtest::run_captured({KTSTR_VM_BIN, "pack", "-o", cpio, "--", "sh", "-c", "echo by-hand; exit 7"}, dir),
            0)
      << ktstr::vmtest::slurp(dir + "/err");
  std::string kernel = ktstr::host::cache_dir() + "/kernel-current/vmlinux";
  std::vector<std::string> qemu = {"/usr/bin/qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
                                   "-no-reboot", "-machine", "pc", "-accel", "tcg,thread=single", "-m", "512",
                                   "-kernel", kernel, "-initrd", cpio, "-append",
                                   "console=ttyS0 reboot=k panic=-1 quiet KTSTR_TOPO=1,1,1,1", "-serial", "null",
                                   "-serial", "file:" + com2};
  ASSERT_EQ(ktstr::vmtest::run_captured(qemu, dir), 0) << ktstr::vmtest::slurp(dir + "/err");
  ASSERT_EQ(ktstr::vmtest::run_captured({KTSTR_VM_BIN, "decode", "--stream", "SOUT", com2}, dir), 0)
      << ktstr::vmtest::slurp(dir + "/err");
  EXPECT_EQ(ktstr::vmtest::slurp(dir + "/out"), "by-hand\n");
  ASSERT_EQ(ktstr::vmtest::run_captured({KTSTR_VM_BIN, "decode", "--json", com2}, dir), 0);
  std::string frames = ktstr::vmtest::slurp(dir + "/out");
  EXPECT_NE(frames.find("\"start\":\"cold\""), std::string::npos) << frames;
  EXPECT_NE(frames.find("\"exit_code\":7"), std::string::npos) << frames;
  fs::remove_all(dir);
}
