// Every form --kernel takes boots and passes: the cached kernel's vmlinux through its PVH entry,
// its bzImage, and a build-directory layout (vmlinux + .config). A bad --kernel or KTSTR_KERNEL
// is refused before anything boots, naming the setting and the path.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "paths.hpp"
#include "vm_harness.hpp"

namespace fs = std::filesystem;
using ktstr::vmtest::run_vm;

namespace {

std::string cached(const char* name) { return ktstr::host::cache_dir() + "/kernel-current/" + name; }

// The guest has its kernel's config at /boot/config-$(uname -r).
const std::vector<std::string> kConfigCheck = {"--", "sh", "-c",
                                               "test -s /boot/config-$(uname -r) && echo config-ok; uname -r"};

}  // namespace

TEST(VmKernelForms, PvhVmlinuxBoots) {
  auto r = run_vm({"--kernel", cached("vmlinux"), "-v", "--timeout", "60", kConfigCheck[0], kConfigCheck[1],
                   kConfigCheck[2], kConfigCheck[3]});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.report["kernel_image"]["format"], "vmlinux-pvh") << r.report["kernel_image"];
  EXPECT_EQ(r.report["kernel_image"]["path"], cached("vmlinux"));
  EXPECT_EQ(r.report["kernel_image"]["setting"], "--kernel");
  std::string release = r.report["kernel_image"]["release"];
  EXPECT_EQ(r.out, "config-ok\n" + release + "\n");
  EXPECT_NE(r.err.find("ktstr-vm: kernel vmlinux (PVH) " + cached("vmlinux")), std::string::npos) << r.err;
  // The host timeline orders the boot's moments.
  const auto& t = r.report["boot_timeline_ms"];
  ASSERT_TRUE(t.contains("init_exec") && t.contains("HELO") && t.contains("payload_started")) << t;
  EXPECT_LE(t["init_exec"].get<double>(), t["HELO"].get<double>()) << t;
  EXPECT_LE(t["HELO"].get<double>(), t["payload_started"].get<double>()) << t;
}

TEST(VmKernelForms, BzImageBoots) {
  auto r = run_vm({"--kernel", cached("vmlinuz"), "--timeout", "60", kConfigCheck[0], kConfigCheck[1],
                   kConfigCheck[2], kConfigCheck[3]});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.report["kernel_image"]["format"], "bzImage") << r.report["kernel_image"];
  EXPECT_EQ(r.report["kernel_image"]["config"], cached("config"));
  EXPECT_EQ(r.out.rfind("config-ok\n", 0), 0u) << r.out;
}

// A kernel build directory as a user's tree leaves it: vmlinux at the top and .config.
TEST(VmKernelForms, BuildDirectoryBoots) {
  std::string dir = ktstr::vmtest::make_temp_dir("ktstr-kbuild");
  fs::create_symlink(cached("vmlinux"), dir + "/vmlinux");
  fs::copy_file(cached("config"), dir + "/.config");
  auto r = run_vm({"--kernel", dir, "--timeout", "60", kConfigCheck[0], kConfigCheck[1], kConfigCheck[2],
                   kConfigCheck[3]});
  fs::remove_all(dir);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.report["kernel_image"]["format"], "vmlinux-pvh") << r.report["kernel_image"];
  EXPECT_EQ(r.report["kernel_image"]["config"], dir + "/.config");
  EXPECT_EQ(r.report["kernel_image"]["given"], dir);
  EXPECT_EQ(r.out.rfind("config-ok\n", 0), 0u) << r.out;
}

// Refused at once (exit 125, nothing booted), the message names the setting and the path.
TEST(VmKernelForms, BadKernelSettingsAreRefusedBeforeBoot) {
  std::string missing = "/nonexistent/ktstr-kernel";
  auto r = run_vm({"--kernel", missing, "--", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("--kernel " + missing + ": no such file or directory"), std::string::npos) << r.err;
  EXPECT_TRUE(r.frames.empty());

  ::setenv("KTSTR_KERNEL", "/etc/hostname", 1);
  r = run_vm({"--", "true"});
  ::unsetenv("KTSTR_KERNEL");
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("KTSTR_KERNEL=/etc/hostname: not a kernel image"), std::string::npos) << r.err;
  EXPECT_TRUE(r.frames.empty());
}
