// The kernel cmdline ktstr-vm boots the guest with, and the QEMU argv.
#include "qemu.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "guest_config.hpp"

using ktstr::host::kernel_cmdline;
using ktstr::host::VmOptions;

namespace {
size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}
}  // namespace

// Console, exit-on-panic, the KTSTR_ keys, the user's words in order, and the dump tracepoint
// enabled from boot.
TEST(KernelCmdline, CarriesKeysUserWordsAndTheDumpEvent) {
  VmOptions vm;
  vm.append = {"nokaslr", "sched_ext.slice_bypass_us=100"};
  std::string s = kernel_cmdline(vm, {"KTSTR_TOPO=1,1,2,1", "KTSTR_MODE=test"});
  EXPECT_EQ(s.rfind("console=ttyS0 reboot=k panic=-1 loglevel=4 quiet no_timer_check ", 0), 0u) << s;
  EXPECT_NE(s.find(" KTSTR_MODE=test nokaslr sched_ext.slice_bypass_us=100 "), std::string::npos) << s;
  EXPECT_NE(s.find(" KTSTR_TOPO=1,1,2,1 KTSTR_MODE=test "), std::string::npos) << s;
  EXPECT_EQ(count(s, "trace_event="), 1u) << s;
  EXPECT_NE(s.find(" trace_event=sched_ext:sched_ext_dump"), std::string::npos) << s;
}

// The kernel keeps only the last trace_event= word: the user's events and ours share one.
TEST(KernelCmdline, DumpEventJoinsTheUsersTraceEventWord) {
  VmOptions vm;
  vm.append = {"trace_event=sched:sched_switch,irq:*", "quiet"};
  std::string s = kernel_cmdline(vm, {});
  EXPECT_EQ(count(s, "trace_event="), 1u) << s;
  EXPECT_NE(s.find(" trace_event=sched:sched_switch,irq:*,sched_ext:sched_ext_dump quiet"), std::string::npos) << s;

  vm.append = {"trace_event="};  // an empty list gains just ours
  s = kernel_cmdline(vm, {});
  EXPECT_EQ(count(s, "trace_event="), 1u) << s;
  EXPECT_NE(s.find(" trace_event=sched_ext:sched_ext_dump"), std::string::npos) << s;
}

namespace {
using ktstr::host::KernelFormat;
using ktstr::host::KernelImage;
using ktstr::host::qemu_argv;
using ktstr::host::QemuSockets;

// The value after `flag` in argv ("" if absent), and whether `flag value` occurs.
std::string after(const std::vector<std::string>& argv, const std::string& flag) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag) return argv[i + 1];
  return "";
}

KernelImage pvh_kernel() {
  KernelImage k;
  k.path = "/k/vmlinux";
  k.format = KernelFormat::pvh_vmlinux;
  k.release = "6.9.0";
  return k;
}
}  // namespace

// A PVH vmlinux goes to -kernel as is: QEMU boots an ELF through its PVH entry note.
TEST(QemuArgv, PvhVmlinuxIsTheKernelUnderTcg) {
  VmOptions vm;
  auto argv = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "console=ttyS0", QemuSockets{"/c1", "/c2", "", false});
  EXPECT_EQ(argv[0], "qemu-system-x86_64");
  EXPECT_EQ(after(argv, "-kernel"), "/k/vmlinux");
  EXPECT_EQ(after(argv, "-initrd"), "/t/initrd");
  EXPECT_EQ(after(argv, "-append"), "console=ttyS0");
  EXPECT_EQ(after(argv, "-accel"), "tcg,thread=single");
  EXPECT_EQ(after(argv, "-machine"), "pc");
  EXPECT_EQ(after(argv, "-cpu"), "");
}

// KVM gets the same defaults as TCG (PVH kernel, machine, firmware, cmdline), plus the host CPU.
TEST(QemuArgv, KvmKeepsThePvhDefaults) {
  VmOptions vm;
  QemuSockets s{"/c1", "/c2", "", false};
  auto tcg = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "console=ttyS0 x", s);
  auto kvm = qemu_argv(vm, "kvm", pvh_kernel(), "/t/initrd", "console=ttyS0 x", s);
  EXPECT_EQ(after(kvm, "-accel"), "kvm");
  EXPECT_EQ(after(kvm, "-cpu"), "host");
  for (const char* flag : {"-kernel", "-initrd", "-append", "-machine", "-bios", "-smp", "-m"})
    EXPECT_EQ(after(kvm, flag), after(tcg, flag)) << flag;
}

