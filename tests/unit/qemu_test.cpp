// The kernel cmdline ktstr-vm boots the guest with.
#include "qemu.hpp"

#include <gtest/gtest.h>

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
  std::string s = kernel_cmdline(vm, {"KTSTR_MODE=test"});
  EXPECT_EQ(s.rfind("console=ttyS0 reboot=k panic=-1 loglevel=4 quiet KTSTR_MODE=test nokaslr "
                    "sched_ext.slice_bypass_us=100 ",
                    0),
            0u)
      << s;
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
