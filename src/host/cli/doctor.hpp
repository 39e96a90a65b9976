// `ktstr-vm doctor`: checks what a run needs on this machine and prints each problem with its
// remedy: QEMU, busybox, init, a sched_ext kernel, KVM (or why TCG), the cache, memory for -j.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ktstr::host {

enum class CheckLevel { ok, note, problem };  // note: works, but slower or with less

struct Check {
  CheckLevel level = CheckLevel::ok;
  std::string what;    // "QEMU", "kernel", ...
  std::string detail;  // what was found, or what is wrong
  std::string fix;     // the remedy, for a note or a problem
};

// The kernel's part: the kernel --kernel/KTSTR_KERNEL/the cache resolves to, and whether its
// config has CONFIG_SCHED_CLASS_EXT=y. Exposed for tests.
Check check_kernel();

// Every check, in order. `probe_kvm`: run the accelerator probe (a short KVM boot, cached).
std::vector<Check> run_checks(bool probe_kvm);

// Prints the checks; returns 0 when none is a problem, else 1.
int doctor_command();
int print_checks(const std::vector<Check>& checks, std::ostream& out);

}  // namespace ktstr::host