// Only the shell has a virtio console (hvc0); `run` boots without the device, so the guest does
// not probe it.
TEST(QemuArgv, VirtioConsoleOnlyForTheShell) {
  VmOptions vm;
  auto run = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "x", QemuSockets{"/c1", "/c2", "", false});
  auto shell = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "x", QemuSockets{"/c1", "/c2", "/h", false});
  auto has = [](const std::vector<std::string>& a, const std::string& w) {
    return std::find(a.begin(), a.end(), w) != a.end();
  };
  EXPECT_FALSE(has(run, "virtio-serial-pci"));
  EXPECT_FALSE(has(run, "virtconsole,chardev=hvc"));
  EXPECT_TRUE(has(shell, "virtio-serial-pci"));
  EXPECT_TRUE(has(shell, "virtconsole,chardev=hvc"));
  EXPECT_TRUE(has(shell, "socket,id=hvc,path=/h"));
}

// The data lane is a named virtio-serial port on its own bus in `run`, on the shell's bus with
// --exec, and absent without a socket (no tree taken, or --no-lane): no device to probe then.
TEST(QemuArgv, TheDataLaneOnlyWithItsSocket) {
  VmOptions vm;
  auto count = [](const std::vector<std::string>& a, const std::string& w) { return std::count(a.begin(), a.end(), w); };
  auto none = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "x", QemuSockets{"/c1", "/c2", "", false, ""});
  auto run = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "x", QemuSockets{"/c1", "/c2", "", false, "/l"});
  auto exec = qemu_argv(vm, "tcg", pvh_kernel(), "/t/initrd", "x", QemuSockets{"/c1", "/c2", "/h", false, "/l"});
  const std::string port = "virtserialport,chardev=lane,name=org.ktstr.lane";
  EXPECT_EQ(count(none, port), 0);
  EXPECT_EQ(count(none, "virtio-serial-pci"), 0);
  EXPECT_EQ(count(run, port), 1);
  EXPECT_EQ(count(run, "socket,id=lane,path=/l"), 1);
  EXPECT_EQ(count(run, "virtio-serial-pci"), 1);
  EXPECT_EQ(count(exec, port), 1);
  EXPECT_EQ(count(exec, "virtio-serial-pci"), 1) << "one bus for the console and the lane";
  // The port comes after its bus.
  auto bus = std::find(run.begin(), run.end(), "virtio-serial-pci");
  EXPECT_LT(bus, std::find(run.begin(), run.end(), port));
}

// The default words cost nothing in correctness and come before the user's, so a user's own
// word (e.g. cryptomgr.notests=0) comes later and wins: the kernel keeps the last value.
TEST(KernelCmdline, DefaultWordsComeBeforeTheUsersOwn) {
  VmOptions vm;
  vm.append = {"cryptomgr.notests=0"};
  std::string s = kernel_cmdline(vm, {});
  for (const std::string& w : ktstr::host::default_boot_words()) {
    size_t p = s.find(" " + w + " ");
    EXPECT_NE(p, std::string::npos) << w << " in " << s;
    EXPECT_LT(p, s.find(" cryptomgr.notests=0")) << s;
  }
  EXPECT_NE(s.find(" cryptomgr.notests "), std::string::npos) << s;
}

namespace {
using ktstr::Topology;
using ktstr::host::qemu_argv;

std::vector<std::string> argv_for(const VmOptions& vm, const std::string& accel = "tcg") {
  ktstr::host::KernelImage k;
  k.path = "/k/vmlinuz";
  return qemu_argv(vm, accel, k, "/t/initrd", "console=ttyS0", {"/t/com1", "/t/com2", "", false});
}

// The value following `flag` (the n-th occurrence), or "" if absent.
std::string arg_after(const std::vector<std::string>& a, const std::string& flag, size_t n = 0) {
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] == flag && n-- == 0) return a[i + 1];
  return "";
}
size_t count_flag(const std::vector<std::string>& a, const std::string& flag) {
  return size_t(std::count(a.begin(), a.end(), flag));
}
// The kernel cmdline `run` boots this VM with: the guest's words are the host's Config's.
std::string cmdline_of(const VmOptions& vm) {
  ktstr::host::RunOptions o;
  o.vm = vm;
  return kernel_cmdline(vm, ktstr::host::guest_cmdline_words(o, ktstr::host::VmMode::run, {}));
}
}  // namespace

