// The foundation: a payload's output and status come back through the real kernel, init and
// ktstr-vm, and a real sched_ext scheduler attaches.
#include <gtest/gtest.h>

#include "vm_harness.hpp"

using ktstr::vmtest::run_vm;

// Payload writes to stdout and stderr and exits 42: bytes and status pass through unchanged.
TEST(VmBasic, PayloadOutputAndExitCodePassThrough) {
  auto r = run_vm({"--", "sh", "-c", "echo out-line; echo err-line >&2; printf 'no-newline'; exit 42"});
  ASSERT_EQ(r.exit_code, 42) << r.describe();
  EXPECT_EQ(r.out, "out-line\nno-newline");
  EXPECT_NE(r.err.find("err-line\n"), std::string::npos);
  EXPECT_EQ(r.stream("SOUT"), "out-line\nno-newline");
  EXPECT_EQ(r.stream("SERR"), "err-line\n");
  ASSERT_FALSE(r.frames.empty());
  EXPECT_EQ(r.frames.front().type, "HELO");
  EXPECT_EQ(r.frames.front().json["proto"], 1);
  EXPECT_EQ(r.frames.front().json["mode"], "test");
  EXPECT_EQ(r.frames.back().type, "DONE");
  EXPECT_EQ(r.frames.back().json["exit_code"], 42);
  EXPECT_TRUE(r.stats.clean()) << r.describe();
  auto exits = r.of("EXIT");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]->json["code"], 42);
  EXPECT_EQ(exits[0]->json["timed_out"], false);
}

// scx_simple attaches before the payload starts; the payload sees it enabled and SCHED_PID.
TEST(VmBasic, SchedulerAttachesBeforePayload) {
  auto r = run_vm({"--scheduler", "scx_simple", "--", "sh", "-c",
                   "echo pid=$SCHED_PID; cat /sys/kernel/sched_ext/state /sys/kernel/sched_ext/root/ops"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const auto* attached = r.event("SCHD", "attached");
  ASSERT_NE(attached, nullptr) << r.describe();
  EXPECT_EQ(attached->json["ops"], "simple");
  std::string pid = std::to_string(attached->json["pid"].get<int>());
  EXPECT_EQ(r.out, "pid=" + pid + "\nenabled\nsimple\n");
  const auto* started = r.event("PHAS", "payload_started");
  ASSERT_NE(started, nullptr);
  EXPECT_LT(attached->seq, started->seq);
  const auto* stopped = r.event("SCHD", "stopped");
  ASSERT_NE(stopped, nullptr) << r.describe();
  EXPECT_EQ(stopped->json["exit_code"], 0);
  EXPECT_NE(r.stream("SLOG").find("EXIT: unregistered from user space"), std::string::npos) << r.describe();
}

// The filesystems of docs/architecture.md are mounted. The initramfs has no /lib/modules, so init
// turns off the kernel's module auto-loading (each request would run a modprobe that can only
// fail, ~20 ms under TCG) and says so in its log.
TEST(VmBasic, MountsPresentAndModuleAutoloadOffWithoutModules) {
  auto r = run_vm({"--", "sh", "-c",
                   "for t in proc sysfs devtmpfs debugfs tracefs bpf cgroup2 devpts; do "
                   "  awk -v t=$t '$3 == t { print t; exit }' /proc/mounts; done; "
                   "echo \"modprobe=[$(cat /proc/sys/kernel/modprobe)]\""});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "proc\nsysfs\ndevtmpfs\ndebugfs\ntracefs\nbpf\ncgroup2\ndevpts\nmodprobe=[]\n");
  EXPECT_NE(r.stream("ILOG").find("kernel module auto-loading off (was /sbin/modprobe)"), std::string::npos)
      << r.stream("ILOG");
}