// --smp N is one node, one LLC (one socket) of N cores: no NUMA options, QEMU's default CPU.
TEST(QemuArgv, SmpIsOneSocketOfCores) {
  VmOptions vm;
  vm.smp = 3;
  auto a = argv_for(vm);
  EXPECT_EQ(arg_after(a, "-smp"), "3,sockets=1,cores=3,threads=1");
  EXPECT_EQ(arg_after(a, "-m"), "1024");
  EXPECT_EQ(count_flag(a, "-numa"), 0u);
  EXPECT_EQ(count_flag(a, "-object"), 0u);
  EXPECT_EQ(count_flag(a, "-cpu"), 0u);
  EXPECT_NE(cmdline_of(vm).find(" KTSTR_TOPO=1,1,3,1 "), std::string::npos);
}

// 2,4,2,1: one socket per LLC, each node spans two sockets with half of the memory.
TEST(QemuArgv, NumaNodesSpanTheirLlcSockets) {
  VmOptions vm;
  vm.topology = Topology{2, 4, 2, 1};
  vm.memory_mb = 1024;
  auto a = argv_for(vm);
  EXPECT_EQ(arg_after(a, "-smp"), "8,sockets=4,cores=2,threads=1");
  EXPECT_EQ(arg_after(a, "-m"), "1024");
  EXPECT_EQ(arg_after(a, "-object", 0), "memory-backend-ram,id=mem0,size=512M");
  EXPECT_EQ(arg_after(a, "-numa", 0), "node,nodeid=0,cpus=0-3,memdev=mem0");
  EXPECT_EQ(arg_after(a, "-object", 1), "memory-backend-ram,id=mem1,size=512M");
  EXPECT_EQ(arg_after(a, "-numa", 1), "node,nodeid=1,cpus=4-7,memdev=mem1");
  EXPECT_EQ(count_flag(a, "-numa"), 2u);
  EXPECT_EQ(count_flag(a, "-cpu"), 0u);
  EXPECT_NE(cmdline_of(vm).find(" KTSTR_TOPO=2,4,2,1 "), std::string::npos);
}

// SMT under TCG takes an Intel model (qemu64 is AMD without topoext: QEMU warns); KVM keeps host.
TEST(QemuArgv, SmtTakesACpuModelThatCarriesIt) {
  VmOptions vm;
  vm.topology = Topology{1, 2, 2, 2};
  auto a = argv_for(vm);
  EXPECT_EQ(arg_after(a, "-smp"), "8,sockets=2,cores=2,threads=2");
  EXPECT_EQ(arg_after(a, "-cpu"), "Nehalem");
  EXPECT_EQ(count_flag(a, "-numa"), 0u);
  a = argv_for(vm, "kvm");
  EXPECT_EQ(count_flag(a, "-cpu"), 1u);
  EXPECT_EQ(arg_after(a, "-cpu"), "host");
}

// Shapes the machine cannot hold and memory that does not split are refused before boot.
TEST(QemuArgv, BadShapesAreRefusedBeforeBoot) {
  VmOptions vm;
  EXPECT_EQ(ktstr::host::vm_options_error(vm), "");
  vm.topology = Topology{4, 8, 4, 1};
  vm.memory_mb = 1026;
  EXPECT_NE(ktstr::host::vm_options_error(vm).find("does not split evenly into 4 NUMA nodes"), std::string::npos);
  vm.memory_mb = 1024;
  EXPECT_EQ(ktstr::host::vm_options_error(vm), "");
  vm.topology = Topology{1, 16, 16, 2};
  EXPECT_NE(ktstr::host::vm_options_error(vm).find("at most 255"), std::string::npos);
}

// A warm guest's machine is the same in every mode (docs/warm.md): the console (a null backend
// without a terminal), the lane and vmgenid always, the monitor on its socket. Only the chardev
// backends differ between run and shell, and those are not part of a snapshot.
TEST(QemuArgv, AWarmGuestHasTheSameDevicesInEveryMode) {
  VmOptions vm;
  ktstr::host::QemuWarm warm;
  auto run = qemu_argv(vm, "tcg", pvh_kernel(), "/t/base", "x", QemuSockets{"/c1", "/c2", "", false, "/l", "/m"}, &warm);
  auto shell = qemu_argv(vm, "tcg", pvh_kernel(), "/t/base", "x", QemuSockets{"/c1", "/c2", "/h", false, "/l", "/m"}, &warm);
  auto count = [](const std::vector<std::string>& a, const std::string& w) { return std::count(a.begin(), a.end(), w); };
  for (const auto* a : {&run, &shell}) {
    EXPECT_EQ(count(*a, "virtio-serial-pci"), 1);
    EXPECT_EQ(count(*a, "virtconsole,chardev=hvc"), 1);
    EXPECT_EQ(count(*a, "virtserialport,chardev=lane,name=org.ktstr.lane"), 1);
    EXPECT_EQ(count(*a, "vmgenid,guid=auto"), 1);
    EXPECT_EQ(after(*a, "-mon"), "chardev=mon,mode=readline");
    EXPECT_EQ(count(*a, "socket,id=mon,path=/m"), 1);
    EXPECT_EQ(count(*a, "-incoming"), 0) << "a boot, not a restore";
    EXPECT_EQ(count(*a, "/usr/share/qemu/qboot.rom"), 0) << "qboot cannot load vmgenid's ACPI table";
  }
  EXPECT_EQ(count(run, "null,id=hvc"), 1);
  EXPECT_EQ(count(shell, "socket,id=hvc,path=/h"), 1);
  // Without the sockets, the two argvs are one machine.
  auto devices = [](std::vector<std::string> a) {
    std::erase_if(a, [](const std::string& w) { return w.find("id=hvc") != std::string::npos; });
    return a;
  };
  EXPECT_EQ(devices(run), devices(shell));
}

// A restore is the boot's argv plus -incoming, under KVM as under TCG: migration to and from a
// file has no TCG-only step. No machine here runs KVM, so this argv is only checked here.
TEST(QemuArgv, ARestoreIsTheBootsArgvPlusIncomingUnderKvmToo) {
  VmOptions vm;
  QemuSockets s{"/c1", "/c2", "", false, "/l", "/m"};
  for (const char* accel : {"tcg", "kvm"}) {
    ktstr::host::QemuWarm boot, restore{"exec:feed snapshot"};
    auto b = qemu_argv(vm, accel, pvh_kernel(), "/t/base", "x", s, &boot);
    auto r = qemu_argv(vm, accel, pvh_kernel(), "/t/base", "x", s, &restore);
    EXPECT_EQ(after(r, "-incoming"), "exec:feed snapshot") << accel;
    ASSERT_EQ(r.size(), b.size() + 2) << accel;
    EXPECT_TRUE(std::equal(b.begin(), b.end(), r.begin())) << accel;
    EXPECT_EQ(after(r, "-accel"), std::string(accel) == "kvm" ? "kvm" : "tcg,thread=single");
    if (std::string(accel) == "kvm") EXPECT_EQ(after(r, "-cpu"), "host");
  }
}

// The user's --qemu-arg words stay last, after the warm devices and -incoming.
TEST(QemuArgv, UserQemuArgsStayLastInAWarmArgv) {
  VmOptions vm;
  vm.qemu_args = {"-bios", "/x/bios.bin"};
  ktstr::host::QemuWarm restore{"exec:x"};
  auto a = qemu_argv(vm, "tcg", pvh_kernel(), "/t/base", "x", QemuSockets{"/c1", "/c2", "", false, "/l", "/m"}, &restore);
  ASSERT_GE(a.size(), 2u);
  EXPECT_EQ(a[a.size() - 2], "-bios");
  EXPECT_EQ(a.back(), "/x/bios.bin");
}
